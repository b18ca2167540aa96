"""Intentions and the ``service-intentions`` kind, checked with raw HTTP.

After ``agent/intentions_endpoint.go``, ``agent/consul/intention_endpoint.go``,
``agent/consul/state/intention.go`` and ``config_entry_intention.go``,
``agent/structs/config_entry_intentions.go`` (normalize, validate,
precedence, ``UpdateOver``), the L7 rule of
``validateProposedConfigEntryInServiceGraph`` (``agent/consul/state/config_entry.go``)
and ``AgentConnectAuthorize`` (``agent/agent_endpoint.go``).
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from harness import RawHTTP, make_token, wait_blocked

from consul.testing import DevAgent

EXACT = "/v1/connect/intentions/exact"
WEB_URI = "spiffe://11111111-2222-3333-4444-555555555555.consul/ns/default/dc/dc1/svc/web"


def upsert(api, source, destination, **body):
    return api.put(EXACT, params={"source": source, "destination": destination}, json=body)


def entry(name, *sources, **fields):
    return {"Kind": "service-intentions", "Name": name, "Sources": list(sources), **fields}


def put_entry(api, name, *sources, **fields):
    return api.put("/v1/config", json=entry(name, *sources, **fields))


def authorize(api, target, uri=WEB_URI):
    return api.post(
        "/v1/agent/connect/authorize", json={"Target": target, "ClientCertURI": uri}
    ).json()


def test_an_upserted_intention_is_one_source_of_the_destinations_entry(api):
    response = upsert(api, "web", "db", Action="allow", Description="front to back")
    assert (response.status_code, response.json()) == (200, True)
    response = api.get(EXACT, params={"source": "web", "destination": "db"})
    index = int(response.headers["X-Consul-Index"])
    # No ID, times nor hash (only the legacy API gives intentions those),
    # and no Meta: the fields structs.Intention omits when empty.
    assert response.json() == {
        "Description": "front to back",
        "SourceNS": "default",
        "SourceName": "web",
        "DestinationNS": "default",
        "DestinationName": "db",
        "SourceType": "consul",
        "Action": "allow",
        "Precedence": 9,
        "CreateIndex": index,
        "ModifyIndex": index,
    }
    stored = api.get("/v1/config/service-intentions/db").json()
    assert stored["Sources"] == [
        {
            "Name": "web",
            "Action": "allow",
            "Precedence": 9,
            "Type": "consul",
            "Description": "front to back",
        }
    ]
    # The same source again replaces it; another one joins the entry.
    assert upsert(api, "web", "db", Action="deny").json() is True
    assert upsert(api, "api", "db", Action="allow").json() is True
    sources = api.get("/v1/config/service-intentions/db").json()["Sources"]
    assert [(s["Name"], s["Action"]) for s in sources] == [("web", "deny"), ("api", "allow")]


def test_precedence_and_the_lists_order(api):
    assert put_entry(api, "*", {"Name": "*", "Action": "deny"}, {"Name": "web", "Action": "allow"})
    assert put_entry(api, "db", {"Name": "*", "Action": "deny"}, {"Name": "web", "Action": "allow"})
    listed = api.get("/v1/connect/intentions").json()
    # computeIntentionPrecedence: exact/exact 9, */exact 8, exact/* 6, */* 5.
    assert [(i["SourceName"], i["DestinationName"], i["Precedence"]) for i in listed] == [
        ("web", "db", 9),
        ("*", "db", 8),
        ("web", "*", 6),
        ("*", "*", 5),
    ]
    # Normalize sorts an entry's sources by precedence.
    sources = api.get("/v1/config/service-intentions/db").json()["Sources"]
    assert [s["Name"] for s in sources] == ["web", "*"]


@pytest.mark.parametrize(
    ("sources", "error"),
    [
        ([], "At least one source is required"),
        ([{"Action": "allow"}], "Sources[0].Name is required"),
        ([{"Name": "web"}], "Sources[0].Action must be set to 'allow' or 'deny'"),
        (
            [{"Name": "web", "Action": "maybe"}],
            "Sources[0].Action must be set to 'allow' or 'deny'",
        ),
        (
            [{"Name": "we*", "Action": "allow"}],
            "Sources[0].Name: wildcard character '*' cannot be used with partial values",
        ),
        (
            [{"Name": "web", "Action": "allow"}, {"Name": "web", "Action": "deny"}],
            'Sources[1] defines "web" more than once',
        ),
        (
            [
                {
                    "Name": "web",
                    "Action": "allow",
                    "Permissions": [{"Action": "allow", "HTTP": {"PathExact": "/"}}],
                }
            ],
            "Sources[0].Action must be omitted if Permissions are specified",
        ),
        (
            [{"Name": "web", "Permissions": [{"Action": "allow"}]}],
            "Sources[0].Permissions[0].HTTP is required",
        ),
        (
            [{"Name": "web", "Permissions": [{"Action": "allow", "HTTP": {"PathPrefix": "x"}}]}],
            "Sources[0].Permissions[0].HTTP.PathPrefix doesn't start with '/': \"x\"",
        ),
        (
            [
                {
                    "Name": "web",
                    "Permissions": [{"Action": "allow", "HTTP": {"Methods": ["GET", "get"]}}],
                }
            ],
            'Sources[0].Permissions[0].HTTP.Methods contains "GET" more than once',
        ),
        (
            [{"Name": "web", "Permissions": [{"Action": "allow", "HTTP": {}}]}],
            "Sources[0].Permissions[0].HTTP should not be empty",
        ),
        (
            [
                {
                    "Name": "web",
                    "Permissions": [
                        {
                            "Action": "deny",
                            "HTTP": {
                                "Header": [{"Name": "x", "Present": True, "ignore_case": True}]
                            },
                        }
                    ],
                }
            ],
            "Sources[0].Permissions[0].HTTP.Header[0] should set one of Exact, Prefix, Suffix, "
            "or Contains when using IgnoreCase",
        ),
        (
            [{"Name": "web", "Action": "allow", "SamenessGroup": "sg"}],
            "Sources[0].SamenessGroup: Sameness groups are a Consul Enterprise feature. ",
        ),
        (
            [{"Name": "web", "Action": "allow", "Type": "external"}],
            "Sources[0].Type must be set to 'consul'",
        ),
        (
            [
                {"Name": "web", "Action": "allow", "LegacyID": "x"},
                {"Name": "api", "Action": "allow", "LegacyMeta": {"a": "b"}},
            ],
            "Sources[1].LegacyMeta must be omitted",
        ),
    ],
)
def test_an_entry_is_validated_as_consul_does(api, sources, error):
    response = put_entry(api, "db", *sources)
    assert (response.status_code, response.text) == (500, error)


def test_l7_permissions_need_an_http_destination(api):
    l7 = {"Name": "web", "Permissions": [{"Action": "allow", "HTTP": {"PathPrefix": "/api"}}]}
    response = put_entry(api, "*", l7)
    assert response.text == (
        "Sources[0].Permissions cannot be specified on intentions with wildcarded destinations"
    )
    response = put_entry(api, "db", l7)
    assert (response.status_code, response.text) == (
        500,
        'service "db" has protocol "tcp", which is incompatible with L7 intentions permissions',
    )
    defaults = {"Kind": "service-defaults", "Name": "db", "Protocol": "http"}
    assert api.put("/v1/config", json=defaults).json() is True
    assert put_entry(api, "db", l7).json() is True
    # What decides the protocol may not change it under the intentions any more.
    response = api.put("/v1/config", json={**defaults, "Protocol": "tcp"})
    assert response.text.startswith('service "db" has protocol "tcp"')
    assert api.delete("/v1/config/service-defaults/db").status_code == 500
    assert api.get("/v1/config/service-defaults/db").json()["Protocol"] == "http"


def test_upsert_takes_its_names_from_the_url_and_refuses_meta(api):
    response = upsert(api, "web", "db", Action="allow", SourceName="ignored", ID="also-ignored")
    assert response.json() is True
    assert api.get(EXACT, params={"source": "web", "destination": "db"}).status_code == 200
    response = upsert(api, "api", "other", Action="allow", Meta={"a": "b"})
    assert (response.status_code, response.text) == (500, "Meta must not be specified")
    assert put_entry(api, "db", {"Name": "web", "Action": "allow"}, Meta={"a": "b"}).json()
    assert upsert(api, "web", "db", Action="deny", Meta={"a": "b"}).json() is True
    response = upsert(api, "web", "db", Action="deny", Meta={"a": "c"})
    assert response.text == "Meta must not be specified, or should be unchanged during an update."
    response = api.put(EXACT, params={"source": "web"}, json={"Action": "allow"})
    assert (response.status_code, response.text) == (
        500,
        "required query parameter 'destination' not set",
    )
    response = upsert(api, "peer:other/web", "db", Action="allow")
    assert response.text == 'source "peer:other/web" is invalid: cannot specify a peer here'
    response = upsert(api, "a/b/c/d", "db", Action="allow")
    assert response.text == "source \"a/b/c/d\" is invalid: input can contain at most two '/'"
    response = api.put(EXACT, params={"source": "web", "destination": "db"}, data=b"{")
    assert (response.status_code, response.text) == (400, "Request decode failed: unexpected EOF")


def test_an_exact_read_needs_both_names(api):
    response = api.get(EXACT, params={"source": "", "destination": ""})
    assert (response.status_code, response.text) == (
        500,
        "2 errors occurred:\n\t* SourceName is missing\n\t* DestinationName is missing\n\n",
    )
    response = api.get(EXACT, params={"source": "web"})
    assert response.text == "required query parameter 'destination' not set"
    response = api.get(EXACT, params={"source": "team/web", "destination": "db"})
    assert response.text == 'Invalid SourceNS "team": Namespaces is a Consul Enterprise feature'


def test_writes_go_to_the_primary_and_reads_answer_from_each_datacenter():
    with DevAgent(extra_datacenters=("dc2",)) as agent, RawHTTP(agent.url) as api:
        params = {"source": "web", "destination": "db", "dc": "dc2"}
        assert api.put(EXACT, params=params, json={"Action": "deny"}).json() is True
        primary = api.get(EXACT, params={"source": "web", "destination": "db"}).json()
        assert primary["Action"] == "deny"
        assert api.get(EXACT, params=params).json()["Action"] == "deny"
        assert api.delete(EXACT, params=params).json() is True
        assert api.get(EXACT, params=params).status_code == 404


def test_delete_by_name_removes_the_source_then_the_entry(api):
    upsert(api, "web", "db", Action="allow")
    upsert(api, "api", "db", Action="allow")
    params = {"source": "web", "destination": "db"}
    assert api.delete(EXACT, params=params).json() is True
    response = api.get(EXACT, params=params)
    assert (response.status_code, response.text) == (404, "Intention not found")
    assert api.delete(EXACT, params=params).json() is True  # idempotent
    assert api.delete(EXACT, params={"source": "api", "destination": "db"}).json() is True
    assert api.get("/v1/config/service-intentions/db").status_code == 404


def test_match_by_source_and_by_destination(api):
    put_entry(api, "db", {"Name": "web", "Action": "allow"}, {"Name": "*", "Action": "deny"})
    put_entry(api, "*", {"Name": "web", "Action": "deny"})
    response = api.get(
        "/v1/connect/intentions/match", params=[("by", "source"), ("name", "web"), ("name", "x")]
    )
    found = response.json()
    assert [(i["SourceName"], i["DestinationName"]) for i in found["web"]] == [
        ("web", "db"),
        ("*", "db"),
        ("web", "*"),
    ]
    assert [(i["SourceName"], i["DestinationName"]) for i in found["x"]] == [("*", "db")]
    found = api.get("/v1/connect/intentions/match", params={"by": "destination", "name": "api"})
    assert [(i["SourceName"], i["DestinationName"]) for i in found.json()["api"]] == [("web", "*")]
    api.delete("/v1/config/service-intentions/*")
    found = api.get("/v1/connect/intentions/match", params={"by": "destination", "name": "api"})
    assert found.json() == {"api": None}  # a nil slice in Go


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"name": "web"}, "required query parameter 'by' not set"),
        ({"by": "both", "name": "web"}, "'by' parameter must be one of 'source' or 'destination'"),
        ({"by": "source"}, "required query parameter 'name' not set"),
        (
            {"by": "source", "name": "team/web"},
            'Invalid match entry namespace "team": Namespaces is a Consul Enterprise feature',
        ),
        (
            {"by": "source", "name": "peer:x/web"},
            'name "peer:x/web" is invalid: cannot specify a peer here',
        ),
    ],
)
def test_match_refuses_what_consul_refuses(api, params, error):
    response = api.get("/v1/connect/intentions/match", params=params)
    assert (response.status_code, response.text) == (500, error)


def test_check_applies_the_highest_precedence_l4_intention(api):
    check = "/v1/connect/intentions/check"
    assert api.get(check, params={"source": "web", "destination": "db"}).json() == {
        "Allowed": True  # no intention, ACLs off: allowed
    }
    put_entry(api, "db", {"Name": "*", "Action": "deny"}, {"Name": "web", "Action": "allow"})
    assert api.get(check, params={"source": "web", "destination": "db"}).json()["Allowed"]
    assert not api.get(check, params={"source": "api", "destination": "db"}).json()["Allowed"]
    response = api.get(check, params={"source": "web", "destination": "db", "source-type": "x"})
    assert (response.status_code, response.text) == (500, 'unsupported SourceType: "x"')
    response = api.get(check, params={"destination": "db"})
    assert response.text == "required query parameter 'source' not set"


def test_authorize_follows_the_targets_intentions(api):
    assert authorize(api, "db") == {
        "Authorized": True,
        "Reason": "Default behavior configured by ACLs",
    }
    put_entry(api, "db", {"Name": "web", "Action": "deny"})
    assert authorize(api, "db") == {
        "Authorized": False,
        "Reason": "Matched L4 intention: default/web => default/db (Precedence: 9, Action: DENY)",
    }
    # Another source falls to the default; names compare exactly (IntentionMatch).
    other = WEB_URI.replace("/svc/web", "/svc/api")
    assert authorize(api, "db", other)["Authorized"] is True
    assert authorize(api, "db", WEB_URI.replace("/svc/web", "/svc/WEB"))["Authorized"] is True
    api.put("/v1/config", json={"Kind": "service-defaults", "Name": "db", "Protocol": "http"})
    l7 = {"Name": "web", "Permissions": [{"Action": "allow", "HTTP": {"PathPrefix": "/"}}]}
    assert put_entry(api, "db", l7).json() is True
    assert authorize(api, "db") == {
        "Authorized": False,  # L7 rules need a request: the agent denies
        "Reason": "Matched L7 intention: default/web => default/db (Precedence: 9, Permissions: 1)",
    }


def test_the_legacy_api_writes_sources_with_ids(api):
    body = {"SourceName": "web", "DestinationName": "db", "Action": "allow", "Meta": {"k": "v"}}
    response = api.post("/v1/connect/intentions", json=body)
    legacy_id = response.json()["ID"]
    read = api.get(f"/v1/connect/intentions/{legacy_id}").json()
    assert read["ID"] == legacy_id
    assert read["Meta"] == {"k": "v"}
    assert read["CreatedAt"] == read["UpdatedAt"]
    assert list(read)[:2] == ["CreatedAt", "UpdatedAt"]  # Intention.MarshalJSON's order
    # SetHash: BLAKE2b-256 of the content fields, the precedence as 8 bytes.
    digest = hashlib.blake2b(digest_size=32)
    for part in (legacy_id, "", "default", "web", "default", "db", "consul", "allow"):
        digest.update(part.encode())
    digest.update((9).to_bytes(8, "little") + b"kv")
    assert read["Hash"] == base64.b64encode(digest.digest()).decode()
    source = api.get("/v1/config/service-intentions/db").json()["Sources"][0]
    assert source["LegacyID"] == legacy_id
    assert source["LegacyMeta"] == {"k": "v"}
    response = api.put(f"/v1/connect/intentions/{legacy_id}", json={**body, "Action": "deny"})
    assert response.json() == {"ID": legacy_id}
    updated = api.get(f"/v1/connect/intentions/{legacy_id}").json()
    assert updated["Action"] == "deny"
    assert updated["CreatedAt"] == read["CreatedAt"]  # UpdateOver keeps the creation time
    assert updated["UpdatedAt"] >= read["UpdatedAt"]
    response = api.put(
        f"/v1/connect/intentions/{legacy_id}", json={**body, "DestinationName": "other"}
    )
    assert response.text == (
        "Cannot modify Destination partition/namespace/name for an intention once it exists."
    )
    # A second legacy intention for the same pair is a duplicate source.
    response = api.post("/v1/connect/intentions", json=body)
    assert (response.status_code, response.text) == (500, 'Sources[1] defines "web" more than once')
    assert api.delete(f"/v1/connect/intentions/{legacy_id}").json() is True
    response = api.get(f"/v1/connect/intentions/{legacy_id}")
    assert (response.status_code, response.text) == (404, "Intention not found")


def test_legacy_errors(api):
    response = api.get("/v1/connect/intentions/not-a-uuid")
    assert (response.status_code, response.text) == (
        400,
        "failed config entry lookup: index error: UUID must be 36 characters",
    )
    missing = "11111111-2222-3333-4444-555555555555"
    response = api.put(f"/v1/connect/intentions/{missing}", json={"Action": "allow"})
    assert (response.status_code, response.text) == (
        500,
        f"Cannot modify non-existent intention: '{missing}'",
    )
    response = api.delete(f"/v1/connect/intentions/{missing}")
    assert response.text == f"Cannot delete non-existent intention: '{missing}'"
    body = {"ID": missing, "DestinationName": "db", "Action": "allow"}
    response = api.post("/v1/connect/intentions", json=body)
    assert response.text == "ID must be empty when creating a new intention"
    # CanWrite refuses an intention without a destination, ACLs or not.
    response = api.post("/v1/connect/intentions", json={"SourceName": "web"})
    assert (response.status_code, response.text) == (403, "Permission denied")
    response = api.post(
        "/v1/connect/intentions",
        json={
            "DestinationName": "db",
            "Permissions": [{"Action": "allow", "HTTP": {"PathPrefix": "/"}}],
        },
    )
    assert response.text == (
        "3 errors occurred:\n\t* SourceName must be set\n"
        "\t* Action must be set to 'allow' or 'deny'\n"
        "\t* Permissions must not be set when using the legacy APIs\n\n"
    )
    response = api.post("/v1/connect/intentions", json={"Bogus": 1})
    assert (response.status_code, response.text) == (
        500,
        'Failed to decode request body: json: unknown field "Bogus"',
    )
    response = api.post(
        "/v1/connect/intentions",
        json={"SourceName": "web", "DestinationName": "db", "SourceNS": "team", "Action": "allow"},
    )
    assert (response.status_code, response.text) == (
        400,
        "Invalid SourceNS(team): Namespaces is a Consul Enterprise feature",
    )


def test_the_legacy_api_stops_once_the_entry_is_edited_as_an_entry(api):
    body = {"SourceName": "web", "DestinationName": "db", "Action": "allow"}
    legacy_id = api.post("/v1/connect/intentions", json=body).json()["ID"]
    assert upsert(api, "api", "db", Action="deny").json() is True
    # Normalize cleared every source's legacy ID: the ID is gone.
    assert api.get(f"/v1/connect/intentions/{legacy_id}").status_code == 404
    response = api.post("/v1/connect/intentions", json={**body, "SourceName": "x"})
    assert response.text == (
        'cannot use legacy intention API to edit intentions with a destination of "db" '
        "after editing them via a service-intentions config entry"
    )


def test_list_filters_and_blocks_on_intentions(api, consul_agent, pool):
    upsert(api, "web", "db", Action="allow")
    upsert(api, "api", "db", Action="deny")
    response = api.get("/v1/connect/intentions", params={"filter": 'Action == "deny"'})
    assert [i["SourceName"] for i in response.json()] == ["api"]
    response = api.get("/v1/connect/intentions", params={"filter": "CreatedAt == 1"})
    assert response.status_code == 500
    assert response.text.startswith("Failed to create boolean expression evaluator")
    index = api.get("/v1/connect/intentions").headers["X-Consul-Index"]
    pending = pool.submit(api.get, "/v1/connect/intentions", params={"index": index, "wait": "10s"})
    wait_blocked(consul_agent)
    # Another kind of entry does not wake it; an intention does.
    api.put("/v1/config", json={"Kind": "service-defaults", "Name": "db"})
    upsert(api, "x", "db", Action="allow")
    listed = pending.result(10).json()
    assert {i["SourceName"] for i in listed} == {"web", "api", "x"}


def test_a_blocking_match_waits_while_its_matches_are_unchanged(api, consul_agent, pool):
    # Intention.Match (agent/consul/intention_endpoint.go) hashes the matches:
    # an intention elsewhere moves the index, but the same matches again are
    # errNotChanged and the query goes on waiting.
    upsert(api, "web", "db", Action="allow")
    params = {"by": "destination", "name": "db"}
    index = api.index("/v1/connect/intentions/match", params=params)
    pending = pool.submit(
        api.get, "/v1/connect/intentions/match", params={**params, "index": index, "wait": "10s"}
    )
    wait_blocked(consul_agent)
    upsert(api, "web", "api", Action="allow")  # another destination
    upsert(api, "x", "db", Action="deny")
    response = pending.result(10)
    assert [i["SourceName"] for i in response.json()["db"]] == ["web", "x"]


def test_acls(root, anon, consul_acl_agent):
    assert upsert(root, "web", "db", Action="allow").json() is True
    assert upsert(root, "web", "api", Action="allow").json() is True
    response = upsert(anon, "web", "db", Action="deny")
    assert (response.status_code, response.text) == (403, "Permission denied")
    reader = make_token(root, 'service "db" { policy = "read" }')["SecretID"]
    as_reader = root.with_token(reader)
    response = as_reader("GET", "/v1/connect/intentions")
    assert [i["DestinationName"] for i in response.json()] == ["db"]
    assert response.headers["X-Consul-Results-Filtered-By-ACLs"] == "true"
    params = {"source": "web", "destination": "api"}
    response = as_reader("GET", EXACT, params=params)
    assert (response.status_code, response.text) == (403, "Permission denied")
    response = as_reader(
        "GET", "/v1/connect/intentions/match", params={"by": "destination", "name": "api"}
    )
    assert response.status_code == 403
    assert "lacks permission 'intention:read' on \"api\"" in response.text
    # Check needs service:read on the destination only.
    response = as_reader("GET", "/v1/connect/intentions/check", params=params)
    assert "lacks permission 'service:read' on \"api\"" in response.text
    response = as_reader(
        "GET", "/v1/connect/intentions/check", params={"source": "x", "destination": "db"}
    )
    assert response.json() == {"Allowed": False}  # default deny
    response = as_reader(
        "PUT", EXACT, params={"source": "x", "destination": "db"}, json={"Action": "allow"}
    )
    assert (response.status_code, response.text) == (403, "Permission denied")
    writer = make_token(root, 'service "db" { policy = "write" intentions = "write" }')["SecretID"]
    as_writer = root.with_token(writer)
    response = as_writer(
        "PUT", EXACT, params={"source": "x", "destination": "db"}, json={"Action": "allow"}
    )
    assert response.json() is True
    # The agent's authorize: the intention decides, else the ACL default (deny).
    request = {"Target": "db", "ClientCertURI": WEB_URI}
    assert as_writer("POST", "/v1/agent/connect/authorize", json=request).json()["Authorized"]
    other = {**request, "ClientCertURI": WEB_URI.replace("/svc/web", "/svc/other")}
    assert as_writer("POST", "/v1/agent/connect/authorize", json=other).json() == {
        "Authorized": False,
        "Reason": "Default behavior configured by ACLs",
    }


def test_default_intention_policy_overrides_the_acl_default(api):
    assert put_entry(api, "db", {"Name": "web", "Action": "allow"}).json() is True
    with DevAgent(default_intention_policy="deny") as agent, RawHTTP(agent.url) as strict:
        put_entry(strict, "db", {"Name": "web", "Action": "allow"})
        assert authorize(strict, "db")["Authorized"] is True
        other = WEB_URI.replace("/svc/web", "/svc/api")
        assert authorize(strict, "db", other) == {
            "Authorized": False,
            "Reason": "Default intention policy",
        }
        check = strict.get(
            "/v1/connect/intentions/check", params={"source": "api", "destination": "db"}
        )
        assert check.json() == {"Allowed": False}
    with pytest.raises(ValueError, match="Unsupported default intention policy: maybe"):
        DevAgent(default_intention_policy="maybe")


def test_a_peers_source_is_its_own_intention(api):
    peered = {"Name": "web", "Peer": "other", "Action": "deny"}
    assert put_entry(api, "db", peered, {"Name": "web", "Action": "allow"}).json() is True
    local = api.get(EXACT, params={"source": "web", "destination": "db"}).json()
    remote = api.get(EXACT, params={"source": "peer:other/web", "destination": "db"}).json()
    assert (local["Action"], remote["Action"], remote["SourcePeer"]) == ("allow", "deny", "other")
    # A local service is never a peer's: match by source and authorize skip it.
    found = api.get("/v1/connect/intentions/match", params={"by": "source", "name": "web"})
    assert [i.get("SourcePeer") for i in found.json()["web"]] == [None]
    assert authorize(api, "db")["Reason"].startswith("Matched L4 intention: default/web")


def test_a_snapshot_keeps_the_intentions_with_their_legacy_ids(api):
    body = {"SourceName": "web", "DestinationName": "db", "Action": "allow"}
    legacy_id = api.post("/v1/connect/intentions", json=body).json()["ID"]
    upsert(api, "web", "api", Action="deny")
    saved = api.get("/v1/connect/intentions").json()
    archive = api.get("/v1/snapshot").content
    api.delete(f"/v1/connect/intentions/{legacy_id}")
    api.delete(EXACT, params={"source": "web", "destination": "api"})
    assert api.get("/v1/connect/intentions").json() == []
    assert api.put("/v1/snapshot", data=archive).status_code == 200
    assert api.get("/v1/connect/intentions").json() == saved
    assert api.get(f"/v1/connect/intentions/{legacy_id}").json()["ID"] == legacy_id


def test_the_legacy_api_and_namespaces(api):
    # agent/intentions_endpoint.go: IntentionCreate and IntentionSpecificUpdate
    # call parseEntMetaNoWildcard (Consul CE refuses ?ns and ?partition);
    # IntentionSpecificGet and IntentionSpecificDelete never parse them.
    body = {"SourceName": "web", "DestinationName": "db", "Action": "allow"}
    namespaces = 'Invalid query parameter: "ns" - Namespaces are a Consul Enterprise feature'
    partitions = 'Invalid query parameter: "partition" - Partitions are a Consul Enterprise feature'
    refused = api.post("/v1/connect/intentions", json=body, params={"ns": "team"})
    assert (refused.status_code, refused.text) == (400, namespaces)
    legacy_id = api.post("/v1/connect/intentions", json=body).json()["ID"]
    refused = api.put(
        f"/v1/connect/intentions/{legacy_id}", json=body, params={"partition": "part"}
    )
    assert (refused.status_code, refused.text) == (400, partitions)
    scope = {"ns": "team", "partition": "part"}
    assert api.get(f"/v1/connect/intentions/{legacy_id}", params=scope).json()["ID"] == legacy_id
    assert api.delete(f"/v1/connect/intentions/{legacy_id}", params=scope).json() is True
    assert api.get(f"/v1/connect/intentions/{legacy_id}").status_code == 404
