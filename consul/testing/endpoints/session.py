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

    # Called by the catalog (``agent/consul/state/catalog.go``): a session
    # is destroyed when one of its checks turns critical or is deleted, or
    # its node is deregistered.

    def on_check_critical(self, idx: int, node: str, check_id: str) -> None:
        """A check of ``node`` turned critical."""

    def on_check_deleted(self, idx: int, node: str, check_id: str) -> None:
        """A check of ``node`` was deregistered."""

    def on_node_deleted(self, idx: int, node: str) -> None:
        """``node`` was deregistered."""
