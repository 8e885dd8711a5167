"""Classic BPF as text: tcpdump's ``-d``/``-dd``/``-ddd`` and the kernel's ``bpf_asm`` syntax.

``format_d`` is libpcap's ``bpf_image`` line by line (``(%03d) %-8s %s``, jumps
``(%03d) %-8s %-16s jt %d\\tjf %d``) — byte-identical to ``tcpdump -d`` of tcpdump 4.99 /
libpcap 1.10, trailing spaces of operand-less mnemonics (``tax``, ``ret`` of A) included, and
``unimp 0x..`` for codes libpcap 1.10 has no name for (``ldx len``).  ``format_dd`` and
``format_ddd`` are ``bpf_dump``'s C-array and decimal forms.  Each has a parser back.  Parsing
``-d`` text loses what ``bpf_image`` does not print: ``k`` of ``ret a``/``tax``/``unimp``.

``bpf_asm`` is the syntax of the kernel's ``tools/bpf/bpf_asm`` (``bpf_exp.l``/``bpf_exp.y``):
labels (``name:``), ``#k``, ``[k]``, ``[x + k]``, ``M[k]``, ``4*([k]&0xf)``, ``#len`` and the
ancillary names (``ld #proto`` …), ``jneq``/``jlt``/``jle`` pseudo-jumps, comments ``;``,
``/* */`` and ``#`` at line start.  :func:`format_asm` prints parseable ``bpf_asm`` source.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .errors import CbpfError, FilterSyntaxError
from .insn import SockFilter, from_tuples
from .opcodes import ANCILLARY, ANCILLARY_BY_NAME, JMP, SKF_AD_OFF, SPECS, CbpfSpec

__all__ = [
    "format_asm",
    "format_d",
    "format_dd",
    "format_ddd",
    "image",
    "parse_asm",
    "parse_d",
    "parse_dd",
    "parse_ddd",
]


def _s32(value: int) -> int:
    value &= 0xFFFF_FFFF
    return value - (1 << 32) if value >> 31 else value


def _c_format(fmt: str, value: int) -> str:
    """C's printf of one int with ``%d`` or ``0x%x`` (``%x`` of a negative int is unsigned)."""
    return fmt.replace("%d", str(_s32(value))).replace("%x", f"{value & 0xFFFF_FFFF:x}")


def image(insn: SockFilter, n: int) -> str:
    """One line of ``tcpdump -d``: libpcap's ``bpf_image(insn, n)``."""
    spec = insn.spec if insn.known else None
    if spec is None or spec.tcpdump is None:
        op, operand = "unimp", f"0x{insn.code:x}"
    elif spec.kind == "ja":
        op, operand = spec.mnemonic, _c_format(spec.tcpdump, n + 1 + insn.k)
    else:
        op, operand = spec.mnemonic, _c_format(spec.tcpdump, insn.k)
    if insn.code & 0x07 == JMP and insn.code & 0xF0 != 0:
        return f"({n:03d}) {op:<8} {operand:<16} jt {n + 1 + insn.jt}\tjf {n + 1 + insn.jf}"
    return f"({n:03d}) {op:<8} {operand}"


def format_d(insns: Sequence[SockFilter]) -> str:
    """``tcpdump -d``: one ``bpf_image`` line per instruction."""
    return "".join(image(insn, n) + "\n" for n, insn in enumerate(insns))


def format_dd(insns: Sequence[SockFilter]) -> str:
    """``tcpdump -dd``: a C array body, ``{ 0x%x, %d, %d, 0x%08x },`` per instruction."""
    return "".join(f"{{ 0x{i.code:x}, {i.jt}, {i.jf}, 0x{i.k:08x} }},\n" for i in insns)


def format_ddd(insns: Sequence[SockFilter]) -> str:
    """``tcpdump -ddd``: the count, then ``code jt jf k`` in decimal per line."""
    return f"{len(insns)}\n" + "".join(f"{i.code} {i.jt} {i.jf} {i.k}\n" for i in insns)


# -- parsing tcpdump's forms ---------------------------------------------------------------------

_D_LINE = re.compile(r"^\((\d+)\)\s+(\S+)\s*(.*?)\s*(?:jt\s+(\d+)\s+jf\s+(\d+))?\s*$")
_DD_LINE = re.compile(
    r"^\{\s*(0x[0-9a-fA-F]+|\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(0x[0-9a-fA-F]+|\d+)\s*\},?$"
)


