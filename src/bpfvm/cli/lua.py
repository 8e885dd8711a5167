"""``bpfvm lua``: the Lua 5.4 interpreter compiled to BPF (see :mod:`bpfvm.examples.lua`).

    bpfvm lua                              # Lua's REPL on stdin/stdout
    bpfvm lua SCRIPT.lua [ARGS...]         # run a script (its directory is readable by Lua)
    bpfvm lua -- -e 'print(1)'             # lua.c's own options after --
    bpfvm lua --build                      # only download and compile

The first run downloads Lua (the ``lupa`` sdist) and compiles it; later runs use the cached
objects (and the JIT's cached code).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .base import command, fs_grants
from .run import EXIT_TRAP

__all__: list[str] = []

#: Lua's C stack: lua.c's LUAI_MAXCCALLS is 200 nested C calls, each a few BPF frames.
CALL_DEPTH = 512


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("script", nargs="?", type=Path, help="Lua script (default: the REPL)")
    parser.add_argument("args", nargs="*", help="the script's arguments (arg[1] ...)")
    parser.add_argument("--engine", default="jit", help="execution engine (default: jit)")
    parser.add_argument("--dir", action="append", default=[], metavar="HOST[:GUEST]",
                        help="let Lua open files under HOST, seen as GUEST (default: same path)")
    parser.add_argument("--timeout", type=float, metavar="S", help="wall-clock limit in seconds")
    parser.add_argument("--build", action="store_true", help="download and compile Lua, then stop")
    parser.add_argument("--build-dir", type=Path, help="build directory (default ~/.cache/bpfvm/lua)")


@command("lua", "run Lua 5.4 compiled to BPF (the lupa sdist's sources, built on first use)", _arguments,
         rest=True)
def _cmd_lua(args: argparse.Namespace) -> int:
    from ..errors import VmTrap
    from ..examples.lua import load
    from ..vm import VM

    program = load(args.build_dir)
    if args.build:
        print(f"bpfvm: Lua built: {len(program.insns)} BPF instructions, {len(program.functions)} functions")
        return 0
    grants = fs_grants(args.dir)
    argv = ["lua", *(args.rest or [])]
    if args.script is not None:
        script = args.script.resolve()
        grants.setdefault(str(script.parent), str(script.parent))
        argv += [str(script), *args.args]
    vm = VM(args.engine, timeout=args.timeout, max_call_depth=CALL_DEPTH, fs=grants)
    try:
        return vm.run_main(program, argv) & 0xFF
    except VmTrap as trap:
        print(f"bpfvm: {trap}", file=sys.stderr)
        return EXIT_TRAP
    finally:
        vm.stdout.flush()
