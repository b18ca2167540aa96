"""No ID or name can make a request reach another endpoint, on any client.

The cases are generated from the endpoint groups: every string argument of
every endpoint (and flow) that ends up in the URL path is found by building
its request with a marker value, then each of those arguments is given
values that would leave its place in the path. A new endpoint is covered
without a line here, unless it requires an argument of a type the
placeholders below do not know, or one that takes only a few words, which
fails loudly. (An optional argument that refuses the marker takes only a few
words, such as ``consistency``: it is not a name, and is left out.)

Most arguments are read by Consul as the whole rest of the path and keep
their slashes (a service ID ``scope/name``, a KV key); the ACL IDs and names
must be one segment. Every client is run, the python-consul style one
(``consul.base.Consul`` on an ``http`` object) included.
"""

from __future__ import annotations

import contextlib
import inspect
import warnings
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from harness import ENDPOINT_ADAPTERS

import consul
from consul._endpoint import Group, endpoint, exchange, flow, stream
from consul._http import Call, Request, Sleep
from consul._stream import Exchange, StreamCall
from consul.base import ConsulBase

#: Values for required arguments that do not go into the path, by annotation.
PLACEHOLDERS: dict[str, Any] = {
    "str": "placeholder",
    "bool | str": True,
    "bytes | str | None": b"value",
    "list[dict[str, Any]]": [],
    "Coord | dict[str, Any]": {"Vec": [0.0] * 8, "Error": 1.5, "Adjustment": 0.0, "Height": 0.0},
    "str | os.PathLike[str] | IO[bytes]": "snapshot.snap",
    "bytes | str | os.PathLike[str] | IO[bytes]": b"snapshot",
    "Sequence[ACLAuthorizationRequest]": [],
    "Sequence[str]": ["10.0.0.1"],
    "bool": True,
    "Mapping[str, Any]": {"Kind": "service-defaults", "Name": "web"},
}

#: Valid values of arguments that take one of a few words, by (method, argument).
WORDS = {
    ("Health.state", "name"): "passing",
    ("AgentChecks.update", "status"): "passing",
    ("ConnectIntentions.match", "by"): "source",
    ("ConnectIntentions.match", "names"): "web",
    ("ConnectIntentions.create", "action"): "allow",
    ("ConnectIntentions.update", "action"): "allow",
    # A whole path by design: its own checks are in tests/api/test_raw.py.
    ("Raw.query", "endpoint"): "/v1/kv/k",
    ("Raw.write", "endpoint"): "/v1/kv/k",
}

#: Arguments some methods need besides the required ones, to build a request at all.
EXTRA: dict[str, dict[str, Any]] = {
    "AgentChecks.register": {"ttl": "10s"},
    "Query.update": {"service": "web"},
}

#: Values that would leave the path segment they are put in.
TRAVERSALS = ["..", ".", "../../kv/pwned", "../../../acl/tokens", "x/../../agent/self", "a/.."]
#: Values refused where an argument must be one path segment (ACL IDs and names).
SLASHED = ["a/b", "self/clone", "/", "x/"]


class _Recorder:
    """A runner that hands back what it is given."""

    def run(self, call: Any) -> Any:
        return call

    def run_flow(self, flow: Any) -> Any:
        return flow


class _Recording(ConsulBase[Any]):
    def _make_runner(self, config: Any) -> _Recorder:
        return _Recorder()


def _groups(client: ConsulBase[Any]) -> Iterator[tuple[tuple[str, ...], Group[Any]]]:
    """Every group of ``client`` (once, under its first name) and its attribute path."""
    seen: set[int] = set()

    def walk(group: Group[Any], names: tuple[str, ...]) -> Iterator[Any]:
        if id(group) in seen:
            return
        seen.add(id(group))
        yield names, group
        for name, value in vars(group).items():
            if isinstance(value, Group) and not name.startswith("_"):
                yield from walk(value, (*names, name))

    for name, value in vars(client).items():
        if isinstance(value, Group):
            yield from walk(value, (name,))


def _placeholder(parameter: inspect.Parameter, method: str) -> Any:
    if (method, parameter.name) in WORDS:
        return WORDS[method, parameter.name]
    if parameter.annotation not in PLACEHOLDERS:
        raise AssertionError(
            f"{method}({parameter.name}: {parameter.annotation}): add a placeholder for this type"
        )
    return PLACEHOLDERS[parameter.annotation]


def _first_request(built: Any) -> Request | None:
    """The request of a call, or of a flow's first call."""
    if isinstance(built, Call | StreamCall | Exchange):
        return built.request
    try:
        step = next(built)
    finally:
        built.close()
    return step.request if not isinstance(step, Sleep) else None


def _build(attr: Any, group: Group[Any], arguments: dict[str, Any]) -> Request | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return _first_request(attr.__wrapped__(group, **arguments))