def _d_form(operand: str) -> tuple[str, str]:
    """The operand's form (a key of :data:`_BY_FORM`) and its number text."""
    patterns = (
        ("len", r"#pktlen"),
        ("mem", r"M\[(-?\d+)\]"),
        ("ind", r"\[x \+ (-?\d+)\]"),
        ("msh", r"4\*\(\[(-?\d+)\]&0xf\)"),
        ("abs", r"\[(-?\d+)\]"),
        ("#", r"#(-?(?:0x)?[0-9a-f]+)"),
        ("x", r"x"),
        ("", r""),
        ("n", r"(-?\d+)"),
        ("unimp", r"0x([0-9a-f]+)"),
    )
    for form, pattern in patterns:
        match = re.fullmatch(pattern, operand)
        if match:
            return form, match.group(1) if match.groups() else ""
    return "?", operand


def _d_key(spec: CbpfSpec) -> tuple[str, str]:
    form = {"imm": "#", "k": "#", "a": "", "": ""}.get(spec.mode, spec.mode)
    if spec.kind == "ja":
        form = "n"
    return spec.mnemonic, form


_BY_FORM: dict[tuple[str, str], CbpfSpec] = {_d_key(s): s for s in SPECS if s.tcpdump is not None}


def _number(text: str) -> int:
    return int(text, 16) if text.lower().lstrip("-").startswith("0x") else int(text)


def parse_d(text: str, source: str = "<tcpdump -d>") -> tuple[SockFilter, ...]:
    """Parse ``tcpdump -d`` output back into instructions; raises :class:`FilterSyntaxError`."""
    rows: list[tuple[int, int, int, int]] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _D_LINE.match(line)
        if not match or int(match.group(1)) != len(rows):
            raise FilterSyntaxError(
                f"not a tcpdump -d line for instruction {len(rows)}: {line!r}", lineno, source
            )
        n, op, operand = len(rows), match.group(2), match.group(3)
        form, value = _d_form(operand)
        jt = int(match.group(4)) - n - 1 if match.group(4) else 0
        jf = int(match.group(5)) - n - 1 if match.group(5) else 0
        if op == "unimp" and form == "unimp":
            rows.append((int(value, 16), jt, jf, 0))
            continue
        spec = _BY_FORM.get((op, form))
        if spec is None:
            raise FilterSyntaxError(f"unknown instruction {op} {operand}".rstrip(), lineno, source)
        k = (_number(value) - n - 1 if spec.kind == "ja" else _number(value)) if value else 0
        if not (0 <= jt < 256 and 0 <= jf < 256):
            raise FilterSyntaxError("jump targets out of range", lineno, source)
        rows.append((spec.code, jt, jf, k & 0xFFFF_FFFF))
    return from_tuples(rows)


def parse_dd(text: str, source: str = "<tcpdump -dd>") -> tuple[SockFilter, ...]:
    """Parse ``tcpdump -dd`` output (a C array body, braces per instruction)."""
    rows = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        match = _DD_LINE.match(line)
        if not match:
            raise FilterSyntaxError(f"not a tcpdump -dd line: {line!r}", lineno, source)
        rows.append(tuple(_number(g) for g in match.groups()))
    return _rows(rows, source)


def parse_ddd(text: str, source: str = "<tcpdump -ddd>") -> tuple[SockFilter, ...]:
    """Parse ``tcpdump -ddd`` output (count line, then ``code jt jf k``); lines may also be
    separated by commas, as ``bpf_asm`` prints them and ``iptables -m bpf`` takes them."""
    items = [item.strip() for item in re.split(r"[,\n]", text) if item.strip()]
    if not items or not items[0].isdigit():
        raise FilterSyntaxError("tcpdump -ddd text starts with the instruction count", 1, source)
    rows = []
    for lineno, item in enumerate(items[1:], 2):
        fields = item.split()
        if len(fields) != 4 or not all(f.isdigit() for f in fields):
            raise FilterSyntaxError(f"not 'code jt jf k': {item!r}", lineno, source)
        rows.append(tuple(int(f) for f in fields))
    if len(rows) != int(items[0]):
        raise FilterSyntaxError(f"count says {items[0]} instructions, found {len(rows)}", 1, source)
    return _rows(rows, source)


def _rows(rows: Sequence[Sequence[int]], source: str) -> tuple[SockFilter, ...]:
    try:
        return from_tuples(rows)
    except CbpfError as exc:
        raise FilterSyntaxError(exc.reason, (exc.pc or 0) + 1, source) from exc


# -- bpf_asm -------------------------------------------------------------------------------------


def _asm_operand(insn: SockFilter, labels: dict[int, str]) -> str:
    spec, k = insn.spec, insn.k
    if (
        spec.kind == "ld"
        and spec.mode == "abs"
        and k >= SKF_AD_OFF
        and k - SKF_AD_OFF in ANCILLARY_BY_NAME.values()
    ):
        return f"#{ANCILLARY[k - SKF_AD_OFF]}"
    forms = {
        "imm": f"#{k:#x}",
        "mem": f"M[{k}]",
        "len": "#len",
        "msh": f"4*([{_s32(k)}]&0xf)",
        "abs": f"[{_s32(k)}]",
        "ind": f"[x + {_s32(k)}]",
        "x": "x",
        "a": "a",
        "": "",
    }
    if spec.kind in ("alu", "jmp") and spec.mode == "k":
        return f"#{k:#x}"
    if spec.kind == "ret" and spec.mode == "k":
        return f"#{k}"
    return forms[spec.mode]


