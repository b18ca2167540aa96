"""``/v1/snapshot``: saving and restoring the agent's state, checked with raw HTTP.

After ``agent/snapshot_endpoint.go``, ``agent/consul/snapshot_endpoint.go``,
``snapshot/snapshot.go`` and ``snapshot/archive.go`` (the archive and its
error texts), and ``agent/blockingquery/blockingquery.go`` (an abandoned
state store answers its blocking queries at once).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile

import pytest
from harness import RawHTTP, wait_blocked

from consul.testing import DevAgent
from consul.testing.state.snapshot import _encode, _tables


def members(archive: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(archive))) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]


def archive_of(*files: tuple[str, bytes], trailing: bytes = b"") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    raw = out.getvalue().rstrip(b"\0")
    raw += bytes(-len(raw) % 512) + bytes(1024)
    return gzip.compress(raw + trailing)


def sums(*files: tuple[str, bytes]) -> bytes:
    return "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in files).encode()


def state_of(agent: DevAgent) -> dict[str, object]:
    """Every table of the home datacenter's stores and of the ACL store, encoded."""

    def capture(core):
        tables = {name: _tables(store) for name, store in core.home.replicated.items()}
        tables["acl"] = _tables(core.acl)
        return json.loads(json.dumps(_encode(tables)))

    return agent.run(capture)


def populate(api: RawHTTP) -> None:
    api.put("/v1/kv/a", data=b"1")
    api.put("/v1/kv/dir/b", data=b"\x00\xff", params={"flags": "7"})
    api.put("/v1/kv/gone", data=b"x")
    api.delete("/v1/kv/gone")  # a tombstone
    api.put("/v1/agent/service/register", json={"Name": "web", "Port": 80, "Tags": ["a"]})
    api.register(
        {"Node": "n1", "Address": "10.0.0.1", "Service": {"Service": "db", "Port": 5432},
         "Check": {"CheckID": "c", "Name": "c", "Status": "warning"}}
    )  # fmt: skip
    api.register(
        {"Node": "n1", "Address": "10.0.0.1",
         "Service": {"Service": "pay", "Port": 443, "Connect": {"Native": True}}}
    )  # fmt: skip
    manual = {"Service": "pay", "ManualVIPs": ["10.1.1.1"]}
    vip = api.put("/v1/internal/service-virtual-ip", json=manual)
    assert vip.json() == {"Found": True, "UnassignedFrom": None}, vip.text
    api.put("/v1/session/create", json={"TTL": "30s", "Name": "s"})
    api.put(
        "/v1/coordinate/update",
        json={
            "Node": "n1",
            "Coord": {"Vec": [0.1] * 8, "Error": 1.0, "Adjustment": 0, "Height": 0},
        },
    )
    api.put("/v1/operator/autopilot/configuration", json={"MinQuorum": 2})
    policy = api.put("/v1/acl/policy", json={"Name": "p", "Rules": 'key "a" { policy = "read" }'})
    assert policy.status_code == 200, policy.text
    role = api.put("/v1/acl/role", json={"Name": "r", "Policies": [{"ID": policy.json()["ID"]}]})
    assert role.status_code == 200, role.text
    token = api.put("/v1/acl/token", json={"Roles": [{"ID": role.json()["ID"]}]})
    assert token.status_code == 200, token.text


@pytest.fixture
def acl_agent() -> DevAgent:
    with DevAgent(acl_initial_management="root", acl_default_policy="deny") as agent:
        yield agent


@pytest.fixture
def root(acl_agent):
    with RawHTTP(acl_agent.url, "root") as client:
        yield client


