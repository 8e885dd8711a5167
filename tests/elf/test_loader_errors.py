"""Corrupt objects: uBPF's ELF tests (``tests/elf/*.data``) ported as one-field mutations of objects
compiled here, plus the loader's own checks.  Each mutation must raise ElfError naming the file and
what is wrong — never a raw pyelftools/struct/IndexError traceback.

The uBPF template (``sqrti.c``: ``entry`` returns ``sqrti(1764)``) runs to 42 unmutated.  Where
bpfvm deliberately differs from uBPF the test says so: ``EI_OSABI`` is not checked, and a
relocation naming a symbol with no intrinsic (``rel-sym-not-found``) loads and fails when bound.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bpfvm
from bpfvm.elf import DebugInfoWarning, ObjectFile, Section, load, read_object
from bpfvm.errors import ElfError, ProgramError

# ELF-64 layouts (System V gABI): header, section header, symbol and REL entry fields.
EI_CLASS, EI_DATA, EI_VERSION, EI_OSABI = 4, 5, 6, 7
E_TYPE, E_MACHINE, E_SHOFF, E_SHENTSIZE, E_SHNUM = 0x10, 0x12, 0x28, 0x3A, 0x3C
SH = {"name": (0, "I"), "type": (4, "I"), "offset": (0x18, "Q"), "size": (0x20, "Q"), "link": (0x28, "I"),
      "align": (0x30, "Q")}
ST = {"name": (0, "I"), "shndx": (6, "H"), "value": (8, "Q"), "size": (16, "Q")}
PAST_END = "extends past end of file"


@dataclass
class Elf:
    """A compiled object's bytes and its parsed layout, for writing one field at a time."""

    data: bytearray
    obj: ObjectFile

    def put(self, at: int, fmt: str, value: int) -> None:
        struct.pack_into("<" + fmt, self.data, at, value)

    def section(self, name: str) -> Section:
        found = self.obj.section_named(name)
        assert found is not None, name
        return found

    def _shdr_at(self, name: str, field: str) -> tuple[int, str]:
        shoff, = struct.unpack_from("<Q", self.data, E_SHOFF)
        at, fmt = SH[field]
        return shoff + self.section(name).index * 64 + at, fmt

    def shdr(self, name: str, field: str, value: int) -> None:
        self.put(*self._shdr_at(name, field), value)

    def shdr_value(self, name: str, field: str) -> int:
        at, fmt = self._shdr_at(name, field)
        return int(struct.unpack_from("<" + fmt, self.data, at)[0])

    def symbol_index(self, name: str) -> int:
        return next(i for i, s in enumerate(self.obj.symbols) if s.name == name and s.type != "STT_SECTION")

    def section_symbol(self, name: str) -> int:
        return next(i for i, s in enumerate(self.obj.symbols) if s.name == name and s.type == "STT_SECTION")

    def sym(self, name: str, field: str, value: int | Callable[[int], int]) -> None:
        at, fmt = ST[field]
        entry = self.section(".symtab").offset + self.symbol_index(name) * 24 + at
        old, = struct.unpack_from("<" + fmt, self.data, entry)
        self.put(entry, fmt, value(old) if callable(value) else value)

    def rel(self, section: str, nth: int, *, offset: int | None = None, type: int | None = None,
            symbol: int | None = None) -> None:
        entry = self.section(section).offset + nth * 16
        old_offset, info = struct.unpack_from("<QQ", self.data, entry)
        sym, typ = info >> 32, info & 0xFFFFFFFF
        info = ((sym if symbol is None else symbol) << 32) | (typ if type is None else type)
        struct.pack_into("<QQ", self.data, entry, old_offset if offset is None else offset, info)

    def text_byte(self, slot: int, at: int, value: int) -> None:
        self.data[self.section(".text").offset + slot * 8 + at] = value

    def call_imm(self, section: str, value: int) -> None:
        """Set the immediate of the first relocated call in ``section``."""
        rel = next(r for r in self.section(section).relocations if r.type == 10)
        self.put(self.section(section).offset + rel.offset + 4, "i", value)


