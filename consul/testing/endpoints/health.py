"""``/v1/health``: checks and healthy service instances."""

from __future__ import annotations

from .._server import Routes

routes = Routes()
