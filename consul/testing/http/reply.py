"""What a handler answers: a :class:`Reply`, and JSON as a dev agent writes it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Reply", "empty_reply", "encode_json", "json_reply", "text_reply"]


@dataclass
class Reply:
    """What a handler answers: status, body, content type and extra headers."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: Called once the reply has been written out (``PUT /v1/agent/leave``
    #: shuts the agent down only after answering).
    after: Callable[[], None] | None = None


def encode_json(obj: Any) -> bytes:
    """JSON as a dev agent writes it (``json.MarshalIndent(obj, "", "    ")``).

    Go escapes ``<``, ``>`` and ``&`` (and U+2028/U+2029) in strings and writes
    other non-ASCII characters as they are; those characters can only appear
    inside strings, so replacing them in the output is exact.
    """
    text = json.dumps(obj, indent=4, ensure_ascii=False)
    for char, escape in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text.encode("utf-8")


def json_reply(obj: Any, status: int = 200) -> Reply:
    """A JSON reply."""
    return Reply(status, encode_json(obj), "application/json")


def text_reply(text: str, status: int = 200) -> Reply:
    """A plain-text reply (Go sniffs ``text/plain; charset=utf-8``)."""
    return Reply(status, text.encode("utf-8"), "text/plain; charset=utf-8")


def empty_reply(status: int = 200) -> Reply:
    """A handler that returned nil: status 200 and no body."""
    return Reply(status)
