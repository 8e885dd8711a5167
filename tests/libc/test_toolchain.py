"""The toolchain and the libc headers: every header compiles cleanly, limits fail clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

import bpfvm
from bpfvm.cc import INCLUDE, CompileError, compile_c
from bpfvm.cc import compile as compile_program
from bpfvm.cli import main as cli

HEADERS = sorted(p.name for p in INCLUDE.glob("*.h") if not p.name.startswith("__"))

EVERYTHING = "\n".join(f"#include <{h}>" for h in HEADERS) + r"""
#define CHECK(name, cond) typedef char name[(cond) ? 1 : -1]
CHECK(lp64, sizeof(long) == 8 && sizeof(size_t) == 8 && sizeof(int64_t) == 8);
CHECK(limits, INT_MAX == 2147483647 && UINT64_MAX == 18446744073709551615ULL && INT64_C(1) == 1L);
CHECK(layout, offsetof(struct timespec, tv_nsec) == 8);
CHECK(values, EOF == -1 && SEEK_END == 2 && ENOENT == 2 && RAND_MAX == 2147483647);

int main(int argc, char **argv)
{
    char buf[32];
    bool ok = argc > 0;
    assert(ok);
    printf("no arguments\n");
    printf("%d %s %p %" PRId64 " %zu\n", argc, argv[0], (void *)buf, (int64_t)-1, sizeof buf);
    fprintf(stderr, "%d\n", errno);
    snprintf(buf, sizeof buf, "%c", 'x');
    sprintf(buf, "%u", 1u);
    dprintf(1, "%s", "fd\n");
    (printf)("direct call %d\n", 1);
    return isalpha(buf[0]) && strlen(buf) && abs(-1) && time(NULL) && clock() >= 0 && write(1, "", 0) >= 0;
}
"""


@pytest.mark.parametrize("std", ["c99", "c11", "gnu17", "c2x"])
def test_every_header_compiles_without_warnings(std: str, tmp_path: Path,
                                                capfd: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "everything.c"
    source.write_text(EVERYTHING)
    flags = [f"-std={std}", "-Wall", "-Wextra", "-pedantic", "-Werror"]
    assert compile_c(source, flags=flags) == tmp_path / "everything.o"
    assert capfd.readouterr().err == ""


def test_printf_arguments_are_format_checked() -> None:
    with pytest.raises(CompileError, match="format specifies type 'char \\*'"):
        compile_program('#include <stdio.h>\nint main(void) { return printf("%s", 1); }',
                        flags=["-Werror=format"])


def test_more_than_16_printf_arguments_fail_clearly() -> None:
    args = ", ".join(["1"] * 17)
    with pytest.raises(CompileError, match="PRINTF_TAKES_AT_MOST_16_ARGUMENTS"):
        compile_program(f'#include <stdio.h>\nint main(void) {{ return printf("x", {args}); }}')
    compile_program(f'#include <stdio.h>\nint main(void) {{ return printf("x", {args[3:]}); }}')


def test_variadic_definitions_compile_and_run() -> None:
    program = compile_program("#include <stdarg.h>\n"
                              "int sum(int n, ...) { va_list ap; va_start(ap, n); int s = 0;"
                              " while (n--) s += va_arg(ap, int); va_end(ap); return s; }\n"
                              "int main(void) { return sum(7, 1, 2, 3, 4, 5, 6, 7); }")
    assert bpfvm.VM().run_main(program, ["sum"]) == 28


def test_many_printf_calls_fit_in_one_frame() -> None:
    calls = "\n".join(f'printf("%d %d %d %d %d %d %d %d %d %d\\n", {i}, 1, 2, 3, 4, 5, 6, 7, 8, 9);'
                      for i in range(30))
    program = compile_program(f"#include <stdio.h>\nint main(void) {{ {calls} return 0; }}")
    assert "main" in program.functions


def test_assert_is_on_despite_optimisation_and_ndebug_turns_it_off() -> None:
    text = "#include <assert.h>\nint main(int argc, char **argv) { assert(argc == 7); return argc; }"
    assert "__bpfvm_assert_fail" in compile_program(text).externs.values()
    assert "__bpfvm_assert_fail" not in compile_program(text, flags=["-DNDEBUG"]).externs.values()


def test_compile_errors_carry_clang_messages(tmp_path: Path) -> None:
    source = tmp_path / "bad.c"
    source.write_text("int main(void) { return undeclared(); }\n")
    with pytest.raises(CompileError) as info:
        compile_c(source)
    assert "undeclared" in info.value.stderr and str(source) in str(info.value)
    assert isinstance(info.value, bpfvm.BpfError)


def test_text_source_and_program() -> None:
    program = compile_program("int answer(void) { return 42; }")
    assert bpfvm.VM().run(program, entry="answer") == 42


def test_cli_cc(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "prog.c"
    source.write_text("#include <stdio.h>\nint main(void) { return printf(\"%d\\n\", N); }\n")
    assert cli(["cc", str(source), "-DN=3", "-o", str(tmp_path / "out.o")]) == 0
    assert (tmp_path / "out.o").read_bytes()[:4] == b"\x7fELF"
    assert cli(["cc", str(source), "-DN=3"]) == 0 and (tmp_path / "prog.o").exists()
    assert cli(["cc", str(source)]) == 1
    assert "'N'" in capsys.readouterr().err
