"""clang 22's front-end crashes that :mod:`bpfvm.cc.driver` routes around keep debug information."""

from __future__ import annotations

from pathlib import Path

import pytest

import bpfvm
from bpfvm.cc import compile_c
from bpfvm.cc.driver import _PAREN_VARIADIC
from bpfvm.errors import VmTrap

#: Lua's declaration style (``LUA_API int (lua_error) (lua_State *L, const char *fmt, ...)``):
#: clang 22 segfaults on it for BPF with -g when the function's address is taken (at -O0, a call
#: is enough).
SOURCE = """\
extern int (pick) (int a, int b, ...);
int main(int argc, char **argv) {
    int (*volatile p)(int, int, ...) = pick;
    volatile int *null = 0;
    if (p(argc, 2, 3) == 3) return *null;
    return 0;
}
"""


def test_parenthesised_variadic_declarators_keep_line_information(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "paren.c"
    source.write_text(SOURCE)
    obj = compile_c(source, output=tmp_path / "paren.o")
    assert "-g0" not in capsys.readouterr().err  # routed around, not by dropping -g
    other = compile_c("int pick(int a, int b, ...) { return a + b; }\n", output=tmp_path / "pick.o")
    program = bpfvm.load([obj, other])
    with pytest.raises(VmTrap) as info:
        bpfvm.VM().run_main(program, ["paren"])
    assert "paren.c:5" in str(info.value)


def test_the_rewrite_touches_only_variadic_declarators() -> None:
    text = "int (f) (int a, int (*g)(int), ...); int x = (T)(y); int (h)(int);"
    expected = "int f (int a, int (*g)(int), ...); int x = (T)(y); int (h)(int);"
    assert _PAREN_VARIADIC.sub(r"\1\2", text) == expected
