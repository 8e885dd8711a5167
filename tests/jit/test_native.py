"""Intrinsics the JIT lowers to native code (bpfvm.jit.native) against the interpreter.

The interpreter calls the Python reference (bpfvm.libc.softfloat, libm, string); the JIT runs
LLVM FP instructions, the host libm and native string helpers.  Every result must have the same
bits — NaN payloads, signed zeros, conversions out of range — and every failed string access
must give the same trap (kind, pc, address, message) and leave memory the same.
"""

from __future__ import annotations

import math
import re
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bpfvm
from bpfvm import VM, VmTrap
from bpfvm.jit import native, options
from bpfvm.jit.lower import Callback
from bpfvm.program import Program

PROGRAMS = Path(__file__).parent / "programs"
OPS_SOURCE = PROGRAMS / "native_ops.c"
_PAIRS = {"INFIX": "", "CMP": "", "FP1": "", "FP2": "", "BUILTIN1": "b", "BUILTIN2": "b"}


def _ops(source: str) -> list[str]:
    """The entry points the macros of native_ops.c define, in order."""
    names = []
    for macro, name in re.findall(r"^([A-Z0-9]+)\((\w+)", source, re.M):
        if macro == "OP":
            names.append(name)
        elif macro in _PAIRS:
            names += [f"d_{_PAIRS[macro]}{name}", f"f_{_PAIRS[macro]}{name}"]
    return names


OPS = _ops(OPS_SOURCE.read_text())


def _d(value: float) -> int:
    return int(struct.unpack("<Q", struct.pack("<d", value))[0])


def _f(value: float) -> int:
    return int(struct.unpack("<I", struct.pack("<f", value))[0])


_DOUBLES = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5, 3.0, 0.1, math.pi, 2.0 ** 31, -2.0 ** 31,
            -2.0 ** 31 - 1, 2.0 ** 32, 2.0 ** 63, -2.0 ** 63, 2.0 ** 64, 1e308, 1.7976931348623157e308,
            2.2250738585072014e-308, 5e-324, -5e-324, 2.225073858507201e-308, 710.0, -745.5, 1e-310,
            4503599627370497.0, math.inf, -math.inf, 0.9999999999999999, 1.0000000000000002, -7.0, 1e22]
#: NaNs: quiet and signalling, both signs, with payloads.
_NANS64 = [0x7FF8000000000000, 0xFFF8000000000000, 0x7FF0000000000001, 0xFFF4000000000123,
           0x7FF8000000ABCDEF, 0x7FFFFFFFFFFFFFFF]
_NANS32 = [0x7FC00000, 0xFFC00000, 0x7F800001, 0xFFA00123, 0x7FFFFFFF]
SPECIALS64 = [_d(x) for x in _DOUBLES] + _NANS64
SPECIALS32 = [_f(x) for x in _DOUBLES if math.isinf(x) or abs(x) < 3e38] + _NANS32 + [0x00000001, 0x807FFFFF]


def _build(flags: tuple[str, ...]) -> Program:
    return bpfvm.compile(OPS_SOURCE, flags=list(flags))


@pytest.fixture(scope="module")
def machines() -> dict[tuple[str, str], tuple[VM, Program]]:
    """VMs of both engines for the program built with and without -fno-math-errno (which turns
    sqrt, fmod … into LLVM intrinsics, so into ``__bpfvm_*`` calls)."""
    built = {}
    for variant, flags in (("errno", ()), ("noerrno", ("-fno-math-errno",))):
        program = _build(flags)
        for engine in ("interpreter", "jit"):
            built[(variant, engine)] = (VM(engine, memory_size=16 << 20, heap_size=1 << 20), program)
    return built


def _grid(vm: VM, program: Program, op: str, inputs: list[int]) -> bytes:
    n = len(inputs)
    buf = bytearray(struct.pack(f"<{1 + n}Q", n, *inputs) + bytes(8 * n * n))
    vm.run(program, mem=buf, entry=op)
    return bytes(buf)


