"""A classic filter as a value: compile, check, run, convert, print.

``Filter`` holds the instructions with where they came from (expression, link type, snapshot
length).  :meth:`Filter.run` interprets them (libpcap's or the kernel's semantics, see
:mod:`bpfvm.cbpf.interp`); :meth:`Filter.to_ebpf` converts them (:mod:`bpfvm.cbpf.convert`);
:meth:`Filter.engine` gives an :class:`EbpfFilter` that runs the converted program on a bpfvm
engine — one packet at a time, or a whole capture in one native call (a driver loop that calls
the filter as a BPF-to-BPF subprogram over an array of packet records).
"""

from __future__ import annotations

import io
import random
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..isa import Insn, make
from ..program import Program
from . import check, interp, pcap, text
from .convert import convert_insns
from .errors import CbpfError
from .insn import SockFilter, decode, encode, from_tuples
from .skb import CTX_SIZE, FIELDS, SkbLayout, helpers_for, pack_context

__all__ = ["EbpfFilter", "Filter", "StagedCapture", "compile"]

_FORMATS = {"d": text.format_d, "dd": text.format_dd, "ddd": text.format_ddd, "asm": text.format_asm}
_PARSERS = {"d": text.parse_d, "dd": text.parse_dd, "ddd": text.parse_ddd, "asm": text.parse_asm}


@dataclass(frozen=True)
class Filter:
    """A classic BPF program; ``expr``/``linktype``/``snaplen`` say what it was compiled from."""

    insns: tuple[SockFilter, ...]
    expr: str | None = None
    linktype: int | None = None
    snaplen: int = pcap.DEFAULT_SNAPLEN
    _ebpf: dict[str, Program] = field(default_factory=dict, repr=False, compare=False)

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def from_bytes(cls, data: bytes) -> Filter:
        """A filter from a ``struct sock_filter`` array (``seccomp_export_bpf`` output …)."""
        return cls(decode(data))

    @classmethod
    def from_text(cls, source: str, form: str = "d") -> Filter:
        """A filter from ``tcpdump -d``/``-dd``/``-ddd`` text or ``bpf_asm`` source (``form``
        ``d dd ddd asm``); raises :class:`~bpfvm.cbpf.errors.FilterSyntaxError`."""
        if form not in _PARSERS:
            raise ValueError(f"unknown form {form!r}; have {', '.join(_PARSERS)}")
        return cls(_PARSERS[form](source))

    @classmethod
    def from_tuples(cls, rows: Iterable[Sequence[int]]) -> Filter:
        """A filter from ``(code, jt, jf, k)`` rows."""
        return cls(from_tuples(rows))

    def to_bytes(self) -> bytes:
        """The ``struct sock_filter`` array (what ``SO_ATTACH_FILTER`` takes)."""
        return encode(self.insns)

    def format(self, form: str = "d") -> str:
        """The filter as ``tcpdump -d``/``-dd``/``-ddd`` prints it, or as ``bpf_asm`` source."""
        if form not in _FORMATS:
            raise ValueError(f"unknown form {form!r}; have {', '.join(_FORMATS)}")
        return _FORMATS[form](self.insns)

    # -- checking and running --------------------------------------------------------------------
    def check(self, checker: str = "kernel") -> None:
        """Run a checker: ``kernel`` (bpf_check_classic), ``seccomp``, or ``pcap``
        (bpf_validate); raises :class:`~bpfvm.cbpf.errors.CheckError`."""
        checks = {"kernel": check.check_classic, "seccomp": check.check_seccomp, "pcap": check.validate_pcap}
        if checker not in checks:
            raise ValueError(f"unknown checker {checker!r}; have {', '.join(checks)}")
        checks[checker](self.insns)

    def run(
        self,
        packet: bytes,
        wirelen: int | None = None,
        *,
        flavour: str = "pcap",
        skb: interp.Skb | None = None,
    ) -> int:
        """Interpret the filter over ``packet``; return its ``ret`` value (0: rejected).

        ``flavour`` ``pcap`` is what ``pcap_offline_filter`` returns, ``kernel`` what the
        kernel's filter returns (a socket then keeps :func:`~bpfvm.cbpf.interp.delivered`
        bytes).  Raises :class:`CbpfError` for programs no checker would pass.
        """
        return interp.run(self.insns, packet, flavour=flavour, wirelen=wirelen, skb=skb)

    def to_ebpf(self, flavour: str = "pcap") -> Program:
        """The converted eBPF program (cached); its entry ``filter`` takes the context of
        :mod:`bpfvm.cbpf.skb` (seccomp: ``struct seccomp_data``) in r1."""
        prog = self._ebpf.get(flavour)
        if prog is None:
            name = f"cbpf:{self.expr}" if self.expr else "cbpf"
            prog = Program.from_insns(convert_insns(self.insns, flavour), name=name, names={0: "filter"})
            self._ebpf[flavour] = prog
        return prog

    def engine(self, engine: str = "jit", flavour: str = "pcap", **vm_options: Any) -> EbpfFilter:
        """The converted filter ready to run on a bpfvm engine (``interpreter`` or ``jit``)."""
        return EbpfFilter(self, engine, flavour, **vm_options)


