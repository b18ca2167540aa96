"""Auth methods: their records, their config, and how a login's bearer token is verified.

After ``agent/structs/acl.go`` (``ACLAuthMethod``, its JSON),
``agent/consul/authmethod/`` (the registered types and the identities they
verify) and ``internal/go-sso/oidcauth/`` (the ``jwt`` type). Consul CE
registers three types (``oidc`` is Enterprise):

- ``jwt``: a JWT checked against ``JWTValidationPubKeys`` (really checked,
  with PyJWT), then its claims as ``oidcauth`` checks them (issuer,
  audiences, expiry with leeways) and mapped by ``ClaimMappings`` and
  ``ListClaimMappings``. The embedded agent fetches nothing: ``JWKSURL`` and
  ``OIDCDiscoveryURL`` are refused.
- ``kubernetes``: the config is checked; a login fails as it does when the
  Kubernetes API (its TokenReview endpoint) cannot be reached.
- ``aws-iam``: the config is checked; a login fails as when AWS STS cannot
  be reached.

A verified :class:`Identity` has the selectable fields binding rule
selectors run on (a go-bexpr type with Consul's ``bexpr`` names) and the
variables their ``BindName`` interpolates.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

from ..golang import format_duration, go_value
from ..gotypes import BOOL, DURATION, INT, STRING, Map, Slice, Struct, fields, struct
from ..mapstructure import MapDecodeError, decode

__all__ = [
    "TYPES",
    "AuthMethod",
    "Identity",
    "LoginError",
    "Validator",
    "new_validator",
]

#: The types Consul CE registers (``authmethod.Types()``, sorted).
TYPES = ("aws-iam", "jwt", "kubernetes")


class LoginError(Exception):
    """A bearer token the auth method refuses; ``str()`` is Consul's message."""


@dataclasses.dataclass
class AuthMethod:
    """``structs.ACLAuthMethod``; ``max_token_ttl`` in nanoseconds."""

    name: str
    type: str
    display_name: str = ""
    description: str = ""
    max_token_ttl: int = 0
    token_locality: str = ""
    config: dict[str, Any] | None = None
    create_index: int = 0
    modify_index: int = 0

    def _head(self) -> dict[str, Any]:
        # The custom MarshalJSON writes MaxTokenTTL first, as a duration string.
        out: dict[str, Any] = {}
        if self.max_token_ttl:
            out["MaxTokenTTL"] = format_duration(self.max_token_ttl)
        out["Name"] = self.name
        out["Type"] = self.type
        if self.display_name:
            out["DisplayName"] = self.display_name
        if self.description:
            out["Description"] = self.description
        if self.token_locality:
            out["TokenLocality"] = self.token_locality
        return out

    def to_json(self) -> dict[str, Any]:
        """The auth method as ``GET /v1/acl/auth-method/:name`` answers it."""
        return {
            **self._head(),
            "Config": self.config,
            "CreateIndex": self.create_index,
            "ModifyIndex": self.modify_index,
        }

    def stub(self) -> dict[str, Any]:
        """``ACLAuthMethodListStub``: no ``Config``."""
        return {
            **self._head(),
            "CreateIndex": self.create_index,
            "ModifyIndex": self.modify_index,
        }


@dataclasses.dataclass
class Identity:
    """``authmethod.Identity``: what a verified bearer token says.

    ``fields`` is the Go type of ``selectable`` (the JSON binding rule
    selectors run on); ``projected`` are the ``BindName`` variables.
    """

    fields: Struct
    selectable: dict[str, Any]
    projected: dict[str, str]


class Validator:
    """``authmethod.Validator``: one auth method's checks of a bearer token."""

    def new_identity(self) -> Identity:
        """A blank identity: every field and variable there, empty (``NewIdentity``)."""
        raise NotImplementedError

    def validate_login(self, bearer_token: str) -> Identity:
        """The identity ``bearer_token`` proves (``ValidateLogin``); LoginError if none."""
        raise NotImplementedError


# -- jwt (agent/consul/authmethod/ssoauth, internal/go-sso/oidcauth) ----------------------

