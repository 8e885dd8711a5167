"""Classic BPF interpreters: libpcap's ``bpf_filter`` and the Linux kernel's, side by side.

Both run ``A``, ``X`` (32-bit, start at 0) and ``M[16]`` (0 here; both checkers make reading
an unwritten word impossible or undefined) over a packet and return the ``ret`` value.  Where
they differ (the tests pin every row against libpcap through ctypes and the kernel through
``SO_ATTACH_FILTER``):

=========================  ===================================  ==================================
what                       ``pcap``: libpcap 1.10 bpf_filter    ``kernel``: net/core/filter.c
=========================  ===================================  ==================================
load past the end          the filter returns 0                 the filter returns 0
``[k]``, k ≥ 2³¹           out of bounds: returns 0             ``SKF_AD_OFF+n`` ancillary data,
                                                                ``SKF_NET_OFF``/``SKF_LL_OFF``
``ld len`` / ``ldx len``   the wire (original) length           ``skb->len``, the bytes present
``lsh/rsh x``, X ≥ 32      A = 0                                X masked to 31 (ALU32, x86)
``lsh/rsh #k``, k ≥ 32     k masked to 31 (x86 C shift)         rejected by the checker
``ja`` backward (k wraps)  taken (libpcap's protochain code)    rejected by the checker
``div/mod x`` by 0         returns 0                            returns 0
``ret``                    the value, untrimmed                 the value; a socket keeps
                                                                min(value, len) bytes
=========================  ===================================  ==================================

``flavour="seccomp"`` runs a filter over the 64-byte ``struct seccomp_data`` as
``seccomp_check_filter`` rewrites it (``ld [k]`` reads the struct, ``ld len`` is 64).
Unknown codes raise :class:`~bpfvm.errors.CbpfError`, as does a jump outside the program.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from .errors import CbpfError
from .insn import SockFilter
from .opcodes import SKF_AD_OFF, SKF_LL_OFF, SKF_NET_OFF

__all__ = ["FLAVOURS", "Skb", "delivered", "nlattr_offset", "payload_offset", "run"]

#: Semantics :func:`run` implements.
FLAVOURS = ("pcap", "kernel", "seccomp")
_M32 = 0xFFFF_FFFF


@dataclass(frozen=True)
class Skb:
    """What the kernel flavour sees of a packet besides its bytes: the ``sk_buff`` fields the
    ancillary loads read.  ``protocol`` and ``vlan_proto`` are ethertypes (host order values);
    ``ifindex`` None means the skb has no device (then ``ifidx``/``hatype`` return A at once,
    as the kernel's converted code does).  ``headroom`` are bytes before ``data`` (from
    ``skb->head``); ``mac_offset``/``network_offset`` are the link and network headers
    relative to ``data`` (negative: inside the headroom; None: not set).  The defaults are
    what a local datagram socket sees (an ``AF_UNIX`` skb: no device, protocol 0, the network
    header at the data, no link-layer header) — the tests compare them with the kernel's."""

    protocol: int = 0
    pkt_type: int = 0
    ifindex: int | None = None
    hatype: int = 0
    mark: int = 0
    queue_mapping: int = 0
    hash: int = 0
    cpu: int = 0
    vlan_tci: int = 0
    vlan_present: bool = False
    vlan_proto: int = 0
    headroom: bytes = b""
    #: None: the header was never set (an AF_UNIX skb), and loads relative to it fail.
    mac_offset: int | None = None
    network_offset: int | None = 0
    #: ``prandom_u32`` for ``ld #rand``.
    random: Callable[[], int] = lambda: random.getrandbits(32)  # noqa: E731


def delivered(ret: int, length: int) -> int:
    """Bytes a socket receives when its filter returns ``ret`` for a ``length``-byte packet
    (``sk_filter_trim_cap``): 0 drops it, otherwise it is trimmed to ``min(ret, length)``."""
    return 0 if ret == 0 else min(ret & _M32, length)


class _Return(Exception):
    def __init__(self, value: int) -> None:
        self.value = value & _M32


