"""Check definitions for service and check registration."""

from __future__ import annotations

__all__ = ["Check"]


class Check:
    """Factories of Consul check definitions (to be written)."""
