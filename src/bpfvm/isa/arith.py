"""All fixed-width and signed arithmetic of eBPF, in one place (RFC 9669 §4).

Registers hold unsigned 64-bit values (Python ints in ``[0, 2**64)``).  Each operation is
written once, as a Python *expression template* over ``{a}`` (the destination value) and
``{b}`` (the source operand, already sign-extended to 64 bits when it came from ``imm``).
From the templates we derive:

* the callables :func:`alu`, :func:`jump_taken`, :func:`byteswap` (the reference semantics,
  used by tests, helpers and to check the JIT), and
* the interpreter's generated code, which pastes the same templates into Python source.

Semantics, per RFC 9669: 32-bit ALU ops use the low 32 bits of their operands and zero-extend
the result; division by zero gives 0; unsigned modulo by zero leaves the dividend (the low 32
bits, zero-extended, for 32-bit ops); signed division truncates toward zero and ``INT_MIN / -1``
wraps to ``INT_MIN``; signed modulo takes the sign of the dividend; shift amounts are masked to
5 or 6 bits; ``le`` conversions truncate on this little-endian machine, ``be`` and ``bswap`` swap.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = [
    "ALU_EXPR",
    "END_EXPR",
    "JMP_EXPR",
    "M32",
    "M64",
    "NAMESPACE",
    "alu",
    "byteswap",
    "imm64",
    "jump_taken",
    "sdiv",
    "sext",
    "smod",
]

M32 = 0xFFFF_FFFF
M64 = 0xFFFF_FFFF_FFFF_FFFF
_L32 = "0xffffffff"
_L64 = "0xffffffffffffffff"


def sext(value: int, bits: int) -> int:
    """Interpret the low ``bits`` bits of ``value`` as a two's-complement signed integer."""
    sign = 1 << (bits - 1)
    return ((value & ((1 << bits) - 1)) ^ sign) - sign


def imm64(imm: int) -> int:
    """A signed 32-bit immediate sign-extended to 64 bits, as an unsigned register value."""
    return imm & M64


def sdiv(x: int, y: int) -> int:
    """C division of signed ints, truncating toward zero; ``x / 0`` is 0."""
    if y == 0:
        return 0
    q = abs(x) // abs(y)
    return -q if (x < 0) != (y < 0) else q


def smod(x: int, y: int) -> int:
    """C remainder of signed ints (sign of the dividend); ``x % 0`` is ``x``."""
    if y == 0:
        return x
    r = abs(x) % abs(y)
    return -r if x < 0 else r


def _bswap(value: int, nbytes: int) -> int:
    return int.from_bytes((value & ((1 << (nbytes * 8)) - 1)).to_bytes(nbytes, "little"), "big")


def _sx(value: str, bits: int, mask: str) -> str:
    sign = 1 << (bits - 1)
    return f"((({value} & {hex((1 << bits) - 1)}) ^ {hex(sign)}) - {hex(sign)}) & {mask}"


def _alu_templates() -> dict[tuple[str, int], str]:
    t: dict[tuple[str, int], str] = {}
    for bits, mask, sh in ((64, _L64, 63), (32, _L32, 31)):
        lo = "{a}" if bits == 64 else f"({{a}} & {_L32})"
        blo = "{b}" if bits == 64 else f"({{b}} & {_L32})"
        t[("add", bits)] = f"({{a}} + {{b}}) & {mask}"
        t[("sub", bits)] = f"({{a}} - {{b}}) & {mask}"
        t[("mul", bits)] = f"({{a}} * {{b}}) & {mask}"
        t[("or", bits)] = f"({{a}} | {{b}}) & {mask}" if bits == 32 else "{a} | {b}"
        t[("and", bits)] = f"{{a}} & {{b}} & {mask}" if bits == 32 else "{a} & {b}"
        t[("xor", bits)] = f"({{a}} ^ {{b}}) & {mask}" if bits == 32 else "{a} ^ {b}"
        t[("lsh", bits)] = f"({{a}} << ({{b}} & {sh})) & {mask}"
        t[("rsh", bits)] = f"{lo} >> ({{b}} & {sh})"
        t[("arsh", bits)] = f"(((({lo}) ^ {hex(1 << sh)}) - {hex(1 << sh)}) >> ({{b}} & {sh})) & {mask}"
        t[("neg", bits)] = f"(-{{a}}) & {mask}"
        t[("mov", bits)] = "{b}" if bits == 64 else f"{{b}} & {mask}"
        t[("div", bits)] = f"({lo} // {blo}) if {blo} else 0"
        t[("mod", bits)] = f"({lo} % {blo}) if {blo} else {lo}"
        t[("sdiv", bits)] = f"_sdiv(_sext({{a}}, {bits}), _sext({{b}}, {bits})) & {mask}"
        t[("smod", bits)] = f"_smod(_sext({{a}}, {bits}), _sext({{b}}, {bits})) & {mask}"
        for w in (8, 16, 32):
            if w < bits:
                t[(f"movsx{w}", bits)] = _sx("{b}", w, mask)
    return t


