"""``/v1/acl``: tokens, policies and roles."""

from __future__ import annotations

from .._server import Routes

routes = Routes()
