"""CPU per call of the five clients, against the HTTP library each sits on.

    python bench/clients.py [--rounds 15] [--calls 1000] [--loops blocking,asyncio]
                            [--py-consul VENV] [--compare LABEL=PYTHON] [--json FILE]

A server process replays the embedded agent's answers (bench/client_server.py);
one client process per loop (bench/client_cases.py) times ``kv.get`` and
``kv.put`` through our client and through its HTTP library used by hand,
counting the CPU time of the client process only. Rounds interleave every
case in a shuffled order; each ratio is the median, over the rounds, of the
ratio of two cases measured in the same round, printed with its interquartile
range. With ``--py-consul VENV``, py-consul 1.8 (whose import name is also
``consul``) runs in client processes of that virtualenv, made there if
missing. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import IO, Any

HERE = Path(__file__).resolve().parent
OURS = "ours"
PY_CONSUL = "py-consul==1.8.*"
#: The HTTP libraries (and what their speed depends on) that py-consul's
#: virtualenv gets in the versions of this one, so that "raw" is the same code.
SHARED = ("requests", "urllib3", "aiohttp", "yarl", "multidict", "propcache")
LOOPS = ("blocking", "threadpool", "asyncio", "asyncio50", "tornado", "twisted")
OPS = ("get", "put")


@dataclass
class Worker:
    """A client process: one loop's cases under one interpreter."""

    impl: str
    loop: str
    process: subprocess.Popen[str]
    cases: list[str] = field(default_factory=list)

    def ask(self, command: dict[str, Any]) -> dict[str, Any]:
        stdin, stdout = self._pipes()
        stdin.write(json.dumps(command) + "\n")
        stdin.flush()
        return self._answer(stdout)

    def _pipes(self) -> tuple[IO[str], IO[str]]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        return self.process.stdin, self.process.stdout

    def _answer(self, stdout: IO[str]) -> dict[str, Any]:
        line = stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.impl} {self.loop} process ended (see above)")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def start(self) -> None:
        answer = self._answer(self._pipes()[1])
        self.cases = answer["cases"]

    def stop(self) -> None:
        stdin, _ = self._pipes()
        stdin.close()
        self.process.wait(timeout=30)


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def py_consul_venv(venv: Path) -> Path:
    """The interpreter of ``venv``, with py-consul 1.8 installed there first if need be."""
    python = venv_python(venv)
    done = venv / ".bench-installed"
    if not done.exists():
        print(f"installing {PY_CONSUL} into {venv} ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pins = []
        for name in SHARED:
            try:
                pins.append(f"{name}=={metadata.version(name)}")
            except metadata.PackageNotFoundError:
                continue
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", PY_CONSUL, *pins], check=True
        )
        done.touch()
    return python


def quartiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def ratio_text(values: list[float]) -> str:
    q1, q2, q3 = quartiles(values)
    return f"{q2:5.3f} [{q1:5.3f}-{q3:5.3f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--calls", type=int, default=300, help="timed calls per case and round")
    parser.add_argument(
        "--loops", default=",".join(LOOPS), help="comma-separated: " + ", ".join(LOOPS)
    )
    parser.add_argument("--py-consul", type=Path, metavar="VENV", help="py-consul 1.8's virtualenv")
    parser.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="LABEL=PYTHON",
        help="also time the consul package of another interpreter (another build of this one)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--clock",
        choices=("cpu", "user", "system", "wall"),
        default="cpu",
        help="what to count: CPU time (user + system, the default), either part, or wall time",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="write every measurement here")
    args = parser.parse_args()
    loops = [loop for loop in args.loops.split(",") if loop]
    for loop in loops:
        if loop not in LOOPS:
            parser.error(f"unknown loop {loop!r}")

    interpreters = {OURS: Path(sys.executable)}
    if args.py_consul is not None:
        interpreters["py-consul"] = py_consul_venv(args.py_consul.resolve())
    for item in args.compare:
        label, _, python = item.partition("=")
        interpreters[label] = Path(python)

    server = subprocess.Popen(
        [sys.executable, str(HERE / "client_server.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    assert server.stdin is not None
    url = server.stdout.readline().strip()
    workers: list[Worker] = []
    try:
        for impl, python in interpreters.items():
            for loop in loops:
                process = subprocess.Popen(
                    [str(python), str(HERE / "client_cases.py"), loop, url],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
                worker = Worker(impl, loop, process)
                worker.start()
                if worker.cases:
                    workers.append(worker)
                else:
                    worker.stop()
        results = measure(workers, args.rounds, args.calls, random.Random(args.seed), args.clock)
        for worker in workers:
            worker.stop()
    finally:
        for worker in workers:
            if worker.process.poll() is None:
                worker.process.kill()
                worker.process.wait()
        server.stdin.close()
        server.wait(timeout=30)
    report(results, loops, list(interpreters), args.rounds, args.calls)
    if args.json is not None:
        rows = [
            {"impl": i, "loop": lo, "case": c, "op": o, "us": v}
            for (i, lo, c, o), v in results.items()
        ]
        args.json.write_text(json.dumps(rows, indent=1))


Key = tuple[str, str, str, str]


def measure(
    workers: list[Worker], rounds: int, calls: int, rng: random.Random, clock: str
) -> dict[Key, list[float]]:
    """CPU microseconds per call of every (impl, loop, case, op), one value per round."""
    results: dict[Key, list[float]] = {}
    plan = [(w, case, op) for w in workers for case in w.cases for op in OPS]
    for number in range(rounds):
        rng.shuffle(plan)
        for worker, case, op in plan:
            answer = worker.ask({"case": case, "op": op, "calls": calls})
            key = (worker.impl, worker.loop, case, op)
            results.setdefault(key, []).append(answer[clock] / calls * 1e6)
        print(f"round {number + 1}/{rounds} done", file=sys.stderr, flush=True)
    return results


def per_round(numerators: list[float], denominators: list[float]) -> list[float]:
    return [a / b for a, b in zip(numerators, denominators, strict=True)]


def report(
    results: dict[Key, list[float]], loops: list[str], impls: list[str], rounds: int, calls: int
) -> None:
    others = [impl for impl in impls if impl != OURS]
    print(
        f"\nCPU per call in the client process, microseconds: medians of {rounds} rounds of "
        f"{calls} calls.\nRatios: median of the per-round ratios [interquartile range]; "
        "below 1 is faster.\n"
    )
    header = f"{'loop':<11}{'op':<5}{'raw us':>8}{'ours us':>9}  {'ours/raw':<20}"
    for other in others:
        header += f"  {other + '/raw':<20}  {'ours/' + other:<20}"
    print(header)
    for loop in loops:
        for op in OPS:
            raw = results.get((OURS, loop, "raw", op))
            ours = results.get((OURS, loop, "consul", op))
            if raw is None or ours is None:
                continue
            ours_ratios = per_round(ours, raw)
            line = f"{loop:<11}{op:<5}{statistics.median(raw):8.1f}{statistics.median(ours):9.1f}"
            line += f"  {ratio_text(ours_ratios):<20}"
            for other in others:
                theirs = results.get((other, loop, "consul", op))
                their_raw = results.get((other, loop, "raw", op))
                if theirs is None or their_raw is None:
                    line += f"  {'n/a':<20}  {'n/a':<20}"
                    continue
                their_ratios = per_round(theirs, their_raw)
                # Each against the raw library of its own process, so that a
                # difference between the two processes (virtualenvs) cancels out.
                line += f"  {ratio_text(their_ratios):<20}"
                line += f"  {ratio_text(per_round(ours_ratios, their_ratios)):<20}"
            print(line)


if __name__ == "__main__":
    main()
