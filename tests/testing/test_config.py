"""Consul's configuration files as the embedded agent reads them."""

from __future__ import annotations

import argparse

import pytest

from consul.testing.__main__ import build_config
from consul.testing.configfile import (
    ConsulConfigError,
    consul_config_settings,
    load_consul_config_file,
    parse_consul_config,
)


def settings(text: str, fmt: str = "json") -> dict:
    return consul_config_settings(parse_consul_config(text, fmt, "test.json"), "test.json")


def test_keys_that_matter_json():
    assert settings(
        """{"datacenter": "east", "node_name": "n1", "ports": {"http": 9500},
            "primary_datacenter": "west", "enable_script_checks": true,
            "acl": {"enabled": true, "default_policy": "deny", "enable_key_list_policy": true,
                    "tokens": {"initial_management": "root", "default": "d", "agent": "a"}}}"""
    ) == {
        "datacenter": "east",
        "node_name": "n1",
        "port": 9500,
        "primary_datacenter": "west",
        "enable_script_checks": True,
        "acl_enabled": True,
        "acl_default_policy": "deny",
        "acl_enable_key_list_policy": True,
        "acl_initial_management": "root",
        "acl_default_token": "d",
        "acl_agent_token": "a",
    }


def test_default_intention_policy_is_read():
    assert settings('default_intention_policy = "deny"', "hcl") == {
        "default_intention_policy": "deny"
    }


def test_keys_that_matter_hcl():
    text = """
    datacenter = "east"
    ports { http = 9500 }
    acl {
      enabled = true
      tokens { initial_management = "root" }
    }
    """
    assert settings(text, "hcl") == {
        "datacenter": "east",
        "port": 9500,
        "acl_enabled": True,
        "acl_initial_management": "root",
    }


def test_address_and_port_keys():
    # agent/config/builder.go: bind_addr, advertise_addr(_wan) and the ports
    # of the server RPC, Serf and gRPC, as a config file sets them.
    assert settings(
        """{"bind_addr": "10.0.0.5", "advertise_addr": "10.0.0.6",
            "advertise_addr_wan": "192.0.2.1", "client_addr": "127.0.0.1",
            "ports": {"server": 9300, "serf_lan": 9301, "serf_wan": 9302,
                      "grpc": 9502, "grpc_tls": -1}}"""
    ) == {
        "bind_addr": "10.0.0.5",
        "advertise_addr": "10.0.0.6",
        "advertise_addr_wan": "192.0.2.1",
        "host": "127.0.0.1",
        "server_port": 9300,
        "serf_lan_port": 9301,
        "serf_wan_port": 9302,
        "grpc_port": 9502,
        "grpc_tls_port": -1,
    }


def test_bind_and_advertise_flags():
    config = build_config(args("--bind", "127.0.0.3"), {})
    assert (config.bind_addr, config.advertise_addr) == ("127.0.0.3", "127.0.0.3")
    config = build_config(args("--bind", "127.0.0.3", "--advertise", "10.9.9.9"), {})
    assert (config.advertise_addr, config.advertise_addr_wan) == ("10.9.9.9", "10.9.9.9")


def test_legacy_acl_keys_move_and_acl_datacenter_enables_acls():
    assert settings(
        '{"acl_datacenter": "dc1", "acl_master_token": "root", "acl_default_policy": "deny",'
        ' "acl_token": "anon"}'
    ) == {
        "primary_datacenter": "dc1",
        "acl_enabled": True,
        "acl_default_policy": "deny",
        "acl_initial_management": "root",
        "acl_default_token": "anon",
    }


def test_new_keys_win_over_legacy_ones_in_the_same_file():
    assert (
        settings('{"acl": {"tokens": {"initial_management": "new"}}, "acl_master_token": "old"}')[
            "acl_initial_management"
        ]
        == "new"
    )


