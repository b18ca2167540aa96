"""The local agent: ``/v1/agent`` (Consul docs: *Agents*)."""

from __future__ import annotations

from typing import TypeVar

from .._endpoint import Group

M = TypeVar("M")

__all__ = ["Agent"]


class Agent(Group[M]):
    """Endpoints of this group (to be written)."""
