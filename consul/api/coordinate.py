"""Network coordinates: ``/v1/coordinate`` (Consul docs: *Network Coordinates*)."""

from __future__ import annotations

from typing import TypeVar

from .._endpoint import Group

M = TypeVar("M")

__all__ = ["Coordinate"]


class Coordinate(Group[M]):
    """Endpoints of this group (to be written)."""
