"""Native ``abs``/``labs`` in the JIT: identical to the interpreter's Python versions at the edges."""

from __future__ import annotations

import io

import pytest

import bpfvm
from bpfvm.jit import native
from bpfvm.vm import ENGINES

SOURCE = r"""
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
static const long values[] = {0, 1, -1, 7, -7, INT_MAX, INT_MIN, (long)INT_MAX + 1, -(long)INT_MAX - 5,
                              LONG_MAX, LONG_MIN, LONG_MIN + 1, 0x123456789abcdefL, -0x123456789abcdefL};
int main(void) {
    for (unsigned i = 0; i < sizeof values / sizeof values[0]; i++)
        printf("%d %ld %lld\n", abs((int)values[i]), labs(values[i]), llabs(values[i]));
    return 0;
}
"""


@pytest.fixture(scope="module")
def program() -> bpfvm.Program:
    return bpfvm.compile(SOURCE)


def test_abs_is_lowered_natively() -> None:
    assert {"abs", "labs", "llabs"} <= native.NAMES


def test_abs_agrees_across_engines(program: bpfvm.Program) -> None:
    outputs = []
    for engine in ENGINES:
        out = io.BytesIO()
        assert bpfvm.VM(engine, stdout=out).run_main(program, ["abs"]) == 0
        outputs.append(out.getvalue())
    assert outputs[0] == outputs[1]
    lines = outputs[0].decode().splitlines()
    assert lines[6] == "-2147483648 2147483648 2147483648"  # abs(INT_MIN) wraps; labs does not
    assert lines[10].split()[1] == "-9223372036854775808"  # labs(LONG_MIN) wraps
