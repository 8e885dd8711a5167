"""IR rewrites that once broke on real code (zlib-ng, zstd): each builds and runs right now."""

from __future__ import annotations

import pytest

import bpfvm
from bpfvm.cc import compile as compile_program
from bpfvm.cc.aggregates import _rename
from bpfvm.vm import ENGINES

#: clang marks the 6th parameter ``initializes((0, 16))``: nested parentheses in an attribute.
INITIALIZES = """
__attribute__((noinline)) void fill(long a, long b, long c, long d, long e, long *out, long n) {
    out[0] = a + b + c;
    out[1] = d + e + n;
}
int main(void) { long buf[2]; fill(1, 2, 3, 4, 5, buf, 6); return (int)(buf[0] + buf[1]); }
"""

#: Structs by value as parameters %0 and %20: renaming %0/%1 must leave %10–%19 alone.
BYVAL = """
struct S { long a, b, c; };
__attribute__((noinline)) long f(struct S s1, long p2, long p3, long p4, long p5, long p6, long p7,
        long p8, long p9, long p10, long p11, long p12, long p13, long p14, long p15, long p16,
        long p17, long p18, long p19, long p20, struct S s2) {
    volatile long x = s1.a + s2.c;
    return x + p2 + p10 + p11 + p12 + p19 + p20 + s1.b;
}
int main(void) {
    struct S s = {1, 2, 3};
    return (int)f(s, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, s);
}
"""


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("source", "flags", "status"), [
    (INITIALIZES, (), 21), (BYVAL, (), 80), (BYVAL, ("-fno-discard-value-names",), 80)],
    ids=["initializes", "byval", "byval-named"])
def test_rewritten_calls_run(source: str, flags: tuple[str, ...], status: int, engine: str) -> None:
    program = compile_program(source, flags=flags)
    assert bpfvm.VM(engine).run_main(program, ["t"]) == status


def test_a_renamed_parameter_is_no_prefix_of_another() -> None:
    line = "  %x = add i64 %1, %10"
    assert _rename(line, {"%1": "%.c1", "%10": "%.c10"}) == "  %x = add i64 %.c1, %.c10"
    assert _rename(line, {"%1": "%.c1"}) == "  %x = add i64 %.c1, %10"


#: ``llvm.umul.with.overflow.i64`` from an overflow check and from the builtin.
UMUL = """
#include <stdint.h>
#include <stddef.h>
extern unsigned long pair(long i, long which);
int main(int argc, char **argv) {
    unsigned long bits = 0;
    for (long i = 0; i < 16; i++) {
        size_t a = pair(i, 0), b = pair(i, 1);
        unsigned long r;
        int o = __builtin_umull_overflow(a, b, &r);
        int check = a != 0 && SIZE_MAX / a < b;
        bits |= (unsigned long)(o | (check << 1) | ((r == a * b) << 2)) << (3 * i);
    }
    return (int)(bits % 1000003);
}
"""
_PAIRS = [(0, 0), (0, 2**64 - 1), (2**64 - 1, 0), (1, 2**64 - 1), (2, 2**63), (2, 2**63 - 1),
          (3, 6148914691236517206), (3, 6148914691236517205), (2**32, 2**32), (2**32 - 1, 2**32 + 1),
          (2**64 - 1, 2**64 - 1), (7, 9),
          (1 << 40, 1 << 30), (12345678901, 1494), (2**63, 1), (2**63, 2)]


@pytest.mark.parametrize("engine", ENGINES)
def test_overflow_checked_multiply_needs_no_int128(engine: str) -> None:
    program = compile_program(UMUL)
    vm = bpfvm.VM(engine)
    vm.intrinsics["pair"] = lambda i, which: _PAIRS[i][which]
    bits = 0
    for i, (a, b) in enumerate(_PAIRS):
        over = a * b >= 2**64
        bits |= (over | (over << 1) | (1 << 2)) << (3 * i)
    assert vm.run_main(program, ["umul"]) == bits % 1000003
