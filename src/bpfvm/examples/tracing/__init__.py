"""Tracing examples: seed 001's write-size histogram, and a kprobe/raw-tracepoint tracer with a
ring buffer — kernel tracing programs, unmodified, fed with real events by the host.

There is no kernel to attach to, so the events come from where a user can get them without
root: :func:`strace_writes` runs a command under ``strace -f -e trace=write`` (ptrace needs no
privilege for one's own children) and yields the byte count of each ``write``; the driver
fires the program once per event (:func:`bpfvm.kernel.events.fire`) and prints the map as bcc's
``print_log2_hist`` does.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from ...errors import BpfError

__all__ = ["HERE", "SYS_WRITE", "histogram", "parse_strace", "strace_writes", "write_sizes"]

HERE = Path(__file__).parent
#: x86-64's write(2) number (the tracepoint record's ``__syscall_nr``).
SYS_WRITE = 1
_WRITE = re.compile(r"^(?:\[pid\s+(\d+)\]\s+|(\d+)\s+)?write\((\d+),.*,\s*(\d+)\)\s+=\s+(-?\d+)")


def parse_strace(lines: Iterable[str]) -> Iterator[tuple[int, int, int]]:
    """(pid, fd, count) of each complete ``write`` call in strace output (``-f`` prefixes too)."""
    for line in lines:
        match = _WRITE.match(line.strip())
        if match:
            pid = int(match.group(1) or match.group(2) or 0)
            yield pid, int(match.group(3)), int(match.group(4))


def strace_writes(command: Sequence[str]) -> list[tuple[int, int, int]]:
    """Run ``command`` under strace and return its writes as (pid, fd, count).

    Raises :class:`~bpfvm.errors.BpfError` when strace is missing or cannot trace.
    """
    strace = shutil.which("strace")
    if strace is None:
        raise BpfError("strace is not installed (Debian package strace)")
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "trace"
        done = subprocess.run([strace, "-f", "-qq", "-e", "trace=write", "-e", "signal=none", "-s", "0",
                               "-o", str(log), *command], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              check=False)
        if not log.exists():
            raise BpfError(f"strace could not run {' '.join(command)}: {done.stderr.decode().strip()}")
        return list(parse_strace(log.read_text(errors="replace").splitlines()))


def write_sizes(counts: Iterable[int], *, engine: str = "interpreter") -> Any:
    """Compile ``write_sizes.c``, fire it once per write of ``counts`` bytes; return the BPF
    object (its ``write_sizes`` table holds the histogram)."""
    from ...kernel.bcc import BPF
    from ...kernel.events import syscall_enter

    bpf = BPF(src_file=HERE / "write_sizes.c", engine=engine)
    bpf.attach_tracepoint("syscalls:sys_enter_write", "count_write")
    pid = os.getpid()
    for count in counts:
        bpf.emit("syscalls:sys_enter_write", syscall_enter(SYS_WRITE, [1, 0, count], pid=pid))
    return bpf


def histogram(counts: Iterable[int], file: TextIO | None = None, *, engine: str = "interpreter") -> None:
    """Print the seed's table — ``byte_size : count distribution`` — for writes of ``counts``."""
    write_sizes(counts, engine=engine)["write_sizes"].print_log2_hist("byte_size", file=file)
