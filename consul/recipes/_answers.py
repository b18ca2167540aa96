"""Reading the answers a recipe's flow is given: one of the wrong shape is InvalidResponse."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from .._http import Call

__all__ = ["reading"]


@contextlib.contextmanager
def reading(call: Call[Any]) -> Iterator[None]:
    """Read the answer to ``call`` within this block.

    A field missing or of another type than Consul's (a KeyError, TypeError,
    ValueError... raised reading it) is :class:`InvalidResponse` naming
    ``call``'s request, as an answer its decoder cannot read is
    (:meth:`Call.result <consul._http.Call.result>`).
    """
    try:
        yield
    except (LookupError, TypeError, ValueError, AttributeError) as exc:
        raise call.request.unreadable(exc) from exc
