"""``client.config`` with the API gateway family, JWT providers and the kinds Consul CE refuses.

Every client against the embedded agent; the checks of each kind are
``tests/testing/test_config_gateway_kinds.py``'s.
"""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.x509.oid import NameOID

import consul
from consul.api.config_entries import (
    APIGatewayEntry,
    HTTPRouteEntry,
    InlineCertificateEntry,
    JWTProviderEntry,
    TCPRouteEntry,
)


def inline_certificate(name: str) -> InlineCertificateEntry:
    """A self-signed EC certificate for ``gateway.example.com`` and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gateway.example.com")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return {
        "Kind": "inline-certificate",
        "Name": name,
        "Certificate": certificate.public_bytes(Encoding.PEM).decode(),
        "PrivateKey": key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode(),
    }


def test_a_gateway_its_certificate_and_its_routes(c):
    certificate = inline_certificate("edge-cert")
    gateway: APIGatewayEntry = {
        "Kind": "api-gateway",
        "Name": "edge",
        "Listeners": [
            {
                "Name": "https",
                "Port": 8443,
                "Protocol": "HTTP",
                "TLS": {"Certificates": [{"Name": "edge-cert"}]},
            },
            {"Name": "db", "Port": 5432, "Protocol": "tcp"},
        ],
    }
    http: HTTPRouteEntry = {
        "Kind": "http-route",
        "Name": "web",
        "Parents": [{"Name": "edge", "SectionName": "https"}],
        "Rules": [{"Matches": [{"Method": "get"}], "Services": [{"Name": "web"}]}],
    }
    tcp: TCPRouteEntry = {
        "Kind": "tcp-route",
        "Name": "db",
        "Parents": [{"Name": "edge", "SectionName": "db"}],
        "Services": [{"Name": "db"}],
    }
    web_defaults = {"Kind": "service-defaults", "Name": "web", "Protocol": "http"}
    for entry in (web_defaults, certificate, gateway, http, tcp):
        assert c.config.set(entry) is True
    _, stored = c.config.get("api-gateway", "edge")
    listener = stored["Listeners"][0]
    assert listener["Protocol"] == "http"
    assert listener["TLS"]["Certificates"] == [
        {"Kind": "inline-certificate", "Name": "edge-cert", "SectionName": ""}
    ]
    # The controller accepted the gateway and bound the routes.
    accepted = [cond for cond in stored["Status"]["Conditions"] if cond["Type"] == "Accepted"]
    assert [(cond["Status"], cond["Message"]) for cond in accepted] == [
        ("True", "gateway is valid")
    ]
    _, bound = c.config.get("bound-api-gateway", "edge")
    assert [len(listener["Routes"]) for listener in bound["Listeners"]] == [1, 1]
    assert bound["Listeners"][0]["Certificates"] == [
        {"Kind": "inline-certificate", "Name": "edge-cert", "SectionName": ""}
    ]
    _, route = c.config.get("http-route", "web")
    assert route["Parents"][0]["Kind"] == "api-gateway"
    match = route["Rules"][0]["Matches"][0]
    assert (match["Method"], match["Path"]) == ("GET", {"Match": "prefix", "Value": "/"})
    assert route["Rules"][0]["Services"][0]["Weight"] == 1
    _, stored_certificate = c.config.get("inline-certificate", "edge-cert")
    assert stored_certificate["Certificate"] == certificate["Certificate"]
    _, routes = c.config.list("tcp-route")
    assert [entry["Name"] for entry in routes] == ["db"]
    assert route["Status"]["Conditions"][1]["Reason"] == "Bound"
    assert c.config.delete("http-route", "web") is True
    assert c.config.get("http-route", "web")[1] is None
    assert c.config.delete("api-gateway", "edge") is True
    assert c.config.get("bound-api-gateway", "edge")[1] is None


def test_a_jwt_provider_gets_its_default_clock_skew(c):
    provider: JWTProviderEntry = {
        "Kind": "jwt-provider",
        "Name": "okta",
        "JSONWebKeySet": {"Remote": {"URI": "https://example.com/jwks.json"}},
    }
    assert c.config.set(provider) is True
    _, stored = c.config.get("jwt-provider", "okta")
    assert stored["ClockSkewSeconds"] == 30


def test_consuls_refusals_are_typed(c):
    with pytest.raises(consul.ServerError, match="tcp-route currently only supports one service"):
        c.config.set(
            {"Kind": "tcp-route", "Name": "db", "Services": [{"Name": "a"}, {"Name": "b"}]}
        )
    with pytest.raises(consul.ServerError, match="failed to parse private key PEM"):
        c.config.set({"Kind": "inline-certificate", "Name": "bad", "PrivateKey": "nope"})
    with pytest.raises(consul.ACLPermissionDenied, match="only writeable by controller"):
        c.config.set({"Kind": "bound-api-gateway", "Name": "edge"})
    with pytest.raises(consul.ServerError, match="sameness-groups are an enterprise-only feature"):
        c.config.set({"Kind": "sameness-group", "Name": "east"})
    with pytest.raises(
        consul.BadRequest, match="invalid config entry kind: control-plane-request-limit"
    ):
        c.config.set({"Kind": "control-plane-request-limit", "Name": "x"})
    with pytest.raises(
        consul.BadRequest, match="api-gateway jwt validation is a consul enterprise"
    ):
        c.config.set(
            {
                "Kind": "http-route",
                "Name": "web",
                "Rules": [{"Filters": {"JWT": {"Providers": [{"Name": "okta"}]}}}],
            }
        )
