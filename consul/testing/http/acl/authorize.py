"""``/v1/internal/acl/authorize``: what the request's token may do, by resource.

After ``agent/acl_endpoint.go`` (``ACLAuthorize``) and
``structs.CreateACLAuthorizationResponses`` with ``acl.Enforce``
(``acl/authorizer.go``): each request names a resource, a segment (its name,
where it has one) and an access level; the answer repeats it with
``Allow``. One request Consul cannot enforce fails them all (400).
"""

from __future__ import annotations

from typing import Any

from ...state import structs
from ...state.acl.authorizer import enforce
from ...state.gojson import DecodeError, decode, decode_json, json_kind
from ..context import Ctx
from ..errors import BadRequest
from ..reply import Reply, json_reply
from ..routes import Routes
from .common import acl_store

routes = Routes()

#: ``maxRequests``.
_MAX_REQUESTS = 64


def _requests(body: bytes) -> list[dict[str, Any]]:
    """The body as ``[]structs.ACLAuthorizationRequest``; 400 with Go's decoding error."""
    try:
        data = decode_json(body)
        if data is None:
            return []
        if not isinstance(data, list):
            raise DecodeError(
                f"json: cannot unmarshal {json_kind(data)} into Go value of type "
                "[]structs.ACLAuthorizationRequest"
            )
        return [decode(item, structs.ACL_AUTHORIZATION_REQUEST) for item in data]
    except DecodeError as exc:
        raise BadRequest(f"Failed to decode request body: {exc}") from None


@routes("/v1/internal/acl/authorize", "POST")
async def authorize(ctx: Ctx) -> Reply:
    """``ACLAuthorize``: at most 64 requests; none is an empty answer."""
    acl_store(ctx)
    ctx.dc  # noqa: B018 - another datacenter forwards ACL.Authorize; an unknown one fails
    requests = _requests(await ctx.body())
    if len(requests) > _MAX_REQUESTS:
        raise BadRequest(f"Refusing to process more than {_MAX_REQUESTS} authorizations at once")
    if not requests:
        return json_reply([])
    authz = ctx.authz
    answers = []
    for request in requests:
        resource, segment = request.get("Resource", ""), request.get("Segment", "")
        access = request.get("Access", "")
        try:
            allowed = enforce(authz, resource, segment, access)
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
        answer: dict[str, Any] = {"Resource": resource}
        if segment:
            answer["Segment"] = segment
        answer["Access"] = access
        answer["Allow"] = allowed
        answers.append(answer)
    return json_reply(answers)