def test_a_saved_snapshot_is_consuls_archive(root):
    response = root.get("/v1/snapshot")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/x-gzip"
    for header in ("X-Consul-Index", "X-Consul-KnownLeader", "X-Consul-LastContact"):
        assert header in response.headers
    files = members(response.content)
    assert list(files) == ["meta.json", "state.bin", "SHA256SUMS"]
    meta = json.loads(files["meta.json"])
    assert meta["Index"] == int(response.headers["X-Consul-Index"])
    assert meta["Size"] == len(files["state.bin"])
    assert files["SHA256SUMS"] == sums(
        ("meta.json", files["meta.json"]), ("state.bin", files["state.bin"])
    )
    assert json.loads(files["state.bin"])["Format"] == "consul.testing/1"


def test_restore_brings_back_every_store(acl_agent, root):
    populate(root)
    before = state_of(acl_agent)
    archive = root.get("/v1/snapshot").content
    root.put("/v1/kv/a", data=b"changed")
    root.delete("/v1/kv/dir/", params={"recurse": ""})
    root.put("/v1/catalog/deregister", json={"Node": "n1"})
    root.put("/v1/operator/autopilot/configuration", json={})
    for token in root.get("/v1/acl/tokens").json():
        if token["Description"] == "":
            root.delete(f"/v1/acl/token/{token['AccessorID']}")
    assert state_of(acl_agent) != before
    restored = root.put("/v1/snapshot", data=archive)
    assert (restored.status_code, restored.text) == (200, "")
    assert state_of(acl_agent) == before


def test_the_restored_state_is_served(acl_agent, root):
    populate(root)
    archive = root.get("/v1/snapshot").content
    root.put("/v1/kv/a", data=b"changed")
    root.put("/v1/snapshot", data=archive)
    assert root.get("/v1/kv/a", params={"raw": ""}).content == b"1"
    assert root.get("/v1/kv/dir/b", params={"raw": ""}).content == b"\x00\xff"
    assert set(root.get("/v1/catalog/services").json()) == {"consul", "web", "db", "pay"}
    (pay,) = root.get("/v1/catalog/service/pay").json()
    assert pay["ServiceTaggedAddresses"]["consul-virtual"]["Address"] == "240.0.0.1"
    assert [s["Name"] for s in root.get("/v1/session/list").json()] == ["s"]


def test_indexes_may_go_backwards(root):
    root.put("/v1/kv/a", data=b"1")
    archive = root.get("/v1/snapshot").content
    saved = json.loads(members(archive)["meta.json"])["Index"]
    for n in range(5):
        root.put(f"/v1/kv/k{n}", data=b"x")
    later = root.index("/v1/kv/?recurse")
    root.put("/v1/snapshot", data=archive)
    assert saved <= root.index("/v1/kv/?recurse") < later


def test_a_restore_answers_blocking_queries_at_once(root, acl_agent, pool):
    root.put("/v1/kv/a", data=b"1")
    archive = root.get("/v1/snapshot").content
    index = root.index("/v1/kv/a")
    waiting = pool.submit(root.get, "/v1/kv/a", params={"index": index, "wait": "5m"})
    wait_blocked(acl_agent)
    root.put("/v1/snapshot", data=archive)
    answer = waiting.result()
    # What it had: the abandoned store's result and index.
    assert answer.status_code == 200
    assert int(answer.headers["X-Consul-Index"]) == index


def test_the_agent_syncs_its_services_into_the_restored_catalog(consul_agent, api):
    archive = api.get("/v1/snapshot").content  # no web service in it
    api.put("/v1/agent/service/register", json={"Name": "web"})
    api.put("/v1/snapshot", data=archive)
    assert "web" in api.get("/v1/catalog/services").json()


def test_a_snapshot_restores_into_another_agent(root, acl_agent):
    populate(root)
    archive = root.get("/v1/snapshot").content
    with (
        DevAgent(node_name="other", acl_initial_management="root2") as other,
        RawHTTP(other.url, "root2") as api,
    ):
        assert api.put("/v1/snapshot", data=archive).status_code == 200
        assert api.get("/v1/kv/a", params={"raw": ""}).content == b"1"
        # The leader registers itself in the restored catalog; the snapshot's
        # tokens come along, and the configured one is created again.
        nodes = {n["Node"] for n in api.get("/v1/catalog/nodes").json()}
        assert {"other", acl_agent.config.node_name, "n1"} <= nodes
        with RawHTTP(other.url, "root") as old_root:
            assert old_root.get("/v1/kv/a").status_code == 200


