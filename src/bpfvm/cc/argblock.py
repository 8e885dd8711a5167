"""More than five arguments: bpfvm's argument-block calling convention, applied to LLVM IR.

BPF passes at most five arguments, in r1–r5.  A function with more parameters is rewritten to
take its first four as before and, as the fifth, the address of an **argument block**: 8-byte
slots holding parameters 5, 6, … in order (each at its natural offset within its slot, i.e.
little-endian from the slot's start).  The callee loads them at entry, under their old names;
each calling function reserves one block in its entry block (``alloca``, sized for its largest
call) and stores the arguments into it before each call.  Definitions, declarations, direct and
indirect calls with more than five arguments are all rewritten, so they agree with each other
(function pointers are opaque).  A small struct clang coerces to an integer array (``[2 x i64]``)
takes as many slots as it needs.  Calls to variadic functions and parameters passed ``byval``/
``sret`` are left alone (the backend reports them as before).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["MAX_REGISTER_ARGS", "matching_paren", "spill_arguments", "split_operands"]

#: Arguments BPF passes in registers.
MAX_REGISTER_ARGS = 5
_KEPT = MAX_REGISTER_ARGS - 1  # the fifth register carries the block
_BLOCK = "%.bpfvm.argblock"  #: the block a function receives
_OUT = "%.bpfvm.out"  #: the block a function passes to the calls it makes
_SCALAR = re.compile(r"^(?:i(?:[1-9]|[1-5][0-9]|6[0-4])|ptr|float|double)$")  # integers up to 64 bits
_ARRAY = re.compile(r"^\[(\d+) x i(8|16|32|64)\]$")  #: a small struct as clang coerces it, e.g. [2 x i64]
_UNSUPPORTED = ("byval", "sret", "inalloca", "preallocated", "byref")
_DEFINE = re.compile(r"^(define|declare) ")
#: A parameter attribute; one with an argument may nest parentheses: ``initializes((0, 8))``.
_ATTRIBUTE = re.compile(r"(?:noundef|signext|zeroext|nonnull|inreg|noalias|nocapture|readonly|readnone"
                        r"|writeonly|returned|nofree|immarg|align \d+|[a-z_]+\((?:[^()]|\([^()]*\))*\))\s+")
_CALL = re.compile(r"^(\s+)((?:%[-\w$.]+ = )?)((?:tail |musttail |notail )?)call ")


def matching_paren(text: str, open_at: int) -> int:
    """Index of the ``)`` matching the ``(`` at ``open_at``."""
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    raise ValueError("unbalanced parentheses")


def _operand(item: str) -> tuple[str, str]:
    """``i32 noundef %4`` → (``i32``, ``%4``): an operand's type and value, attributes dropped."""
    if item.startswith("["):
        end = item.index("]") + 1
        ty, rest = item[:end], item[end:].lstrip()
    else:
        ty, _, rest = item.partition(" ")
    while match := _ATTRIBUTE.match(rest):
        rest = rest[match.end():]
    return ty, rest


def split_operands(text: str) -> list[str]:
    """Split an operand list at the commas outside brackets and quotes."""
    parts: list[str] = []
    depth, start, quoted = 0, 0, False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif ch in "([{<":
            depth += 1
        elif ch in ")]}>":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def _split(text: str) -> list[str]:
    return [] if not text.strip() else split_operands(text)


@dataclass(frozen=True)
class _Params:
    """A parenthesised list in a line: where it is and its items."""

    start: int  #: index of "("
    end: int  #: index of ")"
    items: list[str]

    @classmethod
    def after(cls, line: str, marker: int) -> _Params:
        start = line.index("(", marker)
        end = matching_paren(line, start)
        return cls(start, end, _split(line[start + 1:end]))

    def movable(self) -> bool:
        """More than five, none variadic, every moved one a scalar without ABI attributes."""
        if len(self.items) <= MAX_REGISTER_ARGS or any(i == "..." for i in self.items):
            return False
        moved = self.items[_KEPT:]
        return all(_slots(_operand(i)[0]) and not any(a in i for a in _UNSUPPORTED) for i in moved)


def _slots(ty: str) -> int:
    """The 8-byte slots a moved argument of type ``ty`` takes (0: it cannot be moved)."""
    if _SCALAR.match(ty):
        return 1
    array = _ARRAY.match(ty)
    return -(-int(array.group(1)) * int(array.group(2)) // 64) if array else 0


def _offsets(items: list[str]) -> tuple[list[int], int]:
    """The byte offset of each moved argument in the block, and the block's size in slots."""
    offsets, slot = [], 0
    for item in items:
        offsets.append(8 * slot)
        slot += _slots(_operand(item)[0])
    return offsets, slot


@dataclass(frozen=True)
class _Header:
    """A rewritten ``define``/``declare`` line and what its body needs."""

    line: str
    loads: list[str]  #: the prologue loading the moved parameters
    renamed: dict[str, str]  #: numbered parameter → the name its load defines
    entry: int  #: the number LLVM gives the (unlabelled) entry block: the numbered params' count


def _header(line: str) -> _Header | None:
    """The header of a function or declaration taking more than five arguments, or None."""
    at = line.find(" @")
    if not _DEFINE.match(line) or at < 0:
        return None
    params = _Params.after(line, at)
    if not params.movable():
        return None
    kept = params.items[:_KEPT] + ([f"ptr noundef {_BLOCK}"] if line.startswith("define") else ["ptr"])
    loads: list[str] = []
    renamed: dict[str, str] = {}
    offsets, _ = _offsets(params.items[_KEPT:])
    for slot, (item, offset) in enumerate(zip(params.items[_KEPT:], offsets, strict=True)):
        ty, name = _operand(item)
        if re.fullmatch(r"%\d+", name):  # numbered values may not be defined out of order
            renamed[name] = name = f"%.bpfvm.param{name[1:]}"
        address = f"{_BLOCK}.{slot}"
        loads.append(f"  {address} = getelementptr inbounds i8, ptr {_BLOCK}, i64 {offset}")
        loads.append(f"  {name} = load {ty}, ptr {address}, align 8")
    entry = sum(1 for item in params.items if re.fullmatch(r"%\d+", item.split()[-1]))
    return _Header(line[:params.start + 1] + ", ".join(kept) + line[params.end:], loads, renamed, entry)


def _rename(lines: list[str], renamed: dict[str, str]) -> list[str]:
    if not renamed:
        return lines
    pattern = re.compile(r"%\d+(?![\w.$-])")
    return [pattern.sub(lambda m: renamed.get(m.group(0), m.group(0)), line) for line in lines]


@dataclass
class _Caller:
    """The function being rewritten: its block size and a counter for fresh names."""

    slots: int = 0
    counter: int = 0

    def call(self, line: str) -> list[str] | None:
        """The stores and the rewritten call for a call line with too many arguments, or None."""
        match = _CALL.match(line)
        if match is None:
            return None
        callee = re.compile(r"[@%][-\w$.]+\(").search(line, match.end())
        if callee is None or "(" in line[match.end():callee.start()] or "@llvm." in callee.group(0):
            return None
        args = _Params.after(line, callee.start())
        if not args.movable():
            return None
        indent, result, _ = match.groups()
        out: list[str] = []
        offsets, size = _offsets(args.items[_KEPT:])
        for item, offset in zip(args.items[_KEPT:], offsets, strict=True):
            self.counter += 1
            address = f"%.bpfvm.arg{self.counter}"
            out.append(f"{indent}{address} = getelementptr inbounds i8, ptr {_OUT}, i64 {offset}")
            out.append(f"{indent}store {' '.join(_operand(item))}, ptr {address}, align 8")
        self.slots = max(self.slots, size)
        kept = ", ".join(args.items[:_KEPT] + [f"ptr {_OUT}"])
        call = line[match.end():args.start + 1] + kept + line[args.end:]
        out.append(f"{indent}{result}call {call}")  # no "tail": the callee reads our block
        return out


def _function(lines: list[str], start: int) -> tuple[list[str], int]:
    """Rewrite the function whose ``define`` line is ``lines[start]``; return it and the next index."""
    header = _header(lines[start])
    body: list[str] = []
    caller = _Caller()
    i = start + 1
    while i < len(lines) and lines[i] != "}":
        body.extend(caller.call(lines[i]) or [lines[i]])
        i += 1
    prologue = [f"  {_OUT} = alloca [{caller.slots} x i64], align 8"] if caller.slots else []
    labelled = bool(body) and body[0].rstrip().endswith(":")
    if header:
        body = _rename(body, header.renamed)
        prologue = ([] if labelled else [f"{header.entry}:"]) + header.loads + prologue
        if labelled:  # a named entry block: the prologue becomes a block of its own
            prologue = [".bpfvm.entry:"] + prologue + [f"  br label %{body[0].rstrip()[:-1]}"]
    elif labelled and prologue:  # a named entry block (value names kept): the alloca goes inside
        body, prologue = [body[0], *prologue, *body[1:]], []
    first = header.line if header else lines[start]
    return [first] + prologue + body + lines[i:i + 1], i + 1


def _forget_memory_effects(lines: list[str]) -> list[str]:
    """Drop ``memory(…)`` from attribute groups: a function clang found not to read memory now
    reads its argument block, and calls to it must not lose the stores before them."""
    effects = re.compile(r" memory\([^)]*\)")
    return [effects.sub("", line) if line.startswith("attributes #") else line for line in lines]


def spill_arguments(ir: str) -> str:
    """``ir`` with every function, declaration and call of more than five arguments rewritten to
    pass arguments 5, 6, … in an argument block (see the module docstring)."""
    lines = ir.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("define "):
            rewritten, i = _function(lines, i)
            out.extend(rewritten)
            continue
        header = _header(line) if line.startswith("declare ") else None
        out.append(header.line if header else line)
        i += 1
    if any(_BLOCK in line or _OUT in line for line in out):
        out = _forget_memory_effects(out)
    return "\n".join(out) + "\n"
