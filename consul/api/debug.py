"""Go runtime profiles of the agent: ``/debug/pprof/*`` (Consul's Go client: ``Debug``).

An agent serves them when ``enable_debug`` is set (a dev agent's default),
or when ACLs are on; they need ``operator:read``. Each method returns the
profile's bytes as Go's ``net/http/pprof`` writes them (gzip'd protobuf, for
``go tool pprof``). A profile taken over ``seconds`` is answered once they
have passed: the call's ``timeout`` starts counting after them.
"""

from __future__ import annotations

import dataclasses
from typing import TypeVar
from urllib.parse import quote

from .. import _decode as d
from .._endpoint import Group, exchange, optional_int
from .._http import CLIENT_TIMEOUT, CallTimeout, path_segment
from .._stream import BytesSink, Exchange

M = TypeVar("M")

__all__ = ["Debug"]


class Debug(Group[M]):
    """The agent's Go profiles (``client.debug``)."""

    def _profile(self, name: str, seconds: int | None, token: str | None) -> Exchange[bytes]:
        params = []
        if optional_int(seconds, "seconds") is not None:
            if (seconds or 0) < 1:
                raise ValueError(f"seconds must be at least 1, not {seconds}")
            params.append(("seconds", str(seconds)))
        target = "/debug/pprof/" + quote(path_segment(name, "name"), safe="")
        request = self._request("GET", target, params, token=token, dc="")
        if seconds:
            # The agent answers once the profile is taken: wait for it.
            request = dataclasses.replace(request, wait=float(seconds))
        return Exchange(request, d.check, lambda head: BytesSink())

    @exchange
    def heap(
        self, token: str | None = None, *, timeout: CallTimeout = CLIENT_TIMEOUT
    ) -> Exchange[bytes]:
        """``GET /debug/pprof/heap``: the heap profile."""
        return self._profile("heap", None, token)

    @exchange
    def goroutine(
        self, token: str | None = None, *, timeout: CallTimeout = CLIENT_TIMEOUT
    ) -> Exchange[bytes]:
        """``GET /debug/pprof/goroutine``: the stacks of every goroutine."""
        return self._profile("goroutine", None, token)

    @exchange
    def profile(
        self, seconds: int = 30, token: str | None = None, *, timeout: CallTimeout = CLIENT_TIMEOUT
    ) -> Exchange[bytes]:
        """``GET /debug/pprof/profile?seconds=``: a CPU profile over ``seconds``."""
        return self._profile("profile", seconds, token)

    @exchange
    def trace(
        self, seconds: int = 1, token: str | None = None, *, timeout: CallTimeout = CLIENT_TIMEOUT
    ) -> Exchange[bytes]:
        """``GET /debug/pprof/trace?seconds=``: an execution trace over ``seconds``."""
        return self._profile("trace", seconds, token)

    @exchange
    def pprof(
        self,
        name: str,
        seconds: int | None = None,
        token: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Exchange[bytes]:
        """``GET /debug/pprof/:name``: the profile ``name`` (``allocs``, ``block``...)."""
        return self._profile(name, seconds, token)
