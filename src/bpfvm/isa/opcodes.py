"""The one eBPF opcode table (RFC 9669 + v4 extensions + atomics + callx + may_goto).

Everything that needs to know what an opcode means — decoder, encoder, assembler, disassembler,
interpreter, JIT, verifier — derives it from :data:`SPECS`. Nothing else spells an opcode number.

Encoding (RFC 9669 §3): the low three bits of the opcode byte are the class. For ALU/JMP classes
bits 4–7 are the operation and bit 3 the source (K = immediate, X = register); for load/store
classes bits 5–7 are the mode and bits 3–4 the size. Some opcodes have variants told apart by the
``off`` field (sdiv/smod, movsx) or the ``imm`` field (atomics, byte swaps); a spec's
``discr`` names that field and its value.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

__all__ = [
    "ALU_OPS",
    "ATOMIC_OPS",
    "BPF_PSEUDO_CALL",
    "BPF_PSEUDO_KFUNC_CALL",
    "JMP_OPS",
    "LDDW_FUNC",
    "LDDW_PSEUDO",
    "OpClass",
    "OpSpec",
    "SIZE_BYTES",
    "SPECS",
    "SPECS_BY_NAME",
    "SPECS_BY_OPCODE",
]


class OpClass(enum.IntEnum):
    """Instruction classes (RFC 9669 §3.1)."""

    LD = 0x00
    LDX = 0x01
    ST = 0x02
    STX = 0x03
    ALU = 0x04
    JMP = 0x05
    JMP32 = 0x06
    ALU64 = 0x07


SRC_K = 0x00
SRC_X = 0x08

#: ALU operation codes (bits 4–7).
ALU_OPS: dict[str, int] = {
    "add": 0x00, "sub": 0x10, "mul": 0x20, "div": 0x30, "or": 0x40, "and": 0x50,
    "lsh": 0x60, "rsh": 0x70, "neg": 0x80, "mod": 0x90, "xor": 0xA0, "mov": 0xB0,
    "arsh": 0xC0, "end": 0xD0,
}

#: Conditional jump operation codes (bits 4–7) of the JMP/JMP32 classes.
JMP_OPS: dict[str, int] = {
    "jeq": 0x10, "jgt": 0x20, "jge": 0x30, "jset": 0x40, "jne": 0x50, "jsgt": 0x60,
    "jsge": 0x70, "jlt": 0xA0, "jle": 0xB0, "jslt": 0xC0, "jsle": 0xD0,
}
JA, CALL, EXIT, JCOND = 0x00, 0x80, 0x90, 0xE0

#: Size field (bits 3–4) → access width in bytes.
SIZE_CODES: dict[int, int] = {0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8}
SIZE_BYTES: dict[int, int] = {v: k for k, v in SIZE_CODES.items()}  # bytes -> size code

MODE_IMM, MODE_ABS, MODE_IND, MODE_MEM, MODE_MEMSX, MODE_ATOMIC = 0x00, 0x20, 0x40, 0x60, 0x80, 0xC0

#: Atomic operations: imm value → (op name, fetch).  RFC 9669 §5.3.
ATOMIC_OPS: dict[int, tuple[str, bool]] = {
    0x00: ("add", False), 0x40: ("or", False), 0x50: ("and", False), 0xA0: ("xor", False),
    0x01: ("add", True), 0x41: ("or", True), 0x51: ("and", True), 0xA1: ("xor", True),
    0xE1: ("xchg", True), 0xF1: ("cmpxchg", True),
}

#: lddw pseudo source kinds (src field of the 0x18 instruction), as libbpf names them.
LDDW_PSEUDO: dict[int, str] = {
    0: "imm64", 1: "map_fd", 2: "map_value", 3: "btf_id", 4: "func", 5: "map_idx", 6: "map_idx_value",
}

#: lddw src kind whose immediate is a pc-relative function address (``ld_imm64`` of a subprog).
LDDW_FUNC = 4

#: ``call`` src values: 0 helper by id, 1 BPF-to-BPF (pc-relative), 2 kfunc by BTF id.
BPF_PSEUDO_CALL = 1
BPF_PSEUDO_KFUNC_CALL = 2


@dataclass(frozen=True, slots=True)
class OpSpec:
    """What one (opcode, discriminator) pair means.

    ``kind`` groups the semantics: alu, end, ja, gotol, jcond, call, callx, exit, may_goto,
    ldx, st, stx, atomic, lddw, ldabs, ldind.  ``op`` is the operation within the kind
    (``add``, ``sdiv``, ``movsx8``, ``jsgt``, ``be16`` …); ``bits`` is 32 or 64 for ALU/jump
    width; ``size`` the memory access width in bytes; ``signed`` marks sign-extending loads;
    ``fetch`` atomic ops that return the old value.  ``uses`` lists the fields that carry
    information — every other field (and any not named by ``discr``) must be zero.
    ``writes_dst`` marks instructions that write register ``dst`` (so dst must not be r10).
    ``mnemonic`` is the uBPF/bpf_conformance assembler name.
    """

    name: str
    opcode: int
    kind: str
    op: str
    mnemonic: str
    uses: frozenset[str]
    bits: int = 64
    size: int = 0
    source: str = ""  # "imm" | "reg" | ""
    signed: bool = False
    fetch: bool = False
    writes_dst: bool = False
    discr: tuple[str, int] | None = None

    @property
    def cls(self) -> OpClass:
        """The instruction class (low three bits of the opcode)."""
        return OpClass(self.opcode & 0x07)


def _fields(*names: str) -> frozenset[str]:
    return frozenset(names)


def _alu_specs() -> list[OpSpec]:
    specs: list[OpSpec] = []
    for bits, cls, suffix in ((32, OpClass.ALU, "32"), (64, OpClass.ALU64, "")):
        for op, code in ALU_OPS.items():
            if op == "end":
                continue
            for source, src_bit in (("imm", SRC_K), ("reg", SRC_X)):
                if op == "neg" and source == "reg":
                    continue
                opcode = cls | code | src_bit
                uses = _fields("dst", "imm") if source == "imm" else _fields("dst", "src")
                if op == "neg":
                    uses = _fields("dst")
                tag = f"{op}{bits}_{source}" if op != "neg" else f"neg{bits}"
                base = OpSpec(name=tag, opcode=opcode, kind="alu", op=op, mnemonic=op + suffix, uses=uses,
                              bits=bits, source=source, writes_dst=True, discr=("off", 0))
                specs.append(base)
                if op in ("div", "mod"):
                    sop = "s" + op
                    specs.append(replace(base, name=f"{sop}{bits}_{source}", op=sop, mnemonic=sop + suffix,
                                         discr=("off", 1)))
                if op == "mov" and source == "reg":
                    for w in (8, 16) if bits == 32 else (8, 16, 32):
                        specs.append(replace(base, name=f"movsx{w}{bits}", op=f"movsx{w}",
                                             mnemonic=f"movsx{w}{bits}",
                                             discr=("off", w)))
    # Byte swaps: ALU|END with K = to little endian, X = to big endian; ALU64|END = bswap (v4).
    for cls, src_bit, prefix in ((OpClass.ALU, SRC_K, "le"), (OpClass.ALU, SRC_X, "be"),
                                 (OpClass.ALU64, SRC_K, "bswap")):
        for width in (16, 32, 64):
            specs.append(OpSpec(name=f"{prefix}{width}", opcode=cls | ALU_OPS["end"] | src_bit,
                                kind="end", op=f"{prefix}{width}", mnemonic=f"{prefix}{width}",
                                uses=_fields("dst"), bits=width, writes_dst=True, discr=("imm", width)))
    return specs


def _jmp_specs() -> list[OpSpec]:
    specs: list[OpSpec] = [
        OpSpec(name="ja", opcode=OpClass.JMP | JA, kind="ja", op="ja", mnemonic="ja", uses=_fields("off")),
        OpSpec(name="gotol", opcode=OpClass.JMP32 | JA, kind="gotol", op="gotol", mnemonic="ja32",
               uses=_fields("imm"), bits=32),
        OpSpec(name="call", opcode=OpClass.JMP | CALL, kind="call", op="call", mnemonic="call",
               uses=_fields("imm"), discr=("src", 0)),
        OpSpec(name="call_local", opcode=OpClass.JMP | CALL, kind="call", op="call_local",
               mnemonic="call", uses=_fields("imm"), discr=("src", BPF_PSEUDO_CALL)),
        OpSpec(name="call_kfunc", opcode=OpClass.JMP | CALL, kind="call", op="call_kfunc",
               mnemonic="call", uses=_fields("imm", "off"), discr=("src", BPF_PSEUDO_KFUNC_CALL)),
        OpSpec(name="callx", opcode=OpClass.JMP | CALL | SRC_X, kind="callx", op="callx",
               mnemonic="callx", uses=_fields("dst", "imm")),
        OpSpec(name="exit", opcode=OpClass.JMP | EXIT, kind="exit", op="exit", mnemonic="exit",
               uses=_fields()),
        OpSpec(name="may_goto", opcode=OpClass.JMP | JCOND, kind="may_goto", op="may_goto",
               mnemonic="may_goto", uses=_fields("off"), discr=("src", 0)),
    ]
    for bits, cls, suffix in ((64, OpClass.JMP, ""), (32, OpClass.JMP32, "32")):
        for op, code in JMP_OPS.items():
            specs.append(OpSpec(name=f"{op}{bits}_imm", opcode=cls | code | SRC_K, kind="jcond", op=op,
                                mnemonic=op + suffix, uses=_fields("dst", "off", "imm"), bits=bits,
                                source="imm"))
            specs.append(OpSpec(name=f"{op}{bits}_reg", opcode=cls | code | SRC_X, kind="jcond", op=op,
                                mnemonic=op + suffix, uses=_fields("dst", "src", "off"), bits=bits,
                                source="reg"))
    return specs


_SIZE_LETTER = {1: "b", 2: "h", 4: "w", 8: "dw"}


def _mem_specs() -> list[OpSpec]:
    specs: list[OpSpec] = []
    for size, code in SIZE_BYTES.items():
        letter = _SIZE_LETTER[size]
        specs.append(OpSpec(name=f"ldx{letter}", opcode=OpClass.LDX | MODE_MEM | code, kind="ldx",
                            op="ldx", mnemonic=f"ldx{letter}", uses=_fields("dst", "src", "off"),
                            size=size, writes_dst=True))
        if size != 8:
            specs.append(OpSpec(name=f"ldxs{letter}", opcode=OpClass.LDX | MODE_MEMSX | code, kind="ldx",
                                op="ldxs", mnemonic=f"ldxs{letter}", uses=_fields("dst", "src", "off"),
                                size=size, signed=True, writes_dst=True))
        specs.append(OpSpec(name=f"st{letter}", opcode=OpClass.ST | MODE_MEM | code, kind="st", op="st",
                            mnemonic=f"st{letter}", uses=_fields("dst", "off", "imm"), size=size))
        specs.append(OpSpec(name=f"stx{letter}", opcode=OpClass.STX | MODE_MEM | code, kind="stx",
                            op="stx", mnemonic=f"stx{letter}", uses=_fields("dst", "src", "off"),
                            size=size))
        if size in (4, 8):
            for imm, (aop, fetch) in ATOMIC_OPS.items():
                tag = ("fetch_" if fetch and aop in ("add", "or", "and", "xor") else "") + aop
                specs.append(OpSpec(name=f"atomic{size * 8}_{tag}",
                                    opcode=OpClass.STX | MODE_ATOMIC | code, kind="atomic", op=aop,
                                    mnemonic=f"lock{'' if size == 8 else '32'}", fetch=fetch,
                                    uses=_fields("dst", "src", "off"), size=size, bits=size * 8,
                                    discr=("imm", imm)))
        if size != 8:
            specs.append(OpSpec(name=f"ldabs{letter}", opcode=OpClass.LD | MODE_ABS | code, kind="ldabs",
                                op="ldabs", mnemonic=f"ldabs{letter}", uses=_fields("imm"), size=size))
            specs.append(OpSpec(name=f"ldind{letter}", opcode=OpClass.LD | MODE_IND | code, kind="ldind",
                                op="ldind", mnemonic=f"ldind{letter}", uses=_fields("src", "imm"),
                                size=size))
    specs.append(OpSpec(name="lddw", opcode=OpClass.LD | MODE_IMM | SIZE_BYTES[8], kind="lddw", op="lddw",
                        mnemonic="lddw", uses=_fields("dst", "src", "imm"), size=8, writes_dst=True))
    return specs


#: Every instruction bpfvm knows, in table order.
SPECS: tuple[OpSpec, ...] = tuple(_alu_specs() + _jmp_specs() + _mem_specs())


def _by_opcode() -> dict[int, tuple[OpSpec, ...]]:
    table: dict[int, list[OpSpec]] = {}
    for spec in SPECS:
        table.setdefault(spec.opcode, []).append(spec)
    return {k: tuple(v) for k, v in table.items()}


#: opcode byte → the specs that share it (told apart by ``discr``).
SPECS_BY_OPCODE: dict[int, tuple[OpSpec, ...]] = _by_opcode()
#: spec name (``add64_imm``, ``sdiv32_reg``, ``atomic64_fetch_add`` …) → spec.
SPECS_BY_NAME: dict[str, OpSpec] = {s.name: s for s in SPECS}