_JWT_CONFIG = struct(
    "ssoauth.Config",
    JWTSupportedAlgs=Slice(STRING),
    BoundAudiences=Slice(STRING),
    ClaimMappings=Map(STRING),
    ListClaimMappings=Map(STRING),
    OIDCDiscoveryURL=STRING,
    OIDCDiscoveryCACert=STRING,
    JWKSURL=STRING,
    JWKSCACert=STRING,
    JWTValidationPubKeys=Slice(STRING),
    BoundIssuer=STRING,
    ExpirationLeeway=DURATION,
    NotBeforeLeeway=DURATION,
    ClockSkewLeeway=DURATION,
)
_SUPPORTED_ALGS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512")
#: What go-jose verifies with a public key (``jwt.ParseSigned`` takes any of them).
_VERIFY_ALGS = [*_SUPPORTED_ALGS, "EdDSA"]
_JWT_FIELDS = struct("ssoauth.fieldDetails", value=Map(STRING), list=Map(Slice(STRING)))
_PEM = re.compile(rb"-----BEGIN ([^-\r\n]+)-----\r?\n(.*?)-----END \1-----", re.DOTALL)
_JOSE = "go-jose/go-jose/jwt: "
#: ``claimDefaultLeeway`` (seconds) and go-jose's ``DefaultLeeway``.
_CLAIM_LEEWAY = 150
_CLOCK_SKEW = 60.0

_PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey


def _public_key(pem: str) -> _PublicKey:
    """``parsePublicKeyPEM``: the first PEM block's RSA, ECDSA or Ed25519 key (or its cert's)."""
    found = _PEM.search(pem.encode())
    key: object = None
    if found is not None:
        try:
            der = base64.b64decode(b"".join(found.group(2).split()), validate=True)
        except binascii.Error:
            der = b""
        try:
            key = load_der_public_key(der)
        except ValueError:
            try:
                key = x509.load_der_x509_certificate(der).public_key()
            except ValueError:
                raise ValueError("x509: malformed certificate") from None
    if isinstance(key, _PublicKey):
        return key
    raise ValueError("data does not contain any valid RSA, ECDSA, or ED25519 public keys")


def _check_jwt_config(config: dict[str, Any]) -> None:
    """``oidcauth.Config.Validate`` for type ``jwt`` (the OIDC-only fields are not CE fields)."""
    sources = [k for k in ("OIDCDiscoveryURL", "JWTValidationPubKeys", "JWKSURL") if config.get(k)]
    if len(sources) != 1:
        raise ValueError(
            "exactly one of 'JWTValidationPubKeys', 'JWKSURL', or 'OIDCDiscoveryURL' "
            'must be set for type "jwt"'
        )
    if config.get("JWKSURL"):
        raise ValueError(
            "error checking JWKSURL: the embedded agent fetches no keys: use JWTValidationPubKeys"
        )
    if config.get("JWKSCACert"):
        raise ValueError("'JWKSCACert' should not be set unless 'JWKSURL' is set")
    for number, pem in enumerate(config.get("JWTValidationPubKeys") or []):
        try:
            _public_key(pem)
        except ValueError as exc:
            raise ValueError(
                f"error parsing public key JWTValidationPubKeys[{number}]: {exc}"
            ) from None
    if config.get("OIDCDiscoveryURL"):
        raise ValueError(
            "error checking OIDCDiscoveryURL: the embedded agent fetches no OIDC "
            "discovery document: use JWTValidationPubKeys"
        )
    if config.get("OIDCDiscoveryCACert"):
        raise ValueError("'OIDCDiscoveryCACert' should not be set unless 'OIDCDiscoveryURL' is set")
    for alg in config.get("JWTSupportedAlgs") or []:
        if alg not in _SUPPORTED_ALGS:
            raise ValueError(f"Invalid supported algorithm: {alg}")
    for field in ("ClaimMappings", "ListClaimMappings"):
        targets: set[str] = set()
        for target in (config.get(field) or {}).values():
            if target in targets:
                raise ValueError(f'{field} contains multiple mappings for key "{target}"')
            targets.add(target)


def _leeway(config: dict[str, Any], name: str, default: float) -> float:
    """A leeway in seconds: 0 means the default, a negative one none."""
    value = config.get(name, 0) / 1e9
    return default if value == 0 else max(value, 0.0)


