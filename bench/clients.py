"""CPU per call of the five clients, against the HTTP library each sits on.

    python bench/clients.py [--rounds 15] [--calls 1000] [--loops blocking,asyncio]
                            [--py-consul VENV] [--compare LABEL=PYTHON] [--json FILE]
                            [--callgrind [--callgrind-all]]

A server process replays the embedded agent's answers (bench/client_server.py);
one client process per loop (bench/client_cases.py) times ``kv.get`` and
``kv.put`` through our client and through its HTTP library used by hand,
counting the CPU time of the client process only. Rounds interleave every
case in a shuffled order; each ratio is the median, over the rounds, of the
ratio of two cases measured in the same round, printed with its interquartile
range. With ``--py-consul VENV``, py-consul 1.8 (whose import name is also
``consul``) runs in client processes of that virtualenv, made there if
missing. With ``--callgrind``, the client processes run under valgrind's
callgrind instead, and what is counted is the instructions they execute per
call, less the work whose amount the pace of the run or the rest of the
process decides (the timer heaps' functions, :data:`PACE_FUNCTIONS`, and the
garbage collector's visits of the objects made before a run: see
client_cases.py's ``--freeze``) unless ``--callgrind-all`` counts it. See
bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
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
VALGRIND = "valgrind"
CALLGRIND_CONTROL = "callgrind_control"
#: The C functions (CPython's ``_heapq``) left out of the counts under
#: callgrind, with all they call: the event loops' heaps of timers, whose work
#: depends on how many cancelled timers they hold, that is on the wall-clock
#: pace of the run under valgrind, not on the code.
PACE_FUNCTIONS = ("_heapq_heappush", "_heapq_heappop", "_heapq_heapify")


@dataclass
class Worker:
    """A client process: one loop's cases under one interpreter."""

    impl: str
    loop: str
    process: subprocess.Popen[str]
    cases: list[str] = field(default_factory=list)
    #: Under callgrind: the file its counts go to (each dump to this name
    #: with ``.1``, ``.2``... added), and the number of dumps so far.
    counts: Path | None = None
    dumps: int = 0

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

    def dump(self) -> int:
        """The instructions this process executed since its last dump (under callgrind).

        ``callgrind_control --dump`` writes callgrind's counts to a file of
        their own and zeroes them; it returns once they are written.
        """
        assert self.counts is not None, "not started under callgrind"
        done = subprocess.run(
            [CALLGRIND_CONTROL, "--dump", str(self.process.pid)], capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"{CALLGRIND_CONTROL} failed: {done.stdout}{done.stderr}")
        self.dumps += 1
        text = Path(f"{self.counts}.{self.dumps}").read_text()
        for line in text.splitlines():
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
        raise RuntimeError(f"no total in callgrind's dump {self.counts}.{self.dumps}")


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
    if len(values) == 1:
        return f"{values[0]:5.3f}"
    q1, q2, q3 = quartiles(values)
    return f"{q2:5.3f} [{q1:5.3f}-{q3:5.3f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, help="21; with --callgrind, 1")
    parser.add_argument(
        "--calls", type=int, help="timed calls per case and round: 300; with --callgrind, 100"
    )
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
    parser.add_argument(
        "--callgrind",
        action="store_true",
        help="count the instructions the client processes execute per call (valgrind's "
        "callgrind), not their CPU time, less the timer heaps' work and the garbage "
        "collector's visits of the objects made before each run",
    )
    parser.add_argument(
        "--callgrind-all",
        action="store_true",
        help="with --callgrind: count those too",
    )
    args = parser.parse_args()
    if args.callgrind_all and not args.callgrind:
        parser.error("--callgrind-all goes with --callgrind")
    if args.callgrind:
        missing = [tool for tool in (VALGRIND, CALLGRIND_CONTROL) if shutil.which(tool) is None]
        if missing:
            parser.error(
                f"--callgrind runs the clients under valgrind's callgrind: {' and '.join(missing)}"
                " not found on PATH (install valgrind)"
            )
    rounds = args.rounds or (1 if args.callgrind else 21)
    calls = args.calls or (100 if args.callgrind else 300)
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
    counts = tempfile.TemporaryDirectory(prefix="bench-callgrind-") if args.callgrind else None
    try:
        for impl, python in interpreters.items():
            for loop in loops:
                command = [str(python), str(HERE / "client_cases.py"), loop, url]
                env = None
                out = None
                if counts is not None:
                    out = Path(counts.name) / f"{len(workers)}.out"
                    left_out: list[str] = []
                    if not args.callgrind_all:
                        command.append("--freeze")
                        # Each --toggle-collect also sets --collect-atstart=no:
                        # set back after them, collection is off only inside these.
                        left_out = [f"--toggle-collect={fn}" for fn in PACE_FUNCTIONS]
                        left_out.append("--collect-atstart=yes")
                    command = [
                        VALGRIND,
                        "--tool=callgrind",
                        "--quiet",
                        f"--callgrind-out-file={out}",
                        *left_out,
                        *command,
                    ]
                    # The same hashes of str in every run.
                    env = {**os.environ, "PYTHONHASHSEED": "0"}
                process = subprocess.Popen(
                    command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
                )
                worker = Worker(impl, loop, process, counts=out)
                worker.start()
                if worker.cases:
                    workers.append(worker)
                else:
                    worker.stop()
        if counts is not None:
            results = count(workers, rounds, calls)
        else:
            results = measure(workers, rounds, calls, random.Random(args.seed), args.clock)
        for worker in workers:
            worker.stop()
    finally:
        for worker in workers:
            if worker.process.poll() is None:
                worker.process.kill()
                worker.process.wait()
        server.stdin.close()
        server.wait(timeout=30)
        if counts is not None:
            counts.cleanup()
    if counts is not None:
        heading = (
            f"Instructions per call in the client process (callgrind), thousands: "
            f"{'medians of ' if rounds > 1 else ''}{rounds} round{'s' * (rounds > 1)}, "
            f"each the difference between runs of {2 * calls} and {calls} calls over {calls}."
        )
        if args.callgrind_all:
            heading += " Everything counted (--callgrind-all)."
        else:
            heading += (
                f" Left out: {', '.join(PACE_FUNCTIONS)} (inclusive), and the garbage "
                "collector's visits of the objects that survived before each run (frozen); "
                "--callgrind-all counts them."
            )
        report(results, loops, list(interpreters), heading, "k instr", 1e-3)
    else:
        heading = (
            f"CPU per call in the client process, microseconds: medians of {rounds} rounds of "
            f"{calls} calls."
        )
        report(results, loops, list(interpreters), heading, "us", 1.0)
    if args.json is not None:
        figure = "instructions" if counts is not None else "us"
        # Under callgrind, whether the timer heaps and the frozen survivors were left out.
        mode = {} if counts is None else {"counted": "all" if args.callgrind_all else "default"}
        rows = [
            {"impl": i, "loop": lo, "case": c, "op": o, figure: v, **mode}
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


def count(workers: list[Worker], rounds: int, calls: int) -> dict[Key, list[float]]:
    """Instructions per call of every (impl, loop, case, op), one value per round.

    Each case runs once first (its connection made, its caches filled), then
    ``calls`` and ``2 * calls`` calls, each run between two dumps of
    callgrind's counts: the difference of the two runs, over ``calls``,
    leaves out what a run costs besides its calls (reading the command, the
    warm-up calls, the ``gc.collect()``).
    """
    results: dict[Key, list[float]] = {}
    for number in range(rounds):
        for worker in workers:
            for case in worker.cases:
                for op in OPS:
                    worker.ask({"case": case, "op": op, "calls": 1})
                    worker.dump()
                    worker.ask({"case": case, "op": op, "calls": calls})
                    once = worker.dump()
                    worker.ask({"case": case, "op": op, "calls": 2 * calls})
                    twice = worker.dump()
                    key = (worker.impl, worker.loop, case, op)
                    results.setdefault(key, []).append((twice - once) / calls)
            print(
                f"round {number + 1}/{rounds}: {worker.impl} {worker.loop} done",
                file=sys.stderr,
                flush=True,
            )
    return results


def per_round(numerators: list[float], denominators: list[float]) -> list[float]:
    return [a / b for a, b in zip(numerators, denominators, strict=True)]


def report(
    results: dict[Key, list[float]],
    loops: list[str],
    impls: list[str],
    heading: str,
    unit: str,
    scale: float,
) -> None:
    """The table of ``results`` (each value times ``scale`` is in ``unit``), under ``heading``."""
    others = [impl for impl in impls if impl != OURS]
    print(
        f"\n{heading}\nRatios: median of the per-round ratios [interquartile range]; "
        "below 1 is faster.\n"
    )
    raw_title, ours_title = f"raw {unit}", f"ours {unit}"
    header = f"{'loop':<11}{'op':<5}{raw_title:>12}{ours_title:>13}  {'ours/raw':<20}"
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
            line = f"{loop:<11}{op:<5}{statistics.median(raw) * scale:12.1f}"
            line += f"{statistics.median(ours) * scale:13.1f}"
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