def run(
    insns: Sequence[SockFilter],
    packet: bytes,
    *,
    flavour: str = "pcap",
    wirelen: int | None = None,
    skb: Skb | None = None,
    max_steps: int = 1 << 24,
) -> int:
    """Run a classic program over ``packet``; return its ``ret`` value (unsigned 32-bit).

    ``wirelen`` (pcap flavour) is the original length ``ld len`` sees (default ``len(packet)``);
    ``skb`` (kernel flavour) supplies the ancillary fields.  Raises
    :class:`~bpfvm.errors.CbpfError` for an unknown opcode, a jump out of the program, an
    ``M[]`` index ≥ 16, or more than ``max_steps`` steps (a backward ``ja`` loop).
    """
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown flavour {flavour!r}; have {', '.join(FLAVOURS)}")
    machine = _Machine(insns, packet, flavour, len(packet) if wirelen is None else wirelen, skb or Skb())
    try:
        machine.loop(max_steps)
    except _Return as done:
        return done.value
    raise AssertionError("unreachable: loop() returns only by _Return or an error")


class _Machine:
    """The state of one run: registers, scratch memory, the packet."""

    def __init__(
        self, insns: Sequence[SockFilter], packet: bytes, flavour: str, wirelen: int, skb: Skb
    ) -> None:
        self.insns, self.p, self.flavour, self.skb = insns, packet, flavour, skb
        self.length = 64 if flavour == "seccomp" else (wirelen if flavour == "pcap" else len(packet))
        self.a = self.x = 0
        self.mem = [0] * 16

    def loop(self, max_steps: int) -> None:
        pc, n = 0, len(self.insns)
        for _ in range(max_steps):
            if not 0 <= pc < n:
                if pc == n:
                    raise CbpfError("program ran past its last instruction (no ret)", pc)
                raise CbpfError(f"jump to {pc}, outside the program of {n} instructions", pc)
            insn = self.insns[pc]
            handler = _HANDLERS.get(insn.code & 0x07)
            if handler is None:
                raise CbpfError(f"unknown classic BPF opcode {insn.code:#x}", pc)
            pc = handler(self, insn, pc)
        raise CbpfError(f"no ret after {max_steps} steps (a backward ja loops)", pc)

    # -- packet access -------------------------------------------------------------------------
    def load(self, offset: int, size: int, *, indirect: bool = False) -> int:
        """A big-endian load at ``offset`` (unsigned 32-bit k, or X + k) with this flavour's
        bounds rules; raises :class:`_Return` (0) where the filter gives up."""
        if self.flavour != "kernel":
            if offset + size > len(self.p):  # exact arithmetic: libpcap's checks never wrap
                raise _Return(0)
            order: Literal["little", "big"] = "little" if self.flavour == "seccomp" else "big"
            return int.from_bytes(self.p[offset : offset + size], order)
        signed = (offset & _M32) - (1 << 32) if offset & 0x8000_0000 else offset & _M32
        if signed >= 0:
            if signed + size > len(self.p):
                raise _Return(0)
            return int.from_bytes(self.p[signed : signed + size], "big")
        return self.load_negative(signed, size)

    def load_negative(self, offset: int, size: int) -> int:
        """``bpf_internal_load_pointer_neg_helper``: SKF_NET_OFF / SKF_LL_OFF relative loads."""
        net, ll = SKF_NET_OFF - (1 << 32), SKF_LL_OFF - (1 << 32)
        base = self.skb.network_offset if offset >= net else self.skb.mac_offset if offset >= ll else None
        if base is None:
            raise _Return(0)
        where = base + offset - (net if offset >= net else ll)
        head = len(self.skb.headroom)
        start = where + head
        if start < 0 or where + size > len(self.p):
            raise _Return(0)
        buf = self.skb.headroom + self.p
        return int.from_bytes(buf[start : start + size], "big")


def _mem_index(insn: SockFilter, pc: int) -> int:
    if insn.k >= 16:
        raise CbpfError(f"M[{insn.k}]: scratch memory has 16 words", pc)
    return insn.k


