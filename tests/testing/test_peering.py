"""Cluster peering (``/v1/peering``), checked with raw HTTP.

After ``agent/peering_endpoint.go`` (the HTTP side), the gRPC peering
service of ``agent/rpc/peering/service.go`` and ``validate.go`` (whose
errors reach the HTTP answer as gRPC status texts, 500s), the token coding
of ``agent/consul/peering_backend.go`` and the table rules of
``agent/consul/state/peering.go``.
"""

from __future__ import annotations

import base64
import json
import time

import pytest
from harness import RawHTTP, make_token, wait_blocked

from consul.testing import DevAgent

UNKNOWN = "rpc error: code = Unknown desc = "


def generate(api, name="web", **body):
    response = api.post("/v1/peering/token", json={"PeerName": name, **body})
    assert response.status_code == 200, response.text
    return response.json()["PeeringToken"]


def token_of(encoded):
    return json.loads(base64.b64decode(encoded))


def encode(token):
    return base64.b64encode(json.dumps(token).encode()).decode()


def test_a_token_is_base64_of_compact_json_in_go_field_order(api):
    encoded = generate(api)
    raw = base64.b64decode(encoded)
    # EncodeToken: json.Marshal, so no spaces, and structs.PeeringToken's order.
    assert b" " not in raw.replace(b"BEGIN CERTIFICATE", b"").replace(b"END CERTIFICATE", b"")
    token = json.loads(raw)
    assert list(token) == [
        "CA",
        "ManualServerAddresses",
        "ServerAddresses",
        "ServerName",
        "PeerID",
        "EstablishmentSecret",
        "Remote",
    ]
    roots = api.get("/v1/connect/ca/roots").json()
    assert token["CA"] == [r["RootCert"] for r in roots["Roots"]]
    # connect.PeeringServerSAN, and serverAddresses: the consul service's gRPC TLS port.
    assert token["ServerName"] == f"server.dc1.peering.{roots['TrustDomain']}"
    assert token["ServerAddresses"] == ["127.0.0.1:8503"]
    assert token["ManualServerAddresses"] is None
    assert token["Remote"] == {"Partition": "default", "Datacenter": "dc1", "Locality": None}


def test_the_pending_peering_as_read_and_listed(api):
    token = token_of(generate(api))
    response = api.get("/v1/peering/web")
    assert response.status_code == 200
    peering = response.json()
    assert list(peering) == [
        "ID",
        "Name",
        "State",
        "StreamStatus",
        "CreateIndex",
        "ModifyIndex",
        "Remote",
    ]
    assert peering["ID"] == token["PeerID"]
    assert peering["State"] == "PENDING"
    assert peering["StreamStatus"] == {
        "ImportedServices": None,
        "ExportedServices": None,
        "LastHeartbeat": None,
        "LastReceive": None,
        "LastSend": None,
    }
    assert peering["Remote"] == {"Partition": "", "Datacenter": ""}
    assert response.headers["X-Consul-Index"] == str(peering["ModifyIndex"])
    listing = api.get("/v1/peerings")
    assert listing.json() == [peering]
    assert listing.headers["X-Consul-Index"] == str(peering["ModifyIndex"])
    # Names are looked up lower-cased.
    assert api.get("/v1/peering/WEB").json()["ID"] == peering["ID"]


def test_meta_is_kept_and_checked(api):
    generate(api, Meta={"env": "dev"})
    assert api.get("/v1/peering/web").json()["Meta"] == {"env": "dev"}
    response = api.post("/v1/peering/token", json={"PeerName": "x", "Meta": {"consul-a": "b"}})
    assert response.status_code == 500
    assert response.text == (
        UNKNOWN + "meta tags failed validation: Couldn't load metadata pair ('consul-a', 'b'): "
        "Key prefix 'consul-' is reserved for internal use"
    )


def test_missing_ones(api):
    # PeeringList: an empty list is [], and the table's index is never 0.
    listing = api.get("/v1/peerings")
    assert listing.json() == []
    assert listing.headers["X-Consul-Index"] == "1"
    response = api.get("/v1/peering/nope")
    assert response.status_code == 404
    assert response.text == 'Peering not found for "nope"'
    assert "X-Consul-Index" not in response.headers
    response = api.get("/v1/peering/")
    assert response.status_code == 400
    assert response.text == "Must specify a name to fetch."
    # Deleting what is not there is a success with no body.
    response = api.delete("/v1/peering/nope")
    assert (response.status_code, response.text) == (200, "")


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (b"", "Body decoding failed: EOF"),
        (b'{"PeerName": "a", "Nope": 1}', 'Body decoding failed: json: unknown field "Nope"'),
        (b"{}", "PeerName is required in the payload when generating a new peering token."),
    ],
)
def test_token_bodies(api, body, text):
    response = api.post("/v1/peering/token", data=body)
    assert (response.status_code, response.text) == (400, text)