def compile(
    expr: str,
    linktype: int | str = 1,
    snaplen: int = pcap.DEFAULT_SNAPLEN,
    *,
    optimize: bool = True,
    netmask: int = 0,
) -> Filter:
    """Compile a tcpdump filter expression for ``linktype`` (a DLT number or a name such as
    ``EN10MB``) with libpcap's ``pcap_compile``; raises :class:`~bpfvm.cbpf.errors.PcapError`
    with libpcap's message."""
    dlt = pcap.linktype_value(linktype)
    insns = pcap.compile_insns(expr, dlt, snaplen, optimize=optimize, netmask=netmask)
    return Filter(insns, expr, dlt, snaplen)


_RECORD = struct.Struct("<QII")  # data address, caplen, wire length


def _driver() -> list[Insn]:
    """``driver(records, count, results, ctx)``: for each 16-byte record, fill the context's
    data/head/len/wire_len (no headroom: the network header is the data, as for an AF_UNIX
    skb), call the filter (a local function right after the driver), store r0."""
    data, length, wire = FIELDS["data"][0], FIELDS["len"][0], FIELDS["wire_len"][0]
    head = FIELDS["head"][0]
    body = [
        make("mov64_reg", 6, 1),
        make("mov64_reg", 7, 2),
        make("mov64_reg", 8, 3),
        make("mov64_reg", 9, 4),
        make("jeq64_imm", 7, off=15, imm=0),
        make("ldxdw", 1, 6, 0),
        make("stxdw", 9, 1, data),
        make("stxdw", 9, 1, head),
        make("ldxw", 1, 6, 8),
        make("stxw", 9, 1, length),
        make("ldxw", 1, 6, 12),
        make("stxw", 9, 1, wire),
        make("mov64_reg", 1, 9),
        None,  # call filter
        make("stxw", 8, 0, 0),
        make("add64_imm", 6, imm=16),
        make("add64_imm", 8, imm=4),
        make("sub64_imm", 7, imm=1),
        make("ja", off=-15),
        make("mov64_imm", 0, imm=0),
        make("exit"),
    ]
    at = body.index(None)
    body[at] = make("call_local", imm=len(body) - at - 1)
    return [insn.with_pc(pc) for pc, insn in enumerate(body) if insn is not None]


