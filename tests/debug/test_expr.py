"""Debugger expressions evaluate as C evaluates them (checked against gcc on the same text)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bpfvm.debug.expr import ADDRESS_PREFIX, ExprError, evaluate

EXPRESSIONS = [
    "-7 / 2", "-7 % 2", "7 % -3", "1 << 10 | 3", "5 > 3 && 2 < 1", "!0 + ~5", "(3 + 4) * 2 - 10 / 3",
    "0x10 ^ 0x3 & 0x7", "a * b - a % b", "a == 6 || b == 0", "!(a != 6)", "-a >> 1", "a >= 6 == 1",
    "a - b * 3 + 077",
]
NAMES = {"a": 6, "b": 4}


def test_against_gcc(tmp_path: Path) -> None:
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc not installed")
    body = "\n".join(f'    printf("%lld\\n", (long long)({e}));' for e in EXPRESSIONS)
    source = tmp_path / "expr.c"
    source.write_text("#include <stdio.h>\nint main(void) {\n    long long a = 6, b = 4;\n"
                      f"{body}\n    return 0;\n}}\n")
    subprocess.run([gcc, "-w", "-o", str(tmp_path / "expr"), str(source)], check=True)
    run = subprocess.run([str(tmp_path / "expr")], capture_output=True, text=True, check=True)
    native = run.stdout.split()
    mine = [str(evaluate(e, NAMES.__getitem__)) for e in EXPRESSIONS]
    assert mine == native


def test_registers_compare_as_c_compares_signed_literals() -> None:
    regs = {"r1": (1 << 64) - 1, "r2": 5}
    assert evaluate("r1 == -1", regs.__getitem__) == 1
    assert evaluate("$r2 == 5 && r1 != 0", lambda n: regs[n]) == 1


def test_address_of_and_errors() -> None:
    seen: list[str] = []

    def lookup(name: str) -> int:
        seen.append(name)
        return 0x1000 if name.startswith(ADDRESS_PREFIX) else 3

    assert evaluate("&total + 8", lookup) == 0x1008
    assert evaluate("x & 1", lookup) == 1  # binary &, not address-of
    assert seen == [f"{ADDRESS_PREFIX}total", "x"]
    with pytest.raises(ExprError):
        evaluate("1 +", lookup)
    with pytest.raises(ExprError):
        evaluate("'text'", lookup)
    with pytest.raises(ExprError):
        evaluate("1 / 0", lookup)
