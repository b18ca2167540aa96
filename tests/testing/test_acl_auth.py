"""The embedded agent's auth methods, binding rules, login, logout and authorize, with raw HTTP.

Rules from ``agent/acl_endpoint.go`` (the HTTP layer),
``agent/consul/acl_endpoint.go`` (``AuthMethodSet``, ``BindingRuleSet``,
``Login``, ``Logout``), ``agent/consul/auth/binder.go`` and ``login.go``,
``internal/go-sso/oidcauth/{config,jwt,oidcjwt}.go`` (the ``jwt`` type),
``agent/consul/authmethod/kubeauth/k8s.go``, ``internal/iamauth/config.go``,
``agent/consul/authmethod/authmethods.go`` (``ParseConfig``) and
``acl/authorizer.go`` (``Enforce``).
"""

from __future__ import annotations

import datetime
import time
import uuid

import pytest
import trustme
from harness import JWTIssuer, make_token

JWT = "jwt"
RULES_PATH = "/v1/acl/binding-rules"


@pytest.fixture(scope="module")
def issuer():
    return JWTIssuer()


def _method(root, issuer, name=JWT, **fields):
    config = fields.pop(
        "Config",
        issuer.config(
            ClaimMappings={"sub": "name", "env": "env", "/org/team": "team"},
            ListClaimMappings={"groups": "groups"},
        ),
    )
    body = {"Name": name, "Type": "jwt", "Config": config, **fields}
    response = root.put("/v1/acl/auth-method", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def _rule(root, **fields):
    response = root.put("/v1/acl/binding-rule", json={"AuthMethod": JWT, **fields})
    assert response.status_code == 200, response.text
    return response.json()


def _login(anon, token, method=JWT, **more):
    return anon.request(
        "POST", "/v1/acl/login", json={"AuthMethod": method, "BearerToken": token, **more}
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/acl/auth-methods"),
        ("PUT", "/v1/acl/auth-method"),
        ("GET", "/v1/acl/auth-method/m"),
        ("GET", RULES_PATH),
        ("PUT", "/v1/acl/binding-rule"),
        ("DELETE", f"/v1/acl/binding-rule/{uuid.uuid4()}"),
        ("POST", "/v1/acl/login"),
        ("POST", "/v1/acl/logout"),
        ("POST", "/v1/internal/acl/authorize"),
        ("GET", "/v1/acl/templated-policies"),
        ("POST", "/v1/acl/templated-policy/preview/builtin/dns"),
    ],
)
def test_401_while_acls_are_off(api, method, path):
    response = api(method, path, json={})
    assert (response.status_code, response.text) == (401, "ACL support disabled")


# -- auth methods -------------------------------------------------------------------


def test_auth_method_json_puts_max_token_ttl_first(root, issuer):
    created = _method(root, issuer, MaxTokenTTL=600e9, DisplayName="CI")
    assert list(created) == [
        "MaxTokenTTL",
        "Name",
        "Type",
        "DisplayName",
        "Config",
        "CreateIndex",
        "ModifyIndex",
    ]
    assert created["MaxTokenTTL"] == "10m0s"
    assert root.get("/v1/acl/auth-method/jwt").json() == created
    stubs = root.get("/v1/acl/auth-methods")
    assert stubs.json() == [{k: v for k, v in created.items() if k != "Config"}]
    assert int(stubs.headers["X-Consul-Index"]) == created["ModifyIndex"]


