"""Lua 5.4 benchmark: bpfvm's JIT running Lua (compiled to BPF) vs the same Lua built with gcc -O2.

Three scripts in ``bench/lua/``: ``fib`` (function calls, fib 30), ``strings`` (string.format,
concatenation, patterns) and ``tables`` (array and hash tables, sort, garbage).  Each is run
once natively and once under the JIT (Lua and the JIT's code come from their caches: the first
run builds them); the table gives wall-clock seconds of each run, the JIT's time divided by
native's, and whether the outputs agree.

    .venv/bin/python bench/lua.py [--scale F]
"""

from __future__ import annotations

import argparse
import io
import subprocess
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

import bpfvm
from bpfvm.cli.lua import CALL_DEPTH
from bpfvm.examples import lua

SCRIPTS = Path(__file__).with_name("lua")
#: script → its argument (the problem size) at scale 1.
WORK = {"fib": 30, "strings": 200_000, "tables": 200_000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the sizes (fib: added to n)")
    args = parser.parse_args()
    native = lua.build_native()
    program = lua.load()
    table = Table(title="Lua 5.4: bpfvm JIT vs native gcc -O2 (one run each, wall clock)")
    for column in ("script", "size", "native s", "bpfvm JIT s", "JIT / native", "same output"):
        table.add_column(column, justify="right")
    for name, size in WORK.items():
        n = size + round(4 * (args.scale - 1)) if name == "fib" else int(size * args.scale)
        script = SCRIPTS / f"{name}.lua"
        start = time.perf_counter()
        expected = subprocess.run([str(native), str(script), str(n)], capture_output=True, check=True).stdout
        native_s = time.perf_counter() - start
        out = io.BytesIO()
        vm = bpfvm.VM("jit", stdout=out, max_call_depth=CALL_DEPTH, fs={str(SCRIPTS): str(SCRIPTS)})
        vm.compile(program)  # the JIT's code (cached after the first run) is not timed
        start = time.perf_counter()
        vm.run_main(program, ["lua", str(script), str(n)])
        jit_s = time.perf_counter() - start
        table.add_row(name, str(n), f"{native_s:.3f}", f"{jit_s:.3f}", f"{jit_s / native_s:.1f}x",
                      "yes" if out.getvalue() == expected else "NO")
    Console().print(table)


if __name__ == "__main__":
    main()
