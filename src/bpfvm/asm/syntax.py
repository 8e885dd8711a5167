"""The vocabulary of the LLVM BPF assembly syntax (what ``llvm-objdump -d`` prints), shared by
the assembler and the disassembler.

The tables here map a spec's ``op`` (see :mod:`bpfvm.isa.opcodes`) to the operator LLVM's BPF
instruction printer uses for it; they never name an opcode number.  The number formatting helpers
reproduce LLVM's: immediates as signed hex (``0x5``, ``-0x5``), jump offsets with an explicit sign
(``+0x2``), memory offsets as ``r1 + 0x8`` / ``r10 - 0x8``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable

from ..isa import SPECS, OpSpec

__all__ = [
    "ALU_OPERATORS",
    "ATOMIC_OPERATORS",
    "JCOND_OPERATORS",
    "hex_imm",
    "mem_operand",
    "signed_hex",
    "spec_index",
]

#: ALU op → compound assignment operator (``mov`` is plain assignment).
ALU_OPERATORS: dict[str, str] = {
    "add": "+=", "sub": "-=", "mul": "*=", "div": "/=", "sdiv": "s/=", "or": "|=", "and": "&=",
    "lsh": "<<=", "rsh": ">>=", "mod": "%=", "smod": "s%=", "xor": "^=", "mov": "=", "arsh": "s>>=",
}

#: Conditional jump op → comparison operator of ``if rD OP x goto +N``.
JCOND_OPERATORS: dict[str, str] = {
    "jeq": "==", "jgt": ">", "jge": ">=", "jset": "&", "jne": "!=", "jsgt": "s>", "jsge": "s>=",
    "jlt": "<", "jle": "<=", "jslt": "s<", "jsle": "s<=",
}

#: Atomic read-modify-write op → operator of ``lock *(u64 *)(rD + off) OP rS``.
ATOMIC_OPERATORS: dict[str, str] = {op: ALU_OPERATORS[op] for op in ("add", "or", "and", "xor")}


def hex_imm(value: int) -> str:
    """Format an immediate as LLVM does: ``0x1f``, ``-0x1``."""
    return f"-{-value:#x}" if value < 0 else f"{value:#x}"


def signed_hex(value: int) -> str:
    """Format a jump displacement with an explicit sign: ``+0x2``, ``-0x1``, ``+0x0``."""
    return f"-{-value:#x}" if value < 0 else f"+{value:#x}"


def mem_operand(reg: int, off: int) -> str:
    """Format a base-plus-offset memory operand: ``r1 + 0x8``, ``r10 - 0x8``."""
    return f"r{reg} - {-off:#x}" if off < 0 else f"r{reg} + {off:#x}"


def spec_index(kinds: Iterable[str], key: Callable[[OpSpec], Hashable]) -> dict[Hashable, OpSpec]:
    """Index the specs of the given kinds by ``key(spec)``; two specs may not share a key.

    Raises :class:`ValueError` if the key does not tell two specs apart (a table bug).
    """
    wanted = set(kinds)
    index: dict[Hashable, OpSpec] = {}
    for spec in SPECS:
        if spec.kind not in wanted:
            continue
        k = key(spec)
        if k in index:
            raise ValueError(f"spec key {k!r} is shared by {index[k].name} and {spec.name}")
        index[k] = spec
    return index
