"""``test_run``: bpfvm's ``BPF_PROG_TEST_RUN``, with the kernel's semantics (net/bpf/test_run.c).

:func:`test_run` runs one program of a loaded object on a packet (``data``) and/or a context
(``ctx``) as the kernel's ``bpf_prog_test_run_xdp``/``_skb``/``_raw_tp``/``_syscall`` do:

* ``repeat`` 0 means 1; the runs share one packet and context (as in the kernel, a program
  that changes the packet sees its own changes on the next run); ``retval`` is the last run's
  r0 (32 bits), ``duration`` the mean wall time of a run in ns.
* XDP: the packet sits after XDP_PACKET_HEADROOM (256) bytes in a 4 KiB frame whose last 320
  bytes are ``skb_shared_info``: at most 3520 bytes, at least ETH_HLEN (14), else ``-EINVAL``.
  ``ctx`` (``struct xdp_md``) may set only ``data`` (the length of metadata at the front of
  ``data``), ``data_end`` (= the data size), ``ingress_ifindex`` and ``rx_queue_index``; the
  program sees ``ingress_ifindex`` 1 (the loopback device) by default.  ``data_out`` runs from
  ``data_meta`` to ``data_end``.
* skb programs (socket filter, tc, cgroup_skb, lwt): the packet after NET_SKB_PAD (64) bytes,
  at most 3712 bytes; ``eth_type_trans`` sets ``protocol`` and ``pkt_type`` as for the loopback
  device (``ifindex`` 1), and the socket's family and IPv4/IPv6 addresses come from the packet.
  Only ``mark``, ``priority``, ``ingress_ifindex``, ``ifindex``, ``cb``, ``tstamp``,
  ``wire_len``, ``gso_segs``, ``gso_size`` and ``hwtstamp`` may be non-zero in ``ctx``.  tc
  programs see the frame from the Ethernet header; socket filters (and cgroup_skb, lwt) from the
  network header, and get the Ethernet header back zeroed in ``data_out``.
* Raw tracepoints take the argument array in ``ctx`` (at most 12 u64) and no packet; syscall
  programs a buffer of at most 65535 bytes, written back as ``ctx_out``.  Neither takes
  ``repeat``.
* ``data_size_out``/``ctx_size_out``: a buffer too small gets the first bytes and the run
  fails with ``-ENOSPC`` (:class:`TestRunError`, whose ``result`` still carries the outputs and
  the real sizes).  ``ctx`` bytes beyond the structure must be zero (``-E2BIG``).

Failures are :class:`TestRunError` carrying the kernel's errno, named in the message.
"""

from __future__ import annotations

import abc
import ctypes
import errno as E
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import BpfError, ProgramError
from ..program import Program
from .context import SkBuff, XdpMd
from .progtypes import ProgramType, program_type, section_type

if TYPE_CHECKING:
    from ..vm import VM

__all__ = ["ETH_HLEN", "MAX_RAW_TP_ARGS", "TestRunError", "TestRunResult", "entry_of", "test_run"]

PAGE_SIZE = 4096
XDP_PACKET_HEADROOM = 256
#: SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86-64: the tailroom of every test frame.
SHARED_INFO = 320
#: NET_SKB_PAD + NET_IP_ALIGN on x86-64: the headroom of an skb test frame.
SKB_HEADROOM = 64
ETH_HLEN = 14
XDP_METADATA_MAX = 32
MAX_RAW_TP_ARGS = 12
MAX_SKB_FRAGS = 17
BPF_F_TEST_RUN_ON_CPU = 1
BPF_F_TEST_XDP_LIVE_FRAMES = 2
BPF_F_TEST_SKB_CHECKSUM_COMPLETE = 4
_ETH_P_802_3_MIN, _ETH_P_802_3, _ETH_P_802_2, _ETH_P_IP, _ETH_P_IPV6 = 0x600, 0x0001, 0x0004, 0x0800, 0x86DD
_AF_INET, _AF_INET6 = 2, 10
_PACKET_HOST, _PACKET_BROADCAST, _PACKET_MULTICAST, _PACKET_OTHERHOST = 0, 1, 2, 3
_LOOPBACK_IFINDEX = 1
#: Program types whose skb starts at the Ethernet header (``is_l2`` in test_run.c).
_L2 = frozenset({"SCHED_CLS", "SCHED_ACT"})
_SKB = frozenset({"SOCKET_FILTER", "SCHED_CLS", "SCHED_ACT", "CGROUP_SKB", "LWT_IN", "LWT_OUT", "LWT_XMIT"})
#: The __sk_buff fields BPF_PROG_TEST_RUN accepts non-zero in ctx_in (convert___skb_to_skb).
_SKB_CTX_IN = (
    "mark",
    "priority",
    "ingress_ifindex",
    "ifindex",
    "cb",
    "tstamp",
    "wire_len",
    "gso_segs",
    "gso_size",
    "hwtstamp",
)
_GSO_MAX_SEGS = 65535
_GSO_LEGACY_MAX_SIZE = 65536


