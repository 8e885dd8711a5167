"""Test material for classic BPF: random programs and packets, and a pcap file writer.

Programs are drawn from the opcode table with forward jumps only (so every checker-free
interpreter terminates) and ``M[]`` writes before reads; packets are random bytes with
Ethernet/IPv4/IPv6/VLAN-shaped heads so that compiled filters take both branches.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Sequence
from pathlib import Path

from bpfvm.cbpf import SockFilter
from bpfvm.cbpf.opcodes import SPECS

#: Expressions used across the tests: protocols, ports, arithmetic, slices, lengths, VLAN.
EXPRESSIONS = [
    "ip",
    "ip6",
    "arp",
    "tcp",
    "udp port 53",
    "tcp port 80 or tcp port 443",
    "icmp or icmp6",
    "vlan and udp",
    "ip[2:2] > 100",
    "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0",
    "len > 60",
    "less 100",
    "ether[0] & 1 = 0",
    "ip src net 10.0.0.0/8",
    "ip6 protochain 17",
    "(ip[2:2] - ((ip[0]&0xf)<<2)) - ((tcp[12]&0xf0)>>2) > 0",
    "udp[8:4] = 0x01020304",
    "ip[8] * 2 / 3 % 5 = 1",
    "ip[6:2] & 0x1fff = 0 and not ip[9] = 17",
]


def random_program(rng: random.Random, length: int = 12, *, kernel: bool = False) -> list[SockFilter]:
    """A random classic program ending in ``ret``; ``kernel``: only what bpf_check_classic
    accepts (no ``ldx len``-less codes are excluded: every table code may appear)."""
    body_specs = [s for s in SPECS if s.kind not in ("ret", "ja") and (s.kernel or not kernel)]
    insns: list[SockFilter] = []
    written: set[int] = set()  # words stored before the first jump: written on every path
    jumped = False
    for pc in range(length - 1):
        left = length - pc - 2
        roll = rng.random()
        if roll < 0.2 and left > 0:
            spec = rng.choice([s for s in SPECS if s.kind == "jmp"])
            k = rng.choice([0, 1, 0x800, 0x86DD, 6, 17, rng.getrandbits(32), rng.getrandbits(8)])
            insns.append(
                SockFilter(spec.code, rng.randint(0, min(left, 4)), rng.randint(0, min(left, 4)), k, pc)
            )
            jumped = True
            continue
        if roll < 0.25:
            insns.append(
                SockFilter(0x06 if rng.random() < 0.5 else 0x16, 0, 0, rng.choice([0, 1, 64, 0xFFFF]), pc)
            )
            continue
        spec = rng.choice(body_specs)
        k = _operand(rng, spec.kind, spec.mode, spec.op)
        if spec.mode == "mem" and spec.kind in ("ld", "ldx"):
            if not written:
                spec = next(s for s in SPECS if s.kind == "st")
                k = rng.randrange(16)
            else:
                k = rng.choice(sorted(written))
        if spec.kind in ("st", "stx") and not jumped:
            written.add(k)
        insns.append(SockFilter(spec.code, 0, 0, k, pc))
    insns.append(
        SockFilter(0x16 if rng.random() < 0.5 else 0x06, 0, 0, rng.choice([0, 96, 0xFFFFFFFF]), length - 1)
    )
    return insns


def _operand(rng: random.Random, kind: str, mode: str, op: str) -> int:
    if mode in ("abs", "ind", "msh"):
        return rng.choice(
            [0, 1, 12, 14, 20, 23, 30, 38, 60, 63, 64, 65, 200, 0xFFFFFFFF, rng.getrandbits(32)]
        )
    if mode == "mem":
        return rng.randrange(16)
    if op in ("div", "mod"):
        return rng.choice([1, 2, 3, 7, 0x10000, 0xFFFFFFFF])
    if op in ("lsh", "rsh"):
        return rng.randrange(32)
    return rng.choice([0, 1, 2, 5, 0xF, 0x800, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, rng.getrandbits(32)])


def random_packet(rng: random.Random) -> bytes:
    """Random bytes shaped like an Ethernet frame (IPv4, IPv6, VLAN or ARP), 0–200 bytes."""
    ethertype = rng.choice([b"\x08\x00", b"\x86\xdd", b"\x81\x00", b"\x08\x06", rng.randbytes(2)])
    body = bytearray(rng.randbytes(rng.randint(0, 186)))
    if ethertype == b"\x08\x00" and len(body) >= 20:
        body[0] = 0x45
        body[9] = rng.choice([6, 17, 1, 47])
        body[6:8] = rng.choice([b"\x00\x00", b"\x40\x00", b"\x20\x01"])
    if ethertype == b"\x86\xdd" and len(body) >= 40:
        body[0] = 0x60
        body[6] = rng.choice([6, 17, 58, 0, 43])
    if ethertype == b"\x81\x00" and len(body) >= 4:
        body[2:4] = rng.choice([b"\x08\x00", b"\x86\xdd"])
    return (rng.randbytes(12) + ethertype + bytes(body))[: rng.choice([14, 34, 54, 60, 74, 200, 1000])]


def write_pcap(
    path: Path, packets: Sequence[tuple[bytes, int]], linktype: int = 1, snaplen: int = 65535
) -> Path:
    """A classic pcap file (microsecond timestamps) of ``(captured bytes, wire length)``."""
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype))
    for n, (data, wirelen) in enumerate(packets):
        out += struct.pack("<IIII", 1_700_000_000 + n, n * 1000 % 1_000_000, len(data), wirelen) + data
    path.write_bytes(bytes(out))
    return path
