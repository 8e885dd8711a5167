"""Disassembler tests, diffed against the real tool: every spec of the opcode table, and every C /
assembly fixture, must list byte-identically to ``llvm-objdump-19 -d`` and ``-d -r``, both plain
and with ``--mcpu=v4`` (alu32 register names).

Where llvm-objdump-19 is lossy or prints ``<unknown>``, the default (``exact=False``) text is a
lossless form instead; :func:`deviation` names those cases (see also the :mod:`bpfvm.asm.disasm`
module doc), and the test checks that they are the only differences and that each occurs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bpfvm.asm import assemble, disassemble, disassemble_object, format_insn
from bpfvm.asm.disasm import raw_listing
from bpfvm.errors import DecodeError
from bpfvm.isa import SPECS, Insn, OpSpec, decode, encode, make
from bpfvm.isa.opcodes import LDDW_PSEUDO

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_NAMES = sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".c", ".s"))
Objdump = Callable[..., str]
MODES = [pytest.param((), False, id="plain"), pytest.param(("--mcpu=v4",), True, id="mcpu-v4")]


# ---------------------------------------------------------------- text of single instructions

# (instruction, plain llvm-objdump text, --mcpu=v4 text); checked without llvm, and by the
# spec-coverage test below against llvm itself.
EXAMPLES = [
    (make("mov32_imm", dst=0, imm=1), "w0 = 0x1", "w0 = 0x1"),
    (make("add64_reg", dst=1, src=2), "r1 += r2", "r1 += r2"),
    (make("ldxw", dst=0, src=1, off=4), "r0 = *(u32 *)(r1 + 0x4)", "w0 = *(u32 *)(r1 + 0x4)"),
    (make("stxdw", dst=10, src=1, off=-8), "*(u64 *)(r10 - 0x8) = r1", "*(u64 *)(r10 - 0x8) = r1"),
    (make("jgt64_imm", dst=1, imm=5, off=3), "if r1 > 0x5 goto +0x3", "if r1 > 0x5 goto +0x3"),
    (make("call", imm=1), "call 0x1", "call 0x1"),
    (make("exit"), "exit", "exit"),
    (make("lddw", imm=0x55667788, imm_hi=0x11223344), "r0 = 0x1122334455667788 ll",
     "r0 = 0x1122334455667788 ll"),
    (make("atomic64_add", dst=10, src=1, off=-8), "lock *(u64 *)(r10 - 0x8) += r1",
     "lock *(u64 *)(r10 - 0x8) += r1"),
    (make("atomic64_fetch_add", dst=10, src=0, off=-8), "r0 = atomic_fetch_add((u64 *)(r10 - 0x8), r0)",
     "r0 = atomic_fetch_add((u64 *)(r10 - 0x8), r0)"),
    (make("be16", dst=1), "r1 = be16 r1", "r1 = be16 r1"),
    (make("bswap16", dst=1), "r1 = bswap16 r1", "r1 = bswap16 r1"),
    (make("sdiv64_reg", dst=0, src=1), "r0 s/= r1", "r0 s/= r1"),
    (make("movsx864", dst=0, src=1), "r0 = (s8)r1", "r0 = (s8)r1"),
    (make("gotol", imm=-3), "gotol -0x3", "gotol -0x3"),
    (make("callx", dst=1), "callx r1", "callx r1"),
    (make("may_goto", off=2), "may_goto +0x2", "may_goto +0x2"),
    (make("ldabsb", imm=0x10), "r0 = *(u8 *)skb[0x10]", "r0 = *(u8 *)skb[0x10]"),
    (make("stxw", dst=1, src=2), "*(u32 *)(r1 + 0x0) = r2", "*(u32 *)(r1 + 0x0) = w2"),
    (make("mov64_imm", dst=1, imm=-5), "r1 = -0x5", "r1 = -0x5"),
]


@pytest.mark.parametrize(("insn", "plain", "alu32"), EXAMPLES, ids=[e[1] for e in EXAMPLES])
def test_instruction_text(insn: Insn, plain: str, alu32: str) -> None:
    assert format_insn(insn) == plain
    assert format_insn(insn, alu32=True) == alu32
    assert assemble(plain) == assemble(alu32) == encode([insn])


def test_disassemble_stream_and_insn_sequences() -> None:
    code = assemble("mov %r0, 1\nja +2\nlddw %r1, 5\nexit")
    text = "r0 = 0x1\ngoto +0x2\nr1 = 0x5 ll\nexit"
    assert disassemble(code) == text
    assert disassemble(decode(code)) == text
    assert disassemble(b"") == ""


def test_disassemble_reports_undecodable_slot_with_pc_base() -> None:
    code = assemble("exit") + b"\xff" + bytes(7)
    with pytest.raises(DecodeError, match=r"insn #11\)"):
        disassemble(code, pc_base=10)


def test_jump_annotation_uses_last_symbol_at_or_before_target() -> None:
    symbols = [(0, "f"), (0x10, "LBB0_1"), (0x20, "g")]
    assert format_insn(make("ja", off=1, pc=0), symbols=symbols) == "goto +0x1 <LBB0_1>"
    assert format_insn(make("ja", off=2, pc=0), symbols=symbols) == "goto +0x2 <LBB0_1+0x8>"
    assert format_insn(make("gotol", imm=-4, pc=4), symbols=symbols) == "gotol -0x4 <f+0x8>"
    assert format_insn(make("exit"), symbols=symbols) == "exit"


# ---------------------------------------------------------------- every spec against llvm-objdump-19

def variants(spec: OpSpec) -> Iterator[Insn]:
    """A few instances of ``spec`` with positive, negative and extreme field values."""
    regs = [(1, 2), (0, 10), (9, 0)] if spec.writes_dst else [(1, 2), (10, 10), (9, 0)]
    offs, imms = [-8, 0x7FFF, -0x8000], [5, -1, -0x80000000]
    for (dst, src), off, imm in zip(regs, offs, imms):
        dst = dst if "dst" in spec.uses else 0
        src = src if "src" in spec.uses else 0
        if spec.kind == "atomic" and spec.fetch and src == 10:
            src = 3  # a fetching atomic writes its source register
        fields = {"dst": dst, "src": src, "off": off if "off" in spec.uses else 0,
                  "imm": imm if "imm" in spec.uses else 0}
        yield from _special(spec, fields)


def _special(spec: OpSpec, fields: dict[str, int]) -> Iterator[Insn]:
    if spec.kind == "lddw":
        for src in LDDW_PSEUDO:
            yield make("lddw", dst=fields["dst"], src=src, imm=fields["imm"] or 7, imm_hi=src * 0x1111 - 1)
        yield make("lddw", dst=fields["dst"], imm=fields["imm"], imm_hi=0)
    elif spec.kind == "callx":
        yield make("callx", dst=fields["dst"])
        yield make("callx", imm=max(1, fields["dst"]))
    elif spec.kind in ("ldind", "ldabs"):
        yield make(spec.name, src=fields["src"], imm=fields["imm"])
        yield make(spec.name, src=fields["src"])
    else:
        yield make(spec.name, **fields)


def all_spec_instructions() -> list[Insn]:
    insns = [insn for spec in SPECS for insn in variants(spec)]
    assert {insn.spec.name for insn in insns} == {spec.name for spec in SPECS}  # all 166 specs
    return insns


@pytest.fixture(scope="module")
def spec_object(tmp_path_factory: pytest.TempPathFactory, bpf_cc: Callable[[Path, Path], Path]) -> Path:
    """An object whose .text holds every instruction of :func:`all_spec_instructions`."""
    out = tmp_path_factory.mktemp("specs")
    code = encode(all_spec_instructions())
    lines = [".text"] + [".byte " + ",".join(map(str, code[i:i + 8])) for i in range(0, len(code), 8)]
    (out / "specs.s").write_text("\n".join(lines) + "\n")
    return bpf_cc(out / "specs.s", out / "specs.o")


@pytest.mark.parametrize(("flags", "alu32"), MODES)
def test_every_spec_lists_exactly_like_llvm(spec_object: Path, objdump: Objdump, flags: tuple[str, ...],
                                            alu32: bool) -> None:
    expected = objdump("-d", *flags, spec_object.name, cwd=spec_object.parent)
    assert disassemble_object(spec_object, alu32=alu32, name=spec_object.name) == expected


def deviation(insn: Insn, alu32: bool) -> str | None:
    """Why bpfvm's lossless text for ``insn`` differs from llvm-objdump-19's, or None if it must not."""
    spec = insn.spec
    if spec.op == "call_local":
        return "local call: llvm prints the same as a helper call"
    if spec.op == "call_kfunc":
        return "kfunc call: llvm prints the same as a helper call"
    if spec.kind == "callx" and insn.imm:
        return "callx with the register in imm: llvm reads dst"
    if spec.kind == "ldind" and insn.imm:
        return "ldind: llvm omits the immediate"
    if spec.kind == "lddw" and insn.src and insn.imm_hi:
        return "ld_pseudo: llvm prints the low 32 bits only"
    if spec.kind == "atomic" and spec.size == 4 and not alu32 and (spec.op != "add" or spec.fetch):
        return "32-bit atomic without alu32: llvm prints <unknown> or drops the fetch flag"
    return None


@pytest.mark.parametrize(("flags", "alu32"), MODES)
def test_lossless_text_differs_from_llvm_only_where_documented(spec_object: Path, objdump: Objdump,
                                                              flags: tuple[str, ...], alu32: bool) -> None:
    llvm_lines = re.findall(r"^ +\d+:\t[0-9a-f ]+\t(.*?)(?: <[^<>]*>)?$", objdump("-d", *flags, spec_object),
                            re.M)
    insns = all_spec_instructions()
    assert len(llvm_lines) == len(insns)
    seen = set()
    for insn, llvm_text in zip(insns, llvm_lines):
        ours, reason = format_insn(insn, alu32=alu32), deviation(insn, alu32)
        assert (ours != llvm_text) == (reason is not None), (insn, ours, llvm_text)
        seen.add(reason)
        assert assemble(ours) == encode([insn])
    expected_reasons = {deviation(i, alu32) for i in insns}
    assert seen == expected_reasons and len(seen - {None}) == (5 if alu32 else 6)


def test_raw_listing_matches_llvm_lines(spec_object: Path, objdump: Objdump) -> None:
    """``bpfvm disasm --raw`` lines are llvm's instruction lines without symbol annotations."""
    lines = [re.sub(r" <[^<>]*>$", "", line) for line in objdump("-d", spec_object).splitlines()
             if re.match(r" +\d+:", line)]
    assert raw_listing(encode(all_spec_instructions())) == "\n".join(lines) + "\n"


