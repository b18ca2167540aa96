"""No ID or name can make a request reach another endpoint, on any client.

The cases are generated from the endpoint groups: every string argument of
every endpoint (and flow) that ends up in the URL path is found by building
its request with a marker value, then each of those arguments is given
values that would leave its path segment. A new endpoint is covered without
a line here, unless it requires an argument of a type the placeholders below
do not know, or one that takes only a few words, which fails loudly. (An
optional argument that refuses the marker takes only a few words, such as
``consistency``: it is not a name, and is left out.)
"""

from __future__ import annotations

import contextlib
import inspect
import warnings
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

import consul
from consul._endpoint import Group, endpoint, flow
from consul._http import Call, Request, Sleep
from consul.base import ConsulBase

#: Values for required arguments that do not go into the path, by annotation.
PLACEHOLDERS: dict[str, Any] = {
    "str": "placeholder",
    "bool | str": True,
    "bytes | str | None": b"value",
    "list[dict[str, Any]]": [],
    "Coord | dict[str, Any]": {"Vec": [0.0] * 8, "Error": 1.5, "Adjustment": 0.0, "Height": 0.0},
}

#: Valid values of arguments that take one of a few words, by (method, argument).
WORDS = {("Health.state", "name"): "passing", ("AgentChecks.update", "status"): "passing"}

#: Arguments some methods need besides the required ones, to build a request at all.
EXTRA: dict[str, dict[str, Any]] = {"AgentChecks.register": {"ttl": "10s"}}

#: Values that would leave the path segment they are put in.
TRAVERSALS = ["..", ".", "../../kv/pwned", "../../../acl/tokens", "x/../../agent/self", "a/.."]
#: Values that are one segment only if escaped (not for KV keys, which keep their slashes).
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
    if isinstance(built, Call):
        return built.request
    try:
        step = next(built)
    finally:
        built.close()
    return step.request if not isinstance(step, Sleep) else None


def _path_arguments() -> list[Any]:
    """``(attribute path, method, argument, other required arguments)`` of each path argument."""
    found = []
    client = _Recording()
    for names, group in _groups(client):
        for klass in type(group).__mro__:
            for name, attr in vars(klass).items():
                if not isinstance(attr, endpoint | flow):
                    continue
                method = f"{type(group).__name__}.{name}"
                parameters = list(inspect.signature(attr.__wrapped__).parameters.values())[1:]
                required = {
                    p.name: _placeholder(p, method) for p in parameters if p.default is p.empty
                }
                required.update(EXTRA.get(method, {}))
                for parameter in parameters:
                    if parameter.annotation not in ("str", "str | None"):
                        continue
                    marker = WORDS.get((method, parameter.name), f"m4rker-{parameter.name}")
                    arguments = {**required, parameter.name: marker}
                    try:
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore", DeprecationWarning)
                            request = _first_request(attr.__wrapped__(group, **arguments))
                    except ValueError:
                        if parameter.default is parameter.empty:
                            raise  # required: give it a valid value in WORDS (or EXTRA)
                        continue  # an option that takes a few words (consistency=...)
                    if request is not None and "/" + quote(marker) in request.path:
                        others = {k: v for k, v in required.items() if k != parameter.name}
                        words = (method, parameter.name) in WORDS
                        found.append((names, name, parameter.name, others, method, words))
    return found


def _params(arguments: list[Any]) -> list[Any]:
    return [
        pytest.param(names, name, argument, others, id=f"{method}:{argument}")
        for names, name, argument, others, method, _ in arguments
    ]


_FOUND = _path_arguments()
PATH_ARGUMENTS = _params(_FOUND)
#: The path arguments that take any string (not one of a few words).
FREE_ARGUMENTS = _params([found for found in _FOUND if not found[-1]])


def _method(c: Any, names: tuple[str, ...], name: str) -> Any:
    target = c
    for attribute in names:
        target = getattr(target, attribute)
    return target if name == "__call__" else getattr(target, name)


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


@pytest.mark.parametrize(("names", "name", "argument", "others"), PATH_ARGUMENTS)
def test_an_id_cannot_leave_its_path_segment(stub, client, names, name, argument, others):
    c = client(stub, token="s3cr3t-token-value")
    method = _method(c, names, name)
    values = TRAVERSALS if names == ("kv",) else TRAVERSALS + SLASHED
    for value in values:
        with pytest.raises(ValueError, match=argument if names != ("kv",) else "key"):
            method(**others, **{argument: value})
    assert stub.seen == [], "a request was sent"


#: A value that is one segment once escaped (Go decodes ``%25`` back to ``%``).
AWKWARD = "a%2F..%2Fb ?#;"


@pytest.mark.parametrize(("names", "name", "argument", "others"), FREE_ARGUMENTS)
def test_anything_else_is_escaped_into_its_segment(stub, client, names, name, argument, others):
    method = _method(client(stub), names, name)
    # The stub's answer need not make sense to the decoder.
    with contextlib.suppress(consul.ConsulException):
        method(**others, **{argument: AWKWARD})
    assert len(stub.seen) == 1
    segments = stub.seen[0].target.split("?")[0].split("/")
    assert "a%252F..%252Fb%20%3F%23%3B" in segments
