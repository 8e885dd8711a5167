"""bpfvm's verifier on its own (no kernel needed): verdicts, messages, log format, facts.

The expectations are the kernel 6.18's answers for the same programs (checked against the
running kernel by ``test_kernel_agreement``), pinned here so that a machine without ``bpf()``
still tests the verifier.
"""

from __future__ import annotations

import pytest

import bpfvm
from bpfvm.verifier import MapInfo, verify
from tests.verifier.snippets import SNIPPETS

PINNED = {
    "r0_unset": "R0 !read_ok",
    "read_uninit": "R2 !read_ok",
    "write_fp": "frame pointer is read only",
    "unreachable": "unreachable insn 2",
    "jump_out": "jump out of range from insn 0 to 6",
    # the last line, after "infinite loop detected at insn 1" and "cur state: …"
    "infinite_loop": "old state: R0=0 R1=1 R10=fp0",
    "div_zero_imm": "div by zero",
    "ptr_add_unbounded": "value -4611686018427387904 makes fp pointer be out of bounds",
    "ptr_add_unknown": "math between fp pointer and register with unbounded min value is not allowed",
    "deref_scalar": "R2 invalid mem access 'scalar'",
    "stack_misaligned": "misaligned stack access off 0+0+-6 size 4",
    "ctx_oob": "invalid bpf_context access off=4096 size=8",
    "stack_var_bad": "invalid variable-offset read from stack R4 var_off=(0x0; 0xff) off=-200 size=1",
    "xdp_pkt_oob": "R2 offset is outside of the packet",
    "ptr_and": "R2 bitwise operator &= on pointer prohibited",
    "call_recursion": "the call stack of 9 frames is too deep",
    "call_deep_stack": "combined stack size of 2 calls is 608. Too large",
    "call_ret_stack": "cannot return stack pointer to the caller",
}
ACCEPTED = [
    "r0_set",
    "bounded_loop",
    "stack_ok",
    "stack_var_ok",
    "xdp_pkt_ok",
    "xdp_pkt_lt",
    "linked_regs",
    "jmp32",
    "stack_uninit_read",
    "ctx_cb_write",
    "many_branches",
    "loop_unknown",
]


@pytest.mark.parametrize("name", sorted(PINNED))
def test_rejected_with_kernel_message(name: str) -> None:
    prog_type, source = SNIPPETS[name]
    result = verify(bpfvm.assemble(source), prog_type, log_level=1)
    assert not result.ok
    assert result.error == PINNED[name]


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted(name: str) -> None:
    prog_type, source = SNIPPETS[name]
    result = verify(bpfvm.assemble(source), prog_type, log_level=1)
    assert result.ok, result.log
    assert result.log.startswith("processed ")


def test_level2_log_format() -> None:
    code = bpfvm.assemble("r1 = *(u32 *)(r1 + 0)\nif r1 > 5 goto +1\nr0 = 0\nr0 = 1\nexit")
    log = verify(code, 1, log_level=2).log.splitlines()
    assert log[:2] == ["func#0 @0", "Live regs before insn:"]
    assert "0: R1=ctx() R10=fp0" in log
    assert (
        "1: (25) if r1 > 0x5 goto pc+1         ; R1=scalar(smin=smin32=0,smax=umax=smax32=umax32=5,"
        "var_off=(0x0; 0x7))" in log
    )
    assert (
        "from 1 to 3: R1=scalar(smin=umin=umin32=6,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R10=fp0"
        in log
    )
    assert (
        log[-1]
        == "processed 7 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0"
    )


def test_level1_failure_shows_the_failing_path_only() -> None:
    code = bpfvm.assemble(
        "r1 = *(u32 *)(r1 + 0)\nif r1 > 5 goto +2\nr0 = 0\nexit\nr0 = *(u8 *)(r1 + 0)\nexit"
    )
    lines = verify(code, 1, log_level=1).log.splitlines()
    assert lines[-2] == "R1 invalid mem access 'scalar'"
    assert not any(line.startswith("2: (b7)") for line in lines)


def test_stats_level() -> None:
    result = verify(bpfvm.assemble("*(u64 *)(r10 - 16) = 0\nr0 = 0\nexit"), 1, log_level=4 | 1)
    assert "verification time" in result.log and "stack depth 16" in result.log


def test_map_value_bounds_and_facts() -> None:
    src = (
        "*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\nr1 = 0x7e570000 ll\nr1 = 0x7e570000 ll\ncall 1\n"
        "if r0 == 0 goto +1\nr0 = *(u64 *)(r0 + 0)\nr0 = 0\nexit"
    )
    code = bytearray(bpfvm.assemble(src))
    for at in (3 * 8, 5 * 8):  # both lddw → map fd 42
        code[at + 1] |= 0x10
        code[at + 4 : at + 8] = (42).to_bytes(4, "little")
    maps = {42: MapInfo("m", 4, 8, 1, 4)}
    result = verify(bytes(code), 1, maps=maps)
    assert result.ok, result.log
    assert 9 in result.facts.safe_access  # the load through r0 (slot 9)
    small = {42: MapInfo("m", 4, 4, 1, 4)}
    bad = verify(bytes(code), 1, maps=small, log_level=1)
    assert bad.error == "R0 min value is outside of the allowed memory range"


def test_infinite_loop_message() -> None:
    prog_type, source = SNIPPETS["infinite_loop"]
    log = verify(bpfvm.assemble(source), prog_type, log_level=1).log
    assert "infinite loop detected at insn 1\ncur state: R0=0 R1=1 R10=fp0\nold state:" in log


def test_unsupported_is_reported_not_accepted() -> None:
    result = verify(bytes.fromhex("8520000001000000b7000000000000009500000000000000"), 1)  # a kfunc call
    assert not result.ok and result.unsupported


def test_bad_length() -> None:
    with pytest.raises(ValueError):
        verify(b"\x00" * 7)


def test_unmodelled_program_type_is_unsupported() -> None:
    result = verify(bpfvm.assemble("r0 = 0\nexit"), "kprobe")
    assert not result.ok and result.unsupported
    assert result.error == "bpfvm: program type 2 is not verified yet"
