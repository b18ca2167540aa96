"""The embedded agent's templated policies, and tokens and roles linking them, with raw HTTP.

Rules from ``agent/structs/acl_templated_policy.go`` (the builtin templates,
validation, the synthetic policy), ``agent/acl_endpoint.go`` (the three
handlers) and the token and role writers (``agent/consul/auth/token_writer.go``,
``agent/consul/acl_endpoint.go`` ``RoleSet``).
"""

from __future__ import annotations

import pytest

SERVICE_SCHEMA = (
    '{\n\t"type": "object",\n\t"properties": {\n'
    '\t\t"name": { "type": "string", "$ref": "#/definitions/min-length-one" }\n\t},\n'
    '\t"required": ["name"],\n\t"definitions": {\n\t\t"min-length-one": {\n'
    '\t\t\t\t"type": "string",\n\t\t\t\t"minLength": 1\n\t\t}\n\t}\n}'
)
WEB_RULES = (
    '\nservice "web" {\n\tpolicy = "write"\n}\nservice "web-sidecar-proxy" {\n'
    '\tpolicy = "write"\n}\nservice_prefix "" {\n\tpolicy = "read"\n}\n'
    'node_prefix "" {\n\tpolicy = "read"\n}'
)


def _preview(client, name, body):
    return client.request("POST", f"/v1/acl/templated-policy/preview/{name}", json=body)


def test_list(root):
    response = root.get("/v1/acl/templated-policies")
    assert response.status_code == 200
    assert "X-Consul-Index" not in response.headers  # no blocking, no query meta
    templates = response.json()
    assert list(templates) == [
        "builtin/api-gateway",
        "builtin/dns",
        "builtin/node",
        "builtin/nomad-client",
        "builtin/nomad-server",
        "builtin/service",
    ]
    service = templates["builtin/service"]
    assert list(service) == ["TemplateName", "Schema", "Template", "Description"]
    # As Consul's documentation shows them.
    assert service["Schema"] == SERVICE_SCHEMA
    assert service["Template"] == WEB_RULES.replace('"web', '"{{.Name}}')
    assert templates["builtin/dns"]["Schema"] == ""
    assert templates["builtin/nomad-server"]["Template"].startswith('\nacl = "write"\nagent_prefix')


def test_read(root, anon):
    by_name = root.get("/v1/acl/templated-policy/name/builtin/node").json()
    # Consul reads the decoded path: an escaped slash names the same template.
    assert root.get("/v1/acl/templated-policy/name/builtin%2Fnode").json() == by_name
    assert by_name["TemplateName"] == "builtin/node"
    response = root.get("/v1/acl/templated-policy/name/builtin/nope")
    assert (response.status_code, response.text) == (
        400,
        "Invalid templated policy Name: builtin/nope",
    )
    response = root.get("/v1/acl/templated-policy/name/")
    assert (response.status_code, response.text) == (400, "Missing templated policy Name")
    response = anon.get("/v1/acl/templated-policy/name/builtin/node")
    assert response.status_code == 403
    assert "lacks permission 'acl:read'" in response.text


def test_preview_is_the_synthetic_policy(root):
    response = _preview(root, "builtin/service", {"Name": "web"})
    assert response.status_code == 200, response.text
    policy = response.json()
    # fmt.Sprintf("%x", fnv.New128a().Sum([]byte(rules))): the rules' hex, then FNV's basis.
    policy_id = WEB_RULES.encode().hex() + "6c62272e07bb014262b821756295c58d"
    assert policy == {
        "ID": policy_id,
        "Name": f"synthetic-policy-{policy_id}",
        "Description": "synthetic policy generated from templated policy: builtin/service",
        "Rules": WEB_RULES,
        "Hash": "b04MnvCVtBXZAmGe4uDpGLABJoGo2nNhEJkqaN5E5x4=",  # Consul's documented value
        "CreateIndex": 0,
        "ModifyIndex": 0,
    }
    # The variables' key is "name" (matched in any case); templates without any take none.
    assert _preview(root, "builtin/service", {"name": "web"}).json() == policy
    assert _preview(root, "builtin/nomad-client", {}).json()["Rules"].startswith("agent_prefix")


@pytest.mark.parametrize(
    ("name", "body", "text"),
    [
        ("builtin/nope", {}, 'templated policy "builtin/nope" does not exist'),
        ("builtin/dns", None, "Failed to decode request body: EOF"),
        ("builtin/dns", {"Foo": 1}, 'Failed to decode request body: json: unknown field "Foo"'),
        (
            "builtin/service",
            {"Name": "Web"},
            'validation error for templated policy: "builtin/service": service identity "Web" '
            "has an invalid name. Only lowercase alphanumeric characters, '-' and '_' are allowed",
        ),
        # The identity name is checked first, even when there is none.
        (
            "builtin/service",
            {},
            'validation error for templated policy: "builtin/service": service identity "" '
            "has an invalid name. Only lowercase alphanumeric characters, '-' and '_' are allowed",
        ),
        # Consul's text has two spaces there.
        (
            "builtin/node",
            {"Name": "a.b"},
            'validation error for templated policy: "builtin/node": node identity "a.b"  '
            "has an invalid name. Only lowercase alphanumeric characters, '-' and '_' are allowed",
        ),
        (
            "builtin/api-gateway",
            {},
            'validation error for templated policy: "builtin/api-gateway": 1 error occurred:\n'
            "\t* name is required\n\n",
        ),
    ],
)
def test_preview_refusals(root, name, body, text):
    response = (
        _preview(root, name, body)
        if body is not None
        else root.request("POST", f"/v1/acl/templated-policy/preview/{name}")
    )
    assert (response.status_code, response.text) == (400, text)


