"""The context a converted classic filter runs on in bpfvm: a minimal ``sk_buff``, and its helpers.

The kernel's converted filters read ``struct sk_buff`` through r6 (ctx).  bpfvm's converter
(:mod:`bpfvm.cbpf.convert`) targets this small, fixed layout instead — only the fields classic
BPF can observe; the full ``__sk_buff`` program types are not this module's business::

    off size  field            meaning
      0   8   data             guest address of the first packet byte (skb->data)
      8   4   len              bytes at data (skb->len; the kernel flavour's `ld len`)
     12   4   data_len         bytes outside the linear head: always 0 here
     16   4   wire_len         original length on the wire (the pcap flavour's `ld len`)
     20   4   mark             skb->mark                        (SKF_AD_MARK)
     24   4   hash             skb->hash                        (SKF_AD_RXHASH)
     28   2   protocol         ethertype, network byte order    (SKF_AD_PROTOCOL)
     30   2   vlan_proto       network byte order               (SKF_AD_VLAN_TPID)
     32   2   vlan_tci                                          (SKF_AD_VLAN_TAG)
     34   1   vlan_present                                      (SKF_AD_VLAN_TAG_PRESENT)
     35   1   pkt_type                                          (SKF_AD_PKTTYPE)
     36   2   queue_mapping                                     (SKF_AD_QUEUE)
     40   8   dev              guest address of {u32 ifindex; u16 type} below, or 0 (no device)
     48   8   head             guest address of the headroom's first byte (skb->head)
     56   4   network_header   offset from head, 0xffffffff: unset (SKF_NET_OFF loads)
     60   4   mac_header       offset from head, 0xffffffff: unset (SKF_LL_OFF loads)
     64   4   cpu              what ld #cpu returns             (SKF_AD_CPU)
     72   4   dev.ifindex                                       (SKF_AD_IFINDEX)
     76   2   dev.type                                          (SKF_AD_HATYPE)

The packet's headroom and bytes follow the context in the same guest region.  The slow paths
of packet loads and the ancillary loads the kernel implements in C are host helpers with the
ids of :data:`HELPERS` (bpfvm-private ids, like the kernel's internal ``BPF_CALL_REL``
targets, which have no uapi number): they read the context above.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .interp import Skb, nlattr_offset, payload_offset
from .opcodes import SKF_LL_OFF, SKF_NET_OFF

__all__ = ["CTX_SIZE", "FIELDS", "HELPERS", "HELPER_IDS", "SkbLayout", "helpers_for", "pack_context"]

#: Context fields: name → (offset, size).
FIELDS: dict[str, tuple[int, int]] = {
    "data": (0, 8),
    "len": (8, 4),
    "data_len": (12, 4),
    "wire_len": (16, 4),
    "mark": (20, 4),
    "hash": (24, 4),
    "protocol": (28, 2),
    "vlan_proto": (30, 2),
    "vlan_tci": (32, 2),
    "vlan_present": (34, 1),
    "pkt_type": (35, 1),
    "queue_mapping": (36, 2),
    "dev": (40, 8),
    "head": (48, 8),
    "network_header": (56, 4),
    "mac_header": (60, 4),
    "cpu": (64, 4),
    "dev.ifindex": (72, 4),
    "dev.type": (76, 2),
}
#: Bytes of the context; the packet's headroom starts right after it.
CTX_SIZE = 80
_EFAULT = -14
_M64 = (1 << 64) - 1

#: The host helpers converted code calls: name → bpfvm-private helper id.
HELPER_IDS: dict[str, int] = {
    "skb_load_helper_8": 0x0CBF0001,
    "skb_load_helper_16": 0x0CBF0002,
    "skb_load_helper_32": 0x0CBF0004,
    "skb_get_pay_offset": 0x0CBF0010,
    "skb_get_nlattr": 0x0CBF0011,
    "skb_get_nlattr_nest": 0x0CBF0012,
    "get_raw_cpu_id": 0x0CBF0013,
    "user_rnd_u32": 0x0CBF0014,
}
HELPERS = HELPER_IDS


class SkbLayout:
    """Where one packet's context, headroom and bytes are in guest memory (``base``: the ctx)."""

    def __init__(self, base: int, headroom: int) -> None:
        self.base = base
        self.head = base + CTX_SIZE
        self.data = self.head + headroom