@pytest.mark.parametrize(
    ("body", "status", "text"),
    [
        ({"Name": "", "Type": "jwt"}, 500, "Invalid Auth Method: no Name is set"),
        (
            {"Name": "a b", "Type": "jwt"},
            500,
            "Invalid Auth Method: invalid Name. Only alphanumeric characters, '-' and '_' "
            "are allowed",
        ),
        (
            {"Name": "m", "Type": "oidc"},
            500,
            "Invalid Auth Method: Type should be one of: [aws-iam jwt kubernetes]",
        ),
        (
            {"Name": "m", "Type": "jwt", "MaxTokenTTL": "1s"},
            500,
            "MaxTokenTTL 1s cannot be less than 1m0s",
        ),
        (
            {"Name": "m", "Type": "jwt", "MaxTokenTTL": "48h"},
            500,
            "MaxTokenTTL 48h0m0s cannot be more than 24h0m0s",
        ),
        (
            {"Name": "m", "Type": "jwt", "MaxTokenTTL": "soon"},
            400,
            'AuthMethod decoding failed: time: invalid duration "soon"',
        ),
        (
            {"Name": "m", "Type": "jwt", "TokenLocality": "far"},
            500,
            "Invalid Auth Method: TokenLocality should be one of 'local' or 'global'",
        ),
        # py-consul sends it; it is no field of Consul's.
        (
            {"Name": "m", "Type": "jwt", "TokenNameFormat": "x"},
            400,
            'AuthMethod decoding failed: json: unknown field "TokenNameFormat"',
        ),
        (
            {"Name": "m", "Type": "jwt", "Config": {"OIDCClientID": "x", "Bogus": 1}},
            500,
            "Invalid Auth Method: error decoding config: 1 error(s) decoding:\n\n"
            "* '' has invalid keys: Bogus, OIDCClientID",
        ),
        (
            {"Name": "m", "Type": "jwt", "Config": {"ExpirationLeeway": "5s", "BoundIssuer": {}}},
            500,
            "Invalid Auth Method: error decoding config: 2 error(s) decoding:\n\n"
            "* 'BoundIssuer' expected type 'string', got unconvertible type "
            "'map[string]interface {}', value: 'map[]'\n"
            "* cannot parse 'ExpirationLeeway' as int: strconv.ParseInt: parsing \"5s\": "
            "invalid syntax",
        ),
        (
            {"Name": "m", "Type": "aws-iam", "Config": {"MaxRetries": "99999999999999999999"}},
            500,
            "Invalid Auth Method: error decoding config: 1 error(s) decoding:\n\n"
            "* cannot parse 'MaxRetries' as int: strconv.ParseInt: parsing "
            '"99999999999999999999": value out of range',
        ),
        (
            {"Name": "m", "Type": "jwt", "Config": {"JWKSURL": "x", "OIDCDiscoveryURL": "y"}},
            500,
            "Invalid Auth Method: exactly one of 'JWTValidationPubKeys', 'JWKSURL', or "
            "'OIDCDiscoveryURL' must be set for type \"jwt\"",
        ),
        (
            {"Name": "m", "Type": "jwt", "Config": {"JWTValidationPubKeys": "not a key"}},
            500,
            "Invalid Auth Method: error parsing public key JWTValidationPubKeys[0]: "
            "data does not contain any valid RSA, ECDSA, or ED25519 public keys",
        ),
        ({"Name": "m", "Type": "kubernetes"}, 500, "Invalid Auth Method: Config.Host is required"),
        (
            {"Name": "m", "Type": "kubernetes", "Config": {"Host": "k8s", "CACert": "x"}},
            500,
            "Invalid Auth Method: error parsing kubernetes ca cert: data does not contain any "
            "valid RSA or ECDSA certificates",
        ),
        (
            {"Name": "m", "Type": "aws-iam", "Config": {}},
            500,
            "Invalid Auth Method: BoundIAMPrincipalARNs is required and must have at least 1 entry",
        ),
        (
            {"Name": "m", "Type": "aws-iam", "Config": {"BoundIAMPrincipalARNs": ["arn:x"]}},
            500,
            'Invalid Auth Method: Invalid principal ARN: "arn:x"',
        ),
    ],
)
def test_auth_method_checks(root, body, status, text):
    response = root.put("/v1/acl/auth-method", json=body)
    assert (response.status_code, response.text) == (status, text)


