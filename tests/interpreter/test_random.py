"""Robustness: any instruction stream either runs to an r0 or fails with a BpfError.

Two generators: raw random bytes, and "valid-ish" programs drawn from the opcode table with random
fields (registers, offsets and jump targets mostly in range, sometimes not).  Whatever the input,
the VM must return an unsigned 64-bit r0 or raise a :class:`bpfvm.BpfError` subclass: never a
Python exception of its own (SyntaxError from codegen, IndexError, RecursionError …).
"""

from __future__ import annotations

import struct
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bpfvm import VM, BpfError, TrapKind, VmTrap
from bpfvm.isa import SPECS, Insn, OpSpec, arith, encode, make

HELPERS: dict[int, Any] = {1: lambda *args: args[0] ^ args[1], 2: lambda *args: None, 3: lambda *args: -1}
RUNS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

INT32_EDGES = [0, 1, -1, 2, 7, 8, 16, 31, 32, 63, 64, 0x7FFF_FFFF, -0x8000_0000, 0xFF, -8, -64]


def run(code: bytes) -> None:
    vm = VM(max_instructions=10_000, helpers=HELPERS)
    try:
        result = vm.run(code, mem=bytearray(64))
    except BpfError as err:
        event(f"error: {type(err).__name__}: {' '.join(str(getattr(err, 'reason', err)).split()[:3])}")
        return
    event("ran")
    assert type(result) is int
    assert 0 <= result < 2**64


@RUNS
@given(code=st.binary(max_size=256))
def test_random_bytes(code: bytes) -> None:
    run(code)


@RUNS
@given(slots=st.lists(st.tuples(st.sampled_from(sorted({s.opcode for s in SPECS})), st.integers(0, 255),
                                st.integers(-(2**15), 2**15 - 1), st.integers(-(2**31), 2**31 - 1)),
                      min_size=1, max_size=24))
def test_random_slots_of_known_opcodes(slots: list[tuple[int, int, int, int]]) -> None:
    run(b"".join(struct.pack("<BBhi", *slot) for slot in slots) + struct.pack("<BBhi", 0x95, 0, 0, 0))


#: Registers: r1 (the 64-byte buffer) and r10 (the stack) often.  :func:`program` sometimes
#: corrupts one instruction with an invalid register (11..15) or a write to r10.
REGS = st.sampled_from([0, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10])
IMMS = st.one_of(st.sampled_from(INT32_EDGES), st.integers(-(2**31), 2**31 - 1))
#: Fields holding a jump/call/function-pointer displacement: drawn as a target instruction index.
JUMP_FIELD = {"ja": "off", "jcond": "off", "may_goto": "off", "gotol": "imm", "call_local": "imm"}


def jump_field(insn: Insn) -> str | None:
    """The field of ``insn`` that holds a pc-relative displacement, if any."""
    spec = insn.spec
    if spec.kind == "lddw":
        return "imm" if insn.src == 4 else None
    return JUMP_FIELD.get(spec.op if spec.op == "call_local" else spec.kind)


@st.composite
def instruction(draw: st.DrawFn, spec: OpSpec) -> Insn:
    """A random instruction of ``spec`` (jump displacements are fixed up by :func:`program`)."""
    fields: dict[str, int] = {}
    if "dst" in spec.uses:
        fields["dst"] = draw(REGS)
        if spec.writes_dst and fields["dst"] == 10:
            fields["dst"] = 0  # a write to r10 is rejected by the decoder
    if "src" in spec.uses:
        lddw_src = st.sampled_from([0, 0, 0, 0, 4, 4, 4, 1, 7])  # imm64, function pointer, map, invalid
        fields["src"] = draw(lddw_src if spec.kind == "lddw" else REGS)
        if spec.kind == "atomic" and spec.fetch and fields["src"] == 10:
            fields["src"] = 2  # fetching atomics write src: r10 is rejected here too
    if "off" in spec.uses:
        fields["off"] = draw(st.one_of(st.sampled_from([0, 8, -8, 60, -512]), st.integers(-80, 80),
                                       st.integers(-(2**15), 2**15 - 1)))
    if "imm" in spec.uses:
        if spec.op == "call":
            fields["imm"] = draw(st.sampled_from([1, 2, 3, 99]))
        elif spec.kind == "callx":
            fields["imm"] = 0 if fields.get("dst") else draw(REGS)
        else:
            fields["imm"] = draw(IMMS)
    imm_hi = draw(IMMS) if spec.kind == "lddw" else 0
    return make(spec.name, imm_hi=imm_hi, **fields)


