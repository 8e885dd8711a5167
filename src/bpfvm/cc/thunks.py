"""Pointers to libc functions: each becomes the address of a small guest function that calls it.

bpfvm's libc functions are intrinsics, bound by name to ``call`` instructions; they have no
address in guest memory, so ``int (*p)(const char *) = puts`` has nothing to point to.  This
stage, applied to the final LLVM IR of a module, gives each libc function whose address the
module takes a **thunk**: ``define internal @"bpfvm.thunk.<name>"(params…)`` that calls
``@<name>`` with its parameters and returns its result; every use of ``@<name>`` as a value
refers to the thunk instead.  A call through the pointer then calls the thunk, which calls the
intrinsic.  The printf family (:data:`bpfvm.varargs.VA_LIST_TWINS`) is called through a
pointer with a variadic block, which is a ``va_list``: their thunks call ``vprintf`` and friends.

Each module has its own thunk, so a pointer to a libc function taken in one object does not
compare equal to one taken in another.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from .argblock import matching_paren, split_operands
from .varargs import VA_LIST_TWINS

__all__ = ["THUNK_PREFIX", "add_thunks"]

#: Thunks are named ``bpfvm.thunk.<name>``.
THUNK_PREFIX = "bpfvm.thunk."

_DECLARE = re.compile(r"^declare (?P<head>[^@]*)@(?P<name>[-\w$.]+)\(")
_LINKAGE = frozenset(("dso_local", "noundef", "signext", "zeroext", "noalias", "nonnull", "hidden",
                      "extern_weak", "local_unnamed_addr", "unnamed_addr"))
_TYPE = re.compile(r"^(?:i\d+|ptr|float|double|void)$")


def _signature(line: str) -> tuple[str, str, list[str]] | None:
    """``declare`` line → (name, return type, parameter types), or None if not a simple one."""
    match = _DECLARE.match(line)
    if match is None:
        return None
    words = [w for w in match["head"].split() if w not in _LINKAGE and not w.startswith(("align", "#", "!"))]
    start = match.end() - 1
    inside = line[start + 1:matching_paren(line, start)]
    params = [item.split()[0] for item in split_operands(inside)] if inside.strip() else []
    if len(words) != 1 or not _TYPE.match(words[0]) or not all(_TYPE.match(p) for p in params):
        return None
    return match["name"], words[0], params


def _thunk(name: str, ret: str, params: list[str]) -> str:
    target = VA_LIST_TWINS.get(name, name)
    args = ", ".join(f"{ty} %{i}" for i, ty in enumerate(params))
    call = f"call {ret} @{target}({args})"
    body = f"  {call}\n  ret void" if ret == "void" else f"  %r = {call}\n  ret {ret} %r"
    return f'define internal {ret} @"{THUNK_PREFIX}{name}"({args}) {{\n{body}\n}}'


def add_thunks(ir: str, functions: Collection[str]) -> str:
    """``ir`` with each function of ``functions`` it declares and uses as a value replaced, in
    those uses, by a thunk calling it (see the module docstring)."""
    lines = ir.splitlines()
    declared = {sig[0]: sig for line in lines if line.startswith("declare ") and (sig := _signature(line))}
    wanted = [name for name in declared if name in functions]
    if not wanted:
        return ir
    value = re.compile(r"@(" + "|".join(re.escape(n) for n in wanted) + r")(?![-\w$.(])")
    used: set[str] = set()

    def thunk_of(match: re.Match[str]) -> str:
        used.add(match.group(1))
        return f'@"{THUNK_PREFIX}{match.group(1)}"'

    out = [line if line.startswith("declare ") else value.sub(thunk_of, line) for line in lines]
    names = {m.group(1) for line in out if (m := re.match(r"^(?:declare|define) [^@]*@([-\w$.]+)\(", line))}
    for name in sorted(used):
        _, ret, params = declared[name]
        twin = VA_LIST_TWINS.get(name)
        if twin and twin not in names:
            out.append(f"declare {ret} @{twin}({', '.join(params)})")
            names.add(twin)
        out.append(_thunk(name, ret, params))
    return "\n".join(out) + "\n"
