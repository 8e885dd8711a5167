"""Variadic functions: bpfvm's variadic-block calling convention, applied to LLVM IR.

The BPF backend cannot define variadic functions and passes at most five arguments.  This
stage rewrites clang's IR (bpfel, where ``va_list`` is a plain pointer) so that neither is
needed:

* A variadic function ``f(fixed…, ...)`` becomes ``f(fixed…, ptr %.bpfvm.va)``: the extra
  parameter points to a **variadic block** of 8-byte slots holding the variadic arguments in
  order (integers narrower than 64 bits sign- or zero-extended, ``double`` as its bits,
  pointers as addresses; C has already promoted ``float`` and small integers).
* ``llvm.va_start(ap)`` stores that pointer into ``ap``; ``va_arg ap, T`` loads the pointer,
  loads a ``T`` from it and advances it by 8; ``llvm.va_copy`` copies the pointer;
  ``llvm.va_end`` disappears.  So a ``va_list`` is a pointer to the next slot, and a
  ``vprintf``-style intrinsic receives exactly that.
* Every call of a variadic function (direct or through a pointer) stores its variadic
  arguments into a block reserved in the caller's entry block (one ``alloca``, sized for the
  largest such call) and passes its address after the fixed arguments.  Calls of bpfvm's
  register-convention printf intrinsics (:data:`PRINTF_FAMILY`) instead become calls of the
  packed ``__bpfvm_<name>(fixed…, block, count)`` form, so any number of arguments works.

A struct passed through ``...`` takes its bytes' worth of slots when it is at most 16 bytes
(clang passes it as an integer or ``[2 x i64]``) and one slot holding its address when larger
(clang passes those by reference); ``va_arg`` in ``<stdarg.h>`` reads it back the same way.
The printf family taken as a function pointer (``int (*p)(const char *, ...) = printf``) is
called with a variadic block, so :mod:`bpfvm.thunks` binds it to ``vprintf`` and friends
(:data:`VA_LIST_TWINS`).

A function with more than five parameters after this still goes through
:mod:`bpfvm.cc.argblock`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .argblock import matching_paren, split_operands

__all__ = ["PRINTF_FAMILY", "VA_LIST_TWINS", "lower_varargs"]

#: printf-like libc intrinsics with a packed twin ``__bpfvm_<name>(fixed…, argv, nargs)``.
PRINTF_FAMILY = ("printf", "fprintf", "dprintf", "sprintf", "snprintf")

#: Variadic libc functions whose intrinsic takes register arguments → the ``va_list`` function
#: that does the same with a variadic block (what a call through a pointer passes).
VA_LIST_TWINS = {name: f"v{name}" for name in PRINTF_FAMILY}

_VA = "%.bpfvm.va"  #: the block a variadic function receives
_OUT = "%.bpfvm.vaout"  #: the block a function passes to the variadic calls it makes
_SCALAR = re.compile(r"^(?:i(?:[1-9]|[1-5][0-9]|6[0-4])|ptr|double)$")  # integers up to 64 bits
_ARRAY = re.compile(r"^\[(\d+) x i(8|16|32|64)\]$")  #: a struct of 9-16 bytes as clang passes it
_DEFINE = re.compile(r"^(define|declare) ")
_CALL = re.compile(r"^(?P<indent>\s+)(?P<result>(?:%[-\w$.]+ = )?)(?:tail |musttail |notail )?call "
                   r"(?P<ret>[^(]*?)\((?P<fixed>[^()]*?),? ?\.\.\.\) (?P<callee>[@%][-\w$.]+)\(")
_VA_ARG = re.compile(r"^(?P<indent>\s+)(?P<result>%[-\w$.]+) = va_arg ptr (?P<ap>%[-\w$.]+), "
                     r"(?P<ty>[^,]+?)(?P<meta>(?:, !.*)?)$")
_INTRINSIC = re.compile(r"^(?P<indent>\s+)(?:tail )?call void @llvm\.va_(?P<op>start|end|copy)(?:\.p0)?"
                        r"\((?P<args>[^)]*)\)")
_ATTRIBUTES = re.compile(r"^(?:noundef|signext|zeroext|nonnull|noalias|align \d+|[a-z_]+\([^()]*\))\s+")
_PACKED_TYPES = {"printf": "ptr, ptr, i32", "fprintf": "ptr, ptr, ptr, i32", "dprintf": "i32, ptr, ptr, i32",
                 "sprintf": "ptr, ptr, ptr, i32", "snprintf": "ptr, i64, ptr, ptr, i32"}


def _value(item: str) -> tuple[str, str, bool]:
    """``i32 noundef signext %4`` → (``i32``, ``%4``, zero-extended?)."""
    if item.startswith("["):
        end = item.index("]") + 1
        ty, rest = item[:end], item[end:].lstrip()
    else:
        ty, _, rest = item.partition(" ")
    zero = False
    while match := _ATTRIBUTES.match(rest):
        zero = zero or match.group(0).startswith("zeroext")
        rest = rest[match.end():]
    return ty, rest, zero


@dataclass
class _Function:
    """One function body being rewritten: its fresh-name counter and its block's size."""

    lines: list[str] = field(default_factory=list)
    counter: int = 0
    slots: int = 0
    declarations: set[str] = field(default_factory=set)  #: packed printf intrinsics called

    def fresh(self) -> str:
        self.counter += 1
        return f"%.bpfvm.v{self.counter}"

    def line(self, text: str) -> None:
        if not (self._intrinsic(text) or self._va_arg(text) or self._call(text)):
            self.lines.append(text)

    def _intrinsic(self, text: str) -> bool:
        match = _INTRINSIC.match(text)
        if match is None:
            return False
        indent, args = match["indent"], [_value(a)[1] for a in split_operands(match["args"])]
        if match["op"] == "start":
            self.lines.append(f"{indent}store ptr {_VA}, ptr {args[0]}, align 8")
        elif match["op"] == "copy":
            pointer = self.fresh()
            self.lines.append(f"{indent}{pointer} = load ptr, ptr {args[1]}, align 8")
            self.lines.append(f"{indent}store ptr {pointer}, ptr {args[0]}, align 8")
        return True

    def _va_arg(self, text: str) -> bool:
        match = _VA_ARG.match(text)
        if match is None or not _SCALAR.match(match["ty"]):
            return False
        indent, ap = match["indent"], match["ap"]
        slot, after = self.fresh(), self.fresh()
        self.lines += [f"{indent}{slot} = load ptr, ptr {ap}, align 8",
                       f"{indent}{match['result']} = load {match['ty']}, ptr {slot}, align 8{match['meta']}",
                       f"{indent}{after} = getelementptr inbounds i8, ptr {slot}, i64 8",
                       f"{indent}store ptr {after}, ptr {ap}, align 8"]
        return True

    def _call(self, text: str) -> bool:
        match = _CALL.match(text)
        if match is None or match["callee"].startswith("@llvm."):
            return False
        fixed = [t for t in split_operands(match["fixed"]) if t]
        start = match.end() - 1
        end = matching_paren(text, start)
        args = split_operands(text[start + 1:end]) if text[start + 1:end].strip() else []
        extra = [_value(a) for a in args[len(fixed):]]
        if not all(_slots(ty) for ty, _, _ in extra):
            return False
        indent = match["indent"]
        slot = 0
        for ty, value, zero in extra:
            self._store(indent, slot, ty, value, zero)
            slot += _slots(ty)
        self.slots = max(self.slots, slot, 1)
        name = match["callee"][1:]
        if match["callee"].startswith("@") and name in PRINTF_FAMILY:
            self.declarations.add(name)
            packed = args[:len(fixed)] + [f"ptr {_OUT}", f"i32 {slot}"]
            call = f"call i32 @__bpfvm_{name}({', '.join(packed)})"
        else:
            # no function type: LLVM infers it, and :mod:`bpfvm.cc.argblock` then sees the call
            call = f"call {match['ret']}{match['callee']}({', '.join(args[:len(fixed)] + [f'ptr {_OUT}'])})"
        self.lines.append(f"{indent}{match['result']}{call}{text[end + 1:]}")
        return True

    def _store(self, indent: str, slot: int, ty: str, value: str, zero: bool) -> None:
        address = self.fresh()
        self.lines.append(f"{indent}{address} = getelementptr inbounds i8, ptr {_OUT}, i64 {8 * slot}")
        if ty.startswith("i") and ty != "i64" and _SCALAR.match(ty):
            wide = self.fresh()
            extend = "zext" if zero or ty == "i1" else "sext"
            self.lines.append(f"{indent}{wide} = {extend} {ty} {value} to i64")
            ty, value = "i64", wide
        self.lines.append(f"{indent}store {ty} {value}, ptr {address}, align 8")


