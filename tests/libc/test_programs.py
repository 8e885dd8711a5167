"""C programs on bpfvm's libc print the same bytes, and exit the same way, as natively with glibc.

Each ``programs/*.c`` is built twice, with ``gcc -O2`` against the system headers and with bpfvm's
toolchain, and run on the same input.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest

import bpfvm
from bpfvm import TrapKind, VmTrap
from bpfvm.cc import compile as compile_program

PROGRAMS = Path(__file__).with_name("programs")
SOURCES = sorted(PROGRAMS.glob("*.c"))


def run_bpf(program: bpfvm.Program, stdin: bytes = b"") -> tuple[int, bytes, bytes]:
    out, err = io.BytesIO(), io.BytesIO()
    vm = bpfvm.VM(max_call_depth=64, stdin=io.BytesIO(stdin), stdout=out, stderr=err)
    status = vm.run_main(program, [program.name])
    return status & 0xFF, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("source", SOURCES, ids=[s.stem for s in SOURCES])
def test_same_output_as_native(source: Path, tmp_path: Path) -> None:
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed: no native reference")
    exe = tmp_path / source.stem
    subprocess.run(["gcc", "-O2", "-w", "-o", str(exe), str(source)], check=True)
    native = subprocess.run([str(exe)], capture_output=True, check=False)
    got = run_bpf(compile_program(source))
    assert got == (native.returncode, native.stdout, native.stderr)


def build(text: str) -> bpfvm.Program:
    return compile_program(text, name="snippet")


def test_exit_atexit_and_flush() -> None:
    program = build("""
        #include <stdio.h>
        #include <stdlib.h>
        static void bye(void) { printf("bye\\n"); }
        static void first(void) { printf("first registered, last run\\n"); }
        int main(int argc, char **argv) {
            atexit(first); atexit(bye); printf("partial line");
            if (argc == 1) exit(3);
            return 0;
        }
    """)
    assert run_bpf(program) == (3, b"partial linebye\nfirst registered, last run\n", b"")


def test_assert_and_abort_trap() -> None:
    program = build("""
        #include <assert.h>
        int main(int argc, char **argv) { assert(argc == 5); return 0; }
    """)
    with pytest.raises(VmTrap, match=r"main: Assertion `argc == 5' failed") as info:
        run_bpf(program)
    assert info.value.kind is TrapKind.ABORT
    with pytest.raises(VmTrap) as info:
        run_bpf(build("#include <stdlib.h>\nint main(void) { abort(); }"))
    assert info.value.kind is TrapKind.ABORT


def test_double_free_traps() -> None:
    program = build("""
        #include <stdlib.h>
        int main(void) { char *p = malloc(10); free(p); free(p); return 0; }
    """)
    with pytest.raises(VmTrap, match="double free") as info:
        run_bpf(program)
    assert info.value.kind is TrapKind.HEAP


def test_stdin_to_stdout() -> None:
    program = build("""
        #include <stdio.h>
        #include <unistd.h>
        int main(void) {
            char line[32]; int n = 0;
            while (fgets(line, sizeof line, stdin)) printf("%d:%s", ++n, line);
            write(1, "done\\n", 5);
            return n;
        }
    """)
    assert run_bpf(program, b"a\nbb\nccc") == (3, b"1:a\n2:bb\n3:cccdone\n", b"")
