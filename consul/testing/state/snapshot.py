"""Snapshots of a datacenter's state: saved and restored in Consul's archive.

A Consul snapshot (``snapshot/archive.go``) is a gzip'd tar of three files:
``meta.json`` (Raft's ``SnapshotMeta``), ``state.bin`` (the FSM's state) and
``SHA256SUMS`` (``<hex>  <name>`` lines for the other two). The embedded
agent writes the same archive, with a ``state.bin`` of its own: a JSON
document (not Consul's msgpack stream) holding::

    {"Format": "consul.testing/1", "Datacenter": "dc1", "Index": 42,
     "Stores": {"kv": {...}, "catalog": {...}, ...}, "ACL": {...} | null}

``Stores`` has every replicated store of the datacenter
(:attr:`Datacenter.replicated <.datacenter.Datacenter.replicated>`), each as
its tables (its public attributes, less the ``transient`` ones a store names);
``ACL`` the ACL tables, in the primary datacenter's snapshots. Values that
JSON lacks are tagged objects with one ``$`` key: ``$dict`` (pairs, for keys
that are not strings), ``$tuple``, ``$set``, ``$bytes`` (base64),
``$datetime`` (ISO 8601) and ``$dataclass`` (a record class of this package
and its fields). Nothing else is ever built from a snapshot: no code runs,
no class outside :mod:`consul.testing.state` is made.

Restoring reads the archive as Consul does, with its error texts, then
replaces the datacenter's state (its blocking queries return at once, its
indexes may go backwards) and re-runs the leader's start-up writes. A
snapshot of a real Consul server cannot be restored here, nor ours there.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import gzip
import hashlib
import importlib
import json
import re
import tarfile
import time
import zlib
from typing import TYPE_CHECKING, Any

from .acl.store import ACLStore
from .errors import RPCError
from .gojson import DecodeError, decode_json
from .golang import quote as go_quote
from .gotypes import BYTES, INT, STRING, UINT64, Slice, struct

if TYPE_CHECKING:
    from .core import AgentCore
    from .datacenter import Datacenter

__all__ = ["FORMAT", "SnapshotError", "decode_state", "encode_state", "restore", "save"]

#: The ``Format`` of our ``state.bin``.
FORMAT = "consul.testing/1"
#: The Raft term of every snapshot (the embedded leader's term).
TERM = 2

_READING = "failed to read snapshot file: failed reading snapshot: "
_BLOCK = 512
_ZERO_BLOCK = bytes(_BLOCK)
_PACKAGE = "consul.testing.state"

#: ``raft.SnapshotMeta`` as ``json.Decoder`` reads ``meta.json`` (unknown fields allowed).
SNAPSHOT_META = struct(
    "raft.SnapshotMeta",
    allow_unknown=True,
    Version=INT,
    ID=STRING,
    Index=UINT64,
    Term=UINT64,
    Peers=BYTES,
    Configuration=struct(
        "raft.Configuration",
        allow_unknown=True,
        Servers=Slice(
            struct("raft.Server", allow_unknown=True, Suffrage=INT, ID=STRING, Address=STRING)
        ),
    ),
    ConfigurationIndex=UINT64,
    Size=INT,
)


class SnapshotError(RPCError):
    """A snapshot that cannot be saved or restored, with Consul's text (a 500)."""


# -- the tables, as JSON ---------------------------------------------------------------------


def _tables(store: Any) -> dict[str, Any]:
    """A store's tables: its public attributes, less its links and its ``transient`` ones."""
    skip = {"dc", "config", *getattr(store, "transient", ())}
    return {k: v for k, v in vars(store).items() if not k.startswith("_") and k not in skip}


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: _encode(v) for k, v in value.items()}
        return {"$dict": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v) for v in value]}
    if isinstance(value, set | frozenset):
        return {"$set": [_encode(v) for v in value]}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode()}
    if isinstance(value, datetime.datetime):
        return {"$datetime": value.isoformat()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        fields = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"$dataclass": {"class": f"{cls.__module__}:{cls.__qualname__}", "fields": fields}}
    raise TypeError(f"a snapshot cannot hold a {type(value).__name__}")


def _record_class(name: str) -> type:
    """The dataclass ``module:Qualname`` names, if it is one of this package's records."""
    module_name, _, qualname = name.partition(":")
    if not (module_name == _PACKAGE or module_name.startswith(_PACKAGE + ".")):
        raise ValueError(f"{name!r} is not a record of the embedded agent")
    found: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        found = getattr(found, part)
    if not (isinstance(found, type) and dataclasses.is_dataclass(found)):
        raise ValueError(f"{name!r} is not a record of the embedded agent")
    return found


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((tag, inner),) = value.items()
        if tag == "$dict":
            return {_decode(k): _decode(v) for k, v in inner}
        if tag == "$tuple":
            return tuple(_decode(v) for v in inner)
        if tag == "$set":
            return {_decode(v) for v in inner}
        if tag == "$bytes":
            return base64.b64decode(inner, validate=True)
        if tag == "$datetime":
            return datetime.datetime.fromisoformat(inner)
        if tag == "$dataclass":
            cls = _record_class(inner["class"])
            names = {f.name for f in dataclasses.fields(cls)}
            record: Any = object.__new__(cls)
            for key, field_value in inner["fields"].items():
                if key not in names:
                    raise ValueError(f"{cls.__qualname__} has no field {key!r}")
                # object.__setattr__: frozen records too, as pickle builds them.
                object.__setattr__(record, key, _decode(field_value))
            return record
    return {k: _decode(v) for k, v in value.items()}


