"""Run fuzz targets for a while, each seed in a child process, and record what happened.

    python -m fuzz.campaign engines --seconds 600 --seed 1000 [--jobs 1] [--out build/fuzz]

Every target (:mod:`fuzz.targets`) runs in a worker process that reads seeds on stdin and
answers one JSON line per seed.  The parent gives each seed a deadline: a worker that dies
(a signal: the host process would have crashed) or overruns (a hang) is recorded as a finding
for that seed and replaced.  Findings go to ``OUT/TARGET.findings`` and one summary line per
seed to ``OUT/TARGET.jsonl``; the totals are printed at the end.  The exit status is 1 if
anything was found.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from .targets import TARGETS, Result, optional_targets

__all__ = ["main", "run_campaign"]

ROOT = Path(__file__).resolve().parent.parent
#: Seconds a worker may take to start (import bpfvm and LLVM) before its first seed.
STARTUP_TIMEOUT = 300.0


class Worker:
    """A child process running one target, seed by seed."""

    def __init__(self, target: str) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]))
        self.proc = subprocess.Popen([sys.executable, "-m", "fuzz.campaign", "--worker", target],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT, env=env,
                                     text=True, bufsize=1)
        self.ready = False

    def _wait_ready(self) -> str | None:
        """Wait for the worker's start-up line (importing bpfvm, LLVM …: not part of a seed's time)."""
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], STARTUP_TIMEOUT)
        line = self.proc.stdout.readline() if ready else ""
        if line.strip() != "ready":
            self.stop()
            return f"worker failed to start: {line.strip() or 'no answer'}"
        self.ready = True
        return None

    def ask(self, seed: int, timeout: float) -> dict[str, Any] | str:
        """The result of ``seed``, or a text saying how the worker died or hung."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        if not self.ready:
            failed = self._wait_ready()
            if failed:
                return failed
        self.proc.stdin.write(f"{seed}\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            self.stop()
            return f"hang: no answer within {timeout:.0f} s"
        line = self.proc.stdout.readline()
        if not line:
            status = self.proc.wait()
            if status < 0:
                return f"host crash: worker killed by signal {-status}"
            return f"worker failed: exit status {status} (a harness error; see its stderr)"
        answer: dict[str, Any] = json.loads(line)
        return answer

    def stop(self) -> None:
        """End the worker (it is ours: by its pid)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def serve(target: str) -> None:
    """The worker loop: a seed per line on stdin, a JSON Result per line on stdout."""
    check = _target(target)
    out: IO[str] = sys.stdout
    sys.stdout = sys.stderr  # guest output and prints must not corrupt the protocol
    import bpfvm.jit  # noqa: F401 - loaded before the first seed's clock starts

    out.write("ready\n")
    out.flush()
    for line in sys.stdin:
        result = check(int(line))
        out.write(json.dumps(asdict(result)) + "\n")
        out.flush()


def _target(name: str) -> Callable[[int], Result]:
    """A target by name, or ``package.module:function`` (a target of one's own)."""
    if ":" in name:
        module, function = name.split(":")
        found: Callable[[int], Result] = getattr(importlib.import_module(module), function)
        return found
    return {**TARGETS, **optional_targets()}[name]


def run_campaign(target: str, seconds: float, seed: int, out: Path, timeout: float = 600,
                 max_seeds: int | None = None) -> Result:
    """Run ``target`` on seeds ``seed, seed+1, …`` for ``seconds``; returns the totals."""
    out.mkdir(parents=True, exist_ok=True)
    total = Result()
    worker = Worker(target)
    end = time.monotonic() + seconds
    current = seed
    with open(out / f"{target}.jsonl", "a") as log, open(out / f"{target}.findings", "a") as found:
        while time.monotonic() < end and (max_seeds is None or current < seed + max_seeds):
            answer = worker.ask(current, timeout)
            if isinstance(answer, str):
                answer = {"inputs": 0, "runs": 0, "findings": [f"{target} seed {current}: {answer}"],
                          "stats": {}}
                worker = Worker(target)
            _add(total, answer)
            log.write(json.dumps({"seed": current, **answer, "findings": len(answer["findings"])}) + "\n")
            for text in answer["findings"]:
                found.write(text.rstrip() + "\n\n")
            log.flush()
            found.flush()
            current += 1
    worker.stop()
    total.stats["seeds"] = current - seed
    total.stats["first_seed"] = seed
    return total


def _add(total: Result, answer: dict[str, Any]) -> None:
    total.inputs += answer["inputs"]
    total.runs += answer["runs"]
    total.findings += answer["findings"]
    for key, value in answer["stats"].items():
        total.stats[key] = total.stats.get(key, 0) + value


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m fuzz.campaign", description=__doc__.split("\n")[0])
    parser.add_argument("target", nargs="+", help=f"one or more of {', '.join(TARGETS)}, or all")
    parser.add_argument("--seconds", type=float, default=60.0, help="time per target")
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    parser.add_argument("--max-seeds", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds one seed may take")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "fuzz")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        serve(args.target[0])
        return 0
    names = [*TARGETS, *optional_targets()] if args.target == ["all"] else args.target
    bad = 0
    for name in names:
        started = time.monotonic()
        total = run_campaign(name, args.seconds, args.seed, args.out, args.timeout, args.max_seeds)
        bad += len(total.findings)
        last = args.seed + total.stats["seeds"] - 1
        print(f"{name:8} seeds {args.seed}..{last}  inputs {total.inputs:>9}  "
              f"runs {total.runs:>9}  findings {len(total.findings)}  {time.monotonic() - started:.0f} s  "
              f"{json.dumps({k: v for k, v in total.stats.items() if k not in ('seeds', 'first_seed')})}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
