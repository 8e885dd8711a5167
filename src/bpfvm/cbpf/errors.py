"""The errors of classic BPF: bad instructions and text, checker verdicts, libpcap failures."""

from __future__ import annotations

from ..errors import BpfError

__all__ = ["CbpfError", "CheckError", "FilterSyntaxError", "PcapError"]


class CbpfError(BpfError):
    """A classic BPF program or its text is malformed; ``pc`` is the instruction index, if any."""

    def __init__(self, message: str, pc: int | None = None) -> None:
        super().__init__(message if pc is None else f"{message} (insn #{pc})")
        self.reason = message
        self.pc = pc


class CheckError(CbpfError):
    """A checker rejected a program, as the kernel (``errno``: EINVAL) or libpcap would."""

    def __init__(self, checker: str, message: str, pc: int | None = None, errno: int = 22) -> None:
        super().__init__(f"{checker}: {message}", pc)
        self.checker = checker
        self.errno = errno


class FilterSyntaxError(CbpfError):
    """Text (tcpdump ``-d``/``-dd``/``-ddd`` output or ``bpf_asm`` source) that does not parse;
    ``line`` is 1-based."""

    def __init__(self, message: str, line: int, source: str = "<cbpf>") -> None:
        BpfError.__init__(self, f"{source}:{line}: {message}")
        self.reason = message
        self.pc = None
        self.line = line
        self.source = source


class PcapError(BpfError):
    """libpcap failed: ``pcap_compile`` rejected an expression, a capture did not open or read.

    The message is libpcap's own (``pcap_geterr``), prefixed with what was being done.
    """
