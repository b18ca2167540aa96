"""Write ``docs/coverage.md``: Consul's HTTP API against the client and the embedded agent.

Every operation of the Go client (``docs/endpoints-go-api.tsv``: its file,
method, verb and path) is matched, from the code, to:

- the client's endpoint methods, found by walking the groups of a client
  (``consul.Consul()``) and reading the verb and path that begin each
  method's docstring (``GET /v1/kv/:key``), or named by :data:`OVERRIDES`
  where a docstring cannot show it (a flow of several requests);
- the embedded agent's routes (``consul.testing.http.endpoints.all_routes``),
  resolved as the agent's own ServeMux resolves a request;
- the tests: a method is tested if ``tests/api`` or ``tests/adapters`` (the
  client against the embedded agent) call it by name.

``python docs/coverage.py`` rewrites the page; ``--check`` (run by ``nox -s
docs``) fails if the committed page differs from what it would write, and
both fail on a row of the table they cannot read, an endpoint method whose
docstring names no request, or an override naming an operation or a method
that does not exist.
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import consul
from consul._endpoint import Group, _Bound, flow
from consul.testing.http.endpoints import all_routes
from consul.testing.http.mux import Mux
from consul.testing.http.routes import Route

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "docs" / "endpoints-go-api.tsv"
PAGE = ROOT / "docs" / "coverage.md"
#: The tests that run the client against the embedded agent.
TESTS = (ROOT / "tests" / "api", ROOT / "tests" / "adapters")

#: Operations the docstrings cannot match: Go method (as in the table) ->
#: (the client methods that do it, a note for the page).
OVERRIDES: dict[str, tuple[tuple[str, ...], str]] = {
    "Operator.AutopilotSetConfiguration": (
        ("operator.update_autopilot_configuration",),
        "a read, then a write with `?cas=` (only the settings given change)",
    ),
    "Operator.AutopilotCASConfiguration": (
        ("operator.update_autopilot_configuration",),
        "its `cas` argument",
    ),
    "Agent.Update{Default,Agent,AgentRecovery,AgentMaster,Replication,"
    "ConfigFileRegistration,DNS}ACLToken": (
        (
            "agent.token.set",
            "agent.token.set_default",
            "agent.token.set_agent",
            "agent.token.set_agent_recovery",
            "agent.token.set_replication",
            "agent.token.set_config_file_service_registration",
            "agent.token.set_dns",
        ),
        "`set` takes the token's name; the others name it themselves",
    ),
    "Operator.LicenseGet/LicenseGetSigned (ent)": (
        ("operator.license_get", "operator.license_get_signed"),
        "two methods, as in Go: `license_get_signed` asks `?signed=1`",
    ),
    **{
        f"Operator.FeatureGate{go} (very new)": (
            (f"operator.feature_gate_{go.lower()}",),
            "no Consul release serves it yet, 1.22 included (not in `agent/http_register.go`)",
        )
        for go in ("List", "Get", "Set")
    },
    "Client.ImportedServices": (
        ("imported_services.list",),
        "no Consul release serves it yet, 1.22 included (not in `agent/http_register.go`)",
    ),
    "Raw.Query/QueryRaw": (("raw.query",), "the whole path is its argument"),
    "Raw.Write": (("raw.write",), "the whole path is its argument"),
    "Internal.AssignServiceVirtualIP": (
        ("internal.assign_service_virtual_ip",),
        "the embedded agent does not serve it: it models no virtual IPs",
    ),
    **{
        f"ACL.{go} (legacy)": (
            (f"acl.{go.lower()}",),
            "Consul 1.11 removed the endpoint (not in `agent/http_register.go`); "
            "the client does it with tokens and policies",
        )
        for go in ("Create", "Update", "Destroy", "Clone", "Info", "List")
    },
}

#: Operations of the Go client that Consul (CE, 1.22 included) does not serve:
#: no route in ``agent/http_register.go``, so ``HTTPHandlers.Index`` answers
#: 404 (``agent/http.go``). The embedded agent answers them the same way.
NOT_SERVED_BY_CONSUL = frozenset(
    {
        *(f"Operator.FeatureGate{go} (very new)" for go in ("List", "Get", "Set")),
        "Client.ImportedServices",
        *(f"ACL.{go} (legacy)" for go in ("Create", "Update", "Destroy", "Clone", "Info", "List")),
    }
)

#: How Consul CE answers an Enterprise endpoint: it registers no route for it
#: (``agent/http_register.go``), so ``HTTPHandlers.Index`` answers
#: (``agent/http.go``).
ENTERPRISE_NOTE = (
    "Enterprise: CE answers 404 `Invalid URL path: not a recognized HTTP API endpoint`"
)
#: The note of a row of no one path (Go's ``Raw`` requests).
ANY_PATH_NOTE = "any path: not one endpoint"

#: What a ``:name`` segment becomes in the path the agent's router is asked about.
SAMPLE_SEGMENT = "sample"

#: A client docstring's first words: ``VERB /path?query``.
_DOC_ROUTE = re.compile(r"``(GET|PUT|POST|DELETE|HEAD|PATCH) (/[^`\s]*)``")
#: A dotted name in the tests (``c.agent.connect.ca.roots``).
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")


class CoverageError(Exception):
    """The table, the overrides or the code cannot be matched as they are."""


#: A query hint: a parameter and its value (None: any value).
Query = frozenset[tuple[str, str | None]]


def parse_query(text: str) -> Query:
    """The parameters of ``a&b=&c=1``: ``{("a", None), ("b", None), ("c", "1")}``."""
    items: set[tuple[str, str | None]] = set()
    for part in text.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        items.add((key, value or None))
    return frozenset(items)


@dataclass(frozen=True)
class Pattern:
    """A path with its ``:name`` segments as wildcards, and the query it hints at."""

    segments: tuple[str | None, ...]
    query: Query

    @classmethod
    def parse(cls, text: str) -> Pattern:
        """``/v1/kv/:key?recurse`` -> ``("v1", "kv", None)`` and ``{("recurse", None)}``."""
        path, _, query = text.partition("?")
        if not path.startswith("/"):
            raise CoverageError(f"not a path: {text!r}")
        segments = tuple(
            None if segment.startswith(":") else segment for segment in path[1:].split("/")
        )
        return cls(segments, parse_query(query))

    def sample(self) -> str:
        """A concrete path of this shape, each wildcard being :data:`SAMPLE_SEGMENT`."""
        return "/" + "/".join(SAMPLE_SEGMENT if s is None else s for s in self.segments)


def expand(text: str) -> list[str]:
    """The alternatives of ``{a,b}`` in ``text`` (``/check/{pass,fail}/:id``), in order."""
    match = re.search(r"\{([^{}]*)\}", text)
    if match is None:
        return [text]
    return [
        expanded
        for choice in match.group(1).split(",")
        for expanded in expand(text[: match.start()] + choice + text[match.end() :])
    ]


@dataclass(frozen=True)
class Operation:
    """One row of the table: an operation of Consul's Go client."""

    file: str
    go_method: str
    verbs: tuple[str, ...]
    #: The path column as the table writes it.
    raw_path: str
    #: The paths it may take (several for ``{a,b}``); none for ``(any)``.
    paths: tuple[Pattern, ...]
    enterprise: bool

    @classmethod
    def parse(cls, row: Sequence[str]) -> Operation:
        """One row: file, Go method, verb(s) (``GET|POST``) and path."""
        if len(row) != 4:
            raise CoverageError(f"a row has 4 columns, not {len(row)}: {row!r}")
        file, go_method, verb, raw_path = row
        verbs = tuple(verb.split("|"))
        if not all(re.fullmatch(r"[A-Z]+", v) for v in verbs):
            raise CoverageError(f"{go_method}: not a verb: {verb!r}")
        # A remark may follow the path: "/v1/agent/service/:id (hash blocking)".
        path = raw_path.partition(" ")[0]
        paths: tuple[Pattern, ...] = ()
        if path != "(any)":
            # "[?expanded=true]": an optional query hint, a hint all the same.
            plain = path.replace("[", "").replace("]", "")
            paths = tuple(Pattern.parse(alternative) for alternative in expand(plain))
        notes = re.findall(r"\(([^)]*)\)", go_method)
        enterprise = any("ent" in re.split(r",\s*", note) for note in notes)
        return cls(file, go_method, verbs, raw_path, paths, enterprise)


