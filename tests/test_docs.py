"""Every Python block of the README and the docs runs as written.

The blocks fenced as ``python`` in ``README.md`` and ``docs/*.md`` run in
order, each in a fresh interpreter (some end their event loop for good, as
Twisted's ``task.react`` does), against a fresh embedded agent that
``CONSUL_HTTP_ADDR`` names, warnings as errors. A block that is not meant to
run must say so with another fence (``text`` for a signature, ``sh`` for a
shell command).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from harness import CALL_TIMEOUT

ROOT = Path(__file__).parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

#: A fenced block: its fence, info string and body.
BLOCK = re.compile(
    r"^(?P<fence>```+)(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.M | re.S
)


def python_blocks(page: Path) -> list[tuple[int, str]]:
    """The ``python`` blocks of ``page``: (line number, code)."""
    text = page.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, match.start()) + 1, match["body"])
        for match in BLOCK.finditer(text)
        if match["info"].strip() == "python"
    ]


def test_the_pages_have_python_blocks():
    # A change of fence style must not silently leave the pages untested.
    assert sum(len(python_blocks(page)) for page in PAGES) >= 10


@pytest.mark.parametrize("page", [p for p in PAGES if python_blocks(p)], ids=lambda p: p.name)
def test_blocks_run_as_written(page, consul_agent, tmp_path):
    env = {**os.environ, "CONSUL_HTTP_ADDR": consul_agent.http_addr}
    for line, code in python_blocks(page):
        ran = subprocess.run(
            [sys.executable, "-W", "error", "-c", code],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=CALL_TIMEOUT,
            check=False,
        )
        assert ran.returncode == 0, f"{page.name}, block at line {line}:\n{ran.stderr}"
