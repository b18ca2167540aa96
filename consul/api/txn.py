"""Transactions: ``/v1/txn`` (Consul docs: *Transactions*)."""

from __future__ import annotations

from typing import TypeVar

from .._endpoint import Group

M = TypeVar("M")

__all__ = ["Txn"]


class Txn(Group[M]):
    """Endpoints of this group (to be written)."""