class EbpfFilter:
    """A converted filter on a bpfvm VM: :meth:`run` one packet, :meth:`run_many` a capture.

    Results equal :meth:`Filter.run` of the same flavour (the tests hold both engines to
    libpcap and to the kernel).
    """

    def __init__(self, filt: Filter, engine: str = "jit", flavour: str = "pcap", **vm_options: Any) -> None:
        from ..vm import VM

        self.filter, self.flavour = filt, flavour
        self.program = filt.to_ebpf(flavour)
        for stream in ("stdin", "stdout", "stderr"):  # a filter has no I/O
            vm_options.setdefault(stream, io.BytesIO())
        self.vm = VM(engine, **vm_options)
        self.vm.helpers.update(helpers_for(self.vm.memory, lambda: random.getrandbits(32)))
        self._batch: Program | None = None

    def run(self, packet: bytes, wirelen: int | None = None, *, skb: interp.Skb | None = None) -> int:
        """Run the converted filter over one packet (seccomp flavour: 64 bytes of
        ``seccomp_data``); return r0 as unsigned 32-bit."""
        memory = self.vm.memory
        mark = memory.mark()
        try:
            if self.flavour == "seccomp":
                region = memory.map("seccomp_data", bytes(packet).ljust(64, b"\0")[:64], writable=False)
                return self.vm.run(self.program, region.base) & 0xFFFF_FFFF
            skb = skb or interp.Skb()
            size = CTX_SIZE + len(skb.headroom) + len(packet)
            region = memory.map("skb", size, writable=True)
            layout = SkbLayout(region.base, len(skb.headroom))
            memory.write(
                region.base,
                pack_context(layout, packet, wirelen=len(packet) if wirelen is None else wirelen, skb=skb),
            )
            return self.vm.run(self.program, region.base) & 0xFFFF_FFFF
        finally:
            memory.release(mark)

    def batch_program(self) -> Program:
        """The driver loop followed by the converted filter, as one Program."""
        if self._batch is None:
            driver = _driver()
            start = len(driver)
            insns = driver + [i.with_pc(start + i.pc) for i in self.program.insns]
            self._batch = Program.from_insns(
                insns, name=f"{self.program.name}:batch", names={0: "driver", start: "filter"}
            )
        return self._batch

    def run_many(self, packets: Sequence[bytes | tuple[bytes, int]]) -> list[int]:
        """Run the filter over every packet in one engine call; ``packets`` are bytes or
        ``(bytes, wirelen)``.  Returns the filter's results in order (pcap/kernel flavours)."""
        if self.flavour == "seccomp":
            raise CbpfError("run_many runs packet filters; evaluate seccomp filters one at a time")
        prepared = self.prepare(packets)
        return self.run_prepared(prepared)

    def prepare(
        self, packets: Sequence[bytes | tuple[bytes, int]]
    ) -> tuple[bytes, list[tuple[int, int, int]]]:
        """The capture as one buffer plus (offset, caplen, wirelen) per packet."""
        blob, spans = bytearray(), []
        for item in packets:
            data, wire = (item, len(item)) if isinstance(item, bytes | bytearray) else item
            spans.append((len(blob), len(data), wire))
            blob += data
        return bytes(blob), spans

    def run_prepared(self, prepared: tuple[bytes, list[tuple[int, int, int]]]) -> list[int]:
        """:meth:`run_many` on :meth:`prepare` output."""
        with self.stage(prepared) as staged:
            return staged.run()

    def stage(self, prepared: tuple[bytes, list[tuple[int, int, int]]]) -> StagedCapture:
        """Place a prepared capture in guest memory for repeated :meth:`StagedCapture.run`."""
        return StagedCapture(self, prepared)


class StagedCapture:
    """A capture placed in an :class:`EbpfFilter`'s guest memory: records, results, one
    context; :meth:`run` is one engine call over every packet.  Use it as a context manager
    (or :meth:`close` it) to free the guest memory."""

    def __init__(self, owner: EbpfFilter, prepared: tuple[bytes, list[tuple[int, int, int]]]) -> None:
        blob, spans = prepared
        self.vm, self.count = owner.vm, len(spans)
        memory = self.vm.memory
        self.program = owner.batch_program()
        self.vm.compile(self.program)
        self._mark: tuple[int, int, int] | None = memory.mark()
        data = memory.map("capture", blob or b"\0", writable=False)
        records = b"".join(_RECORD.pack(data.base + o, c, w) for o, c, w in spans) or b"\0"
        self._records = memory.map("records", records, writable=False, align=8).base
        self._results = memory.map("results", 4 * max(self.count, 1), writable=True, align=8).base
        ctx = memory.map("skb", CTX_SIZE, writable=True, align=8).base
        memory.write(ctx, pack_context(SkbLayout(ctx, 0), b"", wirelen=0, skb=interp.Skb())[:CTX_SIZE])
        self._ctx = ctx

    def run(self) -> list[int]:
        """Run the filter over every packet (one engine call); the results in order."""
        self.execute()
        return self.results()

    def execute(self) -> None:
        """Only the engine call over every packet (what a benchmark times)."""
        self.vm.run(self.program, self._records, self.count, self._results, self._ctx)

    def results(self) -> list[int]:
        """The filter's result per packet of the last :meth:`execute`."""
        out = self.vm.memory.read(self._results, 4 * self.count)
        return list(struct.unpack(f"<{self.count}I", out))

    def close(self) -> None:
        """Free the guest memory of the capture (idempotent)."""
        if self._mark is not None:
            self.vm.memory.release(self._mark)
            self._mark = None

    def __enter__(self) -> StagedCapture:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
