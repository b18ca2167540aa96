"""``python -m consul.testing``: run an embedded agent, like ``consul agent -dev``.

Settings come, lowest precedence first, from the defaults of a dev agent,
``CONSUL_LOCAL_CONFIG`` (JSON, as in Consul's container image, which writes
it into its configuration directory), ``--config-file`` (JSON or HCL, read
after that directory) and the flags, as ``consul agent`` merges them. Once
the agent accepts connections one line with its address is printed; it then
serves until SIGINT, SIGTERM or ``PUT /v1/agent/leave`` and exits with 0.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

from .agent import DevAgent
from .configfile import ConsulConfigError, load_consul_config_file, load_consul_local_config
from .state.config import AgentConfig
from .state.log import parse_level


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m consul.testing",
        description="Run an embedded Consul-compatible agent (like `consul agent -dev`).",
    )
    parser.add_argument(
        "--host",
        help="address to listen on (default 127.0.0.1); unix:///path for a unix socket,"
        " several separated by spaces",
    )
    parser.add_argument("--port", type=int, help="HTTP port (default 8500; 0: any free port)")
    parser.add_argument(
        "--bind", metavar="ADDRESS", help="the cluster address to bind (default 127.0.0.1)"
    )
    parser.add_argument(
        "--advertise", metavar="ADDRESS", help="the address to advertise (default: --bind)"
    )
    parser.add_argument("--datacenter", help="the agent's datacenter (default dc1)")
    parser.add_argument(
        "--extra-datacenter",
        action="append",
        default=[],
        metavar="NAME",
        help="another datacenter served with ?dc=NAME (repeatable)",
    )
    parser.add_argument("--node", help="the node name (default: the host name)")
    parser.add_argument(
        "--acl-initial-management",
        metavar="TOKEN",
        help="turn ACLs on with this initial management token",
    )
    parser.add_argument(
        "--acl-default-policy",
        choices=("allow", "deny"),
        help="the ACL default policy (default allow)",
    )
    parser.add_argument(
        "--config-file",
        action="append",
        default=[],
        metavar="PATH",
        help="a Consul configuration file, JSON or HCL (repeatable; later ones win)",
    )
    parser.add_argument(
        "--enable-script-checks", action="store_true", default=None, help="allow script checks"
    )
    parser.add_argument(
        "--log-level",
        metavar="LEVEL",
        help="log to standard error from LEVEL up: trace, debug, info (default), warn, error, off",
    )
    parser.add_argument(
        "--log-json", action="store_true", default=None, help="log one JSON object per line"
    )
    return parser


def build_config(args: argparse.Namespace, environ: dict[str, str]) -> AgentConfig:
    """The agent's configuration from the flags, the files and the environment."""
    settings: dict[str, Any] = {}
    local = environ.get("CONSUL_LOCAL_CONFIG")
    if local:
        settings.update(load_consul_local_config(local))
    for path in args.config_file:
        settings.update(load_consul_config_file(path))
    flags = {
        "host": args.host,
        "port": args.port,
        "bind_addr": args.bind,
        "advertise_addr": args.advertise,
        "datacenter": args.datacenter,
        "node_name": args.node,
        "acl_initial_management": args.acl_initial_management,
        "acl_default_policy": args.acl_default_policy,
        "enable_script_checks": args.enable_script_checks,
        "log_level": args.log_level,
        "log_json": args.log_json,
    }
    settings.update({k: v for k, v in flags.items() if v is not None})
    if args.extra_datacenter:
        settings["extra_datacenters"] = tuple(args.extra_datacenter)
    # Consul turns ACLs on only with acl.enabled (or the legacy acl_datacenter);
    # a token in a file does not, and is meaningless without them. The flag
    # --acl-initial-management, which Consul does not have, does.
    if args.acl_initial_management:
        settings["acl_enabled"] = True
    if not settings.get("acl_enabled"):
        settings.pop("acl_initial_management", None)
    return AgentConfig(**settings)


async def _serve(config: AgentConfig) -> None:
    agent = DevAgent(config)
    await agent.start_async()
    level = parse_level(config.log_level)
    if agent.core is not None and level is not None:
        agent.core.log.add_writer(level, sys.stderr.write, as_json=config.log_json)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, lambda: loop.create_task(agent.stop_async()))
    address = agent.http_addr  # unix:///path, or HOST:PORT
    if not address.startswith("unix://"):
        address = f"http://{address}"
    print(f"==> Consul agent (embedded, {config.datacenter}) at {address}", flush=True)
    try:
        await agent.stopped()
    finally:
        await agent.stop_async()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def main(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        config = build_config(args, dict(os.environ if environ is None else environ))
    except (ConsulConfigError, ValueError) as exc:
        print(f"==> {exc}", file=sys.stderr)
        return 1
    try:
        asyncio.run(_serve(config))
    except OSError as exc:
        print(f"==> Error starting agent: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