def test_auth_method_config_is_read_weakly(root, issuer):
    # mapstructure's WeaklyTypedInput: one value for a list, any case for names.
    config = {"jwtvalidationpubkeys": issuer.public_pem, "ExpirationLeeway": 5e9}
    created = _method(root, issuer, Config=config)
    assert created["Config"] == config  # kept as given
    aws = {"BoundIAMPrincipalARNs": "arn:aws:iam::123456789012:role/app"}
    response = root.put(
        "/v1/acl/auth-method", json={"Name": "aws", "Type": "aws-iam", "Config": aws}
    )
    assert response.status_code == 200, response.text


def test_auth_method_update_rules(root, issuer):
    _method(root, issuer)
    response = root.put("/v1/acl/auth-method/other", json={"Name": JWT})
    assert (response.status_code, response.text) == (
        400,
        "AuthMethod Name in URL and payload do not match",
    )
    # An empty Type keeps the current one; another one is refused.
    updated = root.put(
        "/v1/acl/auth-method/jwt", json={"Config": issuer.config(), "Description": "d"}
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["Type"], updated.json()["Description"]) == ("jwt", "d")
    response = root.put("/v1/acl/auth-method/jwt", json={"Type": "kubernetes"})
    assert (response.status_code, response.text) == (
        500,
        "the Type field of an Auth Method is immutable",
    )


def test_auth_method_reads_and_deletes(root, anon):
    response = root.get("/v1/acl/auth-method/nope")
    assert (response.status_code, response.text) == (
        404,
        "Requested auth method does not exist: ACL not found",
    )
    assert root.get("/v1/acl/auth-method/").text == "Missing auth method name"
    # Deleting one that does not exist is fine; a token Consul does not know is a 404.
    assert root.delete("/v1/acl/auth-method/nope").json() is True
    response = anon.delete("/v1/acl/auth-method/nope", token=str(uuid.uuid4()))
    assert (response.status_code, response.text) == (404, "Cannot find auth method to delete")
    response = anon.get("/v1/acl/auth-methods")
    assert response.status_code == 403
    assert "lacks permission 'acl:read'" in response.text


# -- binding rules ------------------------------------------------------------------


def test_binding_rule_json_and_listing(root, issuer):
    _method(root, issuer)
    _method(root, issuer, name="other")
    first = _rule(root, BindType="service", BindName="${value.name}", Selector="value.env == prod")
    assert list(first) == [
        "ID",
        "Description",
        "AuthMethod",
        "Selector",
        "BindType",
        "BindName",
        "CreateIndex",
        "ModifyIndex",
    ]
    second = _rule(root, AuthMethod="other", BindType="node", BindName="n-${value.name}")
    listed = root.get(RULES_PATH).json()
    assert listed == sorted([first, second], key=lambda r: r["ID"])
    assert root.get(RULES_PATH + "?authmethod=other").json() == [second]
    assert root.get(RULES_PATH + "?authmethod=none").json() == []
    assert root.get(f"/v1/acl/binding-rule/{first['ID'].upper()}").json() == first


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"AuthMethod": ""}, "Invalid Binding Rule: no AuthMethod is set"),
        ({"AuthMethod": "nope"}, 'cannot find auth method with name "nope"'),
        (
            {"Selector": "value.env =="},
            'invalid Binding Rule: Selector is invalid: 1:13 (12): no match found, expected: "-", '
            '"0", "\\"", "`", [ \\t\\r\\n], [1-9] or [a-zA-Z]',
        ),
        (
            {"Selector": "serviceaccount.name == x"},
            'invalid Binding Rule: Selector is invalid: Selector "serviceaccount" is not valid',
        ),
        ({"BindName": "x"}, "Invalid Binding Rule: no BindType is set"),
        ({"BindType": "service"}, "Invalid Binding Rule: no BindName is set"),
        (
            {"BindType": "service", "BindName": "x", "BindVars": {"Name": "x"}},
            "invalid Binding Rule: BindVars cannot be set when bind type is not templated-policy.",
        ),
        (
            {"BindType": "bogus", "BindName": "x"},
            "Invalid Binding Rule: invalid BindName or BindVars: invalid Binding Rule: unknown "
            'BindType "bogus"',
        ),
        (
            {"BindType": "service", "BindName": "Web_"},
            "Invalid Binding Rule: invalid BindName or BindVars: failed to validate bindType "
            '"service": invalid bind name: "Web_"',
        ),
        (
            {"BindType": "role", "BindName": "${value.nope}"},
            "Invalid Binding Rule: invalid BindName or BindVars: failed to validate bindType "
            '"role": error interpreting template: 1:3: unknown variable accessed: value.nope',
        ),
        (
            {"BindType": "templated-policy", "BindName": "builtin/nope"},
            "Invalid Binding Rule: invalid BindName or BindVars: failed to validate bindType "
            '"templated-policy": Bind name for templated-policy bind type does not match '
            "existing template name: builtin/nope",
        ),
        (
            {"BindType": "templated-policy", "BindName": "builtin/service"},
            "Invalid Binding Rule: invalid BindName or BindVars: failed to validate bindType "
            '"templated-policy": templated policy failed validation: 1 error occurred:\n'
            "\t* Invalid type. Expected: object, given: null\n\n",
        ),
    ],
)
def test_binding_rule_checks(root, issuer, fields, text):
    _method(root, issuer)
    response = root.put("/v1/acl/binding-rule", json={"AuthMethod": JWT, **fields})
    assert (response.status_code, response.text) == (500, text)