def _numeric_date(claims: dict[str, Any], name: str) -> int:
    value = claims.get(name)
    return 0 if value is None else int(value)


def _claims_decode(claims: dict[str, Any]) -> bool:
    """True if go-jose's ``jwt.Claims`` can hold these claims (their JSON types)."""
    for name in ("iss", "sub", "jti"):
        if claims.get(name) is not None and not isinstance(claims[name], str):
            return False
    for name in ("exp", "nbf", "iat"):
        value = claims.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            return False
    audience = claims.get("aud")
    if audience is None or isinstance(audience, str):
        return True
    return isinstance(audience, list) and all(isinstance(a, str) for a in audience)


def _stringify(value: Any) -> str | None:
    """``stringifyMetadataValue``: strings, bools and numbers (truncated) as text."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value))
    return None


def _go_type(value: Any) -> str:
    return "[]interface {}" if isinstance(value, list) else "map[string]interface {}"


def _claim(claims: dict[str, Any], source: str) -> Any:
    """``getClaim``: a claim by name, or by JSON pointer when ``source`` starts with ``/``."""
    if not source.startswith("/"):
        return claims.get(source)
    value: Any = claims
    for part in source[1:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


class _JWTValidator(Validator):
    def __init__(self, config: dict[str, Any]) -> None:
        _check_jwt_config(config)
        self.config = config
        self.keys = [_public_key(pem) for pem in config.get("JWTValidationPubKeys") or []]

    def new_identity(self) -> Identity:
        values = dict.fromkeys((self.config.get("ClaimMappings") or {}).values(), "")
        lists: dict[str, Any] = dict.fromkeys((self.config.get("ListClaimMappings") or {}).values())
        projected = {f"value.{k}": "" for k in values}
        return Identity(_JWT_FIELDS, {"value": values, "list": lists}, projected)

    def _verified_claims(self, token: str) -> dict[str, Any]:
        """``verifyVanillaJWT`` with static keys: the signature, then go-jose's claim checks."""
        if token.count(".") != 2:
            raise LoginError(
                "error parsing token: go-jose/go-jose: compact JWS format must have three parts"
            )
        try:
            jwt.get_unverified_header(token)
        except jwt.DecodeError as exc:
            raise LoginError(f"error parsing token: go-jose/go-jose: {exc}") from None
        claims: dict[str, Any] | None = None
        for key in self.keys:
            try:
                # The signature only: the claims are checked as go-jose does, below.
                found = jwt.decode(
                    token,
                    key,
                    algorithms=_VERIFY_ALGS,
                    options={
                        "verify_signature": True,
                        "verify_exp": False,
                        "verify_nbf": False,
                        "verify_iat": False,
                        "verify_aud": False,
                        "verify_iss": False,
                    },
                )
            except jwt.PyJWTError:
                continue
            if _claims_decode(found):
                claims = found
                break
        if claims is None:
            raise LoginError("no known key successfully validated the token signature")
        self._check_claims(claims)
        return claims

    def _check_claims(self, claims: dict[str, Any]) -> None:
        config = self.config
        issued, expiry, not_before = (_numeric_date(claims, n) for n in ("iat", "exp", "nbf"))
        if not (issued or expiry or not_before):
            raise LoginError("no issue time, notbefore, or expiration time encoded in token")
        if not expiry:
            expiry = max(issued, not_before) + int(
                _leeway(config, "ExpirationLeeway", _CLAIM_LEEWAY)
            )
        if not not_before:
            not_before = issued or expiry - int(_leeway(config, "NotBeforeLeeway", _CLAIM_LEEWAY))
        problem = None
        now, skew = time.time(), _leeway(config, "ClockSkewLeeway", _CLOCK_SKEW)
        issuer = config.get("BoundIssuer", "")
        if issuer and claims.get("iss", "") != issuer:
            problem = _JOSE + "validation failed, invalid issuer claim (iss)"
        elif now + skew < not_before:
            problem = _JOSE + "validation failed, token not valid yet (nbf)"
        elif now - skew > expiry:
            problem = _JOSE + "validation failed, token is expired (exp)"
        elif now + skew < issued:
            problem = _JOSE + "validation field, token issued in the future (iat)"
        else:
            audience = claims.get("aud") or []
            audience = [audience] if isinstance(audience, str) else audience
            bound = config.get("BoundAudiences") or []
            if not bound and audience:
                problem = "audience claim found in JWT but no audiences are bound"
            elif bound and not set(bound) & set(audience):
                problem = "aud claim does not match any bound audience"
        if problem is not None:
            raise LoginError(f"error validating claims: {problem}")

    def validate_login(self, bearer_token: str) -> Identity:
        if not bearer_token:
            raise LoginError("missing jwt")
        claims = self._verified_claims(bearer_token)
        values: dict[str, str] = {}
        for source, target in (self.config.get("ClaimMappings") or {}).items():
            raw = _claim(claims, source)
            if raw is None:
                continue
            text = _stringify(raw)
            if text is None:
                raise LoginError(
                    f"error converting claim '{source}' to string from unknown type {_go_type(raw)}"
                )
            values[target] = text
        lists: dict[str, list[str]] = {}
        for source, target in (self.config.get("ListClaimMappings") or {}).items():
            raw = _claim(claims, source)
            if raw is None:
                continue
            if isinstance(raw, dict):
                raise LoginError(f'"{source}" list claim could not be converted to string list')
            items: list[str] = []
            for item in raw if isinstance(raw, list) else [raw]:
                text = _stringify(item)
                if text is None:
                    raise LoginError(
                        f'value {go_value(item)} in "{source}" list claim could not be parsed '
                        "as string"
                    )
                if text:
                    items.append(text)
            lists[target] = items
        identity = self.new_identity()
        identity.selectable = {"value": values, "list": lists}
        identity.projected.update({f"value.{k}": v for k, v in values.items()})
        return identity


