"""Packet helpers of XDP and skb programs (net/core/filter.c), on the frames of a test run.

A program's context pointer (r1) names the packet it works on: :mod:`bpfvm.kernel.test_run`
registers each frame it sets up in ``env.state["packets"]`` (context address → frame), and the
helpers below change the frame and the context fields the program reads, as the kernel changes
``struct xdp_buff`` / ``struct sk_buff`` and recomputes the data pointers.

* XDP: ``bpf_xdp_adjust_head`` (down to ``data_hard_start + sizeof(struct xdp_frame)`` plus the
  metadata, up to ETH_HLEN before ``data_end``), ``bpf_xdp_adjust_meta`` (at most 32 bytes, a
  multiple of 4: else -EACCES), ``bpf_xdp_adjust_tail`` (linear tailroom up to the shared info,
  or the last fragment of a multi-buffer frame), ``bpf_xdp_get_buff_len``,
  ``bpf_xdp_load_bytes``/``bpf_xdp_store_bytes`` across fragments.
* skb: ``bpf_skb_load_bytes``, ``bpf_skb_load_bytes_relative`` (from the MAC or network
  header), ``bpf_skb_store_bytes``, ``bpf_l3_csum_replace``, ``bpf_l4_csum_replace``,
  ``bpf_csum_diff`` (folded to 16 bits, as the 6.18 kernel returns it).
* ``bpf_redirect`` records the target (the program's verdict is its return value, as in the
  kernel; the recorded ``redirect`` says where it would go).

Checksums are one's-complement sums of the bytes as they lie in memory (little-endian 16/32-bit
words, as on x86), so values passed by programs in network byte order work unchanged.
"""

from __future__ import annotations

import errno
from typing import Any

from ..env import KernelEnv
from ..registry import implements

__all__ = ["csum_partial", "fold"]

_M32 = 0xFFFF_FFFF
ETH_HLEN = 14
XDP_FRAME_SIZE = 40  #: sizeof(struct xdp_frame): the start of an XDP frame's usable headroom
XDP_METADATA_MAX = 32
PAGE_SIZE = 4096
_BPF_F_RECOMPUTE_CSUM, _BPF_F_INVALIDATE_HASH = 1, 2
_BPF_F_HDR_FIELD_MASK = 0xF
_BPF_F_PSEUDO_HDR, _BPF_F_MARK_MANGLED_0, _BPF_F_MARK_ENFORCE, _BPF_F_IPV6 = 1 << 4, 1 << 5, 1 << 6, 1 << 7
_CSUM_MANGLED_0 = 0xFFFF
_HDR_START_MAC, _HDR_START_NET = 0, 1
_CSUM_DIFF_MAX = 128 * 4  #: the per-CPU scratch diff[] of bpf_csum_diff


def _s32(value: int) -> int:
    value &= _M32
    return value - (1 << 32) if value >> 31 else value


def _frame(env: KernelEnv, ctx: int) -> Any:
    packets = env.state.get("packets", {})
    frame = packets.get(ctx)
    if frame is None:
        raise KeyError(ctx)
    return frame


def csum_partial(data: bytes, seed: int = 0) -> int:
    """x86-64's ``csum_partial``: the one's-complement sum of ``data`` as little-endian 32-bit
    words (a short tail padded with zeros) and ``seed``, folded to 32 bits."""
    total = seed & _M32
    padded = data + bytes(-len(data) % 4)
    total += sum(int.from_bytes(padded[i:i + 4], "little") for i in range(0, len(padded), 4))
    while total >> 32:
        total = (total & _M32) + (total >> 32)
    return total


def fold(csum: int) -> int:
    """``csum_fold``: a 32-bit sum to the complemented 16-bit checksum."""
    csum = (csum & 0xFFFF) + (csum >> 16)
    csum = (csum & 0xFFFF) + (csum >> 16)
    return ~csum & 0xFFFF


def _csum_replace(old_sum: int, diff: bytes) -> int:
    """``*sum = csum_fold(csum_partial(diff, ~csum_unfold(*sum)))``: the checksum after the words
    of ``diff`` (~from, to) were applied."""
    return fold(csum_partial(diff, ~old_sum & 0xFFFF))


# -- XDP -------------------------------------------------------------------------------------------

@implements("bpf_xdp_adjust_head")
def xdp_adjust_head(env: KernelEnv, ctx: int, offset: int) -> int:
    f = _frame(env, ctx)
    md, delta = f.md_view, _s32(offset)
    metalen = md.data - md.data_meta
    data = md.data + delta
    if data < f.base + XDP_FRAME_SIZE + metalen or data > md.data_end - ETH_HLEN:
        return -errno.EINVAL
    if metalen:
        meta = bytes(env.memory.buf[md.data_meta:md.data])
        env.memory.buf[md.data_meta + delta:md.data_meta + delta + metalen] = meta
    md.data_meta += delta
    md.data = data
    return 0


