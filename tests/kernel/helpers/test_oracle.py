"""The kernel as oracle: the same bytecode calls bpf_strtol/strtoul, bpf_strncmp and bpf_snprintf
in a BPF_PROG_TYPE_SYSCALL program run by BPF_PROG_TEST_RUN and in bpfvm (both engines); r0 and
every byte the program writes back to its context must agree.  (bpf_loop and the iterator
kfuncs are not here yet: the kernel wants BTF func_info for callback subprograms and kfunc BTF
ids, which this harness's plain BPF_PROG_LOAD does not pass.)

Context layout (512 bytes): [0, 64) input text, [64] a length, [72] flags, [80, 176) up to 12 u64
arguments; the program writes r0 to [256], an output word to [264] and an output buffer to
[384, 512).  Constant strings (formats, strncmp's second string) live in a frozen read-only array
map, addressed with ``lddw src=2`` like libbpf's ``.rodata``.
"""

from __future__ import annotations

import ctypes
import errno
import struct
from collections.abc import Iterator, Sequence

import pytest

import bpfvm
from bpfvm.isa import Insn, encode, make
from bpfvm.kernel import syscall
from bpfvm.vm import ENGINES

pytestmark = pytest.mark.kernel

CTX = 512
R0, WORD, OUT = 256, 264, 384
RDONLY_PROG = 1 << 7
STRINGS = 256  # value size of the constant-string map; [0, 128) first string, [128, 256) second


@pytest.fixture(scope="module", autouse=True)
def kernel() -> None:
    ok, why = syscall.available()
    if not ok:
        pytest.skip(why)


def _copy_in(words: int, src_off: int, fp_off: int) -> list[Insn]:
    """Copy ``words`` u64s of the context at ``src_off`` to the stack at ``r10 + fp_off``."""
    out: list[Insn] = []
    for k in range(words):
        out += [make("ldxdw", dst=0, src=6, off=src_off + 8 * k),
                make("stxdw", dst=10, src=0, off=fp_off + 8 * k)]
    return out


def _copy_out(words: int, fp_off: int, dst_off: int) -> list[Insn]:
    out: list[Insn] = []
    for k in range(words):
        out += [make("ldxdw", dst=0, src=10, off=fp_off + 8 * k),
                make("stxdw", dst=6, src=0, off=dst_off + 8 * k)]
    return out


def _const(dst: int, offset: int) -> Insn:
    """``lddw dst, map_value(strings) + offset``; the fd is patched per side."""
    return make("lddw", dst=dst, src=2, imm=-1, imm_hi=offset)


def _finish(body: list[Insn]) -> list[Insn]:
    return [make("mov64_reg", dst=6, src=1), *body, make("stxdw", dst=6, src=0, off=R0),
            make("mov64_imm", dst=0, imm=0), make("exit")]


def _strtox(helper_id: int) -> list[Insn]:
    return _finish([*_copy_in(8, 0, -64), make("stdw", dst=10, off=-72, imm=0),
                    make("mov64_reg", dst=1, src=10), make("add64_imm", dst=1, imm=-64),
                    make("ldxdw", dst=2, src=6, off=64), make("and64_imm", dst=2, imm=63),
                    make("add64_imm", dst=2, imm=1), make("ldxdw", dst=3, src=6, off=72),
                    make("mov64_reg", dst=4, src=10), make("add64_imm", dst=4, imm=-72),
                    make("call", imm=helper_id), make("ldxdw", dst=1, src=10, off=-72),
                    make("stxdw", dst=6, src=1, off=WORD)])


def _strncmp() -> list[Insn]:
    return _finish([*_copy_in(8, 0, -64), make("mov64_reg", dst=1, src=10), make("add64_imm", dst=1, imm=-64),
                    make("ldxdw", dst=2, src=6, off=64), make("and64_imm", dst=2, imm=63),
                    make("add64_imm", dst=2, imm=1), _const(3, 0), make("call", imm=182)])


