"""The debugger on code clang inlined at -O2 (DWARF ``DW_TAG_inlined_subroutine``), as gdb shows it.

``inline.c`` at -O2: ``collatz_next`` is inlined into ``collatz_steps`` and into ``main``, and
``collatz_steps`` (static, called once) into ``main``, so the object has one function, ``main``,
with three inlined calls, two of them nested.
"""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest

import bpfvm
from bpfvm.cli import main

from .conftest import HERE, line_of

Build = Callable[..., Path]
SOURCE = (HERE / "inline.c").read_text().splitlines()


def _steps(n: int) -> int:
    count = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        count += 1
    return count


def _debugger(objects: Build) -> bpfvm.Debugger:
    program = bpfvm.load(objects("inline"))
    assert list(program.functions) == ["main"], "the fixture must be fully inlined at -O2"
    return bpfvm.Debugger(bpfvm.VM(stdout=io.BytesIO()), program, argv=["inline"])


def test_dwarf_inlined_calls_are_read(objects: Build) -> None:
    dbg = _debugger(objects)
    with dbg:
        calls = dbg.info.functions["main"].inlined
        assert sorted(c.name for c in calls) == ["collatz_next", "collatz_next", "collatz_steps"]
        steps = next(c for c in calls if c.name == "collatz_steps")
        assert steps.parent is None and steps.call_line == line_of("inline", "main: call")
        nested = [c for c in calls if c.parent is steps]
        assert [c.name for c in nested] == ["collatz_next"]
        assert nested[0].call_line == line_of("inline", "steps: call") and nested[0].nesting == 1
        assert {v.name for v in steps.variables} == {"n", "steps"}
        assert {v.name for v in nested[0].variables} == {"n", "half"}


def test_break_on_inlined_function_stops_at_every_instance(objects: Build) -> None:
    with _debugger(objects) as dbg:
        bp = dbg.break_at("collatz_next")
        assert len(bp.pcs) == 2
        stop = dbg.run()
        assert stop.reason == "breakpoint" and stop.location is not None
        assert stop.location.function == "collatz_next"
        frames = dbg.backtrace()
        assert [f.location.function for f in frames] == ["collatz_next", "collatz_steps", "main"]
        assert [f.inlined for f in frames] == [True, True, False]
        # an inlined call's caller is shown at the call site
        assert frames[1].location.line == line_of("inline", "steps: call")
        assert frames[2].location.line == line_of("inline", "main: call")
        assert len({f.location.pc for f in frames}) == 1  # one real frame
        second = dbg.cont()
        assert second.reason == "breakpoint" and second.location is not None
        frames = dbg.backtrace()
        assert [f.location.function for f in frames] == ["collatz_next", "main"]
        assert frames[1].location.line == line_of("inline", "main: first")
        # like gdb, a location is the inlined call's entry pc: later iterations of the rotated
        # loop re-enter its code elsewhere, so there are exactly two stops
        assert dbg.cont().exit_code == _steps(6)


def test_break_on_outer_inlined_function_hides_the_inner_call(objects: Build) -> None:
    """As gdb: a breakpoint on collatz_steps stops in collatz_steps' frame, at the call of the
    inlined collatz_next that starts at the same instruction; ``step`` then enters it."""
    with _debugger(objects) as dbg:
        dbg.break_at("collatz_steps")
        stop = dbg.run()
        assert stop.location is not None and stop.location.function == "collatz_steps"
        assert stop.location.line == line_of("inline", "steps: call")
        assert [f.location.function for f in dbg.backtrace()] == ["collatz_steps", "main"]
        pc = dbg.pc
        entered = dbg.step()
        assert entered.location is not None and entered.location.function == "collatz_next"
        assert entered.location.pc == pc  # revealing the inlined frame runs nothing
        assert [f.location.function for f in dbg.backtrace()] == ["collatz_next", "collatz_steps", "main"]


def test_finish_up_and_locals_of_inlined_frames(objects: Build) -> None:
    with _debugger(objects) as dbg:
        dbg.break_at("collatz_next")
        dbg.run()
        finished = dbg.finish()  # out of the inlined collatz_next, back in collatz_steps
        assert finished.reason == "finish" and finished.value is None
        assert finished.location is not None and finished.location.function == "collatz_steps"
        assert dbg.frame().inlined
        assert set(dbg.locals()) == {"n", "steps"}
        frame = dbg.select(1)
        assert frame.location.function == "main" and not frame.inlined
        assert {"argc", "argv", "start", "first", "steps"} <= set(dbg.locals())
        assert dbg.variable("start") == 6
        dbg.select(0)
        with pytest.raises(bpfvm.BpfError, match="outermost"):
            dbg.select(1)
            dbg.finish()


