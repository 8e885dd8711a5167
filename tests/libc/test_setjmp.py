"""setjmp/longjmp in both engines: the jumps C specifies, a typed trap for those it leaves undefined."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest

import bpfvm
from bpfvm import TrapKind, VmTrap
from bpfvm.cc import compile as compile_program
from bpfvm.vm import ENGINES
from tests.native import native_build

SOURCE = Path(__file__).with_name("programs") / "setjmp.c"


def run(program: bpfvm.Program, engine: str) -> tuple[int, bytes]:
    out = io.BytesIO()
    status = bpfvm.VM(engine, stdout=out).run_main(program, [program.name])
    return status, out.getvalue()


@pytest.fixture(scope="module")
def program() -> bpfvm.Program:
    return compile_program(SOURCE)


@pytest.mark.parametrize("engine", ENGINES)
def test_nested_jumps_across_frames_match_gcc(program: bpfvm.Program, engine: str, tmp_path: Path) -> None:
    native = subprocess.run([str(native_build(SOURCE, tmp_path))], capture_output=True, check=True)
    assert run(program, engine) == (0, native.stdout)


STALE = """
#include <setjmp.h>
static jmp_buf env;
__attribute__((noinline)) static int arm(void) { return setjmp(env); }
int main(void) {
    if (arm() != 0) return 7;
    longjmp(env, 1);
}
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_a_jump_to_a_returned_frame_traps(engine: str) -> None:
    with pytest.raises(VmTrap) as info:
        run(compile_program(STALE, name="stale"), engine)
    assert info.value.kind is TrapKind.BAD_LONGJMP and "has returned" in info.value.reason


@pytest.mark.parametrize("engine", ENGINES)
def test_an_unfilled_jmp_buf_traps(engine: str) -> None:
    source = "#include <setjmp.h>\nstatic jmp_buf env;\nint main(void) { longjmp(env, 1); }\n"
    with pytest.raises(VmTrap) as info:
        run(compile_program(source, name="unfilled"), engine)
    assert info.value.kind is TrapKind.BAD_LONGJMP and "no setjmp filled" in info.value.reason


OUT_OF_QSORT = """
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
static jmp_buf env;
static int calls;
static int cmp(const void *a, const void *b) {
    if (++calls == 5) longjmp(env, 42);
    return *(const int *)a - *(const int *)b;
}
int main(void) {
    int v[16];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 16; i++) v[i] = (i * 7) % 16;
        calls = 0;
        int got = setjmp(env);
        if (got == 0) { qsort(v, 16, sizeof v[0], cmp); printf("sorted\\n"); }
        else printf("round %d: out of qsort with %d after %d calls\\n", round, got, calls);
    }
    return 0;
}
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_a_jump_out_of_a_callback_unwinds_the_host_function(engine: str) -> None:
    status, out = run(compile_program(OUT_OF_QSORT, name="qsort"), engine)
    assert status == 0
    assert out == b"".join(b"round %d: out of qsort with 42 after 5 calls\n" % r for r in range(3))


VLA_LOOP = """
#include <setjmp.h>
#include <string.h>
static jmp_buf env;
volatile int size = 65536;
__attribute__((noinline)) static void big(int n) {
    char a[n];
    memset(a, 1, (size_t)n);
    longjmp(env, a[n - 1]);
}
int main(void) {
    volatile int total = 0;
    for (volatile int i = 0; i < 64; i++)  /* 64 x 64 KiB: more than the shadow stack unless freed */
        if (setjmp(env) == 0) big(size); else total++;
    return total;
}
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_a_jump_frees_the_variable_length_arrays_it_unwinds(engine: str) -> None:
    assert run(compile_program(VLA_LOOP, name="vla"), engine) == (64, b"")