def format_asm(insns: Sequence[SockFilter]) -> str:
    """The program as ``bpf_asm`` source, jump targets as labels ``L<n>``; raises
    :class:`CbpfError` for codes ``bpf_asm`` cannot express."""
    targets: set[int] = set()
    for n, insn in enumerate(insns):
        spec = insn.spec
        if spec.kind == "ja":
            targets.add((n + 1 + insn.k) & 0xFFFF_FFFF)
        elif spec.kind == "jmp":
            targets |= {n + 1 + insn.jt, n + 1 + insn.jf}
    labels = {t: f"L{t}" for t in sorted(targets)}
    lines = []
    for n, insn in enumerate(insns):
        spec = insn.spec
        if spec.kind == "ja":
            text = f"jmp {labels[(n + 1 + insn.k) & 0xFFFF_FFFF]}"
        elif spec.kind == "jmp":
            jt, jf = labels[n + 1 + insn.jt], labels[n + 1 + insn.jf]
            text = f"{spec.mnemonic} {_asm_operand(insn, labels)}, {jt}, {jf}"
        else:
            text = f"{spec.mnemonic} {_asm_operand(insn, labels)}".rstrip()
        prefix = f"{labels[n]}:" if n in labels else ""
        lines.append(f"{prefix}\t{text}\n")
    return "".join(lines)


_COMMENTS = re.compile(r"/\*.*?\*/", re.S)
_LABEL = r"[A-Za-z_][A-Za-z0-9_]+"
_NUM = r"[-+]?(?:0x[0-9a-fA-F]+|0b[01]+|0[0-7]*|[1-9][0-9]*)"
_JUMP_OPS = {"jeq": 0x15, "jgt": 0x25, "jge": 0x35, "jset": 0x45}
_INVERTED = {"jneq": "jeq", "jne": "jeq", "jlt": "jge", "jle": "jgt"}
_ALU = {s.op: s.code & ~0x08 for s in SPECS if s.kind == "alu" and s.mode == "k"}


def _asm_number(text: str) -> int:
    """A number as ``bpf_exp.l`` reads it: 0x hex, 0b binary, 0-prefixed octal, decimal."""
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-").lower()
    if body.startswith("0x"):
        value = int(body, 16)
    elif body.startswith("0b"):
        value = int(body[2:], 2)
    elif body.startswith("0") and len(body) > 1:
        value = int(body[1:], 8)
    else:
        value = int(body)
    return (sign * value) & 0xFFFF_FFFF


def _load(op: str, operand: str) -> tuple[int, int] | None:
    """(code, k) of an ``ld``/``ldh``/``ldb``/``ldi``/``ldx``/``ldxb``/``ldxi``/``st``/``stx``."""
    size = {"ld": 0x00, "ldh": 0x08, "ldb": 0x10, "ldi": 0x00}.get(op)
    operand = re.sub(r"\s+", "", operand)
    if op in ("st", "stx"):
        match = re.fullmatch(rf"M\[({_NUM})\]", operand)
        return ((0x02 if op == "st" else 0x03), _asm_number(match.group(1))) if match else None
    if op in ("ldi", "ldxi") or (op in ("ld", "ldx") and re.fullmatch(rf"#({_NUM})", operand)):
        match = re.fullmatch(rf"#?({_NUM})", operand)
        return (0x00 if op in ("ld", "ldi") else 0x01, _asm_number(match.group(1))) if match else None
    name = operand.lstrip("#")
    if operand.lstrip("#") in ("len", "pktlen") and op in ("ld", "ldx"):
        return (0x80 if op == "ld" else 0x81), 0
    if size is not None and op != "ldi" and name in ANCILLARY_BY_NAME:
        return 0x20 | size, SKF_AD_OFF + ANCILLARY_BY_NAME[name]
    if op in ("ld", "ldx") and (match := re.fullmatch(rf"M\[({_NUM})\]", operand)):
        return (0x60 if op == "ld" else 0x61), _asm_number(match.group(1))
    if op in ("ldx", "ldxb") and (match := re.fullmatch(rf"4\*\(\[({_NUM})\]&0xf\)", operand, re.I)):
        return 0xB1, _asm_number(match.group(1))
    if size is not None and (match := re.fullmatch(rf"\[%?x\+({_NUM})\]", operand)):
        return 0x40 | size, _asm_number(match.group(1))
    if size is not None and (match := re.fullmatch(rf"\[({_NUM})\]", operand)):
        return 0x20 | size, _asm_number(match.group(1))
    return None