def test_log_level_and_log_json_are_read():
    assert settings('{"log_level": "DEBUG", "log_json": true}') == {
        "log_level": "DEBUG",
        "log_json": True,
    }


def test_keys_match_case_insensitively():
    assert settings('{"Datacenter": "east"}') == {"datacenter": "east"}


def test_known_keys_we_do_not_emulate_are_accepted():
    assert (
        settings(
            '{"data_dir": "/tmp", "log_file": "x.log", "telemetry": {"disable_hostname": true},'
            ' "services": [{"name": "web", "anything": 1}], "ui_config": {"enabled": true}}'
        )
        == {}
    )


def test_unknown_keys_are_refused_with_consuls_message():
    with pytest.raises(ConsulConfigError) as error:
        parse_consul_config('{"bogus": 1, "acl": {"tokens": {"nope": "x"}}}', "json", "a.json")
    assert str(error.value) == (
        "failed to parse a.json: 2 errors occurred:\n"
        "\t* invalid config key bogus\n\t* invalid config key acl.tokens.nope\n\n"
    )


def test_one_unknown_key():
    with pytest.raises(ConsulConfigError) as error:
        parse_consul_config("ports { htp = 1 }", "hcl", "a.hcl")
    assert str(error.value) == (
        "failed to parse a.hcl: 1 error occurred:\n\t* invalid config key ports.htp\n\n"
    )


def test_wrong_type():
    with pytest.raises(ConsulConfigError, match=r"'ports\.http' expected type 'int'"):
        settings('{"ports": {"http": "80"}}')


def test_syntax_error():
    # json.Unmarshal's scanner error (agent/config/config.go Parse).
    with pytest.raises(ConsulConfigError) as caught:
        settings("{nope")
    assert str(caught.value) == (
        "failed to parse test.json: "
        "invalid character 'n' looking for beginning of object key string"
    )


def test_file_format_follows_the_suffix(tmp_path):
    hcl = tmp_path / "agent.hcl"
    hcl.write_text('node_name = "from-hcl"')
    assert load_consul_config_file(str(hcl)) == {"node_name": "from-hcl"}
    json_file = tmp_path / "agent.json"
    json_file.write_text('{"node_name": "from-json"}')
    assert load_consul_config_file(str(json_file)) == {"node_name": "from-json"}


def args(*argv: str) -> argparse.Namespace:
    from consul.testing.__main__ import _parser

    return _parser().parse_args(list(argv))


def test_precedence_env_then_files_then_flags(tmp_path):
    first = tmp_path / "a.json"
    first.write_text('{"datacenter": "file-a", "node_name": "file-a"}')
    second = tmp_path / "b.json"
    second.write_text('{"node_name": "file-b"}')
    env = {"CONSUL_LOCAL_CONFIG": '{"datacenter": "env", "node_name": "env", "ports": {"http": 1}}'}
    config = build_config(
        args("--config-file", str(first), "--config-file", str(second), "--port", "7"), env
    )
    assert (config.datacenter, config.node_name, config.port) == ("file-a", "file-b", 7)


def test_initial_management_flag_turns_acls_on_with_default_allow():
    config = build_config(args("--acl-initial-management", "root"), {})
    assert config.acl_enabled
    assert config.acl_default_policy == "allow"
    assert config.acl_initial_management == "root"


def test_a_token_in_a_file_does_not_turn_acls_on(tmp_path):
    path = tmp_path / "acl.json"
    path.write_text('{"acl": {"tokens": {"initial_management": "root"}}}')
    config = build_config(args("--config-file", str(path)), {})
    assert not config.acl_enabled


def test_limit_keys_of_the_config_file():
    hcl = """
    limits { http_max_conns_per_client = 10  https_handshake_timeout = "2s" }
    http_config { max_header_bytes = 2048 }
    """
    assert settings(hcl, "hcl") == {
        "http_max_conns_per_client": 10,
        "https_handshake_timeout": 2.0,
        "http_max_header_bytes": 2048,
    }