# ---------------------------------------------------------------- whole fixture objects

@pytest.mark.parametrize("relocs", [False, True], ids=["-d", "-d-r"])
@pytest.mark.parametrize(("flags", "alu32"), MODES)
@pytest.mark.parametrize("fixture", FIXTURE_NAMES)
def test_fixture_listing_is_identical_to_llvm(objects: dict[str, Path], objdump: Objdump, fixture: str,
                                              relocs: bool, flags: tuple[str, ...], alu32: bool) -> None:
    obj = objects[fixture]
    args = ("-d", "-r") if relocs else ("-d",)
    expected = objdump(*args, *flags, obj.name, cwd=obj.parent)
    assert disassemble_object(obj, relocs=relocs, alu32=alu32, name=obj.name) == expected


def test_listing_from_bytes_names_the_object(objects: dict[str, Path]) -> None:
    data = objects["calls.c"].read_bytes()
    listing = disassemble_object(data)
    assert listing.startswith("\n<bytes>:\tfile format elf64-bpf\n\nDisassembly of section .text:\n")
    assert re.search(r"\n\t\t[0-9a-f]{16}:  R_BPF_64_32\thost_add\n", disassemble_object(data, relocs=True))
    assert "call pc+0x" in disassemble_object(data, exact=False)  # the static call of sub()
