"""The static linker: a four-file C project against gcc, and every linking error.

The project (``project/*.c``) is compiled one object per file with ``bpfvm cc``, linked by
:func:`bpfvm.link_programs` (and by ``bpfvm run a.o b.o …``), and its output compared with the
same files built and linked natively by gcc, under both engines.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

import bpfvm
from bpfvm.cc import compile_c
from bpfvm.program import Reloc, Segment
from bpfvm.vm import ENGINES
from tests.native import native_build

PROJECT = Path(__file__).with_name("project")
SOURCES = ["main.c", "util.c", "tables.c", "weak.c"]


@pytest.fixture(scope="module")
def objects(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("objs")
    return [compile_c(PROJECT / name, output=out / name.replace(".c", ".o")) for name in SOURCES]


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[bytes]:
    out = tmp_path_factory.mktemp("native")
    exe = native_build([PROJECT / name for name in SOURCES], out, name="project")
    return subprocess.run([str(exe), "x"], capture_output=True, check=False)


@pytest.mark.parametrize("engine", ENGINES)
def test_project_matches_gcc(objects: list[Path], expected: subprocess.CompletedProcess[bytes],
                             engine: str, capfd: pytest.CaptureFixture[str]) -> None:
    program = bpfvm.load(objects, name="project")
    vm = bpfvm.VM(engine)
    status = vm.run_main(program, ["project", "x"])
    vm.stdout.flush()
    assert capfd.readouterr().out.encode() == expected.stdout
    assert status == expected.returncode
    assert b"tuned=42" in expected.stdout  # the strong definition won, natively too


@pytest.mark.parametrize("dashes", [False, True])
def test_cli_links_objects(objects: list[Path], expected: subprocess.CompletedProcess[bytes],
                           dashes: bool) -> None:
    words = [str(o) for o in objects] + (["--", "x"] if dashes else ["x"])
    result = subprocess.run([sys.executable, "-m", "bpfvm", "run", "--engine", "jit", *words],
                            capture_output=True, check=False)
    assert result.stdout == expected.stdout, result.stderr.decode()
    assert result.returncode == expected.returncode


def test_layout(objects: list[Path]) -> None:
    program = bpfvm.load(objects)
    assert program.entry == "main"
    # Each object's static `twice` survives under its own name; exported names are kept.
    statics = sorted(f for f in program.functions if f.endswith("twice") and f != "util_twice")
    assert statics == ["twice", "util.o:twice"]
    # util.c's weak tuning() stays in the image under its own name; calls go to weak.c's.
    assert "tuning" in program.functions and "util.o:tuning" in program.functions
    assert {"record", "find_shape", "current_op", "tuning"} <= set(program.functions)
    # Same-named sections merge into one segment.
    names = [s.name for s in program.segments]
    assert len(names) == len(set(names))
    assert all(r.resolved for r in program.relocs)
    assert not set(program.externs.values()) & {"record", "util_twice", "tuning", "find_shape"}
    vm = bpfvm.VM()
    vm.run_main(program, ["project"])
    assert vm.globals(program)["records"] == 6
    assert vm.globals(program)["total"] == 100 + 2 * (3 + 1 + 4 + 1 + 5 + 9)


def test_unresolved_symbols_named(objects: list[Path]) -> None:
    main_only = bpfvm.load(objects[0])
    assert {r.symbol for r in main_only.relocs if not r.resolved} >= {"table", "total", "greeting"}
    with pytest.raises(bpfvm.ProgramError, match=r"undefined symbols .*greeting.*table"):
        bpfvm.VM().run_main(main_only, ["main"])


def test_cli_unresolved(objects: list[Path]) -> None:
    result = subprocess.run([sys.executable, "-m", "bpfvm", "run", str(objects[0]), str(objects[1])],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "undefined symbols" in result.stderr and "greeting" in result.stderr
    assert "Traceback" not in result.stderr


def test_duplicate_definition(objects: list[Path]) -> None:
    with pytest.raises(bpfvm.LinkError, match=r"multiple definition of '\w+': in \S*util.o and \S*util.o"):
        bpfvm.load([objects[0], objects[1], objects[1]])


def test_weak_alone_is_used(objects: list[Path], capfd: pytest.CaptureFixture[str]) -> None:
    program = bpfvm.load(objects[:3])  # without weak.c: util.c's weak tuning() counts
    vm = bpfvm.VM()
    vm.run_main(program, ["p"])
    vm.stdout.flush()
    assert "tuned=-1" in capfd.readouterr().out


def test_tentative_definitions_clash(tmp_path: Path) -> None:
    a = compile_c("int shared;\nint main(void) { return shared; }\n", output=tmp_path / "a.o",
                  flags=["-fcommon"])
    b = compile_c("int shared;\nint get(void) { return shared; }\n", output=tmp_path / "b.o",
                  flags=["-fcommon"])
    with pytest.raises(bpfvm.LinkError, match="tentative definition"):
        bpfvm.load([a, b])


def test_conflicting_section_kinds(tmp_path: Path) -> None:
    a = compile_c('__attribute__((section(".data.x"))) int x = 1;\nint main(void) { return x; }\n',
                  output=tmp_path / "a.o")
    b = compile_c('__attribute__((section(".data.x"))) const int y = 2;\nint get(void) { return y; }\n',
                  output=tmp_path / "b.o")
    program_b = bpfvm.load(b)
    readonly = Segment(".data.x", program_b.segments[0].data, False, 4)
    program_b = dataclasses.replace(program_b, segments=(readonly,), name="b")
    with pytest.raises(bpfvm.LinkError, match=r"section \.data\.x is read-only in b"):
        bpfvm.link_programs([bpfvm.load(a), program_b])


def test_link_nothing() -> None:
    with pytest.raises(bpfvm.LinkError, match="nothing to link"):
        bpfvm.link_programs([])


def test_unresolved_reloc_survives_partial_link(objects: list[Path]) -> None:
    partial = bpfvm.load([objects[0], objects[3]])
    missing = {r.symbol for r in partial.relocs if not r.resolved}
    assert "table" in missing and "tuning" not in missing
    assert all(isinstance(r, Reloc) for r in partial.relocs)
