"""ELF loader tests: the Program a compiled object loads as (code image, functions, relocations,
segments, symbols), and the same objects run end to end in a VM."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import bpfvm
from bpfvm.elf import CODE, COMMON_SEGMENT, load, read_object
from bpfvm.isa import decode
from bpfvm.program import Program, Reloc


@pytest.fixture(scope="module")
def relocs(objects: dict[str, Path]) -> Program:
    return load(objects["relocs.c"])


@pytest.fixture(scope="module")
def programs(objects: dict[str, Path]) -> Program:
    return load(objects["programs.c"])


def _code_relocs(prog: Program) -> dict[str, Reloc]:
    """The lddw relocations of ``prog`` by the function they are in (one per function here)."""
    return {prog.function_at(r.offset // 8).name: r for r in prog.relocs if r.site == CODE}


def _call_target(prog: Program, function: str, nth: int = 0) -> str:
    """The function the ``nth`` local call inside ``function`` goes to."""
    calls = [i for i in prog.function_insns(prog.functions[function]) if i.spec.op == "call_local"]
    target = calls[nth].target
    assert target is not None
    return prog.function_at(target).name


# ---------------------------------------------------------------- code image and functions

def test_code_sections_are_concatenated_in_index_order(objects: dict[str, Path], programs: Program) -> None:
    obj = read_object(objects["programs.c"])
    code = [s for s in obj.sections if s.is_code and s.size]
    assert list(programs.sections) == [s.name for s in code] == [".text", "raw", "xdp", "tc", "classifier"]
    base = 0
    for section in code:
        first = programs.functions[programs.sections[section.name][0]]
        assert first.start == base
        local = decode(section.data, jumps=False)
        image = [i for i in programs.insns if base <= i.pc < base + section.size // 8]
        assert [(i.opcode, i.dst, i.off) for i in image] == [(i.opcode, i.dst, i.off) for i in local]
        base += section.size // 8
    assert programs.insns[-1].pc + programs.insns[-1].width == base


def test_functions_come_from_symbols_and_unnamed_sections(programs: Program) -> None:
    assert programs.sections == {".text": ("shared", "classify"), "raw": ("raw",), "xdp": ("xdp_prog",),
                                 "tc": ("tc_prog",), "classifier": ("cls_prog",)}
    assert list(programs.functions) == ["shared", "classify", "raw", "xdp_prog", "tc_prog", "cls_prog"]
    raw = programs.functions["raw"]
    assert [i.spec.name for i in programs.function_insns(raw)] == ["mov64_imm", "exit"]


def test_static_functions_are_functions(relocs: Program) -> None:
    assert {"sub", "twice", "mul", "static_calls", "call_host"} <= set(relocs.functions)
    assert relocs.sections[".text"][0] == "mul"  # symbol order in the file is not slot order


@pytest.mark.parametrize(("fixture", "entry"), [
    ("main.c", "main"),        # main beats begin
    ("programs.c", "raw"),     # the first SEC() program, not a .text subprogram
    ("relocs.c", "mul"),       # no programs: the first function
])
def test_default_entry(objects: dict[str, Path], fixture: str, entry: str) -> None:
    assert load(objects[fixture]).entry == entry


# ---------------------------------------------------------------- relocations in code

def test_calls_to_static_functions_stay_local(relocs: Program) -> None:
    assert [_call_target(relocs, "static_calls", n) for n in (0, 1)] == ["twice", "sub"]


def test_calls_through_section_symbols_and_across_sections(programs: Program) -> None:
    assert _call_target(programs, "xdp_prog") == "classify"   # R_BPF_64_32 against .text + imm
    assert _call_target(programs, "tc_prog") == "shared"      # R_BPF_64_32 against a global
    assert _call_target(programs, "cls_prog") == "tc_prog"    # into another SEC() section


def test_extern_calls_become_externs(relocs: Program) -> None:
    (pc, name), = relocs.externs.items()
    assert name == "host_add" and relocs.function_at(pc).name == "call_host"
    call = relocs.insn_at(pc)
    assert (call.spec.name, call.src, call.imm) == ("call", 0, -1)


def test_lddw_relocations_name_segment_and_offset(relocs: Program) -> None:
    sym = relocs.symbols
    strings = next(s for s in relocs.segments if s.name == ".rodata.str1.1").data
    expected = {
        "apply": (".data", sym["ops"].offset),
        "read_ptr": (".data", sym["table_ptr"].offset),
        "bump": (".bss", sym["counter"].offset),
        "prime": (".rodata", sym["primes"].offset),
        "greet": (".data", sym["greeting"].offset),
        "letter": (".rodata.str1.1", strings.index(b"abcdefgh\0")),
        "read_abs32": (".data.abs32", sym["abs32_ref"].offset),
    }
    found = _code_relocs(relocs)
    assert {f: (r.target, r.addend) for f, r in found.items()} == expected
    for reloc in found.values():
        assert reloc.kind == "imm64" and relocs.insn_at(reloc.offset // 8).spec.kind == "lddw"


def test_lddw_of_function_addresses(bpf_cc: Callable[..., Path], tmp_path: Path) -> None:
    source = tmp_path / "fptr.c"
    source.write_text("static __attribute__((noinline)) long neg(long a) { return -a; }\n"
                      "typedef long (*fn_t)(long);\n"
                      "fn_t pick(void) { return neg; }\n")
    prog = load(bpf_cc(source, tmp_path / "fptr.o"))
    reloc, = prog.relocs
    assert (reloc.site, reloc.kind, reloc.target) == (CODE, "imm64", CODE)
    assert reloc.addend == prog.functions["neg"].start * 8


# ---------------------------------------------------------------- relocations in data

def test_function_pointer_table_relocates_to_code(relocs: Program) -> None:
    ops = relocs.symbols["ops"]
    table = sorted((r.offset, r.target, r.addend) for r in relocs.relocs
                   if r.site == ".data" and r.target == CODE)
    assert table == [(ops.offset, CODE, relocs.functions["sub"].start * 8),
                     (ops.offset + 8, CODE, relocs.functions["mul"].start * 8)]


def test_pointers_between_globals(relocs: Program) -> None:
    sym = relocs.symbols
    data = {(r.site, r.offset): r for r in relocs.relocs if r.site != CODE}
    table_ptr = data[(".data", sym["table_ptr"].offset)]
    assert (table_ptr.kind, table_ptr.target) == ("abs64", ".data")
    assert table_ptr.addend == sym["table"].offset + 16
    greeting = data[(".data", sym["greeting"].offset)]
    strings = next(s for s in relocs.segments if s.name == ".rodata.str1.1").data
    assert (greeting.target, greeting.addend) == (".rodata.str1.1", strings.index(b"hello\0"))
    abs32 = data[(".data.abs32", 0)]
    assert (abs32.kind, abs32.target, abs32.addend) == ("abs32", ".data", sym["table"].offset + 8)


# ---------------------------------------------------------------- segments and symbols

def test_segments_carry_contents_permissions_and_alignment(relocs: Program) -> None:
    segments = {s.name: s for s in relocs.segments}
    assert set(segments) == {".data", ".data.abs32", ".bss", ".rodata", ".rodata.str1.1"}
    assert {n for n, s in segments.items() if not s.writable} == {".rodata", ".rodata.str1.1"}
    table = relocs.symbols["table"]
    assert segments[".data"].data[table.offset:table.offset + 32] == b"".join(
        v.to_bytes(8, "little") for v in (10, 20, 30, 40))
    assert segments[".bss"].data == bytes(len(segments[".bss"].data)) and len(segments[".bss"].data) == 8
    primes = relocs.symbols["primes"]
    rodata = segments[".rodata"].data
    assert rodata[primes.offset:primes.offset + 16] == b"\x02" + bytes(7) + b"\x03" + bytes(7)
    assert segments[".data"].align == segments[".rodata"].align == 8 and segments[".rodata.str1.1"].align == 1


def test_license_version_and_map_sections_are_segments(programs: Program) -> None:
    segments = {s.name: s for s in programs.segments}
    assert set(segments) == {".bss", "maps", ".maps", "license", "version"}
    assert segments["license"].data == b"Dual MIT/GPL\0" and not segments["license"].writable
    assert segments["version"].data == (0x050A00).to_bytes(4, "little") and not segments["version"].writable
    assert segments["maps"].writable and segments[".maps"].writable
    assert programs.symbols["_license"].segment == "license"
    assert programs.symbols["legacy_map"].segment == "maps" and programs.symbols["btf_map"].segment == ".maps"


def test_common_symbols_get_a_synthetic_segment(objects: dict[str, Path]) -> None:
    prog = load(objects["common.c"])
    common, = prog.segments
    assert (common.name, common.writable, common.align) == (COMMON_SEGMENT, True, 8)
    hits, history = prog.symbols["hits"], prog.symbols["history"]
    assert hits.segment == history.segment == COMMON_SEGMENT
    assert (hits.size, history.size, history.offset % 8) == (4, 24, 0)
    assert hits.offset + 4 <= history.offset or history.offset + 24 <= hits.offset
    assert len(common.data) >= max(hits.offset + 4, history.offset + 24)
    assert {r.target for r in prog.relocs} == {COMMON_SEGMENT}


def test_symbols_name_objects_and_functions(relocs: Program) -> None:
    sym = relocs.symbols
    assert (sym["table"].segment, sym["table"].size) == (".data", 32)
    assert (sym["counter"].segment, sym["counter"].size) == (".bss", 8)
    assert (sym["primes"].segment, sym["primes"].size) == (".rodata", 64)
    assert (sym["abs32_ref"].segment, sym["abs32_ref"].size) == (".data.abs32", 4)
    for name in ("mul", "sub", "apply"):
        assert (sym[name].segment, sym[name].offset) == (CODE, relocs.functions[name].start * 8)
        assert sym[name].size == (relocs.functions[name].end - relocs.functions[name].start) * 8


def test_bytes_and_path_load_the_same(objects: dict[str, Path]) -> None:
    path = objects["relocs.c"]
    from_path, from_bytes = load(path), load(path.read_bytes(), name="relocs.o")
    assert from_path.name == str(path) and from_bytes.name == "relocs.o"
    assert from_path.insns == from_bytes.insns and from_path.relocs == from_bytes.relocs
    assert from_path.segments == from_bytes.segments and from_path.externs == from_bytes.externs


def test_package_root_load(objects: dict[str, Path]) -> None:
    assert bpfvm.load(objects["main.c"]).entry == "main"


# ---------------------------------------------------------------- end to end

@pytest.fixture
def vm() -> bpfvm.VM:
    machine = bpfvm.VM()
    machine.intrinsics["host_add"] = lambda a, b: a + b
    return machine


@pytest.mark.parametrize(("entry", "args", "result"), [
    ("mul", (6, 7), 42),
    ("static_calls", (5,), 14),          # twice(5) + sub(5, 1)
    ("apply", (0, 10, 3), 7),            # ops[0] = sub, through a data -> text relocation
    ("apply", (1, 10, 3), 30),           # ops[1] = mul
    ("read_ptr", (), 30),                # *table_ptr = table[2], data -> data
    ("read_abs32", (), 20),              # 32-bit pointer to table[1]
    ("prime", (4,), 11),                 # .rodata
    ("greet", (1,), ord("e")),           # .data -> .rodata.str1.1
    ("letter", (2,), ord("c")),          # lddw of .rodata.str1.1
    ("call_host", (3, 4), 14),           # extern bound to an intrinsic
])
def test_relocated_functions_run(vm: bpfvm.VM, relocs: Program, entry: str, args: tuple[int, ...],
                                 result: int) -> None:
    assert vm.run(relocs, *args, entry=entry) == result


def test_bss_persists_between_runs_of_one_vm(vm: bpfvm.VM, relocs: Program) -> None:
    assert [vm.run(relocs, 5, entry="bump") for _ in range(3)] == [5, 10, 15]
    fresh = bpfvm.VM()
    fresh.intrinsics["host_add"] = lambda a, b: a + b
    assert fresh.run(relocs, 1, entry="bump") == 1  # a new VM places a fresh copy


@pytest.mark.parametrize(("entry", "arg", "result"), [
    ("tc", 5, 105), ("tc_prog", 5, 105),              # by section name or function name
    ("classifier", 5, 210), ("cls_prog", 5, 210),     # a call into another section
    ("raw", 0, 7),                                    # the section without a symbol
])
def test_programs_chosen_by_section_or_function(vm: bpfvm.VM, programs: Program, entry: str, arg: int,
                                                result: int) -> None:
    assert vm.run(programs, arg, entry=entry) == result


def test_xdp_program_reads_its_context_and_counts(vm: bpfvm.VM, programs: Program) -> None:
    ctx = (100).to_bytes(4, "little") + (110).to_bytes(4, "little") + bytes(12)
    assert vm.run(programs, mem=ctx, entry="xdp") == 1  # data_end - data = 10 < 14
    assert vm.run(programs, 0, entry="tc") == 101      # shared(0) + packets


def test_common_symbols_run(vm: bpfvm.VM, objects: dict[str, Path]) -> None:
    prog = load(objects["common.c"])
    assert [vm.run(prog, v) for v in (1, 2, 3, 4)] == [2, 5, 9, 13]


def test_main_runs(vm: bpfvm.VM, objects: dict[str, Path]) -> None:
    assert vm.run(load(objects["main.c"]), 6, 6) == 42
