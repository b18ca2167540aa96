"""The Connect CA (``client.connect.ca``): every client against the embedded agent."""

from __future__ import annotations

import pytest
from cryptography import x509

import consul


def test_roots_as_json_and_as_pem(c):
    roots = c.connect.ca.roots()
    (root,) = roots["Roots"]
    assert roots["ActiveRootID"] == root["ID"]
    assert root["Active"] is True
    pem = c.connect.ca.roots(pem=True)
    assert pem == root["RootCert"]
    cert = x509.load_pem_x509_certificate(pem.encode())
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_configuration_and_a_new_key_rotates_the_root(c):
    config = c.connect.ca.configuration()
    assert config["Provider"] == "consul"
    assert config["Config"]["LeafCertTTL"] == "72h"
    first = c.connect.ca.roots()["ActiveRootID"]
    # A TTL alone keeps the root.
    assert c.connect.ca.set_configuration("consul", {"LeafCertTTL": "24h"}) is True
    assert c.connect.ca.configuration()["Config"] == {"LeafCertTTL": "24h"}
    assert c.connect.ca.roots()["ActiveRootID"] == first
    assert c.connect.ca.set_configuration("consul", {"PrivateKeyBits": 384}) is True
    roots = c.connect.ca.roots()
    assert roots["ActiveRootID"] != first
    assert {r["ID"]: r["Active"] for r in roots["Roots"]} == {
        first: False,
        roots["ActiveRootID"]: True,
    }


def test_configuration_errors_carry_consuls_text(c):
    with pytest.raises(
        consul.ServerError, match="leaf cert TTL must be greater or equal than 1h0m0s"
    ):
        c.connect.ca.set_configuration("consul", {"LeafCertTTL": "10m"})
    with pytest.raises(consul.ServerError, match='unknown CA provider "nope"'):
        c.connect.ca.set_configuration("nope")


def test_arguments_are_checked_before_sending(c):
    with pytest.raises(ValueError, match="provider"):
        c.connect.ca.set_configuration("")
    with pytest.raises(TypeError, match="config"):
        c.connect.ca.set_configuration("consul", config=[("LeafCertTTL", "1h")])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="pem"):
        c.connect.ca.roots(pem="yes")  # type: ignore[arg-type]


def test_the_configuration_needs_operator_write(connect, consul_acl_agent):
    anonymous = connect(consul_acl_agent)
    assert anonymous.connect.ca.roots()["Roots"]  # no ACL for the roots
    with pytest.raises(consul.ACLPermissionDenied, match="operator:write"):
        anonymous.connect.ca.configuration()
    with pytest.raises(consul.ACLPermissionDenied, match="operator:write"):
        anonymous.connect.ca.set_configuration("consul", {"LeafCertTTL": "24h"})
    root = connect(consul_acl_agent, token=consul_acl_agent.management_token)
    assert root.connect.ca.configuration()["Provider"] == "consul"
