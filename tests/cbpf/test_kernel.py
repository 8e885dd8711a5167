"""The kernel as the oracle: socket filters (what passes, trimmed lengths), checker verdicts,
and the converter's eBPF on both bpfvm engines against both."""

from __future__ import annotations

import random
import sys

import pytest

from bpfvm.cbpf import CheckError, Filter, SockFilter, compile, delivered
from bpfvm.cbpf.check import check_classic
from bpfvm.cbpf.opcodes import SKF_AD_OFF, SKF_LL_OFF, SKF_NET_OFF

from .kernel import attach_verdict, deliver
from .programs import EXPRESSIONS, random_packet, random_program

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="socket filters are Linux's")


def _prog(*rows: tuple[int, int, int, int]) -> list[SockFilter]:
    return [SockFilter(*row, pc) for pc, row in enumerate(rows)]


def _kernel_model(filt: Filter, packets: list[bytes]) -> list[int]:
    return [delivered(filt.run(p, flavour="kernel"), len(p)) for p in packets]


#: Hand-written programs for the kernel's own semantics (the AF_UNIX skb has no device, no
#: link or network header, protocol 0).
SPECIAL = {
    "shift by X >= 32 masks": _prog((0x01, 0, 0, 33), (0x00, 0, 0, 1), (0x6C, 0, 0, 0), (0x16, 0, 0, 0)),
    "ret a trims": _prog((0x30, 0, 0, 0), (0x16, 0, 0, 0)),
    "ld len": _prog((0x80, 0, 0, 0), (0x04, 0, 0, 0xFFFFFFF0), (0x16, 0, 0, 0)),
    "ldx len": _prog((0x81, 0, 0, 0), (0x87, 0, 0, 0), (0x74, 0, 0, 1), (0x16, 0, 0, 0)),
    "div x by 0": _prog((0x00, 0, 0, 9), (0x3C, 0, 0, 0), (0x06, 0, 0, 50)),
    "mod x": _prog((0x30, 0, 0, 1), (0x07, 0, 0, 0), (0x00, 0, 0, 1000), (0x9C, 0, 0, 0), (0x16, 0, 0, 0)),
    "M[] round trip": _prog(
        (0x28, 0, 0, 2), (0x02, 0, 0, 3), (0x00, 0, 0, 0), (0x60, 0, 0, 3), (0x16, 0, 0, 0)
    ),
    "ld [x + k] negative sum": _prog((0x01, 0, 0, 0xFFFFFFFF), (0x50, 0, 0, 2), (0x06, 0, 0, 33)),
    "ldxb msh": _prog((0xB1, 0, 0, 1), (0x87, 0, 0, 0), (0x16, 0, 0, 0)),
    "jgt negative k": _prog((0x20, 0, 0, 0), (0x25, 0, 1, 0x80000000), (0x06, 0, 0, 7), (0x06, 0, 0, 9)),
    "ld #proto": _prog((0x00, 0, 0, 5), (0x20, 0, 0, SKF_AD_OFF), (0x04, 0, 0, 3), (0x16, 0, 0, 0)),
    "ld #type": _prog((0x20, 0, 0, SKF_AD_OFF + 4), (0x04, 0, 0, 3), (0x16, 0, 0, 0)),
    "ld #ifidx without a device": _prog((0x00, 0, 0, 77), (0x20, 0, 0, SKF_AD_OFF + 8), (0x06, 0, 0, 1)),
    "ldh #hatype without a device": _prog((0x00, 0, 0, 66), (0x28, 0, 0, SKF_AD_OFF + 28), (0x06, 0, 0, 1)),
    "ld #mark": _prog((0x20, 0, 0, SKF_AD_OFF + 20), (0x04, 0, 0, 3), (0x16, 0, 0, 0)),
    "ld #queue": _prog((0x20, 0, 0, SKF_AD_OFF + 24), (0x04, 0, 0, 3), (0x16, 0, 0, 0)),
    "ld #vlan_tci": _prog((0x20, 0, 0, SKF_AD_OFF + 44), (0x04, 0, 0, 3), (0x16, 0, 0, 0)),
    "ld #vlan_avail": _prog((0x20, 0, 0, SKF_AD_OFF + 48), (0x04, 0, 0, 3), (0x16, 0, 0, 0)),
    "ld #vlan_tpid": _prog((0x20, 0, 0, SKF_AD_OFF + 60), (0x04, 0, 0, 3), (0x16, 0, 0, 0)),
    "ld #alu_xor_x": _prog((0x01, 0, 0, 6), (0x00, 0, 0, 3), (0x20, 0, 0, SKF_AD_OFF + 40), (0x16, 0, 0, 0)),
    "ld #nla": _prog(
        (0x00, 0, 0, 0), (0x01, 0, 0, 2), (0x20, 0, 0, SKF_AD_OFF + 12), (0x04, 0, 0, 1), (0x16, 0, 0, 0)
    ),
    "ld #nlan": _prog(
        (0x00, 0, 0, 0), (0x01, 0, 0, 3), (0x20, 0, 0, SKF_AD_OFF + 16), (0x04, 0, 0, 1), (0x16, 0, 0, 0)
    ),
    "ldb [SKF_NET_OFF]: an AF_UNIX skb's network header is its data": _prog(
        (0x30, 0, 0, SKF_NET_OFF), (0x06, 0, 0, 50)
    ),
    "ldb [SKF_LL_OFF] on an skb without one": _prog((0x30, 0, 0, SKF_LL_OFF), (0x06, 0, 0, 50)),
}

