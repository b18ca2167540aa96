"""Templated policies: Consul's builtin policy templates, and the policies they render.

After ``agent/structs/acl_templated_policy.go`` (the list, validation,
rendering, the synthetic policy and deduplication) and the embedded
``acltemplatedpolicy/policies/ce/*.hcl`` and ``schemas/*.json`` files of
Consul 1.22 (CE). ``builtin/workload-identity`` (ID ``...0007``) was removed
with Consul's v2 catalog and is not among them.

A template's variables are validated against its JSON schema (as
``gojsonschema`` does, with its error texts) and, for the service and node
templates, as identity names; the rules are the template with ``{{.Name}}``
replaced (Go's ``text/template``, which escapes nothing).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import jsonschema

from ..errors import RPCError
from ..golang import multierror, quote
from ..structs import TemplatedPolicy, TemplatedPolicyVariables
from .objects import Policy, valid_identity_name
from .rules import PolicyRules, parse_rules

__all__ = [
    "TEMPLATES",
    "Template",
    "checked",
    "deduplicate",
    "parsed_rules",
    "rules_of",
    "synthetic_policy",
    "validation_error",
]

#: ``schemas/service.json``, the same as ``node.json`` and ``api-gateway.json``.
_NAME_SCHEMA = (
    '{\n\t"type": "object",\n\t"properties": {\n'
    '\t\t"name": { "type": "string", "$ref": "#/definitions/min-length-one" }\n\t},\n'
    '\t"required": ["name"],\n\t"definitions": {\n\t\t"min-length-one": {\n'
    '\t\t\t\t"type": "string",\n\t\t\t\t"minLength": 1\n\t\t}\n\t}\n}'
)


@dataclasses.dataclass(frozen=True)
class Template:
    """``structs.ACLTemplatedPolicyBase``: one builtin template."""

    name: str
    template_id: str
    schema: str
    template: str
    description: str

    def to_json(self) -> dict[str, str]:
        """``api.ACLTemplatedPolicyResponse`` (no ID: Consul keeps it out of sight)."""
        return {
            "TemplateName": self.name,
            "Schema": self.schema,
            "Template": self.template,
            "Description": self.description,
        }


_BLOCK = '{resource} "{name}" {{\n\tpolicy = "{level}"\n}}'


def _blocks(*rules: tuple[str, str, str]) -> str:
    return "\n".join(_BLOCK.format(resource=r, name=n, level=level) for r, n, level in rules)


def _nomad(rules: list[tuple[str, str]]) -> str:
    # The nomad templates indent with two spaces.
    return "\n".join(f'{resource} "" {{\n  policy = "{level}"\n}}' for resource, level in rules)


_TEMPLATES = (
    Template(
        "builtin/service",
        "00000000-0000-0000-0000-000000000003",
        _NAME_SCHEMA,
        "\n"
        + _blocks(
            ("service", "{{.Name}}", "write"),
            ("service", "{{.Name}}-sidecar-proxy", "write"),
            ("service_prefix", "", "read"),
            ("node_prefix", "", "read"),
        ),
        "Gives the token or role permissions to register a service and discover services "
        "in the Consul catalog. It also gives the specified service's sidecar proxy the "
        "permission to discover and route traffic to other services.",
    ),
    Template(
        "builtin/node",
        "00000000-0000-0000-0000-000000000004",
        _NAME_SCHEMA,
        "\n" + _blocks(("node", "{{.Name}}", "write"), ("service_prefix", "", "read")),
        "Gives the token or role permissions for a register an agent/node into the catalog. "
        "A node is typically a consul agent but can also be a physical server, cloud "
        "instance or a container.",
    ),
    Template(
        "builtin/dns",
        "00000000-0000-0000-0000-000000000005",
        "",
        "\n"
        + _blocks(
            ("node_prefix", "", "read"),
            ("service_prefix", "", "read"),
            ("query_prefix", "", "read"),
        ),
        "Gives the token or role permissions for the Consul DNS to query services in the network.",
    ),
    Template(
        "builtin/nomad-server",
        "00000000-0000-0000-0000-000000000006",
        "",
        '\nacl = "write"\n'
        + _nomad([("agent_prefix", "read"), ("node_prefix", "read"), ("service_prefix", "write")]),
        "Gives the token or role permissions required for integration with a nomad server.",
    ),
    Template(
        "builtin/api-gateway",
        "00000000-0000-0000-0000-000000000008",
        _NAME_SCHEMA,
        'mesh = "read"\n'
        + _blocks(
            ("node_prefix", "", "read"),
            ("service_prefix", "", "read"),
            ("service", "{{.Name}}", "write"),
        ),
        "Gives the token or role permissions for a Consul api gateway",
    ),
    Template(
        "builtin/nomad-client",
        "00000000-0000-0000-0000-000000000009",
        "",
        _nomad(
            [
                ("agent_prefix", "read"),
                ("node_prefix", "read"),
                ("service_prefix", "write"),
                ("key_prefix", "read"),
            ]
        ),
        "Gives the token or role permissions required for integration with a nomad client.",
    ),
)

#: The builtin templates by name (``GetACLTemplatedPolicyList``).
TEMPLATES: dict[str, Template] = {t.name: t for t in _TEMPLATES}

#: The 128-bit FNV-1a offset basis: what ``fnv.New128a().Sum(b)`` appends to ``b``.
_FNV128A_EMPTY = "6c62272e07bb014262b821756295c58d"


#: gojsonschema's names of JSON types, by the Python type holding them.
_JSON_TYPES = {
    type(None): "null",
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}


def _schema_errors(schema: str, variables: TemplatedPolicyVariables | None) -> list[str]:
    """``gojsonschema``'s descriptions of what ``variables`` (as Go marshals them) lack."""
    # NewGoLoader marshals the Go value: a nil pointer is null, an empty
    # name is left out (omitempty).
    document = None if variables is None else {k: v for k, v in variables.items() if v}
    validator = jsonschema.Draft4Validator(json.loads(schema))
    found: list[str] = []
    for error in sorted(validator.iter_errors(document), key=lambda e: list(e.path)):
        if error.validator == "required":
            missing = [p for p in error.validator_value if p not in (error.instance or {})]
            found.extend(f"{name} is required" for name in missing)
        elif error.validator == "type":
            given = _JSON_TYPES.get(type(error.instance), "object")
            found.append(f"Invalid type. Expected: {error.validator_value}, given: {given}")
        elif error.validator == "minLength":
            found.append(f"String length must be greater than or equal to {error.validator_value}")
        else:  # the builtin schemas ask for nothing else
            found.append(error.message)
    return found