def test_snapshots_need_acl_write(acl_agent):
    with RawHTTP(acl_agent.url) as anon:
        save = anon.get("/v1/snapshot")
        assert save.status_code == 403
        assert save.text.startswith(
            "Permission denied: anonymous token lacks permission 'acl:write'"
        )
        assert anon.put("/v1/snapshot", data=b"x").status_code == 403


def test_a_snapshot_of_another_datacenter(api):
    response = api.get("/v1/snapshot", params={"dc": "nowhere"})
    assert (response.status_code, response.text) == (500, "No path to datacenter")


def test_stale_is_no_way_to_restore(api):
    archive = api.get("/v1/snapshot", params={"stale": ""}).content
    response = api.put("/v1/snapshot?stale", data=archive)
    assert (response.status_code, response.text) == (500, "stale not allowed for restore")


def good_files() -> list[tuple[str, bytes]]:
    meta = b'{"Version":1,"ID":"2-1-1","Index":1,"Term":2,"Size":2}\n'
    state = b"{}"
    return [("meta.json", meta), ("state.bin", state)]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "failed to decompress snapshot: EOF"),
        (b"\x1f\x8b", "failed to decompress snapshot: unexpected EOF"),
        (b"not a gzip stream at all", "failed to decompress snapshot: gzip: invalid header"),
        (gzip.compress(b"x" * 600),
         "failed to read snapshot file: failed reading snapshot: archive/tar: invalid tar header"),
        (archive_of(("other", b"x")),
         'failed to read snapshot file: unexpected file "other" in snapshot'),
        (archive_of(("meta.json", b"[1]"), ("SHA256SUMS", b"")),
         "failed to read snapshot file: failed to decode snapshot metadata: "
         "json: cannot unmarshal array into Go value of type raft.SnapshotMeta"),
        (archive_of(*good_files()),
         'failed to read snapshot file: failed checking integrity of snapshot: '
         'file missing for "meta.json"'),
        (archive_of(*good_files(), ("SHA256SUMS", sums(*good_files()) + b"00  extra\n")),
         'failed to read snapshot file: failed checking integrity of snapshot: '
         'list missing hash for "extra"'),
        (archive_of(*good_files(), ("SHA256SUMS", sums(good_files()[0]) + b"ffff  state.bin\n")),
         'failed to read snapshot file: failed checking integrity of snapshot: '
         'hash check failed for "state.bin"'),
        (archive_of(*good_files(), ("SHA256SUMS", sums(*good_files())), trailing=b"junk"),
         "4 unread uncompressed bytes remain"),
        (archive_of(*good_files(), ("SHA256SUMS", sums(*good_files()))),
         "Raft error when restoring snapshot: state.bin is not an embedded agent's state "
         "(a snapshot of a Consul server cannot be restored here)"),
    ],
)  # fmt: skip
def test_restore_errors_are_consuls(api, body, reason):
    response = api.put("/v1/snapshot", data=body)
    assert (response.status_code, response.text) == (500, reason)


def test_records_only_of_the_agent_are_built(api):
    files = good_files()[:1]
    state = json.dumps(
        {
            "Format": "consul.testing/1",
            "Index": 3,
            "Stores": {"kv": {"entries": {"$dataclass": {"class": "os:system", "fields": {}}}}},
        }
    ).encode()
    files.append(("state.bin", state))
    response = api.put("/v1/snapshot", data=archive_of(*files, ("SHA256SUMS", sums(*files))))
    assert (response.status_code, response.text) == (
        500,
        "Raft error when restoring snapshot: 'os:system' is not a record of the embedded agent",
    )