class _Asm:
    """One ``bpf_asm`` source being assembled: statements first, labels resolved after."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.labels: dict[str, int] = {}
        self.stmts: list[tuple[int, str, str]] = []  # (line, mnemonic, operand)

    def error(self, message: str, line: int) -> FilterSyntaxError:
        return FilterSyntaxError(message, line, self.source)

    def read(self, text: str) -> None:
        text = _COMMENTS.sub(lambda m: "\n" * m.group(0).count("\n"), text)
        for lineno, raw in enumerate(text.splitlines(), 1):
            line = raw.split(";", 1)[0].strip()
            if not line or raw.startswith("#"):
                continue
            while match := re.match(rf"({_LABEL})\s*:\s*", line):
                if match.group(1) in self.labels:
                    raise self.error(f"duplicate label {match.group(1)}", lineno)
                self.labels[match.group(1)] = len(self.stmts)
                line = line[match.end() :]
            if line:
                op, _, operand = line.partition(" ")
                self.stmts.append((lineno, op.lower(), operand.strip()))

    def target(self, name: str, pc: int, line: int, *, byte: bool) -> int:
        if name not in self.labels:
            raise self.error(f"undefined label {name}", line)
        off = self.labels[name] - pc - 1
        if byte and not 0 <= off <= 255:
            raise self.error(f"jump to {name} out of range (offset {off})", line)
        return off & 0xFFFF_FFFF  # ja: a backward target wraps, as libpcap's protochain code has it

    def insn(self, pc: int, line: int, op: str, operand: str) -> tuple[int, int, int, int]:
        if (load := _load(op, operand)) is not None:
            return (load[0], 0, 0, load[1])
        compact = re.sub(r"\s+", "", operand)
        if op in ("jmp", "ja"):
            return (0x05, 0, 0, self.target(operand, pc, line, byte=False))
        if op in _JUMP_OPS or op in _INVERTED:
            return self.jump(pc, line, op, compact)
        if op in _ALU or op == "neg":
            return self.alu(line, op, compact)
        if op == "ret":
            if compact.lower() in ("a", "%a"):
                return (0x16, 0, 0, 0)
            if compact.lower() in ("x", "%x"):
                return (0x0E, 0, 0, 0)
            if match := re.fullmatch(rf"#?({_NUM})", compact):
                return (0x06, 0, 0, _asm_number(match.group(1)))
        if op in ("tax", "txa") and not compact:
            return ((0x07 if op == "tax" else 0x87), 0, 0, 0)
        raise self.error(f"cannot assemble {op} {operand}".rstrip(), line)

    def jump(self, pc: int, line: int, op: str, operand: str) -> tuple[int, int, int, int]:
        parts = operand.split(",")
        value, labels = parts[0], parts[1:]
        if value.lower() in ("x", "%x"):
            code, k = _JUMP_OPS[_INVERTED.get(op, op)] | 0x08, 0
        elif match := re.fullmatch(rf"#?({_NUM})", value):
            code, k = _JUMP_OPS[_INVERTED.get(op, op)], _asm_number(match.group(1))
        else:
            raise self.error(f"{op}: bad operand {value!r}", line)
        if not 1 <= len(labels) <= (1 if op in _INVERTED else 2):
            raise self.error(f"{op}: wrong number of labels", line)
        offs = [self.target(name, pc, line, byte=True) for name in labels]
        if op in _INVERTED:
            return (code, 0, offs[0], k)
        return (code, offs[0], offs[1] if len(offs) > 1 else 0, k)

    def alu(self, line: int, op: str, operand: str) -> tuple[int, int, int, int]:
        if op == "neg":
            if operand:
                raise self.error("neg takes no operand", line)
            return (0x84, 0, 0, 0)
        if operand.lower() in ("x", "%x"):
            return (_ALU[op] | 0x08, 0, 0, 0)
        if match := re.fullmatch(rf"#?({_NUM})", operand):
            return (_ALU[op], 0, 0, _asm_number(match.group(1)))
        raise self.error(f"{op}: bad operand {operand!r}", line)


def parse_asm(text: str, source: str = "<bpf_asm>") -> tuple[SockFilter, ...]:
    """Assemble ``bpf_asm`` source; raises :class:`FilterSyntaxError` naming the line."""
    asm = _Asm(source)
    asm.read(text)
    if not asm.stmts:
        raise FilterSyntaxError("no instructions", 1, source)
    for name, at in asm.labels.items():
        if at >= len(asm.stmts):
            raise FilterSyntaxError(f"label {name} is at the end of the program", asm.stmts[-1][0], source)
    rows = [asm.insn(pc, line, op, operand) for pc, (line, op, operand) in enumerate(asm.stmts)]
    return from_tuples(rows)
