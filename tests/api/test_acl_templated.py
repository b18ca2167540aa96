"""Templated policies, and tokens and roles linking them, through every client."""

from __future__ import annotations

import datetime

import pytest

import consul

TEMPLATES = [
    "builtin/api-gateway",
    "builtin/dns",
    "builtin/node",
    "builtin/nomad-client",
    "builtin/nomad-server",
    "builtin/service",
]


@pytest.fixture
def root(connect, consul_acl_agent):
    """A client with the initial management token."""
    return connect(agent=consul_acl_agent, token=consul_acl_agent.management_token)


def test_list_read_and_preview(root):
    templates = root.acl.templated_policy.list()
    assert sorted(templates) == TEMPLATES
    service = root.acl.templated_policies.read("builtin/service")
    assert service == templates["builtin/service"]
    assert 'service "{{.Name}}" {' in service["Template"]
    assert '"required": ["name"]' in service["Schema"]

    policy = root.acl.templated_policy.preview("builtin/service", {"Name": "web"})
    assert policy["Name"] == f"synthetic-policy-{policy['ID']}"
    assert (
        policy["Description"] == "synthetic policy generated from templated policy: builtin/service"
    )
    assert 'service "web-sidecar-proxy" {' in policy["Rules"]
    # The Hash Consul's documentation shows for this very preview.
    assert policy["Hash"] == "b04MnvCVtBXZAmGe4uDpGLABJoGo2nNhEJkqaN5E5x4="
    assert root.acl.templated_policy.preview("builtin/dns")["Rules"].startswith("\nnode_prefix")


def test_unknown_or_invalid_templates_are_refused(root):
    # Consul answers an unknown name with a 400, not a 404.
    with pytest.raises(consul.BadRequest, match="Invalid templated policy Name: builtin/nope"):
        root.acl.templated_policy.read("builtin/nope")
    with pytest.raises(consul.BadRequest, match='"builtin/nope" does not exist'):
        root.acl.templated_policy.preview("builtin/nope")
    with pytest.raises(consul.BadRequest, match="name is required"):
        root.acl.templated_policy.preview("builtin/api-gateway")
    with pytest.raises(consul.ServerError, match='no such ACL templated policy with Name "x"'):
        root.acl.token.create(templated_policies=["x"])


def test_tokens_and_roles_get_what_their_templates_allow(root, connect, consul_acl_agent):
    token = root.acl.token.create(
        templated_policies=[{"builtin/service": {"Name": "api"}}, "builtin/dns", "builtin/dns"]
    )
    assert token["TemplatedPolicies"] == [
        {
            "TemplateID": "00000000-0000-0000-0000-000000000003",
            "TemplateName": "builtin/service",
            "TemplateVariables": {"name": "api"},
        },
        {"TemplateID": "00000000-0000-0000-0000-000000000005", "TemplateName": "builtin/dns"},
    ]
    api = connect(agent=consul_acl_agent, token=token["SecretID"])
    assert api.agent.service.register("api") is True
    with pytest.raises(consul.ACLPermissionDenied, match="service:write"):
        api.agent.service.register("db")

    role = root.acl.role.create(
        "nodes",
        templated_policies=[
            {"TemplateName": "builtin/node", "TemplateVariables": {"Name": "n1"}},
        ],
    )
    assert role["TemplatedPolicies"][0]["TemplateVariables"] == {"name": "n1"}
    node = root.acl.token.create(roles_id=[role["ID"]])
    writer = connect(agent=consul_acl_agent, token=node["SecretID"])
    assert writer.catalog.register("n1", "10.0.0.1") is True
    with pytest.raises(consul.ACLPermissionDenied, match="node:write"):
        writer.catalog.register("n2", "10.0.0.2")

    updated = root.acl.token.update(token["AccessorID"], templated_policies=[])
    assert "TemplatedPolicies" not in updated
    with pytest.raises(consul.ACLPermissionDenied):
        api.agent.service.register("api")


def test_bad_templated_policies_are_refused_before_any_request(c):
    with pytest.raises(TypeError, match="templated_policies must be a list"):
        c.acl.token.create(templated_policies="builtin/dns")
    with pytest.raises(TypeError, match="templated_policies items must be"):
        c.acl.role.create("r", templated_policies=[{"a": {}, "b": {}}])
    with pytest.raises(ValueError, match="name must not be empty"):
        c.acl.templated_policy.read("")
    with pytest.raises(ValueError, match=r"must not have empty, '\.' or '\.\.' segments"):
        c.acl.templated_policy.read("../token/self")
    with pytest.raises(ValueError, match="expiration_time must be an aware datetime"):
        c.acl.token.create(expiration_time=datetime.datetime(2030, 1, 1))
