"""BTF benchmark: parsing and dumping /sys/kernel/btf/vmlinux, bpfvm vs bpftool.

Prints one table measured in one run: the time of ``bpftool btf dump file vmlinux`` (raw and
``format c``, output to /dev/null) against bpfvm's parse alone, parse + raw dump, and parse + C
dump (in-process, output discarded), and the ratio of each to bpftool's.  Times are CPU seconds
(user + system; for bpftool, of the child process), the best of ``--repeat`` runs (default 3):
on a shared two-core machine wall time measures the neighbours more than the code.

    PYTHONPATH=src .venv/bin/python bench/btf.py [--file PATH] [--repeat N]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bpfvm.btf import Btf
from bpfvm.btf.cdump import dump_c
from bpfvm.btf.dump import dump_raw


def best(repeat: int, work: Callable[[], object]) -> float:
    """The least CPU time (user + system, this process and its children) of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = _cpu()
        work()
        times.append(_cpu() - start)
    return min(times)


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def bpftool_time(path: Path, repeat: int, *extra: str) -> float:
    """Wall time of ``bpftool btf dump file PATH [extra]`` with output to /dev/null."""
    tool = shutil.which("bpftool") or "/usr/sbin/bpftool"

    def run() -> None:
        subprocess.run([tool, "btf", "dump", "file", str(path), *extra], stdout=subprocess.DEVNULL,
                       check=True)
    return best(repeat, run)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=Path("/sys/kernel/btf/vmlinux"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not args.file.exists():
        print(f"{args.file} is absent", file=sys.stderr)
        return 1
    tool_raw = bpftool_time(args.file, args.repeat)
    tool_c = bpftool_time(args.file, args.repeat, "format", "c")
    parse = best(args.repeat, lambda: Btf.from_file(args.file))
    raw = best(args.repeat, lambda: dump_raw(Btf.from_file(args.file)))
    c = best(args.repeat, lambda: dump_c(Btf.from_file(args.file)))
    btf = Btf.from_file(args.file)
    table = Table(title=f"{args.file}: {len(btf)} types, {args.file.stat().st_size / 1e6:.1f} MB "
                        f"(best of {args.repeat})")
    for column in ("work", "bpftool CPU s", "bpfvm CPU s", "bpfvm / bpftool"):
        table.add_column(column, justify="right" if column != "work" else "left")
    table.add_row("parse only", "", f"{parse:.3f}", f"{parse / tool_raw:.2f}x of raw dump")
    table.add_row("parse + raw dump", f"{tool_raw:.3f}", f"{raw:.3f}", f"{raw / tool_raw:.2f}x")
    table.add_row("parse + C dump", f"{tool_c:.3f}", f"{c:.3f}", f"{c / tool_c:.2f}x")
    Console().print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