#: Netlink-shaped payloads for the nla loads: attributes {len, type} little endian.
NETLINK = [
    bytes([8, 0, 1, 0, 1, 2, 3, 4, 8, 0, 2, 0, 5, 6, 7, 8, 12, 0, 3, 0, 8, 0, 3, 0, 9, 9, 9, 9]),
    bytes([4, 0, 2, 0, 6, 0, 3, 0, 1, 2, 0, 0]),
    bytes([20, 0, 7, 0, 8, 0, 1, 0, 0, 0, 0, 0, 8, 0, 3, 0, 0, 0, 0, 0]),
]


def _packets(seed: int, n: int = 24) -> list[bytes]:
    rng = random.Random(seed)
    return [random_packet(rng) for _ in range(n)] + NETLINK + [b"", b"\x05", bytes(range(256)) * 4]


@pytest.mark.parametrize("name", sorted(SPECIAL))
def test_kernel_semantics_match_socket_filters(name: str) -> None:
    filt, packets = Filter(tuple(SPECIAL[name])), _packets(7)
    check_classic(filt.insns)
    expected = deliver(filt.insns, packets)
    assert _kernel_model(filt, packets) == expected
    engine = filt.engine("interpreter", "kernel")
    assert [delivered(engine.run(p), len(p)) for p in packets] == expected
    assert [delivered(r, len(p)) for r, p in zip(engine.run_many(packets), packets, strict=True)] == expected


def test_compiled_expressions_match_socket_filters() -> None:
    packets = _packets(8)
    for expr in EXPRESSIONS:
        filt = compile(expr)
        try:
            check_classic(filt.insns)
        except CheckError as exc:  # protochain's backward ja: only libpcap runs it
            assert "backward" in exc.reason and attach_verdict(filt.insns) == exc.errno, expr
            continue
        assert _kernel_model(filt, packets) == deliver(filt.insns, packets), expr


def test_random_programs_match_socket_filters_on_both_engines() -> None:
    rng = random.Random(5)
    packets = _packets(9, 12)
    jit_left = 4
    for _ in range(150):
        filt = Filter(tuple(random_program(rng, rng.randint(2, 20), kernel=True)))
        try:
            check_classic(filt.insns)
        except CheckError:
            continue
        expected = deliver(filt.insns, packets)
        assert _kernel_model(filt, packets) == expected, filt.format("d")
        engines = ["interpreter"] + (["jit"] if jit_left > 0 else [])
        jit_left -= 1
        for engine in engines:
            got = filt.engine(engine, "kernel").run_many(packets)
            assert [delivered(r, len(p)) for r, p in zip(got, packets, strict=True)] == expected, (
                engine,
                filt,
            )


def _mutations(rng: random.Random) -> list[list[SockFilter]]:
    """Programs that break one rule each, and random programs with random codes."""
    base = [
        SockFilter(0x28, 0, 0, 12),
        SockFilter(0x15, 0, 1, 0x800),
        SockFilter(0x06, 0, 0, 1),
        SockFilter(0x06, 0, 0, 0),
    ]
    out = [
        [],  # empty
        base[:-1] + [SockFilter(0x16)] + [SockFilter(0x00)],  # last insn not ret
        [SockFilter(0x34, 0, 0, 0), SockFilter(0x16)],  # div #0
        [SockFilter(0x94, 0, 0, 0), SockFilter(0x16)],  # mod #0
        [SockFilter(0x64, 0, 0, 32), SockFilter(0x16)],  # lsh #32
        [SockFilter(0x74, 0, 0, 31), SockFilter(0x16)],  # rsh #31: fine
        [SockFilter(0x60, 0, 0, 16), SockFilter(0x16)],  # M[16]
        [SockFilter(0x60, 0, 0, 2), SockFilter(0x16)],  # read before write
        [SockFilter(0x02, 0, 0, 2), SockFilter(0x15, 0, 1, 0), SockFilter(0x61, 0, 0, 2), SockFilter(0x16)],
        [SockFilter(0x15, 0, 1, 0), SockFilter(0x02, 0, 0, 2), SockFilter(0x61, 0, 0, 2), SockFilter(0x16)],
        [SockFilter(0x05, 0, 0, 1), SockFilter(0x16)],  # ja out of range
        [SockFilter(0x05, 0, 0, 0xFFFFFFFF), SockFilter(0x16)],  # backward ja
        [SockFilter(0x15, 2, 0, 0), SockFilter(0x16), SockFilter(0x16)],  # jt out of range
        [SockFilter(0x20, 0, 0, SKF_AD_OFF + 64), SockFilter(0x16)],  # unknown ancillary
        [SockFilter(0x20, 0, 0, SKF_AD_OFF + 56), SockFilter(0x16)],  # rand: known
        [SockFilter(0x0E), SockFilter(0x16)],  # ret x: not allowed
        [SockFilter(0x81), SockFilter(0x16)],  # ldx len: allowed
        [SockFilter(0x06)] * 4097,  # too long
    ]
    for _ in range(120):
        prog = random_program(rng, rng.randint(1, 10))
        at = rng.randrange(len(prog))
        prog[at] = prog[at]._replace(
            code=rng.choice([rng.getrandbits(8), prog[at].code]),
            jt=rng.choice([prog[at].jt, rng.getrandbits(8)]),
        )
        out.append(prog)
    return out


def test_checker_verdicts_match_the_kernel() -> None:
    rng = random.Random(11)
    for insns in _mutations(rng):
        try:
            check_classic(insns)
            mine = 0
        except CheckError as exc:
            mine = exc.errno
        assert mine == attach_verdict(insns), insns[:8]
