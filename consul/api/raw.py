"""Any endpoint by its path (``client.raw``): Go's ``client.Raw()``.

For an endpoint the client has no method for (a newer Consul's, say): a
``GET`` that returns the JSON answer with its metadata, and a ``PUT`` of a
JSON body. Everything else is as in the other groups: the token only in the
``X-Consul-Token`` header, the client's datacenter and consistency mode, the
whole-call ``timeout``, the path checked and percent-encoded before any I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, Unpack

from .. import _decode as d
from .._endpoint import Group, QueryOptions, endpoint, str_map, string
from .._http import CLIENT_TIMEOUT, Call, CallTimeout, Response, below
from .._meta import Indexed

M = TypeVar("M")

__all__ = ["Raw"]

_PREFIX = "/v1/"


def _path(endpoint: str) -> str:
    """``endpoint`` (``/v1/...``) checked: its parts are sent as they are, each percent-encoded."""
    if not string(endpoint, "endpoint").startswith(_PREFIX) or endpoint == _PREFIX:
        raise ValueError(f"endpoint must be a path below {_PREFIX}: {endpoint!r}")
    if "?" in endpoint or "#" in endpoint:
        raise ValueError(
            f"endpoint must be a path without a query or fragment (give params=): {endpoint!r}"
        )
    return below(_PREFIX[:-1], endpoint[len(_PREFIX) :], "endpoint")


def _params(params: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    return tuple((str_map(params, "params") or {}).items())


def _queried(response: Response) -> Indexed[Any]:
    """The JSON answer; its ``X-Consul-Index`` if it has one (not every endpoint sets it), else 0.

    As Go's ``parseQueryMeta`` (``api/api.go``), which reads the index only
    when the header is there.
    """
    value = d.json(response)
    has_index = response.header("X-Consul-Index") is not None
    return Indexed.of(value, d.index(response) if has_index else 0, response)


class Raw(Group[M]):
    """Any endpoint by its path, as Go's ``client.Raw()`` (``client.raw``)."""

    @endpoint
    def query(
        self,
        endpoint: str,
        params: Mapping[str, str] | None = None,
        token: str | None = None,
        dc: str | None = None,
        consistency: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
        **options: Unpack[QueryOptions],
    ) -> Call[Indexed[Any]]:
        """``GET /v1/<endpoint>``: any read, its JSON answer with its metadata (``Raw.Query``).

        ``endpoint`` is the whole path (``"/v1/catalog/nodes"``): its parts
        may not be empty, ``.`` or ``..``, and each is percent-encoded;
        ``params`` its query parameters. It blocks with ``index`` and
        ``wait``, and takes the query options, as the other reads do.
        Returns ``(index, data)`` (index 0 when the answer has no
        ``X-Consul-Index``); an error status raises as usual.
        """
        request = self._request(
            "GET",
            _path(endpoint),
            _params(params),
            token=token,
            dc=dc,
            consistency=consistency,
            index=index,
            wait=wait,
            read=True,
            **options,
        )
        return Call(request, _queried)

    @endpoint
    def write(
        self,
        endpoint: str,
        body: Any = None,
        params: Mapping[str, str] | None = None,
        token: str | None = None,
        dc: str | None = None,
        *,
        timeout: CallTimeout = CLIENT_TIMEOUT,
    ) -> Call[Any]:
        """``PUT /v1/<endpoint>``: send ``body`` as JSON to any endpoint (Go's ``Raw.Write``).

        ``endpoint`` and ``params`` as for :meth:`query`; ``body`` is
        anything :mod:`json` encodes (None: no body). Returns the decoded
        JSON answer (None for an empty one). A write is never sent twice.
        """
        request = self._request(
            "PUT", _path(endpoint), _params(params), token=token, dc=dc, json_body=body
        )
        return Call(request, d.json)
