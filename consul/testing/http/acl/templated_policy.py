"""``/v1/acl/templated-policies`` and ``/v1/acl/templated-policy``: Consul's builtin templates.

After ``agent/acl_endpoint.go`` (``ACLTemplatedPoliciesList``,
``ACLTemplatedPolicyRead``, ``ACLTemplatedPolicyPreview``): ``acl:read``,
no blocking and no query metadata; Consul CE refuses a namespace or a
partition (``parseEntMetaNoWildcard``) before the token is resolved. A template's name holds a ``/``
(``builtin/service``): the handlers read the decoded path, so both
``builtin/service`` and ``builtin%2Fservice`` name it.
"""

from __future__ import annotations

from ...state import structs
from ...state.acl.templated import TEMPLATES, synthetic_policy, validation_error
from ...state.golang import quote
from ...state.structs import TemplatedPolicy
from ..context import Ctx
from ..errors import BadRequest
from ..reply import Reply, json_reply
from ..routes import Routes
from .common import acl_store, require_acl

routes = Routes()


@routes("/v1/acl/templated-policies", "GET")
async def templated_policy_list(ctx: Ctx) -> Reply:
    """Every builtin template, keyed by name (Go marshals the map's keys sorted)."""
    acl_store(ctx)
    ctx.check_enterprise_meta()
    require_acl(ctx, write=False)
    return json_reply({name: TEMPLATES[name].to_json() for name in sorted(TEMPLATES)})


def _template_name(ctx: Ctx) -> str:
    """The template named by the rest of the path, once the request may read ACLs."""
    acl_store(ctx)
    if not ctx.tail:
        raise BadRequest("Missing templated policy Name")
    ctx.check_enterprise_meta()
    require_acl(ctx, write=False)
    return ctx.tail


@routes("/v1/acl/templated-policy/name/", "GET")
async def templated_policy_read(ctx: Ctx) -> Reply:
    """One template; an unknown name is a 400, not a 404."""
    name = _template_name(ctx)
    template = TEMPLATES.get(name)
    if template is None:
        raise BadRequest(f"Invalid templated policy Name: {name}")
    return json_reply(template.to_json())


@routes("/v1/acl/templated-policy/preview/", "POST")
async def templated_policy_preview(ctx: Ctx) -> Reply:
    """The synthetic policy a template renders for the variables in the body."""
    name = _template_name(ctx)
    template = TEMPLATES.get(name)
    if template is None:
        raise BadRequest(f"templated policy {quote(name)} does not exist")
    variables = await ctx.decode(
        structs.TEMPLATED_POLICY_VARIABLES, "Failed to decode request body: "
    )
    error = validation_error(name, variables)
    if error is not None:
        raise BadRequest(f"validation error for templated policy: {quote(name)}: {error}")
    policy: TemplatedPolicy = {
        "TemplateID": template.template_id,
        "TemplateName": name,
        "TemplateVariables": variables,
    }
    return json_reply(synthetic_policy(policy).to_json())
