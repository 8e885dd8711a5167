"""The debugger's Python API on real C programs (printf, recursion, faults), checked against the source.

Expected lines are found in the C source by their text; expected values come from the
programs' own semantics (a Python Collatz walk) and from undebugged runs of the same object.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import bpfvm
import bpfvm.debug
from bpfvm.cc import compile_c
from bpfvm.debug import DebuggerError

from .conftest import HERE, line_of

OPTS = ("-O2", "-O0")
Make = Callable[..., bpfvm.Debugger]
Build = Callable[..., Path]


def collatz(n: int) -> list[int]:
    """The Collatz walk from n down to 1."""
    walk = [n]
    while walk[-1] != 1:
        walk.append(walk[-1] // 2 if walk[-1] % 2 == 0 else 3 * walk[-1] + 1)
    return walk


def plain_run(path: Path, argv: list[str]) -> tuple[int, bytes]:
    vm = bpfvm.VM(stdout=io.BytesIO())
    code = vm.run_main(bpfvm.load(path), argv)
    return code, vm.stdout.getvalue()  # type: ignore[attr-defined]


@pytest.mark.parametrize("opt", OPTS)
def test_function_breakpoint_stops_at_first_body_line(debugger: Make, opt: str) -> None:
    dbg = debugger("collatz", opt)
    dbg.break_at("begin")
    stop = dbg.cont()
    assert stop.reason == "breakpoint"
    assert stop.location is not None
    assert (stop.location.function, stop.location.line) == ("begin", line_of("collatz", "if (n == 1)"))
    assert stop.location.file.endswith("collatz.c")
    assert dbg.variable("n") == 6 and dbg.variable("depth") == 0
    assert dbg.regs[1] == 6  # the first argument, before begin's first statement
    walk = collatz(6)
    for depth in range(1, 4):  # each recursive call hits the breakpoint again
        assert dbg.cont().reason == "breakpoint"
        assert (dbg.variable("n"), dbg.variable("depth")) == (walk[depth], depth)
        assert len(dbg.backtrace()) == depth + 2


@pytest.mark.parametrize("opt", OPTS)
def test_backtrace_through_recursion(debugger: Make, opt: str) -> None:
    dbg = debugger("collatz", opt)
    dbg.break_at("begin", "n == 1")  # the innermost call
    stop = dbg.cont()
    walk = collatz(6)
    assert stop.location is not None and stop.location.line == line_of("collatz", "if (n == 1)")
    frames = dbg.backtrace()
    assert [f.location.function for f in frames] == ["begin"] * len(walk) + ["main"]
    call_line = line_of("collatz", "long total = begin(")
    assert all(f.location.line == call_line for f in frames[1:-1])
    assert frames[-1].location.line == line_of("collatz", "long steps = begin(start, 0);")
    assert [f.regs[10] for f in frames] == sorted(f.regs[10] for f in frames)  # frames go down the stack
    for level, n in enumerate(reversed(walk)):  # each frame's own parameter
        dbg.select(level)
        if opt == "-O0":  # at -O2 n is in r1/r3, which calls clobber
            assert dbg.variable("n") == n
        assert dbg.variable("depth") == len(walk) - 1 - level
    assert dbg.cont().exit_code == len(walk) - 1


@pytest.mark.parametrize("opt", OPTS)
def test_next_step_finish(debugger: Make, opt: str) -> None:
    dbg = debugger("collatz", opt)
    dbg.break_at("begin")
    dbg.cont()
    assert dbg.next().location.line == line_of("collatz", "long next = ")  # type: ignore[union-attr]
    assert dbg.next().location.line == line_of("collatz", "long total = begin(")  # type: ignore[union-attr]
    dbg.delete(1)
    stop = dbg.next()  # over the whole recursion
    assert stop.location is not None
    after = line_of("collatz", "if (depth > deepest)")
    assert (stop.location.function, stop.location.line) == ("begin", after)
    assert len(dbg.backtrace()) == 2
    assert dbg.variable("total") == len(collatz(6)) - 1

    again = dbg.break_at("begin")
    dbg.run()  # again from the start: step into the recursive call instead
    dbg.delete(again.number)  # (else finish would stop at it in the deeper calls, as in gdb)
    dbg.next()
    dbg.next()
    stop = dbg.step()
    assert stop.location is not None
    assert (stop.location.function, stop.location.line) == ("begin", line_of("collatz", "if (n == 1)"))
    assert len(dbg.backtrace()) == 3
    assert dbg.variable("n") == 3
    caller = dbg.backtrace()[1].location
    assert caller.line == line_of("collatz", "long total = begin(")
    stop = dbg.finish()  # back in the caller, just after the call instruction (gdb: mid-line)
    assert stop.reason == "finish" and stop.location is not None
    assert (stop.location.function, stop.location.pc) == ("begin", caller.pc + 1)
    assert stop.value == len(collatz(6)) - 1  # the depth begin(3, 1) reports
    assert len(dbg.backtrace()) == 2
    stop = dbg.step()  # finishes that line, then the next statement
    assert stop.location is not None and stop.location.function == "begin"
    assert stop.location.line > dbg.program.lines[caller.pc + 1][1]
    assert stop.location.pc in dbg.statements


def test_step_leaves_a_function_into_the_next_caller_line(debugger: Make) -> None:
    dbg = debugger("collatz", "-O0")
    dbg.break_at(f"collatz.c:{line_of('collatz', 'return total;')}")
    dbg.cont()
    while len(dbg.backtrace()) > 2:
        dbg.cont()
    dbg.delete(1)
    stop = dbg.step()
    while stop.location is not None and stop.location.function == "begin":
        stop = dbg.step()
    assert stop.location is not None and stop.location.function == "main"
    assert stop.location.line == line_of("collatz", "printf(")  # not the middle of the call's line


def test_stepi_runs_one_instruction(debugger: Make) -> None:
    dbg = debugger("collatz")
    dbg.break_at("main")
    start = dbg.cont().location
    assert start is not None
    insn = dbg.program.insn_at(start.pc)
    stop = dbg.stepi()
    assert stop.location is not None
    follows = {start.pc + insn.width} | ({insn.target} if insn.target is not None else set())
    assert stop.location.pc in follows


@pytest.mark.parametrize("opt", OPTS)
def test_register_write_changes_the_result(debugger: Make, objects: Build, opt: str) -> None:
    expected, output = plain_run(objects("collatz", opt), ["collatz"])
    assert expected == len(collatz(6)) - 1
    dbg = debugger("collatz", opt)
    dbg.break_at(f"*{dbg.program.functions['begin'].start}")  # before the prologue: n is still r1
    dbg.cont()
    dbg.regs[1] = 7  # begin(7, 0) instead of begin(6, 0)
    dbg.delete(1)
    stop = dbg.cont()
    assert stop.reason == "exited" and stop.exit_code == len(collatz(7)) - 1
    assert dbg.vm.stdout.getvalue() == b"collatz(6) takes %d steps\n" % (len(collatz(7)) - 1)  # type: ignore[attr-defined]


def test_undebugged_behaviour_is_kept(debugger: Make, objects: Build) -> None:
    for argv in (["collatz"], ["collatz", "x"]):
        code, output = plain_run(objects("collatz"), argv)
        dbg = debugger("collatz", argv=argv)
        stop = dbg.cont()
        assert (stop.reason, stop.exit_code) == ("exited", code)
        assert dbg.vm.stdout.getvalue() == output  # type: ignore[attr-defined]
        assert output.startswith(b"collatz(%d) takes %d steps" % (6 + len(argv) - 1, code))


def test_conditional_breakpoint(debugger: Make) -> None:
    dbg = debugger("collatz")
    dbg.break_at("begin", "n == 5 && depth > 0")
    stop = dbg.cont()
    assert stop.reason == "breakpoint"
    assert dbg.variable("n") == 5 and dbg.variable("depth") == collatz(6).index(5)
    assert dbg.cont().reason == "exited"


def test_breakpoint_by_instruction_and_run_to(debugger: Make) -> None:
    dbg = debugger("collatz")
    main = dbg.program.functions["main"]
    dbg.break_at(f"*{main.start}")
    stop = dbg.cont()
    assert stop.location is not None and stop.location.pc == main.start
    stop = dbg.run_to(f"collatz.c:{line_of('collatz', 'printf(')}")
    assert stop.location is not None and stop.location.line == line_of("collatz", "printf(")
    assert dbg.variable("steps") == len(collatz(6)) - 1
    assert not dbg.breakpoints.keys() - {1}


def test_watchpoint_on_a_global(debugger: Make) -> None:
    dbg = debugger("collatz", "-O0")
    wp = dbg.watch("deepest")
    stop = dbg.cont()
    assert stop.reason == "watchpoint" and stop.number == wp.number
    assert stop.location is not None and stop.location.function == "begin"
    deepest = len(collatz(6)) - 2  # the deepest frame that is not the last one writes first
    assert dbg.variable("deepest") == deepest
    assert f"New value = {deepest}" in stop.detail
    assert dbg.variable("depth") == deepest


def test_memory_examine_and_write(debugger: Make) -> None:
    dbg = debugger("collatz", "-O0")
    dbg.break_at(f"collatz.c:{line_of('collatz', 'if (depth > deepest)')}")
    dbg.cont()
    total = dbg.variable("total")
    address = dbg.frame().regs[10] - dbg.info.functions["begin"].frame + 8  # DW_OP_fbreg +8 (total)
    assert int.from_bytes(dbg.read(address, 8), "little") == total
    dbg.write(address, (1000).to_bytes(8, "little"))
    assert dbg.variable("total") == 1000
    dbg.delete(1)
    assert dbg.cont().exit_code == 1000


def test_fault_stops_at_the_faulting_line(debugger: Make) -> None:
    dbg = debugger("fault", argv=["fault"])
    stop = dbg.cont()
    assert stop.reason == "trap" and stop.trap is not None
    assert stop.trap.kind is bpfvm.TrapKind.OUT_OF_BOUNDS
    assert stop.location is not None
    assert (stop.location.function, stop.location.line) == ("poke", line_of("fault", "*where = value;"))
    assert [f.location.function for f in dbg.backtrace()] == ["poke", "stage", "main"]
    assert dbg.backtrace()[2].location.line == line_of("fault", "return stage((int *)0);")
    assert dbg.vm.stdout.getvalue() == b"before\n"  # type: ignore[attr-defined]
    with pytest.raises(DebuggerError):
        dbg.cont()


def test_bad_locations_are_typed_errors(debugger: Make) -> None:
    dbg = debugger("collatz")
    with pytest.raises(DebuggerError):
        dbg.break_at("no_such_function")
    with pytest.raises(DebuggerError):
        dbg.break_at("collatz.c:100000")
    with pytest.raises(DebuggerError):
        dbg.step()  # not running
    with pytest.raises(bpfvm.BpfError):
        dbg.break_at("begin", "n ==")


def test_close_restores_the_fast_path(debugger: Make, objects: Build) -> None:
    dbg = debugger("collatz")
    dbg.break_at("begin")
    dbg.cont()
    dbg.close()  # kills the paused run
    out = io.BytesIO()
    dbg.vm.stdout = out
    assert dbg.vm.run_main(dbg.program, ["collatz"]) == len(collatz(6)) - 1
    assert out.getvalue() == plain_run(objects("collatz"), ["collatz"])[1]


def test_btf_line_info_without_dwarf(tmp_path: Path) -> None:
    """With .debug_* stripped, BTF.ext line_info gives lines, and the source text when the file is gone."""
    objcopy = shutil.which("llvm-objcopy-19")
    if objcopy is None:
        pytest.skip("llvm-objcopy-19 not installed (Debian package llvm-19)")
    source = tmp_path / "collatz.c"
    source.write_text((HERE / "collatz.c").read_text())
    full = compile_c(source, output=tmp_path / "full.o")
    stripped = tmp_path / "stripped.o"
    subprocess.run([objcopy, "--remove-section=.debug*", "--remove-section=.rel.debug*", str(full),
                    str(stripped)], check=True)
    source.unlink()
    program = bpfvm.load(stripped)
    assert not program.lines
    with bpfvm.Debugger(bpfvm.VM(stdout=io.BytesIO()), program) as dbg:
        dbg.break_at("begin")
        stop = dbg.cont()
        assert stop.location is not None
        assert (stop.location.function, stop.location.line) == ("begin", line_of("collatz", "if (n == 1)"))
        assert dbg.source_line(stop.location.file, stop.location.line) == "    if (n == 1)"
        assert dbg.next().location.line == line_of("collatz", "long next =")  # type: ignore[union-attr]
        assert [f.location.line for f in dbg.backtrace()] == [
            line_of("collatz", "long next ="), line_of("collatz", "long steps = begin(start, 0);")]


def test_guest_callback_from_an_intrinsic(debugger: Make, objects: Build) -> None:
    """qsort (an intrinsic) calls the guest comparator: breakpoints and backtraces see it."""
    code, output = plain_run(objects("sort"), ["sort"])
    dbg = debugger("sort")
    bp = dbg.break_at("compare")
    stop = dbg.cont()
    assert stop.location is not None
    first = line_of("sort", "int x = *(const int *)a")
    assert (stop.location.function, stop.location.line) == ("compare", first)
    frames = dbg.backtrace()
    assert [f.location.function for f in frames] == ["compare", "qsort", "main"]
    assert [f.intrinsic for f in frames] == [False, True, False]
    assert frames[2].location.line == line_of("sort", "qsort(values")
    assert frames[1].location.pc == frames[2].location.pc  # the intrinsic frame: main's call
    assert dbg.program.externs[frames[2].location.pc] == "qsort"
    dbg.select(1)
    with pytest.raises(DebuggerError):
        dbg.locals()
    dbg.select(2)
    assert dbg.variable("calls") == 0 and "values" in dbg.locals()
    dbg.select(0)
    assert dbg.variable("calls") == 0
    dbg.cont()
    assert dbg.variable("calls") == 1
    dbg.delete(bp.number)
    stop = dbg.cont()
    assert (stop.reason, stop.exit_code) == ("exited", code)
    assert dbg.vm.stdout.getvalue() == output  # type: ignore[attr-defined]
    assert output.startswith(b"1 3 5 7 9 ")


def _in_background(call: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    return thread, result


def test_interrupt_a_running_program(debugger: Make) -> None:
    dbg = debugger("spin")
    thread, result = _in_background(dbg.cont)
    while not dbg._frames:  # noqa: SLF001 - wait until the guest runs
        time.sleep(0.01)
    dbg.interrupt()
    thread.join(timeout=60)
    stop = result[0]
    assert isinstance(stop, bpfvm.debug.Stop) and stop.reason == "interrupted"
    assert stop.location is not None and stop.location.function == "main"
    assert stop.location.line in (line_of("spin", "while (!release)"), line_of("spin", "turns++;"))
    dbg.set_variable("release", 1)
    stop = dbg.cont()
    assert (stop.reason, stop.exit_code) == ("exited", 3)
    assert dbg.vm.stdout.getvalue() == b"released after some turns\n"  # type: ignore[attr-defined]


def test_close_kills_a_running_program(debugger: Make) -> None:
    dbg = debugger("spin")
    thread, result = _in_background(dbg.cont)
    while not dbg._frames:  # noqa: SLF001
        time.sleep(0.01)
    dbg.close()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert isinstance(result[0], bpfvm.debug.Stop) and result[0].reason == "killed"