def test_binding_rule_updates(root, issuer):
    _method(root, issuer)
    _method(root, issuer, name="other")
    rule = _rule(root, BindType="service", BindName="web")
    path = f"/v1/acl/binding-rule/{rule['ID']}"
    response = root.put(path, json={"ID": str(uuid.uuid4()), "BindType": "service"})
    assert (response.status_code, response.text) == (
        400,
        "BindingRule ID in URL and payload do not match",
    )
    response = root.put(path, json={"AuthMethod": "other", "BindType": "node", "BindName": "n"})
    assert response.text == "the AuthMethod field of an Binding Rule is immutable"
    updated = root.put(path, json={"BindType": "node", "BindName": "n"})  # AuthMethod kept
    assert updated.status_code == 200, updated.text
    assert (updated.json()["AuthMethod"], updated.json()["CreateIndex"]) == (
        JWT,
        rule["CreateIndex"],
    )
    missing = f"/v1/acl/binding-rule/{uuid.uuid4()}"
    response = root.put(missing, json={"BindType": "node", "BindName": "n"})
    assert (response.status_code, response.text) == (
        500,
        f"cannot find binding rule {missing.rsplit('/', 1)[1]}",
    )
    response = root.put("/v1/acl/binding-rule/x", json={"BindType": "node"})
    assert response.text == "Binding Rule ID invalid UUID"


def test_binding_rule_reads_and_deletes(root, anon):
    response = root.get(f"/v1/acl/binding-rule/{uuid.uuid4()}")
    assert (response.status_code, response.text) == (
        404,
        "Requested binding rule does not exist: ACL not found",
    )
    response = root.get("/v1/acl/binding-rule/x")
    assert (response.status_code, response.text) == (
        500,
        "failed acl binding rule lookup: index error: UUID must be 36 characters",
    )
    assert root.get("/v1/acl/binding-rule/").text == "Missing binding rule ID"
    assert root.delete(f"/v1/acl/binding-rule/{uuid.uuid4()}").json() is True
    response = anon.delete(f"/v1/acl/binding-rule/{uuid.uuid4()}")
    assert response.status_code == 403
    assert "lacks permission 'acl:write'" in response.text


# -- login and logout -------------------------------------------------------------------


