"""The key/value store: ``/v1/kv`` (Consul docs: *KV Store*)."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict, TypeVar

from .. import _decode as d
from .._endpoint import Group, endpoint, optional_uint64, string
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, Params, Response, below, path
from .._meta import Indexed

M = TypeVar("M")

__all__ = ["KV", "KVPair"]


class KVPair(TypedDict):
    """One entry of the KV store, with its ``Value`` decoded to bytes."""

    LockIndex: int
    Key: str
    Flags: int
    Value: bytes | None
    Session: NotRequired[str]
    CreateIndex: int
    ModifyIndex: int


#: Every key is below this path.
_KV = path("kv")


def _path(key: str, *, allow_empty: bool = False) -> str:
    """The path of ``key``, checked before any I/O.

    Consul cleans the path of every request (``a//b``, ``a/./b`` and
    ``a/x/../b`` all name ``a/b``), so a key with empty, ``.`` or ``..``
    segments could never be read back as written: :func:`below` refuses
    it. A trailing slash is fine (``dir/``).
    """
    if type(key) is not str or key[:1] in ("/", ""):
        if string(key, "key").startswith("/"):
            raise ValueError(f"key must not start with '/': {key!r}")
        if not key and not allow_empty:
            raise ValueError("key must not be empty")
    return below(_KV, key, "key")


def _write_params(
    cas: int | None, flags: int | None, acquire: str | None, release: str | None
) -> list[tuple[str, str]]:
    """The query of a write with any of ``cas``, ``flags``, ``acquire``, ``release``."""
    if sum(x is not None for x in (cas, acquire, release)) > 1:
        raise ValueError("only one of cas, acquire and release may be given")
    params: list[tuple[str, str]] = []
    if (cas := optional_uint64(cas, "cas")) is not None:
        params.append(("cas", str(cas)))
    if (flags := optional_uint64(flags, "flags")) is not None:
        params.append(("flags", str(flags)))
    for name, session in (("acquire", acquire), ("release", release)):
        if session is not None:
            if not isinstance(session, str) or not session:
                raise ValueError(f"{name} must be a session ID")
            params.append((name, session))
    return params


def _entries(data: list[dict[str, Any]] | None) -> list[KVPair] | None:
    return None if data is None else [d.kv_entry(e) for e in data]  # type: ignore[misc]


def _entry(data: list[dict[str, Any]] | None) -> KVPair | None:
    return None if not data else d.kv_entry(data[0])  # type: ignore[return-value]


def _one(response: Response) -> Indexed[KVPair | None]:
    """The entry of ``GET /v1/kv/:key`` (None for a 404, an absent key), with its index.

    What ``d.indexed(d.or_none(...))`` would make of it, in one function: the
    most common read of all.
    """
    entry = None
    if response.status != 404:
        data = d.json(response)
        if data:
            entry = d.kv_entry(data[0])
    return Indexed.of(entry, d.index(response), response)  # type: ignore[arg-type]


# The decoders of kv.get's three shapes, with the answer's index, made once.
_ONE: d.Decoder[Any] = _one
_TREE: d.Decoder[Any] = d.indexed(d.or_none(d.mapped(d.json, _entries)))
_KEYS: d.Decoder[Any] = d.indexed(d.or_none(d.json))


class KV(Group[M]):
    """Read and write Consul's key/value store.

    Keys are strings without a leading ``/``; values are bytes (a ``str`` is
    sent as UTF-8). Reads return ``(index, data)`` where ``index`` is the
    ``X-Consul-Index`` to pass back as ``index=`` for a blocking query.
    """

    @endpoint
    def get(
        self,
        key: str,
        index: int | None = None,
        recurse: Literal[False] = False,
        wait: str | float | None = None,
        token: str | None = None,
        consistency: str | None = None,
        keys: Literal[False] = False,
        separator: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[KVPair | None]]:
        """``GET /v1/kv/:key``: one entry, or None if the key does not exist.

        ``index`` and ``wait`` make this a blocking query: it returns once the
        key's index is above ``index`` (a missing key blocks until it appears)
        or ``wait`` (seconds, or a duration such as ``"5m"``) has passed.
        ``consistency`` is ``"default"``, ``"consistent"`` or ``"stale"``.

        For compatibility with python-consul, ``recurse=True`` returns the list
        of entries under the prefix (as :meth:`list`) and ``keys=True`` the
        list of keys (as :meth:`keys`); type checkers accept only the precise
        methods for those shapes.
        """
        # recurse and keys are typed Literal[False] to steer typed code to
        # list() and keys(); untyped python-consul code may still pass True.
        tree, listing = bool(recurse), bool(keys)
        params: Params = ()
        decode = _ONE
        if tree:
            params, decode = (("recurse", ""),), _TREE
        elif listing:
            params, decode = (("keys", ""),), _KEYS
            if separator is not None:
                params += (("separator", separator),)
        # What _read() does, with a decoder made once.
        request = self._request(
            "GET",
            _path(key, allow_empty=decode is not _ONE),
            params,
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            read=True,
            ns=ns,
            partition=partition,
        )
        return Call(request, decode)

    @endpoint
    def keys(
        self,
        prefix: str = "",
        separator: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        token: str | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[list[str]]]:
        """``GET /v1/kv/:prefix?keys``: the keys under ``prefix``.

        With ``separator``, keys are folded at its first occurrence after the
        prefix (``web/`` with ``/`` lists ``web/sub/`` once for all the keys
        below it). An empty list if there is none. Blocking as :meth:`get`.
        """
        params = [("keys", "")]
        if separator is not None:
            params.append(("separator", separator))
        return self._read(
            _path(prefix, allow_empty=True),
            d.mapped(d.or_none(d.json), d.listed),
            params,
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            ns=ns,
            partition=partition,
        )

    @endpoint
    def put(
        self,
        key: str,
        value: bytes | str | None,
        cas: int | None = None,
        flags: int | None = None,
        acquire: str | None = None,
        release: str | None = None,
        token: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``PUT /v1/kv/:key``: write ``value``; True if it was written.

        ``cas``: write only if the key's ``ModifyIndex`` is still this (0:
        only if the key does not exist). ``flags``: an opaque unsigned 64-bit
        number stored with the value (a write without it resets it to 0).
        ``acquire``/``release``: take or give up the key's lock for a session;
        False if the lock is held by another session (or under lock-delay).
        At most one of ``cas``, ``acquire`` and ``release`` may be given.
        """
        if type(value) is bytes:
            body = value
        elif value is None:
            body = b""
        elif isinstance(value, str):
            body = value.encode("utf-8")
        elif isinstance(value, bytes | bytearray | memoryview):
            body = bytes(value)
        else:
            raise TypeError(f"value must be bytes, str or None, not {type(value).__name__}")
        params: list[tuple[str, str]] = []
        if cas is not None or flags is not None or acquire is not None or release is not None:
            params = _write_params(cas, flags, acquire, release)
        request = self._request(
            "PUT", _path(key), params, token=token, dc=dc, body=body, ns=ns, partition=partition
        )
        return Call(request, d.boolean)

    @endpoint
    def delete(
        self,
        key: str,
        recurse: bool | None = None,
        cas: int | None = None,
        token: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[bool]:
        """``DELETE /v1/kv/:key``: delete the key (``recurse``: every key under it).

        ``cas``: delete only if the key's ``ModifyIndex`` is still this.
        Deleting a key that does not exist succeeds.
        """
        params: list[tuple[str, str]] = []
        if recurse:
            if cas is not None:
                raise ValueError("cas cannot be combined with recurse")
            params.append(("recurse", ""))
        if (cas := optional_uint64(cas, "cas")) is not None:
            params.append(("cas", str(cas)))
        request = self._request(
            "DELETE",
            _path(key, allow_empty=bool(recurse)),
            params,
            token=token,
            dc=dc,
            ns=ns,
            partition=partition,
        )
        return Call(request, d.boolean)

    # Defined last: in the class body, later annotations would read ``list``
    # as this method rather than the builtin.
    @endpoint
    def list(
        self,
        prefix: str = "",
        index: int | None = None,
        wait: str | float | None = None,
        token: str | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Indexed[list[KVPair]]]:
        """``GET /v1/kv/:prefix?recurse``: every entry whose key starts with ``prefix``.

        An empty list if there is none. Blocking as :meth:`get`.
        """
        return self._read(
            _path(prefix, allow_empty=True),
            d.mapped(d.or_none(d.json), lambda e: _entries(e) or []),
            [("recurse", "")],
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            ns=ns,
            partition=partition,
        )
