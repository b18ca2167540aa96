"""Sessions: ``/v1/session`` (Consul docs: *Sessions*)."""

from __future__ import annotations

from typing import TypeVar

from .._endpoint import Group

M = TypeVar("M")

__all__ = ["Session"]


class Session(Group[M]):
    """Endpoints of this group (to be written)."""
