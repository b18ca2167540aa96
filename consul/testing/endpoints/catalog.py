"""``/v1/catalog``: nodes, services and checks of a datacenter."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._server import Routes

if TYPE_CHECKING:
    from .._state import Datacenter

routes = Routes()


class CatalogStore:
    """(To be written.)"""

    def __init__(self, dc: Datacenter) -> None:
        self.dc = dc

    def bootstrap(self) -> None:
        """Register the datacenter's server node, as its leader does at start."""