#: (op, bits) → expression computing the new destination value from ``{a}`` and ``{b}``.
ALU_EXPR: dict[tuple[str, int], str] = _alu_templates()

#: byte-order op (``le16`` … ``bswap64``) → expression over ``{a}``.
END_EXPR: dict[str, str] = {
    "le16": "{a} & 0xffff", "le32": f"{{a}} & {_L32}", "le64": "{a}",
    "be16": "_bswap({a}, 2)", "be32": "_bswap({a}, 4)", "be64": "_bswap({a}, 8)",
    "bswap16": "_bswap({a}, 2)", "bswap32": "_bswap({a}, 4)", "bswap64": "_bswap({a}, 8)",
}


def _jmp_templates() -> dict[tuple[str, int], str]:
    t: dict[tuple[str, int], str] = {}
    for bits in (64, 32):
        a = "{a}" if bits == 64 else f"({{a}} & {_L32})"
        b = "{b}" if bits == 64 else f"({{b}} & {_L32})"
        s = hex(1 << (bits - 1))
        for op, rel in (("jeq", "=="), ("jne", "!="), ("jgt", ">"), ("jge", ">="), ("jlt", "<"),
                        ("jle", "<=")):
            t[(op, bits)] = f"{a} {rel} {b}"
        for op, rel in (("jsgt", ">"), ("jsge", ">="), ("jslt", "<"), ("jsle", "<=")):
            t[(op, bits)] = f"({a} ^ {s}) {rel} ({b} ^ {s})"
        t[("jset", bits)] = f"{{a}} & {{b}} & {_L32}" if bits == 32 else "{a} & {b}"
    return t


#: (op, bits) → boolean-valued expression: is the conditional jump taken?
JMP_EXPR: dict[tuple[str, int], str] = _jmp_templates()

#: Names the templates refer to; generated code must evaluate them in this namespace.
NAMESPACE: dict[str, object] = {"_sdiv": sdiv, "_smod": smod, "_sext": sext, "_bswap": _bswap}


def _compile(template: str, *names: str) -> Callable[..., int]:
    args = ", ".join(names)
    body = template.format(**{n: n for n in names})
    return eval(f"lambda {args}: {body}", dict(NAMESPACE))  # noqa: S307 - our own templates


_ALU_FN = {key: _compile(expr, "a", "b") for key, expr in ALU_EXPR.items()}
_JMP_FN = {key: _compile(expr, "a", "b") for key, expr in JMP_EXPR.items()}
_END_FN = {key: _compile(expr, "a") for key, expr in END_EXPR.items()}


def alu(op: str, bits: int, a: int, b: int) -> int:
    """Apply ALU ``op`` (``add`` … ``movsx16``) of width ``bits`` to register values ``a``, ``b``."""
    return _ALU_FN[(op, bits)](a, b)


def jump_taken(op: str, bits: int, a: int, b: int) -> bool:
    """Whether conditional jump ``op`` (``jeq`` … ``jsle``) of width ``bits`` is taken."""
    return bool(_JMP_FN[(op, bits)](a, b))


def byteswap(op: str, a: int) -> int:
    """Apply byte-order op ``le16`` … ``bswap64`` to register value ``a``."""
    return _END_FN[op](a)