def _ld(m: _Machine, insn: SockFilter, pc: int) -> int:
    mode, size = insn.code & 0xE0, {0x00: 4, 0x08: 2, 0x10: 1}.get(insn.code & 0x18, 0)
    if mode == 0x00 and insn.code == 0x00:
        m.a = insn.k
    elif mode == 0x60 and insn.code == 0x60:
        m.a = m.mem[_mem_index(insn, pc)]
    elif insn.code == 0x80:
        m.a = m.length & _M32
    elif mode == 0x20 and size:
        m.a = _ancillary(m, insn) if _is_ancillary(m, insn) else m.load(insn.k, size)
    elif mode == 0x40 and size:
        m.a = m.load(m.x + insn.k if m.flavour != "kernel" else (m.x + insn.k) & _M32, size, indirect=True)
    else:
        raise CbpfError(f"unknown classic BPF opcode {insn.code:#x}", pc)
    return pc + 1


def _ldx(m: _Machine, insn: SockFilter, pc: int) -> int:
    if insn.code == 0x01:
        m.x = insn.k
    elif insn.code == 0x61:
        m.x = m.mem[_mem_index(insn, pc)]
    elif insn.code == 0x81:
        m.x = m.length & _M32
    elif insn.code == 0xB1:
        m.x = (m.load(insn.k, 1) & 0xF) << 2
    else:
        raise CbpfError(f"unknown classic BPF opcode {insn.code:#x}", pc)
    return pc + 1


def _st(m: _Machine, insn: SockFilter, pc: int) -> int:
    if insn.code not in (0x02, 0x03):
        raise CbpfError(f"unknown classic BPF opcode {insn.code:#x}", pc)
    m.mem[_mem_index(insn, pc)] = m.a if insn.code == 0x02 else m.x
    return pc + 1


def _shift(m: _Machine, amount: int, left: bool, by_x: bool) -> int:
    if by_x and m.flavour == "pcap" and amount >= 32:
        return 0
    amount &= 31
    return (m.a << amount) & _M32 if left else m.a >> amount


def _alu(m: _Machine, insn: SockFilter, pc: int) -> int:
    op, by_x = insn.code & 0xF0, insn.code & 0x08
    if insn.code & 0x0F not in (0x04, 0x0C) or (op == 0x80 and by_x):
        raise CbpfError(f"unknown classic BPF opcode {insn.code:#x}", pc)
    b = m.x if by_x else insn.k
    a = m.a
    if op in (0x30, 0x90) and b == 0:
        raise _Return(0)
    results = {
        0x00: lambda: a + b,
        0x10: lambda: a - b,
        0x20: lambda: a * b,
        0x30: lambda: a // b,
        0x40: lambda: a | b,
        0x50: lambda: a & b,
        0x60: lambda: _shift(m, b, True, bool(by_x)),
        0x70: lambda: _shift(m, b, False, bool(by_x)),
        0x80: lambda: -a,
        0x90: lambda: a % b,
        0xA0: lambda: a ^ b,
    }
    if op not in results or (m.flavour == "seccomp" and op == 0x90):
        raise CbpfError(f"unknown classic BPF opcode {insn.code:#x}", pc)
    m.a = results[op]() & _M32
    return pc + 1


def _jmp(m: _Machine, insn: SockFilter, pc: int) -> int:
    op = insn.code & 0xF0
    if op == 0x00 and insn.code == 0x05:
        return (pc + 1 + insn.k) & _M32
    b = m.x if insn.code & 0x08 else insn.k
    tests = {0x10: m.a == b, 0x20: m.a > b, 0x30: m.a >= b, 0x40: bool(m.a & b)}
    if op not in tests or insn.code & 0x0F not in (0x05, 0x0D):
        raise CbpfError(f"unknown classic BPF opcode {insn.code:#x}", pc)
    return pc + 1 + (insn.jt if tests[op] else insn.jf)


def _ret(m: _Machine, insn: SockFilter, pc: int) -> int:
    if insn.code == 0x06:
        raise _Return(insn.k)
    if insn.code == 0x16:
        raise _Return(m.a)
    raise CbpfError(f"unknown classic BPF opcode {insn.code:#x}", pc)


