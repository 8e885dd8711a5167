"""The Textual TUI of ``bpfvm debug``, driven headless with Textual's pilot."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

import bpfvm

from .conftest import line_of
from .test_debugger import Build, collatz

pytest.importorskip("textual")

from textual.widgets import DataTable, RichLog, Static  # noqa: E402

from bpfvm.debug.tui import DebuggerApp, SourceView  # noqa: E402


def make_app(path: Path) -> DebuggerApp:
    vm = bpfvm.VM(stdout=io.BytesIO())
    return DebuggerApp(bpfvm.Debugger(vm, bpfvm.load(path), argv=["collatz"]))


async def settle(pilot: object, app: DebuggerApp) -> None:
    """Wait until the execution worker (if any) finished and the UI caught up."""
    for _ in range(200):
        await pilot.pause()  # type: ignore[attr-defined]
        if not app.busy:
            break
        await asyncio.sleep(0.02)
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


def output_text(app: DebuggerApp) -> str:
    log = app.query_one("#output", RichLog)
    return "\n".join(strip.text for strip in log.lines)


def test_keys_drive_the_debugger(objects: Build) -> None:
    app = make_app(objects("collatz"))

    async def scenario() -> None:
        async with app.run_test(size=(160, 50)) as pilot:
            dbg = app.dbg
            source = app.query_one("#source", SourceView)
            assert source.file.endswith("collatz.c") and source.lines
            # F9 on the cursor line sets a breakpoint there; the pane marks it.
            target = line_of("collatz", "if (n == 1)")
            source.focus()
            await pilot.pause()
            source.cursor = target
            await pilot.press("f9")
            await pilot.pause()
            assert [bp.spec for bp in dbg.breakpoints.values()] == [f"{source.file}:{target}"]
            assert target in source.marked
            await pilot.press("f5")  # run, to the breakpoint
            await settle(pilot, app)
            assert dbg.location.line == target and source.current == target
            assert dbg.variable("n") == 6
            await pilot.press("f10")  # next
            await settle(pilot, app)
            assert dbg.location.line == line_of("collatz", "long next =")
            regs = app.query_one("#registers", DataTable)
            assert regs.row_count == 11
            await pilot.press("f10")
            await settle(pilot, app)
            assert dbg.location.line == line_of("collatz", "long total = begin(")
            await pilot.press("f11")  # step into the recursive call: the breakpoint's line
            await settle(pilot, app)
            assert len(dbg.backtrace()) == 3 and dbg.location.line == target
            assert str(app.query_one("#backtrace", Static).render()).count("begin") == 2
            assert source.cursor == target
            source.focus()
            await pilot.press("f9")  # the breakpoint is there: F9 removes it
            await pilot.pause()
            assert not dbg.breakpoints and target not in source.marked
            await pilot.press("shift+f11")  # finish
            await settle(pilot, app)
            assert dbg.stop is not None and dbg.stop.reason == "finish"
            assert len(dbg.backtrace()) == 2
            assert "Run till exit" in output_text(app)
            assert f"Value returned is $1 = {len(collatz(6)) - 1}" in output_text(app)
            # the command line takes batch commands
            await pilot.click("#command")
            await pilot.press(*"delete", "enter")
            await pilot.press(*"continue", "enter")
            await settle(pilot, app)
            assert dbg.stop is not None and dbg.stop.reason == "exited"
            text = output_text(app)
            assert f"collatz(6) takes {len(collatz(6)) - 1} steps" in text
            assert "exited with code" in text

    asyncio.run(scenario())


def test_register_edit_and_formats(objects: Build) -> None:
    app = make_app(objects("collatz"))

    async def scenario() -> None:
        async with app.run_test(size=(160, 50)) as pilot:
            dbg = app.dbg
            app.run_command(f"break *{dbg.program.functions['begin'].start}")
            app.run_command("run")
            await settle(pilot, app)
            table = app.query_one("#registers", DataTable)
            assert str(table.get_row_at(1)[1]) == f"{6:#018x}"
            table.focus()
            table.move_cursor(row=1)
            await pilot.press("enter")  # edit r1 in place: the command line gets "set r1 = "
            await pilot.pause()
            await pilot.press("7", "enter")
            await pilot.pause()
            assert dbg.regs[1] == 7
            assert str(table.get_row_at(1)[1]) == f"{7:#018x}"
            await pilot.press("f2")  # unsigned
            await pilot.pause()
            assert str(table.get_row_at(1)[1]) == "7"
            app.run_command("delete")
            app.run_command("continue")
            await settle(pilot, app)
            assert dbg.stop is not None and dbg.stop.exit_code == len(collatz(7)) - 1

    asyncio.run(scenario())