def encode_state(core: AgentCore, dc: Datacenter) -> bytes:
    """The ``state.bin`` of ``dc``: its stores' tables (and the ACL tables in the primary)."""
    stores = {name: _encode(_tables(store)) for name, store in dc.replicated.items()}
    state = {
        "Format": FORMAT,
        "Datacenter": dc.name,
        "Index": dc.index,
        "Stores": stores,
        "ACL": _encode(_tables(core.acl)) if dc.primary else None,
    }
    return json.dumps(state, separators=(",", ":")).encode()


def decode_state(data: bytes) -> dict[str, Any]:
    """The state :func:`encode_state` wrote, decoded; ValueError if it is not one."""
    try:
        state = json.loads(data)
    except ValueError:
        state = None
    if not isinstance(state, dict) or state.get("Format") != FORMAT:
        raise ValueError(
            "state.bin is not an embedded agent's state "
            "(a snapshot of a Consul server cannot be restored here)"
        )
    if not isinstance(state.get("Index"), int) or not isinstance(state.get("Stores"), dict):
        raise ValueError("state.bin has no index or no stores")
    decoded: dict[str, Any] = _decode(state)
    return decoded


# -- the archive ------------------------------------------------------------------------------


def _tar_member(name: str, data: bytes, mtime: float) -> bytes:
    """One USTAR entry of ``data``, padded to a whole block."""
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(mtime)
    header = info.tobuf(tarfile.USTAR_FORMAT, "utf-8", "surrogateescape")
    return header + data + bytes(-len(data) % _BLOCK)


def _meta(dc: Datacenter, size: int) -> bytes:
    """``meta.json``: Raft's ``SnapshotMeta`` as ``json.Encoder`` writes it (one line)."""
    address = dc.config.server_addr
    server_id = dc.catalog.server_node_id()
    peers = json.dumps([base64.b64encode(address.encode()).decode()]).encode()
    meta = {
        "Version": 1,
        "ID": f"{TERM}-{dc.index}-{int(time.time() * 1000)}",
        "Index": dc.index,
        "Term": TERM,
        "Peers": base64.b64encode(peers).decode(),
        "Configuration": {"Servers": [{"Suffrage": 0, "ID": server_id, "Address": address}]},
        "ConfigurationIndex": 1,
        "Size": size,
    }
    return json.dumps(meta, separators=(",", ":")).encode() + b"\n"


def save(core: AgentCore, dc: Datacenter) -> bytes:
    """The snapshot archive of ``dc`` (``snapshot.New``); SnapshotError if it cannot be made."""
    try:
        state = encode_state(core, dc)
    except TypeError as exc:
        raise SnapshotError(f"Raft error when taking snapshot: {exc}") from None
    meta = _meta(dc, len(state))
    sums = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n"
        for name, data in (("meta.json", meta), ("state.bin", state))
    ).encode()
    now = time.time()
    archive = b"".join(
        _tar_member(name, data, now)
        for name, data in (("meta.json", meta), ("state.bin", state), ("SHA256SUMS", sums))
    )
    # tar.Writer.Close: two zero blocks, and no padding to a record.
    return gzip.compress(archive + bytes(2 * _BLOCK), mtime=int(now))


def _gunzip(data: bytes) -> bytes:
    """Go's ``gzip.Reader`` over every member: the data, or SnapshotError with Go's text."""
    if not data:
        raise SnapshotError("failed to decompress snapshot: EOF")
    if len(data) < 10:
        raise SnapshotError("failed to decompress snapshot: unexpected EOF")
    out = []
    rest = data
    first = True
    while rest:
        if rest[:3] != b"\x1f\x8b\x08":
            # A bad first header fails gzip.NewReader; a bad later one, the
            # read that reaches it.
            prefix = "failed to decompress snapshot: " if first else ""
            raise SnapshotError(f"{prefix}gzip: invalid header")
        inflater = zlib.decompressobj(wbits=31)
        try:
            out.append(inflater.decompress(rest))
        except zlib.error as exc:
            reason = "gzip: invalid checksum" if "incorrect data check" in str(exc) else None
            raise SnapshotError(
                reason
                or "failed to read snapshot file: failed reading snapshot: flate: corrupt input"
            ) from None
        if not inflater.eof:
            raise SnapshotError(
                "failed to read snapshot file: failed reading snapshot: unexpected EOF"
            )
        rest = inflater.unused_data
        first = False
    return b"".join(out)