def test_login_makes_a_token_of_the_bindings(root, anon, issuer):
    _method(root, issuer, MaxTokenTTL="1h", TokenLocality="global")
    root.put("/v1/acl/policy", json={"Name": "readers", "Rules": 'key_prefix "" {policy="read"}'})
    role = root.put("/v1/acl/role", json={"Name": "team-blue"}).json()
    _rule(root, BindType="service", BindName="${value.name}", Selector="value.env == prod")
    _rule(root, BindType="node", BindName="${value.name}-node")
    _rule(root, BindType="role", BindName="team-${value.team}")
    _rule(root, BindType="policy", BindName="readers", Selector="admins in list.groups")
    _rule(root, BindType="policy", BindName="writers")  # no such policy: skipped
    _rule(
        root,
        BindType="templated-policy",
        BindName="builtin/api-gateway",
        BindVars={"Name": "gw-${value.name}"},
    )
    token = issuer.token(sub="Web", env="prod", org={"team": "Blue"}, groups=["admins", 7, ""])
    before = datetime.datetime.now(datetime.UTC)
    response = _login(anon, token, Meta={"pod": "web-1", "ns": "<x>"})
    assert response.status_code == 200, response.text
    made = response.json()
    assert made["Description"] == (
        'token created via login: {"ns":"\\u003cx\\u003e","pod":"web-1"}'
    )
    assert made["ServiceIdentities"] == [{"ServiceName": "web"}]
    assert made["NodeIdentities"] == [{"NodeName": "web-node", "Datacenter": "dc1"}]
    assert made["Roles"] == [{"ID": role["ID"], "Name": "team-blue"}]
    assert [p["Name"] for p in made["Policies"]] == ["readers"]
    assert made["TemplatedPolicies"] == [
        {
            "TemplateID": "00000000-0000-0000-0000-000000000008",
            "TemplateName": "builtin/api-gateway",
            "TemplateVariables": {"name": "gw-web"},
        }
    ]
    assert (made["Local"], made["AuthMethod"]) == (False, JWT)
    expires = datetime.datetime.fromisoformat(made["ExpirationTime"])
    assert before + datetime.timedelta(minutes=59) < expires
    assert expires <= datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)
    # The new token is a token like any other: it reads keys (policy "readers").
    assert anon.get("/v1/kv/x", token=made["SecretID"]).status_code == 404


def test_login_without_any_binding_is_denied(root, anon, issuer):
    _method(root, issuer)
    _rule(root, BindType="service", BindName="${value.name}", Selector="value.env == prod")
    _rule(root, BindType="role", BindName="nobody")  # no such role
    response = _login(anon, issuer.token(sub="web", env="dev"))
    assert (response.status_code, response.text) == (403, "Permission denied")
    # A failing selector does not match (doesSelectorMatch).
    _rule(root, BindType="service", BindName="x", Selector="list.groups is empty")
    response = _login(anon, issuer.token(sub="web", env="dev"))
    assert response.status_code == 200, response.text
    assert response.json()["Local"] is True


def test_login_fails_where_a_bind_name_cannot_be_made(root, anon, issuer):
    _method(root, issuer)
    _rule(root, BindType="service", BindName="${value.name}")
    response = _login(anon, issuer.token(sub="not a name"))
    assert (response.status_code, response.text) == (500, 'invalid bind name: "not a name"')


def test_login_errors(root, anon, issuer):
    _method(root, issuer)
    _rule(root, BindType="service", BindName="web")
    response = _login(anon, "", method="nope")
    assert (response.status_code, response.text) == (
        403,
        'ACL not found: auth method "nope" not found',
    )
    response = anon.request("POST", "/v1/acl/login", data=b"{")
    assert (response.status_code, response.text) == (
        400,
        "Failed to decode request body: unexpected EOF",
    )
    assert _login(anon, "").text == "missing jwt"


#: Hours away from the tests' time: the claims below are far enough from it.
NOW = int(time.time())


JOSE = "error validating claims: go-jose/go-jose/jwt: validation "


