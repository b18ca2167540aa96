"""The README's demo runs whole, through the five clients, against an embedded agent."""

from __future__ import annotations

import os
import subprocess
import sys

STEPS = ("put/get", "blocking get", "service", "query", "mesh", "snapshot", "watch", "lock", "ACL")


def test_the_demo_runs_through_every_client():
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSUL_")}
    done = subprocess.run(
        [sys.executable, "-W", "error", "-m", "consul.demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "Done: the same API on five loops."
    for adapter in ("blocking", "threadpool", "asyncio", "tornado", "twisted"):
        said = [line.partition("] ")[2] for line in lines if line.startswith(f"[{adapter:>10}]")]
        assert [step for step in STEPS if any(text.startswith(step) for text in said)] == list(
            STEPS
        ), said
        assert not any("skipped" in text for text in said), said
