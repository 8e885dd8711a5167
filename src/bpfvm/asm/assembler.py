"""Assembler: text in either BPF assembly syntax → instruction bytes.

Two syntaxes are accepted, freely mixed line by line:

* the **LLVM** syntax that ``llvm-objdump -d`` and :mod:`bpfvm.asm.disasm` print
  (``r1 += 0x5``, ``w0 = *(u32 *)(r1 + 0x4)``, ``if r1 > 0x5 goto +0x3``, ``r0 = 0x1 ll``,
  ``lock *(u64 *)(r10 - 0x8) += r1`` …, plus bpfvm's lossless forms ``call pc+0x5``,
  ``call kfunc 0x5``, ``callx 0x2``, ``skb[r1 + 0x4]``).  A pasted objdump line's
  ``N:<tab>bytes<tab>`` prefix and `` <sym+0x..>`` annotation are ignored, ``<sym>:`` headers
  define labels and the other listing lines (file format, section titles, relocations) are skipped.
* the **uBPF / bpf_conformance** syntax (``mov32 %r0, 1``, ``ldxdw %r0, [%r1+2]``,
  ``jeq %r1, 5, +3``, ``lock fetch add [%r10-8], %r1``, ``call local L`` …), whose mnemonics
  are the ``mnemonic`` field of :data:`bpfvm.isa.SPECS`; ``%`` before register names is optional.

Labels are ``name:`` (alone or before an instruction) and may be jump/call targets; as in
bpf_conformance, an undefined label ``exit`` means the first ``exit`` instruction.  ``#`` and ``;``
start comments.  Numbers are decimal or ``0x`` hex, optionally negative.  A 32-bit immediate (16-bit
offset) must lie in the signed range when written in decimal; in hex it may also be written as the
unsigned bit pattern (up to ``0xffffffff`` / ``0xffff``).  ``lddw`` takes any value in
-2**63 .. 2**64-1.  Errors raise :class:`~bpfvm.errors.AsmError` with 1-based line and column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import AsmError
from ..isa import SPECS, Insn, OpSpec, encode, make
from ..isa.opcodes import LDDW_PSEUDO
from .syntax import ALU_OPERATORS, ATOMIC_OPERATORS, JCOND_OPERATORS, spec_index

__all__ = ["assemble"]


# ---------------------------------------------------------------- source lines and numbers

@dataclass(frozen=True, slots=True)
class _Line:
    """The instruction text of one source line, and where it starts (for error columns)."""

    number: int
    text: str
    column: int  # 0-based column of text[0] in the source line
    source: str

    def error(self, message: str, pos: int = 0) -> AsmError:
        """An AsmError pointing at ``text[pos]``."""
        return AsmError(message, self.number, self.column + pos + 1, self.source)

    def sub(self, start: int, end: int) -> _Line:
        """The part ``text[start:end]`` as a line of its own, columns preserved."""
        return _Line(self.number, self.text[start:end], self.column + start, self.source)


#: sign, digits: hex, binary, octal (a leading 0, as llvm-mc reads it) or decimal.
_NUMBER = re.compile(r"([+-]?)\s*(0[xX][0-9a-fA-F]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")


def _number(line: _Line, text: str, pos: int, bits: int, what: str) -> int:
    """Parse an immediate or offset of ``bits`` bits (see module doc for the ranges), sign-folded."""
    m = _NUMBER.fullmatch(text.strip())
    if m is None:
        raise line.error(f"invalid {what} {text.strip()!r}", pos)
    digits = m.group(2)
    octal = len(digits) > 1 and digits[0] == "0" and digits[1] in "01234567"
    value = int(digits, 8 if octal else 0) * (-1 if m.group(1) == "-" else 1)
    is_hex = digits[:2].lower() == "0x"
    top = (1 << bits) - 1 if is_hex or bits == 64 else (1 << (bits - 1)) - 1
    if not -(1 << (bits - 1)) <= value <= top:
        hint = f" (decimal is signed; write {value:#x} for the bit pattern)" \
            if not is_hex and 0 <= value < 1 << bits else ""
        raise line.error(f"{what} {text.strip()} out of range for {bits} bits{hint}", pos)
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


_REGISTER = re.compile(r"%?([rw])([0-9]+)")


def _register(line: _Line, text: str, pos: int, letters: str = "rw") -> tuple[str, int]:
    """Parse ``r3``/``w3``/``%r3``: (letter, number).  Raises for r11 and up."""
    m = _REGISTER.fullmatch(text.strip())
    if m is None or m.group(1) not in letters:
        raise line.error(f"invalid register {text.strip()!r}", pos)
    number = int(m.group(2))
    if number > 10:
        raise line.error(f"invalid register {text.strip()!r} (registers are r0-r10)", pos)
    return m.group(1), number


# ---------------------------------------------------------------- parsed instructions

@dataclass(frozen=True, slots=True)
class _LabelRef:
    """A jump/call target given as a label, to be patched pc-relative into ``field`` (off or imm)."""

    name: str
    field: str
    line: _Line
    pos: int


@dataclass(frozen=True, slots=True)
class _Parsed:
    """An instruction, and the label its target still refers to, if any."""

    insn: Insn
    ref: _LabelRef | None = None


def _insn(spec: OpSpec, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0, imm_hi: int = 0) -> Insn:
    return make(spec.name, dst=dst, src=src, off=off, imm=imm, imm_hi=imm_hi)


_LABEL_NAME = r"[A-Za-z_.$][\w.$]*"
_LABEL_RE = re.compile(_LABEL_NAME)


def _target(line: _Line, text: str, pos: int, spec: OpSpec, field: str) -> _Parsed:
    """A jump/call operand: a signed displacement or a label, for ``field`` (off or imm)."""
    bits = 16 if field == "off" else 32
    stripped = text.strip()
    if _LABEL_RE.fullmatch(stripped):
        return _Parsed(_insn(spec), _LabelRef(stripped, field, line, pos))
    value = _number(line, stripped, pos, bits, "jump offset")
    return _Parsed(_insn(spec, **{field: value}))


# ---------------------------------------------------------------- LLVM syntax

_COMPOUND = {k: v[:-1] for k, v in ALU_OPERATORS.items() if v != "="}  # "+=" -> "+" ...
_DIGITS = r"0[xX][0-9a-fA-F]+|[0-9]+"
_R = r"([rw][0-9]+)"
_NUM = rf"([+-]?\s*(?:{_DIGITS}))"
_REG_OR_NUM = rf"([rw][0-9]+|[+-]?\s*(?:{_DIGITS}))"
_TARGET = rf"([+-]?\s*(?:{_DIGITS})|{_LABEL_NAME})"
_MEM_INNER = rf"([rw][0-9]+)\s*(?:([+-])\s*({_DIGITS}))?"
_MEM = rf"\(\s*{_MEM_INNER}\s*\)"
_PTR = r"\*\s*\(\s*([us])(8|16|32|64)\s*\*\s*\)\s*"


def _ops(table: dict[str, str]) -> str:
    """Regex alternation of operators, longest first so that ``s>=`` wins over ``s>``."""
    return "|".join(re.escape(op) for op in sorted(table.values(), key=len, reverse=True))


_ALU_BY = spec_index(["alu"], lambda s: (s.op, s.bits, s.source))
_JCOND_BY = spec_index(["jcond"], lambda s: (s.op, s.bits, s.source))
_MEM_BY = spec_index(["ldx", "st", "stx"], lambda s: (s.kind, s.size, s.signed))
_PKT_BY = spec_index(["ldabs", "ldind"], lambda s: (s.kind, s.size))
_ATOMIC_BY = spec_index(["atomic"], lambda s: (s.op, s.fetch, s.size))
_SPECIAL = {s.kind: s for s in SPECS if s.kind in ("ja", "gotol", "may_goto", "exit", "callx", "lddw")}
_CALL_BY = {s.op: s for s in SPECS if s.kind == "call"}
_END_BY = {s.op: s for s in SPECS if s.kind == "end"}
_ALU_OP_NAMES = {v: k for k, v in ALU_OPERATORS.items()}
_JCOND_OP_NAMES = {v: k for k, v in JCOND_OPERATORS.items()}
_ATOMIC_OP_NAMES = {v: k for k, v in ATOMIC_OPERATORS.items()}


def _mem(line: _Line, m: re.Match[str], group: int, letters: str = "r") -> tuple[int, int]:
    """Base register and signed 16-bit offset from the three groups of ``_MEM_INNER``."""
    _, reg = _register(line, m.group(group), m.start(group), letters)
    if m.group(group + 1) is None:
        return reg, 0
    off = _number(line, m.group(group + 1) + m.group(group + 2), m.start(group + 1), 16, "offset")
    return reg, off


def _same_width(line: _Line, m: re.Match[str], first: str, group: int) -> int:
    """Parse register ``group`` and require the same r/w letter as ``first``."""
    letter, reg = _register(line, m.group(group), m.start(group))
    if letter != first:
        raise line.error(f"register {m.group(group)} does not match the {first}-register width",
                         m.start(group))
    return reg


def _llvm_alu(line: _Line, m: re.Match[str]) -> _Parsed:
    letter, dst = _register(line, m.group(1), m.start(1))
    bits, op = (32 if letter == "w" else 64), _ALU_OP_NAMES[(m.group(2) or "") + "="]
    if _REGISTER.fullmatch(m.group(3)):
        return _Parsed(_insn(_ALU_BY[op, bits, "reg"], dst=dst, src=_same_width(line, m, letter, 3)))
    imm = _number(line, m.group(3), m.start(3), 32, "immediate")
    return _Parsed(_insn(_ALU_BY[op, bits, "imm"], dst=dst, imm=imm))


def _llvm_neg(line: _Line, m: re.Match[str]) -> _Parsed:
    letter, dst = _register(line, m.group(1), m.start(1))
    if _same_width(line, m, letter, 2) != dst:
        raise line.error("neg must use the same source and destination register", m.start(2))
    return _Parsed(_insn(_ALU_BY["neg", 32 if letter == "w" else 64, "imm"], dst=dst))


def _llvm_movsx(line: _Line, m: re.Match[str]) -> _Parsed:
    letter, dst = _register(line, m.group(1), m.start(1))
    key = (f"movsx{m.group(2)}", 32 if letter == "w" else 64, "reg")
    if key not in _ALU_BY:
        raise line.error(f"no (s{m.group(2)}) sign extension into a {letter} register", m.start(2))
    return _Parsed(_insn(_ALU_BY[key], dst=dst, src=_same_width(line, m, letter, 3)))


def _llvm_end(line: _Line, m: re.Match[str]) -> _Parsed:
    _, dst = _register(line, m.group(1), m.start(1))
    _, src = _register(line, m.group(4), m.start(4))
    if src != dst:
        raise line.error("byte swap must use the same source and destination register", m.start(4))
    return _Parsed(_insn(_END_BY[m.group(2) + m.group(3)], dst=dst))


def _llvm_lddw(line: _Line, m: re.Match[str]) -> _Parsed:
    _, dst = _register(line, m.group(1), m.start(1), "r")
    value = _number(line, m.group(2), m.start(2), 64, "64-bit immediate")
    return _Parsed(_lddw(dst, 0, value))


def _llvm_ld_pseudo(line: _Line, m: re.Match[str]) -> _Parsed:
    _, dst = _register(line, m.group(1), m.start(1), "r")
    src = _number(line, m.group(2), m.start(2), 4, "pseudo source")
    if src not in LDDW_PSEUDO:
        raise line.error(f"unknown lddw pseudo source {m.group(2).strip()} (known: "
                         f"{', '.join(f'{k} {v}' for k, v in LDDW_PSEUDO.items())})", m.start(2))
    return _Parsed(_lddw(dst, src, _number(line, m.group(3), m.start(3), 64, "64-bit immediate")))


def _lddw(dst: int, src: int, value: int) -> Insn:
    low, high = value & 0xFFFFFFFF, (value >> 32) & 0xFFFFFFFF
    return _insn(_SPECIAL["lddw"], dst=dst, src=src, imm=_s32(low), imm_hi=_s32(high))


def _s32(value: int) -> int:
    return value - (1 << 32) if value >> 31 else value


def _llvm_ldx(line: _Line, m: re.Match[str]) -> _Parsed:
    letter, dst = _register(line, m.group(1), m.start(1))
    signed, size = m.group(2) == "s", int(m.group(3)) // 8
    key = ("ldx", size, signed)
    if key not in _MEM_BY or (letter == "w" and (signed or size == 8)):
        raise line.error(f"no load {m.group(1)} = *({m.group(2)}{m.group(3)} *)", m.start(2))
    src, off = _mem(line, m, 4)
    return _Parsed(_insn(_MEM_BY[key], dst=dst, src=src, off=off))


def _llvm_store(line: _Line, m: re.Match[str]) -> _Parsed:
    if m.group(1) != "u":
        raise line.error("stores take an unsigned width (u8, u16, u32, u64)", m.start(1))
    size = int(m.group(2)) // 8
    dst, off = _mem(line, m, 3)
    if _REGISTER.fullmatch(m.group(6)):
        letter, src = _register(line, m.group(6), m.start(6))
        if letter == "w" and size == 8:
            raise line.error("a 64-bit store takes an r register", m.start(6))
        return _Parsed(_insn(_MEM_BY["stx", size, False], dst=dst, src=src, off=off))
    imm = _number(line, m.group(6), m.start(6), 32, "immediate")
    return _Parsed(_insn(_MEM_BY["st", size, False], dst=dst, off=off, imm=imm))


def _atomic_spec(line: _Line, m: re.Match[str], op: str, fetch: bool, width_group: int) -> OpSpec:
    key = (op, fetch, int(m.group(width_group)) // 8)
    if m.group(width_group) not in ("32", "64") or key not in _ATOMIC_BY:
        raise line.error("atomic operations take u32 or u64 operands", m.start(width_group))
    return _ATOMIC_BY[key]


def _atomic_reg(line: _Line, m: re.Match[str], group: int, spec: OpSpec) -> int:
    letter, reg = _register(line, m.group(group), m.start(group))
    if letter == "w" and spec.size == 8:
        raise line.error("a 64-bit atomic operation takes an r register", m.start(group))
    return reg


def _llvm_lock(line: _Line, m: re.Match[str]) -> _Parsed:
    if m.group(1) != "u":
        raise line.error("atomic operations take u32 or u64 operands", m.start(1))
    spec = _atomic_spec(line, m, _ATOMIC_OP_NAMES[m.group(6) + "="], False, 2)
    dst, off = _mem(line, m, 3)
    return _Parsed(_insn(spec, dst=dst, src=_atomic_reg(line, m, 7, spec), off=off))


def _llvm_fetch(line: _Line, m: re.Match[str]) -> _Parsed:
    spec = _atomic_spec(line, m, m.group(2), True, 3)
    dst, off = _mem(line, m, 4)
    src = _atomic_reg(line, m, 7, spec)
    if _atomic_reg(line, m, 1, spec) != src:
        raise line.error("atomic_fetch_* returns into its source register", m.start(1))
    return _Parsed(_insn(spec, dst=dst, src=src, off=off))


def _llvm_xchg(line: _Line, m: re.Match[str]) -> _Parsed:
    spec = _ATOMIC_BY["xchg", True, 4 if m.group(2) == "32_32" else 8]
    dst, off = _mem(line, m, 3)
    src = _atomic_reg(line, m, 6, spec)
    if _atomic_reg(line, m, 1, spec) != src:
        raise line.error("xchg returns into its source register", m.start(1))
    return _Parsed(_insn(spec, dst=dst, src=src, off=off))


def _llvm_cmpxchg(line: _Line, m: re.Match[str]) -> _Parsed:
    spec = _ATOMIC_BY["cmpxchg", True, 4 if m.group(2) == "32_32" else 8]
    dst, off = _mem(line, m, 3)
    for group in (1, 6):
        if _atomic_reg(line, m, group, spec) != 0:
            raise line.error("cmpxchg compares with and returns into r0", m.start(group))
    return _Parsed(_insn(spec, dst=dst, src=_atomic_reg(line, m, 7, spec), off=off))


def _packet_spec(line: _Line, m: re.Match[str], kind: str) -> OpSpec:
    _register(line, m.group(1), m.start(1), "r")
    if m.group(1) != "r0" or m.group(2) != "u" or (kind, int(m.group(3)) // 8) not in _PKT_BY:
        raise line.error("packet loads are r0 = *(u8|u16|u32 *)skb[...]", 0)
    return _PKT_BY[kind, int(m.group(3)) // 8]


def _llvm_ldabs(line: _Line, m: re.Match[str]) -> _Parsed:
    spec = _packet_spec(line, m, "ldabs")
    return _Parsed(_insn(spec, imm=_number(line, m.group(4), m.start(4), 32, "immediate")))


def _llvm_ldind(line: _Line, m: re.Match[str]) -> _Parsed:
    spec = _packet_spec(line, m, "ldind")
    _, src = _register(line, m.group(4), m.start(4), "r")
    imm = 0 if m.group(5) is None else _number(line, m.group(5) + m.group(6), m.start(5), 32, "immediate")
    return _Parsed(_insn(spec, src=src, imm=imm))


def _llvm_jcond(line: _Line, m: re.Match[str]) -> _Parsed:
    letter, dst = _register(line, m.group(1), m.start(1))
    bits, op = (32 if letter == "w" else 64), _JCOND_OP_NAMES[m.group(2)]
    if _REGISTER.fullmatch(m.group(3)):
        spec, fields = _JCOND_BY[op, bits, "reg"], {"src": _same_width(line, m, letter, 3)}
    else:
        imm = _number(line, m.group(3), m.start(3), 32, "immediate")
        spec, fields = _JCOND_BY[op, bits, "imm"], {"imm": imm}
    parsed = _target(line, m.group(4), m.start(4), spec, "off")
    return _Parsed(parsed.insn._replace(dst=dst, **fields), parsed.ref)


def _llvm_goto(line: _Line, m: re.Match[str]) -> _Parsed:
    kind = {"goto": "ja", "gotol": "gotol", "may_goto": "may_goto"}[m.group(1)]
    return _target(line, m.group(2), m.start(2), _SPECIAL[kind], "imm" if kind == "gotol" else "off")


def _llvm_exit(line: _Line, m: re.Match[str]) -> _Parsed:
    return _Parsed(_insn(_SPECIAL["exit"]))


_LLVM_FORMS: list[tuple[re.Pattern[str], Callable[[_Line, re.Match[str]], _Parsed]]] = [
    (re.compile(r"exit"), _llvm_exit),
    (re.compile(rf"(goto|gotol|may_goto)\s+{_TARGET}"), _llvm_goto),
    (re.compile(rf"if\s+{_R}\s*({_ops(JCOND_OPERATORS)})\s*{_REG_OR_NUM}\s+goto\s+{_TARGET}"), _llvm_jcond),
    (re.compile(rf"lock\s+{_PTR}{_MEM}\s*({_ops({k: v[:-1] for k, v in ATOMIC_OPERATORS.items()})})=\s*{_R}"),
     _llvm_lock),
    (re.compile(rf"{_R}\s*=\s*atomic_fetch_(add|or|and|xor)\s*\(\s*\(\s*u(32|64)\s*\*\s*\)\s*{_MEM}\s*,\s*{_R}\s*\)"),
     _llvm_fetch),
    (re.compile(rf"{_R}\s*=\s*xchg(32_32|_64)\s*\(\s*{_MEM_INNER}\s*,\s*{_R}\s*\)"), _llvm_xchg),
    (re.compile(rf"{_R}\s*=\s*cmpxchg(32_32|_64)\s*\(\s*{_MEM_INNER}\s*,\s*{_R}\s*,\s*{_R}\s*\)"),
     _llvm_cmpxchg),
    (re.compile(rf"{_R}\s*=\s*{_PTR}skb\s*\[\s*{_NUM}\s*\]"), _llvm_ldabs),
    (re.compile(rf"{_R}\s*=\s*{_PTR}skb\s*\[\s*{_MEM_INNER}\s*\]"), _llvm_ldind),
    (re.compile(rf"{_R}\s*=\s*{_PTR}{_MEM}"), _llvm_ldx),
    (re.compile(rf"{_PTR}{_MEM}\s*=\s*{_REG_OR_NUM}"), _llvm_store),
    (re.compile(rf"{_R}\s*=\s*{_NUM}\s+ll"), _llvm_lddw),
    (re.compile(rf"ld_pseudo\s+{_R}\s*,\s*{_NUM}\s*,\s*{_NUM}"), _llvm_ld_pseudo),
    (re.compile(rf"{_R}\s*=\s*(le|be|bswap)(16|32|64)\s+{_R}"), _llvm_end),
    (re.compile(rf"{_R}\s*=\s*\(\s*s(8|16|32)\s*\)\s*{_R}"), _llvm_movsx),
    (re.compile(rf"{_R}\s*=\s*-\s*{_R}"), _llvm_neg),
    (re.compile(rf"{_R}\s*({_ops(_COMPOUND)})?=\s*{_REG_OR_NUM}"), _llvm_alu),
]

#: Text that can only be LLVM syntax (so a failed match is a syntax error, not an unknown mnemonic).
_LLVM_START = re.compile(r"[rw][0-9]+\b|\*|if\b|goto\b|gotol\b|may_goto\b|ld_pseudo\b|lock\s*\*")


def _parse_llvm(line: _Line) -> _Parsed | None:
    for pattern, handler in _LLVM_FORMS:
        m = pattern.fullmatch(line.text)
        if m is not None:
            return handler(line, m)
    return None


# ---------------------------------------------------------------- uBPF / bpf_conformance syntax

_UBPF_ALIASES = {"swap16": "bswap16", "swap32": "bswap32", "swap64": "bswap64"}
_MEMREF = re.compile(rf"\[\s*(%?[rw][0-9]+)\s*(?:([+-])\s*({_DIGITS}))?\s*\]")


def _ubpf_mnemonics() -> dict[str, list[OpSpec]]:
    """uBPF mnemonic → its specs (told apart by operand kinds); lock and call have own grammars."""
    table: dict[str, list[OpSpec]] = {}
    for spec in SPECS:
        if spec.kind not in ("atomic", "call"):
            table.setdefault(spec.mnemonic, []).append(spec)
    for alias, name in _UBPF_ALIASES.items():
        table[alias] = table[name]
    return table


_UBPF_BY_MNEMONIC = _ubpf_mnemonics()


@dataclass(frozen=True, slots=True)
class _Operand:
    text: str
    pos: int

    def is_register(self) -> bool:
        return _REGISTER.fullmatch(self.text) is not None


def _operands(line: _Line, start: int) -> list[_Operand]:
    """Split ``line.text[start:]`` at commas into stripped operands with their positions."""
    out, pos = [], start
    rest = line.text[start:]
    if not rest.strip():
        return []
    for part in rest.split(","):
        lead = len(part) - len(part.lstrip())
        out.append(_Operand(part.strip(), pos + lead))
        pos += len(part) + 1
    return out


def _arity(line: _Line, mnemonic: str, ops: list[_Operand], count: int) -> None:
    if len(ops) != count:
        raise line.error(f"wrong number of operands for {mnemonic}: expected {count}, got {len(ops)}")


def _u_reg(line: _Line, op: _Operand) -> int:
    return _register(line, op.text, op.pos)[1]


def _u_mem(line: _Line, op: _Operand) -> tuple[int, int]:
    m = _MEMREF.fullmatch(op.text)
    if m is None:
        raise line.error(f"expected a memory operand like [%r1+8], got {op.text!r}", op.pos)
    reg = _register(line, m.group(1), op.pos + m.start(1), "r")[1]
    if m.group(2) is None:
        return reg, 0
    return reg, _number(line, m.group(2) + m.group(3), op.pos + m.start(2), 16, "offset")


def _u_imm(line: _Line, op: _Operand, bits: int = 32) -> int:
    return _number(line, op.text, op.pos, bits, "immediate")


def _u_alu(line: _Line, name: str, specs: list[OpSpec], ops: list[_Operand]) -> _Parsed:
    if specs[0].op == "neg":
        _arity(line, name, ops, 1)
        return _Parsed(_insn(specs[0], dst=_u_reg(line, ops[0])))
    _arity(line, name, ops, 2)
    dst = _u_reg(line, ops[0])
    by_source = {s.source: s for s in specs}
    if ops[1].is_register():
        return _Parsed(_insn(by_source["reg"], dst=dst, src=_u_reg(line, ops[1])))
    if "imm" not in by_source:
        raise line.error(f"{name} takes a register operand", ops[1].pos)
    return _Parsed(_insn(by_source["imm"], dst=dst, imm=_u_imm(line, ops[1])))


def _u_end(line: _Line, name: str, specs: list[OpSpec], ops: list[_Operand]) -> _Parsed:
    _arity(line, name, ops, 1)
    return _Parsed(_insn(specs[0], dst=_u_reg(line, ops[0])))


def _u_jump(line: _Line, name: str, specs: list[OpSpec], ops: list[_Operand]) -> _Parsed:
    _arity(line, name, ops, 1)
    return _target(line, ops[0].text, ops[0].pos, specs[0], "imm" if specs[0].kind == "gotol" else "off")


def _u_jcond(line: _Line, name: str, specs: list[OpSpec], ops: list[_Operand]) -> _Parsed:
    _arity(line, name, ops, 3)
    by_source = {s.source: s for s in specs}
    dst = _u_reg(line, ops[0])
    if ops[1].is_register():
        spec, fields = by_source["reg"], {"src": _u_reg(line, ops[1])}
    else:
        spec, fields = by_source["imm"], {"imm": _u_imm(line, ops[1])}
    parsed = _target(line, ops[2].text, ops[2].pos, spec, "off")
    return _Parsed(parsed.insn._replace(dst=dst, **fields), parsed.ref)


def _u_exit(line: _Line, name: str, specs: list[OpSpec], ops: list[_Operand]) -> _Parsed:
    _arity(line, name, ops, 0)
    return _Parsed(_insn(specs[0]))


def _u_ldx(line: _Line, name: str, specs: list[OpSpec], ops: list[_Operand]) -> _Parsed:
    _arity(line, name, ops, 2)
    src, off = _u_mem(line, ops[1])
    return _Parsed(_insn(specs[0], dst=_u_reg(line, ops[0]), src=src, off=off))


def _u_st(line: _Line, name: str, specs: list[OpSpec], ops: list[_Operand]) -> _Parsed:
    _arity(line, name, ops, 2)
    dst, off = _u_mem(line, ops[0])
    return _Parsed(_insn(specs[0], dst=dst, off=off, imm=_u_imm(line, ops[1])))


def _u_stx(line: _Line, name: str, specs: list[OpSpec], ops: list[_Operand]) -> _Parsed:
    _arity(line, name, ops, 2)
    dst, off = _u_mem(line, ops[0])
    return _Parsed(_insn(specs[0], dst=dst, src=_u_reg(line, ops[1]), off=off))


def _u_ldabs(line: _Line, name: str, specs: list[OpSpec], ops: list[_Operand]) -> _Parsed:
    _arity(line, name, ops, 1)
    return _Parsed(_insn(specs[0], imm=_u_imm(line, ops[0])))


def _u_ldind(line: _Line, name: str, specs: list[OpSpec], ops: list[_Operand]) -> _Parsed:
    _arity(line, name, ops, 2)
    return _Parsed(_insn(specs[0], src=_u_reg(line, ops[0]), imm=_u_imm(line, ops[1])))


def _u_lddw(line: _Line, name: str, specs: list[OpSpec], ops: list[_Operand]) -> _Parsed:
    _arity(line, name, ops, 2)
    return _Parsed(_lddw(_u_reg(line, ops[0]), 0, _u_imm(line, ops[1], 64)))


def _u_callx(line: _Line, name: str, specs: list[OpSpec], ops: list[_Operand]) -> _Parsed:
    _arity(line, name, ops, 1)
    if ops[0].is_register():
        return _Parsed(_insn(specs[0], dst=_u_reg(line, ops[0])))
    imm = _u_imm(line, ops[0])
    if not 0 <= imm <= 10:
        raise line.error(f"callx register number {imm} is not 0-10", ops[0].pos)
    return _Parsed(_insn(specs[0], imm=imm))


_UBPF_KINDS: dict[str, Callable[[_Line, str, list[OpSpec], list[_Operand]], _Parsed]] = {
    "alu": _u_alu, "end": _u_end, "ja": _u_jump, "gotol": _u_jump, "may_goto": _u_jump,
    "jcond": _u_jcond, "exit": _u_exit, "ldx": _u_ldx, "st": _u_st, "stx": _u_stx,
    "ldabs": _u_ldabs, "ldind": _u_ldind, "lddw": _u_lddw, "callx": _u_callx,
}

_LOCK = re.compile(r"(?:(fetch)\s+)?([a-z]+?)(32)?\s+(\[[^\]]*\])\s*,\s*(\S+)")


def _parse_lock(line: _Line, start: int) -> _Parsed:
    """``lock [fetch] OP[32] [%rD+off], %rS`` (uBPF); OP is add, or, and, xor, xchg or cmpxchg."""
    m = _LOCK.fullmatch(line.text[start:].strip())
    if m is None:
        raise line.error("invalid number of operands for lock: expected lock [fetch] OP [%rD+off], %rS")
    base = start + len(line.text[start:]) - len(line.text[start:].lstrip())
    op, size = m.group(2), 4 if m.group(3) else 8
    key = (op, bool(m.group(1)) or op in ("xchg", "cmpxchg"), size)
    if key not in _ATOMIC_BY:
        raise line.error(f"unknown atomic operation {m.group(2)}{m.group(3) or ''}", base + m.start(2))
    dst, off = _u_mem(line, _Operand(m.group(4), base + m.start(4)))
    src = _u_reg(line, _Operand(m.group(5), base + m.start(5)))
    return _Parsed(_insn(_ATOMIC_BY[key], dst=dst, src=src, off=off))


_CALL_HELPER = re.compile(rf"(?:helper\s+)?{_NUM}")
_CALL_LOCAL = re.compile(rf"local\s+{_TARGET}|pc\s*([+-]\s*(?:{_DIGITS}))|({_LABEL_NAME})")
_CALL_KFUNC = re.compile(rf"(?:kfunc|runtime)\s+{_NUM}(?:\s*,\s*{_NUM})?")
_CALL_REG = re.compile(r"%?[rw][0-9]+")


def _parse_call(line: _Line, start: int) -> _Parsed:
    """``call N`` / ``call helper N`` (helper), ``call local L`` / ``call pc+N`` / ``call L``
    (local), ``call kfunc N[, off]`` / ``call runtime N`` (kfunc), ``call %rN`` (callx)."""
    rest = line.text[start:].strip()
    pos = start + len(line.text[start:]) - len(line.text[start:].lstrip())
    sub = line.sub(pos, pos + len(rest))
    if (m := _CALL_HELPER.fullmatch(rest)) is not None:
        return _Parsed(_insn(_CALL_BY["call"], imm=_number(sub, m.group(1), m.start(1), 32, "helper id")))
    if (m := _CALL_KFUNC.fullmatch(rest)) is not None:
        off = 0 if m.group(2) is None else _number(sub, m.group(2), m.start(2), 16, "offset")
        return _Parsed(_insn(_CALL_BY["call_kfunc"], imm=_number(sub, m.group(1), m.start(1), 32, "BTF id"),
                             off=off))
    if _CALL_REG.fullmatch(rest):
        return _Parsed(_insn(_SPECIAL["callx"], dst=_register(sub, rest, 0)[1]))
    if rest in ("", "local", "helper", "kfunc", "runtime", "pc"):
        raise line.error("wrong number of operands for call")
    if (m := _CALL_LOCAL.fullmatch(rest)) is not None:
        group = next(g for g in (1, 2, 3) if m.group(g) is not None)
        return _target(sub, m.group(group), m.start(group), _CALL_BY["call_local"], "imm")
    raise line.error(f"invalid call operand {rest!r}", pos)


def _parse_instruction(line: _Line) -> _Parsed:
    """Parse one instruction in either syntax.  Raises AsmError."""
    text = line.text
    if text.startswith((".", "--")):
        raise line.error(f"unknown directive {text.split()[0]!r}")
    parsed = _parse_llvm(line)
    if parsed is not None:
        return parsed
    mnemonic = text.split()[0]
    start = len(mnemonic)
    if mnemonic == "call":
        return _parse_call(line, start)
    if mnemonic == "lock":
        return _parse_lock(line, start)
    if mnemonic in _UBPF_BY_MNEMONIC:
        specs = _UBPF_BY_MNEMONIC[mnemonic]
        return _UBPF_KINDS[specs[0].kind](line, mnemonic, specs, _operands(line, start))
    if _LLVM_START.match(text):
        raise line.error(f"invalid instruction {text!r}")
    raise line.error(f"unknown mnemonic {mnemonic!r}")


# ---------------------------------------------------------------- lines, labels, resolution

_COMMENT = re.compile(r"[#;].*")
_LISTING_NOISE = re.compile(r"\S+:\s+file format \S+|Disassembly of section .*:"
                            r"|[0-9a-fA-F]{8,16}:\s+R_\w+(\s.*)?")
_LISTING_HEADER = re.compile(r"[0-9a-fA-F]{8,16}\s+<([^>]+)>:")
_OBJDUMP_PREFIX = re.compile(r"\s*[0-9]+:\s+(?:[0-9a-fA-F]{2}\s+){8}(?:(?:[0-9a-fA-F]{2}\s+){8})?")
_ANNOTATION = re.compile(r"\s+<[^<>\s]+>\s*$")
_LABEL_DEF = re.compile(rf"\s*({_LABEL_NAME})\s*:")


def _split_line(raw: str, number: int, source: str) -> tuple[list[str], _Line | None]:
    """Split a source line into the labels it defines and its instruction text (or None)."""
    text = _COMMENT.sub("", raw).rstrip()
    stripped = text.strip()
    if not stripped or _LISTING_NOISE.fullmatch(stripped):
        return [], None
    if (m := _LISTING_HEADER.fullmatch(stripped)) is not None:
        return [m.group(1)], None
    start = 0
    if (m := _OBJDUMP_PREFIX.match(text)) is not None:
        start = m.end()
    end = len(text)
    if (m := _ANNOTATION.search(text, start)) is not None:
        end = m.start()
    labels = []
    while (m := _LABEL_DEF.match(text, start, end)) is not None:
        labels.append(m.group(1))
        start = m.end()
    while start < end and text[start].isspace():
        start += 1
    if start == end:
        return labels, None
    return labels, _Line(number, text[start:end], start, source)


def assemble(text: str, *, source: str = "<asm>") -> bytes:
    """Assemble ``text`` (either syntax, see the module doc) into instruction bytes.

    ``source`` names the input in error messages.  Raises :class:`AsmError` with the line and
    column of the first error: unknown mnemonic or directive, invalid register, wrong operand
    count, immediate/offset out of range, undefined or duplicate label.
    """
    items: list[tuple[int, _Parsed]] = []
    labels: dict[str, int] = {}
    pc = 0
    for number, raw in enumerate(text.splitlines(), 1):
        names, line = _split_line(raw, number, source)
        for name in names:
            if name in labels:
                raise AsmError(f"duplicate label {name!r}", number, raw.find(name) + 1, source)
            labels[name] = pc
        if line is not None:
            item = _parse_instruction(line)
            items.append((pc, item))
            pc += item.insn.width
    exits = [pc for pc, item in items if item.insn.spec.kind == "exit"]
    if exits:
        labels.setdefault("exit", exits[0])
    return encode(_resolve(pc, item, labels) for pc, item in items)


def _resolve(pc: int, item: _Parsed, labels: dict[str, int]) -> Insn:
    """Patch a label reference into the pc-relative ``off`` or ``imm`` of its instruction."""
    ref = item.ref
    if ref is None:
        return item.insn
    if ref.name not in labels:
        raise ref.line.error(f"undefined label {ref.name!r}", ref.pos)
    delta = labels[ref.name] - pc - 1
    bits = 16 if ref.field == "off" else 32
    if not -(1 << (bits - 1)) <= delta < 1 << (bits - 1):
        raise ref.line.error(f"jump to {ref.name!r} is out of range ({delta} slots)", ref.pos)
    return item.insn._replace(**{ref.field: delta})
