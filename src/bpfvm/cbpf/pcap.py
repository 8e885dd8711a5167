"""libpcap through ctypes: ``pcap_compile`` for tcpdump expressions, captures in and out, oracles.

bpfvm does not reimplement the filter language: :func:`compile` hands the expression to the
system libpcap (``libpcap.so.0.8``, Debian's libpcap 1.10) with ``pcap_open_dead(linktype,
snaplen)``, exactly as ``tcpdump -d -y LINKTYPE`` does (optimised, netmask 0).  Captures are
read with ``pcap_open_offline`` / ``pcap_next_ex`` (pcap and pcapng) and written with
``pcap_dump``, so a written file is byte-identical to what ``tcpdump -r IN -w OUT`` writes.
:func:`offline_filter`, :func:`bpf_filter` and :func:`bpf_validate` call libpcap's own
interpreter and validator — the oracles the tests diff bpfvm against.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from .errors import PcapError
from .insn import SockFilter

__all__ = [
    "DEFAULT_SNAPLEN",
    "Dumper",
    "Packet",
    "Reader",
    "bpf_filter",
    "bpf_validate",
    "compile_insns",
    "linktype_name",
    "linktype_value",
    "offline_filter",
]

#: tcpdump's default snapshot length (``ret #262144`` in ``tcpdump -d`` output).
DEFAULT_SNAPLEN = 262144
_ERRBUF = 256
_LOCK = threading.Lock()  # pcap_compile is not reentrant in every libpcap


class _BpfInsn(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_ushort),
        ("jt", ctypes.c_ubyte),
        ("jf", ctypes.c_ubyte),
        ("k", ctypes.c_uint),
    ]


class _BpfProgram(ctypes.Structure):
    _fields_ = [("bf_len", ctypes.c_uint), ("bf_insns", ctypes.POINTER(_BpfInsn))]


class _Timeval(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long)]


class _PktHdr(ctypes.Structure):
    _fields_ = [("ts", _Timeval), ("caplen", ctypes.c_uint), ("len", ctypes.c_uint)]


@functools.cache
def _lib() -> ctypes.CDLL:
    """The system libpcap; raises :class:`PcapError` if it is not installed."""
    for name in ("libpcap.so.0.8", "libpcap.so.1", ctypes.util.find_library("pcap")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        _prototypes(lib)
        return lib
    raise PcapError("libpcap is not installed (Debian: apt-get install libpcap0.8; `make` installs it)")


def _prototypes(lib: ctypes.CDLL) -> None:
    p, c_char_p, c_int, c_uint = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_uint
    protos: dict[str, tuple[object, list[object]]] = {
        "pcap_open_dead": (p, [c_int, c_int]),
        "pcap_open_offline": (p, [c_char_p, c_char_p]),
        "pcap_compile": (c_int, [p, ctypes.POINTER(_BpfProgram), c_char_p, c_int, c_uint]),
        "pcap_freecode": (None, [ctypes.POINTER(_BpfProgram)]),
        "pcap_geterr": (c_char_p, [p]),
        "pcap_close": (None, [p]),
        "pcap_datalink": (c_int, [p]),
        "pcap_snapshot": (c_int, [p]),
        "pcap_next_ex": (
            c_int,
            [p, ctypes.POINTER(ctypes.POINTER(_PktHdr)), ctypes.POINTER(ctypes.c_void_p)],
        ),
        "pcap_dump_open": (p, [p, c_char_p]),
        "pcap_dump": (None, [p, ctypes.POINTER(_PktHdr), c_char_p]),
        "pcap_dump_close": (None, [p]),
        "pcap_offline_filter": (c_int, [ctypes.POINTER(_BpfProgram), ctypes.POINTER(_PktHdr), c_char_p]),
        "bpf_filter": (c_uint, [ctypes.POINTER(_BpfInsn), c_char_p, c_uint, c_uint]),
        "bpf_validate": (c_int, [ctypes.POINTER(_BpfInsn), c_int]),
        "pcap_datalink_name_to_val": (c_int, [c_char_p]),
        "pcap_datalink_val_to_name": (c_char_p, [c_int]),
    }
    for name, (restype, argtypes) in protos.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes


def linktype_value(linktype: int | str) -> int:
    """A link type as its DLT number: an int, a decimal string, or a name as tcpdump ``-y``
    takes it (``EN10MB``, ``RAW``, ``LINUX_SLL`` …); raises :class:`PcapError` for an unknown name."""
    if isinstance(linktype, int):
        return linktype
    if linktype.isdigit():
        return int(linktype)
    name = linktype.upper().removeprefix("DLT_").removeprefix("LINKTYPE_")
    value = int(_lib().pcap_datalink_name_to_val(name.encode()))
    if value < 0:
        raise PcapError(f"invalid data link type {linktype}")
    return value


def linktype_name(linktype: int) -> str:
    """libpcap's name of a DLT number (``EN10MB``), or the number as text."""
    name = _lib().pcap_datalink_val_to_name(linktype)
    return name.decode() if name else str(linktype)