# -- kubernetes (agent/consul/authmethod/kubeauth) ----------------------------------------------

_K8S_FIELDS = struct(
    "kubeauth.k8sFieldDetails",
    serviceaccount=Struct(
        "kubeauth.k8sFieldDetailsServiceAccount",
        fields(namespace=STRING, name=STRING, uid=STRING),
    ),
)
_K8S_VARIABLES = ("serviceaccount.namespace", "serviceaccount.name", "serviceaccount.uid")


def _jws_error(token: str) -> str | None:
    """Why go-jose's ``ParseSigned`` refuses a compact JWS, or None."""
    if token.count(".") != 2:
        return "compact JWS format must have three parts"
    try:
        jwt.get_unverified_header(token)
    except jwt.DecodeError as exc:
        return str(exc)
    return None


def _unreachable(url: str) -> LoginError:
    """Go's error for a POST to ``url`` that could not connect."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return LoginError(
        f'Post "{url}": dial tcp {parts.hostname}:{port}: connect: connection refused'
    )


class _KubernetesValidator(Validator):
    def __init__(self, config: dict[str, Any]) -> None:
        if not config.get("Host"):
            raise ValueError("Config.Host is required")
        if not config.get("CACert"):
            raise ValueError("Config.CACert is required")
        if not _PEM.search(config["CACert"].encode()):
            raise ValueError(
                "error parsing kubernetes ca cert: data does not contain any valid RSA or "
                "ECDSA certificates"
            )
        try:
            x509.load_pem_x509_certificates(config["CACert"].encode())
        except ValueError:
            raise ValueError(
                "error parsing kubernetes ca cert: x509: malformed certificate"
            ) from None
        if not config.get("ServiceAccountJWT"):
            raise ValueError("Config.ServiceAccountJWT is required")
        problem = _jws_error(config["ServiceAccountJWT"])
        if problem is not None:
            raise ValueError(
                f"Config.ServiceAccountJWT is not a valid JWT: square/go-jose: {problem}"
            )
        host = config["Host"]
        self.url = (host if "://" in host else f"https://{host}").rstrip("/")

    def new_identity(self) -> Identity:
        selectable = {"serviceaccount": {"namespace": "", "name": "", "uid": ""}}
        return Identity(_K8S_FIELDS, selectable, dict.fromkeys(_K8S_VARIABLES, ""))

    def validate_login(self, bearer_token: str) -> Identity:
        problem = _jws_error(bearer_token)
        if problem is not None:
            raise LoginError(f"failed to parse and validate JWT: square/go-jose: {problem}")
        # The embedded agent reaches no Kubernetes API: the TokenReview fails.
        raise _unreachable(f"{self.url}/apis/authentication.k8s.io/v1/tokenreviews")


# -- aws-iam (agent/consul/authmethod/awsauth, internal/iamauth) --------------------------------

_AWS_CONFIG = struct(
    "awsauth.Config",
    BoundIAMPrincipalARNs=Slice(STRING),
    EnableIAMEntityDetails=BOOL,
    IAMEntityTags=Slice(STRING),
    ServerIDHeaderValue=STRING,
    MaxRetries=INT,
    IAMEndpoint=STRING,
    STSEndpoint=STRING,
    STSRegion=STRING,
    AllowedSTSHeaderValues=Slice(STRING),
)
_AWS_FIELDS = struct(
    "awsauth.awsSelectableFields",
    entity_name=STRING,
    entity_id=STRING,
    account_id=STRING,
    entity_path=STRING,
    entity_tags=Map(STRING),
)


def _arn_service(arn: str) -> str | None:
    """The service of an ARN ``arn:partition:service:region:account:resource``, or None."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return parts[2]


