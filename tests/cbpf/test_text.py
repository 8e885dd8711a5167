"""cbpf.text: tcpdump -d/-dd/-ddd byte for byte (libpcap's bpf_image, tcpdump 4.99) and bpf_asm."""

from __future__ import annotations

import ctypes
import random
import shutil
import subprocess

import pytest

from bpfvm.cbpf import Filter, FilterSyntaxError, SockFilter
from bpfvm.cbpf.opcodes import SKF_AD_OFF, SPECS
from bpfvm.cbpf.pcap import _BpfInsn, _lib
from bpfvm.cbpf.text import format_asm, format_d, image, parse_asm, parse_d, parse_dd, parse_ddd

from .programs import EXPRESSIONS, random_program

TCPDUMP = shutil.which("tcpdump")


def _bpf_image(insn: SockFilter, n: int) -> str:
    lib = _lib()
    lib.bpf_image.restype, lib.bpf_image.argtypes = ctypes.c_char_p, [ctypes.POINTER(_BpfInsn), ctypes.c_int]
    return str(lib.bpf_image(ctypes.byref(_BpfInsn(insn.code, insn.jt, insn.jf, insn.k)), n).decode())


@pytest.mark.parametrize("code", list(range(0x100)) + [0x1FF, 0xFFFF])
def test_image_matches_libpcap_bpf_image(code: int) -> None:
    for k, jt, jf, n in ((0, 0, 0, 0), (0xFFFFFFF3, 1, 2, 5), (0x80000000, 255, 7, 123), (12, 3, 0, 1000)):
        insn = SockFilter(code, jt, jf, k)
        assert image(insn, n) == _bpf_image(insn, n)


@pytest.mark.skipif(TCPDUMP is None, reason="tcpdump is not installed (Debian package tcpdump)")
@pytest.mark.parametrize("linktype", ["EN10MB", "RAW", "LINUX_SLL", "IEEE802_11_RADIO"])
def test_formats_are_tcpdumps_byte_for_byte(linktype: str) -> None:
    from bpfvm.cbpf import compile

    for expr in EXPRESSIONS:
        try:
            filt = compile(expr, linktype)
        except Exception:  # noqa: BLE001  (not every expression exists on every link type)
            continue
        for flag, form, parse in (("-d", "d", parse_d), ("-dd", "dd", parse_dd), ("-ddd", "ddd", parse_ddd)):
            expected = subprocess.run(
                [TCPDUMP, flag, "-y", linktype, expr], capture_output=True, text=True, check=True
            ).stdout
            assert filt.format(form) == expected, (expr, flag)
            assert format_d(parse(expected)) == filt.format("d")


def test_operand_less_mnemonics_keep_their_trailing_space() -> None:
    assert image(SockFilter(0x07), 3) == "(003) tax      "
    assert image(SockFilter(0x16), 0) == "(000) ret      "
    assert image(SockFilter(0x81), 0) == "(000) unimp    0x81"  # libpcap 1.10 has no name for ldx len


def _semantic(insns: list[SockFilter] | tuple[SockFilter, ...]) -> list[tuple[int, int, int, int]]:
    """What a program means: k of tax/txa/neg/ret a and jt/jf of non-jumps do not count."""
    out = []
    for i in insns:
        spec = i.spec
        k = 0 if spec.kind in ("tax", "txa") or spec.op == "neg" or spec.mode in ("a", "x", "len") else i.k
        jumps = (i.jt, i.jf) if spec.kind == "jmp" else (0, 0)
        out.append((i.code, *jumps, k))
    return out


def test_random_programs_round_trip_through_every_form() -> None:
    rng = random.Random(16)
    for _ in range(300):
        insns = random_program(rng, rng.randint(1, 30))
        filt = Filter(tuple(insns))
        for form in ("dd", "ddd"):
            assert Filter.from_text(filt.format(form), form).insns == filt.insns
        assert _semantic(parse_d(filt.format("d"))) == _semantic(insns)
        assert _semantic(parse_asm(format_asm(insns))) == _semantic(insns)