def read_table(text: str) -> list[Operation]:
    """The operations of the table's text, after its header line."""
    lines = text.splitlines()
    if not lines or lines[0].split("\t") != ["file", "go_method", "http_verb", "path"]:
        raise CoverageError("the table must start with: file, go_method, http_verb, path")
    return [Operation.parse(line.split("\t")) for line in lines[1:] if line]


@dataclass(eq=False)
class Method:
    """One endpoint method of the client (equal only to itself)."""

    #: Its name from the client (``agent.connect.ca.roots``); the first of its aliases.
    name: str
    #: Every name it has (``acl.token.read``, ``acl.tokens.read``).
    aliases: list[str]
    #: Its request from its docstring; None if the docstring names none (a flow).
    request: Request | None
    tested: bool = False


@dataclass(frozen=True)
class Request:
    """The verb and path an endpoint method's docstring begins with."""

    verb: str
    path: Pattern
    #: As the docstring writes it (``GET /v1/kv/:key``).
    text: str


def doc_route(doc: str | None) -> Request | None:
    """The request an endpoint's docstring begins with, or None."""
    match = _DOC_ROUTE.match((doc or "").strip())
    if match is None:
        return None
    return Request(match.group(1), Pattern.parse(match.group(2)), f"{match[1]} {match[2]}")


