"""ELF reader tests: what a compiled object reads as, and corrupt objects made by one-field mutations
of a good one (pyelftools' and uBPF's corrupt-ELF style) that must each raise ElfError."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpfvm.elf import SHF_EXECINSTR, SHN_UNDEF, ObjectFile, read_object
from bpfvm.errors import ElfError

# ELF-64 header field offsets (System V gABI).
EI_CLASS, EI_DATA, E_MACHINE, E_SHOFF, E_SHENTSIZE, E_SHNUM, E_SHSTRNDX = 4, 5, 18, 0x28, 0x3A, 0x3C, 0x3E
SH_OFFSET, SH_SIZE = 0x18, 0x20


@pytest.fixture
def calls(objects: dict[str, Path]) -> ObjectFile:
    return read_object(objects["calls.c"])


def test_sections_and_symbols_are_indexed_like_the_file(calls: ObjectFile) -> None:
    assert [s.index for s in calls.sections] == list(range(len(calls.sections)))
    assert calls.sections[0].type == "SHT_NULL" and calls.symbols[0].name == ""
    text = calls.section_named(".text")
    assert text is not None and text.is_code and text.flags & SHF_EXECINSTR
    assert text.type == "SHT_PROGBITS" and len(text.data) == text.size > 0
    functions = {s.name: s for s in calls.symbols if s.type == "STT_FUNC"}
    assert set(functions) == {"sub", "mul", "apply", "direct"}
    assert all(s.section_index == text.index and s.value % 8 == 0 for s in functions.values())
    assert functions["apply"].bind == "STB_GLOBAL" and functions["sub"].bind == "STB_LOCAL"
    extern = next(s for s in calls.symbols if s.name == "host_add")
    assert extern.section_index == SHN_UNDEF


def test_relocations_are_attached_to_the_section_they_patch(calls: ObjectFile) -> None:
    text = calls.section_named(".text")
    assert text is not None
    by_name = {r.symbol_name: r for r in text.relocations}
    section_refs = [r for r in text.relocations if calls.symbols[r.symbol_index].type == "STT_SECTION"]
    assert section_refs, "the ops[] table is reached through a section symbol"
    for rel in section_refs:  # a section symbol is reported under its section's name
        assert rel.symbol_name in {s.name for s in calls.sections}
        assert rel.type_name == "R_BPF_64_64" and text.data[rel.offset] == 0x18
    for name in ("host_add", "mul"):
        assert by_name[name].type_name == "R_BPF_64_32" and text.data[by_name[name].offset] == 0x85
    assert all(r.addend is None for r in text.relocations)  # SHT_REL: addends live in the code
    assert all(calls.symbols[r.symbol_index].name == r.symbol_name for r in text.relocations
               if calls.symbols[r.symbol_index].type != "STT_SECTION")
    table = calls.section_named(section_refs[0].symbol_name)
    assert table is not None and len(table.relocations) == 2  # the function pointer table


def test_bss_has_no_file_data(objects: dict[str, Path]) -> None:
    obj = read_object(objects["globals.c"])
    bss = next(s for s in obj.sections if s.type == "SHT_NOBITS")
    assert bss.data == b"" and bss.size > 0


def test_bytes_and_path_read_the_same(objects: dict[str, Path]) -> None:
    path = objects["sections.c"]
    from_path, from_bytes = read_object(path), read_object(path.read_bytes(), name="x.o")
    assert from_path.path == str(path) and from_bytes.path == "x.o"
    assert from_path.sections == from_bytes.sections and from_path.symbols == from_bytes.symbols
    assert [s.name for s in from_path.sections if s.is_code] == [".text", "xdp", "socket",
                                                                 "tracepoint/syscalls/sys_enter_write"]


# ---------------------------------------------------------------- corrupt objects

def _u16(data: bytearray, at: int, value: int) -> None:
    data[at:at + 2] = struct.pack("<H", value)


def _u64(data: bytearray, at: int, value: int) -> None:
    data[at:at + 8] = struct.pack("<Q", value)


def _section_header(data: bytes, index: int) -> int:
    shoff, = struct.unpack_from("<Q", data, E_SHOFF)
    shentsize, = struct.unpack_from("<H", data, E_SHENTSIZE)
    return shoff + index * shentsize


def _text_index(data: bytes) -> int:
    section = read_object(data).section_named(".text")
    assert section is not None
    return section.index


def _rel_text_index(data: bytes) -> int:
    section = read_object(data).section_named(".rel.text")
    assert section is not None
    return section.index


def _bad_reloc_symbol(data: bytearray) -> None:
    header = _section_header(data, _rel_text_index(bytes(data)))
    rel_offset, = struct.unpack_from("<Q", data, header + SH_OFFSET)
    _u64(data, rel_offset + 8, (0xFFFF << 32) | 1)  # r_info: symbol 65535, R_BPF_64_64


# (name, mutation, message fragment)
MUTATIONS: list[tuple[str, Callable[[bytearray], None], str]] = [
    ("magic", lambda d: d.__setitem__(slice(0, 4), b"\x7fELG"), "not an ELF file"),
    ("e_machine x86-64", lambda d: _u16(d, E_MACHINE, 62), "not a BPF object (e_machine=62"),
    ("ei_class 32-bit", lambda d: d.__setitem__(EI_CLASS, 1), "not an ELF-64 object"),
    ("ei_data big-endian", lambda d: d.__setitem__(EI_DATA, 2), "not a little-endian object"),
    ("truncated header", lambda d: d.__delitem__(slice(40, None)), "truncated ELF header"),
    ("truncated by one byte", lambda d: d.__delitem__(slice(-1, None)), "extends past end of file"),
    ("truncated in half", lambda d: d.__delitem__(slice(len(d) // 2, None)), "extends past end of file"),
    ("section table past end", lambda d: _u64(d, E_SHOFF, len(d) + 64), "section header table"),
    ("section offset past end",
     lambda d: _u64(d, _section_header(d, _text_index(bytes(d))) + SH_OFFSET, len(d) + 8), "section #"),
    ("section size past end",
     lambda d: _u64(d, _section_header(d, _text_index(bytes(d))) + SH_SIZE, 1 << 40), "section #"),
    ("shstrndx out of range", lambda d: _u16(d, E_SHSTRNDX, 999), "globals.o: "),
    ("relocation symbol out of range", _bad_reloc_symbol, "refers to symbol #65535"),
    ("empty file", lambda d: d.clear(), "truncated ELF header (0 bytes)"),
]


@pytest.mark.parametrize(("mutate", "message"), [m[1:] for m in MUTATIONS], ids=[m[0] for m in MUTATIONS])
def test_corrupt_object_raises_elf_error(objects: dict[str, Path], mutate: Callable[[bytearray], None],
                                         message: str) -> None:
    data = bytearray(objects["globals.c"].read_bytes())
    mutate(data)
    with pytest.raises(ElfError) as info:
        read_object(bytes(data), name="globals.o")
    assert str(info.value).startswith("globals.o: ")
    assert message in str(info.value)


def test_unreadable_files_raise_elf_error(tmp_path: Path) -> None:
    with pytest.raises(ElfError, match=r"missing\.o: cannot read"):
        read_object(tmp_path / "missing.o")
    with pytest.raises(ElfError, match="cannot read"):
        read_object(tmp_path)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_random_corruption_raises_only_elf_error(objects: dict[str, Path], data: st.DataObject) -> None:
    """Overwrite a few bytes in the ELF header, section table or symbol/string tables: the reader
    either still reads the object or raises ElfError, never anything else."""
    blob = bytearray(objects["calls.c"].read_bytes())
    shoff = _section_header(blob, 0)
    region = data.draw(st.sampled_from([(0, 64), (shoff, len(blob)), (0, len(blob))]))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(region[0], region[1] - 1))
        blob[at] = data.draw(st.integers(0, 255))
    try:
        read_object(bytes(blob))
    except ElfError:
        pass
