"""Assembly snippets, one or more per verifier rule, each meant to be accepted or rejected.

Each entry is ``name -> (program type, source)`` in llvm-objdump syntax.  The expected verdict
is not written here: the kernel on the test machine is the judge (``test_kernel_agreement``),
and the bpfvm-only tests pin the verdicts and messages the kernel gave when they were written.
"""

from __future__ import annotations

SOCKET, XDP, RAW_TP = 1, 6, 17

SNIPPETS: dict[str, tuple[int, str]] = {
    # -- registers ------------------------------------------------------------------------------
    "r0_unset": (SOCKET, "exit"),
    "r0_set": (SOCKET, "r0 = 0\nexit"),
    "read_uninit": (SOCKET, "r0 = r2\nexit"),
    "write_fp": (SOCKET, "r10 = 0\nr0 = 0\nexit"),
    "ret_pointer": (SOCKET, "r0 = r10\nexit"),
    "ret_ctx": (SOCKET, "r0 = r1\nexit"),
    # -- structure ----------------------------------------------------------------------------
    "unreachable": (SOCKET, "r0 = 0\nexit\nr0 = 1\nexit"),
    "jump_out": (SOCKET, "goto +5\nr0 = 0\nexit"),
    "jump_back_out": (SOCKET, "goto -5\nr0 = 0\nexit"),
    "last_not_exit": (SOCKET, "r0 = 0"),
    "into_lddw": (SOCKET, "r1 = 0 ll\nif r1 == 0 goto -2\nr0 = 0\nexit"),
    "infinite_loop": (SOCKET, "r0 = 0\nl:\nr1 = 1\ngoto l"),
    "tight_loop": (SOCKET, "l:\ngoto l"),
    "bounded_loop": (SOCKET, "r0 = 0\nr1 = 10\nl:\nr0 += r1\nr1 -= 1\nif r1 != 0 goto l\nexit"),
    "loop_unknown": (SOCKET, "r0 = 0\nr1 = *(u32 *)(r1 + 0)\nl:\nr1 += 1\nif r1 < 100 goto l\nexit"),
    # -- ALU ------------------------------------------------------------------------------------
    "div_zero_imm": (SOCKET, "r0 = 1\nr0 /= 0\nexit"),
    "mod_zero_imm": (SOCKET, "r0 = 1\nr0 %= 0\nexit"),
    "div_zero_reg": (SOCKET, "r0 = 1\nr1 = 0\nr0 /= r1\nexit"),
    "shift_too_far": (SOCKET, "r0 = 1\nr0 <<= 64\nexit"),
    "shift32_too_far": (SOCKET, "w0 = 1\nw0 <<= 32\nexit"),
    "alu_all": (
        SOCKET,
        "r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 *= r3\nr5 = r2\n"
        "r5 |= 7\nr6 = r2\nr6 ^= r3\nr7 = r2\nr7 >>= 3\nw8 = w2\nw8 -= w3\nr9 = r2\n"
        "r9 s/= 3\nr0 = 0\nexit",
    ),
    # -- pointers ----------------------------------------------------------------------------------
    "ptr_add_unbounded": (
        SOCKET,
        "r2 = *(u32 *)(r1 + 0)\nr3 = r10\nr2 <<= 32\nr2 s>>= 32\nr2 *= r2\nr2 = -r2\nr3 += r2\nr0 = 0\nexit",
    ),
    "fp_sub_const": (SOCKET, "r1 = r10\nr1 -= 8\nr0 = 0\nexit"),
    "ctx_or_stack_same_insn": (
        SOCKET,
        "r6 = r10\nr6 += -8\nif r1 == 0 goto +2\nr2 = r10\n*(u64 *)(r6 + 0) = r2\n"
        "if r1 != 0 goto +1\n*(u64 *)(r6 + 0) = r1\nr1 = *(u64 *)(r6 + 0)\n"
        "r0 = *(u32 *)(r1 + 0)\nexit",
    ),
    "self_add_linked": (
        SOCKET,
        "call 7\nr6 = r0\nr7 = r6\nif r7 != 1 goto +3\nr6 += r6\nif r6 == 2 goto +1\nr0 /= 0\nr0 = 0\nexit",
    ),
    "scalar_plus_fp": (
        SOCKET,
        "r2 = *(u32 *)(r1 + 0)\nr2 &= 8\nr2 -= 16\nr2 += r10\nr0 = 0\n"
        "*(u64 *)(r2 + 0) = r0\nr0 = *(u64 *)(r2 + 0)\nexit",
    ),
    "ptr_add_unknown": (SOCKET, "call 7\nr3 = r10\nr3 += r0\nr0 = 0\nexit"),
    "ptr_add_ptr": (SOCKET, "r2 = r10\nr2 += r1\nr0 = 0\nexit"),
    "ptr_sub_ptr": (SOCKET, "r2 = r10\nr2 -= r1\nr0 = 0\nexit"),
    "ptr_and": (SOCKET, "r2 = r10\nr2 &= 7\nr0 = 0\nexit"),
    "ptr_mul": (SOCKET, "r2 = r10\nr2 *= 2\nr0 = 0\nexit"),
    "ptr_alu32": (SOCKET, "r2 = r10\nw2 += 2\nr0 = 0\nexit"),
    "scalar_minus_ptr": (SOCKET, "r2 = 0\nr2 -= r10\nr0 = 0\nexit"),
    "ptr_big_const": (SOCKET, "r2 = r10\nr2 += 0x20000000\nr0 = 0\nexit"),
    "deref_scalar": (SOCKET, "r2 = 0\nr0 = *(u64 *)(r2 + 0)\nexit"),
    # -- stack ------------------------------------------------------------------------------------
    "stack_ok": (SOCKET, "r1 = 5\n*(u64 *)(r10 - 8) = r1\nr0 = *(u64 *)(r10 - 8)\nexit"),
    "stack_uninit_read": (SOCKET, "r0 = *(u64 *)(r10 - 8)\nexit"),
    "stack_too_deep": (SOCKET, "r1 = 0\n*(u64 *)(r10 - 520) = r1\nr0 = 0\nexit"),
    "stack_positive": (SOCKET, "r1 = 0\n*(u64 *)(r10 + 0) = r1\nr0 = 0\nexit"),
    "stack_misaligned": (SOCKET, "r1 = 0\n*(u32 *)(r10 - 6) = r1\nr0 = 0\nexit"),
    "stack_st_imm": (SOCKET, "*(u32 *)(r10 - 4) = 7\nr0 = *(u32 *)(r10 - 4)\nexit"),
    "stack_zero": (SOCKET, "*(u64 *)(r10 - 8) = 0\nr0 = *(u8 *)(r10 - 3)\nexit"),
    "stack_spill_ptr": (
        SOCKET,
        "*(u64 *)(r10 - 8) = r1\nr2 = *(u64 *)(r10 - 8)\nr0 = *(u32 *)(r2 + 0)\nexit",
    ),
    "stack_partial_fill_ptr": (SOCKET, "*(u64 *)(r10 - 8) = r1\nr2 = *(u32 *)(r10 - 8)\nr0 = 0\nexit"),
    "stack_spill_ptr32": (SOCKET, "*(u32 *)(r10 - 8) = r1\nr0 = 0\nexit"),
    "stack_var_ok": (
        SOCKET,
        "r1 = *(u32 *)(r1 + 0)\nr1 &= 0xff\nif r1 > 0x10 goto +4\nr4 = r10\nr4 += r1\n"
        "r4 += -512\nr0 = *(u8 *)(r4 + 0)\nr0 = 0\nexit",
    ),
    "stack_var_bad": (
        SOCKET,
        "r1 = *(u32 *)(r1 + 0)\nr1 &= 0xff\nr4 = r10\nr4 += r1\nr4 += -200\n"
        "r0 = *(u8 *)(r4 + 0)\nr0 = 0\nexit",
    ),
    "stack_var_unbounded": (SOCKET, "r1 = *(u32 *)(r1 + 0)\nr4 = r10\nr4 += r1\nr0 = *(u8 *)(r4 + 0)\nexit"),
    "stack_var_write": (
        SOCKET,
        "r1 = *(u32 *)(r1 + 0)\nr1 &= 0x7\nr4 = r10\nr4 += -16\nr4 += r1\n"
        "*(u8 *)(r4 + 0) = 0\nr0 = *(u64 *)(r10 - 16)\nexit",
    ),
    "stack_jsgt_bound": (
        SOCKET,
        "r1 = *(u32 *)(r1 + 0)\nr1 <<= 32\nr1 s>>= 32\nif r1 s> 0 goto +5\n"
        "if r1 s< -64 goto +4\nr4 = r10\nr4 += r1\nr0 = *(u8 *)(r4 - 1)\nexit\nr0 = 0\nexit",
    ),
    # -- ctx ----------------------------------------------------------------------------------------
    "ctx_len": (SOCKET, "r0 = *(u32 *)(r1 + 0)\nexit"),
    "ctx_oob": (SOCKET, "r0 = *(u64 *)(r1 + 4096)\nexit"),
    "ctx_narrow": (SOCKET, "r0 = *(u8 *)(r1 + 1)\nexit"),
    "ctx_misaligned": (SOCKET, "r0 = *(u32 *)(r1 + 2)\nexit"),
    "ctx_cb_write": (SOCKET, "r2 = 1\n*(u32 *)(r1 + 48) = r2\nr0 = 0\nexit"),
    "ctx_len_write": (SOCKET, "r2 = 1\n*(u32 *)(r1 + 0) = r2\nr0 = 0\nexit"),
    "ctx_st_imm": (SOCKET, "*(u32 *)(r1 + 48) = 1\nr0 = 0\nexit"),
    "ctx_data_skb": (SOCKET, "r0 = *(u32 *)(r1 + 76)\nexit"),
    "ctx_modified": (SOCKET, "r1 += 4\nr0 = *(u32 *)(r1 + 0)\nexit"),
    "ctx_var": (SOCKET, "r2 = *(u32 *)(r1 + 0)\nr2 &= 4\nr1 += r2\nr0 = *(u32 *)(r1 + 0)\nexit"),
    "raw_tp_arg": (RAW_TP, "r0 = *(u64 *)(r1 + 8)\nexit"),
    "raw_tp_narrow": (RAW_TP, "r0 = *(u32 *)(r1 + 8)\nexit"),
    # -- packets (XDP) -------------------------------------------------------------------------------
    "xdp_pass": (XDP, "r0 = 2\nexit"),
    "xdp_pkt_ok": (
        XDP,
        "r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 14\n"
        "if r4 > r3 goto +2\nr0 = *(u8 *)(r2 + 12)\nexit\nr0 = 1\nexit",
    ),
    "xdp_pkt_unchecked": (XDP, "r2 = *(u32 *)(r1 + 0)\nr0 = *(u8 *)(r2 + 0)\nexit"),
    "xdp_pkt_oob": (
        XDP,
        "r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 14\n"
        "if r4 > r3 goto +2\nr0 = *(u8 *)(r2 + 14)\nexit\nr0 = 1\nexit",
    ),
    "xdp_pkt_lt": (
        XDP,
        "r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 8\n"
        "if r3 < r4 goto +2\nr0 = *(u64 *)(r2 + 0)\nexit\nr0 = 1\nexit",
    ),
    "xdp_pkt_end_deref": (XDP, "r3 = *(u32 *)(r1 + 4)\nr0 = *(u8 *)(r3 + 0)\nexit"),
    "xdp_ctx_write": (XDP, "r2 = 0\n*(u32 *)(r1 + 12) = r2\nr0 = 0\nexit"),
    # -- jumps -----------------------------------------------------------------------------------------
    "jmp_dead_branch": (SOCKET, "r1 = 5\nif r1 > 6 goto +1\nr0 = 0\nexit"),
    "jmp_dead_deref": (SOCKET, "r1 = 5\nif r1 < 6 goto +2\nr0 = *(u64 *)(r1 + 0)\nexit\nr0 = 0\nexit"),
    "jmp32": (
        SOCKET,
        "r2 = *(u32 *)(r1 + 0)\nif w2 > 7 goto +4\nr3 = r10\nr3 += r2\n"
        "r0 = *(u8 *)(r3 - 8)\nexit\nr0 = 0\nexit",
    ),
    "jset": (SOCKET, "r2 = *(u32 *)(r1 + 0)\nif r2 & 0x8 goto +1\nr0 = 0\nr0 = 1\nexit"),
    "linked_regs": (
        SOCKET,
        "r2 = *(u32 *)(r1 + 0)\nr3 = r2\nif r2 > 8 goto +4\nr4 = r10\nr4 += r3\n"
        "r0 = *(u8 *)(r4 - 9)\nexit\nr0 = 0\nexit",
    ),
    # -- BPF-to-BPF calls ---------------------------------------------------------------------------
    "call_simple": (SOCKET, "r1 = 5\ncall sub\nr0 += 1\nexit\nsub:\nr0 = r1\nr0 *= 2\nexit"),
    "call_clobbers_r1": (SOCKET, "r1 = 5\ncall sub\nr0 = r1\nexit\nsub:\nr0 = 0\nexit"),
    "call_keeps_r6": (SOCKET, "r6 = 5\ncall sub\nr0 = r6\nexit\nsub:\nr0 = 0\nexit"),
    "call_ret_uninit": (SOCKET, "call sub\nexit\nsub:\nexit"),
    "call_ret_stack": (SOCKET, "call sub\nr0 = 0\nexit\nsub:\nr0 = r10\nexit"),
    "call_caller_stack": (
        SOCKET,
        "*(u64 *)(r10 - 8) = 7\nr1 = r10\nr1 += -8\ncall sub\nexit\nsub:\nr0 = *(u64 *)(r1 + 0)\nexit",
    ),
    "call_caller_stack_oob": (
        SOCKET,
        "r1 = r10\nr1 += -8\ncall sub\nexit\nsub:\nr0 = *(u64 *)(r1 + 8)\nexit",
    ),
    "call_recursion": (SOCKET, "call sub\nexit\nsub:\ncall sub\nexit"),
    "call_deep_stack": (
        SOCKET,
        "*(u64 *)(r10 - 400) = 0\ncall sub\nr0 = 0\nexit\nsub:\n*(u64 *)(r10 - 200) = 0\nr0 = 0\nexit",
    ),
    "call_twice": (
        SOCKET,
        "r1 = 1\ncall sub\nr6 = r0\nr1 = 2\ncall sub\nr0 += r6\nexit\nsub:\nr0 = r1\nexit",
    ),
    "call_branchy": (
        SOCKET,
        "r6 = *(u32 *)(r1 + 0)\nr1 = r6\ncall sub\nif r0 > 3 goto +1\nr0 = 0\nexit\nsub:\n"
        "r0 = r1\nr0 &= 7\nif r0 == 1 goto +1\nr0 = 2\nexit",
    ),
    "many_branches": (
        SOCKET,
        "r2 = *(u32 *)(r1 + 0)\nr0 = 0\n"
        + "".join(f"if r2 == {i} goto +1\nr0 += 1\n" for i in range(40))
        + "exit",
    ),
}