def validation_error(name: str, variables: TemplatedPolicyVariables | None) -> str | None:
    """``ValidateTemplatedPolicy``: why ``variables`` do not suit template ``name``, or None.

    The service and node templates check the name as an identity name
    first (the node text has two spaces, as Consul's has), then the schema.
    """
    template = TEMPLATES[name]
    if not template.schema:
        return None
    if variables is not None:
        value = variables.get("name", "")
        if name == "builtin/service" and not valid_identity_name(value):
            return (
                f"service identity {quote(value)} has an invalid name. "
                "Only lowercase alphanumeric characters, '-' and '_' are allowed"
            )
        if name == "builtin/node" and not valid_identity_name(value):
            return (
                f"node identity {quote(value)}  has an invalid name. "
                "Only lowercase alphanumeric characters, '-' and '_' are allowed"
            )
    errors = _schema_errors(template.schema, variables)
    return multierror(errors) if errors else None


def rules_of(policy: TemplatedPolicy) -> str:
    """The rules a templated policy renders to (``aclTemplatedPolicyRules``)."""
    template = TEMPLATES[policy.get("TemplateName", "")]
    variables = policy.get("TemplateVariables") or {}
    return template.template.replace("{{.Name}}", variables.get("name", ""))


def synthetic_policy(policy: TemplatedPolicy) -> Policy:
    """``SyntheticPolicy``: the policy a templated policy stands for.

    Its ID is Go's ``fmt.Sprintf("%x", fnv.New128a().Sum([]byte(rules)))``:
    ``Sum`` appends the hash (of nothing written) to its argument, so the ID
    is the hex of the rules followed by FNV-1a's offset basis.
    """
    rules = rules_of(policy)
    policy_id = rules.encode().hex() + _FNV128A_EMPTY
    synthetic = Policy(
        policy_id,
        f"synthetic-policy-{policy_id}",
        f"synthetic policy generated from templated policy: {policy.get('TemplateName', '')}",
        rules,
        policy.get("Datacenters") or None,
    )
    synthetic.set_hash()
    return synthetic


def parsed_rules(policy: TemplatedPolicy) -> PolicyRules:
    """The parsed rules of a templated policy (what the authorizer enforces)."""
    return parse_rules(rules_of(policy))


def checked(
    entries: list[dict[str, Any]], missing_name: str, unknown: str, invalid: str
) -> list[TemplatedPolicy]:
    """Templated policies of a token or role write, checked and deduplicated.

    ``missing_name``, ``unknown`` and ``invalid`` are the writer's texts:
    ``{name}`` is filled in as given, ``{quoted}`` as Go's ``%q``, ``{error}``
    with the validation error.
    """
    out: list[TemplatedPolicy] = []
    for entry in entries:
        name = entry.get("TemplateName", "")
        if not name:
            raise RPCError(missing_name)
        template = TEMPLATES.get(name)
        if template is None:
            raise RPCError(unknown.format(name=name, quoted=quote(name)))
        variables: TemplatedPolicyVariables | None = entry.get("TemplateVariables")
        error = validation_error(name, variables)
        if error is not None:
            raise RPCError(invalid.format(name=name, quoted=quote(name), error=error))
        item: TemplatedPolicy = {"TemplateID": template.template_id, "TemplateName": name}
        if variables is not None:
            item["TemplateVariables"] = variables
        if entry.get("Datacenters"):
            item["Datacenters"] = list(entry["Datacenters"])
        out.append(item)
    return deduplicate(out)


def deduplicate(policies: list[TemplatedPolicy]) -> list[TemplatedPolicy]:
    """``ACLTemplatedPolicies.Deduplicate``: one per name, or per name and variables."""
    seen: dict[str, list[Any]] = {}
    out: list[TemplatedPolicy] = []
    for policy in policies:
        name = policy.get("TemplateName", "")
        found = name in seen
        variables = seen.setdefault(name, [])
        if not TEMPLATES[name].schema:
            if not found:
                out.append(policy)
            continue
        value = policy.get("TemplateVariables") or {}
        if value not in variables:
            variables.append(value)
            out.append(policy)
    return out
