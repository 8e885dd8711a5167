"""The one opcode table of classic BPF (``struct sock_filter``), and its named constants.

Classic BPF (McCanne & Jacobson 1993; ``<linux/filter.h>``, ``<pcap/bpf.h>``) has two 32-bit
registers A and X, sixteen 32-bit scratch words ``M[0..15]`` and 64-bit instructions
``{u16 code; u8 jt; u8 jf; u32 k}``.  Every table of the package — the decoder, both text
formats (tcpdump's ``-d`` and the kernel's ``bpf_asm``), the checkers, both interpreters and
the converter to eBPF — derives from :data:`SPECS`; nothing else spells an opcode number.

The ancillary loads (``SKF_AD_OFF + n``) and the negative bases ``SKF_NET_OFF`` /
``SKF_LL_OFF`` are the kernel's (``include/uapi/linux/filter.h``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ANCILLARY",
    "ANCILLARY_BY_NAME",
    "BPF_MAXINSNS",
    "BPF_MEMWORDS",
    "CbpfSpec",
    "SKF_AD_OFF",
    "SKF_LL_OFF",
    "SKF_NET_OFF",
    "SPECS",
    "SPECS_BY_CODE",
]

# Classes (code & 0x07), sizes (code & 0x18), modes (code & 0xe0), ALU/JMP ops (code & 0xf0),
# sources (code & 0x08), RET values (code & 0x18), MISC ops (code & 0xf8).
LD, LDX, ST, STX, ALU, JMP, RET, MISC = range(8)
W, H, B = 0x00, 0x08, 0x10
IMM, ABS, IND, MEM, LEN, MSH = 0x00, 0x20, 0x40, 0x60, 0x80, 0xA0
K, X = 0x00, 0x08
RET_K, RET_X, RET_A = 0x00, 0x08, 0x10
TAX, TXA = 0x00, 0x80

#: Number of scratch memory words ``M[]``.
BPF_MEMWORDS = 16
#: Longest classic program the kernel accepts.
BPF_MAXINSNS = 4096
#: Base of the kernel's ancillary loads: ``ld [SKF_AD_OFF + n]``.
SKF_AD_OFF = 0xFFFFF000
#: ``[SKF_NET_OFF + k]`` loads from the network header; ``[SKF_LL_OFF + k]`` from the link layer.
SKF_NET_OFF = 0xFFF00000
SKF_LL_OFF = 0xFFE00000


@dataclass(frozen=True, slots=True)
class CbpfSpec:
    """One classic opcode.

    ``kind`` says what it does (``ld ldx st stx alu jmp ja ret tax txa``); ``mode`` is the
    operand form: ``imm abs ind mem len msh`` for loads, ``k``/``x`` for ALU ops and jumps,
    ``k``/``a``/``x`` for ``ret``, ``""`` for the rest.  ``op`` is the ALU or jump operation
    name, ``size`` the load width in bytes.  ``tcpdump`` is libpcap's ``bpf_image`` operand
    format (None: libpcap 1.10 prints ``unimp``); ``kernel``/``seccomp`` say whether
    ``bpf_check_classic``/``seccomp_check_filter`` accept the code.
    """

    code: int
    mnemonic: str
    kind: str
    mode: str
    op: str = ""
    size: int = 4
    tcpdump: str | None = None
    kernel: bool = True
    seccomp: bool = True


_ALU_OPS = {
    "add": 0x00,
    "sub": 0x10,
    "mul": 0x20,
    "div": 0x30,
    "or": 0x40,
    "and": 0x50,
    "lsh": 0x60,
    "rsh": 0x70,
    "mod": 0x90,
    "xor": 0xA0,
}
_JMP_OPS = {"jeq": 0x10, "jgt": 0x20, "jge": 0x30, "jset": 0x40}
_HEX_K = ("and", "or", "xor")  # bpf_image prints these immediates in hex, the others signed decimal
_LOADS = {W: "ld", H: "ldh", B: "ldb"}


def _specs() -> tuple[CbpfSpec, ...]:
    specs = [
        CbpfSpec(LD | IMM, "ld", "ld", "imm", tcpdump="#0x%x"),
        CbpfSpec(LDX | IMM, "ldx", "ldx", "imm", tcpdump="#0x%x"),
        CbpfSpec(LD | MEM, "ld", "ld", "mem", tcpdump="M[%d]"),
        CbpfSpec(LDX | MEM, "ldx", "ldx", "mem", tcpdump="M[%d]"),
        CbpfSpec(LD | W | LEN, "ld", "ld", "len", tcpdump="#pktlen"),
        CbpfSpec(LDX | W | LEN, "ldx", "ldx", "len"),
        CbpfSpec(LDX | B | MSH, "ldxb", "ldx", "msh", size=1, tcpdump="4*([%d]&0xf)", seccomp=False),
        CbpfSpec(ST, "st", "st", "mem", tcpdump="M[%d]"),
        CbpfSpec(STX, "stx", "stx", "mem", tcpdump="M[%d]"),
        CbpfSpec(ALU | 0x80, "neg", "alu", "", "neg", tcpdump=""),
        CbpfSpec(JMP | 0x00, "ja", "ja", "", tcpdump="%d"),
        CbpfSpec(RET | RET_K, "ret", "ret", "k", tcpdump="#%d"),
        CbpfSpec(RET | RET_A, "ret", "ret", "a", tcpdump=""),
        CbpfSpec(MISC | TAX, "tax", "tax", "", tcpdump=""),
        CbpfSpec(MISC | TXA, "txa", "txa", "", tcpdump=""),
    ]
    for size, name in _LOADS.items():
        nbytes = {W: 4, H: 2, B: 1}[size]
        specs.append(
            CbpfSpec(LD | size | ABS, name, "ld", "abs", size=nbytes, tcpdump="[%d]", seccomp=size == W)
        )
        specs.append(
            CbpfSpec(LD | size | IND, name, "ld", "ind", size=nbytes, tcpdump="[x + %d]", seccomp=False)
        )
    for op, bits in _ALU_OPS.items():
        specs.append(
            CbpfSpec(
                ALU | bits | K,
                op,
                "alu",
                "k",
                op,
                tcpdump="#0x%x" if op in _HEX_K else "#%d",
                seccomp=op != "mod",
            )
        )
        specs.append(CbpfSpec(ALU | bits | X, op, "alu", "x", op, tcpdump="x", seccomp=op != "mod"))
    for op, bits in _JMP_OPS.items():
        specs.append(CbpfSpec(JMP | bits | K, op, "jmp", "k", op, tcpdump="#0x%x"))
        specs.append(CbpfSpec(JMP | bits | X, op, "jmp", "x", op, tcpdump="x"))
    return tuple(sorted(specs, key=lambda s: s.code))


#: Every classic opcode, by code.
SPECS: tuple[CbpfSpec, ...] = _specs()
SPECS_BY_CODE: dict[int, CbpfSpec] = {s.code: s for s in SPECS}

#: The kernel's ancillary loads: ``SKF_AD_*`` offset → ``bpf_asm`` name (one table; the
#: kernel's ``bpf_anc_helper`` accepts these and rejects any other ``k >= SKF_AD_OFF``).
ANCILLARY: dict[int, str] = {
    0: "proto",
    4: "type",
    8: "ifidx",
    12: "nla",
    16: "nlan",
    20: "mark",
    24: "queue",
    28: "hatype",
    32: "rxhash",
    36: "cpu",
    40: "alu_xor_x",
    44: "vlan_tci",
    48: "vlan_avail",
    52: "poff",
    56: "rand",
    60: "vlan_tpid",
}
#: ``bpf_asm`` names (and the aliases its lexer accepts) → ancillary offset.
ANCILLARY_BY_NAME: dict[str, int] = {name: off for off, name in ANCILLARY.items() if name != "alu_xor_x"}
ANCILLARY_BY_NAME["vlan_pr"] = 48
