"""Limits that hold in both engines, and leave the VM usable for the next run.

Each limit is exhausted by a guest, the run must end with the typed error it names (or C's
own failure value: malloc returns NULL), and the same VM must then run a program normally.
The limits: guest memory (``memory_size``), the heap (``heap_size``), instructions, wall time,
call depth, output size (``max_output``), and no host environment or processes.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

import bpfvm
from bpfvm import VM, TrapKind, VmTrap
from bpfvm.errors import BpfError, GuestMemoryError
from bpfvm.vm import ENGINES, JIT_MAX_CALL_DEPTH

OK = bpfvm.assemble("mov %r0, 42\nexit")
SPIN = bpfvm.assemble("mov %r0, 0\nloop:\nadd %r0, 1\nja loop\nexit")
RECURSE = bpfvm.assemble("call f\nexit\nf:\ncall f\nexit")

C_LIMITS = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int heap(void) {               /* allocate 1 MiB blocks until malloc says no */
    void *blocks[256];
    int n = 0;
    while (n < 256 && (blocks[n] = malloc(1 << 20)) != NULL)
        memset(blocks[n++], 0xAB, 1 << 20);
    for (int i = 0; i < n; i++)
        free(blocks[i]);
    void *again = malloc(1 << 20);    /* everything freed: room again */
    free(again);
    return again != NULL ? n : -1;
}

static int huge(void) {               /* one request larger than the heap: NULL, as C says */
    return malloc((size_t)1 << 40) == NULL && calloc((size_t)1 << 32, (size_t)1 << 32) == NULL;
}

static int print_forever(int raw) {
    for (long i = 0;; i++) {
        if (raw) write(1, "0123456789abcdef", 16);
        else printf("line %ld\n", i);
    }
}

static int host(void) {               /* nothing of the host is visible unless granted */
    return (getenv("HOME") == NULL) + 2 * (getenv("GRANTED") != NULL) + 4 * (system("id") == -1)
        + 8 * (system(NULL) == 0) + 16 * (fopen("/etc/passwd", "r") == NULL);
}

int main(int argc, char **argv) {
    switch (argv[1][0]) {
    case 'h': return heap();
    case 'H': return huge();
    case 'p': return print_forever(0);
    case 'w': return print_forever(1);
    case 'e': return host();
    }
    return 7;
}
"""


@pytest.fixture(scope="module")
def c_limits(tmp_path_factory: pytest.TempPathFactory) -> bpfvm.Program:
    path = tmp_path_factory.mktemp("limits") / "limits.c"
    path.write_text(C_LIMITS)
    return bpfvm.load(bpfvm.cc.compile_c(path))


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make(engine: str, **kw: object) -> VM:
    return VM(engine, jit_cache=False, stdout=io.BytesIO(), stderr=io.BytesIO(), **kw)  # type: ignore[arg-type]


def still_works(vm: VM) -> None:
    """The VM runs the next program normally."""
    assert vm.run(OK) == 42


def trap(vm: VM, program: bytes | bpfvm.Program, *argv: str) -> VmTrap:
    with pytest.raises(VmTrap) as info:
        if argv:
            vm.run_main(program, list(argv))  # type: ignore[arg-type]
        else:
            vm.run(program)
    return info.value


def test_instruction_budget(engine: str) -> None:
    vm = make(engine, max_instructions=10_000)
    assert trap(vm, SPIN).kind is TrapKind.BUDGET and vm.instructions == 10_000
    still_works(vm)


def test_wall_clock_timeout(engine: str) -> None:
    vm = make(engine, timeout=0.2)
    assert trap(vm, SPIN).kind is TrapKind.TIMEOUT
    still_works(vm)


def test_call_depth(engine: str) -> None:
    vm = make(engine, max_call_depth=8)
    assert trap(vm, RECURSE).kind is TrapKind.CALL_DEPTH
    still_works(vm)


def test_memory_size_bounds_programs_and_buffers(engine: str) -> None:
    """A program or buffer larger than guest memory is a typed error, not host memory."""
    vm = make(engine, memory_size=16 << 20, heap_size=1 << 20)
    big = bpfvm.compile("static char big[64 << 20]; int main(int c, char **v) { big[c] = 1; return big[1]; }")
    with pytest.raises(GuestMemoryError, match="no room for 67108864 writable bytes"):
        vm.run_main(big, ["x"])
    with pytest.raises(GuestMemoryError):
        vm.run(OK, mem=bytearray(32 << 20))
    assert issubclass(GuestMemoryError, BpfError) and issubclass(GuestMemoryError, MemoryError)
    still_works(vm)


def test_access_beyond_memory_traps(engine: str) -> None:
    vm = make(engine, memory_size=8 << 20, heap_size=1 << 20)
    load = bpfvm.assemble(f"lddw %r1, {8 << 20}\nldxb %r0, [%r1]\nexit")
    assert trap(vm, load).kind is TrapKind.OUT_OF_BOUNDS
    still_works(vm)


def test_heap_exhaustion_returns_null(engine: str, c_limits: bpfvm.Program) -> None:
    """malloc beyond ``heap_size`` returns NULL; freed memory can be allocated again."""
    vm = make(engine, heap_size=8 << 20)
    blocks = vm.run_main(c_limits, ["limits", "h"])
    assert blocks == 8  # exactly 8 MiB of 1 MiB blocks, then NULL
    assert vm.run_main(c_limits, ["limits", "h"]) == blocks  # the next run gets the same room
    assert vm.run_main(c_limits, ["limits", "H"]) == 1  # 1 TiB and an overflowing calloc: NULL
    still_works(vm)


