"""User events: ``/v1/event`` (Consul docs: *Events*)."""

from __future__ import annotations

from typing import TypeVar

from .._endpoint import Group

M = TypeVar("M")

__all__ = ["Event"]


class Event(Group[M]):
    """Endpoints of this group (to be written)."""
