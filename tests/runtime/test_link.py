"""Linking a position-independent Program into a VM: segments, relocations, externs, globals."""

from __future__ import annotations

import pytest

from bpfvm import VM, ProgramError, TrapKind, VmTrap
from bpfvm.isa import make
from bpfvm.program import GlobalSymbol, Program, Reloc, Segment


def program() -> Program:
    """r1 = &counter; r0 = *r1 + twice(r0 = *(&table[1]))… built by hand, as the loader would."""
    insns = [
        make("lddw", dst=6, imm=0, pc=0),                 # r6 = &.data + 0   (reloc)
        make("ldxdw", dst=1, src=6, off=0, pc=2),         # r1 = counter
        make("call", imm=-1, pc=3),                       # r0 = twice(r1)   (extern)
        make("lddw", dst=2, imm=8, pc=4),                 # r2 = &.rodata + 8 (reloc, implicit addend)
        make("ldxb", dst=3, src=2, off=0, pc=6),          # r3 = rodata[8]
        make("add64_reg", dst=0, src=3, pc=7),
        make("lddw", dst=4, imm=0, pc=8),                 # r4 = &ptr (.data + 8)
        make("ldxdw", dst=4, src=4, off=0, pc=10),        # r4 = ptr (data→data reloc: &.rodata + 9)
        make("ldxb", dst=5, src=4, off=0, pc=11),
        make("add64_reg", dst=0, src=5, pc=12),
        make("stxdw", dst=6, src=0, off=0, pc=13),        # counter = r0
        make("exit", pc=14),
    ]
    return Program.from_insns(
        insns, name="hand", names={0: "main"},
        segments=(Segment(".data", bytes(16), True, 8), Segment(".rodata", bytes(range(16)), False, 8)),
        relocs=(Reloc("code", 0, "imm64", ".data", 0), Reloc("code", 32, "imm64", ".rodata", 8),
                Reloc("code", 64, "imm64", ".data", 8), Reloc(".data", 8, "abs64", ".rodata", 9)),
        externs={3: "twice"},
        symbols={"counter": GlobalSymbol("counter", ".data", 0, 8),
                 "table": GlobalSymbol("table", ".rodata", 0, 16)},
    )


def test_segments_relocations_and_externs() -> None:
    vm = VM()
    vm.intrinsics.twice = lambda x: 2 * x
    prog = program()
    g = vm.globals(prog)
    g["counter"] = 10
    assert vm.run(prog) == 20 + 8 + 9
    assert g["counter"] == 37
    assert g["table"] == bytes(range(16))
    assert vm.run(prog) == 74 + 17  # .data persists between runs of one VM
    rodata = vm.address_of(prog, "table")
    with pytest.raises(VmTrap) as info:
        vm.memory.write(rodata, b"x")
    assert info.value.kind is TrapKind.READ_ONLY


def test_each_vm_links_its_own_copy() -> None:
    prog = program()
    a, b = VM(), VM()
    for vm in (a, b):
        vm.intrinsics.twice = lambda x: 2 * x
    a.globals(prog)["counter"] = 1
    assert a.run(prog) == 2 + 17
    assert b.run(prog) == 17


def test_unbound_extern_is_reported_by_name() -> None:
    with pytest.raises(ProgramError, match="twice"):
        VM().run(program())
