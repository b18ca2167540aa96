"""Go types several kinds of configuration entries share, and the checks on them.

After ``agent/structs/connect_proxy_config.go`` (mesh gateway, transparent
proxy, access logs, expose), ``agent/structs/envoy_extension.go`` and
``agent/structs/config_entry.go`` (``validateConfigEntryMeta``, the entry
hash). Field tags are Consul's: ``alias`` spellings as
:attr:`~..gotypes.Struct.aliases`, ``json:",omitempty"`` as
:func:`~..gotypes.omitempty` fields.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..errors import RPCError
from ..gojson import DecodeError, decode_json
from ..golang import multierror, quote
from ..gotypes import BOOL, INT, STRING, UINT64, Map, Slice, named, omitempty, struct
from ..structs import ENVOY_EXTENSION
from .registry import Entry

__all__ = [
    "ACCESS_LOGS",
    "ENVOY_EXTENSIONS",
    "EXPOSE",
    "EXPOSE_PATH",
    "HASH",
    "MESH_GATEWAY",
    "META",
    "MUTUAL_TLS_MODE",
    "PROXY_MODE",
    "TRANSPARENT_PROXY",
    "entry_hash",
    "fail",
    "meta_errors",
    "tls_config_error",
    "validate_access_logs",
    "validate_meta",
    "validate_mutual_tls_mode",
]

#: ``structs.ProxyMode``.
PROXY_MODE = named("structs.ProxyMode")
#: ``structs.MutualTLSMode``.
MUTUAL_TLS_MODE = named("structs.MutualTLSMode")

MESH_GATEWAY = struct("structs.MeshGatewayConfig", Mode=omitempty(named("structs.MeshGatewayMode")))
TRANSPARENT_PROXY = struct(
    "structs.TransparentProxyConfig",
    aliases={
        "outbound_listener_port": "OutboundListenerPort",
        "dialed_directly": "DialedDirectly",
    },
    OutboundListenerPort=omitempty(INT),
    DialedDirectly=omitempty(BOOL),
)
ACCESS_LOGS = struct(
    "structs.AccessLogsConfig",
    aliases={
        "enabled": "Enabled",
        "disable_listener_logs": "DisableListenerLogs",
        "type": "Type",
        "path": "Path",
        "json_format": "JSONFormat",
        "text_format": "TextFormat",
    },
    Enabled=omitempty(BOOL),
    DisableListenerLogs=omitempty(BOOL),
    Type=omitempty(named("structs.LogSinkType")),
    Path=omitempty(STRING),
    JSONFormat=omitempty(STRING),
    TextFormat=omitempty(STRING),
)
EXPOSE_PATH = struct(
    "structs.ExposePath",
    aliases={
        "listener_port": "ListenerPort",
        "local_path_port": "LocalPathPort",
        "parsed_from_check": "ParsedFromCheck",
    },
    ListenerPort=omitempty(INT),
    Path=omitempty(STRING),
    LocalPathPort=omitempty(INT),
    Protocol=omitempty(STRING),
    ParsedFromCheck=omitempty(BOOL),
)
EXPOSE = struct("structs.ExposeConfig", Checks=omitempty(BOOL), Paths=omitempty(Slice(EXPOSE_PATH)))
ENVOY_EXTENSIONS = Slice(ENVOY_EXTENSION)
#: ``Meta map[string]string`` (``omitempty``).
META = omitempty(Map(STRING))
#: ``Hash uint64`` (``omitempty``, ``hash:"ignore"``).
HASH = omitempty(UINT64)

#: ``agent/structs/structs.go``: the limits of ``Meta``.
META_MAX_KEY_PAIRS = 64
META_KEY_MAX_LENGTH = 128
META_VALUE_MAX_LENGTH = 512


def fail(errors: list[str]) -> None:
    """Raise the ``multierror`` of ``errors``, if any (Consul collects some checks so)."""
    if errors:
        raise RPCError(multierror(errors))


def meta_errors(meta: dict[str, str] | None) -> list[str]:
    """``validateConfigEntryMeta``'s errors (``agent/structs/config_entry.go``)."""
    errors = []
    meta = meta or {}
    if len(meta) > META_MAX_KEY_PAIRS:
        errors.append(f"Meta exceeds maximum element count {META_MAX_KEY_PAIRS}")
    for key, value in meta.items():
        if len(key.encode()) > META_KEY_MAX_LENGTH:
            errors.append(f"Meta key {quote(key)} exceeds maximum length {META_KEY_MAX_LENGTH}")
        if len(value.encode()) > META_VALUE_MAX_LENGTH:
            errors.append(
                f"Meta value for key {quote(key)} exceeds maximum length {META_VALUE_MAX_LENGTH}"
            )
    return errors


