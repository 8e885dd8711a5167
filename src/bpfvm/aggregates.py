"""Structs passed and returned by value, rewritten in LLVM IR to plain pointers.

clang's BPF ABI already passes a struct argument as a pointer marked ``byval(%T)`` and returns a
struct through a first parameter marked ``sret(%T)``, but the backend rejects both attributes
("pass by value not supported", "aggregate returns are not supported").  Without them the same
code is ordinary pointer passing, so this stage:

* drops ``sret(…)`` everywhere: the caller already reserves the result and passes its address;
* drops ``byval(…)`` from declarations and calls, and in each definition gives the callee its
  own copy: the entry block allocates a ``%T`` and ``memcpy``\\ s the argument into it, and the
  body uses the copy (so the caller's struct is never modified, as C requires).

Struct arguments beyond the fifth then travel as pointers in the argument block
(:mod:`bpfvm.argblock`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .argblock import matching_paren, split_operands

__all__ = ["lower_aggregates"]

_SRET = re.compile(r"\bsret\([^()]*\)\s*")
_BYVAL = re.compile(r"\bbyval\(([^()]*)\)\s*")
_ALIGN = re.compile(r"\balign (\d+)")
_MEMCPY = "llvm.memcpy.p0.p0.i64"


@dataclass
class _Copies:
    """The by-value parameters of one definition: their copies and the renaming they need."""

    prologue: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)


def _definition(line: str) -> tuple[str, _Copies]:
    """A ``define`` line without ``byval``/``sret``, and the copies its by-value parameters need."""
    copies = _Copies()
    start = line.index("(", line.index(" @"))
    end = matching_paren(line, start)
    items = split_operands(line[start + 1:end]) if line[start + 1:end].strip() else []
    for i, item in enumerate(items):
        match = _BYVAL.search(item)
        if match is None:
            continue
        ty, name = match.group(1), item.split()[-1]
        align = _ALIGN.search(item)
        copy = f"%.bpfvm.byval.{name.strip('%').replace('.', '_')}"
        size = f"ptrtoint (ptr getelementptr ({ty}, ptr null, i32 1) to i64)"
        alignment = f"align {align.group(1)} " if align else ""
        copies.prologue += [f"  {copy} = alloca {ty}, {alignment or 'align 8 '}".rstrip(),
                            f"  call void @{_MEMCPY}(ptr {alignment}{copy}, ptr {alignment}{name}, "
                            f"i64 {size}, i1 false)"]
        copies.renamed[name] = copy
        items[i] = _BYVAL.sub("", item)
    return _SRET.sub("", line[:start + 1] + ", ".join(items) + line[end:]), copies


def _rename(line: str, renamed: dict[str, str]) -> str:
    if not renamed:
        return line
    pattern = re.compile("|".join(re.escape(name) for name in renamed) + r"(?![\w.$-])")
    return pattern.sub(lambda m: renamed[m.group(0)], line)


def _function(lines: list[str], start: int, out: list[str]) -> int:
    """Rewrite the definition at ``lines[start]`` into ``out``; return the index of its ``}``."""
    header, copies = _definition(lines[start])
    out.append(header)
    i = start + 1
    if copies.prologue and i < len(lines) and re.match(r"^[-\w$.]+:", lines[i]):
        out.append(lines[i])  # a labelled entry block: the copies go inside it
        i += 1
    out.extend(copies.prologue)
    while i < len(lines) and lines[i] != "}":
        out.append(_rename(_BYVAL.sub("", _SRET.sub("", lines[i])), copies.renamed))
        i += 1
    return i


def lower_aggregates(ir: str) -> str:
    """``ir`` with ``sret``/``byval`` parameters, arguments and declarations as plain pointers."""
    if "byval(" not in ir and "sret(" not in ir:
        return ir
    lines = ir.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        if lines[i].startswith("define "):
            i = _function(lines, i, out)
            continue
        out.append(_BYVAL.sub("", _SRET.sub("", lines[i])) if lines[i].startswith("declare ") else lines[i])
        i += 1
    if any(_MEMCPY in line for line in out) and not any(line.startswith(f"declare void @{_MEMCPY}(")
                                                        for line in out):
        out.append(f"declare void @{_MEMCPY}(ptr, ptr, i64, i1 immarg)")
    return "\n".join(out) + "\n"
