"""cbpf.interp: libpcap's bpf_filter (diffed through ctypes) and the kernel's semantics."""

from __future__ import annotations

import random

import pytest

from bpfvm.cbpf import CbpfError, Filter, Skb, SockFilter, delivered
from bpfvm.cbpf.interp import run
from bpfvm.cbpf.opcodes import SKF_AD_OFF, SKF_LL_OFF, SKF_NET_OFF
from bpfvm.cbpf.pcap import bpf_filter, offline_filter

from .programs import random_packet, random_program


def _prog(*rows: tuple[int, int, int, int]) -> list[SockFilter]:
    return [SockFilter(*row, pc) for pc, row in enumerate(rows)]


def test_random_programs_match_libpcap_bpf_filter() -> None:
    rng = random.Random(1)
    for _ in range(600):
        insns = random_program(rng, rng.randint(2, 24))
        packet = random_packet(rng)
        wirelen = len(packet) + rng.choice([0, 0, 40])
        assert run(insns, packet, wirelen=wirelen) == bpf_filter(insns, packet, wirelen), insns


SHIFT_X_33 = _prog((0x01, 0, 0, 33), (0x00, 0, 0, 1), (0x6C, 0, 0, 0), (0x16, 0, 0, 0))


@pytest.mark.parametrize(
    ("name", "insns", "packet", "pcap", "kernel"),
    [
        # lsh x with X >= 32: libpcap gives 0, the kernel (eBPF ALU32, x86) masks X to 31
        ("shift by X >= 32", SHIFT_X_33, bytes(8), 0, 2),
        # ld len: the wire length for libpcap (100 here), the bytes present for the kernel
        ("ld len", _prog((0x80, 0, 0, 0), (0x16, 0, 0, 0)), bytes(60), 100, 60),
        ("ldx len", _prog((0x81, 0, 0, 0), (0x87, 0, 0, 0), (0x16, 0, 0, 0)), bytes(60), 100, 60),
        # ancillary loads: out of bounds for libpcap, sk_buff fields for the kernel
        ("ld #proto", _prog((0x20, 0, 0, SKF_AD_OFF), (0x16, 0, 0, 0)), bytes(60), 0, 0x86DD),
        ("ld #mark", _prog((0x20, 0, 0, SKF_AD_OFF + 20), (0x16, 0, 0, 0)), bytes(60), 0, 7),
        ("ldh #vlan_tci", _prog((0x28, 0, 0, SKF_AD_OFF + 44), (0x16, 0, 0, 0)), bytes(60), 0, 0x123),
        (
            "ld #alu_xor_x",
            _prog((0x01, 0, 0, 5), (0x00, 0, 0, 3), (0x20, 0, 0, SKF_AD_OFF + 40), (0x16, 0, 0, 0)),
            bytes(8),
            0,
            6,
        ),
        # SKF_NET_OFF: relative to the network header (14 here) for the kernel
        (
            "ldb [SKF_NET_OFF + 1]",
            _prog((0x30, 0, 0, SKF_NET_OFF + 1), (0x16, 0, 0, 0)),
            bytes(range(40)),
            0,
            15,
        ),
        ("ldb [SKF_LL_OFF]", _prog((0x30, 0, 0, SKF_LL_OFF), (0x16, 0, 0, 0)), bytes(range(1, 40)), 0, 1),
        # identical in both: division by X = 0 returns 0, out-of-bounds loads return 0
        ("div x by 0", _prog((0x00, 0, 0, 7), (0x3C, 0, 0, 0), (0x06, 0, 0, 5)), bytes(8), 0, 0),
        (
            "ld [x + k] past the end",
            _prog((0x01, 0, 0, 58), (0x48, 0, 0, 1), (0x06, 0, 0, 9)),
            bytes(60),
            0,
            0,
        ),
    ],
)
def test_flavours(name: str, insns: list[SockFilter], packet: bytes, pcap: int, kernel: int) -> None:
    skb = Skb(protocol=0x86DD, mark=7, vlan_tci=0x123, network_offset=14, mac_offset=0)
    assert run(insns, packet, wirelen=100) == pcap == bpf_filter(insns, packet, 100)
    assert run(insns, packet, flavour="kernel", skb=skb) == kernel


def test_kernel_device_loads_return_a_without_a_device() -> None:
    insns = _prog((0x00, 0, 0, 77), (0x20, 0, 0, SKF_AD_OFF + 8), (0x06, 0, 0, 1))
    assert run(insns, bytes(20), flavour="kernel") == 77
    assert run(insns, bytes(20), flavour="kernel", skb=Skb(ifindex=3)) == 1


def test_backward_ja_runs_in_libpcap() -> None:
    # M[0] counts down from 3: a loop through a backward ja, as libpcap's protochain code has
    insns = _prog(
        (0x00, 0, 0, 3),
        (0x15, 3, 0, 0),
        (0x14, 0, 0, 1),
        (0x05, 0, 0, 0xFFFFFFFD),
        (0x06, 0, 0, 9),
        (0x06, 0, 0, 42),
    )
    assert run(insns, b"") == bpf_filter(insns, b"") == 42


def test_ret_trims_in_the_kernel() -> None:
    assert delivered(0, 100) == 0
    assert delivered(40, 100) == 40
    assert delivered(0xFFFFFFFF, 100) == 100


def test_seccomp_flavour_reads_host_order_words() -> None:
    data = (59).to_bytes(4, "little") + bytes(60)
    insns = _prog((0x20, 0, 0, 0), (0x16, 0, 0, 0))
    assert run(insns, data, flavour="seccomp") == 59


@pytest.mark.parametrize(
    ("insns", "message"),
    [
        (_prog((0xFF, 0, 0, 0)), "unknown classic BPF opcode 0xff"),
        (_prog((0x60, 0, 0, 16), (0x16, 0, 0, 0)), r"M\[16\]"),
        (_prog((0x05, 0, 0, 5)), "outside the program"),
        (_prog((0x00, 0, 0, 0)), "past its last instruction"),
        (_prog((0x05, 0, 0, 0xFFFFFFFF)), "backward ja loops"),
    ],
)
def test_bad_programs_raise(insns: list[SockFilter], message: str) -> None:
    with pytest.raises(CbpfError, match=message):
        run(insns, bytes(4), max_steps=1000)


def test_filter_run_equals_pcap_offline_filter_on_compiled_expressions() -> None:
    from bpfvm.cbpf import compile

    from .programs import EXPRESSIONS

    rng = random.Random(3)
    packets = [random_packet(rng) for _ in range(60)]
    for expr in EXPRESSIONS:
        filt = compile(expr)
        for packet in packets:
            assert filt.run(packet) == offline_filter(filt.insns, packet), expr


def test_filter_helpers() -> None:
    filt = Filter.from_tuples([(0x06, 0, 0, 1)])
    assert Filter.from_bytes(filt.to_bytes()) == filt
    with pytest.raises(ValueError, match="unknown form"):
        filt.format("x")
