"""The catalog of nodes and services: ``/v1/catalog`` (Consul docs: *Catalog*)."""

from __future__ import annotations

from typing import TypeVar

from .._endpoint import Group

M = TypeVar("M")

__all__ = ["Catalog"]


class Catalog(Group[M]):
    """Endpoints of this group (to be written)."""