def _misc(m: _Machine, insn: SockFilter, pc: int) -> int:
    if insn.code == 0x07:
        m.x = m.a
    elif insn.code == 0x87:
        m.a = m.x
    else:
        raise CbpfError(f"unknown classic BPF opcode {insn.code:#x}", pc)
    return pc + 1


_HANDLERS: dict[int, Callable[[_Machine, SockFilter, int], int]] = {
    0: _ld,
    1: _ldx,
    2: _st,
    3: _st,
    4: _alu,
    5: _jmp,
    6: _ret,
    7: _misc,
}


# -- the kernel's ancillary loads ----------------------------------------------------------------


def _is_ancillary(m: _Machine, insn: SockFilter) -> bool:
    return m.flavour == "kernel" and insn.k >= SKF_AD_OFF and insn.k - SKF_AD_OFF in _ANCILLARY


def _ancillary(m: _Machine, insn: SockFilter) -> int:
    return _ANCILLARY[insn.k - SKF_AD_OFF](m) & _M32


def _device(m: _Machine, value: int) -> int:
    if m.skb.ifindex is None:
        raise _Return(m.a)  # no skb->dev: the converted code exits with A as it is
    return value


def _nlattr(m: _Machine, nested: bool) -> int:
    return nlattr_offset(m.p, m.a, m.x, nested)


def nlattr_offset(p: bytes, a: int, x: int, nested: bool) -> int:
    """``bpf_skb_get_nlattr(_nest)``: the offset of the netlink attribute of type ``x`` in the
    attributes at offset ``a`` (nested: inside the attribute at ``a``); 0 if there is none."""
    if len(p) < 4 or a > len(p) - 4:
        return 0
    start, end = a, len(p)
    if nested:
        (nla_len,) = struct.unpack_from("<H", p, a)
        if nla_len > len(p) - a:
            return 0
        start, end = a + 4, a + nla_len
    while start + 4 <= end:
        nla_len, nla_type = struct.unpack_from("<HH", p, start)
        if nla_len < 4 or start + nla_len > end:
            return 0
        if nla_type & 0x3FFF == x:
            return start
        start += (nla_len + 3) & ~3
    return 0


def payload_offset(p: bytes) -> int:
    """``skb_get_poff``: where the transport payload starts, for Ethernet IPv4/IPv6 with TCP,
    UDP, ICMP (the common cases of the kernel's flow dissector); 0 when not dissectable."""
    if len(p) < 14:
        return 0
    ethertype, off = int.from_bytes(p[12:14], "big"), 14
    if ethertype in (0x8100, 0x88A8) and len(p) >= 18:
        ethertype, off = int.from_bytes(p[16:18], "big"), 18
    if ethertype == 0x0800 and len(p) >= off + 20:
        proto, off = p[off + 9], off + (p[off] & 0xF) * 4
    elif ethertype == 0x86DD and len(p) >= off + 40:
        proto, off = p[off + 6], off + 40
    else:
        return 0
    if proto == 6 and len(p) >= off + 13:
        return off + (p[off + 12] >> 4) * 4
    return off + {17: 8, 1: 8, 58: 8}.get(proto, 0)


_ANCILLARY: dict[int, Callable[[_Machine], int]] = {
    0: lambda m: m.skb.protocol & 0xFFFF,
    4: lambda m: m.skb.pkt_type & 7,
    8: lambda m: _device(m, m.skb.ifindex or 0),
    12: lambda m: _nlattr(m, False),
    16: lambda m: _nlattr(m, True),
    20: lambda m: m.skb.mark,
    24: lambda m: m.skb.queue_mapping & 0xFFFF,
    28: lambda m: _device(m, m.skb.hatype & 0xFFFF),
    32: lambda m: m.skb.hash,
    36: lambda m: m.skb.cpu,
    40: lambda m: m.a ^ m.x,
    44: lambda m: m.skb.vlan_tci & 0xFFFF,
    48: lambda m: int(m.skb.vlan_present),
    52: lambda m: payload_offset(m.p),
    56: lambda m: m.skb.random(),
    60: lambda m: m.skb.vlan_proto & 0xFFFF,
}