@dataclass(frozen=True)
class TestRunResult:
    """What a test run reports, as ``BPF_PROG_TEST_RUN`` fills ``union bpf_attr.test``:
    ``retval`` (32 bits), the packet and context after the (last) run, the mean duration in ns,
    and the full sizes of both outputs (they may exceed a small ``data_size_out``)."""

    __test__ = False  # not a pytest test class despite the name

    retval: int
    data_out: bytes
    ctx_out: bytes
    duration: int
    data_size_out: int
    ctx_size_out: int


class TestRunError(BpfError):
    """A test run the kernel would refuse or fail, with its ``errno``.  For ``-ENOSPC`` the run
    happened: ``result`` has the truncated outputs and the real sizes."""

    __test__ = False

    def __init__(self, message: str, errno: int, result: TestRunResult | None = None) -> None:
        super().__init__(f"{message} (-{E.errorcode.get(errno, errno)})")
        self.errno = errno
        self.result = result


def entry_of(program: Program, name: str | None) -> tuple[str, str]:
    """The function to run and its ELF section, for ``name`` (a function or a section name;
    None: the program's only section, or its entry).  Raises :class:`~bpfvm.errors.ProgramError`."""
    if name is None:
        sections = [s for s in program.sections if section_type(s) is not None] or list(program.sections)
        if len(sections) == 1:
            return program.sections[sections[0]][0], sections[0]
        if not sections:
            return program.entry, ""
        raise ProgramError(f"{program.name}: several programs ({', '.join(sections)}): name one")
    if name in program.sections:
        return program.sections[name][0], name
    for section, functions in program.sections.items():
        if functions and functions[0] == name:
            return name, section
    if name in program.functions:
        return name, ""
    raise ProgramError(f"{program.name}: no program {name!r}; have {', '.join(program.sections) or 'none'}")


def _type_for(program: Program, section: str, prog_type: str | int | None) -> ProgramType:
    if prog_type is not None:
        return program_type(prog_type)
    match = section_type(section)
    if match is None:
        raise ProgramError(f"{program.name}: section {section!r} names no program type: pass prog_type")
    return match.type


def test_run(
    vm: VM,
    program: Program,
    name: str | None = None,
    *,
    data: bytes = b"",
    ctx: bytes | None = None,
    repeat: int = 1,
    data_size_out: int | None = None,
    ctx_size_out: int | None = None,
    flags: int = 0,
    cpu: int = 0,
    prog_type: str | int | None = None,
) -> TestRunResult:
    """Run program ``name`` of ``program`` in ``vm`` as ``BPF_PROG_TEST_RUN`` does (see the
    module docs); the program type comes from its ``SEC()`` name unless ``prog_type`` is given.

    Raises :class:`TestRunError` with the kernel's errno for what the kernel refuses, and
    :class:`~bpfvm.errors.VmTrap` when the program faults.
    """
    entry, section = entry_of(program, name)
    ptype = _type_for(program, section, prog_type)
    if not ptype.test_run:
        raise TestRunError(
            f"{ptype.name} programs have no test run (the kernel's is -ENOTSUPP)", E.EOPNOTSUPP
        )
    if repeat < 0 or cpu < 0:
        raise TestRunError("repeat and cpu must not be negative", E.EINVAL)
    runner = (
        _XdpRun
        if ptype.name == "XDP"
        else _SkbRun
        if ptype.name in _SKB
        else _RawTpRun
        if ptype.name == "RAW_TRACEPOINT"
        else _SyscallRun
    )
    return runner(vm, program, entry, ptype, data, ctx, repeat, flags, cpu).run(data_size_out, ctx_size_out)


