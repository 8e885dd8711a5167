"""``bpfvm link``: one ELF object out of several, compared with ``bpftool gen object`` (libbpf's
linker) on the same inputs: sections, symbols, disassembly, line info, BTF; run by bpfvm and
loaded by the kernel."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

import bpfvm
from bpfvm.btf import Btf
from bpfvm.btf.cdump import dump_c
from bpfvm.cc import compile_c
from bpfvm.elf.objlink import link_objects
from bpfvm.elf.reader import read_object
from bpfvm.errors import ElfError

FIXTURES = Path(__file__).parent / "fixtures"
#: libbpf's linker refuses .eh_frame (relocations against section symbols in a data section).
NO_UNWIND = ["-fno-asynchronous-unwind-tables", "-fno-unwind-tables"]


@pytest.fixture(scope="module")
def halves(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("link")
    return [compile_c(FIXTURES / f"{n}.c", output=out / f"{n}.o", kernel=True, flags=NO_UNWIND)
            for n in ("link_a", "link_b")]


@pytest.fixture(scope="module")
def linked(halves: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("linked") / "out.o"
    result = subprocess.run([sys.executable, "-m", "bpfvm", "link", *map(str, halves), "-o", str(out)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def reference(halves: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    tool = shutil.which("bpftool") or "/usr/sbin/bpftool"
    if not Path(tool).exists():
        pytest.skip("bpftool is not installed")
    out = tmp_path_factory.mktemp("reference") / "ref.o"
    subprocess.run([tool, "gen", "object", str(out), *map(str, halves)], check=True, capture_output=True)
    return out


def _sections(path: Path) -> set[str]:
    skip = (".rel", ".symtab", ".strtab", ".shstrtab")
    return {s.name for s in read_object(path).sections if s.name and not s.name.startswith(skip)}


def _symbols(path: Path) -> list[tuple[str, int, int, str, str, str]]:
    """The symbol table in order, with section names for indices (the linkers number sections
    differently): what ``llvm-readelf -s`` lists."""
    obj = read_object(path)
    return [(s.name, s.value, s.size, s.type, s.bind,
             obj.sections[s.section_index].name if s.section_index < len(obj.sections) else
             f"{s.section_index:#x}") for s in obj.symbols]


def _readelf_symbols(path: Path) -> list[str]:
    """``llvm-readelf -s`` rows with the section index column replaced by the section's name."""
    obj = read_object(path)
    out = subprocess.run(["llvm-readelf-19", "-s", str(path)], capture_output=True, text=True,
                         check=True).stdout
    rows = []
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 7 and fields[0].endswith(":"):
            if fields[6].isdigit():
                fields[6] = obj.sections[int(fields[6])].name
            rows.append(" ".join(fields))
    return rows


def _by_section(listing: str) -> dict[str, str]:
    """llvm-objdump output split per section (the linkers order sections differently)."""
    parts = re.split(r"\nDisassembly of section (.*):\n", listing)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_same_sections_and_symbols_as_bpftool(linked: Path, reference: Path) -> None:
    assert _sections(linked) == _sections(reference)
    assert _symbols(linked) == _symbols(reference)
    kinds = [s[3] for s in _symbols(linked)]
    assert kinds.count("STT_FILE") == 2 and kinds.count("STT_SECTION") == 2  # libbpf keeps these


def test_same_symbol_table_as_bpftool_in_readelf(linked: Path, reference: Path) -> None:
    if shutil.which("llvm-readelf-19") is None:
        pytest.skip("llvm-readelf-19 is not installed")
    assert _readelf_symbols(linked) == _readelf_symbols(reference)


def test_static_functions_of_one_name_keep_it(tmp_path: Path) -> None:
    """Two files' static functions of the same name keep it in the linked object, as in
    bpftool's; bpfvm's loader tells them apart by the STT_FILE symbol before each."""
    project = Path(__file__).parents[1] / "linker" / "project"
    objects = [compile_c(src, output=tmp_path / f"{src.stem}.o") for src in sorted(project.glob("*.c"))]
    out = tmp_path / "all.o"
    out.write_bytes(link_objects([str(p) for p in objects]))
    statics = [s.name for s in read_object(out).symbols if s.bind == "STB_LOCAL" and s.type == "STT_FUNC"]
    assert len(statics) > len(set(statics))  # the same name twice, no .N suffixes
    assert not any("." in name for name in statics)
    names = set(bpfvm.load(out).functions)
    twice = {n for n in statics if statics.count(n) > 1}
    assert all(any(f.endswith(f".c:{n}") for f in names) and n in names for n in twice)