@pytest.fixture
def elf(objects: dict[str, Path]) -> Callable[[str], Elf]:
    def make(fixture: str) -> Elf:
        data = objects[fixture].read_bytes()
        return Elf(bytearray(data), read_object(data))
    return make


# (id, fixture, mutation, message fragment).  The sqrti.o relocations: #0 R_BPF_64_64 on the lddw at
# slot 2 against .rodata.cst8, #1 R_BPF_64_32 on the call at slot 6 against the undefined sqrti.
MUTATIONS: list[tuple[str, str, Callable[[Elf], None], str]] = [
    # --- uBPF tests/elf/*.data
    ("bad-rel-offset", "sqrti.c", lambda e: e.rel(".rel.text", 1, offset=500), "offset outside the section"),
    ("bad-rel-strtab-index", "sqrti.c", lambda e: e.shdr(".symtab", "link", 30), "sqrti.o"),
    ("bad-rel-symbol-index", "sqrti.c", lambda e: e.rel(".rel.text", 1, symbol=100), "refers to symbol #100"),
    ("bad-rel-symbol-name", "sqrti.c", lambda e: e.sym("sqrti", "name", 0x7FFF_FFFF),
     "name offset 0x7fffffff is outside the string table"),
    ("bad-rel-symbol-table-section-index", "sqrti.c", lambda e: e.shdr(".rel.text", "link", 30),
     "sh_link 30 does not name the symbol table"),
    ("bad-rel-type", "sqrti.c", lambda e: e.rel(".rel.text", 1, type=3),
     "R_BPF_64_ABS32 against sqrti): a data relocation cannot patch an instruction"),
    ("bad-section-header-offset", "sqrti.c", lambda e: e.put(E_SHOFF, "Q", len(e.data) - 64),
     "section header table"),
    ("bad-section-header-size", "sqrti.c", lambda e: e.put(E_SHENTSIZE, "H", 1024), "sqrti.o"),
    ("bad-section-offset", "sqrti.c", lambda e: e.shdr(".text", "offset", len(e.data)), PAST_END),
    ("bad-section-size", "sqrti.c", lambda e: e.shdr(".text", "size", len(e.data)), PAST_END),
    ("ehdr-short", "sqrti.c", lambda e: e.data.__delitem__(slice(4, None)), "truncated ELF header"),
    ("too-many-sections", "sqrti.c", lambda e: e.put(E_SHNUM, "H", 1024), "section header table"),
    ("wrong-byte-order", "sqrti.c", lambda e: e.data.__setitem__(EI_DATA, 2), "not a little-endian object"),
    ("wrong-class", "sqrti.c", lambda e: e.data.__setitem__(EI_CLASS, 1), "not an ELF-64 object"),
    ("wrong-machine", "sqrti.c", lambda e: e.put(E_MACHINE, "H", 1), "not a BPF object (e_machine=1"),
    ("wrong-type", "sqrti.c", lambda e: e.put(E_TYPE, "H", 0), "not a relocatable object (e_type=0"),
    ("wrong-version", "sqrti.c", lambda e: e.data.__setitem__(EI_VERSION, 2), "unsupported ELF version"),
    # --- relocations in code
    ("unknown relocation type", "sqrti.c", lambda e: e.rel(".rel.text", 1, type=99),
     "section .text offset 0x30 (type 99 against sqrti): unknown relocation type 99"),
    ("rel offset not on a slot", "sqrti.c", lambda e: e.rel(".rel.text", 1, offset=0x31),
     "offset is not at the start of an instruction"),
    ("rel offset inside an lddw", "sqrti.c", lambda e: e.rel(".rel.text", 0, offset=0x18),
     "offset is not at the start of an instruction"),
    ("R_BPF_64_64 on a call", "sqrti.c", lambda e: e.rel(".rel.text", 1, type=1), "must patch an lddw"),
    ("R_BPF_64_32 on an lddw", "sqrti.c", lambda e: e.rel(".rel.text", 0, type=10), "must patch a call"),
    ("call to a data symbol", "sqrti.c", lambda e: e.rel(".rel.text", 1, symbol=e.symbol_index("squares")),
     "call target is not an instruction"),
    ("symbol in a section not loaded", "sqrti.c",
     lambda e: e.rel(".rel.text", 0, symbol=e.section_symbol(".debug_abbrev")),
     "symbol is in section .debug_abbrev, which is not loaded"),
    ("symbol past its section", "sqrti.c", lambda e: e.sym("squares", "value", 0x1000),
     "symbol squares: symbol value 0x1000 (size 0x8) is past the end of .rodata.cst8"),
    ("call past its section", "programs.c", lambda e: e.call_imm("xdp", 0x400),
     "call target 1025 is outside section .text"),
    # --- code and functions
    ("bad opcode", "sqrti.c", lambda e: e.text_byte(5, 0, 0xFF),
     "section .text insn #5: unknown opcode 0xff"),
    ("jump out of the section", "sqrti.c", lambda e: (e.text_byte(7, 0, 0x05), e.text_byte(7, 2, 100)),
     "section .text insn #7: jump out of range"),
    ("function start not on a slot", "sqrti.c", lambda e: e.sym("entry", "value", 4),
     "symbol entry: function start 0x4 is not a slot"),
    ("duplicate function names", "relocs.c",
     lambda e: e.sym("sub", "name", struct.unpack_from("<I", e.data, e.section(".symtab").offset
                                                       + e.symbol_index("mul") * 24)[0]),
     "symbol mul: two functions have this name"),
    # --- sections
    ("overlapping sections", "sqrti.c",
     lambda e: e.shdr(".rodata.cst8", "offset", e.section(".text").offset + 8), "overlaps .text"),
    ("section over the ELF header", "sqrti.c", lambda e: e.shdr(".text", "offset", 8),
     "overlaps the ELF header"),
    ("alignment not a power of two", "sqrti.c", lambda e: e.shdr(".rodata.cst8", "align", 3),
     "section .rodata.cst8: alignment 3 is not a power of two"),
    ("duplicate section names", "sqrti.c",
     lambda e: e.shdr(".rodata.cst8", "name", e.shdr_value(".text", "name")),
     "section .text: duplicate or reserved section name"),
    ("code size not whole slots", "sqrti.c", lambda e: e.shdr(".text", "size", 0x3C), "not a multiple of 8"),
    ("huge .bss", "relocs.c", lambda e: e.shdr(".bss", "size", 1 << 62), "section .bss: size 0x40000"),
    ("huge COMMON symbol", "common.c", lambda e: e.sym("hits", "size", 1 << 62), "section .bss.common: size"),
    # --- relocations in data
    ("data rel offset outside", "relocs.c", lambda e: e.rel(".rel.data", 0, offset=0x1000),
     "offset outside the section data"),
    ("instruction relocation in data", "relocs.c", lambda e: e.rel(".rel.data", 0, type=1),
     "an instruction relocation cannot patch data"),
    ("unknown relocation in data", "relocs.c", lambda e: e.rel(".rel.data", 0, type=42),
     "unknown relocation type 42 cannot patch data"),
]

