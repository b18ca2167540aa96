"""Snapshots of a datacenter's state: ``/v1/snapshot`` (Consul docs: *Snapshot*).

A snapshot is a gzip'd archive of the servers' state (KV, catalog, sessions,
ACLs, prepared queries...). Saving one is streamed into a file as it comes
(:meth:`Snapshot.save_to`), or handed over part by part
(:meth:`Snapshot.stream`); a restore is streamed from a file. Both need a
management token (``acl:write``).
"""

from __future__ import annotations

import dataclasses
import os
from typing import IO, TypeVar

from .. import _decode as d
from .._endpoint import Group, exchange, stream
from .._http import CLIENT_TIMEOUT, CallTimeout, Request, Upload, path
from .._stream import BytesSink, Chunks, Discard, Exchange, FileSink, StreamCall

M = TypeVar("M")

__all__ = ["Snapshot"]

#: What a snapshot is sent as on a restore (Consul's own client's type).
CONTENT_TYPE = "application/octet-stream"


class Snapshot(Group[M]):
    """Save and restore the state of a datacenter (``client.snapshot``).

    ``ns`` and ``partition`` (Consul Enterprise) are sent as Go's client
    sends them; Consul CE's handler does not read them
    (``agent/snapshot_endpoint.go``).
    """

    def _save(
        self,
        stale: bool,
        dc: str | None,
        token: str | None,
        ns: str | None,
        partition: str | None,
    ) -> Request:
        # Only ?stale and ?dc are read (no consistency modes, no blocking).
        params = [("stale", "")] if stale else []
        return self._request(
            "GET", path("snapshot"), params, token=token, dc=dc, ns=ns, partition=partition
        )

    @exchange
    def save(
        self,
        token: str | None = None,
        dc: str | None = None,
        stale: bool = False,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Exchange[bytes]:
        """``GET /v1/snapshot``: the snapshot, as bytes (py-consul's ``save``).

        The whole archive is held in memory: :meth:`save_to` writes it to a
        file as it comes, :meth:`stream` hands it over part by part.
        ``stale`` lets any server (not only the leader) take it.
        """
        return Exchange(
            self._save(stale, dc, token, ns, partition), d.check, lambda head: BytesSink()
        )

    @exchange
    def save_to(
        self,
        file: str | os.PathLike[str] | IO[bytes],
        token: str | None = None,
        dc: str | None = None,
        stale: bool = False,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Exchange[int]:
        """``GET /v1/snapshot`` into ``file``, as it comes; the snapshot's Raft index.

        ``file`` is a path or a binary file open for writing. A path gets the
        snapshot only once it is whole: a failure leaves no partial file (and
        an existing one as it was); a file object is written from where it
        stands and left open. ``timeout`` bounds the wait for the answer,
        then each read of it.
        """
        if not isinstance(file, str | os.PathLike) and not hasattr(file, "write"):
            raise TypeError(f"file must be a path or a binary file, not {type(file).__name__}")
        return Exchange(
            self._save(stale, dc, token, ns, partition),
            d.check,
            lambda head: FileSink(file, d.index(head)),
        )

    @stream
    def stream(
        self,
        token: str | None = None,
        dc: str | None = None,
        stale: bool = False,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> StreamCall[bytes]:
        """``GET /v1/snapshot``, part by part as it comes: the client's kind of stream of bytes.

        ``head`` of the stream has the headers (``X-Consul-Index`` is the
        snapshot's index). ``timeout`` bounds the wait for the answer, then
        each read.
        """
        return StreamCall(
            self._save(stale, dc, token, ns, partition), d.check, Chunks, endless=False
        )

    @exchange
    def restore(
        self,
        snapshot: bytes | str | os.PathLike[str] | IO[bytes],
        token: str | None = None,
        dc: str | None = None,
        *,
        ns: str | None = None,
        partition: str | None = None,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Exchange[bool]:
        """``PUT /v1/snapshot``: replace the datacenter's state with ``snapshot``.

        ``snapshot`` is the archive's bytes (py-consul's way), a path, or a
        binary file open for reading (read from where it stands, left
        open); a path or file is sent as it is read. True once restored.
        ``timeout`` bounds the upload and Consul's restore. A restore is never
        sent twice: after a connection failure, it may or may not have been
        applied.
        """
        if isinstance(snapshot, bytes):
            request = self._request(
                "PUT",
                path("snapshot"),
                token=token,
                dc=dc,
                body=snapshot,
                content_type=CONTENT_TYPE,
                ns=ns,
                partition=partition,
            )
        elif isinstance(snapshot, str | os.PathLike) or hasattr(snapshot, "read"):
            request = self._request(
                "PUT",
                path("snapshot"),
                token=token,
                dc=dc,
                content_type=CONTENT_TYPE,
                ns=ns,
                partition=partition,
            )
            request = dataclasses.replace(request, upload=Upload(snapshot))
        else:
            kind = type(snapshot).__name__
            raise TypeError(f"snapshot must be bytes, a path or a binary file, not {kind}")
        return Exchange(request, d.check, lambda head: Discard(True))