def pack_context(layout: SkbLayout, packet: bytes, *, wirelen: int, skb: Skb) -> bytes:
    """The context and packet bytes to write at ``layout.base``."""
    ctx = bytearray(CTX_SIZE)

    def put(name: str, value: int) -> None:
        off, size = FIELDS[name]
        ctx[off : off + size] = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")

    head = len(skb.headroom)
    put("data", layout.data)
    put("len", len(packet))
    put("wire_len", wirelen)
    for name in ("mark", "hash", "vlan_tci", "pkt_type", "queue_mapping", "cpu"):
        put(name, getattr(skb, name))
    put("protocol", int.from_bytes(skb.protocol.to_bytes(2, "big"), "little"))
    put("vlan_proto", int.from_bytes(skb.vlan_proto.to_bytes(2, "big"), "little"))
    put("vlan_present", int(skb.vlan_present))
    put("head", layout.head)
    unset = 0xFFFF_FFFF  # a header never set: every load relative to it fails
    put("network_header", unset if skb.network_offset is None else head + skb.network_offset)
    put("mac_header", unset if skb.mac_offset is None else head + skb.mac_offset)
    if skb.ifindex is not None:
        put("dev", layout.base + FIELDS["dev.ifindex"][0])
        put("dev.ifindex", skb.ifindex)
        put("dev.type", skb.hatype)
    return bytes(ctx) + skb.headroom + packet


def helpers_for(memory: Any, random: Callable[[], int]) -> dict[int, Callable[..., int]]:
    """The helper implementations over a VM's guest ``memory`` (``load``/``read``)."""

    def field(ctx: int, name: str) -> int:
        off, size = FIELDS[name]
        return int(memory.load(ctx + off, size))

    def packet(ctx: int) -> bytes:
        return bytes(memory.read(field(ctx, "data"), field(ctx, "len")))

    def load(size: int) -> Callable[..., int]:
        def helper(ctx: int, data: int, headlen: int, offset: int, *_: int) -> int:
            off = offset & 0xFFFF_FFFF
            off = off - (1 << 32) if off >> 31 else off
            if off >= 0:
                if headlen - off < size:
                    return _EFAULT & _M64
                return int.from_bytes(memory.read(data + off, size), "big")
            return _load_negative(ctx, off, size) & _M64

        return helper

    def _load_negative(ctx: int, off: int, size: int) -> int:
        net, ll = SKF_NET_OFF - (1 << 32), SKF_LL_OFF - (1 << 32)
        if off >= net:
            where = field(ctx, "network_header") + off - net
        elif off >= ll:
            where = field(ctx, "mac_header") + off - ll
        else:
            return _EFAULT
        head, tail = field(ctx, "head"), field(ctx, "data") + field(ctx, "len")
        if where < 0 or head + where + size > tail:
            return _EFAULT
        return int.from_bytes(memory.read(head + where, size), "big")

    def nlattr(nested: bool) -> Callable[..., int]:
        return lambda ctx, a, x, *_: nlattr_offset(packet(ctx), a & 0xFFFF_FFFF, x & 0xFFFF_FFFF, nested)

    return {
        HELPER_IDS["skb_load_helper_8"]: load(1),
        HELPER_IDS["skb_load_helper_16"]: load(2),
        HELPER_IDS["skb_load_helper_32"]: load(4),
        HELPER_IDS["skb_get_pay_offset"]: lambda ctx, *_: payload_offset(packet(ctx)),
        HELPER_IDS["skb_get_nlattr"]: nlattr(False),
        HELPER_IDS["skb_get_nlattr_nest"]: nlattr(True),
        HELPER_IDS["get_raw_cpu_id"]: lambda ctx, *_: field(ctx, "cpu"),
        HELPER_IDS["user_rnd_u32"]: lambda *_: random() & 0xFFFF_FFFF,
    }
