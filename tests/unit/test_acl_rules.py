"""ACL rules: parsing, validation and matching, as ``acl/policy*.go`` define them.

Pure tests of :mod:`consul.testing.state.acl` (no server), and of the client's
translation of legacy rules.
"""

from __future__ import annotations

import pytest

from consul.api.acl._legacy import from_legacy_rules, to_legacy_rules
from consul.testing.state.acl.authorizer import Decision, PolicyAuthorizer, TokenAuthorizer
from consul.testing.state.acl.objects import BUILTIN_POLICIES
from consul.testing.state.acl.rules import RulesError, parse_rules

ALLOW, DENY, DEFAULT = Decision.ALLOW, Decision.DENY, Decision.DEFAULT


def authorizer(*rules: str) -> PolicyAuthorizer:
    return PolicyAuthorizer([parse_rules(r) for r in rules])


# -- parsing -------------------------------------------------------------------------


def test_hcl_and_json_rules_mean_the_same():
    hcl = 'key_prefix "app/" { policy = "write" }\nservice "web" { policy = "read" }\nacl = "read"'
    json_rules = (
        '{"key_prefix": {"app/": {"policy": "write"}},'
        ' "service": {"web": {"policy": "read"}}, "acl": "read"}'
    )
    assert parse_rules(hcl) == parse_rules(json_rules)


def test_json_rules_may_list_their_blocks():
    rules = parse_rules('{"key": [{"a": {"policy": "read"}}, {"b": {"policy": "deny"}}]}')
    assert [(r.name, r.policy) for r in rules.keys] == [("a", "read"), ("b", "deny")]


def test_empty_rules_grant_nothing():
    assert parse_rules("") == parse_rules("  \n")
    assert authorizer("").key_read("x") is DEFAULT


def test_unknown_resources_are_ignored_as_go_hcl_does():
    assert parse_rules('nonsense "x" { policy = "write" }') == parse_rules("")


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ('acl = "nope"', 'Invalid acl policy: "nope"'),
        ('operator = "list"', 'Invalid operator policy: "list"'),
        (
            'key "a" { policy = "nope" }',
            'Invalid key policy: &acl.KeyRule{Prefix:"a", Policy:"nope", '
            "EnterpriseRule:acl.EnterpriseRule{}}",
        ),
        (
            'agent_prefix "n" { policy = "list" }',
            'Invalid agent_prefix policy: &acl.AgentRule{Node:"n", Policy:"list"}',
        ),
        (
            'service "web" { policy = "read" intentions = "nope" }',
            'Invalid service intentions policy: &acl.ServiceRule{Name:"web", Policy:"read", '
            'Intentions:"nope", EnterpriseRule:acl.EnterpriseRule{}}',
        ),
        (
            'session "n" { }',
            'Invalid session policy: &acl.SessionRule{Node:"n", Policy:""}',
        ),
        ('key "a" {', "Failed to parse ACL rules: "),
        ('acl = "read"\nacl = "write"', 'The argument "acl" was already set'),
        ('key "a" { policy = "read"\npolicy = "write" }', 'The argument "policy" was already set'),
    ],
)
def test_invalid_rules_are_refused_with_consuls_message(rules, message):
    with pytest.raises(RulesError) as caught:
        parse_rules(rules)
    assert str(caught.value).startswith(message) or message in str(caught.value)


def test_list_is_a_level_for_keys_only():
    assert parse_rules('key_prefix "" { policy = "list" }').key_prefixes[0].policy == "list"
    with pytest.raises(RulesError, match="Invalid node_prefix policy"):
        parse_rules('node_prefix "" { policy = "list" }')


def test_levels_are_case_insensitive():
    assert authorizer('key "a" { policy = "WRITE" }').key_write("a") is ALLOW


# -- matching ------------------------------------------------------------------------


def test_exact_rule_beats_prefix_rules():
    authz = authorizer(
        'key_prefix "app/" { policy = "write" }\nkey "app/secret" { policy = "deny" }'
    )
    assert authz.key_write("app/other") is ALLOW
    assert authz.key_read("app/secret") is DENY
    # The exact rule covers only that key, not what it prefixes.
    assert authz.key_write("app/secret/more") is ALLOW


def test_longest_prefix_wins():
    authz = authorizer(
        'key_prefix "" { policy = "read" }\n'
        'key_prefix "app/" { policy = "write" }\n'
        'key_prefix "app/private/" { policy = "deny" }'
    )
    assert authz.key_read("other") is ALLOW
    assert authz.key_write("other") is DENY
    assert authz.key_write("app/x") is ALLOW
    assert authz.key_read("app/private/x") is DENY


def test_an_exact_rule_on_the_empty_name_is_not_a_prefix_rule():
    authz = authorizer('key "" { policy = "write" }')
    assert authz.key_write("") is ALLOW
    assert authz.key_write("x") is DEFAULT


def test_write_implies_read_and_list_and_list_implies_read():
    write = authorizer('key_prefix "" { policy = "write" }')
    assert (write.key_read("k"), write.key_list("k"), write.key_write("k")) == (ALLOW,) * 3
    listing = authorizer('key_prefix "" { policy = "list" }')
    assert (listing.key_read("k"), listing.key_list("k")) == (ALLOW, ALLOW)
    assert listing.key_write("k") is DENY
    read = authorizer('key_prefix "" { policy = "read" }')
    assert (read.key_read("k"), read.key_list("k"), read.key_write("k")) == (ALLOW, DENY, DENY)


