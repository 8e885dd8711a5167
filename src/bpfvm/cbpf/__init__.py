"""Classic BPF: tcpdump filters and seccomp, run as libpcap and the kernel run them.

* :mod:`~bpfvm.cbpf.opcodes` / :mod:`~bpfvm.cbpf.insn` — the opcode table, ``struct sock_filter``.
* :mod:`~bpfvm.cbpf.text` — tcpdump ``-d``/``-dd``/``-ddd`` and ``bpf_asm`` text, both ways.
* :mod:`~bpfvm.cbpf.pcap` — ``pcap_compile``, capture files and libpcap's interpreter (ctypes).
* :mod:`~bpfvm.cbpf.interp` — libpcap's and the kernel's semantics.
* :mod:`~bpfvm.cbpf.check` — ``bpf_check_classic``, ``seccomp_check_filter``, ``bpf_validate``.
* :mod:`~bpfvm.cbpf.convert` — the kernel's ``bpf_convert_filter`` to eBPF, for both engines.
* :mod:`~bpfvm.cbpf.seccomp` — seccomp filters over ``struct seccomp_data``, with precedence.
"""

from .errors import CbpfError, CheckError, FilterSyntaxError, PcapError
from .filter import EbpfFilter, Filter, compile
from .insn import SockFilter, decode, encode
from .interp import Skb, delivered

__all__ = [
    "CbpfError",
    "CheckError",
    "EbpfFilter",
    "Filter",
    "FilterSyntaxError",
    "PcapError",
    "Skb",
    "SockFilter",
    "compile",
    "decode",
    "delivered",
    "encode",
]
