"""The contexts the kernel passes a program in r1, laid out as the uapi defines them.

A context lives in guest memory, so both engines read its fields with ordinary loads, and the
host reads and writes it through a ctypes view of the same bytes (zero-copy).  The kernel
presents these structures to programs through ``convert_ctx_access`` rewrites of its own
objects (``struct sk_buff``, ``struct xdp_buff``); bpfvm keeps the uapi structure itself and
fills it with the values those rewrites would produce.  Pointer fields that the uapi declares as
``__u32`` (``data``, ``data_end``, ``data_meta``) hold full guest addresses: a bpfvm guest
address space is smaller than 4 GiB, so the 32-bit loads clang emits read them whole — no
rewrite is needed.

Layouts follow include/uapi/linux/bpf.h (6.18); ``tests/kernel`` checks each against the
running kernel's BTF.
"""

from __future__ import annotations

import ctypes

__all__ = ["CONTEXTS", "PtRegs", "SkBuff", "XdpMd", "context_struct"]

_u8, _u32, _u64 = ctypes.c_uint8, ctypes.c_uint32, ctypes.c_uint64


class SkBuff(ctypes.LittleEndianStructure):
    """``struct __sk_buff``: socket filters, tc (SCHED_CLS/ACT), cgroup_skb, lwt, sk_skb."""

    _fields_ = [
        ("len", _u32),
        ("pkt_type", _u32),
        ("mark", _u32),
        ("queue_mapping", _u32),
        ("protocol", _u32),
        ("vlan_present", _u32),
        ("vlan_tci", _u32),
        ("vlan_proto", _u32),
        ("priority", _u32),
        ("ingress_ifindex", _u32),
        ("ifindex", _u32),
        ("tc_index", _u32),
        ("cb", _u32 * 5),
        ("hash", _u32),
        ("tc_classid", _u32),
        ("data", _u32),
        ("data_end", _u32),
        ("napi_id", _u32),
        ("family", _u32),
        ("remote_ip4", _u32),
        ("local_ip4", _u32),
        ("remote_ip6", _u32 * 4),
        ("local_ip6", _u32 * 4),
        ("remote_port", _u32),
        ("local_port", _u32),
        ("data_meta", _u32),
        ("flow_keys", _u64),
        ("tstamp", _u64),
        ("wire_len", _u32),
        ("gso_segs", _u32),
        ("sk", _u64),
        ("gso_size", _u32),
        ("tstamp_type", _u8),
        ("hwtstamp", _u64),
    ]


class XdpMd(ctypes.LittleEndianStructure):
    """``struct xdp_md``: XDP programs."""

    _fields_ = [
        ("data", _u32),
        ("data_end", _u32),
        ("data_meta", _u32),
        ("ingress_ifindex", _u32),
        ("rx_queue_index", _u32),
        ("egress_ifindex", _u32),
    ]


class PtRegs(ctypes.LittleEndianStructure):
    """x86-64 ``struct pt_regs`` (what ``bpf_tracing.h``'s ``PT_REGS_PARM1`` … read): kprobes."""

    _fields_ = [
        (name, ctypes.c_uint64)
        for name in (
            "r15",
            "r14",
            "r13",
            "r12",
            "bp",
            "bx",
            "r11",
            "r10",
            "r9",
            "r8",
            "ax",
            "cx",
            "dx",
            "si",
            "di",
            "orig_ax",
            "ip",
            "cs",
            "flags",
            "sp",
            "ss",
        )
    ]


#: Context structure name (as :data:`bpfvm.kernel.progtypes.TYPES` names it) → layout.
CONTEXTS: dict[str, type[ctypes.LittleEndianStructure]] = {
    "__sk_buff": SkBuff,
    "xdp_md": XdpMd,
    "pt_regs": PtRegs,
}


def context_struct(name: str) -> type[ctypes.LittleEndianStructure] | None:
    """The layout of context ``name`` (None: the type's context is not a fixed structure, e.g. a
    syscall program's user buffer or a raw tracepoint's argument array)."""
    return CONTEXTS.get(name)
