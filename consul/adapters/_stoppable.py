"""Aborting a ``requests`` call from another thread (the blocking clients' ``stop()``).

``requests`` has no way to cancel a call under way, so a flow that can be
stopped (a watch, a lock's monitor) sends its requests on a session of its
own whose connections note themselves with the flow's
:class:`~consul.adapters._drive.Stopper` while a call runs (:func:`stopping`).
Stopping shuts the socket down, which ends the blocked read at once; the
session being private, no other call can be using that socket.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import socket
from collections.abc import Iterator
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ._drive import Stopper

__all__ = ["abortable", "stopping"]

#: The stopper of the flow whose call runs in this thread.
_STOPPER: contextvars.ContextVar[Stopper | None] = contextvars.ContextVar(
    "consul_stopper", default=None
)


def _shut(connection: HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        # socket.socket's own shutdown, also under TLS: SSLSocket.shutdown
        # would drop the TLS state the reading thread is using.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _note(connection: HTTPConnection) -> None:
    stopper = _STOPPER.get()
    if stopper is not None:
        stopper.abortable(functools.partial(_shut, connection))


class _Connection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _note(self)  # again: a stop between request() and here found no socket

    def request(self, *args: Any, **kwargs: Any) -> None:
        _note(self)
        super().request(*args, **kwargs)


class _TLSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _note(self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _note(self)
        super().request(*args, **kwargs)


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _TLSConnection


def abortable(session: requests.Session) -> requests.Session:
    """Make ``session``'s connections abortable by the stopper of the call they serve."""
    for adapter in session.adapters.values():
        if isinstance(adapter, HTTPAdapter):
            adapter.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}
    return session


@contextlib.contextmanager
def stopping(stopper: Stopper) -> Iterator[None]:
    """Run a call (on an :func:`abortable` session) that ``stopper`` may abort."""
    token = _STOPPER.set(stopper)
    try:
        yield
    finally:
        _STOPPER.reset(token)
        stopper.settled()
