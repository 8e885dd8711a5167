"""The opcode table and the decoder's validation (RFC 9669 §3, §4, §5; kernel check_subprogs).

Raw instruction streams are built with :mod:`struct` so that the decoder is tested against the
encoding itself, not against :func:`bpfvm.isa.encode`.
"""

from __future__ import annotations

import struct
from collections import Counter

import pytest

from bpfvm import DecodeError
from bpfvm.isa import SPECS, SPECS_BY_NAME, SPECS_BY_OPCODE, Insn, OpSpec, decode, encode, make, spec_of
from bpfvm.isa.opcodes import ATOMIC_OPS, LDDW_PSEUDO, OpClass

FIELDS = ("dst", "src", "off", "imm")
EXIT = struct.pack("<BBhi", 0x95, 0, 0, 0)
MOV_R0_0 = struct.pack("<BBhi", 0xB7, 0, 0, 0)


def slot(opcode: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> bytes:
    """One raw 8-byte instruction slot."""
    return struct.pack("<BBhi", opcode, (src << 4) | dst, off, imm)


def legal_fields(spec: OpSpec) -> dict[str, int]:
    """Field values that make a valid instruction of ``spec`` whose jumps land on the next slot."""
    fields = {"dst": 0, "src": 0, "off": 0, "imm": 0}
    if "dst" in spec.uses:
        fields["dst"] = 3
    if "src" in spec.uses:
        fields["src"] = 0 if spec.kind == "lddw" else 5
    if "off" in spec.uses and spec.kind not in ("ja", "jcond", "may_goto"):
        fields["off"] = -24
    if "imm" in spec.uses and spec.kind not in ("gotol", "callx") and spec.op != "call_local":
        fields["imm"] = -7
    if spec.discr is not None:
        fields[spec.discr[0]] = spec.discr[1]
    return fields


def raw(spec: OpSpec, **override: int) -> bytes:
    """``spec`` encoded by hand with legal fields (then ``override``), plus the lddw second slot."""
    fields = legal_fields(spec) | override
    code = slot(spec.opcode, **fields)
    if spec.kind == "lddw":
        code += slot(0, imm=0x1234)
    return code


def in_program(code: bytes) -> bytes:
    """Place ``code`` at slot 2 (after a two-slot lddw) and follow it with exit."""
    lddw = slot(0x18, dst=1, imm=1) + slot(0, imm=2)
    return lddw + code + EXIT


def decode_error(code: bytes) -> DecodeError:
    with pytest.raises(DecodeError) as info:
        decode(code)
    return info.value


SPEC_IDS = [spec.name for spec in SPECS]

# -- table sanity ------------------------------------------------------------------------------


def test_names_are_unique() -> None:
    assert len(SPECS_BY_NAME) == len(SPECS)
    assert sorted(SPECS_BY_NAME) == sorted(SPEC_IDS)


def test_no_two_specs_collide() -> None:
    keys = Counter((spec.opcode, spec.discr) for spec in SPECS)
    assert [key for key, count in keys.items() if count > 1] == []


def test_specs_sharing_an_opcode_are_told_apart_by_one_field() -> None:
    for opcode, specs in SPECS_BY_OPCODE.items():
        if len(specs) == 1:
            continue
        discr_fields = {spec.discr[0] if spec.discr else None for spec in specs}
        assert len(discr_fields) == 1 and None not in discr_fields, hex(opcode)
        values = [spec.discr[1] for spec in specs if spec.discr]
        assert len(values) == len(set(values)), hex(opcode)


def test_by_opcode_index_covers_the_table() -> None:
    flat = [spec for specs in SPECS_BY_OPCODE.values() for spec in specs]
    assert sorted(s.name for s in flat) == sorted(SPEC_IDS)
    for opcode, specs in SPECS_BY_OPCODE.items():
        assert all(spec.opcode == opcode for spec in specs)


def test_class_bits() -> None:
    for spec in SPECS:
        assert spec.cls == OpClass(spec.opcode & 7)
    assert {s.cls for s in SPECS if s.kind == "alu" and s.bits == 32} == {OpClass.ALU}
    assert {s.cls for s in SPECS if s.kind == "alu" and s.bits == 64} == {OpClass.ALU64}
    assert {s.cls for s in SPECS if s.kind == "jcond" and s.bits == 32} == {OpClass.JMP32}
    assert {s.cls for s in SPECS if s.kind == "jcond" and s.bits == 64} == {OpClass.JMP}
    assert {s.cls for s in SPECS if s.kind in ("ldx",)} == {OpClass.LDX}
    assert {s.cls for s in SPECS if s.kind in ("stx", "atomic")} == {OpClass.STX}


def test_source_bit_matches_operand() -> None:
    for spec in SPECS:
        if spec.kind in ("alu", "jcond"):
            assert bool(spec.opcode & 0x08) == (spec.source == "reg"), spec.name
            assert ("imm" in spec.uses) == (spec.source == "imm") or spec.op == "neg", spec.name
            assert ("src" in spec.uses) == (spec.source == "reg"), spec.name


def test_memory_size_codes() -> None:
    size_of = {0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8}
    for spec in SPECS:
        if spec.kind in ("ldx", "st", "stx", "atomic", "ldabs", "ldind", "lddw"):
            assert spec.size == size_of[spec.opcode & 0x18], spec.name


def test_writes_dst_marks_exactly_the_register_writers() -> None:
    writers = {s.name for s in SPECS if s.writes_dst}
    expected = {s.name for s in SPECS if s.kind in ("alu", "end", "ldx", "lddw")}
    assert writers == expected


@pytest.mark.parametrize("name", SPEC_IDS)
def test_every_spec_round_trips(name: str) -> None:
    spec = SPECS_BY_NAME[name]
    fields = legal_fields(spec)
    insn = make(name, **fields, imm_hi=-5 if spec.kind == "lddw" else 0)
    code = encode([insn, make("exit", pc=insn.width)])
    assert code[:8] == raw(spec)[:8]
    decoded = decode(code)
    assert decoded[0].spec is spec
    assert decoded[0] == insn
    assert decoded[1].pc == insn.width
    assert spec_of(spec.opcode, fields["src"], fields["off"], fields["imm"]) is spec
    assert encode(decoded) == code


@pytest.mark.parametrize("name", SPEC_IDS)
def test_make_fills_in_the_discriminator(name: str) -> None:
    spec = SPECS_BY_NAME[name]
    insn = make(name)
    assert insn.opcode == spec.opcode
    if spec.discr is not None:
        assert getattr(insn, spec.discr[0]) == spec.discr[1]
    assert insn.spec is spec


def _group(spec: OpSpec) -> str:
    """The RFC 9669 conformance group of a spec ("ext" for the non-RFC extensions).

    base64 holds the 64-bit forms: the ALU64 class, the JMP class comparisons, DW-sized memory
    access, lddw and the 64-bit byte swaps.  Multiplication, division and modulo are divmul*.
    """
    if spec.kind in ("callx", "may_goto"):
        return "ext"
    if spec.kind in ("ldabs", "ldind"):
        return "packet"
    if spec.kind == "atomic":
        return f"atomic{spec.bits}"
    if spec.kind == "alu" and spec.op in ("mul", "div", "sdiv", "mod", "smod"):
        return f"divmul{spec.bits}"
    if spec.kind in ("alu", "jcond", "end"):  # bits: 32/64 for alu and jcond, 16/32/64 for end
        return "base64" if spec.bits == 64 else "base32"
    if spec.kind in ("ldx", "st", "stx", "lddw"):
        return "base64" if spec.size == 8 else "base32"
    return "base32"  # ja, gotol, call (helper, local, kfunc), exit


def test_conformance_group_counts() -> None:
    counts = Counter(_group(spec) for spec in SPECS)
    assert counts == {
        # 9 ops x K/X + neg + movsx8/16 + le16/32, be16/32, bswap16/32; 11 jmp32 ops x K/X;
        # ja, gotol, call, call local, call kfunc, exit; ldx/st/stx of b, h, w; ldxs b, h, w.
        "base32": 18 + 1 + 2 + 6 + 22 + 6 + 9 + 3,
        # 9 ops x K/X + neg + movsx8/16/32 + le64, be64, bswap64; 11 jmp ops x K/X; lddw;
        # ldxdw, stdw, stxdw.
        "base64": 18 + 1 + 3 + 3 + 22 + 1 + 3,
        "divmul32": 10,  # mul, div, sdiv, mod, smod x K/X
        "divmul64": 10,
        "atomic32": 10,  # add, or, and, xor (plain and fetch), xchg, cmpxchg
        "atomic64": 10,
        "packet": 6,  # ld_abs and ld_ind of b, h, w
        "ext": 2,  # callx, may_goto
    }
    assert len(SPECS) == 166


def test_atomic_table() -> None:
    for size in (4, 8):
        atomics = [s for s in SPECS if s.kind == "atomic" and s.size == size]
        assert sorted(s.discr[1] for s in atomics if s.discr) == sorted(ATOMIC_OPS)
        assert {s.opcode for s in atomics} == {0xC3 if size == 4 else 0xDB}


def test_well_known_opcodes() -> None:
    expected = {
        "add64_imm": 0x07, "add32_reg": 0x0C, "lddw": 0x18, "ldxdw": 0x79, "stxw": 0x63,
        "stb": 0x72, "exit": 0x95, "call": 0x85, "ja": 0x05, "gotol": 0x06, "jeq64_imm": 0x15,
        "jsle32_reg": 0xDE, "le16": 0xD4, "be64": 0xDC, "bswap32": 0xD7, "callx": 0x8D,
        "may_goto": 0xE5, "ldxsb": 0x91, "ldxsh": 0x89, "ldxsw": 0x81, "ldabsw": 0x20,
        "ldindb": 0x50, "neg64": 0x87, "atomic64_cmpxchg": 0xDB, "movsx1664": 0xBF,
        "sdiv32_imm": 0x34, "smod64_reg": 0x9F,
    }
    for name, opcode in expected.items():
        assert SPECS_BY_NAME[name].opcode == opcode, name
    assert SPECS_BY_NAME["sdiv32_imm"].discr == ("off", 1)
    assert SPECS_BY_NAME["movsx1664"].discr == ("off", 16)
    assert SPECS_BY_NAME["be64"].discr == ("imm", 64)
    assert SPECS_BY_NAME["call_local"].discr == ("src", 1)


# -- Insn ----------------------------------------------------------------------------------------


def test_insn_properties() -> None:
    lddw = make("lddw", dst=2, imm=-1, imm_hi=0x7FFF_FFFF, pc=4)
    assert lddw.width == 2
    assert lddw.imm64 == 0x7FFF_FFFF_FFFF_FFFF
    assert lddw.target is None
    assert make("ja", off=-3, pc=10).target == 8
    assert make("jne32_reg", dst=1, src=2, off=5, pc=0).target == 6
    assert make("gotol", imm=100, pc=7).target == 108
    assert make("call_local", imm=-7, pc=7).target == 1
    assert make("may_goto", off=2, pc=1).target == 4
    assert make("call", imm=5, pc=3).target is None
    assert make("exit").width == 1
    assert make("exit").with_pc(9).pc == 9


def test_decode_empty_and_pcs() -> None:
    assert decode(b"") == []
    code = slot(0x18, dst=1, imm=5) + slot(0, imm=6) + MOV_R0_0 + EXIT
    insns = decode(code)
    assert [i.pc for i in insns] == [0, 2, 3]
    assert insns[0].imm64 == (6 << 32) | 5
    assert decode(bytearray(code)) == insns
    assert decode(memoryview(code)) == insns


# -- rejection -----------------------------------------------------------------------------------

UNKNOWN_OPCODES = [op for op in range(256) if op not in SPECS_BY_OPCODE]


def test_there_are_unknown_opcodes() -> None:
    assert 0x00 in UNKNOWN_OPCODES and 0xFF in UNKNOWN_OPCODES and 0xDF in UNKNOWN_OPCODES
    assert len(UNKNOWN_OPCODES) == 256 - len(SPECS_BY_OPCODE)


@pytest.mark.parametrize("opcode", UNKNOWN_OPCODES, ids=hex)
def test_unknown_opcode(opcode: int) -> None:
    err = decode_error(in_program(slot(opcode)))
    assert err.pc == 2
    assert "(insn #2)" in str(err)
    assert "unknown opcode" in err.reason


RESERVED = [(spec.name, field) for spec in SPECS for field in FIELDS
            if field not in spec.uses and not (spec.discr and spec.discr[0] == field)]


def test_reserved_cases_cover_every_spec_without_all_fields() -> None:
    def meaningful(spec: OpSpec) -> set[str]:
        return set(spec.uses) | ({spec.discr[0]} if spec.discr else set())

    assert {name for name, _ in RESERVED} == {s.name for s in SPECS if len(meaningful(s)) < 4}
    assert ("exit", "dst") in RESERVED and ("exit", "imm") in RESERVED
    assert ("ja", "imm") in RESERVED and ("lddw", "off") in RESERVED
    assert ("callx", "src") in RESERVED and ("callx", "off") in RESERVED


@pytest.mark.parametrize(("name", "field"), RESERVED)
@pytest.mark.parametrize("value", [1, -1])
def test_reserved_field_nonzero(name: str, field: str, value: int) -> None:
    spec = SPECS_BY_NAME[name]
    if field in ("dst", "src"):
        value = 1 if value > 0 else 9
    err = decode_error(in_program(raw(spec, **{field: value})))
    assert err.pc == 2, err


@pytest.mark.parametrize("name", [s.name for s in SPECS if "dst" in s.uses])
@pytest.mark.parametrize("reg", range(11, 16))
def test_bad_destination_register(name: str, reg: int) -> None:
    err = decode_error(in_program(raw(SPECS_BY_NAME[name], dst=reg)))
    assert err.pc == 2


@pytest.mark.parametrize("name", [s.name for s in SPECS if "src" in s.uses])
@pytest.mark.parametrize("reg", range(11, 16))
def test_bad_source_register(name: str, reg: int) -> None:
    err = decode_error(in_program(raw(SPECS_BY_NAME[name], src=reg)))
    assert err.pc == 2


@pytest.mark.parametrize("reg", range(11, 16))
def test_bad_callx_register_in_imm(reg: int) -> None:
    err = decode_error(in_program(slot(0x8D, imm=reg)))
    assert err.pc == 2


def test_callx_register_given_twice() -> None:
    assert decode_error(in_program(slot(0x8D, dst=1, imm=2))).pc == 2
    assert decode(in_program(slot(0x8D, dst=1)))[1].dst == 1
    assert decode(in_program(slot(0x8D, imm=1)))[1].imm == 1


@pytest.mark.parametrize("name", [s.name for s in SPECS if s.writes_dst])
def test_r10_is_read_only(name: str) -> None:
    err = decode_error(in_program(raw(SPECS_BY_NAME[name], dst=10)))
    assert err.pc == 2
    assert "r10" in err.reason


@pytest.mark.parametrize("name", [s.name for s in SPECS if "dst" in s.uses and not s.writes_dst
                                  and s.kind != "callx"])
def test_r10_may_be_read_as_dst(name: str) -> None:
    insns = decode(in_program(raw(SPECS_BY_NAME[name], dst=10)))
    assert insns[1].dst == 10


@pytest.mark.parametrize("name", [s.name for s in SPECS if s.kind == "atomic" and s.fetch
                                  and s.op != "cmpxchg"])
def test_fetching_atomic_may_not_write_r10(name: str) -> None:
    """Fetching atomics write their src register, so src=r10 would modify the frame pointer."""
    err = decode_error(in_program(raw(SPECS_BY_NAME[name], src=10)))
    assert err.pc == 2
    assert "r10" in err.reason


@pytest.mark.parametrize("name", [s.name for s in SPECS if s.kind == "atomic" and
                                  (not s.fetch or s.op == "cmpxchg")])
def test_non_fetching_atomic_may_read_r10(name: str) -> None:
    assert decode(in_program(raw(SPECS_BY_NAME[name], src=10)))[1].src == 10


def test_lddw_missing_second_half() -> None:
    err = decode_error(MOV_R0_0 + slot(0x18, dst=1, imm=1))
    assert err.pc == 1
    assert "second slot" in err.reason
    assert decode_error(slot(0x18, dst=1, imm=1)).pc == 0


@pytest.mark.parametrize("second", [
    slot(0x18, imm=1), slot(0x95), slot(0, dst=1), slot(0, src=1), slot(0, off=1), slot(0, off=-1),
    slot(0, dst=15, src=15),
])
def test_lddw_bad_second_half(second: bytes) -> None:
    err = decode_error(MOV_R0_0 + slot(0x18, dst=1, imm=1) + second + EXIT)
    assert err.pc == 2
    assert "second half" in err.reason


def test_lddw_second_half_imm_is_free() -> None:
    insns = decode(slot(0x18, dst=1, imm=-1) + slot(0, imm=-1) + EXIT)
    assert insns[0].imm64 == 2**64 - 1


@pytest.mark.parametrize("src", sorted(LDDW_PSEUDO))
def test_lddw_pseudo_sources(src: int) -> None:
    assert decode(slot(0x18, dst=1, src=src) + slot(0) + EXIT)[0].src == src


@pytest.mark.parametrize("src", range(7, 16))
def test_lddw_bad_pseudo_source(src: int) -> None:
    err = decode_error(MOV_R0_0 + MOV_R0_0 + slot(0x18, dst=1, src=src) + slot(0) + EXIT)
    assert err.pc == 2


JUMP_ENCODINGS = {
    "ja": lambda rel: slot(0x05, off=rel),
    "jeq64_imm": lambda rel: slot(0x15, dst=1, off=rel, imm=3),
    "jsle32_reg": lambda rel: slot(0xDE, dst=1, src=2, off=rel),
    "may_goto": lambda rel: slot(0xE5, off=rel),
    "gotol": lambda rel: slot(0x06, imm=rel),
    "call_local": lambda rel: slot(0x85, src=1, imm=rel),
}


@pytest.mark.parametrize("kind", JUMP_ENCODINGS)
def test_jump_targets_in_range(kind: str) -> None:
    encode_jump = JUMP_ENCODINGS[kind]
    body = [MOV_R0_0, MOV_R0_0, None, MOV_R0_0, EXIT]  # jump at slot 2; slots 0..4
    for rel in (-3, -2, -1, 0, 1):
        code = b"".join(encode_jump(rel) if part is None else part for part in body)
        assert decode(code)[2].target == 3 + rel


@pytest.mark.parametrize("kind", JUMP_ENCODINGS)
@pytest.mark.parametrize("rel", [-4, -100, 2, 3, 0x7FFF, -0x8000])
def test_jump_out_of_range(kind: str, rel: int) -> None:
    body = [MOV_R0_0, MOV_R0_0, JUMP_ENCODINGS[kind](rel), MOV_R0_0, EXIT]
    err = decode_error(b"".join(body))
    assert err.pc == 2
    assert "out of range" in err.reason
    assert decode(b"".join(body), jumps=False)[2].target == 3 + rel


@pytest.mark.parametrize("kind", JUMP_ENCODINGS)
@pytest.mark.parametrize("forward", [True, False])
def test_jump_into_middle_of_lddw(kind: str, forward: bool) -> None:
    lddw = slot(0x18, dst=1, imm=1) + slot(0)
    if forward:  # jump at slot 0 to slot 2, the second half of the lddw at slot 1
        code = JUMP_ENCODINGS[kind](1) + lddw + EXIT
        jump_pc = 0
    else:  # lddw at slots 0-1, jump at slot 2 back to slot 1
        code = lddw + JUMP_ENCODINGS[kind](-2) + EXIT
        jump_pc = 2
    err = decode_error(code)
    assert err.pc == jump_pc
    assert "middle of lddw" in err.reason


@pytest.mark.parametrize("imm", [0x30, 0, 8, 15, 17, 63, 65, 128, -16])
@pytest.mark.parametrize("opcode", [0xD4, 0xDC, 0xD7])
def test_bad_byteswap_width(opcode: int, imm: int) -> None:
    err = decode_error(in_program(slot(opcode, dst=1, imm=imm)))
    assert err.pc == 2
    assert "imm" in err.reason


@pytest.mark.parametrize(("opcode", "off"), [(0x3C, 2), (0x34, -1), (0x9F, 2), (0xBC, 32), (0xBF, 1),
                                             (0xBF, 64), (0xB7, 8), (0x0F, 1)])
def test_bad_off_discriminator(opcode: int, off: int) -> None:
    err = decode_error(in_program(slot(opcode, dst=1, src=2, off=off)))
    assert err.pc == 2


@pytest.mark.parametrize("imm", [0x02, 0x10, 0xE0, 0xF0, 0xF2, 0x11, -1])
def test_bad_atomic_op(imm: int) -> None:
    for opcode in (0xC3, 0xDB):
        assert decode_error(in_program(slot(opcode, dst=1, src=2, imm=imm))).pc == 2


@pytest.mark.parametrize("src", [3, 4, 15])
def test_bad_call_kind(src: int) -> None:
    assert decode_error(in_program(slot(0x85, src=src, imm=0))).pc == 2


@pytest.mark.parametrize("length", [1, 7, 9, 12, 15, 17, 23])
def test_code_length_not_multiple_of_8(length: int) -> None:
    code = (MOV_R0_0 * 3)[:length]
    err = decode_error(code)
    assert err.pc == length // 8
    assert str(length) in err.reason


def test_error_reports_first_bad_instruction() -> None:
    code = MOV_R0_0 + slot(0xFF) + slot(0xB7, dst=11)
    assert decode_error(code).pc == 1


def test_insn_spec_of_unknown_opcode_raises_decode_error() -> None:
    with pytest.raises(DecodeError) as info:
        _ = Insn(0xFF, pc=6).spec
    assert info.value.pc == 6
    assert spec_of(0xFF, 0, 0, 0) is None
    assert spec_of(0xD4, 0, 0, 0x30) is None