#: Snippets that use maps: ``name -> (program type, maps, source)``; ``0x7e570000 + n`` is map n.
MAP_SNIPPETS: dict[str, tuple[int, tuple[tuple[int, int, int, int], ...], str]] = {
    "lookup_null_check": (
        SOCKET,
        ((2, 4, 8, 4),),
        "*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\nr1 = 0x7e570000 ll\n"
        "call 1\nif r0 == 0 goto +1\nr0 = *(u64 *)(r0 + 0)\nr0 = 0\nexit",
    ),
    "lookup_no_null_check": (
        SOCKET,
        ((2, 4, 8, 4),),
        "*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\nr1 = 0x7e570000 ll\n"
        "call 1\nr0 = *(u64 *)(r0 + 0)\nr0 = 0\nexit",
    ),
    "lookup_oob": (
        SOCKET,
        ((2, 4, 8, 4),),
        "*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\nr1 = 0x7e570000 ll\n"
        "call 1\nif r0 == 0 goto +1\nr0 = *(u64 *)(r0 + 4)\nr0 = 0\nexit",
    ),
    "lookup_var_ok": (
        SOCKET,
        ((2, 4, 64, 4),),
        "r6 = *(u32 *)(r1 + 0)\n*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\nr1 = 0x7e570000 ll\n"
        "call 1\nif r0 == 0 goto +4\nr6 &= 0x3f\nr0 += r6\nr0 = *(u8 *)(r0 + 0)\nr0 = 0\nexit",
    ),
    "lookup_var_bad": (
        SOCKET,
        ((2, 4, 64, 4),),
        "r6 = *(u32 *)(r1 + 0)\n*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\nr1 = 0x7e570000 ll\n"
        "call 1\nif r0 == 0 goto +4\nr6 &= 0x7f\nr0 += r6\nr0 = *(u8 *)(r0 + 0)\nr0 = 0\nexit",
    ),
    "lookup_signed": (
        SOCKET,
        ((2, 4, 64, 4),),
        "r6 = *(u32 *)(r1 + 0)\n*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\nr1 = 0x7e570000 ll\n"
        "call 1\nif r0 == 0 goto +6\nr6 <<= 32\nr6 s>>= 32\nif r6 s> 8 goto +2\nr0 += r6\n"
        "r0 = *(u8 *)(r0 + 0)\nr0 = 0\nexit",
    ),
    "lookup_key_ctx": (SOCKET, ((2, 4, 8, 4),), "r2 = r1\nr1 = 0x7e570000 ll\ncall 1\nr0 = 0\nexit"),
    "lookup_key_scalar": (SOCKET, ((2, 4, 8, 4),), "r2 = 0\nr1 = 0x7e570000 ll\ncall 1\nr0 = 0\nexit"),
    "lookup_map_not_map": (
        SOCKET,
        ((2, 4, 8, 4),),
        "*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\nr1 = r10\ncall 1\nr0 = 0\nexit",
    ),
    "lookup_ptr_arith_null": (
        SOCKET,
        ((2, 4, 8, 4),),
        "*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\nr1 = 0x7e570000 ll\ncall 1\nr0 += 4\nr0 = 0\nexit",
    ),
    "lookup_jne_checked": (
        SOCKET,
        ((1, 8, 8, 4),),
        "r1 = 0\n*(u64 *)(r10 - 8) = r1\nr2 = r10\nr2 += -8\nr1 = 0x7e570000 ll\n"
        "call 1\nif r0 != 0 goto +1\nexit\nr1 = 1\nlock *(u64 *)(r0 + 0) += r1\nr0 = 0\nexit",
    ),
    "atomic_misaligned": (
        SOCKET,
        ((1, 8, 8, 4),),
        "r1 = 0\n*(u64 *)(r10 - 8) = r1\nr2 = r10\nr2 += -8\nr1 = 0x7e570000 ll\n"
        "call 1\nif r0 != 0 goto +1\nexit\nr1 = 1\nlock *(u32 *)(r0 + 3) += w1\nr0 = 0\nexit",
    ),
    "lookup_copy_checked": (
        SOCKET,
        ((2, 4, 8, 4),),
        "*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\nr1 = 0x7e570000 ll\n"
        "call 1\nr6 = r0\nif r0 == 0 goto +1\nr0 = *(u64 *)(r6 + 0)\nr0 = 0\nexit",
    ),
    "update_elem": (
        SOCKET,
        ((2, 4, 8, 4),),
        "*(u32 *)(r10 - 4) = 0\n*(u64 *)(r10 - 16) = 0\nr2 = r10\nr2 += -4\nr3 = r10\nr3 += -16\n"
        "r4 = 0\nr1 = 0x7e570000 ll\ncall 2\nexit",
    ),
    "update_short_value": (
        SOCKET,
        ((2, 4, 16, 4),),
        "*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\nr3 = r10\nr3 += -8\n"
        "r4 = 0\nr1 = 0x7e570000 ll\ncall 2\nexit",
    ),
    "r1_clobbered": (SOCKET, (), "call 7\nr0 = r1\nexit"),
    "prandom": (SOCKET, (), "call 7\nexit"),
    "unknown_helper": (SOCKET, (), "call 999\nr0 = 0\nexit"),
    "helper_wrong_type": (SOCKET, (), "call 113\nr0 = 0\nexit"),
    "probe_read_size": (SOCKET, (), "r1 = r10\nr1 += -8\nr2 = 8\nr3 = 0\ncall 4\nr0 = 0\nexit"),
    "csum_diff": (
        SOCKET,
        (),
        "*(u64 *)(r10 - 8) = 0\nr1 = r10\nr1 += -8\nr2 = 8\nr3 = 0\nr4 = 0\nr5 = 0\ncall 28\nr0 = 0\nexit",
    ),
    "csum_diff_neg": (
        SOCKET,
        (),
        "r6 = *(u32 *)(r1 + 0)\n*(u64 *)(r10 - 8) = 0\nr1 = r10\nr1 += -8\n"
        "r2 = r6\nr2 <<= 32\nr2 s>>= 32\nr3 = 0\nr4 = 0\nr5 = 0\ncall 28\nr0 = 0\nexit",
    ),
    "csum_diff_unbounded": (
        SOCKET,
        (),
        "r6 = *(u32 *)(r1 + 0)\n*(u64 *)(r10 - 8) = 0\nr1 = r10\nr1 += -8\n"
        "r2 = r6\nr3 = 0\nr4 = 0\nr5 = 0\ncall 28\nr0 = 0\nexit",
    ),
    "csum_diff_oob": (
        SOCKET,
        (),
        "*(u64 *)(r10 - 8) = 0\nr1 = r10\nr1 += -8\nr2 = 16\nr3 = 0\nr4 = 0\nr5 = 0\ncall 28\nr0 = 0\nexit",
    ),
}

