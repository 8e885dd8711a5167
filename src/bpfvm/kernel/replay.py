"""Replay a capture through an XDP, tc or socket-filter program, packet by packet.

Each packet is one :func:`~bpfvm.kernel.test_run.test_run` (so each sees what
``BPF_PROG_TEST_RUN`` would show it), in the same VM: maps and globals carry over from packet
to packet, as they do for a program attached to a device.  A verdict names what the kernel
would do with the packet:

* XDP: the return value as ``XDP_ABORTED``/``XDP_DROP``/``XDP_PASS``/``XDP_TX``/``XDP_REDIRECT``;
  passing packets are PASS and TX ones (sent back out, usually rewritten), with the program's
  changes.
* tc: ``TC_ACT_*``; OK, UNSPEC (-1) and PIPE let the packet through.
* socket filters: the return value is how many bytes the socket receives (0: dropped); the
  kept packet is trimmed to it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..program import Program
from .test_run import ETH_HLEN, entry_of, test_run

if TYPE_CHECKING:
    from ..vm import VM

__all__ = ["TC_ACTIONS", "XDP_ACTIONS", "Outcome", "Summary", "replay", "verdict_name"]

#: ``enum xdp_action``.
XDP_ACTIONS = {0: "XDP_ABORTED", 1: "XDP_DROP", 2: "XDP_PASS", 3: "XDP_TX", 4: "XDP_REDIRECT"}
#: ``TC_ACT_*`` (include/uapi/linux/pkt_cls.h), as a 32-bit return value.
TC_ACTIONS = {0xFFFF_FFFF: "TC_ACT_UNSPEC", 0: "TC_ACT_OK", 1: "TC_ACT_RECLASSIFY", 2: "TC_ACT_SHOT",
              3: "TC_ACT_PIPE", 4: "TC_ACT_STOLEN", 5: "TC_ACT_QUEUED", 6: "TC_ACT_REPEAT",
              7: "TC_ACT_REDIRECT", 8: "TC_ACT_TRAP"}
_TC_PASS = frozenset({0, 3, 0xFFFF_FFFF})


@dataclass(frozen=True, slots=True)
class Outcome:
    """One packet's fate: the program's return value, its name, whether the packet goes on,
    and the packet as it goes on (rewritten, trimmed)."""

    index: int
    retval: int
    verdict: str
    passed: bool
    data: bytes


@dataclass
class Summary:
    """Verdict counts over a replay (``counts``: verdict name → packets)."""

    counts: Counter[str] = field(default_factory=Counter)
    packets: int = 0
    passed: int = 0

    def add(self, outcome: Outcome) -> None:
        self.counts[outcome.verdict] += 1
        self.packets += 1
        self.passed += outcome.passed


def verdict_name(kind: str, retval: int) -> tuple[str, bool]:
    """The name of return value ``retval`` for program type ``kind`` and whether it passes."""
    if kind == "XDP":
        return XDP_ACTIONS.get(retval, f"XDP_UNKNOWN({retval})"), retval in (2, 3)
    if kind in ("SCHED_CLS", "SCHED_ACT"):
        return TC_ACTIONS.get(retval, f"TC_ACT_UNKNOWN({retval})"), retval in _TC_PASS
    return ("KEEP" if retval else "DROP"), retval != 0


def replay(vm: VM, program: Program, name: str | None, packets: Iterable[bytes], *,
           prog_type: str | None = None) -> Iterator[Outcome]:
    """Run program ``name`` over ``packets`` (Ethernet frames) in ``vm``; yield each outcome.

    Raises :class:`~bpfvm.kernel.test_run.TestRunError` for a packet the kernel would refuse
    to test-run (shorter than an Ethernet header), and :class:`~bpfvm.errors.VmTrap`.
    """
    from .progtypes import program_type, section_type

    _, section = entry_of(program, name)
    match = section_type(section)
    kind = program_type(prog_type).name if prog_type else (match.type.name if match else "")
    for index, data in enumerate(packets):
        result = test_run(vm, program, name, data=data, prog_type=prog_type)
        verdict, passed = verdict_name(kind, result.retval)
        out = result.data_out
        if kind not in ("XDP", "SCHED_CLS", "SCHED_ACT"):  # a socket receives the first retval bytes
            out = data[:ETH_HLEN] + out[ETH_HLEN:ETH_HLEN + result.retval] if passed else b""
        yield Outcome(index, result.retval, verdict, passed, out)
