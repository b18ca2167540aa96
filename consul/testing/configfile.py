"""Consul's own configuration files, read into :class:`AgentConfig` settings.

``consul agent`` decodes each configuration source (a JSON or HCL file, or
``CONSUL_LOCAL_CONFIG``) into ``config.Config`` (``agent/config/config.go``)
and builds its runtime configuration from them (``agent/config/builder.go``).
This module does the same for the keys that shape an embedded agent, with
``consul agent``'s error texts.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from .state.config import AgentConfig
from .state.gojson import decode_json
from .state.golang import multierror, parse_duration
from .state.hcl import parse as parse_hcl
from .state.hcl import to_dict

__all__ = [
    "ConsulConfigError",
    "consul_config_settings",
    "load_consul_config_file",
    "load_consul_local_config",
    "parse_consul_config",
]

# -- Consul's own configuration files --------------------------------------------
#
# ``consul agent`` decodes each configuration source (a JSON or HCL file)
# with mapstructure into ``config.Config`` (``agent/config/config.go``) plus
# the deprecated top-level keys of ``DeprecatedConfig``
# (``agent/config/deprecated.go``); keys match case-insensitively. A key no
# struct field takes makes the whole load fail (``builder.build`` in
# ``agent/config/builder.go``):
#
#     failed to parse <source>: 1 error occurred:
#     	* invalid config key <dotted.key>
#
# and the agent prints that after ``==> `` and exits with status 1.
#
# The tree below lists the keys Consul knows. ``None`` marks a key whose
# content is not checked here (free-form maps, lists of definitions and the
# sections this agent does not emulate are accepted as a whole).

_Known = dict[str, "_Known | None"]


def _keys(*names: str) -> _Known:
    return dict.fromkeys(names)


_TOKENS = _keys(
    "initial_management",
    "replication",
    "agent_recovery",
    "default",
    "agent",
    "config_file_service_registration",
    "managed_service_provider",
    "master",
    "agent_master",
)
_ACL: _Known = {
    **_keys(
        "enabled",
        "enable_token_replication",
        "policy_ttl",
        "role_ttl",
        "token_ttl",
        "down_policy",
        "default_policy",
        "enable_key_list_policy",
        "enable_token_persistence",
        "msp_disable_bootstrap",
    ),
    "tokens": _TOKENS,
}
_PORTS = _keys(
    "dns",
    "http",
    "https",
    "serf_lan",
    "serf_wan",
    "server",
    "grpc",
    "grpc_tls",
    "proxy_min_port",
    "proxy_max_port",
    "sidecar_min_port",
    "sidecar_max_port",
    "expose_min_port",
    "expose_max_port",
)
_LIMITS: _Known = {
    **_keys(
        "http_max_conns_per_client",
        "https_handshake_timeout",
        "rpc_client_timeout",
        "rpc_handshake_timeout",
        "rpc_max_burst",
        "rpc_max_conns_per_client",
        "rpc_rate",
        "kv_max_value_size",
        "txn_max_req_len",
    ),
    "request_limits": _keys("mode", "read_rate", "write_rate"),
}
_GOSSIP = _keys(
    "gossip_nodes",
    "gossip_interval",
    "probe_interval",
    "probe_timeout",
    "suspicion_mult",
    "retransmit_mult",
)
_TELEMETRY = _keys(
    "circonus_api_app",
    "circonus_api_token",
    "circonus_api_url",
    "circonus_broker_id",
    "circonus_broker_select_tag",
    "circonus_check_display_name",
    "circonus_check_force_metric_activation",
    "circonus_check_id",
    "circonus_check_instance_id",
    "circonus_check_search_tag",
    "circonus_check_tags",
    "circonus_submission_interval",
    "circonus_submission_url",
    "disable_hostname",
    "dogstatsd_addr",
    "dogstatsd_tags",
    "retry_failed_connection",
    "filter_default",
    "prefix_filter",
    "metrics_prefix",
    "prometheus_retention_time",
    "statsd_address",
    "statsite_address",
)

#: The keys ``consul agent`` accepts in a configuration file.
CONSUL_CONFIG_KEYS: _Known = {
    **_keys(
        # config.Config, unchecked sections and plain values
        "advertise_addr",
        "advertise_addr_ipv4",
        "advertise_addr_ipv6",
        "advertise_addr_wan",
        "advertise_addr_wan_ipv4",
        "advertise_addr_wan_ipv6",
        "advertise_reconnect_timeout",
        "auto_config",
        "bind_addr",
        "bootstrap",
        "bootstrap_expect",
        "check",
        "check_output_max_size",
        "check_update_interval",
        "checks",
        "client_addr",
        "cloud",
        "config_entries",
        "domain",
        "alt_domain",
        "recursors",
        "data_dir",
        "datacenter",
        "default_intention_policy",
        "default_query_time",
        "disable_anonymous_signature",
        "disable_coordinates",
        "disable_host_node_id",
        "disable_http_unprintable_char_filter",
        "disable_keyring_file",
        "disable_kv_key_validation",
        "disable_remote_exec",
        "disable_update_check",
        "discard_check_output",
        "discovery_max_stale",
        "enable_agent_tls_for_checks",
        "enable_central_service_config",
        "enable_debug",
        "enable_script_checks",
        "enable_local_script_checks",
        "enable_syslog",
        "encrypt",
        "encrypt_verify_incoming",
        "encrypt_verify_outgoing",
        "leave_on_terminate",
        "license_path",
        "log_level",
        "log_sublevels",
        "log_json",
        "log_file",
        "log_rotate_duration",
        "log_rotate_bytes",
        "log_rotate_max_files",
        "max_query_time",
        "node_id",
        "node_meta",
        "node_name",
        "peering",
        "pid_file",
        "primary_datacenter",
        "primary_gateways",
        "primary_gateways_interval",
        "protocol",
        "raft_protocol",
        "raft_snapshot_threshold",
        "raft_snapshot_interval",
        "raft_trailing_logs",
        "reconnect_timeout",
        "reconnect_timeout_wan",
        "rejoin_after_leave",
        "auto_reload_config",
        "retry_interval",
        "retry_interval_wan",
        "retry_join",
        "retry_max",
        "retry_max_wan",
        "retry_join_wan",
        "serf_lan_allowed_cidrs",
        "serf_wan_allowed_cidrs",
        "serf_lan",
        "serf_wan",
        "server",
        "server_name",
        "service",
        "services",
        "session_ttl_min",
        "skip_leave_on_interrupt",
        "syslog_facility",
        "tls",
        "tagged_addresses",
        "translate_wan_addrs",
        "xds",
        "ui",
        "ui_content_path",
        "ui_dir",
        "ui_config",
        "watches",
        "rpc",
        "raft_logstore",
        "use_streaming_backend",
        "snapshot_agent",
        "ae_interval",
        "check_deregister_interval_min",
        "check_reap_interval",
        "revision",
        "segment_limit",
        "segment_name_limit",
        "sync_coordinate_interval_min",
        "sync_coordinate_rate_target",
        "version",
        "version_prerelease",
        "version_metadata",
        "build_date",
        "audit",
        "read_replica",
        "non_voting_server",
        "segment",
        "segments",
        "partition",
        "license_poll_base_time",
        "license_poll_max_time",
        "license_update_base_time",
        "license_update_max_time",
        "reporting",
        # DeprecatedConfig
        "acl_agent_master_token",
        "acl_agent_token",
        "acl_token",
        "acl_enable_key_list_policy",
        "acl_master_token",
        "acl_replication_token",
        "enable_acl_replication",
        "acl_datacenter",
        "acl_default_policy",
        "acl_down_policy",
        "acl_ttl",
        "ca_file",
        "ca_path",
        "cert_file",
        "key_file",
        "tls_cipher_suites",
        "tls_min_version",
        "verify_incoming",
        "verify_incoming_https",
        "verify_incoming_rpc",
        "verify_outgoing",
        "verify_server_hostname",
        "tls_prefer_server_cipher_suites",
        "start_join",
        "start_join_wan",
        "raft_boltdb",
    ),
    "acl": _ACL,
    "addresses": _keys("dns", "http", "https", "grpc", "grpc_tls"),
    "autopilot": _keys(
        "cleanup_dead_servers",
        "last_contact_threshold",
        "max_trailing_logs",
        "min_quorum",
        "server_stabilization_time",
        "disable_upgrade_migration",
        "redundancy_zone_tag",
        "upgrade_version_tag",
    ),
    "cache": _keys("entry_fetch_max_burst", "entry_fetch_rate"),
    "auto_encrypt": _keys("tls", "dns_san", "ip_san", "allow_tls"),
    "connect": _keys(
        "enabled",
        "ca_provider",
        "ca_config",
        "enable_mesh_gateway_wan_federation",
        "test_ca_leaf_root_change_spread",
    ),
    "consul": {
        "coordinate": _keys("update_batch_size", "update_max_batches", "update_period"),
        "raft": _keys("election_timeout", "heartbeat_timeout", "leader_lease_timeout"),
        "server": _keys("health_interval"),
    },
    "dns_config": _keys(
        "allow_stale",
        "a_record_limit",
        "disable_compression",
        "enable_truncate",
        "max_stale",
        "node_ttl",
        "only_passing",
        "recursor_strategy",
        "recursor_timeout",
        "service_ttl",
        "udp_answer_limit",
        "enable_additional_node_meta_txt",
        "soa",
        "use_cache",
        "cache_max_age",
        "prefer_namespace",
    ),
    "gossip_lan": _GOSSIP,
    "gossip_wan": _GOSSIP,
    "http_config": _keys(
        "block_endpoints",
        "allow_write_http_from",
        "response_headers",
        "use_cache",
        "max_header_bytes",
    ),
    "limits": _LIMITS,
    "locality": _keys("region", "zone"),
    "performance": _keys("leave_drain_time", "raft_multiplier", "rpc_hold_timeout"),
    "ports": _PORTS,
    "telemetry": _TELEMETRY,
    "unix_sockets": _keys("group", "mode", "user"),
}


class ConsulConfigError(ValueError):
    """A configuration ``consul agent`` would refuse; ``str()`` is its message."""


def _lookup(known: _Known, key: str) -> tuple[str | None, _Known | None]:
    """The canonical key (mapstructure matches names case-insensitively)."""
    if key in known:
        return key, known[key]
    for name, sub in known.items():
        if name.lower() == key.lower():
            return name, sub
    return None, None


def _normalise(data: Any, known: _Known, prefix: str, unused: list[str]) -> dict[str, Any]:
    """``data`` with canonical keys; unknown keys are collected in ``unused``."""
    out: dict[str, Any] = {}
    if isinstance(data, list) and len(data) == 1:
        data = data[0]  # HookWeakDecodeFromSlice: HCL blocks may decode as lists
    if not isinstance(data, dict):
        return out
    for key, value in data.items():
        name, sub = _lookup(known, key)
        if name is None:
            unused.append(prefix + key)
            continue
        out[name] = value if sub is None else _normalise(value, sub, f"{prefix}{name}.", unused)
    return out


def parse_consul_config(text: str, fmt: str, source: str) -> dict[str, Any]:
    """One configuration source (``json`` or ``hcl`` text): its known keys, nested.

    Raises :class:`ConsulConfigError` with ``consul agent``'s message.
    """
    try:
        if fmt == "json":
            raw = decode_json(text.encode()) if text.strip() else {}
        elif fmt == "hcl":
            raw = to_dict(parse_hcl(text))
        else:
            raise ValueError(f"invalid format: {fmt}")
    except ValueError as exc:  # DecodeError and HCLError are ValueErrors
        raise ConsulConfigError(f"failed to parse {source}: {exc}") from None
    if not isinstance(raw, dict):
        raise ConsulConfigError(
            f"failed to parse {source}: json: cannot unmarshal "
            f"{type(raw).__name__} into Go value of type map[string]interface {{}}"
        )
    unused: list[str] = []
    config = _normalise(raw, CONSUL_CONFIG_KEYS, "", unused)
    if unused:
        errors = [f"invalid config key {key}" for key in unused]
        raise ConsulConfigError(f"failed to parse {source}: {multierror(errors)}")
    return config


_STRING_SETTINGS = {
    ("datacenter",): "datacenter",
    ("node_name",): "node_name",
    ("node_id",): "node_id",
    ("primary_datacenter",): "primary_datacenter",
    ("client_addr",): "host",
    ("bind_addr",): "bind_addr",
    ("advertise_addr",): "advertise_addr",
    ("advertise_addr_wan",): "advertise_addr_wan",
    ("addresses", "http"): "host",
    ("acl", "default_policy"): "acl_default_policy",
    ("default_intention_policy",): "default_intention_policy",
    ("acl", "tokens", "initial_management"): "acl_initial_management",
    ("acl", "tokens", "default"): "acl_default_token",
    ("acl", "tokens", "agent"): "acl_agent_token",
    ("log_level",): "log_level",
    # The HTTPS listener's TLS: tls.defaults, then tls.https over it.
    ("tls", "defaults", "cert_file"): "tls_cert_file",
    ("tls", "defaults", "key_file"): "tls_key_file",
    ("tls", "defaults", "ca_file"): "tls_ca_file",
    ("tls", "https", "cert_file"): "tls_cert_file",
    ("tls", "https", "key_file"): "tls_key_file",
    ("tls", "https", "ca_file"): "tls_ca_file",
    ("unix_sockets", "user"): "unix_socket_user",
    ("unix_sockets", "group"): "unix_socket_group",
    ("unix_sockets", "mode"): "unix_socket_mode",
}
_INT_SETTINGS = {
    ("limits", "http_max_conns_per_client"): "http_max_conns_per_client",
    ("http_config", "max_header_bytes"): "http_max_header_bytes",
}
#: Durations (Go duration strings), in seconds.
_DURATION_SETTINGS = {
    ("session_ttl_min",): "session_ttl_min",
    ("default_query_time",): "default_query_time",
    ("max_query_time",): "max_query_time",
    ("limits", "https_handshake_timeout"): "https_handshake_timeout",
}
_PORT_SETTINGS = {
    ("ports", "http"): "port",
    ("ports", "https"): "https_port",
    ("ports", "server"): "server_port",
    ("ports", "serf_lan"): "serf_lan_port",
    ("ports", "serf_wan"): "serf_wan_port",
    ("ports", "grpc"): "grpc_port",
    ("ports", "grpc_tls"): "grpc_tls_port",
    ("ports", "sidecar_min_port"): "sidecar_min_port",
    ("ports", "sidecar_max_port"): "sidecar_max_port",
}
_BOOL_SETTINGS = {
    ("acl", "enabled"): "acl_enabled",
    ("acl", "enable_key_list_policy"): "acl_enable_key_list_policy",
    ("enable_script_checks",): "enable_script_checks",
    ("enable_local_script_checks",): "enable_local_script_checks",
    ("disable_kv_key_validation",): "disable_kv_key_validation",
    ("log_json",): "log_json",
    ("tls", "defaults", "verify_incoming"): "tls_verify_incoming",
    ("tls", "https", "verify_incoming"): "tls_verify_incoming",
}
#: Deprecated top-level keys and where ``applyDeprecatedConfig`` moves them
#: (only when the new key is not set in the same source).
_DEPRECATED = {
    "acl_master_token": ("acl", "tokens", "initial_management"),
    "acl_token": ("acl", "tokens", "default"),
    "acl_agent_token": ("acl", "tokens", "agent"),
    "acl_default_policy": ("acl", "default_policy"),
    "acl_enable_key_list_policy": ("acl", "enable_key_list_policy"),
    "acl_datacenter": ("primary_datacenter",),
    # applyDeprecatedTLSConfig (agent/config/deprecated.go)
    "cert_file": ("tls", "defaults", "cert_file"),
    "key_file": ("tls", "defaults", "key_file"),
    "ca_file": ("tls", "defaults", "ca_file"),
    "verify_incoming": ("tls", "defaults", "verify_incoming"),
    "verify_incoming_https": ("tls", "https", "verify_incoming"),
}


def _dig(config: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = config
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _plant(config: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = config
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node.setdefault(path[-1], value)


def consul_config_settings(config: dict[str, Any], source: str) -> dict[str, Any]:
    """The :class:`AgentConfig` settings one parsed source sets.

    The deprecated keys are moved first, as Consul does per source; tokens
    also move to ``acl.tokens.master`` -> ``initial_management``.
    ``acl_datacenter`` enables ACLs.
    """
    config = json.loads(json.dumps(config))  # a private copy to move keys in
    master = _dig(config, ("acl", "tokens", "master"))
    if master is not None:
        _plant(config, ("acl", "tokens", "initial_management"), master)
    for old, new in _DEPRECATED.items():
        if old in config:
            _plant(config, new, config[old])
    if "acl_datacenter" in config:
        config.setdefault("acl", {})["enabled"] = True
    fields = {f.name for f in dataclasses.fields(AgentConfig)}
    settings: dict[str, Any] = {}
    errors: list[str] = []

    def take(path: tuple[str, ...], field: str, kind: type, go_type: str) -> None:
        value = _dig(config, path)
        if value is None or field not in fields:
            return
        if type(value) is not kind:
            errors.append(
                f"'{'.'.join(path)}' expected type '{go_type}', got unconvertible type "
                f"'{_go_kind(value)}', value: '{value}'"
            )
            return
        settings[field] = value

    for path, field in _STRING_SETTINGS.items():
        take(path, field, str, "string")
    for path, field in _BOOL_SETTINGS.items():
        take(path, field, bool, "bool")
    for path, field in (_PORT_SETTINGS | _INT_SETTINGS).items():
        take(path, field, int, "int")
    for path, field in _DURATION_SETTINGS.items():
        value = _dig(config, path)
        if value is not None and field in fields:
            try:
                settings[field] = parse_duration(str(value))
            except ValueError as exc:
                errors.append(f"{'.'.join(path)}: {exc}")
    if errors:
        noun = "error" if len(errors) == 1 else "errors"
        detail = "".join(f"\n* {e}" for e in errors)
        raise ConsulConfigError(
            f"failed to parse {source}: {len(errors)} {noun} decoding:\n{detail}"
        )
    return settings


def _go_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "slice"
    return "map"


def load_consul_config_file(path: str) -> dict[str, Any]:
    """The settings of a ``--config-file``: JSON, or HCL unless it ends in ``.json``.

    Consul reads ``.json`` files as JSON and ``.hcl`` files as HCL; for
    ``-config-file`` with another suffix it needs ``-config-format``, which
    this agent spares you by trying JSON when the text starts with ``{``.
    """
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as exc:
        raise ConsulConfigError(f"Error reading '{path}': {exc}") from None
    fmt = "json" if path.endswith(".json") else "hcl"
    if not path.endswith((".json", ".hcl")) and text.lstrip().startswith("{"):
        fmt = "json"
    return consul_config_settings(parse_consul_config(text, fmt, path), path)


def load_consul_local_config(text: str) -> dict[str, Any]:
    """The settings of ``CONSUL_LOCAL_CONFIG`` (JSON, as Consul's image writes it)."""
    source = "CONSUL_LOCAL_CONFIG"
    return consul_config_settings(parse_consul_config(text, "json", source), source)
