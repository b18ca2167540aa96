"""Consul's filter language (``?filter=``), as go-bexpr evaluates it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def compile_filter(expression: str) -> Callable[[Any], bool]:
    """A predicate for ``expression`` (to be written)."""
    raise NotImplementedError("filtering is not written yet")
