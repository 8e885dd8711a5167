"""bpfvm.VM on the interpreter engine: instruction semantics, memory, calls, helpers, traps, limits.

Programs are built from :func:`bpfvm.isa.make` with a small label resolver (:func:`build`), so
these tests do not depend on the assembler.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

import pytest

from bpfvm import VM, DecodeError, Program, ProgramError, ProgramExit, TrapKind, VmTrap
from bpfvm.interpreter import engine
from bpfvm.isa import SPECS, SPECS_BY_NAME, Insn, arith, encode, make
from bpfvm.isa.opcodes import ATOMIC_OPS, LDDW_FUNC
from bpfvm.memory import GUARD

M64 = 2**64 - 1
Item = Insn | str | tuple[Insn, str]


def build(*items: Item) -> bytes:
    """Encode instructions; a str defines a label, ``(insn, label)`` makes insn jump/call/point there."""
    labels: dict[str, int] = {}
    placed: list[tuple[int, Insn, str | None]] = []
    pc = 0
    for item in items:
        if isinstance(item, str):
            assert item not in labels, item
            labels[item] = pc
            continue
        insn, label = (item, None) if isinstance(item, Insn) else item
        placed.append((pc, insn, label))
        pc += insn.width
    out: list[Insn] = []
    for pc, insn, label in placed:
        if label is not None:
            rel = labels[label] - (pc + 1)
            field = "off" if insn.spec.kind in ("ja", "jcond", "may_goto") else "imm"
            insn = insn._replace(**{field: rel})
        out.append(insn.with_pc(pc))
    return encode(out)


def pcs_of(*items: Item) -> dict[str, int]:
    """Slot index of every label in ``items`` (as :func:`build` lays them out)."""
    labels, pc = {}, 0
    for item in items:
        if isinstance(item, str):
            labels[item] = pc
        else:
            pc += (item if isinstance(item, Insn) else item[0]).width
    return labels


def s32(value: int) -> int:
    return ((value & 0xFFFF_FFFF) ^ 0x8000_0000) - 0x8000_0000


def mov(dst: int, imm: int) -> Insn:
    return make("mov64_imm", dst=dst, imm=imm)


def movr(dst: int, src: int) -> Insn:
    return make("mov64_reg", dst=dst, src=src)


def k(op: str, dst: int, imm: int) -> Insn:
    """``op`` (``add64``, ``jlt32`` …) with an immediate operand."""
    return make(f"{op}_imm", dst=dst, imm=imm)


def x(op: str, dst: int, src: int) -> Insn:
    """``op`` with a register operand."""
    return make(f"{op}_reg", dst=dst, src=src)


def lddw(dst: int, value: int, src: int = 0) -> Insn:
    return make("lddw", dst=dst, src=src, imm=s32(value), imm_hi=s32(value >> 32))


def ldx(size: str, dst: int, src: int, off: int = 0) -> Insn:
    return make(f"ldx{size}", dst=dst, src=src, off=off)


def stx(size: str, dst: int, src: int, off: int = 0) -> Insn:
    return make(f"stx{size}", dst=dst, src=src, off=off)


def st(size: str, dst: int, off: int, imm: int) -> Insn:
    return make(f"st{size}", dst=dst, off=off, imm=imm)


def call(helper: int) -> Insn:
    return make("call", imm=helper)


def ja(label: str) -> tuple[Insn, str]:
    return make("ja"), label


def local(label: str) -> tuple[Insn, str]:
    return make("call_local"), label


def func_ptr(dst: int, label: str) -> tuple[Insn, str]:
    return make("lddw", dst=dst, src=LDDW_FUNC), label


EXIT = make("exit")


@pytest.fixture
def vm() -> VM:
    return VM()


def trap_of(vm: VM, code: bytes, **kwargs: Any) -> VmTrap:
    with pytest.raises(VmTrap) as info:
        vm.run(code, **kwargs)
    return info.value


# -- basics --------------------------------------------------------------------------------------


def test_return_constant(vm: VM) -> None:
    assert vm.run(build(mov(0, 42), EXIT)) == 42
    assert vm.instructions == 2
    assert vm.run(build(mov(0, -1), EXIT)) == M64


def test_every_register(vm: VM) -> None:
    items: list[Item] = [mov(reg, reg * 11 + 1) for reg in range(10)]
    items += [x("add64", 0, reg) for reg in range(1, 10)]
    assert vm.run(build(*items, EXIT)) == sum(reg * 11 + 1 for reg in range(10))


def test_register_arguments(vm: VM) -> None:
    code = build(movr(0, 1), k("mul64", 2, 10), x("add64", 0, 2), k("mul64", 3, 100), x("add64", 0, 3),
                 k("mul64", 4, 1000), x("add64", 0, 4), k("mul64", 5, 10000), x("add64", 0, 5), EXIT)
    assert vm.run(code, 1, 2, 3, 4, 5) == 54321
    assert vm.run(code, 7) == 7
    assert vm.run(build(movr(0, 1), EXIT), -1) == M64
    assert vm.run(build(movr(0, 1), EXIT), 2**64 + 3) == 3
    with pytest.raises(ValueError):
        vm.run(code, 1, 2, 3, 4, 5, 6)
    with pytest.raises(ValueError):
        vm.run(code, 1, mem=bytearray(8))


def test_program_object_and_cache(vm: VM) -> None:
    code = build(mov(0, 3), EXIT)
    prog = Program.from_bytes(code)
    assert vm.run(prog) == 3
    assert vm.run(prog) == 3
    assert vm.program(code) is vm.program(bytearray(code))
    assert vm.program(prog) is prog


def test_r10_is_the_top_of_memory(vm: VM) -> None:
    assert vm.run(build(movr(0, 10), EXIT)) == vm.memory.size


# -- ALU, byte swaps, jumps: every spec agrees with bpfvm.isa.arith ----------------------------------

VALUES = [
    (0, 0), (1, 1), (7, 3), (M64, 1), (2**63, M64), (0x8000_0000, 0xFFFF_FFFF), (100, 0),
    (0x1234_5678_9ABC_DEF0, 0x0FED_CBA9_8765_4321), (2**31 - 1, 33), (M64 - 6, 2), (12345, 65),
    (0xFFFF_FFFF_8000_0000, M64), (0x8000_0000_0000_0000, 0x8000_0000), (0xFFFF_FFFF, 0x1_0000_0001),
    (5, 0x1_0000_0005), (0x1_0000_0005, 5), (0x8000_0000, 0x7FFF_FFFF), (6, 3), (0xF0, 0x0F),
]


def operand(spec_name: str, b: int) -> tuple[dict[str, int], int]:
    """Instruction fields for operand ``b`` and the 64-bit value the instruction sees."""
    spec = SPECS_BY_NAME[spec_name]
    if spec.source == "imm" and "imm" in spec.uses:
        return {"imm": s32(b)}, s32(b) & M64
    if spec.source == "reg":
        return {"src": 7}, b
    return {}, 0


@pytest.mark.parametrize("name", [s.name for s in SPECS if s.kind == "alu"])
def test_alu_spec(vm: VM, name: str) -> None:
    spec = SPECS_BY_NAME[name]
    for a, b in VALUES:
        fields, b_seen = operand(name, b)
        code = build(lddw(3, a), lddw(7, b), make(name, dst=3, **fields), movr(0, 3), EXIT)
        assert vm.run(code) == arith.alu(spec.op, spec.bits, a, b_seen), (name, hex(a), hex(b))
        if spec.source == "reg":  # the source register is left alone
            code = build(lddw(3, a), lddw(7, b), make(name, dst=3, src=7), movr(0, 7), EXIT)
            assert vm.run(code) == b
            code = build(lddw(4, a), make(name, dst=4, src=4), movr(0, 4), EXIT)
            assert vm.run(code) == arith.alu(spec.op, spec.bits, a, a), (name, hex(a), "same register")


@pytest.mark.parametrize("name", [s.name for s in SPECS if s.kind == "end"])
def test_byteswap_spec(vm: VM, name: str) -> None:
    spec = SPECS_BY_NAME[name]
    for a, _ in VALUES:
        code = build(lddw(5, a), make(name, dst=5), movr(0, 5), EXIT)
        assert vm.run(code) == arith.byteswap(spec.op, a), (name, hex(a))


@pytest.mark.parametrize("name", [s.name for s in SPECS if s.kind == "jcond"])
def test_jump_spec(vm: VM, name: str) -> None:
    spec = SPECS_BY_NAME[name]
    for a, b in VALUES + [(b, a) for a, b in VALUES]:
        fields, b_seen = operand(name, b)
        code = build(mov(0, 0), lddw(1, a), lddw(7, b), (make(name, dst=1, **fields), "taken"), EXIT,
                     "taken", mov(0, 1), EXIT)
        assert vm.run(code) == arith.jump_taken(spec.op, spec.bits, a, b_seen), (name, hex(a), hex(b))


@pytest.mark.parametrize(("name", "a", "b", "expected"), [
    ("sdiv64", -7, 2, -3), ("sdiv32", -7, 2, 2**32 - 3), ("smod64", -7, 2, -1), ("smod64", 7, -2, 1),
    ("div64", -1, 0, 0), ("mod64", 9, 0, 9), ("mod32", 2**32 + 9, 0, 9), ("arsh64", -16, 2, -4),
    ("arsh32", -16, 2, 2**32 - 4), ("lsh64", 1, 64, 1), ("rsh32", -1, 28, 15), ("mul32", 2**32 + 3, 5, 15),
])
def test_hand_checked_alu(vm: VM, name: str, a: int, b: int, expected: int) -> None:
    for insn in (make(f"{name}_reg", dst=1, src=2), make(f"{name}_imm", dst=1, imm=b)):
        assert vm.run(build(lddw(1, a & M64), lddw(2, b & M64), insn, movr(0, 1), EXIT)) == expected & M64


def test_ja_and_gotol(vm: VM) -> None:
    code = build(mov(0, 1), (make("gotol"), "fwd"), mov(0, 2), EXIT, "back", k("add64", 0, 10), EXIT,
                 "fwd", k("add64", 0, 100), ja("back"))
    assert vm.run(code) == 111


# -- loads and stores ---------------------------------------------------------------------------

DATA = bytes(range(0x80, 0xC0))  # 64 bytes, every one with the sign bit set
SIZES = {"b": 1, "h": 2, "w": 4, "dw": 8}


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("data", [DATA, bytes(range(64))], ids=["negative", "positive"])
def test_loads(vm: VM, size: str, data: bytes) -> None:
    width = SIZES[size]
    for off in (0, 3, 64 - width):
        raw = data[off:off + width]
        assert vm.run(build(ldx(size, 0, 1, off), EXIT), mem=bytearray(data)) == int.from_bytes(raw, "little")
        # the same bytes through a negative offset
        code = build(k("add64", 1, 32), ldx(size, 0, 1, off - 32), EXIT)
        assert vm.run(code, mem=bytearray(data)) == int.from_bytes(raw, "little")
        if size != "dw":
            signed = int.from_bytes(raw, "little", signed=True) & M64
            assert vm.run(build(ldx("s" + size, 0, 1, off), EXIT), mem=bytearray(data)) == signed


@pytest.mark.parametrize("size", list(SIZES))
def test_stx(vm: VM, size: str) -> None:
    width = SIZES[size]
    value = 0xF1E2_D3C4_B5A6_9788
    for off in (0, 5, 64 - width):
        mem = bytearray(DATA)
        assert vm.run(build(lddw(2, value), stx(size, 1, 2, off), mov(0, 9), EXIT), mem=mem) == 9
        expected = bytearray(DATA)
        expected[off:off + width] = value.to_bytes(8, "little")[:width]
        assert mem == expected


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("imm", [0, 1, -2, 0x12345, -0x8000_0000, 0x7FFF_FFFF])
def test_st_imm(vm: VM, size: str, imm: int) -> None:
    width = SIZES[size]
    mem = bytearray(DATA)
    vm.run(build(st(size, 1, 8, imm), EXIT), mem=mem)
    expected = bytearray(DATA)
    expected[8:8 + width] = (imm & M64).to_bytes(8, "little")[:width]  # sign-extended, then truncated
    assert mem == expected


def test_stack_store_and_load(vm: VM) -> None:
    code = build(lddw(2, 0x1122_3344_5566_7788), stx("dw", 10, 2, -8), st("b", 10, -8, 0x99),
                 st("h", 10, -2, -1), ldx("dw", 0, 10, -8), EXIT)
    assert vm.run(code) == 0xFFFF_3344_5566_7799


def test_load_from_register_holding_result_of_load(vm: VM) -> None:
    """A pointer stored in memory, loaded, and dereferenced."""
    code = build(stx("dw", 10, 1, -8), ldx("dw", 2, 10, -8), ldx("b", 0, 2, 3), EXIT)
    assert vm.run(code, mem=bytearray(DATA)) == DATA[3]


# -- atomics -------------------------------------------------------------------------------------

ATOMIC_CASES = [
    (0x1122_3344_5566_7788, 0x0F0F_0F0F_F0F0_F0F0, 5),
    (M64, 1, M64),
    (5, 7, 5),
    (0x1_0000_0005, 9, 0xFFFF_FFFF_0000_0005),  # 32-bit cmpxchg compares the low halves only
    (0x1_0000_0005, 9, 0x1_0000_0005),
    (0, M64, 1),
]


def atomic_name(size: int, imm: int) -> str:
    return next(s.name for s in SPECS if s.kind == "atomic" and s.size == size and s.discr == ("imm", imm))


def atomic_expect(op: str, fetch: bool, size: int, old: int, value: int, r0: int) -> tuple[int, int, int]:
    """(new memory word, src register after, r0 after) for one atomic instruction."""
    mask = (1 << (8 * size)) - 1
    cur = old & mask
    if op == "cmpxchg":
        new = value & mask if cur == r0 & mask else cur
        return (old & ~mask) | new, value, cur
    if op == "xchg":
        return (old & ~mask) | (value & mask), cur, r0
    combine: dict[str, Callable[[int, int], int]] = {
        "add": lambda p, q: p + q, "or": lambda p, q: p | q, "and": lambda p, q: p & q,
        "xor": lambda p, q: p ^ q}
    new = combine[op](cur, value) & mask
    return (old & ~mask) | new, cur if fetch else value, r0


@pytest.mark.parametrize("size", [4, 8])
@pytest.mark.parametrize("imm", sorted(ATOMIC_OPS))
def test_atomic(vm: VM, size: int, imm: int) -> None:
    op, fetch = ATOMIC_OPS[imm]
    name = atomic_name(size, imm)
    code = build(lddw(2, 0), ldx("dw", 2, 1, 32), lddw(0, 0), ldx("dw", 0, 1, 40),
                 make(name, dst=1, src=2, off=8), stx("dw", 1, 2, 16), stx("dw", 1, 0, 24), EXIT)
    for old, value, r0 in ATOMIC_CASES:
        mem = bytearray(struct.pack("<6Q", 0xAAAA_AAAA_AAAA_AAAA, old, 0, 0, value, r0))
        result = vm.run(code, mem=mem)
        word, src_after, r0_after = atomic_expect(op, fetch, size, old, value, r0)
        got = struct.unpack("<6Q", mem)
        assert got == (0xAAAA_AAAA_AAAA_AAAA, word, src_after, r0_after, value, r0), (name, old, value, r0)
        assert result == r0_after


def test_atomic_on_stack_via_r10(vm: VM) -> None:
    code = build(st("dw", 10, -8, 40), mov(2, 2), make("atomic64_fetch_add", dst=10, src=2, off=-8),
                 ldx("dw", 0, 10, -8), k("mul64", 0, 100), x("add64", 0, 2), EXIT)
    assert vm.run(code) == 4240


def test_atomic_traps_like_a_store(vm: VM) -> None:
    code = build(mov(1, 0), mov(2, 1), make("atomic32_add", dst=1, src=2, off=0x40), EXIT)
    trap = trap_of(vm, code)
    assert (trap.kind, trap.pc, trap.addr) == (TrapKind.OUT_OF_BOUNDS, 2, 0x40)


# -- BPF-to-BPF calls ------------------------------------------------------------------------------


def test_call_preserves_r6_to_r9(vm: VM) -> None:
    code = build(mov(6, 6), mov(7, 7), mov(8, 8), mov(9, 9), mov(1, 100), mov(2, 20), local("f"),
                 x("add64", 0, 6), x("add64", 0, 7), x("add64", 0, 8), x("add64", 0, 9), EXIT,
                 "f", mov(6, 1000), mov(7, 1000), mov(8, 1000), mov(9, 1000), movr(0, 1), x("add64", 0, 2),
                 EXIT)
    assert vm.run(code) == 150


@pytest.mark.parametrize("stack_size", [512, 1024, 64, 8])
def test_callee_frame_pointer(stack_size: int) -> None:
    vm = VM(stack_size=stack_size)
    code = build(local("f"), movr(1, 10), x("sub64", 1, 0), movr(0, 1), EXIT,
                 "f", movr(0, 10), EXIT)
    assert vm.run(code) == stack_size
    nested = build(local("f"), movr(1, 10), x("sub64", 1, 0), movr(0, 1), EXIT,
                   "f", local("g"), EXIT,
                   "g", movr(0, 10), EXIT)
    assert vm.run(nested) == 2 * stack_size


def test_frames_do_not_overlap(vm: VM) -> None:
    code = build(mov(1, 0x1111), stx("dw", 10, 1, -8), local("f"), ldx("dw", 1, 10, -8), k("lsh64", 1, 32),
                 x("or64", 0, 1), EXIT,
                 "f", mov(1, 0x2222), stx("dw", 10, 1, -8), stx("dw", 10, 1, -512), ldx("dw", 0, 10, -8),
                 EXIT)
    assert vm.run(code) == (0x1111 << 32) | 0x2222


@pytest.mark.parametrize("depth", [1, 2, 8])
def test_call_depth_limit(depth: int) -> None:
    vm = VM(max_call_depth=depth)
    code = build(local("f"), EXIT, "f", local("f"), EXIT)
    trap = trap_of(vm, code)
    assert trap.kind is TrapKind.CALL_DEPTH
    assert trap.pc == (0 if depth == 1 else 2)


def recursive_sum(n: int) -> bytes:
    return build(mov(1, n), local("sum"), EXIT,
                 "sum", mov(0, 0), (k("jeq64", 1, 0), "ret"), movr(6, 1), k("sub64", 1, 1), local("sum"),
                 x("add64", 0, 6), "ret", EXIT)


@pytest.mark.parametrize("depth", [2, 3, 8, 12])
def test_recursion(depth: int) -> None:
    vm = VM(max_call_depth=depth)
    n = depth - 2  # entry + sum(n) ... sum(0) = n + 2 frames
    assert vm.run(recursive_sum(n)) == n * (n + 1) // 2
    trap = trap_of(vm, recursive_sum(n + 1))
    assert (trap.kind, trap.pc) == (TrapKind.CALL_DEPTH, 7)


def test_run_named_entry(vm: VM) -> None:
    code = build(local("f"), EXIT, "f", mov(0, 2), movr(0, 1), EXIT)
    assert vm.run(code, 77, entry="func_2") == 77
    with pytest.raises(ProgramError):
        vm.run(code, entry="nope")


# -- helpers -----------------------------------------------------------------------------------


def test_helper_gets_r1_to_r5(vm: VM) -> None:
    seen: list[tuple[int, ...]] = []

    def helper(*args: int) -> int:
        seen.append(args)
        return 77

    vm.helpers[5] = helper
    values = [1, M64, 2**63, 0x1234_5678_9ABC, 0]
    code = build(*[lddw(reg, v) for reg, v in enumerate(values, start=1)], call(5), EXIT)
    assert vm.run(code) == 77
    assert seen == [tuple(values)]


@pytest.mark.parametrize(("returned", "r0"), [
    (None, 0), (True, 1), (False, 0), (-1, M64), (2**64 + 5, 5), (-(2**63), 2**63), (0, 0), (42, 42),
])
def test_helper_return_value(vm: VM, returned: Any, r0: int) -> None:
    vm.helpers[1] = lambda *args: returned
    assert vm.run(build(mov(0, 99), call(1), EXIT)) == r0


@pytest.mark.parametrize("returned", ["7", 1.5, b"x", [1]])
def test_helper_bad_return_value(vm: VM, returned: Any) -> None:
    vm.helpers[1] = lambda *args: returned
    with pytest.raises(ProgramError) as info:
        vm.run(build(mov(0, 0), call(1), EXIT))
    assert info.value.pc == 1


def test_helper_uses_guest_memory() -> None:
    vm = VM()

    def strlen(ptr: int, *_: int) -> int:
        return len(vm.memory.cstring(ptr))

    def upper(src: int, dst: int, *_: int) -> None:
        vm.memory.write(dst, vm.memory.cstring(src).upper())

    def peek(ptr: int, size: int, *_: int) -> int:
        return int.from_bytes(vm.memory.read(ptr, size), "little")

    vm.helpers.update({1: strlen, 2: upper, 3: peek})
    mem = bytearray(b"hello\0" + bytes(26))
    code = build(movr(6, 1), call(1), movr(7, 0),
                 movr(1, 6), movr(2, 6), k("add64", 2, 16), call(2),
                 movr(1, 6), k("add64", 1, 17), mov(2, 2), call(3), k("lsh64", 0, 8), x("or64", 0, 7), EXIT)
    assert vm.run(code, mem=mem) == (int.from_bytes(b"EL", "little") << 8) | 5
    assert mem[16:22] == b"HELLO\0"
    assert mem[:6] == b"hello\0"


@pytest.mark.parametrize(("access", "kind", "addr"), [
    (lambda vm: vm.memory.read(0, 4), TrapKind.OUT_OF_BOUNDS, 0),
    (lambda vm: vm.memory.write(GUARD, b"x"), TrapKind.READ_ONLY, GUARD),
    (lambda vm: vm.memory.cstring(vm.memory.size), TrapKind.OUT_OF_BOUNDS, None),
])
def test_helper_memory_fault_reports_the_call(vm: VM, access: Callable[[VM], object], kind: TrapKind,
                                              addr: int | None) -> None:
    vm.helpers[4] = lambda *args: access(vm)
    trap = trap_of(vm, build(mov(0, 0), mov(1, 1), call(4), EXIT))
    assert (trap.kind, trap.pc) == (kind, 2)
    if addr is not None:
        assert trap.addr == addr


def test_helper_exception_propagates_with_pc(vm: VM) -> None:
    def boom(*args: int) -> int:
        raise ValueError("boom")

    vm.helpers[3] = boom
    with pytest.raises(ValueError, match="boom") as info:
        vm.run(build(mov(0, 0), mov(1, 0), lddw(2, 5), call(3), EXIT))
    assert any("pc 4" in note for note in info.value.__notes__)
    assert info.value.bpf_pc == 4  # type: ignore[attr-defined]


@pytest.mark.parametrize(("value", "r0"), [(7, 7), (0, 0), (-1, M64)])
def test_helper_program_exit(vm: VM, value: int, r0: int) -> None:
    def stop(*args: int) -> int:
        raise ProgramExit(value)

    vm.helpers[9] = stop
    mem = bytearray(4)
    assert vm.run(build(mov(0, 1), call(9), st("b", 1, 0, 1), mov(0, 2), EXIT), mem=mem) == r0
    assert mem == bytearray(4)  # nothing after the call ran


def test_program_exit_from_nested_call(vm: VM) -> None:
    def stop(*args: int) -> int:
        raise ProgramExit(args[0] * 2)

    vm.helpers[1] = stop
    assert vm.run(build(mov(1, 21), local("f"), mov(0, 0), EXIT, "f", call(1), EXIT)) == 42


def test_unknown_helper_rejected_before_running(vm: VM) -> None:
    mem = bytearray(4)
    code = build(st("b", 1, 0, 0x55), call(99), EXIT)
    with pytest.raises(ProgramError) as info:
        vm.run(code, mem=mem)
    assert info.value.pc == 1
    assert "99" in info.value.reason
    assert mem == bytearray(4)
    vm.helpers[99] = lambda *args: 5
    assert vm.run(code, mem=mem) == 5
    assert mem[0] == 0x55


def test_unknown_helper_in_dead_code_rejected(vm: VM) -> None:
    with pytest.raises(ProgramError) as info:
        vm.run(build(mov(0, 0), EXIT, call(999), EXIT))  # no such helper (12 is bpf_tail_call now)
    assert info.value.pc == 2


# -- traps -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("base", "off", "addr"), [(0, 0, 0), (0, 0x100, 0x100), (GUARD - 1, 0, GUARD - 1)])
def test_null_load(vm: VM, base: int, off: int, addr: int) -> None:
    trap = trap_of(vm, build(lddw(1, base), ldx("w", 0, 1, off), EXIT))
    assert (trap.kind, trap.pc, trap.addr) == (TrapKind.OUT_OF_BOUNDS, 2, addr)
    assert "pc 2" in str(trap)


def test_null_store(vm: VM) -> None:
    trap = trap_of(vm, build(mov(1, 0), stx("dw", 1, 1, 8), EXIT))
    assert (trap.kind, trap.pc, trap.addr) == (TrapKind.OUT_OF_BOUNDS, 1, 8)


@pytest.mark.parametrize(("size", "off"), [("dw", 0), ("dw", -4), ("b", 0), ("w", -3), ("h", 0x7FFF)])
def test_load_past_end_of_memory(vm: VM, size: str, off: int) -> None:
    trap = trap_of(vm, build(mov(0, 0), movr(2, 10), ldx(size, 0, 2, off), EXIT))
    assert (trap.kind, trap.pc) == (TrapKind.OUT_OF_BOUNDS, 2)
    assert trap.addr == vm.memory.size + off


def test_load_far_away(vm: VM) -> None:
    trap = trap_of(vm, build(lddw(1, 2**40), ldx("b", 0, 1), EXIT))
    assert (trap.kind, trap.pc, trap.addr) == (TrapKind.OUT_OF_BOUNDS, 2, 2**40)


def test_store_beyond_stack_top(vm: VM) -> None:
    trap = trap_of(vm, build(mov(1, 1), movr(2, 10), stx("dw", 2, 1, 0), EXIT))
    assert (trap.kind, trap.pc, trap.addr) == (TrapKind.OUT_OF_BOUNDS, 2, vm.memory.size)
    assert vm.run(build(mov(1, 1), stx("dw", 10, 1, -8), mov(0, 0), EXIT)) == 0


@pytest.mark.parametrize(("size", "off"), [("dw", 0), ("b", 0), ("dw", -4), ("w", -516), ("b", -513)])
def test_r10_access_outside_the_frame_is_a_stack_overflow(vm: VM, size: str, off: int) -> None:
    """r10-relative operands must stay in [r10 - stack_size, r10), as the kernel verifier demands."""
    for insn in (ldx(size, 0, 10, off), stx(size, 10, 1, off), st(size, 10, off, 1)):
        trap = trap_of(vm, build(mov(0, 0), mov(1, 0), insn, EXIT))
        assert (trap.kind, trap.pc) == (TrapKind.STACK_OVERFLOW, 2)
        assert vm.instructions == 3


@pytest.mark.parametrize("off", [-512, -8, -1])
def test_r10_access_at_the_frame_edges(off: int) -> None:
    vm = VM(stack_size=512)
    code = build(mov(1, 0x5A), stx("b", 10, 1, off), ldx("b", 0, 10, off), EXIT)
    assert vm.run(code) == 0x5A
    assert trap_of(VM(stack_size=256), build(ldx("b", 0, 10, -257), EXIT)).kind == TrapKind.STACK_OVERFLOW


def test_code_is_readable_but_not_writable(vm: VM) -> None:
    items: list[Item] = [func_ptr(1, "f"), ldx("dw", 0, 1), st("w", 1, 0, 7), EXIT, "f", EXIT]
    code = build(*items)
    assert pcs_of(*items)["f"] == 5
    trap = trap_of(vm, code)
    code_base = vm.compile(vm.program(code)).layout.code_base
    assert (trap.kind, trap.pc, trap.addr) == (TrapKind.READ_ONLY, 3, code_base + 8 * 5)
    # the function pointer points at the encoded exit instruction
    assert vm.run(build(func_ptr(1, "f"), ldx("dw", 0, 1), EXIT, "f", EXIT)) == 0x95


@pytest.mark.parametrize("size", ["b", "dw"])
def test_address_wraps_around(vm: VM, size: str) -> None:
    trap = trap_of(vm, build(mov(6, -16), stx(size, 6, 1, 16), EXIT))
    assert (trap.kind, trap.pc, trap.addr) == (TrapKind.OUT_OF_BOUNDS, 1, 0)
    trap = trap_of(vm, build(mov(6, 5), ldx(size, 0, 6, -16), EXIT))
    assert (trap.kind, trap.pc, trap.addr) == (TrapKind.OUT_OF_BOUNDS, 1, 2**64 - 11)


def test_trap_in_callee_reports_callee_pc(vm: VM) -> None:
    trap = trap_of(vm, build(local("f"), EXIT, "f", mov(1, 0), ldx("b", 0, 1), EXIT))
    assert (trap.kind, trap.pc) == (TrapKind.OUT_OF_BOUNDS, 3)


def test_mem_keeps_stores_made_before_a_trap(vm: VM) -> None:
    mem = bytearray(8)
    trap = trap_of(vm, build(st("b", 1, 0, 0xAB), mov(2, 0), stx("dw", 2, 1, 0), EXIT), mem=mem)
    assert (trap.kind, trap.pc) == (TrapKind.OUT_OF_BOUNDS, 2)
    assert mem == bytearray(b"\xab" + bytes(7))


def test_mem_forms(vm: VM) -> None:
    code = build(ldx("b", 0, 1), k("add64", 0, 1), stx("b", 1, 0), movr(0, 2), EXIT)
    mem = bytearray(b"\x05abc")
    assert vm.run(code, mem=mem) == 4  # r2 is the length
    assert mem == bytearray(b"\x06abc")
    frozen = b"\x05abc"
    assert vm.run(code, mem=frozen) == 4
    assert frozen == b"\x05abc"
    buf = bytearray(b"\x09xy")
    assert vm.run(code, mem=memoryview(buf)) == 3
    assert buf == bytearray(b"\x0axy")
    assert vm.run(code, mem=memoryview(b"\x01")) == 1


# -- the instruction budget ----------------------------------------------------------------------


def test_infinite_loop_runs_out_of_budget() -> None:
    vm = VM(max_instructions=1000)
    trap = trap_of(vm, build("top", ja("top")))
    assert (trap.kind, trap.pc) == (TrapKind.BUDGET, 0)
    # pc 0 once, then 1, 2, 1, 2 …: the 1001st instruction (the first over budget) is at pc 2
    trap = trap_of(vm, build(mov(0, 0), "top", k("add64", 0, 1), ja("top"), EXIT))
    assert (trap.kind, trap.pc) == (TrapKind.BUDGET, 2)


STRAIGHT = {
    "plain": [mov(0, 1), k("add64", 0, 2), k("mul64", 0, 3), mov(1, 4), x("add64", 0, 1), EXIT],
    "lddw": [mov(0, 1), lddw(1, 2**40), k("add64", 0, 1), lddw(2, 3), x("add64", 0, 2), EXIT],
}


@pytest.mark.parametrize("shape", list(STRAIGHT))
def test_budget_is_exact_on_straight_line_code(shape: str) -> None:
    insns = STRAIGHT[shape]
    code = build(*insns)
    pcs = [insn.pc for insn in Program.from_bytes(code).insns]
    count = len(insns)
    vm = VM(max_instructions=count)
    expected = vm.run(code)
    assert vm.instructions == count
    for budget in range(count):
        trap = trap_of(VM(max_instructions=budget), code)
        assert (trap.kind, trap.pc) == (TrapKind.BUDGET, pcs[budget]), budget
    assert VM(max_instructions=count + 5).run(code) == expected


def test_budget_trap_mid_block_keeps_earlier_side_effects() -> None:
    """The instructions before the first over-budget one really run (stores land in mem)."""
    code = build(st("b", 1, 0, 1), st("b", 1, 1, 2), st("b", 1, 2, 3), st("b", 1, 3, 4), mov(0, 0), EXIT)
    for budget in range(5):
        mem = bytearray(4)
        vm = VM(max_instructions=budget)
        trap = trap_of(vm, code, mem=mem)
        assert (trap.kind, trap.pc) == (TrapKind.BUDGET, budget)
        assert mem == bytes([1, 2, 3, 4][:budget] + [0] * (4 - budget))
        assert vm.instructions == budget


def test_instruction_count_after_every_kind_of_ending() -> None:
    """vm.instructions counts what ran, faulting or exiting instruction included."""
    vm = VM(max_instructions=100)

    def stop(*_: int) -> int:
        raise ProgramExit(5)

    vm.helpers[1] = stop
    assert vm.run(build(mov(0, 0), mov(1, 0), call(1), mov(0, 1), EXIT)) == 5
    assert vm.instructions == 3
    trap_of(vm, build(mov(0, 0), mov(1, 0), ldx("w", 0, 1), EXIT))
    assert vm.instructions == 3
    trap_of(vm, build("top", ja("top")))
    assert vm.instructions == 100
    ldabs = Insn(SPECS_BY_NAME["ldabsw"].opcode, imm=64)
    assert vm.run(build(mov(0, 7), mov(6, 1), ldabs, mov(0, 9), EXIT), mem=bytearray(8)) == 0
    assert vm.instructions == 3


LOOPING: list[Item] = [mov(0, 0), mov(1, 3), "loop", x("add64", 0, 1), k("sub64", 1, 1),
                       (k("jne64", 1, 0), "loop"), movr(1, 0), local("f"), EXIT,
                       "f", movr(0, 1), k("add64", 0, 100), EXIT]
LOOPING_TRACE = [0, 1] + [2, 3, 4] * 3 + [5, 6, 8, 9, 10, 7]


def test_budget_is_exact_across_loops_and_calls() -> None:
    code = build(*LOOPING)
    vm = VM()
    assert vm.run(code) == 106
    assert vm.instructions == len(LOOPING_TRACE)
    for budget in range(len(LOOPING_TRACE)):
        trap = trap_of(VM(max_instructions=budget), code)
        assert (trap.kind, trap.pc) == (TrapKind.BUDGET, LOOPING_TRACE[budget]), budget
    assert VM(max_instructions=len(LOOPING_TRACE)).run(code) == 106


# -- callx -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["dst", "imm"])
def test_callx_function_pointer(vm: VM, encoding: str) -> None:
    callx = make("callx", **{encoding: 6})
    code = build(func_ptr(6, "f"), mov(1, 20), callx, k("add64", 0, 1), EXIT,
                 "f", movr(0, 1), k("mul64", 0, 2), EXIT)
    assert vm.run(code) == 41


def test_callx_frame_and_depth() -> None:
    vm = VM(stack_size=256)
    code = build(func_ptr(6, "f"), make("callx", dst=6), movr(1, 10), x("sub64", 1, 0), movr(0, 1), EXIT,
                 "f", movr(0, 10), EXIT)
    assert vm.run(code) == 256
    items: list[Item] = [func_ptr(6, "f"), make("callx", dst=6), EXIT,
                         "f", func_ptr(6, "f"), "again", make("callx", dst=6), EXIT]
    trap = trap_of(vm, build(*items))
    assert (trap.kind, trap.pc) == (TrapKind.CALL_DEPTH, pcs_of(*items)["again"])


@pytest.mark.parametrize("target", [12345, 0, M64, "f+8", "code"])
def test_callx_bad_target(vm: VM, target: int | str) -> None:
    items: list[Item] = [func_ptr(6, "f"), mov(0, 0), make("callx", dst=6), EXIT, "f", mov(0, 1), EXIT]
    if target == "f+8":
        items[1] = k("add64", 6, 8)  # the second instruction of f: not a function
    elif target == "code":
        items[1] = k("sub64", 6, 8)  # the exit before f
    else:
        items[0] = lddw(6, int(target))
    trap = trap_of(vm, build(*items))
    assert (trap.kind, trap.pc) == (TrapKind.BAD_CALL_TARGET, 3)
    if isinstance(target, int):
        assert trap.addr == target


def test_callx_helper_id(vm: VM) -> None:
    vm.helpers[3] = lambda a, b, *rest: a * b
    code = build(mov(8, 3), mov(1, 10), mov(2, 20), make("callx", dst=8), k("add64", 0, 1), EXIT)
    assert vm.run(code) == 201


# -- may_goto ----------------------------------------------------------------------------------------


def test_may_goto_falls_through_while_budget_lasts(vm: VM) -> None:
    assert vm.run(build(mov(0, 1), (make("may_goto"), "skip"), mov(0, 2), "skip", EXIT)) == 2


def test_may_goto_jumps_when_budget_is_spent(vm: VM, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "MAY_GOTO_LIMIT", 3)
    loop = build(mov(0, 0), "loop", (make("may_goto"), "done"), k("add64", 0, 1), ja("loop"), "done", EXIT)
    assert vm.run(loop) == 3
    assert vm.run(loop) == 3  # the budget is per run
    monkeypatch.setattr(engine, "MAY_GOTO_LIMIT", 0)
    assert vm.run(build(mov(0, 5), (make("may_goto"), "skip"), mov(0, 1), "skip", EXIT)) == 5


def test_may_goto_forward_inside_loop(vm: VM, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "MAY_GOTO_LIMIT", 4)
    code = build(mov(0, 0), mov(1, 0), "loop", k("add64", 1, 1), (make("may_goto"), "over"), k("add64", 0, 1),
                 "over", (k("jlt64", 1, 10), "loop"), k("mul64", 1, 100), x("add64", 0, 1), EXIT)
    assert vm.run(code) == 1004


# -- legacy packet access ------------------------------------------------------------------------

PACKET = bytes(range(0x10, 0x50))


@pytest.mark.parametrize(("insns", "expected"), [
    ([make("ldabsb", imm=1)], 0x11),
    ([make("ldabsh", imm=2)], 0x1213),
    ([make("ldabsw", imm=4)], 0x1415_1617),
    ([make("ldabsw", imm=60)], 0x4C4D_4E4F),
    ([mov(6, 3), make("ldindw", src=6, imm=2)], 0x1516_1718),
    ([mov(6, -8), make("ldindh", src=6, imm=10)], 0x1213),
    ([mov(6, 63), make("ldindb", src=6, imm=0)], 0x4F),
])
def test_packet_loads_are_big_endian(vm: VM, insns: list[Insn], expected: int) -> None:
    assert vm.run(build(mov(0, 99), *insns, EXIT), mem=bytearray(PACKET)) == expected


@pytest.mark.parametrize("insns", [
    [make("ldabsw", imm=61)],
    [make("ldabsb", imm=64)],
    [make("ldabsh", imm=-1)],
    [mov(6, -8), make("ldindw", src=6, imm=4)],
    [mov(6, 62), make("ldindw", src=6, imm=0)],
    [lddw(6, 2**32), make("ldindb", src=6, imm=64)],
])
def test_packet_load_out_of_bounds_ends_program(vm: VM, insns: list[Insn]) -> None:
    called: list[int] = []
    vm.helpers[1] = lambda *args: called.append(1)
    mem = bytearray(PACKET)
    assert vm.run(build(mov(0, 99), st("b", 1, 0, 0), *insns, call(1), mov(0, 98), EXIT), mem=mem) == 0
    assert called == []
    assert mem[0] == 0  # the store before the load happened


def test_packet_load_without_packet(vm: VM) -> None:
    assert vm.run(build(mov(0, 99), make("ldabsb", imm=0), EXIT)) == 0


def test_packet_load_in_callee(vm: VM) -> None:
    code = build(local("f"), k("add64", 0, 1), EXIT, "f", make("ldabsb", imm=100), EXIT)
    assert vm.run(code, mem=bytearray(PACKET)) == 0


# -- program structure -----------------------------------------------------------------------------


def decode_error(code: bytes) -> DecodeError:
    with pytest.raises(DecodeError) as info:
        Program.from_bytes(code)
    with pytest.raises(DecodeError):
        VM().run(code)
    return info.value


def test_function_falls_off_the_end() -> None:
    assert decode_error(build(mov(0, 1))).pc == 0
    assert decode_error(build(mov(0, 1), (k("jeq64", 0, 1), "x"), "x", mov(0, 2))).pc == 2


def test_function_falls_into_the_next() -> None:
    assert decode_error(build(local("f"), mov(0, 0), "f", EXIT)).pc == 1


def test_jump_into_another_function() -> None:
    err = decode_error(build(local("f"), ja("inside"), EXIT, "f", mov(0, 1), "inside", EXIT))
    assert err.pc == 1
    err = decode_error(build("top", local("f"), EXIT, "f", (k("jeq64", 1, 0), "top"), EXIT))
    assert err.pc == 2


def test_empty_program() -> None:
    assert decode_error(b"").pc == 0


def test_functions_found_from_calls_and_pointers() -> None:
    prog = Program.from_bytes(build(local("f"), func_ptr(1, "g"), EXIT, "f", EXIT, "g", ja("g")))
    assert [(f.name, f.start, f.end) for f in prog.functions.values()] == [
        ("entry", 0, 4), ("func_4", 4, 5), ("func_5", 5, 6)]
    assert prog.entry == "entry"


def test_function_may_end_with_a_jump(vm: VM) -> None:
    assert vm.run(build(mov(0, 0), "top", k("add64", 0, 1), (k("jgt64", 0, 4), "out"), ja("top"),
                        "out", EXIT)) == 5


# -- loops of several shapes (exercise codegen's loop nesting) ------------------------------------


def nested_loops(n: int) -> tuple[bytes, int]:
    acc = sum(i * j for i in range(n) for j in range(i))
    code = build(mov(0, 0), mov(1, 0), mov(9, n),
                 "outer", (x("jge64", 1, 9), "done"), mov(2, 0),
                 "inner", (x("jge64", 2, 1), "inner_done"), movr(3, 1), x("mul64", 3, 2), x("add64", 0, 3),
                 k("add64", 2, 1), ja("inner"),
                 "inner_done", k("add64", 1, 1), ja("outer"),
                 "done", EXIT)
    return code, acc


def loop_with_break(n: int) -> tuple[bytes, int]:
    i = 0
    while True:
        if i * i > n:
            break
        i += 1
        if not i < 100:
            break
    code = build(mov(0, 0), lddw(9, n),
                 "loop", movr(2, 0), x("mul64", 2, 0), (x("jgt64", 2, 9), "out"), k("add64", 0, 1),
                 (k("jlt64", 0, 100), "loop"),
                 "out", EXIT)
    return code, i


def inner_to_outer_head(n: int, m: int) -> tuple[bytes, int]:
    acc = i = 0
    while i < n:
        i += 1
        j = 0
        while j < m:
            j += 1
            acc += j
            if j % i == 0:
                break
    code = build(mov(0, 0), mov(1, 0), mov(8, n), mov(9, m),
                 "outer", (x("jge64", 1, 8), "done"), k("add64", 1, 1), mov(2, 0),
                 "inner", (x("jge64", 2, 9), "outer"), k("add64", 2, 1), x("add64", 0, 2),
                 movr(3, 2), x("mod64", 3, 1), (k("jeq64", 3, 0), "outer"), ja("inner"),
                 "done", EXIT)
    return code, acc


def loop_at_end(n: int) -> tuple[bytes, int]:
    code = build(mov(0, 0), mov(1, n),
                 "loop", x("add64", 0, 1), k("sub64", 1, 1), (k("jne64", 1, 0), "again"), EXIT,
                 "again", ja("loop"))
    return code, n * (n + 1) // 2


def loop_at_end_of_callee(n: int) -> tuple[bytes, int]:
    code = build(mov(1, n), local("f"), k("mul64", 0, 2), EXIT,
                 "f", mov(0, 0), "loop", x("add64", 0, 1), k("sub64", 1, 1), (k("jeq64", 1, 0), "out"),
                 (make("gotol"), "loop"), "out", EXIT)
    return code, n * (n + 1)


def overlapping_loops(la: int, lb: int) -> tuple[bytes, int]:
    r0 = r1 = 0
    state = "A"
    while True:
        if state == "A":
            r0 += 1
            r1 += 1
        r0 += 10
        if r1 < la:
            state = "A"
            continue
        r0 += 100
        r1 += 1
        if r1 < lb:
            state = "B"
            continue
        break
    code = build(mov(0, 0), mov(1, 0), mov(8, la), mov(9, lb),
                 "A", k("add64", 0, 1), k("add64", 1, 1),
                 "B", k("add64", 0, 10), (x("jlt64", 1, 8), "A"),
                 k("add64", 0, 100), k("add64", 1, 1), (x("jlt64", 1, 9), "B"),
                 EXIT)
    return code, r0


def jump_into_loop(n: int) -> tuple[bytes, int]:
    r0 = r1 = 0
    first = True
    while True:
        if not first:
            r0 += 3
        first = False
        r1 += 1
        r0 += r1
        if not r1 < n:
            break
    code = build(mov(0, 0), mov(1, 0), mov(9, n), ja("mid"),
                 "head", k("add64", 0, 3),
                 "mid", k("add64", 1, 1), x("add64", 0, 1), (x("jlt64", 1, 9), "head"),
                 EXIT)
    return code, r0


def triple_loop_with_call(n: int) -> tuple[bytes, int]:
    acc = sum(i * 100 + j * 10 + kk for i in range(n) for j in range(n) for kk in range(n))
    code = build(st("dw", 10, -8, 0), mov(6, 0), mov(9, n),
                 "li", (x("jge64", 6, 9), "done"), mov(7, 0),
                 "lj", (x("jge64", 7, 9), "nj"), mov(8, 0),
                 "lk", (x("jge64", 8, 9), "nk"), movr(1, 6), movr(2, 7), movr(3, 8), local("f"),
                 ldx("dw", 1, 10, -8), x("add64", 1, 0), stx("dw", 10, 1, -8), k("add64", 8, 1), ja("lk"),
                 "nk", k("add64", 7, 1), ja("lj"),
                 "nj", k("add64", 6, 1), ja("li"),
                 "done", ldx("dw", 0, 10, -8), EXIT,
                 "f", movr(0, 1), k("mul64", 0, 100), movr(4, 2), k("mul64", 4, 10), x("add64", 0, 4),
                 x("add64", 0, 3), EXIT)
    return code, acc


def self_loop(n: int) -> tuple[bytes, int]:
    return build(mov(0, 0), "l", k("add64", 0, 1), (k("jslt64", 0, n), "l"), EXIT), max(1, n)


def several_back_edges(n: int) -> tuple[bytes, int]:
    acc = i = 0
    while i < n:
        i += 1
        if i % 3 == 0:
            continue
        acc += i
        if i % 5 == 0:
            continue
        acc += 1000
    code = build(mov(0, 0), mov(1, 0), mov(9, n),
                 "head", (x("jge64", 1, 9), "done"), k("add64", 1, 1),
                 movr(2, 1), k("mod64", 2, 3), (k("jeq64", 2, 0), "head"),
                 x("add64", 0, 1), movr(2, 1), k("mod64", 2, 5), (k("jeq64", 2, 0), "head"),
                 k("add64", 0, 1000), (make("gotol"), "head"),
                 "done", EXIT)
    return code, acc


def sequential_loops(n: int) -> tuple[bytes, int]:
    code = build(mov(0, 0), mov(1, n),
                 "a", (k("jeq64", 1, 0), "a_done"), k("add64", 0, 2), k("sub64", 1, 1), ja("a"),
                 "a_done", mov(1, n),
                 "b", k("mul64", 0, 3), k("sub64", 1, 1), (k("jsgt64", 1, 0), "b"),
                 EXIT)
    return code, (2 * n) * 3 ** max(n, 1)


LOOP_SHAPES: dict[str, tuple[Callable[..., tuple[bytes, int]], list[tuple[int, ...]]]] = {
    "nested": (nested_loops, [(0,), (1,), (2,), (7,)]),
    "break": (loop_with_break, [(0,), (1,), (50,), (99 * 99,), (2**40,)]),
    "inner_to_outer_head": (inner_to_outer_head, [(0, 5), (3, 0), (4, 7), (6, 6)]),
    "loop_at_end": (loop_at_end, [(1,), (2,), (10,)]),
    "loop_at_end_of_callee": (loop_at_end_of_callee, [(1,), (9,)]),
    "overlapping": (overlapping_loops, [(0, 0), (3, 6), (5, 2), (2, 9)]),
    "jump_into_loop": (jump_into_loop, [(0,), (1,), (6,)]),
    "triple_with_call": (triple_loop_with_call, [(0,), (1,), (3,)]),
    "self_loop": (self_loop, [(-3,), (0,), (1,), (17,)]),
    "several_back_edges": (several_back_edges, [(0,), (1,), (16,)]),
    "sequential": (sequential_loops, [(1,), (4,)]),
}


@pytest.mark.parametrize("shape", list(LOOP_SHAPES))
def test_loop_shapes(vm: VM, shape: str) -> None:
    make_program, cases = LOOP_SHAPES[shape]
    for args in cases:
        code, expected = make_program(*args)
        assert vm.run(code) == expected, (shape, args)


@pytest.mark.parametrize("depth", [1, 5, 19, 20, 25, 40])
def test_deeply_nested_loops(vm: VM, depth: int) -> None:
    """Loop nesting deeper than Python's 20 statically nested blocks still compiles and runs."""
    items: list[Item] = [mov(0, 0), mov(1, 0)]
    for level in range(depth):
        items += [f"head{level}", k("add64", 0, 1)]
    for level in reversed(range(depth)):  # each back edge is taken once (bit ``level`` of r1)
        items += [mov(2, 1), k("lsh64", 2, level), (x("jset64", 1, 2), f"next{level}"), x("or64", 1, 2),
                  ja(f"head{level}"), f"next{level}"]
    items += [EXIT]
    # r0 counts the heads run: all once, then again from head L inward when edge L is taken
    expected = depth + sum(depth - level for level in range(depth))
    assert vm.run(build(*items)) == expected
