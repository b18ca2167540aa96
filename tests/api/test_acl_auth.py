"""Auth methods, binding rules, login, logout, authorize and replication, through every client."""

from __future__ import annotations

import pytest
from harness import JWTIssuer

import consul


@pytest.fixture
def root(connect, consul_acl_agent):
    """A client with the initial management token."""
    return connect(agent=consul_acl_agent, token=consul_acl_agent.management_token)


@pytest.fixture(scope="module")
def issuer():
    return JWTIssuer()


def _jwt_method(root, issuer, **more):
    config = issuer.config(ClaimMappings={"sub": "name", "env": "env"})
    return root.acl.auth_method.create("jwt", "jwt", config=config, **more)


def test_auth_method_lifecycle(root, issuer):
    created = _jwt_method(root, issuer, description="ci", max_token_ttl=600)
    assert (created["Name"], created["Type"], created["Description"]) == ("jwt", "jwt", "ci")
    assert created["MaxTokenTTL"] == "10m0s"
    assert created["Config"]["BoundIssuer"] == issuer.issuer
    assert root.acl.auth_method.read("jwt") == created
    [listed] = root.acl.auth_methods.list()
    assert "Config" not in listed
    assert listed["Name"] == "jwt"

    updated = root.acl.auth_method.update(
        "jwt", config=issuer.config(), display_name="CI", token_locality="global"
    )
    assert updated["Type"] == "jwt"  # kept: the type cannot change
    assert (updated["DisplayName"], updated["TokenLocality"]) == ("CI", "global")
    assert "Description" not in updated
    with pytest.raises(consul.ServerError, match="Type field of an Auth Method is immutable"):
        root.acl.auth_method.update("jwt", "kubernetes", config=issuer.config())

    assert root.acl.auth_method.delete("jwt") is True
    assert root.acl.auth_method.read("jwt") is None
    assert root.acl.auth_method.delete("jwt") is True


def test_auth_method_config_is_checked(root):
    with pytest.raises(consul.ServerError, match=r"Type should be one of: \[aws-iam jwt"):
        root.acl.auth_method.create("sso", "oidc")
    with pytest.raises(consul.ServerError, match=r"Config\.Host is required"):
        root.acl.auth_method.create("k8s", "kubernetes", config={})
    with pytest.raises(consul.ServerError, match="exactly one of 'JWTValidationPubKeys'"):
        root.acl.auth_method.create("jwt", "jwt", config={})


def test_binding_rule_lifecycle(root, issuer):
    _jwt_method(root, issuer)
    rule = root.acl.binding_rule.create(
        "jwt", "service", "${value.name}", description="apps", selector="value.env == prod"
    )
    assert (rule["AuthMethod"], rule["BindType"], rule["BindName"]) == (
        "jwt",
        "service",
        "${value.name}",
    )
    assert rule["Selector"] == "value.env == prod"
    assert root.acl.binding_rule.read(rule["ID"]) == rule
    assert root.acl.binding_rules.list() == [rule]
    assert root.acl.binding_rule.list(auth_method="jwt") == [rule]
    assert root.acl.binding_rule.list(auth_method="other") == []

    updated = root.acl.binding_rule.update(
        rule["ID"], "jwt", "templated-policy", "builtin/node", bind_vars={"Name": "${value.name}"}
    )
    assert updated["BindVars"] == {"name": "${value.name}"}
    assert updated["Selector"] == ""
    with pytest.raises(consul.ServerError, match=r"unknown variable accessed: value\.nope"):
        root.acl.binding_rule.create("jwt", "service", "${value.nope}")

    assert root.acl.binding_rule.delete(rule["ID"]) is True
    assert root.acl.binding_rule.read(rule["ID"]) is None


def test_login_binds_the_verified_identity(root, connect, consul_acl_agent, issuer):
    _jwt_method(root, issuer, max_token_ttl="1h")
    root.acl.binding_rule.create("jwt", "service", "${value.name}", selector="value.env == prod")
    token = root.acl.login("jwt", issuer.token(sub="Web", env="prod"), meta={"host": "ci-1"})
    assert token["AuthMethod"] == "jwt"
    assert token["ServiceIdentities"] == [{"ServiceName": "web"}]  # lower-cased
    assert token["Local"] is True
    assert token["Description"] == 'token created via login: {"host":"ci-1"}'
    assert "ExpirationTime" in token
    assert [t["AccessorID"] for t in root.acl.token.list(authmethod="jwt")] == [token["AccessorID"]]

    app = connect(agent=consul_acl_agent, token=token["SecretID"])
    assert app.agent.service.register("web") is True
    with pytest.raises(consul.ACLPermissionDenied):
        app.kv.put("k", "v")

    assert app.acl.logout() is True
    assert root.acl.token.read(token["AccessorID"]) is None


