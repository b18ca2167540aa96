"""The Connect CA: roots, configuration, leaf certificates, checked with raw HTTP.

After ``agent/connect_ca_endpoint.go``, ``agent/consul/leader_connect_ca.go``,
``agent/connect/ca/provider_consul.go`` and ``agent/structs/connect_ca.go``;
the certificates are verified with ``cryptography``.
"""

from __future__ import annotations

import concurrent.futures
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from harness import make_token, wait_blocked


def colon_hex(data: bytes) -> str:
    return ":".join(f"{b:02x}" for b in data)


def cert_of(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode())


def signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError):
        return False
    return True


def uris(cert: x509.Certificate) -> list[str]:
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return san.get_values_for_type(x509.UniformResourceIdentifier)


def put_config(api, config, provider="consul", **fields):
    return api.put(
        "/v1/connect/ca/configuration", json={"Provider": provider, "Config": config, **fields}
    )


def test_the_first_root_is_an_ec_p256_ca_for_the_trust_domain(api):
    response = api.get("/v1/connect/ca/roots")
    assert response.status_code == 200
    assert int(response.headers["X-Consul-Index"]) >= 1
    body = response.json()
    (root,) = body["Roots"]
    cluster_id = root["ExternalTrustDomain"]
    assert body["TrustDomain"] == f"{cluster_id}.consul"
    assert body["ActiveRootID"] == root["ID"]
    assert root["Name"] == "Consul CA Primary Cert"
    assert (root["PrivateKeyType"], root["PrivateKeyBits"]) == ("ec", 256)
    assert root["IntermediateCerts"] is None
    assert root["RootCert"].endswith("-----END CERTIFICATE-----\n")
    assert "SigningKey" not in root
    cert = cert_of(root["RootCert"])
    # The ID is the SHA-1 fingerprint; the signing key ID the SHA-256 of the public key.
    assert root["ID"] == colon_hex(
        hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).digest()
    )
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert root["SigningKeyID"] == colon_hex(hashlib.sha256(spki).digest())
    key = cert.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert key.curve.name == "secp256r1"
    assert signed_by(cert, cert)
    assert uris(cert) == [f"spiffe://{body['TrustDomain']}"]
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert lifetime.total_seconds() == 87600 * 3600


def test_roots_as_a_pem_chain(api):
    roots = api.get("/v1/connect/ca/roots").json()
    response = api.get("/v1/connect/ca/roots?pem=true")
    assert response.headers["Content-Type"] == "application/pem-certificate-chain"
    assert response.text == roots["Roots"][0]["RootCert"]
    bad = api.get("/v1/connect/ca/roots?pem=maybe")
    assert (bad.status_code, bad.text) == (400, "The 'pem' query parameter must be a boolean value")


def test_the_default_configuration(api):
    response = api.get("/v1/connect/ca/configuration")
    assert response.status_code == 200
    assert "X-Consul-Index" not in response.headers  # no setMeta
    body = response.json()
    assert body == {
        "Provider": "consul",
        "Config": {"LeafCertTTL": "72h", "IntermediateCertTTL": "8760h", "RootCertTTL": "87600h"},
        "State": None,
        "ForceWithoutCrossSigning": False,
        "CreateIndex": body["CreateIndex"],
        "ModifyIndex": body["CreateIndex"],
    }


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"RootCert": "x"}, "must provide a private key when providing a root cert"),
        (
            {"RootCertTTL": "100h"},
            "root cert TTL is set and is not greater than intermediate cert ttl. "
            "root cert ttl: 100h0m0s, intermediate cert ttl: 8760h0m0s",
        ),
        ({"LeafCertTTL": "59m"}, "leaf cert TTL must be greater or equal than 1h0m0s"),
        ({"LeafCertTTL": "8761h"}, "leaf cert TTL must be less than 8760h0m0s"),
        ({"IntermediateCertTTL": "2h"}, "Intermediate Cert TTL must be greater or equal than 3h"),
        (
            {"LeafCertTTL": "100h", "IntermediateCertTTL": "200h"},
            "Intermediate Cert TTL must be greater or equal than 3 * LeafCertTTL (>=300h0m0s).",
        ),
        ({"PrivateKeyBits": 512}, "EC key length must be one of (224, 256, 384, 521) bits"),
        (
            {"PrivateKeyType": "rsa", "PrivateKeyBits": 256},
            "RSA key length must be 2048 or 4096 bits",
        ),
        ({"PrivateKeyType": "dsa"}, "private key type must be either 'ec' or 'rsa'"),
    ],
)
def test_a_refused_configuration_changes_nothing(api, config, message):
    before = api.get("/v1/connect/ca/configuration").json()
    response = put_config(api, config)
    assert (response.status_code, response.text) == (500, f"error configuring provider: {message}")
    assert api.get("/v1/connect/ca/configuration").json() == before