#: References to undefined symbols load (the linker may resolve them) and fail when run alone.
UNRESOLVED = [
    ("lddw of an undefined symbol", "sqrti.c",
     lambda e: e.rel(".rel.text", 0, symbol=e.symbol_index("sqrti")), "sqrti"),
    ("undefined symbol in data", "relocs.c",
     lambda e: e.rel(".rel.data", 0, symbol=e.symbol_index("host_add")), "host_add"),
]


@pytest.mark.parametrize(("fixture", "mutate"),
                         [("sqrti.c", lambda e: e.shdr(".text", "type", 0)), ("nocode.c", lambda e: None)],
                         ids=["no-text-section", "no code"])
def test_object_without_code_loads_and_fails_to_run(elf: Callable[[str], Elf], fixture: str,
                                                    mutate: Callable[[Elf], None]) -> None:
    target = elf(fixture)
    mutate(target)
    prog = load(bytes(target.data), name="x.o")
    assert not prog.functions and not prog.insns
    with pytest.raises(ProgramError, match="x.o: no code: the object has no non-empty executable section"):
        bpfvm.VM(lazy_binding=True).run(prog)


@pytest.mark.parametrize(("fixture", "mutate", "symbol"), [m[1:] for m in UNRESOLVED],
                         ids=[m[0] for m in UNRESOLVED])