def test_token_templated_policies(root, anon):
    response = root.put(
        "/v1/acl/token",
        json={
            "NodeIdentities": [{"NodeName": "n1", "Datacenter": "dc1"}],
            "TemplatedPolicies": [
                {"TemplateName": "builtin/service", "TemplateVariables": {"Name": "web"}},
                {"TemplateName": "builtin/service", "TemplateVariables": {"Name": "web"}},
                {"TemplateName": "builtin/service", "TemplateVariables": {"Name": "api"}},
                {"TemplateName": "builtin/dns"},
                {"TemplateName": "builtin/dns", "Datacenters": ["dc2"]},
            ],
        },
    )
    assert response.status_code == 200, response.text
    token = response.json()
    assert list(token)[3:6] == ["NodeIdentities", "TemplatedPolicies", "Local"]
    # Deduplicated: one per name and variables, one for a template that takes none.
    assert token["TemplatedPolicies"] == [
        {
            "TemplateID": "00000000-0000-0000-0000-000000000003",
            "TemplateName": "builtin/service",
            "TemplateVariables": {"name": "web"},
        },
        {
            "TemplateID": "00000000-0000-0000-0000-000000000003",
            "TemplateName": "builtin/service",
            "TemplateVariables": {"name": "api"},
        },
        {"TemplateID": "00000000-0000-0000-0000-000000000005", "TemplateName": "builtin/dns"},
    ]
    secret = token["SecretID"]
    register = {"Node": "n1", "Address": "10.0.0.1", "Service": {"Service": "api"}}
    assert anon.put("/v1/catalog/register", json=register, token=secret).status_code == 200
    register["Service"] = {"Service": "db"}
    response = anon.put("/v1/catalog/register", json=register, token=secret)
    assert response.status_code == 403
    assert "lacks permission 'service:write' on \"db\"" in response.text

    clone = root.put(f"/v1/acl/token/{token['AccessorID']}/clone", json={}).json()
    assert clone["TemplatedPolicies"] == token["TemplatedPolicies"]


def test_templated_policies_apply_only_in_their_datacenters(root, anon):
    body = {
        "TemplatedPolicies": [
            {
                "TemplateName": "builtin/service",
                "TemplateVariables": {"Name": "web"},
                "Datacenters": ["dc2"],
            }
        ]
    }
    secret = root.put("/v1/acl/token", json=body).json()["SecretID"]
    response = anon.put("/v1/agent/service/register", json={"Name": "web"}, token=secret)
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("path", "extra", "entry", "text"),
    [
        (
            "/v1/acl/token",
            {},
            {"TemplateVariables": {"Name": "web"}},
            "templated policy is missing the template name field on this token",
        ),
        ("/v1/acl/token", {}, {"TemplateName": "x"}, 'no such ACL templated policy with Name "x"'),
        (
            "/v1/acl/token",
            {},
            {"TemplateName": "builtin/node"},
            'validation error for templated policy "builtin/node": 1 error occurred:\n'
            "\t* Invalid type. Expected: object, given: null\n\n",
        ),
        (
            "/v1/acl/role",
            {"Name": "r"},
            {"TemplateVariables": {}},
            "templated policy is missing the template name field on this role",
        ),
        (
            "/v1/acl/role",
            {"Name": "r"},
            {"TemplateName": "x"},
            "templated policy with an invalid templated name: x for this role",
        ),
        (
            "/v1/acl/role",
            {"Name": "r"},
            {"TemplateName": "builtin/service", "TemplateVariables": {"Name": "-"}},
            'encountered role with invalid templated policy: service identity "-" has an invalid '
            "name. Only lowercase alphanumeric characters, '-' and '_' are allowed",
        ),
    ],
)
def test_templated_policy_refusals(root, path, extra, entry, text):
    response = root.put(path, json={**extra, "TemplatedPolicies": [entry]})
    assert (response.status_code, response.text) == (500, text)


def test_role_templated_policies(root, anon):
    body = {
        "Name": "gateway",
        "TemplatedPolicies": [
            {"TemplateName": "builtin/api-gateway", "TemplateVariables": {"Name": "gw"}}
        ],
    }
    role = root.put("/v1/acl/role", json=body).json()
    assert role["TemplatedPolicies"][0]["TemplateID"] == "00000000-0000-0000-0000-000000000008"
    secret = root.put("/v1/acl/token", json={"Roles": [{"ID": role["ID"]}]}).json()["SecretID"]
    assert (
        anon.put("/v1/agent/service/register", json={"Name": "gw"}, token=secret).status_code == 200
    )
    # The role's rules are read once more after a change (no templated policy left).
    root.put(f"/v1/acl/role/{role['ID']}", json={"Name": "gateway"})
    response = anon.put("/v1/agent/service/register", json={"Name": "gw"}, token=secret)
    assert response.status_code == 403