TC = 3
SNIPPETS.update(
    {
        "tc_mark_write": (TC, "r2 = 7\n*(u32 *)(r1 + 8) = r2\nr0 = 0\nexit"),
        "tc_len_write": (TC, "r2 = 7\n*(u32 *)(r1 + 0) = r2\nr0 = 0\nexit"),
        "tc_pkt_ok": (
            TC,
            "r2 = *(u32 *)(r1 + 76)\nr3 = *(u32 *)(r1 + 80)\nr4 = r2\nr4 += 14\n"
            "if r4 > r3 goto +2\nr0 = *(u8 *)(r2 + 12)\nexit\nr0 = 0\nexit",
        ),
        "tc_pkt_unchecked": (TC, "r2 = *(u32 *)(r1 + 76)\nr0 = *(u8 *)(r2 + 0)\nexit"),
        "tc_family": (TC, "r0 = *(u32 *)(r1 + 88)\nexit"),
        "tc_tstamp": (TC, "r0 = *(u64 *)(r1 + 152)\nexit"),
        "tc_data_narrow": (TC, "r0 = *(u16 *)(r1 + 76)\nexit"),
        "tc_cb_write": (TC, "r2 = 1\n*(u32 *)(r1 + 64) = r2\nr0 = 0\nexit"),
    }
)
