"""The legacy ACL API of python-consul, on top of tokens and policies.

Consul removed its legacy ACL endpoints (``/v1/acl/create``, ``/info``...) in
1.11. A legacy ACL was a token whose ``ID`` was its secret, with a ``Type``
(``client`` or ``management``) and its own ``Rules`` in the legacy syntax,
where ``key "a"`` meant every key starting with ``a``.

The flows here keep python-consul's ``acl.create/info/list/update/clone/destroy``
working: a legacy ACL is a token; a ``management`` one links the builtin
``global-management`` policy; the rules of a ``client`` one live in a policy
of their own (named :data:`POLICY_PREFIX` + a UUID), translated to the current
syntax as Consul's own ``acl.TranslateLegacyRules`` did (``key`` became
``key_prefix``, and so on for agent, event, node, query, service and
session).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Generator
from typing import Any

from ... import _decode as d
from ..._http import Call, Flow, Response, path
from ...exceptions import ACLPermissionDenied, NotFound
from ._types import ACLToken, LegacyACL

__all__ = ["POLICY_PREFIX", "from_legacy_rules", "to_legacy_rules"]

#: The name prefix of the policies holding the rules of legacy ACLs.
POLICY_PREFIX = "legacy-acl-"
#: The builtin policy of management tokens.
GLOBAL_MANAGEMENT = "00000000-0000-0000-0000-000000000001"

_TO_CURRENT = {
    name: f"{name}_prefix"
    for name in ("agent", "event", "key", "node", "query", "service", "session")
}
_TO_LEGACY = {new: old for old, new in _TO_CURRENT.items()}

# The lexical pieces of HCL (and JSON) that matter to find the keys of items.
_LEXEME = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n]*|//[^\n]*|/\*.*?\*/)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<word>[A-Za-z0-9_.\-]+)
  | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)


def _rename_keys(text: str, names: dict[str, str]) -> str:
    """Rename the first key of each object item found in ``names``.

    The item ``key "a" { policy = "read" }`` has the keys ``key`` and ``"a"``;
    only the first is a resource name. This walks the lexemes with the small
    state machine HCL's grammar implies (a key, then labels, then ``=``,
    ``:`` or an object), as Consul's ``TranslateLegacyRules`` walked the
    parsed items; everything else, comments and layout included, is kept.
    """
    out: list[str] = []
    stack: list[str] = []
    state = "key"  # key: an item starts; labels: after its first key; value: after = or :
    for match in _LEXEME.finditer(text):
        kind, lexeme = match.lastgroup, match.group()
        if kind in ("space", "comment"):
            out.append(lexeme)
            continue
        in_list = bool(stack) and stack[-1] == "["
        if kind in ("string", "word"):
            if state == "key" and not in_list:
                bare = lexeme[1:-1] if kind == "string" else lexeme
                if bare in names:
                    lexeme = f'"{names[bare]}"' if kind == "string" else names[bare]
                state = "labels"
            elif state == "value":
                state = "key"
        elif lexeme in "=:":
            state = "value"
        elif lexeme in "{[":
            stack.append(lexeme)
            state = "key"
        elif lexeme in "}]":
            if stack:
                stack.pop()
            state = "key"
        elif lexeme == ",":
            state = "key"
        out.append(lexeme)
    return "".join(out)


def from_legacy_rules(rules: str) -> str:
    """Legacy rules in the current syntax (``key "a"`` -> ``key_prefix "a"``)."""
    return _rename_keys(rules, _TO_CURRENT)


def to_legacy_rules(rules: str) -> str:
    """The inverse of :func:`from_legacy_rules`, for rules it produced."""
    return _rename_keys(rules, _TO_LEGACY)


# -- the flows ------------------------------------------------------------------

Build = Any  # the ACL group's request builder: self._request


def _token_by_secret(build: Build, secret: str) -> Call[ACLToken | None]:
    """The token whose secret is a legacy ACL's ID (``/v1/acl/token/self`` with it)."""

    def decode(response: Response) -> ACLToken | None:
        if response.status == 403 and b"ACL not found" in response.body:
            return None
        result: ACLToken | None = d.or_none(d.json)(response)
        return result

    return Call(build("GET", path("acl", "token", "self"), token=secret), decode)


def _legacy_policies(token: ACLToken) -> list[str]:
    return [
        link["ID"] for link in token.get("Policies", []) if link["Name"].startswith(POLICY_PREFIX)
    ]


def _is_management(token: ACLToken) -> bool:
    return any(link["ID"] == GLOBAL_MANAGEMENT for link in token.get("Policies", []))


def _legacy_view(token: ACLToken, rules: str) -> LegacyACL:
    return {
        "CreateIndex": token["CreateIndex"],
        "ModifyIndex": token["ModifyIndex"],
        "ID": token["SecretID"],
        "Name": token["Description"],
        "Type": "management" if _is_management(token) else "client",
        "Rules": rules,
    }


def _read_rules(build: Build, token: ACLToken, auth: str | None) -> Flow[str]:
    """The legacy rules of a token: those of its legacy-rules policy, if any."""
    for policy_id in _legacy_policies(token):
        request = build("GET", path("acl", "policy", policy_id), token=auth)
        policy = yield Call(request, d.or_none(d.json))
        if policy is not None:
            return to_legacy_rules(policy["Rules"])
    return ""


