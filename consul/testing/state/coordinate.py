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

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, TypeVar

from .structs import Coordinate, CoordinateEntry

if TYPE_CHECKING:
    import asyncio

    from .datacenter import Datacenter

__all__ = [
    "AREA_WAN",
    "DIMENSIONALITY",
    "CoordinateStore",
    "coordinate_json",
    "distance",
    "new_coordinate",
]

T = TypeVar("T")

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


def distance(a: Coordinate | None, b: Coordinate | None) -> float:
    """``lib.ComputeDistance``: the estimated round-trip time in seconds.

    Serf's ``Coordinate.DistanceTo``: the Euclidean distance of the vectors
    plus both heights, plus both adjustments unless that makes it negative;
    Go turns it into whole nanoseconds. A missing coordinate is infinitely
    far.
    """
    if a is None or b is None:
        return math.inf
    raw = math.dist(a["Vec"], b["Vec"]) + a["Height"] + b["Height"]
    adjusted = raw + a["Adjustment"] + b["Adjustment"]
    if adjusted > 0:
        raw = adjusted
    return int(raw * 1e9) / 1e9


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

    def lan(self, node: str) -> Coordinate | None:
        """``CoordinateGetRaw``: the coordinate of ``node``'s default segment, or None."""
        row = self.rows.get((node.lower(), ""))
        return None if row is None else row["Coord"]

    def sort_by_distance(self, source: str, items: list[T], node_of: Callable[[T], str]) -> None:
        """``sortNodesByDistanceFrom``: sort ``items`` by round-trip time from ``source``.

        A stable sort, nearest first; items whose node has no coordinate go
        last. Without a coordinate for ``source`` nothing moves
        (``agent/consul/rtt.go``).
        """
        origin = self.lan(source)
        if origin is None:
            return
        items.sort(key=lambda item: distance(origin, self.lan(node_of(item))))

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
