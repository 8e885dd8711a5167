"""What the BPF backend cannot compile fails with the source line and what to change."""

from __future__ import annotations

from pathlib import Path

import pytest

import bpfvm
from bpfvm.cc import CompileError, compile_c
from bpfvm.cc import compile as compile_program
from bpfvm.cc.diagnose import explain
from bpfvm.errors import TrapKind, VmTrap
from bpfvm.vm import ENGINES

#: name → (C source, the line the error must name, words the advice must contain)
FAILURES = {
    "stack": ("int f(int n) {\n    volatile char buf[40000];\n    buf[n] = 1;\n    return buf[n + 1];\n}\n",
              1, "-mllvm -bpf-stack-size=N"),
    "int128": ("volatile unsigned long x = 5;\nint f(void) {\n    unsigned __int128 a = x;\n"
               "    return (int)(a * a / (a + 1));\n}\n", 4, "use 64-bit integers"),
    "atomic8": ("volatile unsigned char flag;\nint f(void) {\n"
                "    return __atomic_fetch_add(&flag, 1, 5);\n}\n", 3, "32 or 64 bits wide"),
    "computed_goto": ("volatile int k = 1;\nint f(void) {\n    static void *labels[] = { &&a, &&b };\n"
                      "    goto *labels[k];\na:  return 1;\nb:  return 2;\n}\n", 4, "use a switch"),
}


@pytest.mark.parametrize("name", sorted(FAILURES))
def test_backend_failures_name_the_line_and_the_fix(name: str, tmp_path: Path) -> None:
    text, line, advice = FAILURES[name]
    source = tmp_path / f"{name}.c"
    source.write_text(text)
    with pytest.raises(CompileError) as info:
        compile_c(source, output=tmp_path / "x.o")
    message = str(info.value)
    assert f"{source}:{line}: in function f: " in message, message
    assert advice in message
    assert "PLEASE submit" not in message and "Stack dump" not in message


def test_source_text_is_named_as_such() -> None:
    with pytest.raises(CompileError, match=r"<source>:4: in function f: 128-bit integer arithmetic"):
        compile_c(FAILURES["int128"][0])


@pytest.mark.parametrize("engine", ENGINES)
def test_variable_length_arrays_compile_and_overflowing_them_traps(engine: str) -> None:
    program = compile_program("""
        __attribute__((noinline)) static int fill(int n) {
            char a[n];
            for (int i = 0; i < n; i++) a[i] = (char)i;
            return a[n - 1] + (n < 4000000 ? fill(n * 4) : 0);
        }
        int main(int argc, char **argv) { return fill(argc * 100) & 0xff; }""")
    with pytest.raises(VmTrap) as info:
        bpfvm.VM(engine).run_main(program, ["vla"])
    assert info.value.kind == TrapKind.STACK_OVERFLOW and "variable-length array" in info.value.reason


def test_a_frame_without_a_location_is_found_through_its_function() -> None:
    stderr = "error: <unknown>:0:0: in function big i32 (i32): Looks like the BPF stack limit is exceeded.\n"
    ir = ('define i32 @big(i32 %0) !dbg !7 {\n  ret i32 0\n}\n'
          '!1 = !DIFile(filename: "prog.c", directory: "/x")\n'
          '!7 = distinct !DISubprogram(name: "big", scope: !1, file: !1, line: 12, type: !8, unit: !0)\n')
    text = explain(stderr, ir, "prog.c", 4096)
    assert text is not None and text.startswith("prog.c:12: in function big: ")
    assert "larger than the 4096 bytes" in text
    assert explain("error: something else\n", ir, "prog.c", 4096) is None


def test_frames_beyond_16_bit_offsets_are_refused_at_compile_time(tmp_path: Path) -> None:
    source = tmp_path / "big.c"
    source.write_text(FAILURES["stack"][0])
    with pytest.raises(CompileError, match=r"frames are at most 32768 bytes; make the large local arrays"):
        compile_c(source, output=tmp_path / "x.o", flags=["-mllvm", "-bpf-stack-size=65536"])
    with pytest.raises(CompileError, match="at most 32768"):
        compile_c(source, output=tmp_path / "x.o")