def test_other_refusals(api):
    unknown = put_config(api, {}, provider="nope")
    assert (unknown.status_code, unknown.text) == (
        500,
        'could not initialize provider: unknown CA provider "nope"',
    )
    state = put_config(api, {}, State={"k": "v"})
    assert (state.status_code, state.text) == (
        400,
        "Provider State is read-only. It must be omitted or identical to the current value",
    )
    field = api.put("/v1/connect/ca/configuration", json={"Nope": 1})
    assert (field.status_code, field.text) == (
        400,
        'Request decode failed: json: unknown field "Nope"',
    )


def test_the_same_configuration_again_is_no_write(api):
    before = api.get("/v1/connect/ca/configuration").json()
    response = put_config(api, before["Config"])
    assert (response.status_code, response.text) == (200, "")
    assert api.get("/v1/connect/ca/configuration").json() == before


def test_a_ttl_change_keeps_the_root(api):
    roots = api.get("/v1/connect/ca/roots").json()
    assert put_config(api, {"LeafCertTTL": "2h"}).status_code == 200
    assert api.get("/v1/connect/ca/configuration").json()["Config"] == {"LeafCertTTL": "2h"}
    assert api.get("/v1/connect/ca/roots").json() == roots
    leaf = cert_of(api.get("/v1/agent/connect/ca/leaf/web").json()["CertPEM"])
    assert (leaf.not_valid_after_utc - leaf.not_valid_before_utc).total_seconds() == 2 * 3600


def test_a_new_key_makes_a_new_root_cross_signed_by_the_old(api):
    old = api.get("/v1/connect/ca/roots").json()["Roots"][0]
    assert put_config(api, {"PrivateKeyType": "rsa", "PrivateKeyBits": 2048}).status_code == 200
    body = api.get("/v1/connect/ca/roots").json()
    kept, new = body["Roots"]
    assert kept["ID"] == old["ID"]
    assert kept["Active"] is False
    assert new["Active"] is True
    assert body["ActiveRootID"] == new["ID"]
    assert (new["PrivateKeyType"], new["PrivateKeyBits"]) == ("rsa", 2048)
    assert new["ModifyIndex"] > old["ModifyIndex"]
    (cross,) = new["IntermediateCerts"]
    cross_cert, new_cert = cert_of(cross), cert_of(new["RootCert"])
    assert signed_by(cross_cert, cert_of(old["RootCert"]))
    assert cross_cert.public_key() == new_cert.public_key()
    # A leaf from now on chains to the new root.
    leaf = cert_of(api.get("/v1/agent/connect/ca/leaf/web").json()["CertPEM"])
    assert signed_by(leaf, new_cert)
    assert api.get("/v1/agent/connect/ca/roots").json() == body


