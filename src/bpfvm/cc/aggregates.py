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
(:mod:`bpfvm.cc.argblock`).

:func:`lower_memory_intrinsics` handles the other thing struct copies need: the backend expands
``llvm.memcpy``/``memmove``/``memset`` inline when the length is a constant of at most 128
stores, and otherwise emits a call of ``memcpy``/``memmove``/``memset``, which it then rejects
("A call to built-in function 'memcpy' is not supported").  Those calls are made calls of
bpfvm's libc functions instead.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .argblock import matching_paren, split_operands

__all__ = ["INLINE_STORES", "lower_aggregates", "lower_memory_intrinsics"]

_SRET = re.compile(r"\bsret\([^()]*\)\s*")
_BYVAL = re.compile(r"\bbyval\(([^()]*)\)\s*")
_ALIGN = re.compile(r"\balign (\d+)")
_MEMCPY = "llvm.memcpy.p0.p0.i64"

#: Memory intrinsics up to this many stores of their alignment's width stay inline (the
#: backend's limit is 128; half of it leaves room for odd tails).
INLINE_STORES = 64
_MEM_CALL = re.compile(r"^(?P<indent>\s+)(?:tail |notail )?call void @llvm\.(?P<op>memcpy|memmove|memset)"
                       r"\.[\w.]+\((?P<args>.*)\)(?P<rest>[^)]*)$")
_LIBC_MEM = {"memcpy": "ptr, ptr, i64", "memmove": "ptr, ptr, i64", "memset": "ptr, i32, i64"}
_PARAM_ATTRIBUTES = re.compile(r"\b(?:noundef|nonnull|noalias|writeonly|readonly|align \d+|"
                               r"dereferenceable(?:_or_null)?\(\d+\)|captures\([^()]*\))\s+")
_SCALAR_SIZE = {"i1": 1, "i8": 1, "i16": 2, "i32": 4, "i64": 8, "ptr": 8, "float": 4, "double": 8}


@dataclass
class _Copies:
    """The by-value parameters of one definition: their copies and the renaming they need."""

    prologue: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)


def _definition(line: str, types: dict[str, str]) -> tuple[str, _Copies]:
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
        known = _size_of(ty, types)
        size = str(known[0]) if known else f"ptrtoint (ptr getelementptr ({ty}, ptr null, i32 1) to i64)"
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
    # The lookahead must bind to every name: ``%1`` is no prefix of ``%10``.
    pattern = re.compile("(?:" + "|".join(re.escape(name) for name in renamed) + r")(?![\w.$-])")
    return pattern.sub(lambda m: renamed[m.group(0)], line)


def _function(lines: list[str], start: int, out: list[str], types: dict[str, str]) -> int:
    """Rewrite the definition at ``lines[start]`` into ``out``; return the index of its ``}``."""
    header, copies = _definition(lines[start], types)
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
    types = _named_types(lines)
    out: list[str] = []
    i = 0
    while i < len(lines):
        if lines[i].startswith("define "):
            i = _function(lines, i, out, types)
            continue
        out.append(_BYVAL.sub("", _SRET.sub("", lines[i])) if lines[i].startswith("declare ") else lines[i])
        i += 1
    if any(_MEMCPY in line for line in out) and not any(line.startswith(f"declare void @{_MEMCPY}(")
                                                        for line in out):
        out.append(f"declare void @{_MEMCPY}(ptr, ptr, i64, i1 immarg)")
    return "\n".join(out) + "\n"


def _named_types(lines: list[str]) -> dict[str, str]:
    """``%struct.x = type { … }`` definitions: name → body."""
    found: dict[str, str] = {}
    for line in lines:
        match = re.match(r"^(%[-\w$.]+|%\"[^\"]*\") = type (.*)$", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def _size_of(ty: str, types: dict[str, str]) -> tuple[int, int] | None:
    """(size, alignment) of an IR type in the BPF data layout, or None if it is not one this
    knows (then the copy's size stays a constant expression)."""
    ty = ty.strip()
    if ty in _SCALAR_SIZE:
        return _SCALAR_SIZE[ty], _SCALAR_SIZE[ty]
    if ty in types:
        return _size_of(types[ty], types)
    array = re.fullmatch(r"\[(\d+) x (.+)\]", ty)
    if array:
        element = _size_of(array.group(2), types)
        return (int(array.group(1)) * element[0], element[1]) if element else None
    packed = ty.startswith("<{")
    if not (ty.startswith("{") or packed):
        return None
    inner = ty.strip("<>{} ")
    size, align = 0, 1
    for field_type in split_operands(inner) if inner else []:
        member = _size_of(field_type, types)
        if member is None:
            return None
        field_align = 1 if packed else member[1]
        size = -(-size // field_align) * field_align + member[0]
        align = max(align, field_align)
    return -(-size // align) * align, align


def _stores(args: list[str], length: str) -> int | None:
    """How many stores the backend would expand a memory intrinsic into, or None if not constant."""
    if not re.fullmatch(r"i(?:32|64) \d+", length):
        return None
    aligns = [int(m.group(1)) for a in args[:2] if a.startswith("ptr") and (m := _ALIGN.search(a))]
    width = min([8, *aligns]) if len(aligns) == (2 if args[1].startswith("ptr") else 1) else 1
    return -(-int(length.split()[1]) // width)


def _memory_call(line: str, fresh: Callable[[], str]) -> list[str] | None:
    """The libc call replacing a memory intrinsic too large to expand inline, or None."""
    match = _MEM_CALL.match(line)
    if match is None:
        return None
    args = split_operands(match["args"])
    stores = _stores(args, args[2])
    if stores is not None and stores <= INLINE_STORES:
        return None
    indent, op = match["indent"], match["op"]
    dst, second, length = (_plain(a) for a in args[:3])
    out: list[str] = []
    if op == "memset":
        fill = fresh()
        out.append(f"{indent}{fill} = zext {second} to i32")
        second = f"i32 {fill}"
    if length.startswith("i32 "):
        wide = fresh()
        out.append(f"{indent}{wide} = zext {length} to i64")
        length = f"i64 {wide}"
    rest = re.sub(r", !DIAssignID !\d+", "", match["rest"])  # only stores and intrinsics carry one
    out.append(f"{indent}{fresh()} = call ptr @{op}({dst}, {second}, {length}){rest}")
    return out


def _plain(item: str) -> str:
    """An operand without parameter attributes: ``ptr noundef align 8 %1`` → ``ptr %1``."""
    ty, _, rest = item.partition(" ")
    return f"{ty} {_PARAM_ATTRIBUTES.sub('', rest)}"


def lower_memory_intrinsics(ir: str) -> str:
    """``ir`` with ``llvm.memcpy/memmove/memset`` calls the backend would not expand inline
    (more than :data:`INLINE_STORES` stores, or a length known only at run time) turned into
    calls of libc's ``memcpy``/``memmove``/``memset``."""
    if "@llvm.mem" not in ir:
        return ir
    out: list[str] = []
    used: set[str] = set()
    names = itertools.count()

    def fresh() -> str:
        return f"%.bpfvm.mem{next(names)}"

    for line in ir.splitlines():
        replaced = _memory_call(line, fresh) if "@llvm.mem" in line else None
        if replaced:
            used.add(replaced[-1].split(" @", 1)[1].split("(", 1)[0])
        out.extend(replaced or [line])
    declared = {m.group(1) for line in out if (m := re.match(r"^declare [^@]*@(\w+)\(", line))}
    out.extend(f"declare ptr @{name}({_LIBC_MEM[name]})" for name in sorted(used - declared))
    return "\n".join(out) + "\n"