def client_methods(client: object) -> list[Method]:
    """Every endpoint method of ``client``'s groups, nested groups included.

    A group reachable under two names (``acl.token``, ``acl.tokens``) gives
    its methods once, under the first name, with both as aliases. Only a
    flow (several requests) may have a docstring that names no request.
    """
    methods: dict[tuple[int, int], Method] = {}

    def walk(obj: object, prefix: str, seen: frozenset[int]) -> None:
        for name in dir(type(obj)):
            if name.startswith("_") and name != "__call__":
                continue
            attr = inspect.getattr_static(obj, name)
            if not isinstance(attr, _Bound):
                continue
            # A callable group (``agent.service(service_id)``) is its own name.
            full = prefix[:-1] if name == "__call__" else f"{prefix}{name}"
            # One method of one group object, whatever name reached it.
            key = (id(obj), id(attr))
            if key in methods:
                methods[key].aliases.append(full)
                continue
            request = doc_route(attr.__doc__)
            if request is None and not isinstance(attr, flow):
                raise CoverageError(f"{full}: its docstring does not begin with ``VERB /path``")
            methods[key] = Method(full, [full], request)
        for name, value in vars(obj).items():
            if not name.startswith("_") and isinstance(value, Group) and id(value) not in seen:
                walk(value, f"{prefix}{name}.", seen | {id(value)})

    walk(client, "", frozenset())
    return sorted(methods.values(), key=lambda method: method.name)


def mark_tested(methods: Iterable[Method], sources: Iterable[str]) -> None:
    """Set ``tested`` on each method that ``sources`` call by one of its names.

    A dotted name of the sources (``c.agent.connect.ca.roots``) names the
    method of its longest suffix that is a method's name
    (``agent.connect.ca.roots``, not ``connect.ca.roots``); a callable
    group of the client itself is named by its last part
    (``c.exported_services``).
    """
    by_name = {alias: method for method in methods for alias in method.aliases}
    for source in sources:
        for dotted in _DOTTED.findall(source):
            parts = dotted.split(".")
            for start in range(len(parts)):
                method = by_name.get(".".join(parts[start:]))
                if method is not None:
                    method.tested = True
                    break


def path_score(operation: Pattern, method: Pattern) -> tuple[int, int] | None:
    """How closely a method's path and query fit an operation's, or None if they do not.

    Segment by segment, a literal of the operation takes the same literal
    or a wildcard; a wildcard of the operation only a wildcard (a method of
    ``/v1/acl/token/self`` does not read any token). Every query parameter
    of the method must be among the operation's hints, with the same value
    if both give one (``format=text`` is not ``format=json``). The closest
    fit has the most literals in common, then the most query parameters.
    """
    if len(operation.segments) != len(method.segments):
        return None
    literals = 0
    for want, have in zip(operation.segments, method.segments, strict=True):
        if want is None and have is not None:
            return None
        if want is not None and have is not None:
            if want != have:
                return None
            literals += 1
    hints = dict(operation.query)
    for key, value in method.query:
        if key not in hints:
            return None
        hinted = hints[key]
        if value is not None and hinted is not None and value != hinted:
            return None
    return literals, len(method.query)


