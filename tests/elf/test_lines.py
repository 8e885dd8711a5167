"""Line tables: ``Program.lines`` agrees with ``llvm-objdump -d -l`` for every instruction, with one
code section and with ``.text`` plus several ``SEC()`` sections."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from bpfvm.elf import load
from bpfvm.program import Program

_SECTION = re.compile(r"^Disassembly of section (\S+):$")
_SOURCE = re.compile(r"^; (/\S+):(\d+)$")
_INSN = re.compile(r"^\s*(\d+):\t")
_FUNCTION = re.compile(r"^[0-9a-f]{16} <")


def objdump_lines(listing: str) -> dict[tuple[str, int], tuple[str, int]]:
    """(section, section-relative slot) → (file, line) as ``llvm-objdump -d -l`` prints them.

    objdump prints ``; file:line`` when the line changes; an instruction without a row (line 0)
    gets none, so lines are carried forward only within the run of instructions that follows.
    """
    lines: dict[tuple[str, int], tuple[str, int]] = {}
    section, where = "", None
    for text in listing.splitlines():
        if match := _SECTION.match(text):
            section, where = match.group(1), None
        elif match := _SOURCE.match(text):
            where = (match.group(1), int(match.group(2)))
        elif _FUNCTION.match(text):
            where = None
        elif (match := _INSN.match(text)) and where is not None:
            lines[(section, int(match.group(1)))] = where
    return lines


def _image_slot(prog: Program, section: str, slot: int) -> int:
    return prog.functions[prog.sections[section][0]].start + slot


@pytest.mark.parametrize("fixture", ["relocs.c", "programs.c", "common.c"])
def test_lines_agree_with_objdump(objects: dict[str, Path], objdump: Callable[..., str],
                                  fixture: str) -> None:
    prog = load(objects[fixture])
    expected = objdump_lines(objdump("-d", "-l", "--no-show-raw-insn", objects[fixture]))
    assert expected, "objdump printed no line information"
    found = {key: prog.lines.get(_image_slot(prog, *key)) for key in expected}
    assert found == expected
    assert set(prog.lines) <= {i.pc for i in prog.insns}


def test_a_known_line(objects: dict[str, Path]) -> None:
    prog = load(objects["programs.c"])
    source = Path(__file__).parent / "fixtures" / "programs.c"
    text = source.read_text().splitlines()
    marker = next(n for n, line in enumerate(text, 1) if "LINE: xdp-return" in line)
    xdp = prog.functions["xdp_prog"]
    call = next(i for i in prog.function_insns(xdp) if i.spec.op == "call_local")
    file, line = prog.lines[call.pc]
    assert (Path(file).name, line) == ("programs.c", marker)
    assert all(prog.lines[pc][1] != marker for pc in prog.lines if not xdp.start <= pc < xdp.end)


def test_no_debug_information_no_lines(objects: dict[str, Path]) -> None:
    assert load(objects["main.c"]).lines == {}  # compiled with -g0


def test_dwarf5_lines_agree_with_objdump(bpf_cc: Callable[..., Path], objdump: Callable[..., str],
                                         tmp_path: Path) -> None:
    obj = bpf_cc(Path(__file__).parent / "fixtures" / "programs.c", tmp_path / "programs5.o", ["-gdwarf-5"])
    prog = load(obj)
    expected = objdump_lines(objdump("-d", "-l", "--no-show-raw-insn", obj))
    assert expected and {key: prog.lines.get(_image_slot(prog, *key)) for key in expected} == expected