def _path_arguments() -> list[tuple[Any, ...]]:
    """Each path argument: attribute path, method, argument, other arguments, id, kind.

    The kind is "words" (one of a few), "tail" (the rest of the path, where a
    ``/`` is kept: Consul reads the value back whole) or "segment".
    """
    found = []
    client = _Recording()
    for names, group in _groups(client):
        for klass in type(group).__mro__:
            for name, attr in vars(klass).items():
                if not isinstance(attr, endpoint | flow | stream | exchange):
                    continue
                method = f"{klass.__name__}.{name}"  # where it is defined
                # **options (typed keyword arguments) are no path argument.
                parameters = [
                    p
                    for p in list(inspect.signature(attr.__wrapped__).parameters.values())[1:]
                    if p.kind is not p.VAR_KEYWORD
                ]
                required = {
                    p.name: _placeholder(p, method) for p in parameters if p.default is p.empty
                }
                required.update(EXTRA.get(method, {}))
                for parameter in parameters:
                    if parameter.annotation not in ("str", "str | None"):
                        continue
                    marker = WORDS.get((method, parameter.name), f"m4rker-{parameter.name}")
                    try:
                        request = _build(attr, group, {**required, parameter.name: marker})
                    except ValueError:
                        if parameter.default is parameter.empty:
                            raise  # required: give it a valid value in WORDS (or EXTRA)
                        continue  # an option that takes a few words (consistency=...)
                    if request is None or "/" + quote(marker) not in request.path:
                        continue
                    kind = "words" if (method, parameter.name) in WORDS else "segment"
                    with contextlib.suppress(ValueError):
                        slashed = f"{marker}/x"
                        request = _build(attr, group, {**required, parameter.name: slashed})
                        if request is not None and "/" + quote(slashed) in request.path:
                            kind = "tail"
                    others = {k: v for k, v in required.items() if k != parameter.name}
                    found.append((names, name, parameter.name, others, method, kind, request))
    return found


def _params(found: list[tuple[Any, ...]], *kinds: str) -> list[Any]:
    return [
        pytest.param(names, name, argument, others, id=f"{method}:{argument}")
        for names, name, argument, others, method, kind, _ in found
        if kind in kinds
    ]


#: Every client, the python-consul style one included.
every_client = pytest.mark.parametrize("adapter", ENDPOINT_ADAPTERS)

_FOUND = _path_arguments()
PATH_ARGUMENTS = _params(_FOUND, "segment", "tail", "words")
#: The arguments that must be one path segment.
SEGMENTS = _params(_FOUND, "segment")
#: The arguments that take any string (not one of a few words).
FREE_ARGUMENTS = _params(_FOUND, "segment", "tail")


def _method(c: Any, names: tuple[str, ...], name: str) -> Any:
    target = c
    for attribute in names:
        target = getattr(target, attribute)
    return target if name == "__call__" else getattr(target, name)


@every_client
def test_a_token_is_not_read_as_self(stub, client):
    # GET /v1/acl/token/self is another endpoint: the caller's own token.
    with pytest.raises(ValueError, match="read_self"):
        client(stub).acl.token.read("self")
    assert stub.seen == []


def test_the_endpoints_were_found():
    # A guard for the generator itself: these are known path arguments.
    ids = {p.id for p in PATH_ARGUMENTS}
    for expected in (
        "Event.fire:name",
        "AgentServices.deregister:service_id",
        "AgentServices.__call__:service_id",
        "Session.info:session_id",
        "Token.read:accessor_id",
        "Token.update:accessor_id",
        "KV.put:key",
        "Health.state:name",
        "Catalog.node:node",
    ):
        assert expected in ids
    assert len(ids) >= 40


@every_client
@pytest.mark.parametrize(("names", "name", "argument", "others"), PATH_ARGUMENTS)
def test_an_id_cannot_leave_its_path_segment(stub, client, names, name, argument, others):
    c = client(stub, token="s3cr3t-token-value")
    method = _method(c, names, name)
    for value in TRAVERSALS:
        with pytest.raises(ValueError, match=rf"\b({argument}|key)\b"):
            method(**others, **{argument: value})
    assert stub.seen == [], "a request was sent"


@every_client
@pytest.mark.parametrize(("names", "name", "argument", "others"), SEGMENTS)
def test_a_slash_is_refused_where_consul_gives_it_a_meaning(
    stub, client, names, name, argument, others
):
    method = _method(client(stub), names, name)
    for value in SLASHED:
        with pytest.raises(ValueError, match=argument):
            method(**others, **{argument: value})
    assert stub.seen == []


def test_a_slash_is_kept_only_at_the_end_of_the_path():
    # An argument that keeps its slashes is the rest of the path, which is
    # how Consul's handler reads it (strings.TrimPrefix): nothing may follow.
    for _, _, argument, _, method, kind, request in _FOUND:
        if kind == "tail":
            assert request.path.endswith(f"/m4rker-{argument}/x"), method
    # These must stay single segments (agent/acl_endpoint.go, http_register.go).
    segments = {method for _, _, _, _, method, kind, _ in _FOUND if kind == "segment"}
    for method in ("Token.read", "Token.update", "Token.clone", "Policy.read", "Role.read"):
        assert method in segments


#: A value that is one segment once escaped (Go decodes ``%25`` back to ``%``).
AWKWARD = "a%2F..%2Fb ?#;"


@every_client
@pytest.mark.parametrize(("names", "name", "argument", "others"), FREE_ARGUMENTS)
def test_anything_else_is_escaped_into_its_segment(stub, client, names, name, argument, others):
    method = _method(client(stub), names, name)
    # The stub's answer need not make sense to the decoder.
    with contextlib.suppress(consul.ConsulException):
        method(**others, **{argument: AWKWARD})
    assert len(stub.seen) == 1
    segments = stub.seen[0].target.split("?")[0].split("/")
    assert "a%252F..%252Fb%20%3F%23%3B" in segments


#: The arguments Consul reads as the rest of the path.
TAILS = _params(_FOUND, "tail")


@every_client
@pytest.mark.parametrize(("names", "name", "argument", "others"), TAILS)
def test_a_slash_is_sent_where_consul_reads_the_rest_of_the_path(
    stub, client, names, name, argument, others
):
    # Patroni's service IDs are "scope/name"; Consul reads them back whole.
    method = _method(client(stub), names, name)
    with contextlib.suppress(consul.ConsulException):
        method(**others, **{argument: "scope/pg 0"})
    assert len(stub.seen) == 1
    assert stub.seen[0].target.split("?")[0].endswith("/scope/pg%200")