def _create_rules_policy(build: Build, rules: str, auth: str | None) -> Flow[str]:
    """A new policy holding ``rules`` (legacy syntax); its ID."""
    body = {
        "Name": POLICY_PREFIX + str(uuid.uuid4()),
        "Description": "Rules of a legacy ACL (python-consul compatibility)",
        "Rules": from_legacy_rules(rules),
    }
    request = build("PUT", path("acl", "policy"), token=auth, json_body=body)
    policy = yield Call(request, d.json)
    policy_id: str = policy["ID"]
    return policy_id


def create(
    build: Build,
    name: str | None,
    type: str | None,
    rules: str | None,
    acl_id: str | None,
    auth: str | None,
) -> Flow[str]:
    """A token (and a policy for its rules) standing for a new legacy ACL; its ID."""
    links: list[dict[str, str]] = []
    if type == "management":
        links.append({"ID": GLOBAL_MANAGEMENT})
    elif rules:
        links.append({"ID": (yield from _create_rules_policy(build, rules, auth))})
    body: dict[str, Any] = {"Description": name or ""}
    if links:
        body["Policies"] = links
    if acl_id:
        body["SecretID"] = acl_id
    request = build("PUT", path("acl", "token"), token=auth, json_body=body)
    token = yield Call(request, d.json)
    secret: str = token["SecretID"]
    return secret


def info(build: Build, acl_id: str, auth: str | None) -> Flow[LegacyACL | None]:
    """The legacy view of the token whose secret is ``acl_id``, or None."""
    token = yield _token_by_secret(build, acl_id)
    if token is None:
        return None
    rules = yield from _read_rules(build, token, auth)
    return _legacy_view(token, rules)


def listing(build: Build, auth: str | None) -> Flow[list[LegacyACL]]:
    """Every token in the legacy view, ordered by ID as the legacy list was."""
    tokens = yield Call(build("GET", path("acl", "tokens"), token=auth), d.json)
    out: list[LegacyACL] = []
    for token in tokens:
        rules = yield from _read_rules(build, token, auth)
        out.append(_legacy_view(token, rules))
    return sorted(out, key=lambda acl: acl["ID"])


def update(
    build: Build,
    acl_id: str,
    name: str | None,
    type: str | None,
    rules: str | None,
    auth: str | None,
) -> Flow[str]:
    """Change the name, type or rules of the token whose secret is ``acl_id``; its ID."""
    token = yield _token_by_secret(build, acl_id)
    if token is None:
        raise NotFound("ACL not found", status=404, method="PUT", path="/v1/acl/update")
    links = [{"ID": link["ID"]} for link in token.get("Policies", [])]
    if type == "management" and not _is_management(token):
        links.append({"ID": GLOBAL_MANAGEMENT})
    elif type == "client":
        links = [link for link in links if link["ID"] != GLOBAL_MANAGEMENT]
    if rules is not None:
        owned = _legacy_policies(token)
        if owned:
            policy = yield Call(build("GET", path("acl", "policy", owned[0]), token=auth), d.json)
            body = {
                "ID": policy["ID"],
                "Name": policy["Name"],
                "Description": policy["Description"],
                "Rules": from_legacy_rules(rules),
            }
            request = build("PUT", path("acl", "policy", policy["ID"]), token=auth, json_body=body)
            yield Call(request, d.json)
        else:
            links.append({"ID": (yield from _create_rules_policy(build, rules, auth))})
    body = _token_update_body(token, name, links)
    request = build("PUT", path("acl", "token", token["AccessorID"]), token=auth, json_body=body)
    yield Call(request, d.json)
    return acl_id


def _token_update_body(
    token: ACLToken, name: str | None, links: list[dict[str, str]]
) -> dict[str, Any]:
    """The token as it is, with a new name and policy links (an update replaces all)."""
    body: dict[str, Any] = {
        "AccessorID": token["AccessorID"],
        "Description": token["Description"] if name is None else name,
        "Local": token["Local"],
    }
    if links:
        body["Policies"] = links
    for field in ("Roles", "ServiceIdentities", "NodeIdentities", "ExpirationTime"):
        if field in token:
            body[field] = token[field]
    if "Roles" in body:
        body["Roles"] = [{"ID": link["ID"]} for link in body["Roles"]]
    return body


def clone(build: Build, acl_id: str, auth: str | None) -> Flow[str]:
    """A copy of a legacy ACL, with a copy of its rules policy; the new ID."""
    token = yield _token_by_secret(build, acl_id)
    if token is None:
        raise ACLPermissionDenied(
            "Permission denied", status=403, method="PUT", path="/v1/acl/clone"
        )
    links = [
        {"ID": link["ID"]}
        for link in token.get("Policies", [])
        if not link["Name"].startswith(POLICY_PREFIX)
    ]
    rules = yield from _read_rules(build, token, auth)
    if rules:
        links.append({"ID": (yield from _create_rules_policy(build, rules, auth))})
    body = _token_update_body(token, None, links)
    del body["AccessorID"]
    request = build("PUT", path("acl", "token"), token=auth, json_body=body)
    created = yield Call(request, d.json)
    secret: str = created["SecretID"]
    return secret


def destroy(build: Build, acl_id: str, auth: str | None) -> Generator[Any, Any, bool]:
    """Delete the token whose secret is ``acl_id`` and its rules policy; True."""
    token = yield _token_by_secret(build, acl_id)
    if token is None:
        return True
    request = build("DELETE", path("acl", "token", token["AccessorID"]), token=auth)
    yield Call(request, d.boolean)
    for policy_id in _legacy_policies(token):
        request = build("DELETE", path("acl", "policy", policy_id), token=auth)
        yield Call(request, d.boolean)
    return True
