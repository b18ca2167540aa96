"""``/v1/coordinate``: network coordinates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._server import Routes

if TYPE_CHECKING:
    from .._state import Datacenter

routes = Routes()


class CoordinateStore:
    """(To be written.)"""

    def __init__(self, dc: Datacenter) -> None:
        self.dc = dc
