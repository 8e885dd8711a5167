"""Wall-clock timeouts and Ctrl-C (``VM(timeout=…)``, ``bpfvm run --timeout``) on both engines.

A runaway program stops with a TIMEOUT trap at a real instruction of the program, whether it
spins in guest code, keeps calling a Python intrinsic, or is stuck inside one; SIGINT stops a
native loop with KeyboardInterrupt.  Without a timeout nothing changes: results, traps and
instruction counts equal those of a run with a generous timeout.
"""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

import bpfvm
from bpfvm import VM, VmTrap
from bpfvm.cc import compile_c
from bpfvm.errors import TrapKind
from bpfvm.isa import encode, make
from bpfvm.jit import engine as jit_engine
from bpfvm.vm import ENGINES

from ..interpreter.test_random import CONTROL, RUNS, program
from .test_jit import C_PROGRAM, LOOP, outcome, same

#: r0 = 0; loop: r0 += 1; goto loop
SPIN = encode([make("mov64_imm", dst=0, imm=0), make("add64_imm", dst=0, imm=1), make("ja", off=-2),
               make("exit")])

TICKING = """
extern long tick(long);
long main(void) {
    long s = 0;
    for (;;)
        s = tick(s);
    return s;
}
"""


@pytest.fixture(scope="module")
def ticking() -> bpfvm.Program:
    return bpfvm.compile(TICKING)


def trap_of(vm: VM, *args: Any, **kwargs: Any) -> VmTrap:
    with pytest.raises(VmTrap) as info:
        vm.run(*args, **kwargs)
    return info.value


@pytest.mark.parametrize("engine", ENGINES)
def test_spinning_guest_times_out(engine: str) -> None:
    vm = VM(engine, timeout=0.5)
    trap = trap_of(vm, SPIN)
    assert trap.kind is TrapKind.TIMEOUT
    assert trap.pc in (1, 2)
    assert "timeout" in str(trap)
    # it stopped before the loop head: an odd count (mov, then whole iterations)
    assert vm.instructions % 2 == 1 and vm.instructions > 1


@pytest.mark.parametrize("engine", ENGINES)
def test_intrinsic_in_the_loop_times_out(engine: str, ticking: bpfvm.Program) -> None:
    vm = VM(engine, timeout=0.5)
    vm.intrinsics["tick"] = lambda s: s + 1
    trap = trap_of(vm, ticking, entry="main")
    assert trap.kind is TrapKind.TIMEOUT
    assert trap.pc in {insn.pc for insn in ticking.insns}


@pytest.mark.parametrize("engine", ENGINES)
def test_intrinsic_that_never_returns_is_interrupted(engine: str, ticking: bpfvm.Program) -> None:
    def stuck(s: int) -> int:
        while True:
            s += 1

    vm = VM(engine, timeout=0.3)
    vm.intrinsics["tick"] = stuck
    trap = trap_of(vm, ticking, entry="main")
    assert trap.kind is TrapKind.TIMEOUT
    assert trap.pc in {insn.pc for insn in ticking.insns}


@pytest.mark.parametrize("engine", ENGINES)
def test_vm_runs_again_after_a_timeout(engine: str) -> None:
    vm = VM(engine, timeout=0.3)
    assert trap_of(vm, SPIN).kind is TrapKind.TIMEOUT
    code = encode([make("mov64_imm", dst=0, imm=41), make("add64_imm", dst=0, imm=1), make("exit")])
    assert vm.run(code) == 42
    assert vm.instructions == 3


SAMPLES = [
    SPIN,  # exhausts the budget
    encode([make("mov64_imm", dst=1, imm=0), make("add64_imm", dst=1, imm=1),
            make("jlt64_imm", dst=1, imm=100, off=-2), make("mov64_reg", dst=0, src=1), make("exit")]),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("code", SAMPLES)
def test_a_timeout_that_does_not_fire_changes_nothing(engine: str, code: bytes) -> None:
    assert outcome(engine, code, budget=1001) == outcome(engine, code, budget=1001, timeout=60.0)


def test_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError, match="timeout"):
        VM(timeout=0)


INTERRUPTED = textwrap.dedent("""
    import sys
    from bpfvm import VM
    from bpfvm.elf import load
    vm = VM(sys.argv[1])
    vm.intrinsics["tick"] = lambda s: s + 1
    elf = sys.argv[2].endswith(".o")
    program = load(open(sys.argv[2], "rb").read()) if elf else bytes.fromhex(sys.argv[2])
    vm.compile(vm.program(program))
    print("running", flush=True)
    try:
        vm.run(program, entry="main" if elf else None)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
""")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("guest", ["spin", "ticking"])
def test_ctrl_c_stops_the_guest(engine: str, guest: str, tmp_path: Path) -> None:
    if guest == "spin":
        program = SPIN.hex()
    else:
        (tmp_path / "ticking.c").write_text(TICKING)
        program = str(compile_c(tmp_path / "ticking.c"))
    child = subprocess.Popen([sys.executable, "-c", INTERRUPTED, engine, program],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline() == "running\n"
        time.sleep(1.0)  # let it reach the loop (not a timing assertion)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert out == "interrupted\n", err
    assert child.returncode == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_cli_timeout(engine: str, tmp_path: Path) -> None:
    source = tmp_path / "spin.s"
    source.write_text("mov r0, 0\nloop:\nadd r0, 1\nja loop\nexit\n")
    run = subprocess.run([sys.executable, "-m", "bpfvm", "run", str(source), "--engine", engine,
                          "--timeout", "0.3"], capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert "trap timeout at pc 1" in run.stderr


# -- the JIT's budget slices (how it returns to Python to check the clock) -------------------


@RUNS
@given(code=program(CONTROL))
def test_budget_slices_keep_counts_exact(code: bytes) -> None:
    """Refilling tiny slices over and over, the JIT still traps and counts like the interpreter."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jit_engine, "SLICE", 3)
        same(code, budget=500)
        same(code, budget=100_000)


@pytest.mark.parametrize("budget", [None, 40, 41, 45, 502, 503, 100_000])
def test_budget_slices_in_loops_and_guest_callbacks(budget: int | None, tmp_path: Path) -> None:
    """Slices refilled in loops, calls and nested guest calls (qsort's comparator)."""
    obj = tmp_path / "sort.o"
    (tmp_path / "sort.c").write_text(C_PROGRAM)
    compile_c(tmp_path / "sort.c", output=obj)
    program = bpfvm.load(obj)
    results = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jit_engine, "SLICE", 2)
        for engine in ENGINES:
            vm = VM(engine, max_instructions=budget, stdout=io.BytesIO())
            try:
                results.append((vm.run_main(program, ["sort"]), vm.instructions))
            except VmTrap as trap:
                results.append((trap.kind, trap.pc, vm.instructions))
        same(bpfvm.assemble(LOOP), budget=budget or 1000)
    assert results[0] == results[1]
    assert budget is not None or results[0][0] == 10