def test_names_are_dns_labels_in_lower_case(api):
    response = api.post("/v1/peering/token", json={"PeerName": "Web"})
    assert response.status_code == 500
    assert response.text == (
        UNKNOWN + "Web is not a valid peer name: a valid peering name must consist of lower case "
        "alphanumeric characters or '-', and must start and end with an alphanumeric character"
    )


def test_partitions_are_enterprise(api):
    response = api.post("/v1/peering/token?partition=p", json={"PeerName": "web"})
    assert response.status_code == 400
    assert response.text == (
        'Invalid query parameter: "partition" - Partitions are a Consul Enterprise feature'
    )
    # In the body, "default" is CE's one partition; another is the service's InvalidArgument.
    generate(api, Partition="default")
    response = api.post("/v1/peering/token", json={"PeerName": "web", "Partition": "p"})
    assert response.status_code == 500
    assert response.text == (
        "rpc error: code = InvalidArgument desc = Partitions are a Consul Enterprise feature"
    )


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (b"{}", "PeerName is required in the payload when establishing a peering."),
        (
            b'{"PeerName": "a"}',
            "PeeringToken is required in the payload when establishing a peering.",
        ),
    ],
)
def test_establish_bodies(api, body, text):
    response = api.post("/v1/peering/establish", data=body)
    assert (response.status_code, response.text) == (400, text)


def test_bad_tokens(api):
    good = token_of(generate(api))
    good["ServerName"] = "server.dc2.peering.other.consul"
    cases = [
        ("@@@@", "failed to decode token: illegal base64 data at input byte 0"),
        (
            encode({**good, "ServerAddresses": [], "ManualServerAddresses": None}),
            "peering token server addresses value is empty",
        ),
        (
            encode({**good, "ServerAddresses": ["nope"]}),
            "nope is not a valid peering server address",
        ),
        (
            encode({**good, "ServerAddresses": ["1.2.3.4:0"]}),
            "1.2.3.4:0 is not a valid peering server address",
        ),
        (encode({**good, "ServerName": ""}), "peering token server name value is empty"),
        (encode({**good, "PeerID": ""}), "peering token peer ID value is empty"),
        (encode({**good, "CA": ["junk"]}), "peering token invalid CA: no PEM-encoded data found"),
    ]
    for token, text in cases:
        response = api.post(
            "/v1/peering/establish", json={"PeerName": "dialer", "PeeringToken": token}
        )
        assert (response.status_code, response.text) == (500, UNKNOWN + text), token
    assert [p["Name"] for p in api.get("/v1/peerings").json()] == ["web"]


def test_a_token_of_the_same_cluster_is_refused(api):
    token = generate(api)
    response = api.post("/v1/peering/establish", json={"PeerName": "dialer", "PeeringToken": token})
    assert response.status_code == 500
    server_name = token_of(token)["ServerName"]
    assert response.text == (
        UNKNOWN + f'cannot create a peering within the same cluster "{server_name}". Refer to the '
        "`exported-services` documentation if you want to export between partitions without "
        "peering"
    )
    assert [p["Name"] for p in api.get("/v1/peerings").json()] == ["web"]


def test_an_unreachable_peer_fails_after_the_establishment_timeout(api):
    # service.go Establish writes the dialing peering first, then retries the
    # secret exchange for establishmentTimeout (3s) before giving up.
    token = token_of(generate(api, "acceptor"))
    token["ServerName"] = "server.dc2.peering.other.consul"
    token["CA"] = []
    token["ServerAddresses"] = ["127.0.0.1:1"]
    started = time.monotonic()
    response = api.post(
        "/v1/peering/establish",
        json={"PeerName": "dialer", "PeeringToken": encode(token), "Meta": {"k": "v"}},
    )
    assert time.monotonic() - started >= 3
    assert response.status_code == 500
    head, _, rest = response.text.partition(" errors occurred:\n")
    assert head.startswith(UNKNOWN)
    assert head[len(UNKNOWN) :].isdigit()
    assert rest.startswith(
        '\t* failed to exchange peering secret through address "127.0.0.1:1": rpc error: '
        "code = Unavailable desc = connection error: "
    )
    peering = api.get("/v1/peering/dialer").json()
    assert peering["State"] == "PENDING"
    assert peering["PeerID"] == token["PeerID"]
    assert peering["PeerServerAddresses"] == ["127.0.0.1:1"]
    assert peering["PeerServerName"] == "server.dc2.peering.other.consul"
    assert peering["Meta"] == {"k": "v"}
    assert peering["Remote"] == {"Partition": "default", "Datacenter": "dc1"}
    # validatePeer: a dialing peering's name cannot accept, and the other way round.
    response = api.post("/v1/peering/token", json={"PeerName": "dialer"})
    assert response.text == (
        UNKNOWN
        + 'cannot create peering with name: "dialer"; there is already an established peering'
    )
    response = api.post(
        "/v1/peering/establish", json={"PeerName": "acceptor", "PeeringToken": encode(token)}
    )
    assert response.text == (
        UNKNOWN + 'cannot create peering with name: "acceptor"; '
        "there is an existing peering expecting to be dialed"
    )


