"""Overflow-checked multiplication without 128-bit arithmetic.

clang turns ``SIZE_MAX / size < n`` (calloc-style overflow checks) and ``__builtin_umull_overflow``
into ``llvm.umul.with.overflow.i64``, which the BPF backend expands into a 128-bit multiply, a
call of libgcc's ``__multi3`` that BPF does not have.  :func:`lower_overflow_multiply` rewrites
each such call (LLVM LangRef, "llvm.umul.with.overflow.*") into 64-bit operations::

    product  = a * b                     (wrapping)
    overflow = a != 0 && product / a != b

and rebuilds the ``{ i64, i1 }`` result with ``insertvalue``, so its users are untouched.
"""

from __future__ import annotations

import re

__all__ = ["lower_overflow_multiply"]

_CALL = re.compile(r"^(?P<indent>\s+)(?P<result>%[-\w$.]+) = (?:tail |notail |musttail )?call "
                   r"\{ i64, i1 \} @llvm\.umul\.with\.overflow\.i64\("
                   r"i64 (?:noundef )?(?P<a>[^,()]+), i64 (?:noundef )?(?P<b>[^,()]+)\)(?P<rest>.*)$")


def lower_overflow_multiply(ir: str) -> str:
    """``ir`` with every ``llvm.umul.with.overflow.i64`` call as 64-bit multiply and divide."""
    if "@llvm.umul.with.overflow.i64(" not in ir:
        return ir
    out: list[str] = []
    for count, line in enumerate(ir.splitlines()):
        match = _CALL.match(line)
        if match is None:
            out.append(line)
            continue
        i, a, b = match["indent"], match["a"].strip(), match["b"].strip()
        dbg = re.search(r"!dbg ![0-9]+", match["rest"])
        tail = f", {dbg.group(0)}" if dbg else ""
        t = f"%.bpfvm.umul{count}"
        out += [f"{i}{t}.p = mul i64 {a}, {b}{tail}",
                f"{i}{t}.z = icmp eq i64 {a}, 0{tail}",
                f"{i}{t}.d = select i1 {t}.z, i64 1, i64 {a}{tail}",
                f"{i}{t}.q = udiv i64 {t}.p, {t}.d{tail}",
                f"{i}{t}.ne = icmp ne i64 {t}.q, {b}{tail}",
                f"{i}{t}.o = select i1 {t}.z, i1 false, i1 {t}.ne{tail}",
                f"{i}{t}.r = insertvalue {{ i64, i1 }} poison, i64 {t}.p, 0{tail}",
                f"{i}{match['result']} = insertvalue {{ i64, i1 }} {t}.r, i1 {t}.o, 1{tail}"]
    return "\n".join(out) + "\n"
