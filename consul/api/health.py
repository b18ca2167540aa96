"""Health checks and healthy instances: ``/v1/health`` (Consul docs: *Health*)."""

from __future__ import annotations

from typing import TypeVar

from .._endpoint import Group

M = TypeVar("M")

__all__ = ["Health"]


class Health(Group[M]):
    """Endpoints of this group (to be written)."""