def match_client(operation: Operation, methods: Sequence[Method]) -> list[Method]:
    """The client methods that do ``operation``: the closest fits of each verb and path."""
    found: list[Method] = []
    for verb in operation.verbs:
        for path in operation.paths:
            scored = [
                (score, method)
                for method in methods
                if method.request is not None
                and method.request.verb == verb
                and (score := path_score(path, method.request.path)) is not None
            ]
            if scored:
                best = max(score for score, _ in scored)
                found += [method for score, method in scored if score == best]
    return list(dict.fromkeys(found))


def match_agent(operation: Operation, mux: Mux) -> list[Route]:
    """The agent's routes that answer ``operation``'s verbs on its paths."""
    found: list[Route] = []
    for path in operation.paths:
        sample = path.sample()
        route, _ = mux.resolve(sample, sample)
        if route is None:
            continue
        if not route.methods or any(verb in route.methods for verb in operation.verbs):
            found.append(route)
    return list(dict.fromkeys(found))


#: The statuses, in the order of the summary.
STATUSES = ("covered", "untested", "client only", "agent only", "missing")
STATUS_TEXT = {
    "covered": "client and agent (one Consul CE does not serve: answered as CE answers it), tested",
    "untested": (
        "client and agent (one Consul CE does not serve: answered as CE answers it), "
        "not called by the tests"
    ),
    "client only": "the client has it, the embedded agent does not answer it",
    "agent only": "the embedded agent answers it, the client has no method for it",
    "missing": "neither",
}


@dataclass
class Row:
    """One operation and what covers it."""

    operation: Operation
    methods: list[Method]
    routes: list[Route]
    notes: list[str] = field(default_factory=list)
    #: Consul CE does not serve it (an Enterprise operation, or one of
    #: :data:`NOT_SERVED_BY_CONSUL`).
    unserved: bool = False

    @property
    def answered_as_ce(self) -> bool:
        """One Consul CE does not serve, and neither does the agent: both answer 404."""
        return self.unserved and not self.routes

    @property
    def status(self) -> str:
        """One of :data:`STATUSES`."""
        if self.methods and (self.routes or self.answered_as_ce or not self.operation.paths):
            return "covered" if all(m.tested for m in self.methods) else "untested"
        if self.methods:
            return "client only"
        return "agent only" if self.routes else "missing"


def build_rows(
    table: Sequence[Operation],
    methods: Sequence[Method],
    mux: Mux,
    overrides: dict[str, tuple[tuple[str, ...], str]],
    unserved: frozenset[str] = frozenset(),
) -> list[Row]:
    """Match every operation of ``table``; fail on an override that matches nothing.

    ``unserved`` names the operations Consul CE does not serve besides the
    Enterprise ones.
    """
    by_name = {alias: method for method in methods for alias in method.aliases}
    go_methods = {operation.go_method for operation in table}
    for go_method in sorted(unserved - go_methods):
        raise CoverageError(
            f"an operation not served by Consul that is not in the table: {go_method!r}"
        )
    for go_method, (names, _) in overrides.items():
        if go_method not in go_methods:
            raise CoverageError(f"override of an operation not in the table: {go_method!r}")
        for name in names:
            if name not in by_name:
                raise CoverageError(f"override of {go_method!r}: no client method {name!r}")
    rows: list[Row] = []
    for operation in table:
        override = overrides.get(operation.go_method)
        notes: list[str] = []
        if override is not None:
            found = [by_name[name] for name in override[0]]
            notes.append(override[1])
        else:
            found = match_client(operation, methods)
        if not operation.paths:
            notes.append(ANY_PATH_NOTE)
        if operation.enterprise:
            notes.append(ENTERPRISE_NOTE)
        rows.append(
            Row(
                operation,
                found,
                match_agent(operation, mux),
                notes,
                operation.enterprise or operation.go_method in unserved,
            )
        )
    return rows


def _cell(text: str) -> str:
    """Text for a table cell: its ``|`` escaped."""
    return text.replace("|", "\\|")


