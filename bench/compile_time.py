"""Where a cold JIT compile of a big program goes: Python lowering vs LLVM, phase by phase.

Loads DOOM (built once into the cache by ``bpfvm doom``; nothing is built here if it is
missing: the script says so) or any BPF objects given, and times on one fresh VM each phase
of :func:`bpfvm.jit.engine._object_code`: lowering to llvmlite IR objects, printing the IR
text, parsing it in LLVM, the optimisation pipeline, and code generation.  ``--profile``
writes a cProfile of the lowering to ``compile.prof``.  Run:
``.venv/bin/python bench/compile_time.py [FILE.o ...] [--profile]``.
"""

from __future__ import annotations

import argparse
import cProfile
import time

import llvmlite.binding as llvm

import bpfvm
from bpfvm.jit import engine
from bpfvm.jit.lower import program_module
from bpfvm.memory import GUARD
from bpfvm.runtime.layout import Layout


def load(paths: list[str]) -> bpfvm.Program:
    if paths:
        return bpfvm.load(paths if len(paths) > 1 else paths[0])
    from bpfvm.examples import doom

    return doom.load()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    program = load(args.files)
    memory = bpfvm.VM("jit").memory
    # the unlinked program: the same work as lowering the linked one, without placing it
    layout = Layout(read_lo=GUARD, write_lo=memory.rw_base, size=memory.size, frame_size=16384,
                    max_depth=128, code_base=1 << 20, bounded=False)
    phases: dict[str, float] = {}

    def timed(name: str, fn, *a):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        out = fn(*a)
        phases[name] = time.perf_counter() - start
        return out

    if args.profile:
        cProfile.runctx("program_module(program, layout, engine.HOST_SYMBOL)", globals(), locals(),
                        "compile.prof")
    module = timed("lower (Python)", program_module, program, layout, engine.HOST_SYMBOL)
    text = timed("IR text (Python)", str, module)
    machine = engine._target_machine()
    parsed = timed("parse (LLVM)", llvm.parse_assembly, text)
    parsed.triple, parsed.data_layout = llvm.get_process_triple(), str(machine.target_data)
    level = engine.optimisation_level(program)
    timed(f"optimise O{level} (LLVM)", engine._optimise, parsed, machine, level)
    timed("codegen (LLVM)", machine.emit_object, parsed)
    print(f"{len(program.insns):,} instructions, {len(program.functions):,} functions")
    for name, seconds in phases.items():
        print(f"{name:<24}{seconds:8.2f} s")
    print(f"{'total':<24}{sum(phases.values()):8.2f} s")
    cold = bpfvm.VM("jit", jit_cache=False, lazy_binding=True)
    start = time.perf_counter()
    cold.compile(program)
    print(f"{'vm.compile, cold':<24}{time.perf_counter() - start:8.2f} s")


if __name__ == "__main__":
    main()
