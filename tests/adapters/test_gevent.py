"""The blocking client under gevent: ``monkey.patch_all()`` makes it cooperative.

The client sends with ``requests`` on the standard library's sockets, which
gevent's monkey-patching makes cooperative: many greenlets can each hold a
blocking query at once, and one write wakes them all. The greenlets run in a
subprocess, so that the patching stays out of the rest of the suite; the
agent runs here, where the test sees every query reach it before writing.
"""

from __future__ import annotations

import json
import subprocess
import sys

from harness import CALL_TIMEOUT, wait_blocked

import consul

GREENLETS = 50

SCRIPT = """
from gevent import monkey

monkey.patch_all()

import json
import sys

import gevent

import consul

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with consul.Consul(host=host, port=port) as c:
    index, _ = c.kv.get("flag")


def watch():
    with consul.Consul(host=host, port=port) as c:
        return c.kv.get("flag", index=index, wait="120s")


greenlets = [gevent.spawn(watch) for _ in range(count)]
print(json.dumps({"index": index}), flush=True)
gevent.joinall(greenlets, raise_error=True)
print(json.dumps([[i, entry["Value"].decode()] for i, entry in (g.value for g in greenlets)]))
"""


def test_many_greenlets_block_at_once_and_one_write_wakes_them(consul_agent):
    with subprocess.Popen(
        [
            sys.executable,
            "-W",
            "error",
            "-c",
            SCRIPT,
            consul_agent.host,
            str(consul_agent.port),
            str(GREENLETS),
        ],
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        try:
            assert child.stdout is not None
            started = json.loads(child.stdout.readline())
            # Without cooperative sockets, the first query would hold the whole
            # process and the others would never reach the agent.
            wait_blocked(consul_agent, GREENLETS)
            with consul.Consul(host=consul_agent.host, port=consul_agent.port) as c:
                assert c.kv.put("flag", b"up")
                written = c.kv.get("flag")[0]
            out, _ = child.communicate(timeout=CALL_TIMEOUT)
        finally:
            if child.poll() is None:
                child.kill()
    assert child.returncode == 0
    assert written > started["index"]
    assert json.loads(out) == [[written, "up"]] * GREENLETS
