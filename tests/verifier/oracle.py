"""The kernel as the verifier's oracle: load the same bytecode in the kernel and in bpfvm.

Map placeholders: an ``lddw`` whose immediate is ``MAP_MAGIC + n`` stands for map ``n`` of the
snippet (``r1 = 0x7e570000 ll``); :func:`bind_maps` creates the maps in the kernel (array maps
by default), patches the instruction into ``lddw src=1, imm=fd`` and returns the
:class:`~bpfvm.verifier.MapInfo` bpfvm needs for that fd.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from bpfvm.kernel import syscall
from bpfvm.verifier import KernelProgram, MapInfo, VerifyResult, verify

__all__ = ["MAP_MAGIC", "MapSpec", "Outcome", "bind_maps", "compare", "compare_kernel_program", "kernel_maps"]

MAP_MAGIC = 0x7E570000
#: ``BPF_F_RDONLY_PROG``: the map flag libbpf gives ``.rodata``.
RDONLY_PROG = 1 << 7


@dataclass(frozen=True)
class MapSpec:
    """A map a snippet uses: type, key and value size, entries."""

    map_type: int = 2
    key_size: int = 4
    value_size: int = 8
    max_entries: int = 4
    flags: int = 0


@dataclass(frozen=True)
class Outcome:
    """Kernel and bpfvm verdicts on one program."""

    kernel: syscall.LoadResult | syscall.KernelCrash
    bpfvm: VerifyResult

    @property
    def kernel_ok(self) -> bool:
        """True if the kernel accepted the program."""
        return isinstance(self.kernel, syscall.LoadResult) and self.kernel.ok

    @property
    def kernel_error(self) -> str:
        """The kernel's error line ('' when accepted)."""
        if isinstance(self.kernel, syscall.KernelCrash):
            return f"<kernel crash: {self.kernel.reason}>"
        return self.kernel.error

    @property
    def agree(self) -> bool:
        """Same verdict and, for rejections, the same error line."""
        return self.kernel_ok == self.bpfvm.ok and (self.kernel_ok or self.kernel_error == self.bpfvm.error)

    @property
    def unsafe_accept(self) -> bool:
        """bpfvm accepts what the kernel rejects (for a reason other than bpfvm's own limits)."""
        return self.bpfvm.ok and not self.kernel_ok


@contextmanager
def kernel_maps(specs: Sequence[MapSpec]) -> Iterator[list[int]]:
    """Create the maps in the kernel; close them afterwards."""
    fds: list[int] = []
    try:
        for spec in specs:
            fds.append(
                syscall.map_create(
                    spec.map_type, spec.key_size, spec.value_size, spec.max_entries, flags=spec.flags
                )
            )
        yield fds
    finally:
        for fd in fds:
            syscall.close(fd)


def bind_maps(code: bytes, specs: Sequence[MapSpec], fds: Sequence[int]) -> tuple[bytes, dict[int, MapInfo]]:
    """Patch map placeholders to ``lddw src=1`` of the given fds; return code and bpfvm's map table."""
    out = bytearray(code)
    for i in range(0, len(out) - 8, 8):
        if out[i] != 0x18:
            continue
        (lo,) = struct.unpack_from("<i", out, i + 4)
        (hi,) = struct.unpack_from("<i", out, i + 12)
        n = (lo & 0xFFFFFFFF) - MAP_MAGIC
        if hi == 0 and 0 <= n < len(specs):
            out[i + 1] = (out[i + 1] & 0x0F) | (1 << 4)
            struct.pack_into("<i", out, i + 4, fds[n])
    infos = {
        fd: MapInfo("", s.key_size, s.value_size, s.map_type, s.max_entries) for fd, s in zip(fds, specs)
    }
    return bytes(out), infos


def compare(code: bytes, prog_type: int, specs: Sequence[MapSpec] = (), *, log_level: int = 1) -> Outcome:
    """Load ``code`` in the kernel (from a child process) and in bpfvm."""
    with kernel_maps(specs) as fds:
        patched, infos = bind_maps(code, specs, fds)
        kernel = syscall.in_child(
            functools.partial(syscall.prog_load, patched, prog_type, log_level=log_level)
        )
        mine = verify(patched, prog_type, log_level=log_level, maps=infos)
    return Outcome(kernel, mine)


def compare_kernel_program(prog: KernelProgram, *, log_level: int = 1) -> Outcome:
    """Load one program of an ELF object in the kernel (with real maps for its stand-in fds) and
    verify it with bpfvm."""
    mine = verify(prog.code, prog.prog_type, log_level=log_level, maps=prog.maps)
    stand_ins = sorted(prog.maps)
    specs = [
        MapSpec(
            prog.maps[fd].map_type,
            prog.maps[fd].key_size,
            prog.maps[fd].value_size,
            prog.maps[fd].max_entries,
            RDONLY_PROG if prog.maps[fd].read_only else 0,
        )
        for fd in stand_ins
    ]
    with kernel_maps(specs) as fds:
        real = dict(zip(stand_ins, fds))
        code = bytearray(prog.code)
        for i in range(0, len(code) - 8, 8):
            if code[i] == 0x18 and code[i + 1] >> 4 in (1, 2):
                (fd,) = struct.unpack_from("<i", code, i + 4)
                struct.pack_into("<i", code, i + 4, real.get(fd, fd))
        kernel = syscall.in_child(
            functools.partial(syscall.prog_load, bytes(code), prog.prog_type, log_level=log_level)
        )
    return Outcome(kernel, mine)