def _snprintf(nargs: int, string_slots: Sequence[int]) -> list[Insn]:
    data = -128 - 96
    body = [make("stdw", dst=10, off=-128 + 8 * k, imm=0) for k in range(16)]
    body += _copy_in(12, 80, data)
    for slot in string_slots:
        body += [_const(1, 128), make("stxdw", dst=10, src=1, off=data + 8 * slot)]
    body += [make("mov64_reg", dst=1, src=10), make("add64_imm", dst=1, imm=-128),
             make("ldxdw", dst=2, src=6, off=64), make("and64_imm", dst=2, imm=127), _const(3, 0),
             make("mov64_reg", dst=4, src=10), make("add64_imm", dst=4, imm=data),
             make("mov64_imm", dst=5, imm=8 * nargs), make("call", imm=165),
             make("mov64_reg", dst=7, src=0), *_copy_out(16, -128, OUT), make("mov64_reg", dst=0, src=7)]
    return _finish(body)


def _code(program: list[Insn], fd: int) -> bytes:
    fixed = [make("lddw", dst=i.dst, src=2, imm=fd, imm_hi=i.imm_hi) if i.spec.name == "lddw" and i.src == 2
             else i for i in program]
    return encode(tuple(fixed))


def _strings_value(first: bytes, second: bytes) -> bytes:
    return first.ljust(128, b"\0")[:128] + second.ljust(128, b"\0")[:128]


class _Freeze(ctypes.Structure):
    _fields_ = [("map_fd", ctypes.c_uint32)]


def _kernel_run(program: list[Insn], strings: bytes, ctx: bytes) -> tuple[int, bytes] | str:
    fd = syscall.map_create(2, 4, STRINGS, 1, flags=RDONLY_PROG)
    try:
        syscall.map_update(fd, bytes(4), strings)
        _, err = syscall._bpf(22, _Freeze(map_fd=fd))  # BPF_MAP_FREEZE
        assert not err, f"BPF_MAP_FREEZE: errno {err}"
        loaded = syscall.prog_load(_code(program, fd), syscall.ProgType.SYSCALL)
        if not loaded.ok:
            return loaded.log
        try:
            result = syscall.test_run(loaded.fd, ctx_in=ctx)
        finally:
            syscall.close(loaded.fd)
        return result.retval, result.ctx_out
    finally:
        syscall.close(fd)


def _bpfvm_run(engine: str, program: list[Insn], strings: bytes, ctx: bytes) -> tuple[int, bytes]:
    m = bpfvm.Map("array", 4, STRINGS, 1, flags=RDONLY_PROG)
    m.update(bytes(4), strings)
    mem = bytearray(ctx)
    r0 = bpfvm.VM(engine=engine).run(_code(program, m.fd), mem=mem)
    return r0, bytes(mem)


def _agree(program: list[Insn], strings: bytes, ctx: bytes) -> bytes:
    """Run on both sides and compare; returns the context the kernel left.  A bpf_snprintf
    format the kernel's verifier refuses must make bpfvm's call return -EINVAL."""
    expected = syscall.in_child(_kernel_run, program, strings, ctx)
    if isinstance(expected, syscall.KernelCrash):
        pytest.skip(f"the loading child died: {expected}")
    if isinstance(expected, str) and "Invalid format string" in expected:
        for engine in ENGINES:
            _, got = _bpfvm_run(engine, program, strings, ctx)
            assert _word(got, R0) == -errno.EINVAL, engine
        return b""
    assert not isinstance(expected, str), f"the kernel refused the program:\n{expected}"
    want = (expected[0], _word(expected[1], R0), _word(expected[1], WORD), expected[1])
    for engine in ENGINES:
        r0, got = _bpfvm_run(engine, program, strings, ctx)
        assert (r0, _word(got, R0), _word(got, WORD), got) == want, engine
    return expected[1]


def _ctx(text: bytes = b"", length: int = 0, flags: int = 0, args: Sequence[int] = ()) -> bytes:
    ctx = bytearray(CTX)
    ctx[:len(text)] = text
    struct.pack_into("<QQ", ctx, 64, length, flags)
    struct.pack_into(f"<{len(args)}Q", ctx, 80, *(a & (1 << 64) - 1 for a in args))
    return bytes(ctx)