@pytest.mark.parametrize("mode", ["p", "w"])  # printf (stdio buffers) and write(2)
def test_output_limit(engine: str, c_limits: bpfvm.Program, mode: str) -> None:
    """A guest printing forever stops at ``max_output`` bytes, with exactly that much written."""
    vm = make(engine, max_output=10_000, timeout=60)
    first = trap(vm, c_limits, "limits", mode)
    assert first.kind is TrapKind.OUTPUT_LIMIT
    assert len(vm.stdout.getvalue()) == 10_000  # type: ignore[attr-defined]
    vm.stdout = io.BytesIO()
    assert trap(vm, c_limits, "limits", mode).kind is TrapKind.OUTPUT_LIMIT  # per run, not per VM
    assert len(vm.stdout.getvalue()) == 10_000
    still_works(vm)


def test_output_limit_counts_files(tmp_path: Path) -> None:
    vm = make("interpreter", max_output=100, fs={"/out": str(tmp_path)})
    program = bpfvm.compile(r"""
        #include <stdio.h>
        int main(void) { FILE *f = fopen("/out/log", "w"); for (;;) fputs("0123456789", f); }""")
    assert trap(vm, program, "x").kind is TrapKind.OUTPUT_LIMIT
    assert (tmp_path / "log").stat().st_size == 100


def test_no_host_environment_or_processes(engine: str, c_limits: bpfvm.Program) -> None:
    """getenv sees only ``env``; system() runs nothing; unmapped paths do not exist."""
    vm = make(engine, env={"GRANTED": "1"})
    assert vm.run_main(c_limits, ["limits", "e"]) == 1 + 2 + 4 + 8 + 16


def test_limits_after_each_other(engine: str) -> None:
    """One VM through every limit in turn, then a normal run."""
    vm = make(engine, max_instructions=50_000, max_call_depth=8, timeout=5)
    kinds = [trap(vm, SPIN).kind, trap(vm, RECURSE).kind]
    assert kinds == [TrapKind.BUDGET, TrapKind.CALL_DEPTH]
    still_works(vm)


DEEP = r"""
import bpfvm, sys
depth = int(sys.argv[1])
vm = bpfvm.VM("jit", stack_size=512, max_call_depth=depth, jit_cache=False, memory_size=1 << 30)
program = bpfvm.assemble("call f\nexit\nf:\nmov %r1, 1\ncall f\nadd %r0, %r1\nexit")
try:
    vm.run(program)
except bpfvm.VmTrap as trap:
    print(trap.kind.value, vm.run(bpfvm.assemble("mov %r0, 42\nexit")))
"""


def test_jit_call_depth_is_bounded_by_the_host_stack() -> None:
    """Found by testing the limits: the JIT at max_call_depth=10**6 overflowed the host's native
    stack (SIGSEGV).  Its depth is now capped; the cap itself runs (in a child process)."""
    with pytest.raises(ValueError, match="deeper than the JIT allows"):
        VM("jit", max_call_depth=JIT_MAX_CALL_DEPTH + 1)
    done = subprocess.run([sys.executable, "-c", DEEP, str(JIT_MAX_CALL_DEPTH)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["call-depth", "42"]


QSORT = r"""
#include <stdio.h>
#include <stdlib.h>
static unsigned char big[16 << 20];
static int cmp(const void *a, const void *b) { return *(const unsigned char *)a - *(const unsigned char *)b; }
int main(int argc, char **argv) {
    size_t n = (size_t)atoi(argv[1]);
    if (argc > 2)
        for (size_t i = 0; i < n; i++) big[i] = (unsigned char)(i * 7919 + 13);
    qsort(big, n, 1, cmp);
    for (size_t i = 1; i < n; i++) if (big[i - 1] > big[i]) return -1;
    return big[n - 1];
}
"""


@pytest.fixture(scope="module")
def qsort_program(tmp_path_factory: pytest.TempPathFactory) -> bpfvm.Program:
    path = tmp_path_factory.mktemp("qsort") / "qsort.c"
    path.write_text(QSORT)
    return bpfvm.load(bpfvm.cc.compile_c(path))


def test_qsort_host_memory_does_not_grow_with_the_count(qsort_program: bpfvm.Program) -> None:
    """Found by testing the limits: qsort of 10M one-byte items took 1.1 GB of host memory and
    38 s before the guest's 1000-instruction budget could stop it.  Large arrays are now sorted
    in place: the budget stops the first comparisons."""
    from bpfvm.libc.stdlib import QSORT_STABLE_MAX

    vm = make("interpreter", max_instructions=1000, memory_size=64 << 20, heap_size=1 << 20)
    with pytest.raises(VmTrap) as info:
        vm.run_main(qsort_program, ["qsort", str(16 << 20)])
    assert info.value.kind is TrapKind.BUDGET and 16 << 20 > QSORT_STABLE_MAX
    assert vm.instructions == 1000
    still_works(vm)


def test_qsort_in_place_sorts(engine: str, qsort_program: bpfvm.Program,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    from bpfvm.libc import stdlib

    monkeypatch.setattr(stdlib, "QSORT_STABLE_MAX", 16)
    vm = make(engine, memory_size=64 << 20, heap_size=1 << 20)
    assert vm.run_main(qsort_program, ["qsort", "3000", "fill"]) == 255