def test_same_code_relocations_and_lines(linked: Path, reference: Path, objdump: Callable[..., str]) -> None:
    for flags in (("-d", "-r"), ("-S",)):
        ours = _by_section(objdump(*flags, str(linked)).replace(str(linked), "OUT"))
        theirs = _by_section(objdump(*flags, str(reference)).replace(str(reference), "OUT"))
        assert ours == theirs, flags


def test_equivalent_btf(linked: Path, reference: Path) -> None:
    ours, theirs = Btf.from_elf(linked), Btf.from_elf(reference)
    assert dump_c(ours) == dump_c(theirs)
    assert sorted((t.kind, t.name) for t in ours) == sorted((t.kind, t.name) for t in theirs)
    data = {v.name: (v.offset, v.size) for v in ours.datasec(".data")}
    assert data == {v.name: (v.offset, v.size) for v in theirs.datasec(".data")}
    assert ours.ext is not None and theirs.ext is not None
    assert ours.ext.line_info.keys() == theirs.ext.line_info.keys()
    for sec in ours.ext.line_info:
        assert [(li.insn_off, li.line) for li in ours.ext.line_info[sec]] == \
            [(li.insn_off, li.line) for li in theirs.ext.line_info[sec]]


def test_linked_object_runs_like_the_in_memory_link(linked: Path, halves: list[Path]) -> None:
    expected = bpfvm.VM().run(bpfvm.load([str(p) for p in halves]), 0)
    assert bpfvm.VM().run(bpfvm.load(linked), 0) == expected == (10 + 3) * 7 + 5 + 20 + 5


def test_kernel_loads_the_linked_object(linked: Path) -> None:
    tool = shutil.which("bpftool") or "/usr/sbin/bpftool"
    if not Path(tool).exists() or not Path("/sys/fs/bpf").is_dir():
        pytest.skip("bpftool or bpffs is not available")
    pin = Path("/sys/fs/bpf") / f"bpfvm_link_{uuid.uuid4().hex[:8]}"
    result = subprocess.run([tool, "prog", "load", str(linked), str(pin)], capture_output=True, text=True,
                            timeout=120)
    if "Operation not permitted" in result.stderr:
        pytest.skip("bpf() is not permitted here")
    try:
        assert result.returncode == 0, result.stderr
        xlated = subprocess.run([tool, "prog", "dump", "xlated", "pinned", str(pin)], capture_output=True,
                                text=True, check=True).stdout
        assert "return scale(shared.left + local_table[2])" in xlated  # line info survived
    finally:
        pin.unlink(missing_ok=True)


def test_two_definitions_are_an_error(halves: list[Path]) -> None:
    with pytest.raises(ElfError, match="symbol 'entry' is defined in more than one object"):
        link_objects([str(halves[0]), str(halves[0])])


def test_ordinary_c_project_links_and_runs_the_same(tmp_path: Path) -> None:
    """bpfvm's libc programs (externs bound to intrinsics, weak symbols, static functions of the
    same name in two files) run from the linked object exactly as from the separate objects."""
    project = Path(__file__).parents[1] / "linker" / "project"
    objects = [compile_c(src, output=tmp_path / f"{src.stem}.o") for src in sorted(project.glob("*.c"))]
    out = tmp_path / "all.o"
    out.write_bytes(link_objects([str(p) for p in objects]))

    def run(*paths: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bpfvm", "run", *map(str, paths)], capture_output=True,
                              text=True, timeout=300, check=False)
    separate, linked = run(*objects), run(out)
    assert linked.stdout == separate.stdout and linked.returncode == separate.returncode
    assert "twice here=21 there=20" in linked.stdout