def test_login_refusals(root, issuer):
    _jwt_method(root, issuer)
    root.acl.binding_rule.create("jwt", "service", "${value.name}", selector="value.env == prod")
    with pytest.raises(consul.ACLPermissionDenied, match="Permission denied"):
        root.acl.login("jwt", issuer.token(sub="web", env="dev"))
    with pytest.raises(consul.ServerError, match="no known key successfully validated"):
        root.acl.login("jwt", JWTIssuer(issuer.issuer).token(sub="web", env="prod"))
    with pytest.raises(consul.ServerError, match="invalid issuer claim"):
        root.acl.login("jwt", issuer.token(sub="web", env="prod", iss="elsewhere"))
    with pytest.raises(consul.ACLPermissionDenied, match='auth method "nope" not found'):
        root.acl.login("nope", issuer.token())
    with pytest.raises(consul.ACLPermissionDenied, match="wasn't created via login"):
        root.acl.logout()


def test_deleting_an_auth_method_deletes_its_rules_and_tokens(root, issuer):
    _jwt_method(root, issuer)
    root.acl.binding_rule.create("jwt", "service", "${value.name}")
    token = root.acl.login("jwt", issuer.token(sub="web"))
    assert root.acl.auth_method.delete("jwt") is True
    assert root.acl.binding_rule.list() == []
    assert root.acl.token.read(token["AccessorID"]) is None


def test_authorize(root, connect, consul_acl_agent):
    root.acl.policy.create("kv", rules='key_prefix "app/" { policy = "write" }')
    secret = root.acl.token.create(policies_name=["kv"])["SecretID"]
    user = connect(agent=consul_acl_agent, token=secret)
    answers = user.acl.authorize(
        [
            {"Resource": "key", "Segment": "app/x", "Access": "write"},
            {"Resource": "key", "Segment": "other", "Access": "read"},
            {"Resource": "acl", "Access": "read"},
        ]
    )
    assert [a["Allow"] for a in answers] == [True, False, False]
    assert answers[2] == {"Resource": "acl", "Access": "read", "Allow": False}
    assert root.acl.authorize([{"Resource": "acl", "Access": "write"}])[0]["Allow"] is True
    assert root.acl.authorize([]) == []
    with pytest.raises(consul.BadRequest, match='Invalid ACL resource requested: "disk"'):
        root.acl.authorize([{"Resource": "disk", "Access": "read"}])


def test_replication(connect, consul_acl_agent):
    # No token needed: Consul answers it for health checks.
    status = connect(agent=consul_acl_agent).acl.replication()
    assert status["Enabled"] is False
    assert status["LastSuccess"] == "0001-01-01T00:00:00Z"


def test_bad_arguments_are_refused_before_any_request(c):
    with pytest.raises(ValueError, match="name must not contain '/'"):
        c.acl.auth_method.read("a/b")
    with pytest.raises(ValueError, match="method_type must not be empty"):
        c.acl.auth_method.create("m", "")
    with pytest.raises(ValueError, match="max_token_ttl must be a duration"):
        c.acl.auth_method.create("m", "jwt", max_token_ttl="soon")
    with pytest.raises(ValueError, match="binding_rule_id must not be empty"):
        c.acl.binding_rule.read("")
    with pytest.raises(TypeError, match="bind_vars must be a mapping of str to str"):
        c.acl.binding_rule.create("m", "service", "x", bind_vars=["Name"])
    with pytest.raises(ValueError, match="logout needs the secret"):
        c.acl.logout()
    with pytest.raises(ValueError, match="bearer_token must not be empty"):
        c.acl.login("m", "")
    with pytest.raises(TypeError, match="requests must be a list"):
        c.acl.authorize({"Resource": "acl", "Access": "read"})


def test_oidc_is_enterprise(root):
    # Consul CE registers no /v1/acl/oidc/* routes.
    with pytest.raises(consul.NotFound, match="Invalid URL path"):
        root.acl.oidc_auth_url("sso", "http://localhost:8550/oidc/callback", client_nonce="n")
    with pytest.raises(consul.NotFound, match="Invalid URL path"):
        root.acl.oidc_callback("sso", "state", "code")