def compile_insns(
    expr: str,
    linktype: int | str = 1,
    snaplen: int = DEFAULT_SNAPLEN,
    *,
    optimize: bool = True,
    netmask: int = 0,
) -> tuple[SockFilter, ...]:
    """Compile a tcpdump expression with ``pcap_compile`` for ``linktype``.

    Raises :class:`PcapError` carrying libpcap's message (``syntax error``, ``unknown host``,
    ``'ip6' modifier applied to ...``).
    """
    lib = _lib()
    dlt = linktype_value(linktype)
    with _LOCK:
        handle = lib.pcap_open_dead(dlt, snaplen)
        if not handle:
            raise PcapError(f"pcap_open_dead({dlt}, {snaplen}) failed")
        program = _BpfProgram()
        try:
            if lib.pcap_compile(handle, ctypes.byref(program), expr.encode(), int(optimize), netmask) < 0:
                raise PcapError(
                    f"can't compile filter expression {expr!r}: {lib.pcap_geterr(handle).decode()}"
                )
            insns = tuple(
                SockFilter(i.code, i.jt, i.jf, i.k, pc)
                for pc, i in enumerate(program.bf_insns[: program.bf_len])
            )
            lib.pcap_freecode(ctypes.byref(program))
        finally:
            lib.pcap_close(handle)
    return insns


def _c_program(insns: Sequence[SockFilter]) -> tuple[_BpfProgram, ctypes.Array[_BpfInsn]]:
    array = (_BpfInsn * max(len(insns), 1))(*(_BpfInsn(i.code, i.jt, i.jf, i.k) for i in insns))
    return _BpfProgram(len(insns), ctypes.cast(array, ctypes.POINTER(_BpfInsn))), array


def offline_filter(insns: Sequence[SockFilter], data: bytes, wirelen: int | None = None) -> int:
    """libpcap's ``pcap_offline_filter`` on one packet: its return value (0 = reject)."""
    program, keep = _c_program(insns)
    header = _PktHdr(_Timeval(0, 0), len(data), len(data) if wirelen is None else wirelen)
    result = int(_lib().pcap_offline_filter(ctypes.byref(program), ctypes.byref(header), data))
    del keep
    return result


def bpf_filter(insns: Sequence[SockFilter], data: bytes, wirelen: int | None = None) -> int:
    """libpcap's ``bpf_filter(insns, data, wirelen, buflen=len(data))`` (unsigned result)."""
    program, keep = _c_program(insns)
    result = int(
        _lib().bpf_filter(program.bf_insns, data, len(data) if wirelen is None else wirelen, len(data))
    )
    del keep
    return result


def bpf_validate(insns: Sequence[SockFilter]) -> bool:
    """libpcap's ``bpf_validate``: whether libpcap would install the program."""
    program, keep = _c_program(insns)
    ok = bool(_lib().bpf_validate(program.bf_insns, len(insns)))
    del keep
    return ok


@dataclass(frozen=True, slots=True)
class Packet:
    """One captured packet: timestamp, captured bytes and original (wire) length."""

    ts_sec: int
    ts_usec: int
    data: bytes
    wirelen: int


class Reader:
    """A capture file (pcap or pcapng) opened with ``pcap_open_offline``; iterate for packets.

    Raises :class:`PcapError` with libpcap's message for a missing or malformed file.
    """

    def __init__(self, path: str | Path) -> None:
        lib = _lib()
        errbuf = ctypes.create_string_buffer(_ERRBUF)
        self.path = str(path)
        self._handle = lib.pcap_open_offline(self.path.encode(), errbuf)
        if not self._handle:
            raise PcapError(f"{self.path}: {errbuf.value.decode(errors='replace')}")
        self.linktype = int(lib.pcap_datalink(self._handle))
        self.snaplen = int(lib.pcap_snapshot(self._handle))
        self._header = ctypes.POINTER(_PktHdr)()
        self._data = ctypes.c_void_p()

    def __iter__(self) -> Iterator[Packet]:
        lib = _lib()
        while True:
            status = lib.pcap_next_ex(self._handle, ctypes.byref(self._header), ctypes.byref(self._data))
            if status == -2:
                return
            if status != 1:
                raise PcapError(f"{self.path}: {lib.pcap_geterr(self._handle).decode(errors='replace')}")
            hdr = self._header.contents
            yield Packet(hdr.ts.tv_sec, hdr.ts.tv_usec, ctypes.string_at(self._data, hdr.caplen), hdr.len)

    def dumper(self, path: str | Path) -> Dumper:
        """A ``pcap_dump_open`` writer with this capture's link type and snapshot length."""
        return Dumper(self._handle, path)

    def close(self) -> None:
        """Close the capture (idempotent)."""
        if self._handle:
            _lib().pcap_close(self._handle)
            self._handle = None

    def __enter__(self) -> Reader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class Dumper:
    """A pcap file written by libpcap's ``pcap_dump`` (as ``tcpdump -w`` writes it)."""

    def __init__(self, handle: int, path: str | Path) -> None:
        lib = _lib()
        self.path = str(path)
        self._dumper = lib.pcap_dump_open(handle, self.path.encode())
        if not self._dumper:
            raise PcapError(f"{self.path}: {lib.pcap_geterr(handle).decode(errors='replace')}")

    def write(self, packet: Packet) -> None:
        """Append one packet."""
        header = _PktHdr(_Timeval(packet.ts_sec, packet.ts_usec), len(packet.data), packet.wirelen)
        _lib().pcap_dump(self._dumper, ctypes.byref(header), packet.data)

    def close(self) -> None:
        """Flush and close the file (idempotent)."""
        if self._dumper:
            _lib().pcap_dump_close(self._dumper)
            self._dumper = None