class _AWSValidator(Validator):
    def __init__(self, config: dict[str, Any]) -> None:
        details = config.get("EnableIAMEntityDetails", False)
        arns = config.get("BoundIAMPrincipalARNs") or []
        if not arns:
            raise ValueError("BoundIAMPrincipalARNs is required and must have at least 1 entry")
        for arn in arns:
            wildcards = arn.count("*")
            if wildcards and not details:
                raise ValueError(
                    "Must set EnableIAMEntityDetails=true to use wildcards in BoundIAMPrincipalARNs"
                )
            if wildcards and (wildcards != 1 or not arn.endswith("*")):
                raise ValueError(
                    "Only one wildcard is allowed at the end of the bound IAM principal ARN"
                )
            if _arn_service(arn) not in ("iam", "sts"):
                raise ValueError(f'Invalid principal ARN: "{arn}"')
        if config.get("IAMEntityTags") and not details:
            raise ValueError("Must set EnableIAMEntityDetails=true to use IAMUserTags")
        self.config = config

    def new_identity(self) -> Identity:
        tags = (
            self.config.get("IAMEntityTags") or []
            if self.config.get("EnableIAMEntityDetails")
            else []
        )
        projected = dict.fromkeys(("entity_name", "entity_id", "account_id"), "")
        if self.config.get("EnableIAMEntityDetails"):
            projected["entity_path"] = ""
            projected.update({f"entity_tags.{tag}": "" for tag in tags})
        selectable: dict[str, Any] = {"entity_tags": dict.fromkeys(tags, "")}
        return Identity(_AWS_FIELDS, selectable, projected)

    def validate_login(self, bearer_token: str) -> Identity:
        # The embedded agent reaches no AWS: the sts:GetCallerIdentity call fails.
        raise _unreachable(self.config.get("STSEndpoint") or "https://sts.amazonaws.com/")


_FACTORIES: dict[str, tuple[Struct, Callable[[dict[str, Any]], Validator]]] = {
    "jwt": (_JWT_CONFIG, _JWTValidator),
    "kubernetes": (
        struct("kubeauth.Config", Host=STRING, CACert=STRING, ServiceAccountJWT=STRING),
        _KubernetesValidator,
    ),
    "aws-iam": (_AWS_CONFIG, _AWSValidator),
}


def new_validator(method: AuthMethod) -> Validator:
    """``authmethod.NewValidator``: the method's validator; ValueError with Consul's text.

    The config is decoded as ``ParseConfig`` does (``ErrorUnused``, no
    duration strings), then checked by the type.
    """
    spec, factory = _FACTORIES[method.type]
    try:
        config, _ = decode(method.config, spec, error_unused=True)
    except MapDecodeError as exc:
        raise ValueError(f"error decoding config: {exc}") from None
    return factory(config)