def _slots(ty: str) -> int:
    """The 8-byte slots a variadic argument of type ``ty`` takes (0: not one bpfvm passes)."""
    if _SCALAR.match(ty):
        return 1
    array = _ARRAY.match(ty)
    return -(-int(array.group(1)) * int(array.group(2)) // 64) if array else 0


def _header(line: str) -> str:
    """A ``define``/``declare`` line with its trailing ``...`` replaced by the block pointer."""
    at = line.find(" @")
    if not _DEFINE.match(line) or at < 0:
        return line
    start = line.index("(", at)
    end = matching_paren(line, start)
    items = split_operands(line[start + 1:end]) if line[start + 1:end].strip() else []
    if not items or items[-1] != "...":
        return line
    block = f"ptr noundef {_VA}" if line.startswith("define") else "ptr"
    return line[:start + 1] + ", ".join(items[:-1] + [block]) + line[end:]


def _body(lines: list[str], start: int, out: list[str], declared: set[str]) -> int:
    """Rewrite the function defined at ``lines[start]`` into ``out``; return the next index."""
    fn = _Function()
    i = start + 1
    while i < len(lines) and lines[i] != "}":
        fn.line(lines[i])
        i += 1
    body = fn.lines
    reserve = [f"  {_OUT} = alloca [{fn.slots} x i64], align 8"] if fn.slots else []
    if reserve and body and body[0].rstrip().endswith(":") and not body[0].startswith(" "):
        body = body[:1] + reserve + body[1:]
    else:
        body = reserve + body
    out.append(_header(lines[start]))
    out.extend(body)
    declared.update(fn.declarations)
    return i


def lower_varargs(ir: str) -> str:
    """``ir`` with variadic definitions, declarations and calls on bpfvm's variadic blocks."""
    if "..." not in ir:
        return ir
    lines = ir.splitlines()
    out: list[str] = []
    needed: set[str] = set()
    i = 0
    while i < len(lines):
        if lines[i].startswith("define "):
            i = _body(lines, i, out, needed)
        else:
            out.append(_header(lines[i]))
            i += 1
    present = {m.group(1) for line in out if (m := re.match(r"^declare [^@]*@__bpfvm_(\w+)\(", line))}
    out.extend(f"declare i32 @__bpfvm_{name}({_PACKED_TYPES[name]})" for name in sorted(needed - present))
    return "\n".join(out) + "\n"
