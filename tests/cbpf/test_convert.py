"""cbpf.convert: the kernel's bpf_convert_filter mapping, and converted code ≡ libpcap on both engines."""

from __future__ import annotations

import random

import pytest

from bpfvm.asm import raw_listing
from bpfvm.cbpf import CbpfError, Filter, SockFilter, compile
from bpfvm.cbpf.convert import convert_insns
from bpfvm.cbpf.pcap import bpf_filter
from bpfvm.isa import encode

from .programs import random_packet, random_program


def _listing(rows: list[tuple[int, int, int, int]], flavour: str = "kernel") -> list[str]:
    text = raw_listing(encode(convert_insns(Filter.from_tuples(rows).insns, flavour)))
    return [line.split("\t")[-1] for line in text.splitlines()]


def test_prologue_registers_and_ret() -> None:
    # ld #5; tax; ret #7 — no packet access: no data/headlen cache
    assert _listing([(0x00, 0, 0, 5), (0x07, 0, 0, 0), (0x06, 0, 0, 7)]) == [
        "w0 ^= w0",
        "w7 ^= w7",
        "r6 = r1",
        "w0 = 0x5",
        "r7 = r0",
        "w0 = 0x7",
        "exit",
    ]


def test_ld_abs_fast_path_and_helper_slow_path() -> None:
    lines = _listing([(0x28, 0, 0, 12), (0x16, 0, 0, 0)])
    assert lines[3:7] == [
        "r8 = *(u64 *)(r6 + 0x0)",
        "r9 = *(u32 *)(r6 + 0x8)",
        "r2 = *(u32 *)(r6 + 0xc)",
        "w9 -= w2",
    ]
    assert lines[7:13] == [
        "r2 = r9",
        "r2 -= 0xc",
        "if r2 s< 0x2 goto +0x3",
        "r0 = *(u16 *)(r8 + 0xc)",
        "r0 = be16 r0",
        "goto +0x8",
    ]
    assert lines[13:21] == [
        "r1 = r6",
        "r2 = r8",
        "r3 = r9",
        "r4 = 0xc",
        "call 0xcbf0002",
        "if r0 s>= 0x0 goto +0x2",
        "w0 ^= w0",
        "exit",
    ]
    pcap = _listing([(0x28, 0, 0, 12), (0x16, 0, 0, 0)], "pcap")
    assert pcap[12:15] == ["goto +0x2", "w0 ^= w0", "exit"]  # libpcap: out of bounds returns 0


def test_jumps_and_division_guard() -> None:
    # jeq with jf == 0: one jump; jt == 0: the inverted jump; both: jump + ja; div x guarded
    lines = _listing(
        [
            (0x15, 1, 0, 3),
            (0x15, 0, 1, 4),
            (0x25, 1, 2, 0x80000000),
            (0x3C, 0, 0, 0),
            (0x06, 0, 0, 1),
            (0x16, 0, 0, 0),
        ]
    )
    assert lines[3] == "if r0 == 0x3 goto +0x1"
    assert lines[4] == "if r0 != 0x4 goto +0x3"
    assert lines[5:8] == ["w2 = -0x80000000", "if r0 > r2 goto +0x6", "goto +0x7"]
    assert lines[8:13] == ["w7 = w7", "if r7 != 0x0 goto +0x2", "w0 ^= w0", "exit", "w0 /= w7"]


def test_scratch_memory_is_on_the_stack() -> None:
    lines = _listing([(0x02, 0, 0, 0), (0x61, 0, 0, 15), (0x16, 0, 0, 0)])
    assert lines[3:5] == ["*(u32 *)(r10 - 0x4) = r0", "r7 = *(u32 *)(r10 - 0x40)"]


def test_backward_ja_only_in_the_pcap_flavour() -> None:
    insns = Filter.from_tuples([(0x00, 0, 0, 1), (0x05, 0, 0, 0xFFFFFFFE), (0x16, 0, 0, 0)]).insns
    assert convert_insns(insns, "pcap")[-2].off < 0
    with pytest.raises(CbpfError, match="backward ja"):
        convert_insns(insns, "kernel")
    with pytest.raises(CbpfError, match="cannot convert classic opcode 0xff"):
        convert_insns((SockFilter(0xFF), SockFilter(0x06)), "kernel")


@pytest.mark.parametrize("engine", ["interpreter", "jit"])
def test_random_programs_equal_libpcap(engine: str) -> None:
    rng = random.Random(21 if engine == "jit" else 22)
    packets = [random_packet(rng) for _ in range(20)]
    records = [(p, len(p) + (i % 3) * 20) for i, p in enumerate(packets)]
    for _ in range(6 if engine == "jit" else 80):
        filt = Filter(tuple(random_program(rng, rng.randint(2, 24))))
        expected = [bpf_filter(filt.insns, p, w) for p, w in records]
        assert filt.engine(engine).run_many(records) == expected, filt.format("d")


def test_libpcap_only_semantics_on_the_jit() -> None:
    # shift by X >= 32 gives 0, ld len = wire length, a backward ja loop counting A up to 7
    # (an unwritten M[] word would be garbage in libpcap: bpfvm's pcap flavour zeroes M[])
    rows = [
        (0x01, 0, 0, 40),
        (0x80, 0, 0, 0),
        (0x6C, 0, 0, 0),
        (0x02, 0, 0, 3),
        (0x61, 0, 0, 3),
        (0x0C, 0, 0, 0),
        (0x15, 2, 0, 7),
        (0x04, 0, 0, 1),
        (0x05, 0, 0, 0xFFFFFFFC),
        (0x16, 0, 0, 0),
    ]
    filt = Filter.from_tuples(rows)
    records = [(bytes(30), 30), (bytes(30), 99)]
    expected = [bpf_filter(filt.insns, p, w) for p, w in records]
    assert expected == [filt.run(p, w) for p, w in records] == [7, 7]
    for engine in ("interpreter", "jit"):
        assert filt.engine(engine).run_many(records) == expected
        assert [filt.engine(engine).run(p, w) for p, w in records] == expected


def test_to_ebpf_is_a_program_both_engines_run() -> None:
    filt = compile("tcp port 80")
    program = filt.to_ebpf()
    assert program is filt.to_ebpf() and list(program.functions) == ["filter"]
    packet = (
        bytes(12) + b"\x08\x00" + bytes([0x45]) + bytes(8) + b"\x06" + bytes(10) + b"\x00\x50" * 2 + bytes(20)
    )
    assert filt.run(packet) == 262144
    assert filt.engine("jit").run(packet) == filt.engine("interpreter").run(packet) == 262144