@pytest.mark.parametrize(
    ("claims", "config", "text"),
    [
        ({"iss": "other"}, {}, JOSE + "failed, invalid issuer claim (iss)"),
        ({"exp": NOW - 3600}, {}, JOSE + "failed, token is expired (exp)"),
        # go-jose's own typo: "field".
        (
            {"iat": NOW + 3600, "nbf": NOW - 60, "exp": NOW + 7200},
            {},
            JOSE + "field, token issued in the future (iat)",
        ),
        ({"nbf": NOW + 3600, "exp": NOW + 7200}, {}, JOSE + "failed, token not valid yet (nbf)"),
        (
            {"aud": "consul"},
            {},
            "error validating claims: audience claim found in JWT but no audiences are bound",
        ),
        (
            {"aud": ["a", "b"]},
            {"BoundAudiences": ["c"]},
            "error validating claims: aud claim does not match any bound audience",
        ),
    ],
)
def test_jwt_claims_are_checked(root, anon, issuer, claims, config, text):
    _method(root, issuer, Config=issuer.config(**config))
    _rule(root, BindType="service", BindName="web")
    response = _login(anon, issuer.token(**claims))
    assert (response.status_code, response.text) == (500, text)


def test_jwt_time_claims_and_leeways(root, anon, issuer):
    # No exp: it is iat plus the ExpirationLeeway (150s unless set); -1 disables it.
    _method(root, issuer, Config=issuer.config(ExpirationLeeway=-1))
    _rule(root, BindType="service", BindName="web")
    # Issued 120 s ago: past a leeway of 0, within the default 150 s.
    stale = issuer.token(iat=int(time.time()) - 120, exp=None)
    response = _login(anon, stale)
    assert response.text == (
        "error validating claims: go-jose/go-jose/jwt: validation failed, token is expired (exp)"
    )
    _method(root, issuer, Config=issuer.config())
    assert _login(anon, stale).status_code == 200
    response = _login(anon, issuer.token(iat=None, exp=None))
    assert response.text == "no issue time, notbefore, or expiration time encoded in token"


def test_jwt_signatures_are_checked(root, anon, issuer):
    _method(root, issuer)
    _rule(root, BindType="service", BindName="web")
    forged = JWTIssuer(issuer.issuer).token()
    response = _login(anon, forged)
    assert response.text == "no known key successfully validated the token signature"
    response = _login(anon, "a.b")
    assert response.text == (
        "error parsing token: go-jose/go-jose: compact JWS format must have three parts"
    )
    # A claim of the wrong JSON type is a token go-jose cannot read either.
    response = _login(anon, issuer.token(aud=3))
    assert response.text == "no known key successfully validated the token signature"


def test_claim_mappings_turn_claims_into_strings(root, anon, issuer):
    _method(root, issuer)
    _rule(root, BindType="service", BindName="svc-${value.env}-${value.team}")
    response = _login(anon, issuer.token(env=12.7, org={"team": True}))
    assert response.json()["ServiceIdentities"] == [{"ServiceName": "svc-12-true"}]
    response = _login(anon, issuer.token(env={"a": 1}))
    assert response.text == (
        "error converting claim 'env' to string from unknown type map[string]interface {}"
    )
    # go-jose reads the registered claims first: a "sub" that is no string fails it.
    response = _login(anon, issuer.token(sub=12))
    assert response.text == "no known key successfully validated the token signature"
    response = _login(anon, issuer.token(groups=[["x"]]))
    assert response.text == 'value [x] in "groups" list claim could not be parsed as string'


def test_kubernetes_login_fails_as_when_the_cluster_is_unreachable(root, anon, issuer):
    ca = trustme.CA().cert_pem.bytes().decode()
    config = {"Host": "https://k8s.test:6443", "CACert": ca, "ServiceAccountJWT": issuer.token()}
    response = root.put(
        "/v1/acl/auth-method", json={"Name": "k8s", "Type": "kubernetes", "Config": config}
    )
    assert response.status_code == 200, response.text
    response = root.put(
        "/v1/acl/binding-rule",
        json={
            "AuthMethod": "k8s",
            "BindType": "service",
            "BindName": "${serviceaccount.name}",
            "Selector": "serviceaccount.namespace == default",
        },
    )
    assert response.status_code == 200, response.text
    response = _login(anon, "not-a-jwt", method="k8s")
    assert response.text == (
        "failed to parse and validate JWT: square/go-jose: compact JWS format must have three parts"
    )
    response = _login(anon, issuer.token(), method="k8s")
    assert (response.status_code, response.text) == (
        500,
        'Post "https://k8s.test:6443/apis/authentication.k8s.io/v1/tokenreviews": '
        "dial tcp k8s.test:6443: connect: connection refused",
    )


