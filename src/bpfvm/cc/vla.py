"""Variable-length arrays and ``alloca()`` of a run-time size, moved to a shadow stack.

The BPF backend has fixed-size frames and rejects a dynamic ``alloca`` ("unsupported dynamic
stack allocation").  This stage rewrites, in the LLVM IR of each function that has one (an
``alloca`` with a non-constant count, or any ``alloca`` outside the entry block):

* the entry block saves the shadow stack's top: ``%.bpfvm.mark = call ptr @__bpfvm_stacksave()``;
* ``%p = alloca T, iN %n, align A`` → ``%p = call ptr @__bpfvm_alloca(i64 n * sizeof(T), i64 A)``;
* ``llvm.stacksave``/``llvm.stackrestore`` (clang's bracket around a VLA's scope) → calls of
  ``__bpfvm_stacksave``/``__bpfvm_stackrestore``;
* every ``ret`` first restores the mark, so what the function allocated is freed when it
  returns, as with a real stack.

The shadow stack lives in the guest heap (:mod:`bpfvm.libc.alloca`).
"""

from __future__ import annotations

import re

from .argblock import split_operands

__all__ = ["lower_dynamic_allocas"]

_MARK = "%.bpfvm.mark"
_ALLOCA = re.compile(r"^(?P<indent>\s+)(?P<result>%[-\w$.]+|%\"[^\"]*\") = alloca (?P<operands>.*)$")
_LABEL = re.compile(r"^[-\w$.]+:")
_RET = re.compile(r"^\s+ret\b")
_SAVE = re.compile(r"^(?P<indent>\s+)(?P<result>%[-\w$.]+) = (?:tail )?call ptr "
                   r"@llvm\.stacksave(?:\.p0)?\(\)")
_RESTORE = re.compile(r"^(?P<indent>\s+)(?:tail )?call void @llvm\.stackrestore(?:\.p0)?\((?P<arg>[^)]*)\)")
_DECLARATIONS = ("declare ptr @__bpfvm_stacksave()", "declare void @__bpfvm_stackrestore(ptr)",
                 "declare ptr @__bpfvm_alloca(i64, i64)")


def _dynamic(line: str, in_entry: bool) -> tuple[str, str, str, str, str] | None:
    """(indent, result, type, count operand, alignment) of a dynamic ``alloca``, or None."""
    match = _ALLOCA.match(line)
    if match is None:
        return None
    parts = [p for p in split_operands(match["operands"]) if not p.startswith("!")]
    ty, count, align = parts[0], "i64 1", "16"
    for part in parts[1:]:
        if part.startswith("align "):
            align = part.split()[1]
        elif not part.startswith("addrspace"):
            count = part
    if in_entry and not count.split()[-1].startswith("%"):
        return None
    return match["indent"], match["result"], ty, count, align


def _function(lines: list[str]) -> list[str] | None:
    """The body ``lines`` (between ``define`` and ``}``) rewritten, or None if it needs nothing."""
    out: list[str] = []
    counter, in_entry, changed = 0, True, False
    for i, line in enumerate(lines):
        if _LABEL.match(line) and i > 0:
            in_entry = False
        dynamic = _dynamic(line, in_entry)
        save, restore = _SAVE.match(line), _RESTORE.match(line)
        if dynamic:
            indent, result, ty, count, align = dynamic
            counter += 1
            number = f"%.bpfvm.count{counter}"
            count_type, value = count.split()[0], count.split()[-1]
            if count_type == "i64":
                out.append(f"{indent}{number} = add i64 {value}, 0")
            else:
                out.append(f"{indent}{number} = zext {count_type} {value} to i64")
            size = f"ptrtoint (ptr getelementptr ({ty}, ptr null, i32 1) to i64)"
            out.append(f"{indent}%.bpfvm.bytes{counter} = mul i64 {number}, {size}")
            out.append(f"{indent}{result} = call ptr @__bpfvm_alloca(i64 %.bpfvm.bytes{counter}, "
                       f"i64 {align})")
        elif save:
            out.append(f"{save['indent']}{save['result']} = call ptr @__bpfvm_stacksave()")
        elif restore:
            out.append(f"{restore['indent']}call void @__bpfvm_stackrestore({restore['arg']})")
        else:
            out.append(line)
            continue
        changed = True
    if not changed:
        return None
    body = [f"  call void @__bpfvm_stackrestore(ptr {_MARK})\n{line}" if _RET.match(line) else line
            for line in out]
    entry = 1 if body and _LABEL.match(body[0]) else 0
    return body[:entry] + [f"  {_MARK} = call ptr @__bpfvm_stacksave()"] + body[entry:]


def lower_dynamic_allocas(ir: str) -> str:
    """``ir`` with dynamic ``alloca``\\ s on bpfvm's shadow stack (see the module docstring)."""
    if "alloca" not in ir and "@llvm.stacksave" not in ir:
        return ir
    lines = ir.splitlines()
    out: list[str] = []
    used = False
    i = 0
    while i < len(lines):
        out.append(lines[i])
        if not lines[i].startswith("define "):
            i += 1
            continue
        end = i + 1
        while end < len(lines) and lines[end] != "}":
            end += 1
        rewritten = _function(lines[i + 1:end])
        out.extend(rewritten if rewritten is not None else lines[i + 1:end])
        used = used or rewritten is not None
        i = end
    if used:
        declared = {line.split("(")[0] for line in out if line.startswith("declare ")}
        out.extend(d for d in _DECLARATIONS if d.split("(")[0] not in declared)
    return "\n".join(out) + "\n"
