"""Program-type contexts as the verifier sees them: which ``ctx`` offsets may be read or written.

PROVISIONAL: the program-type layer (:mod:`bpfvm.kernel.progtypes`, :mod:`bpfvm.kernel.context`)
owns context layouts; until the verifier's access rules move there, this module carries the
kernel's ``is_valid_access`` rules for the types the verifier tests use: socket filter
(``sk_filter_is_valid_access`` over ``struct __sk_buff``, 192 bytes), tc
(``tc_cls_act_is_valid_access``, with direct packet access), XDP (``xdp_is_valid_access`` over
``struct xdp_md``, 24 bytes), raw tracepoints (``raw_tp_prog_is_valid_access``: aligned reads
of the u64 arguments) and syscall programs (``syscall_prog_is_valid_access``), from
``net/core/filter.c``, ``kernel/trace/bpf_trace.c`` and ``kernel/bpf/syscall.c`` of Linux 6.18.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .state import RegType

__all__ = ["CONTEXTS", "Context", "PROG_TYPES"]

#: Program-type names (``--type``) → ``enum bpf_prog_type`` numbers.
PROG_TYPES = {
    "socket_filter": 1,
    "kprobe": 2,
    "sched_cls": 3,
    "sched_act": 4,
    "tracepoint": 5,
    "xdp": 6,
    "raw_tracepoint": 17,
    "syscall": 31,
}

#: ``is_valid_access(off, size, write)`` → None (invalid) or the type of the loaded value.
Access = Callable[[int, int, bool], "RegType | None"]


@dataclass(frozen=True)
class Context:
    """A program type's context: its size and access rule."""

    name: str
    size: int
    access: Access


def _narrow_ok(off: int, size: int, default: int) -> bool:
    return size <= default and not size & (size - 1)


_SKB_CB = (48, 68)


def _skb_access(off: int, size: int, write: bool) -> RegType | None:
    """``bpf_skb_is_valid_access`` restricted by ``sk_filter_is_valid_access``."""
    if (
        off in range(72, 76)
        or off in range(76, 84)
        or off in range(140, 144)
        or off in range(88, 140)
        or off in range(152, 160)
        or off in range(160, 164)
        or off in range(184, 192)
    ):
        return None  # tc_classid, data, data_end, data_meta, family..local_port, tstamp, wire_len, hwtstamp
    if write and not _SKB_CB[0] <= off < _SKB_CB[1]:
        return None
    if off < 0 or off >= 192 or off % size:
        return None
    if _SKB_CB[0] <= off < _SKB_CB[1]:
        return RegType.SCALAR if off + size <= _SKB_CB[1] else None
    if off in range(92, 100) or off in range(100, 132):
        return RegType.SCALAR if size == 4 else None
    if off in range(144, 152) or off == 180 or off in range(181, 184):
        return None
    if off == 168:
        return None  # sk: PTR_TO_SOCK_COMMON_OR_NULL, not modelled yet
    if write:
        return RegType.SCALAR if size == 4 else None
    return RegType.SCALAR if _narrow_ok(off, size, 4) else None


def _skb_common(off: int, size: int, write: bool) -> RegType | None:
    """``bpf_skb_is_valid_access`` for the fields a type did not claim itself."""
    if off < 0 or off >= 192 or off % size:
        return None
    if _SKB_CB[0] <= off < _SKB_CB[1]:
        return RegType.SCALAR if off + size <= _SKB_CB[1] else None
    if 92 <= off < 132 or 76 <= off < 84 or 140 <= off < 144:  # ip4/ip6 addresses, data, data_end, data_meta
        return RegType.SCALAR if size == 4 else None
    if 144 <= off < 152 or 168 <= off < 176 or 180 <= off < 184:  # flow_keys, sk (not modelled), padding
        return None
    if 152 <= off < 160:  # tstamp
        return RegType.SCALAR if size == 8 else None
    if 184 <= off < 192:  # hwtstamp
        return RegType.SCALAR if size == 8 and not write else None
    if write:
        return RegType.SCALAR if size == 4 else None
    return RegType.SCALAR if _narrow_ok(off, size, 4) else None


#: ``__sk_buff`` fields a tc program may write: mark, priority, tc_index, cb[], tc_classid,
#: queue_mapping, tstamp.
_TC_WRITABLE = ((8, 12), (32, 36), (44, 48), _SKB_CB, (72, 76), (12, 16), (152, 160))


def _tc_access(off: int, size: int, write: bool) -> RegType | None:
    """``tc_cls_act_is_valid_access``: ``__sk_buff`` with direct packet access."""
    if write and not any(lo <= off < hi for lo, hi in _TC_WRITABLE):
        return None
    if 88 <= off < 140:  # family .. local_port
        return None
    kind = _skb_common(off, size, write)
    if kind is None:
        return None
    return {76: RegType.PTR_TO_PACKET, 80: RegType.PTR_TO_PACKET_END, 140: RegType.PTR_TO_PACKET_META}.get(
        off, kind
    )


def _xdp_access(off: int, size: int, write: bool) -> RegType | None:
    """``xdp_is_valid_access`` for a non-devmap XDP program."""
    if off == 20 or write:
        return None
    if off < 0 or off >= 24 or off % size or size != 4:
        return None
    return {0: RegType.PTR_TO_PACKET, 4: RegType.PTR_TO_PACKET_END, 8: RegType.PTR_TO_PACKET_META}.get(
        off, RegType.SCALAR
    )


def _raw_tp_access(off: int, size: int, write: bool) -> RegType | None:
    """``raw_tp_prog_is_valid_access`` (``bpf_tracing_ctx_access``): aligned reads of 12 u64 arguments."""
    if off < 0 or off >= 8 * 12 or write or off % size:
        return None
    return RegType.SCALAR


def _syscall_access(off: int, size: int, write: bool) -> RegType | None:
    """``syscall_prog_is_valid_access``: any aligned access below 64 KiB (a user buffer)."""
    if off < 0 or off >= 0xFFFF or off % size:
        return None
    return RegType.SCALAR


#: ``enum bpf_prog_type`` → its context.
CONTEXTS: dict[int, Context] = {
    1: Context("socket_filter", 192, _skb_access),
    3: Context("sched_cls", 192, _tc_access),
    4: Context("sched_act", 192, _tc_access),
    6: Context("xdp", 24, _xdp_access),
    17: Context("raw_tracepoint", 96, _raw_tp_access),
    31: Context("syscall", 0xFFFF, _syscall_access),
}