def test_a_leaf_certificate(api):
    roots = api.get("/v1/connect/ca/roots").json()
    response = api.get("/v1/agent/connect/ca/leaf/web")
    assert response.status_code == 200
    issued = response.json()
    uri = f"spiffe://{roots['TrustDomain']}/ns/default/dc/dc1/svc/web"
    assert (issued["Service"], issued["ServiceURI"]) == ("web", uri)
    assert int(response.headers["X-Consul-Index"]) == issued["ModifyIndex"]
    cert = cert_of(issued["CertPEM"])
    assert signed_by(cert, cert_of(roots["Roots"][0]["RootCert"]))
    assert uris(cert) == [uri]
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    key = serialization.load_pem_private_key(issued["PrivateKeyPEM"].encode(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.curve.name == "secp256r1"
    assert key.public_key() == cert.public_key()
    assert issued["SerialNumber"] == colon_hex(
        cert.serial_number.to_bytes((cert.serial_number.bit_length() + 7) // 8, "big")
    )
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert lifetime.total_seconds() == 72 * 3600
    # The agent keeps it until the roots change.
    assert api.get("/v1/agent/connect/ca/leaf/web").json() == issued
    assert isinstance(cert.signature_hash_algorithm, hashes.SHA256)


def test_a_rotation_wakes_blocking_roots_and_leaf_queries(consul_agent, api):
    roots = api.get("/v1/connect/ca/roots")
    leaf = api.get("/v1/agent/connect/ca/leaf/web")
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        waiting = [
            pool.submit(api.get, f"/v1/connect/ca/roots?index={roots.headers['X-Consul-Index']}"),
            pool.submit(
                api.get, f"/v1/agent/connect/ca/roots?index={roots.headers['X-Consul-Index']}"
            ),
            pool.submit(
                api.get, f"/v1/agent/connect/ca/leaf/web?index={leaf.headers['X-Consul-Index']}"
            ),
        ]
        wait_blocked(consul_agent, 3)
        assert put_config(api, {"PrivateKeyBits": 384}).status_code == 200
        new_roots, agent_roots, new_leaf = (f.result(10) for f in waiting)
    active = new_roots.json()["ActiveRootID"]
    assert active != roots.json()["ActiveRootID"]
    assert agent_roots.json()["ActiveRootID"] == active
    new_root = next(r for r in new_roots.json()["Roots"] if r["ID"] == active)
    assert signed_by(cert_of(new_leaf.json()["CertPEM"]), cert_of(new_root["RootCert"]))


def test_acl_rules(root, anon):
    assert anon.get("/v1/connect/ca/roots").status_code == 200
    assert anon.get("/v1/agent/connect/ca/roots").status_code == 200
    for response in (
        anon.get("/v1/connect/ca/configuration"),
        put_config(anon, {"LeafCertTTL": "24h"}),
    ):
        assert response.status_code == 403
        assert "lacks permission 'operator:write'" in response.text
    reader = make_token(root, 'operator = "read"')
    denied = root.get("/v1/connect/ca/configuration", token=reader["SecretID"])
    assert denied.status_code == 403
    leaf = anon.get("/v1/agent/connect/ca/leaf/web")
    assert leaf.status_code == 403
    assert "lacks permission 'service:write' on \"web\"" in leaf.text
    writer = make_token(root, 'service "web" { policy = "write" }')
    assert root.get("/v1/agent/connect/ca/leaf/web", token=writer["SecretID"]).status_code == 200


def test_a_snapshot_carries_the_ca(api):
    roots = api.get("/v1/connect/ca/roots").json()
    config = api.get("/v1/connect/ca/configuration").json()
    archive = api.get("/v1/snapshot").content
    assert put_config(api, {"PrivateKeyBits": 384}).status_code == 200
    assert api.put("/v1/snapshot", data=archive).status_code == 200
    assert api.get("/v1/connect/ca/roots").json() == roots
    assert api.get("/v1/connect/ca/configuration").json() == config
    # Its keys came back too: the restored root signs the agent's leaves.
    leaf = cert_of(api.get("/v1/agent/connect/ca/leaf/db").json()["CertPEM"])
    assert signed_by(leaf, cert_of(roots["Roots"][0]["RootCert"]))


def test_namespaces_and_partitions(api):
    # agent/connect_ca_endpoint.go and AgentConnectCARoots (agent/agent_endpoint.go)
    # never parse the enterprise meta: Consul CE neither refuses nor uses them.
    scope = {"ns": "team", "partition": "part"}
    for path in ("/v1/connect/ca/roots", "/v1/agent/connect/ca/roots"):
        response = api.get(path, params=scope)
        assert response.status_code == 200, response.text
        assert response.json()["Roots"]
    configuration = api.get("/v1/connect/ca/configuration", params=scope)
    assert configuration.json()["Provider"] == "consul"
    config = {"LeafCertTTL": "24h"}
    response = api.put(
        "/v1/connect/ca/configuration", json={"Provider": "consul", "Config": config}, params=scope
    )
    assert response.status_code == 200, response.text
    assert api.get("/v1/connect/ca/configuration").json()["Config"]["LeafCertTTL"] == "24h"
    # AgentConnectCALeafCert and AgentConnectAuthorize call parseEntMetaNoWildcard
    # (agent/http_ce.go) first: Consul CE's refusals.
    authorize = {"Target": "db", "ClientCertURI": "spiffe://x.consul/ns/default/dc/dc1/svc/web"}
    for method, path, body in (
        ("GET", "/v1/agent/connect/ca/leaf/web", None),
        ("POST", "/v1/agent/connect/authorize", authorize),
    ):
        response = api.request(method, path, json=body, params={"ns": "team"})
        assert (response.status_code, response.text) == (
            400,
            'Invalid query parameter: "ns" - Namespaces are a Consul Enterprise feature',
        )
        response = api.request(method, path, json=body, params={"partition": "part"})
        assert (response.status_code, response.text) == (
            400,
            'Invalid query parameter: "partition" - Partitions are a Consul Enterprise feature',
        )