def test_undefined_reference_loads_and_fails_to_run(elf: Callable[[str], Elf], fixture: str,
                                                     mutate: Callable[[Elf], None], symbol: str) -> None:
    target = elf(fixture)
    mutate(target)
    prog = load(bytes(target.data), name="x.o")
    assert [r.symbol for r in prog.relocs if not r.resolved] == [symbol]
    vm = bpfvm.VM(lazy_binding=True)
    with pytest.raises(ProgramError, match=f"x.o: undefined symbol {symbol} "):
        vm.run(prog)


@pytest.mark.parametrize(("fixture", "mutate", "message"), [m[1:] for m in MUTATIONS],
                         ids=[m[0] for m in MUTATIONS])
def test_corrupt_object_raises_elf_error(elf: Callable[[str], Elf], fixture: str,
                                         mutate: Callable[[Elf], None], message: str) -> None:
    target = elf(fixture)
    mutate(target)
    name = fixture.replace(".c", ".o")
    with pytest.raises(ElfError) as info:
        load(bytes(target.data), name=name)
    assert message in str(info.value)
    assert str(info.value).startswith(f"{name}: ")


def test_ok_template_runs(objects: dict[str, Path]) -> None:
    vm = bpfvm.VM()
    vm.intrinsics["sqrti"] = lambda x: int(x ** 0.5)
    assert vm.run(load(objects["sqrti.c"]), 0) == 42


def test_wrong_osabi_is_accepted(elf: Callable[[str], Elf]) -> None:
    target = elf("sqrti.c")
    target.data[EI_OSABI] = 3  # ELFOSABI_LINUX: BPF has no OS ABI, so uBPF's check is not ported
    assert load(bytes(target.data)).externs == {6: "sqrti"}


def test_renamed_extern_loads_and_fails_when_bound(elf: Callable[[str], Elf]) -> None:
    target = elf("sqrti.c")
    target.sym("sqrti", "name", lambda old: old + 1)  # uBPF rel-sym-not-found: "qrti"
    prog = load(bytes(target.data))
    assert prog.externs == {6: "qrti"}
    vm = bpfvm.VM()
    vm.intrinsics["sqrti"] = lambda x: x
    with pytest.raises(ProgramError, match="qrti"):
        vm.run(prog, 0)


def test_abs32_and_nodyld32_are_the_same_in_data(elf: Callable[[str], Elf]) -> None:
    target = elf("relocs.c")
    before = load(bytes(target.data))
    target.rel(".rel.data.abs32", 0, type=3)  # R_BPF_64_NODYLD32 -> R_BPF_64_ABS32
    assert load(bytes(target.data)).relocs == before.relocs


def test_unreadable_debug_information_warns_and_loads(elf: Callable[[str], Elf]) -> None:
    target = elf("sqrti.c")
    target.shdr(".debug_abbrev", "size", 0)  # every DIE's abbreviation is now missing
    with pytest.warns(DebugInfoWarning, match="sqrti.o: cannot read .debug_line"):
        prog = load(bytes(target.data), name="sqrti.o")
    assert prog.lines == {} and prog.externs == {6: "sqrti"}


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ElfError, match="cannot read"):
        load(tmp_path / "missing.o")


@pytest.mark.filterwarnings("ignore::bpfvm.elf.DebugInfoWarning")
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(at=st.integers(min_value=0), value=st.integers(min_value=0, max_value=255))
def test_any_byte_mutation_loads_or_raises_elf_error(objects: dict[str, Path], at: int, value: int) -> None:
    data = bytearray(objects["sqrti.c"].read_bytes())
    data[at % len(data)] = value
    try:
        load(bytes(data))
    except ElfError:
        pass
