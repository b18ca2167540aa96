"""``/v1/session``: sessions, their TTLs and invalidation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._server import Routes

if TYPE_CHECKING:
    from .._state import Datacenter

routes = Routes()


class SessionStore:
    """(To be written.)"""

    def __init__(self, dc: Datacenter) -> None:
        self.dc = dc
        #: Session ID -> session.
        self.sessions: dict[str, dict[str, object]] = {}
