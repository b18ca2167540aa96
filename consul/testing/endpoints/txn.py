"""``/v1/txn``: transactions."""

from __future__ import annotations

from .._server import Routes

routes = Routes()
