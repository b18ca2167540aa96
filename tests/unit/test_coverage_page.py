"""The coverage page's script (``docs/coverage.py``): how it reads and matches operations."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

import consul
from consul._endpoint import Group, endpoint, flow
from consul._http import CLIENT_TIMEOUT, Call, CallTimeout, Flow
from consul.testing.http.mux import Mux
from consul.testing.http.reply import Reply
from consul.testing.http.routes import Route

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "coverage.py"
_spec = importlib.util.spec_from_file_location("coverage_page", SCRIPT)
assert _spec is not None
assert _spec.loader is not None
page = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = page
_spec.loader.exec_module(page)


def operation(verb: str, path: str, go_method: str = "X.Y") -> Any:
    return page.Operation.parse(["api/x.go", go_method, verb, path])


def method(name: str, request: str | None) -> Any:
    """A client method whose docstring would begin with ``request``."""
    return page.Method(name, [name], page.doc_route(f"``{request}``: ..." if request else None))


async def _handler(ctx: Any) -> Reply:
    raise AssertionError("routes are only resolved here, never served")


def mux(*routes: tuple[str, tuple[str, ...]]) -> Mux:
    return Mux(Route(pattern, methods, _handler) for pattern, methods in routes)


class TestParsing:
    def test_query_hints(self):
        assert page.parse_query("keys&separator=&wan=1") == {
            ("keys", None),
            ("separator", None),
            ("wan", "1"),
        }
        assert page.parse_query("") == frozenset()

    def test_braces_expand_in_order(self):
        assert page.expand("/check/{pass,warn}/{a,b}") == [
            "/check/pass/a",
            "/check/pass/b",
            "/check/warn/a",
            "/check/warn/b",
        ]

    def test_a_row(self):
        op = operation("GET|POST", "/v1/discovery-chain/:name?compile-dc=")
        assert op.verbs == ("GET", "POST")
        assert op.paths == (
            page.Pattern(("v1", "discovery-chain", None), frozenset({("compile-dc", None)})),
        )
        assert not op.enterprise

    def test_optional_parts_and_remarks(self):
        op = operation("GET", "/v1/acl/token/:accessor[?expanded=true] (remark)")
        assert op.paths == (
            page.Pattern(("v1", "acl", "token", None), frozenset({("expanded", "true")})),
        )
        assert op.raw_path == "/v1/acl/token/:accessor[?expanded=true] (remark)"

    def test_any_path_has_none(self):
        assert operation("PUT", "(any)").paths == ()

    @pytest.mark.parametrize(
        ("go_method", "enterprise"),
        [
            ("Operator.AreaCreate (ent)", True),
            ("Operator.LicenseReset (ent, deprecated)", True),
            ("ACL.Create (legacy)", False),
            ("Operator.FeatureGateList (very new)", False),
            ("Client.ExportedServices", False),
        ],
    )
    def test_enterprise_rows(self, go_method, enterprise):
        assert operation("GET", "/v1/x", go_method).enterprise is enterprise

    @pytest.mark.parametrize(
        ("row", "message"),
        [
            (["api/x.go", "X.Y", "GET"], "4 columns"),
            (["api/x.go", "X.Y", "get", "/v1/x"], "not a verb"),
            (["api/x.go", "X.Y", "GET", "v1/x"], "not a path"),
        ],
    )
    def test_bad_rows(self, row, message):
        with pytest.raises(page.CoverageError, match=message):
            page.Operation.parse(row)

    def test_the_table_needs_its_header(self):
        with pytest.raises(page.CoverageError, match="must start with"):
            page.read_table("api/x.go\tX.Y\tGET\t/v1/x\n")
        table = "file\tgo_method\thttp_verb\tpath\napi/x.go\tX.Y\tGET\t/v1/x\n"
        assert [op.go_method for op in page.read_table(table)] == ["X.Y"]

    def test_a_docstring_route(self):
        request = page.doc_route("``GET /v1/kv/:key?recurse``: every entry.")
        assert request.verb == "GET"
        assert request.text == "GET /v1/kv/:key?recurse"
        assert page.doc_route("Change the settings. ``GET /v1/x``") is None
        assert page.doc_route(None) is None


class TestClientMatching:
    def test_the_closest_query_wins(self):
        methods = [
            method("kv.get", "GET /v1/kv/:key"),
            method("kv.list", "GET /v1/kv/:prefix?recurse"),
            method("kv.keys", "GET /v1/kv/:prefix?keys"),
        ]
        names = {
            path: [m.name for m in page.match_client(operation("GET", path), methods)]
            for path in ("/v1/kv/:key", "/v1/kv/:p?recurse", "/v1/kv/:p?keys&separator=")
        }
        assert names == {
            "/v1/kv/:key": ["kv.get"],
            "/v1/kv/:p?recurse": ["kv.list"],
            "/v1/kv/:p?keys&separator=": ["kv.keys"],
        }

    def test_a_flag_the_method_takes_is_no_obstacle(self):
        put = method("kv.put", "PUT /v1/kv/:key")
        assert page.match_client(operation("PUT", "/v1/kv/:key?cas="), [put]) == [put]

    def test_a_query_value_must_agree(self):
        json = method("by_id", "GET /v1/agent/health/service/id/:id")
        text = method("status_by_id", "GET /v1/agent/health/service/id/:id?format=text")
        op = operation("GET", "/v1/agent/health/service/id/:id?format=json")
        assert page.match_client(op, [json, text]) == [json]

    def test_a_literal_is_not_any_value(self):
        read = method("token.read", "GET /v1/acl/token/:AccessorID")
        read_self = method("token.read_self", "GET /v1/acl/token/self")
        methods = [read, read_self]
        assert page.match_client(operation("GET", "/v1/acl/token/:accessor"), methods) == [read]
        assert page.match_client(operation("GET", "/v1/acl/token/self"), methods) == [read_self]

    def test_verbs_lengths_and_alternatives(self):
        get = method("get", "GET /v1/x/:id")
        post = method("post", "POST /v1/x/:id")
        deeper = method("deeper", "GET /v1/x/:id/more")
        flow_ = method("flow", None)
        methods = [get, post, deeper, flow_]
        assert page.match_client(operation("GET|POST", "/v1/x/:id"), methods) == [get, post]
        assert page.match_client(operation("PUT", "/v1/x/:id"), methods) == []
        both = operation("GET", "/v1/x/{:a,:b/more}")
        assert page.match_client(both, methods) == [get, deeper]
        assert page.match_client(operation("GET", "(any)"), methods) == []


class TestAgentMatching:
    def test_routes_as_the_mux_resolves_them(self):
        routes = mux(
            ("/v1/acl/token", ("PUT",)),
            ("/v1/acl/token/", ("GET", "PUT", "DELETE")),
            ("/v1/acl/token/self", ("GET",)),
            ("/v1/query/", ()),
        )
        patterns = {
            (verb, path): [r.pattern for r in page.match_agent(operation(verb, path), routes)]
            for verb, path in [
                ("GET", "/v1/acl/token/:accessor"),
                ("PUT", "/v1/acl/token/:accessor/clone"),
                ("GET", "/v1/acl/token/self"),
                ("PUT", "/v1/acl/token"),
                ("GET", "/v1/acl/token"),
                ("POST", "/v1/query/:id/execute"),
                ("GET", "/v1/peerings"),
            ]
        }
        assert patterns == {
            ("GET", "/v1/acl/token/:accessor"): ["/v1/acl/token/"],
            ("PUT", "/v1/acl/token/:accessor/clone"): ["/v1/acl/token/"],
            ("GET", "/v1/acl/token/self"): ["/v1/acl/token/self"],
            ("PUT", "/v1/acl/token"): ["/v1/acl/token"],
            ("GET", "/v1/acl/token"): [],  # the route takes PUT only
            ("POST", "/v1/query/:id/execute"): ["/v1/query/"],  # no methods: any
            ("GET", "/v1/peerings"): [],
        }


class Leaf(Group[Any]):
    @endpoint
    def __call__(self, key: str, *, timeout: CallTimeout = CLIENT_TIMEOUT) -> Call[Any]:
        """``GET /v1/leaf/:key``: one leaf."""
        raise NotImplementedError

    @endpoint
    def delete(self, key: str, *, timeout: CallTimeout = CLIENT_TIMEOUT) -> Call[Any]:
        """``DELETE /v1/leaf/:key``: no more leaf."""
        raise NotImplementedError

    @flow
    def move(self, key: str, *, timeout: CallTimeout = CLIENT_TIMEOUT) -> Flow[Any]:
        """Read the leaf, then write it elsewhere."""
        raise NotImplementedError

    def helper(self) -> None:
        """Not an endpoint: ``GET /v1/nothing``."""


class Tree(Group[Any]):
    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.leaf = Leaf(client)
        self.leaves = self.leaf


class Area(Group[Any]):
    @endpoint
    def read(self, area_id: str, *, timeout: CallTimeout = CLIENT_TIMEOUT) -> Call[Any]:
        """``GET /v1/area/:id``: one area (Enterprise)."""
        raise NotImplementedError


class Client:
    def __init__(self) -> None:
        self.tree = Tree(self)
        self._hidden = Tree(self)


class Undocumented(Group[Any]):
    @endpoint
    def read(self, *, timeout: CallTimeout = CLIENT_TIMEOUT) -> Call[Any]:
        """Read it (no verb, no path)."""
        raise NotImplementedError


class TestClientMethods:
    def test_groups_are_walked(self):
        methods = page.client_methods(Client())
        assert [(m.name, m.aliases) for m in methods] == [
            ("tree.leaf", ["tree.leaf", "tree.leaves"]),
            ("tree.leaf.delete", ["tree.leaf.delete", "tree.leaves.delete"]),
            ("tree.leaf.move", ["tree.leaf.move", "tree.leaves.move"]),
        ]
        assert [m.request and m.request.text for m in methods] == [
            "GET /v1/leaf/:key",
            "DELETE /v1/leaf/:key",
            None,
        ]

    def test_an_endpoint_must_name_its_request(self):
        client = Client()
        client.tree.odd = Undocumented(client)
        with pytest.raises(page.CoverageError, match=r"tree\.odd\.read: its docstring"):
            page.client_methods(client)

    def test_the_real_client(self):
        with consul.Consul() as client:
            methods = {m.name: m for m in page.client_methods(client)}
        assert methods["kv.get"].request.text == "GET /v1/kv/:key"
        assert methods["agent.service"].request.text == "GET /v1/agent/service/:service_id"
        assert methods["acl.token.read"].aliases == ["acl.token.read", "acl.tokens.read"]
        assert methods["acl.create"].request is None

    def test_tested_is_the_longest_name_called(self):
        methods = [
            method("connect.ca.roots", "GET /v1/connect/ca/roots"),
            method("agent.connect.ca.roots", "GET /v1/agent/connect/ca/roots"),
            page.Method("acl.token.read", ["acl.token.read", "acl.tokens.read"], None),
        ]
        page.mark_tested(methods, ["roots = c.agent.connect.ca.roots()\nc.acl.tokens.read(x)"])
        assert [m.tested for m in methods] == [False, True, True]

    def test_a_callable_group_of_the_client_is_tested_by_its_own_name(self):
        called = method("exported_services", "GET /v1/exported-services")
        page.mark_tested([called], ["exported = c.start.exported_services(index=3)"])
        assert called.tested
        other = method("exported_services", "GET /v1/exported-services")
        page.mark_tested([other], ["c.exported(1)"])
        assert not other.tested


class TestRows:
    TABLE = (
        "file\tgo_method\thttp_verb\tpath\n"
        "api/leaf.go\tLeaf.Get\tGET\t/v1/leaf/:key\n"
        "api/leaf.go\tLeaf.Move\tPUT\t/v1/leaf/:key/move\n"
        "api/leaf.go\tLeaf.Delete\tDELETE\t/v1/leaf/:key\n"
        "api/area.go\tArea.List (ent)\tGET\t/v1/area\n"
        "api/area.go\tArea.Get (ent)\tGET\t/v1/area/:id\n"
        "api/raw.go\tRaw.Write\tPUT\t(any)\n"
    )

    def rows(
        self,
        overrides: dict[str, Any],
        sources: tuple[str, ...] = (),
        unserved: frozenset[str] = frozenset(),
    ) -> list[Any]:
        client = Client()
        client.area = Area(client)  # type: ignore[attr-defined]
        methods = page.client_methods(client)
        page.mark_tested(methods, sources)
        routes = mux(("/v1/leaf/", ("GET", "PUT")))
        return page.build_rows(page.read_table(self.TABLE), methods, routes, overrides, unserved)

    def test_statuses_and_notes(self):
        rows = self.rows(
            {"Leaf.Move": (("tree.leaf.move",), "a flow")}, ("c.tree.leaf(k)", "c.area.read(a)")
        )
        assert [(r.operation.go_method, r.status, r.notes) for r in rows] == [
            ("Leaf.Get", "covered", []),
            ("Leaf.Move", "untested", ["a flow"]),
            ("Leaf.Delete", "client only", []),
            ("Area.List (ent)", "missing", [page.ENTERPRISE_NOTE]),
            ("Area.Get (ent)", "covered", [page.ENTERPRISE_NOTE]),
            ("Raw.Write", "missing", [page.ANY_PATH_NOTE]),
        ]
        text = page.render(rows, page.client_methods(Client()), [])
        assert "| `area.read` | 404, as CE | covered |" in text
        assert (
            "| covered | client and agent (one Consul CE does not serve: answered as CE answers "
            "it), tested | 2 | 1 |" in text
        )
        assert "| missing | neither | 2 | 1 |" in text
        assert "| all | | 6 | 2 |" in text

    def test_an_operation_consul_does_not_serve(self):
        rows = self.rows({}, ("c.tree.leaf.delete(k)",), frozenset({"Leaf.Delete"}))
        assert rows[2].status == "covered"  # no DELETE route: 404, as Consul answers
        assert "| `tree.leaf.delete` | 404, as CE | covered |" in page.render(rows, [], [])
        with pytest.raises(page.CoverageError, match=r"not in the table: 'Leaf\.Fly'"):
            self.rows({}, (), frozenset({"Leaf.Fly"}))

    def test_a_method_for_any_path_reaches_every_route(self):
        rows = self.rows({"Raw.Write": (("tree.leaf.delete",), "any")}, ("c.tree.leaf.delete(p)",))
        assert rows[-1].status == "covered"
        assert "| `tree.leaf.delete` | any route | covered |" in page.render(rows, [], [])

    def test_an_agent_only_row(self):
        rows = self.rows({})
        assert rows[1].status == "agent only"  # PUT /v1/leaf/:key/move: no method

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"Leaf.Gone": (("tree.leaf.move",), "")}, "not in the table: 'Leaf.Gone'"),
            ({"Leaf.Move": (("tree.leaf.fly",), "")}, "no client method 'tree.leaf.fly'"),
        ],
    )
    def test_a_bad_override_fails(self, overrides, message):
        with pytest.raises(page.CoverageError, match=message):
            self.rows(overrides)


class TestScript:
    def test_the_real_overrides_and_table_match(self):
        text = page.generate()
        assert text.startswith("# API coverage\n")
        assert "| KV.Get | `GET` | `/v1/kv/:key` | `kv.get` | `/v1/kv/` |" in text

    def test_check_fails_until_written(self, tmp_path, monkeypatch, capsys):
        monkeypatch.setattr(page, "PAGE", tmp_path / "coverage.md")
        assert page.main(["--check"]) == 1
        assert "out of date" in capsys.readouterr().err
        assert page.main([]) == 0
        assert page.main(["--check"]) == 0
        (tmp_path / "coverage.md").write_text("stale\n", encoding="utf-8")
        assert page.main(["--check"]) == 1

    def test_a_bad_table_fails(self, tmp_path, monkeypatch, capsys):
        table = tmp_path / "table.tsv"
        table.write_text("file\tgo_method\thttp_verb\tpath\napi/x.go\tX.Y\tGET\n")
        monkeypatch.setattr(page, "TABLE", table)
        assert page.main(["--check"]) == 1
        assert "a row has 4 columns" in capsys.readouterr().err