def test_next_steps_over_inlined_calls(objects: Build) -> None:
    with _debugger(objects) as dbg:
        dbg.break_at(f"inline.c:{line_of('inline', 'main: first')}")
        stop = dbg.run()
        assert stop.location is not None and stop.location.function == "main"
        seen = []
        for _ in range(4):
            stop = dbg.next()
            if not stop.alive:
                break
            assert stop.location is not None
            seen.append(stop.location.function)
        assert set(seen) == {"main"}, seen


def test_batch_mode_prints_locations_and_inlined_frames(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                        objects: Build) -> None:
    script = tmp_path / "cmds"
    script.write_text("break collatz_next\nrun\nbt\ninfo locals\nup\nfinish\ncontinue\nbt\nkill\n")
    assert main(["debug", str(objects("inline")), "--batch", str(script)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"Breakpoint 1 at pc=\d+, pc=\d+: collatz_next\. \(2 locations\)", out[0])
    hit = out.index(next(t for t in out if t.startswith("Breakpoint 1, collatz_next (inline.c:")))
    line = int(re.search(r"inline\.c:(\d+)", out[hit]).group(1))  # type: ignore[union-attr]
    assert out[hit + 1] == f"{line}\t{SOURCE[line - 1]}"
    assert re.fullmatch(r"#0  collatz_next \(inline\.c:\d+\) pc=\d+ \[inlined\]", out[hit + 2])
    call = line_of("inline", "steps: call")
    assert re.fullmatch(rf"#1  collatz_steps \(inline\.c:{call}\) pc=\d+ \[inlined\]", out[hit + 3])
    assert re.fullmatch(rf"#2  main \(inline\.c:{line_of('inline', 'main: call')}\) pc=\d+", out[hit + 4])
    assert out[hit + 5] in ("n = <optimized out>", "n = 6")
    assert any(t.startswith("half = ") for t in out[hit + 5:hit + 7])
    assert any(t.startswith("Run till exit from #1  collatz_steps") for t in out)


def test_tui_backtrace_pane_shows_inlined_frames(objects: Build) -> None:
    pytest.importorskip("textual")
    from textual.widgets import Static

    from bpfvm.debug.tui import DebuggerApp

    from .test_tui import settle

    app = DebuggerApp(_debugger(objects))

    async def scenario() -> None:
        async with app.run_test(size=(160, 50)) as pilot:
            app.run_command("break collatz_next")
            app.run_command("run")
            await settle(pilot, app)
            text = str(app.query_one("#backtrace", Static).render())
            assert "collatz_next" in text and "collatz_steps" in text and "main" in text
            app.run_command("kill")
            await settle(pilot, app)

    asyncio.run(scenario())


def test_linked_program_reads_every_objects_dwarf(tmp_path: Path) -> None:
    """A program linked from several objects (as DOOM is): breakpoints on a function inlined in
    the second object, and a backtrace through both objects to main."""
    from bpfvm.cc import compile_c
    from bpfvm.linker import link_programs

    (tmp_path / "a.c").write_text(
        "long scale(long x);\nint main(void)\n{\n    return (int)scale(20); /* a: call */\n}\n")
    (tmp_path / "b.c").write_text(
        "static long twice(long x)\n{\n    return x * 2; /* b: twice */\n}\n\n"
        "__attribute__((noinline)) long scale(long x)\n{\n    return twice(x) + 1; /* b: scale */\n}\n")
    objs = [compile_c(tmp_path / f"{n}.c", output=tmp_path / f"{n}.o", flags=["-O2"]) for n in "ab"]
    linked = link_programs([bpfvm.load(o) for o in objs], name="ab")
    with bpfvm.Debugger(bpfvm.VM(stdout=io.BytesIO()), linked, elf=[o.read_bytes() for o in objs]) as dbg:
        bp = dbg.break_at("twice")
        assert len(bp.pcs) == 1
        stop = dbg.run()
        assert stop.location is not None and stop.location.function == "twice"
        assert stop.location.file.endswith("b.c") and stop.location.line == 3
        frames = dbg.backtrace()
        assert [(f.location.function, f.inlined) for f in frames] == [
            ("twice", True), ("scale", False), ("main", False)]
        assert frames[1].location.line == 8 and frames[2].location.file.endswith("a.c")
        assert dbg.cont().exit_code == 41