@st.composite
def program(draw: st.DrawFn, names: list[str] | None = None) -> bytes:
    """One to three functions of random instructions (of the specs ``names``), each usually ending
    with exit.

    Jumps target an instruction of their own function and local calls and function pointers the
    start of a function, except now and then (anywhere, out of range, into an lddw).
    """
    specs = [s for s in SPECS if names is None or s.name in names]
    functions = [[draw(instruction(draw(st.sampled_from(specs)))) for _ in range(draw(st.integers(1, 20)))]
                 for _ in range(draw(st.integers(1, 3)))]
    for body in functions:
        if draw(st.integers(0, 9)):  # usually end with exit, so that the function is well formed
            body.append(make("exit"))
    insns = [insn for body in functions for insn in body]
    owner = [f for f, body in enumerate(functions) for _ in body]
    pcs = [0]
    for insn in insns:
        pcs.append(pcs[-1] + insn.width)
    starts = [pcs[owner.index(f)] for f in range(len(functions))]
    placed = []
    for index, insn in enumerate(insns):
        field = jump_field(insn)
        if field is not None:
            if not draw(st.integers(0, 19)):
                target = draw(st.integers(-3, pcs[-1] + 3))  # out of range, into an lddw, anywhere
            elif field == "imm" and insn.spec.kind in ("lddw", "call"):
                target = draw(st.sampled_from(starts))
            else:
                same = [pcs[i] for i, f in enumerate(owner) if f == owner[index]]
                target = draw(st.sampled_from(same))
            insn = insn._replace(**{field: target - pcs[index] - 1})
        placed.append(insn.with_pc(pcs[index]))
    if not draw(st.integers(0, 9)):  # sometimes: one bad register
        index = draw(st.integers(0, len(placed) - 1))
        field = draw(st.sampled_from(["dst", "src"]))
        placed[index] = placed[index]._replace(**{field: draw(st.sampled_from([10, 11, 12, 15]))})
    return encode(placed)


@RUNS
@given(code=program())
def test_random_valid_ish_programs(code: bytes) -> None:
    run(code)


CONTROL = ["add64_imm", "sub64_imm", "jlt64_imm", "ja", "jne32_reg", "jsgt64_imm", "gotol", "may_goto",
           "call_local", "callx", "lddw", "exit", "mov64_reg", "stxdw", "ldxdw", "atomic64_fetch_add", "call"]


@RUNS
@given(code=program(CONTROL))
def test_random_control_flow(code: bytes) -> None:
    """Jump-heavy programs: loops, local calls, callx through function pointers, budget traps."""
    run(code)


# -- control flow against a step-by-step reference ---------------------------------------------

FLOW = ["add64_imm", "sub64_imm", "mov64_imm", "add32_imm", "xor64_reg", "jlt64_imm", "jgt64_reg",
        "jne32_imm", "jeq64_imm", "jset64_imm", "jsgt32_reg", "jsle64_imm", "ja", "gotol", "exit"]


def reference(insns: list[Insn], budget: int) -> tuple[str, int, int]:
    """Step ``insns`` one at a time: ("exit", r0, executed) or ("budget", pc, executed)."""
    by_pc = {insn.pc: insn for insn in insns}
    regs = [0] * 11
    pc = executed = 0
    while True:
        if executed == budget:
            return "budget", pc, executed
        insn = by_pc[pc]
        spec = insn.spec
        executed += 1
        operand = regs[insn.src] if spec.source == "reg" else arith.imm64(insn.imm)
        if spec.kind == "exit":
            return "exit", regs[0], executed
        if spec.kind == "alu":
            regs[insn.dst] = arith.alu(spec.op, spec.bits, regs[insn.dst], operand)
        elif spec.kind in ("ja", "gotol") or (spec.kind == "jcond" and
                                              arith.jump_taken(spec.op, spec.bits, regs[insn.dst], operand)):
            pc = insn.target or 0
            continue
        pc += 1


@st.composite
def flow_program(draw: st.DrawFn) -> list[Insn]:
    count = draw(st.integers(1, 25))
    insns = []
    for pc in range(count + 1):
        name = "exit" if pc == count else draw(st.sampled_from(FLOW))
        spec = next(s for s in SPECS if s.name == name)
        rel = draw(st.integers(0, count)) - pc - 1
        imm = rel if spec.kind == "gotol" else draw(st.integers(-5, 20))
        fields = {"dst": draw(st.integers(0, 3)) if "dst" in spec.uses else 0,
                  "src": draw(st.integers(0, 3)) if "src" in spec.uses else 0,
                  "off": rel if "off" in spec.uses else 0,
                  "imm": imm if "imm" in spec.uses else 0}
        insns.append(make(name, pc=pc, **fields))
    return insns


@RUNS
@given(insns=flow_program(), budget=st.one_of(st.integers(0, 300), st.just(5_000)))
def test_random_control_flow_matches_reference(insns: list[Insn], budget: int) -> None:
    """Arbitrary (reducible or not) jump graphs: same r0, same budget trap pc, same count."""
    outcome, value, executed = reference(insns, budget)
    vm = VM(max_instructions=budget)
    code = encode(insns)
    if outcome == "exit":
        assert vm.run(code) == value
        assert vm.instructions == executed
    else:
        with pytest.raises(VmTrap) as info:
            vm.run(code)
        assert (info.value.kind, info.value.pc) == (TrapKind.BUDGET, value)
