"""``bpfvm debug PROG.o --batch CMDS``: gdb-like commands, stops printed as gdb prints them."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from bpfvm.cli import main

from .conftest import HERE, line_of
from .test_debugger import Build, collatz

SOURCE = (HERE / "collatz.c").read_text().splitlines()


def batch(capsys: pytest.CaptureFixture[str], tmp_path: Path, obj: Path, commands: str,
          *args: str) -> list[str]:
    script = tmp_path / "cmds"
    script.write_text(commands)
    assert main(["debug", str(obj), "--batch", str(script), *args]) == 0
    return capsys.readouterr().out.splitlines()


def stop_lines(out: list[str], line: int, function: str = "begin") -> list[int]:
    """Indexes of the stop reports at ``line`` (each followed by the source line, as gdb prints it)."""
    found = [i for i, text in enumerate(out) if re.search(rf"{function} \(collatz\.c:{line}\) pc=\d+$", text)
             and not re.match(r"(Temporary b|B)reakpoint \d+ at |Run till exit", text)]
    for i in found:
        assert out[i + 1] == f"{line}\t{SOURCE[line - 1]}"
    return found


def test_break_run_bt_print_continue(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                     objects: Build) -> None:
    out = batch(capsys, tmp_path, objects("collatz"), "break begin\nrun\nbt\nprint n\nprint depth + 1\n"
                "info breakpoints\ndelete 1\ncontinue\n")
    first = line_of("collatz", "if (n == 1)")
    assert re.fullmatch(rf"Breakpoint 1 at pc=\d+: begin \(collatz\.c:{first}\) pc=\d+", out[0])
    hits = [i for i, text in enumerate(out) if text.startswith("Breakpoint 1, ")]
    assert len(hits) == 1
    assert re.fullmatch(rf"Breakpoint 1, begin \(collatz\.c:{first}\) pc=\d+", out[hits[0]])
    assert out[hits[0] + 1] == f"{first}\t{SOURCE[first - 1]}"
    assert out[hits[0] + 2].startswith("#0  begin (collatz.c:")
    assert re.fullmatch(rf"#1  main \(collatz\.c:{line_of('collatz', 'long steps = begin')}\) pc=\d+",
                        out[hits[0] + 3])
    assert out[hits[0] + 4:hits[0] + 6] == ["$1 = 6", "$2 = 1"]
    assert "\tbreakpoint already hit 1 time" in out
    steps = len(collatz(6)) - 1
    assert f"collatz(6) takes {steps} steps" in out
    assert out[-1] == f"[Inferior 1 (bpfvm) exited with code {steps}]"


def test_next_step_finish_and_registers(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                        objects: Build) -> None:
    out = batch(capsys, tmp_path, objects("collatz", "-O0"),
                "break begin\nrun\ndelete\nnext\nnext\nstep\nfinish\nnext\ninfo registers\nx/2xg r10-16\n"
                "set var total = 5\ncontinue\n")
    assert stop_lines(out, line_of("collatz", "long next ="))
    assert stop_lines(out, line_of("collatz", "long total = begin("))
    assert len(stop_lines(out, line_of("collatz", "if (n == 1)"))) == 2  # the breakpoint, then step
    assert stop_lines(out, line_of("collatz", "if (depth > deepest)"))  # next after finish
    finish = next(i for i, text in enumerate(out) if text.startswith("Run till exit from #0  begin"))
    assert out[finish + 1].startswith("begin (collatz.c:")
    value = len(collatz(6)) - 1
    assert f"Value returned is $1 = {value}" in out
    regs = [text for text in out if re.match(r"r\d+ +0x", text)]
    assert [r.split()[0] for r in regs] == [f"r{i}" for i in range(11)]
    assert all(int(r.split()[1], 16) == int(r.split()[2]) % (1 << 64) for r in regs)
    assert any(re.fullmatch(r"0x[0-9a-f]+:\t0x[0-9a-f]{16}\t0x[0-9a-f]{16}", text) for text in out)
    assert out[-1] == "[Inferior 1 (bpfvm) exited with code 5]"  # begin(6, 0) returned total = 5


def test_set_register_and_conditional_break(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                            objects: Build) -> None:
    entry = "*" + str(0)  # begin is the first function: its first instruction, n still in r1
    out = batch(capsys, tmp_path, objects("collatz"),
                f"break {entry}\nbreak begin if n == 11\nrun\nset r1 = 7\ndelete 1\ncontinue\nprint depth\n"
                "continue\n")
    hit = next(i for i, text in enumerate(out) if text.startswith("Breakpoint 2, begin"))
    assert out[hit + 2] == f"$1 = {collatz(7).index(11)}"
    assert f"collatz(6) takes {len(collatz(7)) - 1} steps" in out


def test_fault_location(capsys: pytest.CaptureFixture[str], tmp_path: Path, objects: Build) -> None:
    out = batch(capsys, tmp_path, objects("fault"), "run\nbt\ncontinue\n")
    trap = next(i for i, text in enumerate(out) if text.startswith("Program trapped: "))
    line = line_of("fault", "*where = value;")
    assert re.fullmatch(rf"poke \(fault\.c:{line}\) pc=\d+", out[trap + 1])
    assert out[trap + 2].startswith(f"{line}\t") and out[trap + 2].endswith("*where = value;")
    assert [text.split()[1] for text in out[trap + 3:trap + 6]] == ["poke", "stage", "main"]
    assert out[trap + 6] == "The program is not being run."


def test_list_and_disassemble(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                              objects: Build, objdump: Callable[..., str]) -> None:
    obj = objects("collatz")
    out = batch(capsys, tmp_path, obj, "break main\nrun\nlist\ndisassemble\nquit\ncontinue\n")
    listed = [text for text in out if re.match(r"\d+\t", text) and not text.startswith(("0", "1\t"))]
    assert any(text.endswith("long steps = begin(start, 0);") for text in listed)
    dump = out[out.index("Dump of assembler code for function main:") + 1:out.index("End of assembler dump.")]
    reference = [line.split("\t")[-1] for line in objdump("-d", "--no-show-raw-insn", obj).splitlines()
                 if re.match(r"\s+\d+:\t", line)]
    mine = [text.split(":\t", 1)[1] for text in dump]
    calls = [i for i, text in enumerate(mine) if text.startswith("call ")]  # objdump: unrelocated
    assert [t for i, t in enumerate(mine) if i not in calls] == \
        [t for i, t in enumerate(reference[-len(mine):]) if i not in calls]  # main is the last function
    assert sum(text.startswith("=> ") for text in dump) == 1
    assert not any(text.startswith("[Inferior") for text in out)  # quit ended the session


def test_tbreak_until_and_watch(capsys: pytest.CaptureFixture[str], tmp_path: Path, objects: Build) -> None:
    out = batch(capsys, tmp_path, objects("collatz", "-O0"),
                "tbreak begin\nrun\nuntil collatz.c:13\nwatch deepest\ninfo breakpoints\ncontinue\n"
                "print deepest\nprint &deepest == &deepest\nquit\n")
    first = line_of("collatz", "if (n == 1)")
    assert re.fullmatch(rf"Temporary breakpoint 1, begin \(collatz\.c:{first}\) pc=\d+", out[2])
    assert stop_lines(out, line_of("collatz", "if (depth > deepest)"))
    assert "No breakpoints or watchpoints." not in out
    assert any(re.fullmatch(r"2 +watchpoint +keep y +deepest", text) for text in out)
    assert out.index("Watchpoint 2: deepest") > 0
    deepest = len(collatz(6)) - 2
    assert "Old value = 0" in out and f"New value = {deepest}" in out
    assert out[-2:] == [f"$1 = {deepest}", "$2 = 1"]