def test_logout(root, anon, issuer):
    _method(root, issuer)
    _rule(root, BindType="service", BindName="web")
    made = _login(anon, issuer.token()).json()
    response = anon.request("POST", "/v1/acl/logout")
    assert (response.status_code, response.text) == (401, "Supplied token does not exist")
    response = root.request("POST", "/v1/acl/logout")
    assert (response.status_code, response.text) == (
        403,
        "Permission denied: token wasn't created via login",
    )
    response = anon.request("POST", "/v1/acl/logout", token=made["SecretID"])
    assert (response.status_code, response.json()) == (200, True)
    response = anon.request("POST", "/v1/acl/logout", token=made["SecretID"])
    assert (response.status_code, response.text) == (403, "ACL not found")


def test_deleting_an_auth_method_deletes_its_rules_and_tokens(root, anon, issuer):
    _method(root, issuer)
    _method(root, issuer, name="other")
    _rule(root, BindType="service", BindName="web")
    kept = _rule(root, AuthMethod="other", BindType="service", BindName="web")
    made = _login(anon, issuer.token()).json()
    assert root.delete("/v1/acl/auth-method/jwt").json() is True
    assert root.get(RULES_PATH).json() == [kept]
    assert root.get(f"/v1/acl/token/{made['AccessorID']}").status_code == 404
    assert root.get("/v1/acl/tokens?authmethod=jwt").json() == []


# -- authorize ---------------------------------------------------------------------------


def test_authorize_enforces_each_request(root, anon):
    rules = 'key_prefix "app/" { policy = "list" }\nservice "web" { policy = "write" }'
    secret = make_token(root, rules)["SecretID"]
    requests = [
        {"Resource": "key", "Segment": "app/a", "Access": "list"},
        {"Resource": "key", "Segment": "app/a", "Access": "write-prefix"},
        {"Resource": "service", "Segment": "web", "Access": "WRITE"},
        {"Resource": "intention", "Segment": "web", "Access": "read"},
        {"Resource": "operator", "Access": "read"},
    ]
    response = anon.request("POST", "/v1/internal/acl/authorize", json=requests, token=secret)
    assert response.status_code == 200, response.text
    assert response.json() == [
        {**r, "Allow": allow}
        for r, allow in zip(requests, [True, False, True, True, False], strict=True)
    ]
    # The anonymous token may ask too.
    response = anon.request("POST", "/v1/internal/acl/authorize", json=requests[:1])
    assert response.json()[0]["Allow"] is False


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ([{"Resource": "disk", "Access": "read"}], 'Invalid ACL resource requested: "disk"'),
        ([{"Resource": "key", "Access": "admin"}], "Invalid access level for key resource: admin"),
        ([{"Resource": "acl", "Access": "list"}], "Invalid access level for acl resource: list"),
        (
            [{"Resource": "acl", "Access": "read"}] * 65,
            "Refusing to process more than 64 authorizations at once",
        ),
        (
            {"Resource": "acl"},
            "Failed to decode request body: json: cannot unmarshal object into Go value of "
            "type []structs.ACLAuthorizationRequest",
        ),
        (
            [{"Resource": "acl", "Namespace": "x"}],
            'Failed to decode request body: json: unknown field "Namespace"',
        ),
    ],
)
def test_authorize_refusals(root, body, text):
    response = root.request("POST", "/v1/internal/acl/authorize", json=body)
    assert (response.status_code, response.text) == (400, text)


def test_authorize_with_nothing_to_ask(root, anon):
    assert root.request("POST", "/v1/internal/acl/authorize", json=[]).json() == []
    response = anon.request("POST", "/v1/internal/acl/authorize", json=[], token=str(uuid.uuid4()))
    assert response.json() == []  # answered before the token is resolved