ASM = """
; the kernel's bpf_asm syntax, from its documentation's examples
/* IPv4 TCP, and a few ancillary loads */
        ldh [12]
        jne #0x800, drop
        ldb [23]
        jneq #6, drop
        ldxb 4*([14]&0xf)
        ldh [x + 16]
        jeq #22, keep, next
next:   ld #proto
        ldh #vlan_tci
        ldb #vlan_avail
        ld vlan_pr
        ld #len
        ldx #len
        ld M[0]
        st M[15]
        ldi #0b101
        ldxi 010
        jlt #0x10, drop
        jle x, drop
        jset %x, keep
        add %x
        mod #3
        xor #0xff
        neg
        tax
        txa
        jmp keep
drop:   ret #0
keep:   ret a
"""


def test_bpf_asm_syntax() -> None:
    insns = parse_asm(ASM, "example.bpf")
    rows = [i.raw for i in insns]
    assert rows[:4] == [(0x28, 0, 0, 12), (0x15, 0, 25, 0x800), (0x30, 0, 0, 23), (0x15, 0, 23, 6)]
    assert rows[4] == (0xB1, 0, 0, 14) and rows[5] == (0x48, 0, 0, 16) and rows[6] == (0x15, 21, 0, 22)
    assert rows[7:11] == [
        (0x20, 0, 0, SKF_AD_OFF),
        (0x28, 0, 0, SKF_AD_OFF + 44),
        (0x30, 0, 0, SKF_AD_OFF + 48),
        (0x20, 0, 0, SKF_AD_OFF + 48),
    ]
    assert rows[11:16] == [
        (0x80, 0, 0, 0),
        (0x81, 0, 0, 0),
        (0x60, 0, 0, 0),
        (0x02, 0, 0, 15),
        (0x00, 0, 0, 5),
    ]
    assert rows[16] == (0x01, 0, 0, 8)  # 010 is octal
    assert rows[17] == (0x35, 0, 9, 0x10) and rows[18] == (0x2D, 0, 8, 0)  # jlt → jge, jle → jgt
    assert rows[19] == (0x4D, 8, 0, 0) and rows[-2] == (0x06, 0, 0, 0) and rows[-1] == (0x16, 0, 0, 0)
    assert parse_asm(format_asm(insns)) == insns


@pytest.mark.parametrize(
    ("source", "message", "line"),
    [
        ("ld [12]\nfoo #1\nret #0", "cannot assemble foo #1", 2),
        ("jeq #1, nowhere\nret #0", "undefined label nowhere", 1),
        ("a1: ret #0\na1: ret #1", "duplicate label a1", 2),
        ("ldx 4*([14]&0xe)\nret a", "cannot assemble", 1),
        ("", "no instructions", 1),
    ],
)
def test_bpf_asm_errors_name_the_line(source: str, message: str, line: int) -> None:
    with pytest.raises(FilterSyntaxError, match=message) as info:
        parse_asm(source, "bad.bpf")
    assert info.value.line == line and str(info.value).startswith(f"bad.bpf:{line}:")


def test_tcpdump_text_errors() -> None:
    with pytest.raises(FilterSyntaxError, match="count says 2"):
        parse_ddd("2\n6 0 0 0\n")
    with pytest.raises(FilterSyntaxError, match="not a tcpdump -d line"):
        parse_d("(000) ret #0\n(002) ret #0\n")
    with pytest.raises(FilterSyntaxError, match="unknown instruction"):
        parse_d("(000) frob     #0\n")
    with pytest.raises(FilterSyntaxError, match="does not fit"):
        parse_dd("{ 0x6, 0, 300, 0x00000000 },\n")


def test_every_table_code_is_printable_and_parses_back() -> None:
    for spec in SPECS:
        insn = SockFilter(spec.code, 0, 0, 0 if spec.kind == "ja" else 5)
        assert parse_asm(format_asm([insn, SockFilter(0x06)]))[0].code == spec.code