class _Run(abc.ABC):
    """One test run: set up guest memory, run ``repeat`` times, collect the outputs."""

    def __init__(
        self,
        vm: VM,
        program: Program,
        entry: str,
        ptype: ProgramType,
        data: bytes,
        ctx: bytes | None,
        repeat: int,
        flags: int,
        cpu: int,
    ) -> None:
        self.vm, self.program, self.entry, self.ptype = vm, program, entry, ptype
        self.data, self.ctx, self.repeat, self.flags, self.cpu = bytes(data), ctx, repeat, flags, cpu

    def run(self, data_size_out: int | None, ctx_size_out: int | None) -> TestRunResult:
        self.check()
        vm = self.vm
        vm.compile(self.program)
        mark = vm.memory.mark()
        packets = vm.kernel.state.setdefault("packets", {})  # the packet helpers find frames here
        r1 = 0
        try:
            r1, packet = self.setup()
            packets[r1] = self
            total, retval = 0, 0
            for _ in range(max(self.repeat, 1)):
                start = time.perf_counter_ns()
                retval = vm.run(self.program, r1, entry=self.entry, packet=packet) & 0xFFFF_FFFF
                total += time.perf_counter_ns() - start
            data_out, ctx_out = self.outputs()
        finally:
            packets.pop(r1, None)
            vm.memory.release(mark)
        duration = min(total // max(self.repeat, 1), 0xFFFF_FFFF)
        return _finish(retval, data_out, ctx_out, duration, data_size_out, ctx_size_out)

    def check(self) -> None:  # noqa: B027 - a hook: most runners refuse something
        """Refuse what the kernel refuses before running (raise :class:`TestRunError`)."""

    @abc.abstractmethod
    def setup(self) -> tuple[int, tuple[int, int] | None]:
        """Map the frame and context; return r1 and the (address, length) legacy packet loads see."""

    @abc.abstractmethod
    def outputs(self) -> tuple[bytes, bytes]:
        """The packet and the context after the runs."""

    def ctx_in(self, struct: type[ctypes.LittleEndianStructure]) -> Any:
        """``bpf_ctx_init``: the user's context, zero-extended to the structure (None if none);
        bytes beyond the structure must be zero (-E2BIG)."""
        if self.ctx is None:
            return None
        size = ctypes.sizeof(struct)
        if any(self.ctx[size:]):
            raise TestRunError(f"ctx_in has non-zero bytes beyond the {size}-byte {struct.__name__}", E.E2BIG)
        return struct.from_buffer_copy(bytes(self.ctx[:size]).ljust(size, b"\0"))

    def frame(self, name: str, size: int) -> int:
        """Map a zeroed, writable, page-aligned frame of ``size`` bytes; return its address."""
        return self.vm.memory.map(f"test_run:{name}", bytes(size), writable=True, align=PAGE_SIZE).base

    def view(self, struct: type[ctypes.LittleEndianStructure], address: int) -> Any:
        return struct.from_buffer(self.vm.memory.buf, address)


def _finish(
    retval: int,
    data_out: bytes,
    ctx_out: bytes,
    duration: int,
    data_size_out: int | None,
    ctx_size_out: int | None,
) -> TestRunResult:
    """``bpf_test_finish`` + ``bpf_ctx_finish``: truncate to the caller's buffers (-ENOSPC)."""
    full = TestRunResult(retval, data_out, ctx_out, duration, len(data_out), len(ctx_out))
    if data_size_out is not None and len(data_out) > data_size_out:
        short = TestRunResult(retval, data_out[:data_size_out], b"", duration, len(data_out), 0)
        raise TestRunError(
            f"data_out needs {len(data_out)} bytes, the buffer has {data_size_out}", E.ENOSPC, short
        )
    if ctx_size_out is not None and len(ctx_out) > ctx_size_out:
        short = TestRunResult(retval, data_out, ctx_out[:ctx_size_out], duration, len(data_out), len(ctx_out))
        raise TestRunError(
            f"ctx_out needs {len(ctx_out)} bytes, the buffer has {ctx_size_out}", E.ENOSPC, short
        )
    return full


class _XdpRun(_Run):
    """``bpf_prog_test_run_xdp`` (no live frames); the packet helpers work on ``base`` (the
    frame), ``md_view`` (the xdp_md the program sees), ``frags`` and ``shared_info``."""

    shared_info = SHARED_INFO

    def check(self) -> None:
        if self.flags & BPF_F_TEST_XDP_LIVE_FRAMES:
            raise TestRunError(
                "BPF_F_TEST_XDP_LIVE_FRAMES sends packets out of a device: bpfvm has none", E.EOPNOTSUPP
            )
        if self.flags or self.cpu:
            raise TestRunError(
                "XDP test runs take no flags but BPF_F_TEST_XDP_LIVE_FRAMES, and no cpu", E.EINVAL
            )
        md = self.ctx_in(XdpMd)
        self.md = md
        self.headroom = XDP_PACKET_HEADROOM
        size = len(self.data)
        if md is not None:
            if (
                md.data_meta
                or md.data_end != size
                or md.data > md.data_end
                or md.data > XDP_METADATA_MAX
                or md.data % 4
            ):
                raise TestRunError(
                    "xdp_md ctx_in: data_meta must be 0, data_end the data size, data a "
                    f"metadata length ≤ {XDP_METADATA_MAX} (multiple of 4)",
                    E.EINVAL,
                )
            if md.egress_ifindex:
                raise TestRunError("xdp_md ctx_in: egress_ifindex must be 0", E.EINVAL)
            if not md.ingress_ifindex and md.rx_queue_index:
                raise TestRunError("xdp_md ctx_in: rx_queue_index needs ingress_ifindex", E.EINVAL)
            if md.ingress_ifindex not in (0, _LOOPBACK_IFINDEX):
                raise TestRunError(f"no network device with ifindex {md.ingress_ifindex}", E.ENODEV)
            if md.rx_queue_index:
                raise TestRunError(f"the loopback device has no rx queue {md.rx_queue_index}", E.EINVAL)
            self.headroom -= md.data
        self.max_data = PAGE_SIZE - self.headroom - SHARED_INFO
        if size < ETH_HLEN:
            raise TestRunError(f"XDP data must be at least {ETH_HLEN} bytes, got {size}", E.EINVAL)
        rest = self.data[self.max_data :]
        #: The page fragments of a multi-buffer frame (``skb_shared_info.frags``), host-side.
        self.frags = [bytearray(rest[i : i + PAGE_SIZE]) for i in range(0, len(rest), PAGE_SIZE)]
        if len(self.frags) > MAX_SKB_FRAGS:
            raise TestRunError(
                f"XDP data of {size} bytes needs {len(self.frags)} fragments; at most {MAX_SKB_FRAGS}",
                E.ENOMEM,
            )

    def setup(self) -> tuple[int, tuple[int, int] | None]:
        base = self.frame("xdp", PAGE_SIZE)
        self.base = base
        start = base + self.headroom
        linear = self.data[: self.max_data]
        self.vm.memory.buf[start : start + len(linear)] = linear
        meta = self.md.data if self.md is not None else 0
        md_addr = self.frame("xdp_md", ctypes.sizeof(XdpMd))
        view = self.view(XdpMd, md_addr)
        view.data_meta, view.data, view.data_end = start, start + meta, start + len(linear)
        view.ingress_ifindex = _LOOPBACK_IFINDEX
        self.md_view = view
        return md_addr, None

    def outputs(self) -> tuple[bytes, bytes]:
        view = self.md_view
        lo, hi = self.base, self.base + PAGE_SIZE - SHARED_INFO
        if not lo <= view.data_meta <= view.data <= view.data_end <= hi:
            raise TestRunError(
                "the program left xdp_md's data pointers outside its frame "
                "(the kernel's verifier refuses writes to them)",
                E.EFAULT,
            )
        data_out = bytes(self.vm.memory.buf[view.data_meta : view.data_end]) + b"".join(self.frags)
        if self.md is None:
            return data_out, b""
        out = XdpMd.from_buffer_copy(bytes(self.md))
        out.data, out.data_end = view.data - view.data_meta, view.data_end - view.data_meta
        return data_out, bytes(out)


class _SkbRun(_Run):
    """``bpf_prog_test_run_skb`` on the loopback device."""

    def check(self) -> None:
        if self.flags & ~BPF_F_TEST_SKB_CHECKSUM_COMPLETE or self.cpu:
            raise TestRunError(
                "skb test runs take no flags but BPF_F_TEST_SKB_CHECKSUM_COMPLETE, and no cpu", E.EINVAL
            )
        size, limit = len(self.data), PAGE_SIZE - SKB_HEADROOM - SHARED_INFO
        if size < ETH_HLEN or size > limit:
            raise TestRunError(f"skb data must be {ETH_HLEN}..{limit} bytes, got {size}", E.EINVAL)
        self.skb_in = self.ctx_in(SkBuff)
        if self.skb_in is not None:
            self._check_ctx(self.skb_in)
        self.l2 = self.ptype.name in _L2

    def _check_ctx(self, skb: Any) -> None:
        raw = bytes(skb)
        allowed = {i for name in _SKB_CTX_IN for i in _field_bytes(SkBuff, name)}
        bad = next((i for i, byte in enumerate(raw) if byte and i not in allowed), None)
        if bad is not None:
            raise TestRunError(
                f"__sk_buff ctx_in: byte {bad} must be 0 (only {', '.join(_SKB_CTX_IN)} may be set)", E.EINVAL
            )
        if skb.ifindex > _LOOPBACK_IFINDEX:
            raise TestRunError(f"no network device with ifindex {skb.ifindex}", E.ENODEV)
        network_len = len(self.data) - ETH_HLEN
        length = len(self.data) if self.ptype.name in _L2 else network_len
        if skb.wire_len and not length <= skb.wire_len <= _GSO_LEGACY_MAX_SIZE:
            raise TestRunError(
                f"__sk_buff ctx_in: wire_len {skb.wire_len} is below the packet length "
                f"{length} or above {_GSO_LEGACY_MAX_SIZE}",
                E.EINVAL,
            )
        if skb.gso_segs > _GSO_MAX_SEGS:
            raise TestRunError(f"__sk_buff ctx_in: gso_segs above {_GSO_MAX_SEGS}", E.EINVAL)

    def setup(self) -> tuple[int, tuple[int, int] | None]:
        data = self.data
        base = self.frame("skb", PAGE_SIZE)
        frame = base + SKB_HEADROOM
        self.mac = frame  #: the MAC header (bpf_skb_load_bytes_relative's BPF_HDR_START_MAC)
        self.vm.memory.buf[frame : frame + len(data)] = data
        skb_addr = self.frame("__sk_buff", ctypes.sizeof(SkBuff))
        skb = self.view(SkBuff, skb_addr)
        self.base, self.skb = base, skb
        start = frame if self.l2 else frame + ETH_HLEN
        skb.data, skb.data_end, skb.data_meta = start, frame + len(data), start
        skb.len = frame + len(data) - start
        skb.protocol, skb.pkt_type = _eth_type_trans(data)
        skb.ifindex = _LOOPBACK_IFINDEX
        _socket_from(skb, data)
        if self.skb_in is not None:
            for name in _SKB_CTX_IN:
                if name != "ifindex":
                    setattr(skb, name, getattr(self.skb_in, name))
            skb.wire_len = self.skb_in.wire_len or skb.len
        return skb_addr, (skb.data, skb.len)

    def outputs(self) -> tuple[bytes, bytes]:
        skb, buf = self.skb, self.vm.memory.buf
        lo, hi = self.base, self.base + PAGE_SIZE - SHARED_INFO
        if not lo <= skb.data <= skb.data + skb.len <= hi:
            raise TestRunError(
                "the program left __sk_buff's data outside its frame "
                "(the kernel's verifier refuses writes to it)",
                E.EFAULT,
            )
        start, end = skb.data, skb.data + skb.len
        if not self.l2:  # the kernel pushes the Ethernet header back, zeroed
            start -= ETH_HLEN
            if start < lo:
                raise TestRunError("no headroom left to push the Ethernet header back", E.ENOMEM)
            buf[start : start + ETH_HLEN] = bytes(ETH_HLEN)
        data_out = bytes(buf[start:end])
        if self.skb_in is None:
            return data_out, b""
        out = SkBuff.from_buffer_copy(bytes(self.skb_in))
        for name in (
            "mark",
            "priority",
            "ingress_ifindex",
            "ifindex",
            "tstamp",
            "cb",
            "wire_len",
            "gso_segs",
            "gso_size",
            "hwtstamp",
        ):
            setattr(out, name, getattr(skb, name))
        return data_out, bytes(out)


def _field_bytes(struct: type[ctypes.LittleEndianStructure], name: str) -> range:
    """The byte offsets of field ``name`` of ``struct``."""
    field = getattr(struct, name)
    return range(field.offset, field.offset + field.size)


def _eth_type_trans(frame: bytes) -> tuple[int, int]:
    """``eth_type_trans`` on the loopback device (address and broadcast address all zero): the
    ``__sk_buff.protocol`` value (network byte order, read as a u32) and ``pkt_type``."""
    dest = frame[:6]
    if dest[0] & 1:
        pkt_type = _PACKET_BROADCAST if dest == bytes(6) else _PACKET_MULTICAST
    else:
        pkt_type = _PACKET_HOST if dest == bytes(6) else _PACKET_OTHERHOST
    proto = int.from_bytes(frame[12:14], "big")
    if proto < _ETH_P_802_3_MIN:
        proto = _ETH_P_802_3 if frame[14:16] == b"\xff\xff" else _ETH_P_802_2
    return int.from_bytes(proto.to_bytes(2, "big"), "little"), pkt_type


def _socket_from(skb: Any, frame: bytes) -> None:
    """The test socket's family and addresses, from the IP header (as test_run.c sets them)."""
    proto = int.from_bytes(frame[12:14], "big")
    ip = frame[ETH_HLEN:]
    if proto == _ETH_P_IP:
        skb.family = _AF_INET
        if len(ip) >= 20:
            skb.local_ip4 = int.from_bytes(ip[12:16], "little")
            skb.remote_ip4 = int.from_bytes(ip[16:20], "little")
    elif proto == _ETH_P_IPV6:
        skb.family = _AF_INET6
        if len(ip) >= 40:
            for i in range(4):
                skb.local_ip6[i] = int.from_bytes(ip[8 + 4 * i : 12 + 4 * i], "little")
                skb.remote_ip6[i] = int.from_bytes(ip[24 + 4 * i : 28 + 4 * i], "little")


class _RawTpRun(_Run):
    """``bpf_prog_test_run_raw_tp``: the context is the array of tracepoint arguments."""

    def check(self) -> None:
        if self.data or self.repeat > 1:
            raise TestRunError("raw tracepoint test runs take no data and no repeat", E.EINVAL)
        if self.flags & ~BPF_F_TEST_RUN_ON_CPU or (self.cpu and not self.flags & BPF_F_TEST_RUN_ON_CPU):
            raise TestRunError(
                "raw tracepoint test runs take only BPF_F_TEST_RUN_ON_CPU (cpu needs it)", E.EINVAL
            )
        if len(self.ctx or b"") > MAX_RAW_TP_ARGS * 8:
            raise TestRunError(
                f"raw tracepoint ctx_in holds at most {MAX_RAW_TP_ARGS} u64 arguments", E.EINVAL
            )

    def setup(self) -> tuple[int, tuple[int, int] | None]:
        if not self.ctx:
            return 0, None
        address = self.frame("raw_tp_args", len(self.ctx))
        self.vm.memory.buf[address : address + len(self.ctx)] = self.ctx
        return address, None

    def outputs(self) -> tuple[bytes, bytes]:
        return b"", b""


class _SyscallRun(_Run):
    """``bpf_prog_test_run_syscall``: the context is a user buffer, written back."""

    def check(self) -> None:
        if self.data or self.repeat > 1 or self.flags or self.cpu:
            raise TestRunError("syscall program test runs take no data, repeat, flags or cpu", E.EINVAL)
        if len(self.ctx or b"") > 0xFFFF:
            raise TestRunError("syscall program ctx_in is at most 65535 bytes", E.EINVAL)

    def setup(self) -> tuple[int, tuple[int, int] | None]:
        if not self.ctx:
            self.address = 0
            return 0, None
        self.address = self.frame("syscall_ctx", len(self.ctx))
        self.vm.memory.buf[self.address : self.address + len(self.ctx)] = self.ctx
        return self.address, None

    def outputs(self) -> tuple[bytes, bytes]:
        if not self.ctx:
            return b"", b""
        return b"", bytes(self.vm.memory.buf[self.address : self.address + len(self.ctx)])