def validate_meta(meta: dict[str, str] | None) -> None:
    """``validateConfigEntryMeta``, raised as one error."""
    fail(meta_errors(meta))


def validate_mutual_tls_mode(mode: str) -> None:
    """``MutualTLSMode.validate`` (``agent/structs/config_entry.go``)."""
    if mode not in ("", "strict", "permissive"):
        raise RPCError(
            f'Invalid MutualTLSMode {quote(mode)}. Must be one of "", "strict", or "permissive".'
        )


def validate_access_logs(logs: dict[str, Any]) -> None:
    """``AccessLogsConfig.Validate``."""
    kind = logs["Type"]
    if kind == "file":
        if not logs["Path"]:
            raise RPCError("path must be specified when using file type access logs")
    elif kind not in ("", "stderr", "stdout"):
        raise RPCError(f"invalid access log type: {kind}")
    if logs["JSONFormat"] and logs["TextFormat"]:
        raise RPCError("cannot specify both access log JSONFormat and TextFormat")
    if kind != "file" and logs["Path"]:
        raise RPCError("path is only valid for file type access logs")
    if logs["JSONFormat"]:
        try:
            decode_json(logs["JSONFormat"].encode(), None)
        except DecodeError as exc:
            raise RPCError(f"invalid access log json for JSON format: {exc}") from None


def entry_hash(entry: Entry) -> int:
    """A 64-bit hash of an entry's content, for its ``Hash`` field.

    Consul hashes the struct with ``hashstructure``; this is a hash of the
    same content (the indexes and the hash itself left out), not the same
    number.
    """
    content = {key: value for key, value in entry.items() if key != "Hash"}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).digest()
    return int.from_bytes(digest[:8], "big")


# -- TLS (``types/tls.go``, ``validateTLSConfig`` in ``config_entry_mesh.go``) ----------

#: ``types.TLSVersion`` values ``ValidateTLSVersion`` accepts.
TLS_VERSIONS = ("TLS_AUTO", "TLSv1_0", "TLSv1_1", "TLSv1_2", "TLSv1_3")
#: Their order, for ``LessThan`` (the implementation-dependent ones are not ordered).
_TLS_ORDER = {"TLSv1_0": 1, "TLSv1_1": 2, "TLSv1_2": 3, "TLSv1_3": 4}
#: Minimum versions with which cipher suites can be chosen.
_CONFIGURABLE_CIPHERS = ("", "TLS_AUTO", "TLSv1_0", "TLSv1_1", "TLSv1_2")
#: ``envoyTLSCipherSuiteStrings``' keys: the cipher suites Envoy knows.
ENVOY_CIPHER_SUITES = frozenset(
    {
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        "TLS_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_RSA_WITH_AES_128_CBC_SHA",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        "TLS_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_RSA_WITH_AES_256_CBC_SHA",
    }
)


def _tls_version_error(version: str) -> str | None:
    if version in TLS_VERSIONS:
        return None
    return (
        f"no matching TLS version found for {version}, please specify one of "
        f"[{', '.join(sorted(TLS_VERSIONS))}]"
    )


def tls_config_error(min_version: str, max_version: str, ciphers: list[str] | None) -> str | None:
    """``validateTLSConfig``: the first problem of a TLS version range and cipher list."""
    if min_version and (problem := _tls_version_error(min_version)):
        return problem
    if max_version:
        if problem := _tls_version_error(max_version):
            return problem
        if (
            min_version in _TLS_ORDER
            and max_version in _TLS_ORDER
            and _TLS_ORDER[max_version] < _TLS_ORDER[min_version]
        ):
            return (
                f"configuring max version {max_version} less than the configured min "
                f"version {min_version} is invalid"
            )
    if ciphers:
        if min_version not in _CONFIGURABLE_CIPHERS:
            return (
                "configuring CipherSuites is only applicable to connections negotiated with "
                f"TLS 1.2 or earlier, TLSMinVersion is set to {min_version}"
            )
        unknown = [cipher for cipher in ciphers if cipher not in ENVOY_CIPHER_SUITES]
        if unknown:
            return f"no matching Envoy TLS cipher suite found for {','.join(unknown)}"
    return None