def _read_archive(data: bytes) -> tuple[dict[str, Any], bytes]:
    """``archive.go`` ``read``: the metadata and ``state.bin``, checked against ``SHA256SUMS``.

    Then ``concludeGzipRead``: nothing may follow the end of the archive.
    """
    hashes = {"meta.json": hashlib.sha256(), "state.bin": hashlib.sha256()}
    metadata: dict[str, Any] = {}
    state = b""
    sums = b""
    pos = 0

    def fail(reason: str) -> SnapshotError:
        return SnapshotError(f"failed to read snapshot file: {reason}")

    while pos < len(data):
        block = data[pos : pos + _BLOCK]
        if len(block) < _BLOCK:
            raise fail("failed reading snapshot: unexpected EOF")
        pos += _BLOCK
        if block == _ZERO_BLOCK:
            second = data[pos : pos + _BLOCK]
            if not second:
                break
            if len(second) < _BLOCK:
                raise fail("failed reading snapshot: unexpected EOF")
            pos += _BLOCK
            if second == _ZERO_BLOCK:
                break
            raise fail("failed reading snapshot: archive/tar: invalid tar header")
        try:
            info = tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
        except tarfile.HeaderError:
            raise fail("failed reading snapshot: archive/tar: invalid tar header") from None
        content = data[pos : pos + info.size]
        if len(content) < info.size:
            raise fail("failed reading snapshot: unexpected EOF")
        pos += info.size + (-info.size % _BLOCK)
        if info.name == "meta.json":
            hashes["meta.json"].update(content)
            try:
                metadata = decode_json(content, SNAPSHOT_META)
            except DecodeError as exc:
                raise fail(f"failed to decode snapshot metadata: {exc}") from None
        elif info.name == "state.bin":
            hashes["state.bin"].update(content)
            state = content
        elif info.name == "SHA256SUMS":
            sums = content
        else:
            raise fail(f"unexpected file {go_quote(info.name)} in snapshot")
    _verify(hashes, sums, fail)
    if pos < len(data):
        raise SnapshotError(f"{len(data) - pos} unread uncompressed bytes remain")
    return metadata, state


_SUM_LINE = re.compile(r"([0-9a-fA-F]+)  (\S+)")


def _verify(hashes: dict[str, Any], sums: bytes, fail: Any) -> None:
    """``hashList.DecodeAndVerify``: each listed hash must match, each file be listed."""

    def bad(reason: str) -> SnapshotError:
        error: SnapshotError = fail(f"failed checking integrity of snapshot: {reason}")
        return error

    seen = set()
    for line in sums.decode("utf-8", "replace").splitlines():
        match = _SUM_LINE.match(line)
        if match is None:
            raise bad("input does not match format")
        digest, name = match.groups()
        if name not in hashes:
            raise bad(f"list missing hash for {go_quote(name)}")
        if bytes.fromhex(digest if len(digest) % 2 == 0 else "0" + digest) != hashes[name].digest():
            raise bad(f"hash check failed for {go_quote(name)}")
        seen.add(name)
    for name in hashes:
        if name not in seen:
            raise bad(f"file missing for {go_quote(name)}")


def read(archive: bytes) -> dict[str, Any]:
    """The state in a snapshot ``archive``, checked as Consul checks one; SnapshotError if not."""
    _, state = _read_archive(_gunzip(archive))
    try:
        return decode_state(state)
    except (ValueError, TypeError, KeyError, AttributeError, ImportError) as exc:
        raise SnapshotError(f"Raft error when restoring snapshot: {exc}") from None


def restore(core: AgentCore, dc: Datacenter, state: dict[str, Any]) -> None:
    """Replace ``dc``'s state with ``state`` (from :func:`read`), then redo the leader's work.

    The old state's blocking queries return at once. In the primary
    datacenter the ACL tables are replaced too, then the leader creates
    the builtin policies and tokens the snapshot lacks; the datacenter's
    server is registered again if it is missing, the sessions' TTL timers
    start over, and the agent syncs its own services and checks to the
    restored catalog.
    """
    stores = state["Stores"]

    def load(name: str, store: Any) -> None:
        _load(store, stores.get(name) or {})

    dc.restore(state["Index"], load)
    if dc.primary:
        core.acl = ACLStore(core.config, dc)
        _load(core.acl, state.get("ACL") or {})
        core.acl.bootstrap()
    # The leader's reconcile (leader_registrator_v1.go HandleAliveMember):
    # its own node is registered again only if the catalog lacks it.
    catalog = dc.catalog
    name = catalog.server_node_name()
    present = catalog.service(name, "consul") is not None
    if not present or (catalog.check(name, "serfHealth") or {}).get("Status") != "passing":
        catalog.register(dc.apply(), catalog.server_registration())
        dc.changed()
    dc.autopilot.bootstrap()
    dc.ca.bootstrap()
    for session in dc.sessions.all():
        dc.sessions.reset_timer(session)
    if dc is core.home:
        core.local.sync_full()
    core.logger.named("server.raft").info("restored user snapshot", "index", state["Index"])


def _load(store: Any, tables: dict[str, Any]) -> None:
    """Put a snapshot's ``tables`` into a fresh ``store`` (tables it does not have are ignored)."""
    known = _tables(store)
    for name, value in tables.items():
        if name in known:
            setattr(store, name, value)
