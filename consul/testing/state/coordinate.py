"""Network coordinates: the ``coordinates`` table and its batched updates.

The table from ``agent/consul/state/coordinate.go``; the batching from
``agent/consul/coordinate_endpoint.go``. Coordinates are Serf's Vivaldi
coordinates (``hashicorp/serf`` ``coordinate/``): eight dimensions, an error
estimate, an adjustment and a height.

The LAN coordinates live in each datacenter's state: updates are queued and
written in one batch every 100 ms (a dev agent's ``update_period``), and
only for nodes the catalog knows. Each datacenter's server node starts with
the coordinate a fresh Serf gives it (a real agent sends its own after its
first sync, 15 s or more after start).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from .structs import Coordinate, CoordinateEntry

if TYPE_CHECKING:
    import asyncio

    from .datacenter import Datacenter

__all__ = [
    "AREA_WAN",
    "DIMENSIONALITY",
    "CoordinateStore",
    "coordinate_json",
    "new_coordinate",
]

#: Serf's Vivaldi defaults (``coordinate.DefaultConfig``).
DIMENSIONALITY = 8
VIVALDI_ERROR_MAX = 1.5
HEIGHT_MIN = 10.0e-6
#: ``consul.coordinate.update_period`` of a dev agent (``DevConsulSource``).
UPDATE_PERIOD = 0.1
#: ``types.AreaWAN``.
AREA_WAN = "wan"


def coordinate_json(vec: list[float], error: float, adjustment: float, height: float) -> Coordinate:
    """A ``coordinate.Coordinate`` in its JSON field order."""
    return {
        "Vec": list(vec),
        "Error": error,
        "Adjustment": adjustment,
        "Height": height,
    }


def new_coordinate() -> Coordinate:
    """``coordinate.NewCoordinate``: the origin, with the maximum error."""
    return coordinate_json([0.0] * DIMENSIONALITY, VIVALDI_ERROR_MAX, 0.0, HEIGHT_MIN)


class CoordinateStore:
    """The ``coordinates`` table of one datacenter and its pending updates."""

    #: Tables a snapshot leaves out: updates not written yet are the leader's.
    transient: ClassVar[tuple[str, ...]] = ("pending",)

    def __init__(self, dc: Datacenter) -> None:
        self.dc = dc
        #: (lower-cased node, lower-cased segment) -> the row.
        self.rows: dict[tuple[str, str], CoordinateEntry] = {}
        self.index = 0
        #: ``node:segment`` -> the latest update not yet written.
        self.pending: dict[str, CoordinateEntry] = {}
        self._flush: asyncio.TimerHandle | None = None

    def bootstrap(self) -> None:
        """Give the datacenter's server node its first coordinate."""
        idx = self.dc.apply()
        node = self.dc.catalog.server_node_name()
        self.rows[(node.lower(), "")] = {"Node": node, "Segment": "", "Coord": new_coordinate()}
        self.index = idx

    # -- reads ----------------------------------------------------------------

    def all(self) -> tuple[int, list[CoordinateEntry]]:
        """``Coordinates``: the table index and every row, by node then segment."""
        return self.index, [self.rows[key] for key in sorted(self.rows)]

    def node(self, name: str) -> tuple[int, list[CoordinateEntry]]:
        """``Coordinate``: the table index and the rows of ``name`` (any case)."""
        wanted = name.lower()
        rows = [row for (node, _), row in sorted(self.rows.items()) if node == wanted]
        return self.index, rows

    # -- writes ---------------------------------------------------------------

    def queue(self, update: CoordinateEntry) -> None:
        """``Coordinate.Update``: keep the latest update per node and segment."""
        self.pending[f"{update['Node']}:{update['Segment']}"] = update
        if self._flush is None:
            self._flush = self.dc.call_later(UPDATE_PERIOD, self._apply_pending)

    def _apply_pending(self) -> None:
        """``batchApplyUpdates`` and ``CoordinateBatchUpdate``.

        Updates for nodes the catalog does not know are dropped silently;
        the table index moves even if nothing was written.
        """
        self._flush = None
        pending, self.pending = self.pending, {}
        if not pending:
            return
        idx = self.dc.apply()
        for update in pending.values():
            if self.dc.catalog.node(update["Node"]) is None:
                continue
            key = (update["Node"].lower(), update["Segment"].lower())
            self.rows[key] = update
        self.index = idx
        self.dc.changed()

    def on_node_deleted(self, idx: int, node: str) -> None:
        """The catalog deleted ``node``: its coordinates go with it (``deleteNodeTxn``)."""
        wanted = node.lower()
        keys = [key for key in self.rows if key[0] == wanted]
        for key in keys:
            del self.rows[key]
        if keys:
            self.index = idx