def _code(text: str) -> str:
    return f"`{text}`"


def render(rows: Sequence[Row], methods: Sequence[Method], routes: Sequence[Route]) -> str:
    """The page."""
    counts = Counter(row.status for row in rows)
    enterprise = Counter(row.status for row in rows if row.operation.enterprise)
    out = [
        "# API coverage",
        "",
        "<!-- Written by docs/coverage.py from the code: do not edit by hand. -->",
        "",
        "Every operation of Consul's Go client (`api/*.go`, listed in",
        "`docs/endpoints-go-api.tsv`) against this project: the client's method that",
        "sends it (matched by the verb and path its docstring begins with), the",
        "embedded agent's route that answers it (`consul.testing`), and whether the",
        "tests call the method (`tests/api` and `tests/adapters`: the client against",
        "the embedded agent). An Enterprise operation's notes say how Consul CE",
        "answers it. `nox -s docs` fails when this page is out of date;",
        "`python docs/coverage.py` (with `consul-client[all]` installed) rewrites it.",
        "",
        "| status | meaning | operations | of them Enterprise |",
        "|---|---|---|---|",
    ]
    for status in STATUSES:
        out.append(
            f"| {status} | {STATUS_TEXT[status]} | {counts[status]} | {enterprise[status]} |"
        )
    out.append(f"| all | | {len(rows)} | {sum(enterprise.values())} |")
    files = list(dict.fromkeys(row.operation.file for row in rows))
    for file in files:
        out += [
            "",
            f"## {file}",
            "",
            "| Go method | verb | path | client | agent | status | notes |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in rows:
            if row.operation.file != file:
                continue
            cells = [
                row.operation.go_method,
                _code("|".join(row.operation.verbs)),
                _code(row.operation.raw_path),
                "<br>".join(
                    _code(method.name) + ("" if method.tested else " (untested)")
                    for method in row.methods
                ),
                "<br>".join(_code(r.pattern) for r in row.routes)
                or ("404, as CE" if row.answered_as_ce else "")
                or ("any route" if not row.operation.paths and row.methods else ""),
                row.status,
                "; ".join(row.notes),
            ]
            out.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    used = {method for row in rows for method in row.methods}
    extra = [method for method in methods if method not in used]
    out += [
        "",
        "## Beyond the Go client",
        "",
        "Client methods that no operation above matched (the Go client has no such",
        "call, or it is a variant of one):",
        "",
        "| client | request |",
        "|---|---|",
    ]
    for method in extra:
        request = _code(method.request.text) if method.request else "several (see its docstring)"
        out.append(f"| {_cell(_code(method.name))} | {_cell(request)} |")
    reached = {id(route) for row in rows for route in row.routes}
    out += [
        "",
        "Routes of the embedded agent that no operation above reached:",
        "",
        "| route | methods |",
        "|---|---|",
    ]
    for route in routes:
        if id(route) not in reached:
            methods_text = ", ".join(route.methods) or "any"
            out.append(f"| {_code(route.pattern)} | {methods_text} |")
    return "\n".join(out) + "\n"


def read_sources(directories: Iterable[Path]) -> Iterator[str]:
    """The text of every module under ``directories``."""
    for directory in directories:
        for module in sorted(directory.rglob("*.py")):
            yield module.read_text(encoding="utf-8")


def generate() -> str:
    """The page, from the table, the client, the agent and the tests."""
    table = read_table(TABLE.read_text(encoding="utf-8"))
    with consul.Consul() as client:
        methods = client_methods(client)
    mark_tested(methods, read_sources(TESTS))
    routes = all_routes()
    rows = build_rows(table, methods, Mux(routes), OVERRIDES, NOT_SERVED_BY_CONSUL)
    return render(rows, methods, routes)


def main(argv: Sequence[str] | None = None) -> int:
    """Write the page, or with ``--check`` fail if it differs from what would be written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail if the page is out of date")
    args = parser.parse_args(argv)
    try:
        page = generate()
    except CoverageError as error:
        print(f"docs/coverage.py: {error}", file=sys.stderr)
        return 1
    if args.check:
        current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
        if current != page:
            print("docs/coverage.md is out of date: run `python docs/coverage.py`", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(page, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