def test_policies_merge_by_precedence_deny_write_list_read():
    assert (
        authorizer('key "k" { policy = "read" }', 'key "k" { policy = "write" }').key_write("k")
        is ALLOW
    )
    assert (
        authorizer('key "k" { policy = "write" }', 'key "k" { policy = "deny" }').key_read("k")
        is DENY
    )
    # Within one policy too: two rules for one key merge the same way.
    same = authorizer('key "k" { policy = "read" }\nkey "k" { policy = "write" }')
    assert same.key_write("k") is ALLOW
    assert authorizer('acl = "read"', 'acl = "write"').acl_write() is ALLOW


def test_key_write_prefix_needs_write_everywhere_below():
    assert authorizer('key_prefix "a/" { policy = "write" }').key_write_prefix("a/") is ALLOW
    below = authorizer('key_prefix "a/" { policy = "write" }\nkey "a/b" { policy = "read" }')
    assert below.key_write_prefix("a/") is DENY
    assert below.key_write("a/c") is ALLOW
    assert authorizer('key_prefix "a/" { policy = "read" }').key_write_prefix("a/x") is DENY
    assert authorizer('key "a/x" { policy = "write" }').key_write_prefix("a/") is DEFAULT


def test_service_intentions_follow_the_service_policy_unless_given():
    authz = authorizer(
        'service_prefix "" { policy = "read" }\n'
        'service "web" { policy = "write" intentions = "write" }\n'
        'service "db" { policy = "deny" }'
    )
    assert authz.intention_read("api") is ALLOW
    assert authz.intention_write("api") is DENY
    assert authz.intention_write("web") is ALLOW
    assert authz.intention_read("db") is DENY


def test_read_all_and_write_any():
    authz = authorizer('service_prefix "" { policy = "read" }\nservice "x" { policy = "deny" }')
    assert authz.service_read_all() is DENY
    # A catch-all prefix rule that does not grant write makes the default a denial.
    assert authz.service_write_any() is DENY
    assert authorizer('service "x" { policy = "read" }').service_write_any() is DEFAULT
    assert authorizer('service "x" { policy = "write" }').service_write_any() is ALLOW
    assert authorizer('node_prefix "" { policy = "read" }').node_read_all() is ALLOW


def test_mesh_and_peering_fall_back_to_operator():
    authz = authorizer('operator = "read"')
    assert (authz.mesh_read(), authz.mesh_write(), authz.peering_read()) == (ALLOW, DENY, ALLOW)
    assert authorizer('operator = "read"\nmesh = "write"').mesh_write() is ALLOW


def test_default_policy_allow_never_grants_acl_or_snapshot():
    token = TokenAuthorizer("accessor", None, default_allow=True)
    assert token.key_write("anything")
    assert token.operator_write()
    assert not token.acl_read()
    assert not token.acl_write()
    assert not token.snapshot()
    denied = TokenAuthorizer("accessor", None, default_allow=False)
    assert not denied.key_read("anything")


def test_a_rule_decides_before_the_default_policy():
    token = TokenAuthorizer("a", authorizer('key_prefix "" { policy = "deny" }'), True)
    assert not token.key_read("x")
    assert token.service_read("web")
    token = TokenAuthorizer("a", authorizer('key_prefix "" { policy = "read" }'), False)
    assert token.key_read("x")
    assert not token.key_write("x")


def test_global_management_grants_everything():
    rules = next(r for i, n, _, r in BUILTIN_POLICIES if n == "global-management")
    token = TokenAuthorizer("a", authorizer(rules), default_allow=False)
    granted = [
        token.acl_write(),
        token.snapshot(),
        token.key_write_prefix(""),
        token.service_write_any(),
        token.intention_write("*"),
        token.peering_write(),
    ]
    assert granted == [True] * 6


def test_denied_messages_are_consuls():
    token = TokenAuthorizer("abc", None, default_allow=False)
    assert token.denied_message("key:read", "foo") == (
        "Permission denied: token with AccessorID 'abc' lacks permission 'key:read' on \"foo\""
    )
    assert token.denied_message("acl:read", None).endswith("lacks permission 'acl:read'")
    # An empty name (the root of the KV store) is not named.
    assert token.denied_message("key:write", "").endswith("lacks permission 'key:write'")
    anonymous = TokenAuthorizer("00000000-0000-0000-0000-000000000002", None, False)
    assert anonymous.denied_message("key:read", "k") == (
        "Permission denied: anonymous token lacks permission 'key:read' on \"k\". The "
        "anonymous token is used implicitly when a request does not specify a token."
    )


# -- the client's translation of legacy rules ---------------------------------------


def test_legacy_rules_become_prefix_rules():
    legacy = (
        'key "" {\n  policy = "read"\n}\n# a comment about key "x"\n'
        'service "web" { policy = "write" }'
    )
    current = from_legacy_rules(legacy)
    assert current == (
        'key_prefix "" {\n  policy = "read"\n}\n# a comment about key "x"\n'
        'service_prefix "web" { policy = "write" }'
    )
    assert to_legacy_rules(current) == legacy


def test_legacy_translation_renames_only_first_keys():
    # A label that happens to be a resource name is a name, not a resource.
    assert from_legacy_rules('node "key" { policy = "read" }') == (
        'node_prefix "key" { policy = "read" }'
    )
    assert from_legacy_rules('keyring = "read"\noperator = "write"') == (
        'keyring = "read"\noperator = "write"'
    )


def test_legacy_translation_of_json_rules():
    legacy = '{"key": {"": {"policy": "read"}}, "event": {"deploy": {"policy": "write"}}}'
    translated = from_legacy_rules(legacy)
    assert parse_rules(translated) == parse_rules(
        '{"key_prefix": {"": {"policy": "read"}}, "event_prefix": {"deploy": {"policy": "write"}}}'
    )