def _word(ctx: bytes, offset: int) -> int:
    return int.from_bytes(ctx[offset:offset + 8], "little", signed=True)


STRTOX = [(b"123", 0), (b"  -0x1fz", 0), (b"0777", 0), (b"0777", 10), (b"ff", 16), (b"0xFF", 16),
          (b"0x", 0), (b"-", 0), (b"   ", 0), (b"9223372036854775807", 0), (b"9223372036854775808", 0),
          (b"-9223372036854775808", 0), (b"18446744073709551615", 0), (b"18446744073709551616", 0),
          (b"z", 36), (b"12", 3), (b"12", 1 << 5), (b"\t\n+5", 0), (b"\xa05", 0), (b"1\x002", 0),
          (b"0" * 70 + b"1", 0)]


def _strtox_cases() -> Iterator[tuple[bytes, int]]:
    yield from STRTOX


@pytest.mark.parametrize(("text", "flags"), list(_strtox_cases()))
@pytest.mark.parametrize("helper_id", [105, 106], ids=["strtol", "strtoul"])
def test_strtol_strtoul(helper_id: int, text: bytes, flags: int) -> None:
    text = text[:64]
    _agree(_strtox(helper_id), bytes(STRINGS), _ctx(text, len(text) - 1, flags))


@pytest.mark.parametrize(("s1", "size", "s2"), [
    (b"abc", 3, b"abc"), (b"abd", 3, b"abc"), (b"abb", 3, b"abc"), (b"ab", 3, b"abc"), (b"abc", 2, b"abX"),
    (b"abc\0zz", 6, b"abc"), (b"\xff", 1, b"a"), (b"", 1, b""), (b"hello", 5, b"hell")])
def test_strncmp(s1: bytes, size: int, s2: bytes) -> None:
    _agree(_strncmp(), _strings_value(s2, b""), _ctx(s1, size - 1))


SNPRINTF = [
    (b"%d %i %u", [-5, 7, -1], ()), (b"%ld %lld %lu %llu", [-5, -(1 << 62), -1, 1 << 63], ()),
    (b"%x %X %lx %llX", [255, 0xABC, -1, 1 << 40], ()), (b"%5d|%-5d|%05d|%+d|% d", [42, 42, -42, 3, 3], ()),
    (b"[%s] [%10s] [%-4s]", [0, 0, 0], (0, 1, 2)), (b"%c%c%c", [ord("a"), 0x142, 0x20], ()),
    (b"100%% %d", [1], ()), (b"%px %pK", [0xFFFF8880_12345678, 0], ()), (b"no args", [], ()),
    (b"%d", [], ()), (b"%q", [1], ()), (b"%.3d", [5], ()), (b"%hd", [5], ()), (b"%*d", [3, 5], ()),
    (b"%o", [8], ()), (b"%f", [0], ()), (b"tab\there", [], ()), (b"%d %d", [1, 2, 3], ()),
    (b"%pI4 %pi4 %pI6 %pi6", [0, 0, 0, 0], ()), (b"%pB %pS %ps %px", [0, 0, 0x1234, 0x1234], ()),
    (b"[%pks] [%5s] %p", [0, 0, 0], (0, 1)), (b"%#x", [1], ()), (b"%5%", [], ()), (b"a\x01b", [], ()),
    (b"\xe9", [], ()), (b"%zd", [1], ()), (b"long " * 40, [], ()),
]


@pytest.mark.parametrize(("fmt", "args", "strings"), SNPRINTF, ids=[repr(c[0][:20]) for c in SNPRINTF])
@pytest.mark.parametrize("size", [127, 8, 0])
def test_snprintf(fmt: bytes, args: list[int], strings: Sequence[int], size: int) -> None:
    if size == 0 and b"%pS" in fmt:
        pytest.xfail("the kernel's %pS/%ps count more into a zero-size buffer; not understood yet")
    if b"%pI4" in fmt:  # point them at the second string: "hi!" and zeros
        strings = (0, 1, 2, 3)
    program = _snprintf(len(args), strings)
    _agree(program, _strings_value(fmt, b"hi!"), _ctx(b"", size, 0, args))