@implements("bpf_xdp_adjust_meta")
def xdp_adjust_meta(env: KernelEnv, ctx: int, offset: int) -> int:
    f = _frame(env, ctx)
    md = f.md_view
    meta = md.data_meta + _s32(offset)
    if meta < f.base + XDP_FRAME_SIZE or meta > md.data:
        return -errno.EINVAL
    metalen = md.data - meta
    if metalen > XDP_METADATA_MAX or metalen % 4:
        return -errno.EACCES
    md.data_meta = meta
    return 0


@implements("bpf_xdp_adjust_tail")
def xdp_adjust_tail(env: KernelEnv, ctx: int, offset: int) -> int:
    f = _frame(env, ctx)
    md, delta = f.md_view, _s32(offset)
    if f.frags:
        return _frags_tail(f, md, delta)
    end = md.data_end + delta
    if end > f.base + PAGE_SIZE - f.shared_info or end < md.data + ETH_HLEN:
        return -errno.EINVAL
    if delta > 0:
        env.memory.buf[md.data_end:end] = bytes(delta)
    md.data_end = end
    return 0


def _frags_tail(f: Any, md: Any, delta: int) -> int:
    if delta >= 0:
        last = f.frags[-1]
        if delta > PAGE_SIZE - len(last):
            return -errno.EINVAL
        last.extend(bytes(delta))
        return 0
    shrink = -delta
    if shrink > md.data_end - md.data + sum(map(len, f.frags)) - ETH_HLEN:
        return -errno.EINVAL
    while shrink and f.frags:
        cut = min(shrink, len(f.frags[-1]))
        del f.frags[-1][len(f.frags[-1]) - cut:]
        shrink -= cut
        if not f.frags[-1]:
            f.frags.pop()
    md.data_end -= shrink
    return 0


def _xdp_len(f: Any) -> int:
    return int(f.md_view.data_end - f.md_view.data) + sum(map(len, f.frags))


@implements("bpf_xdp_get_buff_len")
def xdp_get_buff_len(env: KernelEnv, ctx: int) -> int:
    return _xdp_len(_frame(env, ctx))


def _xdp_copy(env: KernelEnv, ctx: int, offset: int, buf: int, size: int, store: bool) -> int:
    f = _frame(env, ctx)
    md = f.md_view
    offset, size = offset & _M32, size & _M32
    if offset + size > _xdp_len(f):
        return -errno.EINVAL
    linear = md.data_end - md.data
    pieces: list[tuple[Any, int]] = [(env.memory.buf, md.data)]
    pieces += [(frag, 0) for frag in f.frags]
    lengths = [linear, *map(len, f.frags)]
    done = 0
    for (piece, start), length in zip(pieces, lengths):
        if offset >= length:
            offset -= length
            continue
        n = min(length - offset, size - done)
        lo = start + offset
        if store:
            piece[lo:lo + n] = env.memory.read(buf + done, n)
        else:
            env.memory.write(buf + done, bytes(piece[lo:lo + n]))
        done, offset = done + n, 0
        if done == size:
            break
    return 0


@implements("bpf_xdp_load_bytes")
def xdp_load_bytes(env: KernelEnv, ctx: int, offset: int, buf: int, size: int) -> int:
    return _xdp_copy(env, ctx, offset, buf, size, store=False)


@implements("bpf_xdp_store_bytes")
def xdp_store_bytes(env: KernelEnv, ctx: int, offset: int, buf: int, size: int) -> int:
    return _xdp_copy(env, ctx, offset, buf, size, store=True)


# -- skb -------------------------------------------------------------------------------------------

@implements("bpf_skb_load_bytes")
def skb_load_bytes(env: KernelEnv, ctx: int, offset: int, to: int, size: int) -> int:
    skb = _frame(env, ctx).skb
    offset, size = offset & _M32, size & _M32
    if offset > 0xFFFF or offset + size > skb.len:
        env.memory.write(to, bytes(size))
        return -errno.EFAULT
    env.memory.write(to, bytes(env.memory.buf[skb.data + offset:skb.data + offset + size]))
    return 0


@implements("bpf_skb_load_bytes_relative")
def skb_load_bytes_relative(env: KernelEnv, ctx: int, offset: int, to: int, size: int, start: int) -> int:
    f = _frame(env, ctx)
    skb = f.skb
    offset, size = offset & _M32, size & _M32
    base = {_HDR_START_MAC: f.mac, _HDR_START_NET: f.mac + ETH_HLEN}.get(start & _M32)
    end = skb.data + skb.len
    if base is None or offset > 0xFFFF or base + offset + size > end:
        env.memory.write(to, bytes(size))
        return -errno.EFAULT
    env.memory.write(to, bytes(env.memory.buf[base + offset:base + offset + size]))
    return 0


@implements("bpf_skb_store_bytes")
def skb_store_bytes(env: KernelEnv, ctx: int, offset: int, src: int, size: int, flags: int) -> int:
    skb = _frame(env, ctx).skb
    offset, size = offset & _M32, size & _M32
    if flags & ~(_BPF_F_RECOMPUTE_CSUM | _BPF_F_INVALIDATE_HASH):
        return -errno.EINVAL
    if offset > 0x7FFF_FFFF or offset + size > skb.len:
        return -errno.EFAULT
    env.memory.buf[skb.data + offset:skb.data + offset + size] = env.memory.read(src, size)
    if flags & _BPF_F_INVALIDATE_HASH:
        skb.hash = 0
    return 0


