"""Routing as Go's ``http.ServeMux`` does it, and Go's URL path rules.

Consul serves its API with Go's ``http.ServeMux`` (Go 1.22 matching): routing
works on the escaped path, segment by segment; patterns ending in ``/`` match
a subtree, the most specific pattern wins, a path equal to a subtree pattern
without its slash is redirected (301), and an unclean path (``//``, ``/./``,
``/../``) is redirected to its clean form.

Endpoint modules register their handlers in a :class:`~.routes.Routes`
table; the server (:mod:`.server`) builds one :class:`Mux` of all of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for the annotations only: routes import the request context
    from .routes import Route

__all__ = [
    "CACHE_SIZE",
    "Mux",
    "clean_path",
    "escape_path",
    "path_clean",
    "unescape",
    "valid_query",
]


#: A ``%`` not followed by two hex digits: an escape Go's URL parser refuses.
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
#: Bytes Go leaves alone when it escapes a path (``shouldEscape``, ``encodePath``).
_PATH_SAFE = frozenset(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~$&+,/:;=@"
)


def unescape(text: str, *, query: bool = False) -> str | None:
    """Go's ``url.PathUnescape`` (or ``QueryUnescape``); None on a bad escape.

    The bytes are read as UTF-8, invalid sequences becoming U+FFFD.
    """
    if "%" not in text and text.isascii() and not (query and "+" in text):
        return text
    if _BAD_ESCAPE.search(text):
        return None
    raw = text.encode("utf-8", "surrogateescape")
    if query:
        raw = raw.replace(b"+", b" ")
    out = bytearray()
    pos = 0
    while (percent := raw.find(b"%", pos)) >= 0:
        out += raw[pos:percent]
        out.append(int(raw[percent + 1 : percent + 3], 16))
        pos = percent + 3
    out += raw[pos:]
    return out.decode("utf-8", "replace")


def escape_path(text: str) -> str:
    """Go's ``url.URL{Path: text}.String()`` for a path: escape all but ``_PATH_SAFE``."""
    return "".join(
        chr(byte) if byte in _PATH_SAFE else f"%{byte:02X}" for byte in text.encode("utf-8")
    )


def valid_query(raw_query: str) -> bool:
    """True if Go's ``url.ParseQuery`` accepts ``raw_query``.

    It refuses a ``;`` anywhere (Go 1.17+) and any bad ``%`` escape.
    """
    return ";" not in raw_query and not _BAD_ESCAPE.search(raw_query)


def path_clean(path: str) -> str:
    """Go's ``path.Clean``: drop empty and ``.`` elements, resolve ``..``."""
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part != "..":
            parts.append(part)
        elif parts and parts[-1] != "..":
            parts.pop()
        elif not rooted:
            parts.append("..")
    cleaned = ("/" if rooted else "") + "/".join(parts)
    return cleaned or "."


def clean_path(path: str) -> str:
    """Go's ``cleanPath`` (``net/http``): ``path.Clean``, keeping a trailing slash."""
    if not path.startswith("/"):
        path = "/" + path
    cleaned = path_clean(path)
    if path.endswith("/") and cleaned != "/":
        cleaned += "/"
    return cleaned


#: How many paths a :class:`Mux` remembers the route of.
CACHE_SIZE = 1024


def _segments(escaped_path: str) -> tuple[str, ...]:
    # Go 1.22's ServeMux splits the escaped path at its slashes and compares
    # each segment unescaped: "/v1/%6Bv/x" is under "/v1/kv/", "/v1/kv%2Fx" is not.
    parts = escaped_path[1:].split("/")
    if "%" not in escaped_path:
        return tuple(parts)
    return tuple(unescape(part) or part for part in parts)


def _is_clean(escaped_path: str) -> bool:
    """``clean_path(escaped_path) == escaped_path``, cheaply for the common case."""
    if "//" not in escaped_path and "/." not in escaped_path:
        return True
    return clean_path(escaped_path) == escaped_path


class Mux:
    """Go's ``http.ServeMux`` over the registered routes (Go 1.22 matching)."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.exact: dict[tuple[str, ...], Route] = {}
        #: Subtree patterns by their segments without the trailing "".
        self.subtrees: dict[tuple[str, ...], Route] = {}
        for route in routes:
            segments = _segments(route.pattern)
            if route.pattern.endswith("/"):
                self.subtrees[segments[:-1]] = route
            else:
                self.exact[segments] = route
        self._depth = max((len(prefix) for prefix in self.subtrees), default=0)
        self._found: dict[str, tuple[str | None, Route | None, str | None]] = {}

    def find(self, escaped_path: str) -> tuple[str | None, Route | None, str | None]:
        """The decoded path (None if badly escaped), its route and redirect (:meth:`resolve`).

        Remembered for the last :data:`CACHE_SIZE` paths: a client tends
        to ask for the same few again and again.
        """
        found = self._found.get(escaped_path)
        if found is None:
            path = unescape(escaped_path)
            found = (None, None, None)
            if path is not None:
                found = (path, *self.resolve(escaped_path, path))
            if len(self._found) >= CACHE_SIZE:
                self._found.clear()
            self._found[escaped_path] = found
        return found

    def _match(self, segments: tuple[str, ...]) -> Route | None:
        """The exact pattern of ``segments``, else the longest subtree holding them."""
        route = self.exact.get(segments)
        if route is not None:
            return route
        for end in range(min(len(segments) - 1, self._depth), 0, -1):
            route = self.subtrees.get(segments[:end])
            if route is not None:
                return route
        return None

    def resolve(self, escaped_path: str, path: str) -> tuple[Route | None, str | None]:
        """The route of a path, or where ServeMux redirects it instead (301, ``findHandler``).

        A path one slash short of a subtree pattern goes to that pattern
        (built from the decoded ``path``); an unclean one to its clean form,
        which Go builds from the *escaped* path and so escapes twice
        (golang/go#79897, in the Go 1.25 Consul 1.22 is built with). A path
        no pattern matches has neither (``HTTPHandlers.Index`` answers it).
        """
        clean = _is_clean(escaped_path)
        cleaned = escaped_path if clean else clean_path(escaped_path)
        segments = _segments(cleaned)
        route = self._match(segments)
        if (
            not cleaned.endswith("/")
            and (route is None or route.pattern.endswith("/"))
            and segments in self.subtrees
        ):
            # Only a pattern matched exactly (``exactMatch``): "/v1/kv" -> "/v1/kv/".
            return None, escape_path(clean_path(path) + "/")
        if not clean:
            return None, escape_path(cleaned)
        return route, None