def _compare(machines: Any, op: str, inputs: list[int]) -> None:
    for variant in ("errno", "noerrno"):
        reference = _grid(*machines[(variant, "interpreter")], op, inputs)
        ours = _grid(*machines[(variant, "jit")], op, inputs)
        if ours != reference:
            n = len(inputs)
            got = struct.unpack(f"<{n * n}Q", ours[8 * (1 + n):])
            want = struct.unpack(f"<{n * n}Q", reference[8 * (1 + n):])
            bad = [(hex(inputs[k // n]), hex(inputs[k % n]), hex(inputs[(k // n + k % n) % n]),
                    hex(g), hex(w)) for k, (g, w) in enumerate(zip(got, want)) if g != w]
            pytest.fail(f"{op} ({variant}): {len(bad)} results differ (a, b, c, jit, interpreter): "
                        f"{bad[:5]}")


#: Intrinsics the JIT deliberately leaves to Python (see :mod:`bpfvm.jit.native`).
PYTHON_ONLY = {"remainder", "remainderf"}


def test_the_ops_are_lowered_natively(machines: Any) -> None:
    """No FP intrinsic of the program goes through the host callback (else the test proves nothing)."""
    vm, program = machines[("noerrno", "jit")]
    names = set(program.externs.values()) - PYTHON_ONLY
    assert names <= native.NAMES, names - native.NAMES
    words = re.findall(r'@"bpfvm\.host"\(i64 (\d+)\)', vm.compile(program).ir)  # kind | pc << 8
    # distinct call sites: a versioned loop's two copies (bpfvm.jit.loops) have the same one
    hosted = len({word for word in words if int(word) & 0xFF == Callback.INTRINSIC})
    assert hosted == sum(name in PYTHON_ONLY for name in program.externs.values())
    assert len(OPS) > 150


@pytest.mark.parametrize("op", OPS)
def test_special_values(machines: Any, op: str) -> None:
    """Every pair (and triple) of special values: zeros, infinities, NaNs, denormals, limits."""
    _compare(machines, op, SPECIALS32 if op.startswith("f_") else SPECIALS64)


def _nan64() -> st.SearchStrategy[int]:
    return st.builds(lambda sign, payload: sign << 63 | 0x7FF << 52 | payload,
                     st.integers(0, 1), st.integers(1, (1 << 52) - 1))


def _nan32() -> st.SearchStrategy[int]:
    return st.builds(lambda sign, payload: sign << 31 | 0xFF << 23 | payload,
                     st.integers(0, 1), st.integers(1, (1 << 23) - 1))


BITS64 = st.one_of(st.floats().map(_d), st.integers(0, (1 << 64) - 1), _nan64(), st.sampled_from(SPECIALS64),
                   st.floats(-1e3, 1e3).map(_d), st.integers(-(1 << 40), 1 << 40).map(lambda v: v % 2**64))
BITS32 = st.one_of(st.floats(width=32).map(_f), st.integers(0, (1 << 32) - 1), _nan32(),
                   st.sampled_from(SPECIALS32), st.floats(-100, 100, width=32).map(_f))


@pytest.mark.parametrize("op", OPS)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_random_values(machines: Any, op: str, data: st.DataObject) -> None:
    inputs = data.draw(st.lists(BITS32 if op.startswith("f_") else BITS64, min_size=1, max_size=5))
    _compare(machines, op, inputs)


# -- <string.h> -------------------------------------------------------------------------------------

STRINGS_SOURCE = PROGRAMS / "native_strings.c"
#: name → number of arguments of the t_<name> wrappers in native_strings.c.
STRING_FUNCTIONS = {"memcpy": 3, "memmove": 3, "memset": 3, "memcmp": 3, "memchr": 3, "strlen": 1,
                    "strnlen": 2, "strcpy": 2, "stpcpy": 2, "strncpy": 3, "strcat": 2, "strcmp": 2,
                    "strncmp": 3, "strchr": 2, "strrchr": 2, "bzero": 2}
RO_TEXT = b"abc\0abd\0ab\0\xff\x80z\0hello\0" + b"q" * 7
RW_TEXT = b"hello\0help\0\0abc\0" + bytes(range(1, 48)) + b"\0" + bytes(64)
TOP = b"unterminated-top"  #: the last bytes of guest memory, without a NUL


class Sandbox:
    """A VM of one engine with the strings program and known regions at known addresses."""

    def __init__(self, engine: str) -> None:
        self.vm = VM(engine, memory_size=16 << 20, heap_size=1 << 20)
        self.program = bpfvm.compile(STRINGS_SOURCE)
        self.vm.compile(self.program)
        memory = self.vm.memory
        self.ro = memory.map("ro-strings", RO_TEXT, writable=False, align=16)
        self.rw = memory.map("rw-strings", len(RW_TEXT), writable=True, align=16)

    def reset(self) -> None:
        buf = self.vm.memory.buf
        buf[self.rw.base:self.rw.end] = RW_TEXT
        buf[len(buf) - len(TOP):] = TOP

    def outcome(self, name: str, args: tuple[int, ...]) -> tuple[Any, ...]:
        self.reset()
        try:
            result: tuple[Any, ...] = ("r0", self.vm.run(self.program, *args, entry=f"t_{name}"))
        except VmTrap as trap:
            result = ("trap", trap.kind, trap.pc, trap.addr, str(trap))
        buf = self.vm.memory.buf
        return result, self.vm.instructions, buf[self.rw.base:self.rw.end], buf[len(buf) - 64:]


@pytest.fixture(scope="module")
def sandboxes() -> tuple[Sandbox, Sandbox]:
    pair = Sandbox("interpreter"), Sandbox("jit")
    assert (pair[0].ro, pair[0].rw) == (pair[1].ro, pair[1].rw)
    return pair


def test_string_calls_are_native(sandboxes: tuple[Sandbox, Sandbox]) -> None:
    jit = sandboxes[1]
    lowered = native.eligible(jit.program.externs, dict.fromkeys(jit.program.externs, len), jit.vm)
    assert set(lowered.values()) == set(STRING_FUNCTIONS)


def _addresses(box: Sandbox) -> list[int]:
    size, rw_base = box.vm.memory.size, box.vm.memory.rw_base
    return ([box.ro.base + k for k in (0, 1, 4, 8, 11, 15, len(RO_TEXT) - 3)]
            + [box.rw.base + k for k in (0, 2, 6, 11, 12, 16, 40, 63, len(RW_TEXT) - 4)]
            + [0, 1, 0xFFFF, 0x10000, rw_base - 8, rw_base - 2, rw_base, size - len(TOP), size - 3,
               size - 1, size, (1 << 64) - 1, 1 << 63])


_LENGTHS = [0, 1, 2, 3, 4, 5, 8, 12, 17, 64, 100, 1 << 31, 16 << 20, (1 << 64) - 1, 1 << 63]
_CHARS = [0, ord("l"), ord("p"), ord("c"), 0x80, 0xFF, 0x16C, (1 << 64) - 1]


def _same_string_outcome(sandboxes: tuple[Sandbox, Sandbox], name: str, args: tuple[int, ...]) -> None:
    reference, jit = (box.outcome(name, args) for box in sandboxes)
    assert jit == reference, (name, [hex(a) for a in args])


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_string_functions_agree(sandboxes: tuple[Sandbox, Sandbox], data: st.DataObject) -> None:
    """Random calls — valid, overlapping, unterminated, out of bounds, read-only — give the same
    result or trap, instruction count and memory under both engines."""
    name = data.draw(st.sampled_from(sorted(STRING_FUNCTIONS)))
    address = st.one_of(st.sampled_from(_addresses(sandboxes[0])), st.integers(0, (1 << 64) - 1))
    args = [data.draw(address)]
    if name in ("memset", "memchr", "strchr", "strrchr"):
        args.append(data.draw(st.sampled_from(_CHARS)))
    elif STRING_FUNCTIONS[name] > 1 and name not in ("strnlen", "bzero"):
        args.append(data.draw(address))
    if len(args) < STRING_FUNCTIONS[name]:
        args.append(data.draw(st.one_of(st.sampled_from(_LENGTHS), st.integers(0, 80))))
    _same_string_outcome(sandboxes, name, tuple(args))


def test_string_traps(sandboxes: tuple[Sandbox, Sandbox]) -> None:
    """The traps of each kind, explicitly: read-only destination, NULL, past the end, unterminated."""
    box = sandboxes[0]
    ro, rw, size = box.ro.base, box.rw.base, box.vm.memory.size
    cases = [("memcpy", (ro, rw, 4)), ("memset", (ro, 0, 1)), ("strcpy", (ro + 4, rw)),
             ("memcpy", (box.vm.memory.rw_base - 2, rw, 4)), ("strlen", (0,)), ("strlen", (size - 5,)),
             ("strcmp", (rw, size - 5)), ("strncmp", (size - 5, rw, 6)),
             ("strnlen", (size - 5, 9)), ("memcmp", (rw, size - 4, 8)), ("strcat", (rw, size - 2)),
             ("strncpy", (ro, rw, 3)), ("strncpy", (rw, size - 3, 8)), ("memchr", (size - 3, 0, 4)),
             ("bzero", (size - 4, 8)), ("strcpy", (size - 3, rw + 6))]
    for name, args in cases:
        reference = box.outcome(name, args)
        assert reference[0][0] == "trap", (name, args)
        _same_string_outcome(sandboxes, name, args)
    assert {box.outcome(n, a)[0][1] for n, a in cases} == {bpfvm.errors.TrapKind.READ_ONLY,
                                                           bpfvm.errors.TrapKind.OUT_OF_BOUNDS}


def test_user_intrinsic_overrides_native() -> None:
    """A vm.intrinsics entry of a libc name is called, not the native version."""
    vm = VM("jit", memory_size=16 << 20, heap_size=1 << 20)
    vm.intrinsics["strlen"] = lambda s: 4242
    program = bpfvm.compile(STRINGS_SOURCE)
    assert vm.run(program, 0, entry="t_strlen") == 4242


def test_operations_folded_at_jit_time() -> None:
    """Constant operands the JIT sees after inlining (clang could not fold them) give the
    interpreter's bits: LLVM's folding of NaNs and invalid operations must not leak through."""
    program = bpfvm.compile(PROGRAMS / "native_fold.c")
    results = []
    for engine in ("interpreter", "jit"):
        buf = bytearray(8 * 64)
        VM(engine, memory_size=16 << 20, heap_size=1 << 20).run(program, mem=buf, entry="fold")
        results.append(bytes(buf))
    assert results[1] == results[0]
    assert results[0].count(bytes(8)) < 40  # the results were written


def test_reference_nan_choice_is_deterministic() -> None:
    """The reference (softfloat) returns the first NaN operand of + - * (quieted), however warm
    CPython's specialised float operations are — the JIT can only match a deterministic rule."""
    from bpfvm.libc import LIBC

    first, second, signalling = 0x7FF8000000000001, 0xFFF8000000000002, 0x7FF0000000000003
    for name in ("__bpfvm_fadd_f64", "__bpfvm_fsub_f64", "__bpfvm_fmul_f64"):
        op = LIBC[name].fn
        for _ in range(100):  # past CPython's specialisation warm-up
            assert op(first, second) == first and op(second, first) == second
            assert op(signalling, first) == signalling | 1 << 51


def test_reference_fma_overflow_is_infinite() -> None:
    from bpfvm.libc import LIBC

    fma = LIBC["fma"].fn
    assert fma(_d(1e308), _d(10.0), _d(-1.0)) == _d(math.inf)
    assert fma(_d(-1e308), _d(10.0), _d(1.0)) == _d(-math.inf)


_PORTABLE_C = r"""
double dop(double a, double b, long k)
{
    switch (k) { case 0: return a + b; case 1: return a - b; case 2: return a * b; case 3: return a / b; }
    return __builtin_sqrt(a);
}
float fop(float a, float b, long k)
{
    switch (k) { case 0: return a + b; case 1: return a - b; case 2: return a * b; case 3: return a / b; }
    return __builtin_sqrtf(a);
}
long run(long a, long b, long k)
{
    union { double d; long l; } x = {.l = a}, y = {.l = b}, r;
    r.d = dop(x.d, y.d, k);
    return r.l;
}
long run32(long a, long b, long k)
{
    union { float f; unsigned u; } x = {.u = (unsigned)a}, y = {.u = (unsigned)b}, r;
    r.f = fop(x.f, y.f, k);
    return r.u;
}
"""


def _fp_results(vm: VM, program: Program) -> list[int]:
    out = []
    for entry, values in (("run", SPECIALS64), ("run32", SPECIALS32)):
        pairs = [(a, b) for a in values[::2] for b in values[1::2]]
        out += [vm.run(program, a, b, k, entry=entry) for k in range(5) for a, b in pairs]
    return out


def test_portable_fp_path_agrees() -> None:
    """With ``host_fp`` off (what a host whose FPU differs from x86 gets: NaN selects around
    plain LLVM FP instructions) + - * / and sqrt give the reference's bits, NaN payloads
    included; with it on (x86-64) they are the SSE instructions themselves, and agree too."""
    program = bpfvm.compile(_PORTABLE_C, flags=["-fno-math-errno"])
    reference = _fp_results(VM("interpreter"), program)
    saved = dict(options.OPTIMISATIONS)
    try:
        options.OPTIMISATIONS["host_fp"] = False
        portable = VM("jit", jit_cache=False)
        assert _fp_results(portable, program) == reference
        assert "addsd" not in portable.compile(program).ir
    finally:
        options.OPTIMISATIONS.update(saved)
    host = VM("jit", jit_cache=False)
    assert _fp_results(host, program) == reference
    assert ("addsd" in host.compile(program).ir) == options.x86_nan_rules()
