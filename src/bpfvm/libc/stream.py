"""An open C ``FILE`` stream over a host file (shared by :mod:`.stdio` and the VM's libc state)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

__all__ = ["Stream", "charge_output"]


def charge_output(vm: Any, size: int) -> int:
    """Count ``size`` bytes of guest output against ``vm.max_output``; how many may be written.

    Raises :class:`~bpfvm.errors.VmTrap` ``OUTPUT_LIMIT`` (pc filled in by the caller) when
    nothing more may be written; a write that crosses the limit is first cut to fit.
    """
    limit = getattr(vm, "max_output", None)
    if limit is None:
        return size
    room = max(0, limit - vm.output_written)
    if room == 0 and size:
        from ..errors import TrapKind, VmTrap

        raise VmTrap(TrapKind.OUTPUT_LIMIT, -1, f"output limit of {limit} bytes reached")
    vm.output_written += min(size, room)
    return min(size, room)


@dataclass
class Stream:
    """An open ``FILE``: the host file and C's per-stream flags."""

    file: BinaryIO
    readable: bool
    writable: bool
    owned: bool = True  #: fclose closes the host file (not for the standard streams)
    buffering: str = "full"  #: when to flush after a write: "full" (never), "line" or "none"
    eof: bool = False
    error: bool = False
    pushback: bytearray = field(default_factory=bytearray)
    #: The VM whose output limit this stream's writes count against (None: unlimited).
    owner: Any = None

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes (pushed-back bytes first); sets ``eof``/``error`` as C does."""
        data = bytes(self.pushback[:n])
        del self.pushback[:n]
        if len(data) < n:
            data += self._io(lambda: self.file.read(n - len(data)), self.readable) or b""
        if len(data) < n and not self.error:
            self.eof = True
        return data

    def readline(self, limit: int) -> bytes:
        """A line of at most ``limit`` bytes, with its newline if it fits."""
        newline = self.pushback.find(b"\n", 0, limit)
        if newline >= 0 or len(self.pushback) >= limit:
            end = newline + 1 if newline >= 0 else limit
            data = bytes(self.pushback[:end])
            del self.pushback[:end]
            return data
        data = bytes(self.pushback)
        self.pushback.clear()
        more = self._io(lambda: self.file.readline(limit - len(data)), self.readable) or b""
        if not more.endswith(b"\n") and len(data) + len(more) < limit and not self.error:
            self.eof = True
        return data + more

    def write(self, data: bytes) -> int:
        """Write ``data``; the number of bytes written (0 and ``error`` set on failure).

        Raises :class:`~bpfvm.errors.VmTrap` ``OUTPUT_LIMIT`` past the owner's ``max_output``
        (after writing what still fits)."""
        allowed = len(data)
        if self.owner is not None and self.writable:
            allowed = charge_output(self.owner, len(data))
        if self._io(lambda: self.file.write(data[:allowed]), self.writable) is None:
            return 0
        if allowed < len(data):
            self.flush()
            charge_output(self.owner, len(data) - allowed)  # raises: the limit is reached
        if self.buffering == "none" or (self.buffering == "line" and b"\n" in data):
            self.flush()
        return len(data)

    def flush(self) -> bool:
        """Flush the host file if the stream writes; False (and ``error`` set) on failure."""
        return not self.writable or self._io(lambda: self.file.flush() or True, True) is not None

    def _io(self, op: Callable[[], Any], allowed: bool) -> Any:
        """Run a host I/O operation; on failure set ``error`` and return None."""
        if not allowed:
            self.error = True
            return None
        try:
            return op()
        except (OSError, ValueError):  # io.UnsupportedOperation is both
            self.error = True
            return None