def _sum_field(env: KernelEnv, skb: Any, offset: int) -> int | None:
    """Guest address of the 16-bit checksum at ``offset`` from ``skb->data`` (None: -EFAULT)."""
    offset &= _M32
    if offset > 0xFFFF or offset & 1 or offset + 2 > skb.len:
        return None
    return int(skb.data + offset)


def _diff(size: int, old: int, new: int) -> bytes | None:
    if size == 2:
        return (~old & 0xFFFF).to_bytes(2, "little") + (new & 0xFFFF).to_bytes(2, "little")
    if size == 4:
        return (~old & _M32).to_bytes(4, "little") + (new & _M32).to_bytes(4, "little")
    return None


@implements("bpf_l3_csum_replace")
def l3_csum_replace(env: KernelEnv, ctx: int, offset: int, old: int, new: int, flags: int) -> int:
    skb = _frame(env, ctx).skb
    if flags & ~_BPF_F_HDR_FIELD_MASK:
        return -errno.EINVAL
    at = _sum_field(env, skb, offset)
    if at is None:
        return -errno.EFAULT
    size = flags & _BPF_F_HDR_FIELD_MASK
    current = env.memory.load(at, 2)
    if size == 0:
        if old:
            return -errno.EINVAL
        env.memory.store(at, 2, _csum_replace(current, (new & _M32).to_bytes(4, "little")))
        return 0
    diff = _diff(size, old, new)
    if diff is None:
        return -errno.EINVAL
    env.memory.store(at, 2, _csum_replace(current, diff))
    return 0


@implements("bpf_l4_csum_replace")
def l4_csum_replace(env: KernelEnv, ctx: int, offset: int, old: int, new: int, flags: int) -> int:
    skb = _frame(env, ctx).skb
    known = (_BPF_F_MARK_MANGLED_0 | _BPF_F_MARK_ENFORCE | _BPF_F_PSEUDO_HDR | _BPF_F_HDR_FIELD_MASK
             | _BPF_F_IPV6)
    if flags & ~known:
        return -errno.EINVAL
    at = _sum_field(env, skb, offset)
    if at is None:
        return -errno.EFAULT
    current = env.memory.load(at, 2)
    mangled_zero = bool(flags & _BPF_F_MARK_MANGLED_0)
    if mangled_zero and not flags & _BPF_F_MARK_ENFORCE and not current:
        return 0  # a UDP checksum of 0 means "none": leave it
    size = flags & _BPF_F_HDR_FIELD_MASK
    if size == 0:
        if old:
            return -errno.EINVAL
        diff: bytes | None = (new & _M32).to_bytes(4, "little")
    else:
        diff = _diff(size, old, new)
    if diff is None:
        return -errno.EINVAL
    value = _csum_replace(current, diff)  # the test skb is CHECKSUM_NONE: always rewrite the field
    if mangled_zero and not value:
        value = _CSUM_MANGLED_0
    env.memory.store(at, 2, value)
    return 0


@implements("bpf_csum_diff")
def csum_diff(env: KernelEnv, src: int, src_size: int, dst: int, dst_size: int, seed: int) -> int:
    src_size, dst_size = src_size & _M32, dst_size & _M32
    if (src_size | dst_size) & 3 or src_size + dst_size > _CSUM_DIFF_MAX:
        return -errno.EINVAL
    old = env.memory.read(src, src_size) if src_size else b""
    new = env.memory.read(dst, dst_size) if dst_size else b""
    inverted = b"".join((~int.from_bytes(old[i:i + 4], "little") & _M32).to_bytes(4, "little")
                        for i in range(0, len(old), 4))
    return _from32to16(csum_partial(inverted + new, seed))


def _from32to16(csum: int) -> int:
    """The 32-bit sum folded to 16 bits, not complemented: what bpf_csum_diff returns on the
    kernel here (6.18, checked by tests/kernel); older x86-64 kernels returned csum_partial's
    32 bits."""
    csum = (csum & 0xFFFF) + (csum >> 16)
    return (csum & 0xFFFF) + (csum >> 16)


@implements("bpf_redirect")
def redirect(env: KernelEnv, ifindex: int, flags: int) -> int:
    """``bpf_redirect``: record the target; returns XDP_REDIRECT (4) / TC_ACT_REDIRECT (7) as
    the kernel does for the program type, or XDP_ABORTED/TC_ACT_SHOT for unknown flags."""
    env.state["redirect"] = (ifindex & _M32, flags & _M32)
    frame = next(iter(env.state.get("packets", {}).values()), None)
    if frame is not None and frame.ptype.name == "XDP":
        return 0 if flags else 4  # XDP takes no flags: XDP_ABORTED, else XDP_REDIRECT
    return 2 if flags & ~0x1 else 7  # only BPF_F_INGRESS: TC_ACT_SHOT, else TC_ACT_REDIRECT