def test_delete_marks_deleting_then_the_leader_removes(api, pool, consul_agent):
    generate(api, Meta={"env": "dev"})
    index = api.index("/v1/peerings")
    response = api.delete("/v1/peering/web")
    assert (response.status_code, response.text) == (200, "")
    # The write marking it DELETING is followed by the removal: a blocking
    # list from before the delete sees one or the other, then the empty list.
    seen = []
    while True:
        listing = api.get(f"/v1/peerings?index={index}&wait=5s")
        index = int(listing.headers["X-Consul-Index"])
        if not listing.json():
            break
        (peering,) = listing.json()
        seen.append(peering)
    for peering in seen:
        assert peering["State"] == "DELETING"
        assert "Meta" not in peering
        assert peering["DeletedAt"].endswith("Z")
    assert api.get("/v1/peering/web").status_code == 404


def test_blocking_read_waits_for_the_peering_to_appear(api, pool, consul_agent):
    index = api.index("/v1/peerings")
    pending = pool.submit(api.get, f"/v1/peering/web?index={index}&wait=10s")
    wait_blocked(consul_agent)
    generate(api, "other")
    wait_blocked(consul_agent)  # ErrNotFound: it keeps waiting
    generate(api)
    response = pending.result(10)
    assert response.status_code == 200
    assert response.json()["Name"] == "web"


def test_acls(root, anon):
    response = anon.post("/v1/peering/token", json={"PeerName": "web"})
    assert response.status_code == 403
    assert response.text == (
        UNKNOWN + "Permission denied: anonymous token lacks permission 'peering:write'. The "
        "anonymous token is used implicitly when a request does not specify a token."
    )
    response = anon.get("/v1/peerings")
    assert response.status_code == 403
    assert "lacks permission 'peering:read'" in response.text
    reader = make_token(root, 'peering = "read"')["SecretID"]
    generate(root)
    assert root.get("/v1/peering/web", token=reader).json()["Name"] == "web"
    response = root.delete("/v1/peering/web", token=reader)
    assert response.status_code == 403
    assert response.text.endswith("lacks permission 'peering:write'")
    response = root.get("/v1/peerings", token="a9b8c7d6-0000-4000-8000-000000000000")
    assert (response.status_code, response.text) == (403, UNKNOWN + "ACL not found")


def test_the_peering_service_ignores_dc(api):
    # The HTTP handlers parse ?dc, but the gRPC calls stay in the local datacenter.
    generate(api)
    assert api.get("/v1/peering/web?dc=nowhere").json()["Name"] == "web"
    assert [p["Name"] for p in api.get("/v1/peerings?dc=nowhere").json()] == ["web"]


def test_tokens_need_grpc_over_tls():
    # GetTLSMaterials(true): no gRPC TLS port, no token (and nothing written).
    with DevAgent(grpc_tls_port=-1) as agent, RawHTTP(agent.url) as api:
        response = api.post("/v1/peering/token", json={"PeerName": "web"})
        assert response.status_code == 500
        assert response.text == (
            UNKNOWN + "TLS for gRPC must be enabled when generating peering tokens"
        )
        assert api.get("/v1/peerings").json() == []


def test_a_snapshot_keeps_the_peerings(api):
    peering_id = token_of(generate(api, Meta={"env": "dev"}))["PeerID"]
    snapshot = api.get("/v1/snapshot")
    assert snapshot.status_code == 200
    index = api.index("/v1/peerings")
    api.delete("/v1/peering/web")
    while api.get(f"/v1/peerings?index={index}&wait=5s").json():
        index = api.index("/v1/peerings")
    assert api.put("/v1/snapshot", data=snapshot.content).status_code == 200
    (peering,) = api.get("/v1/peerings").json()
    assert (peering["ID"], peering["Meta"], peering["State"]) == (
        peering_id,
        {"env": "dev"},
        "PENDING",
    )
