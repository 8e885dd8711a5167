"""``bpfvm xdp|tc|socket OBJ[:PROG] -r IN.pcap [-w OUT.pcap] [-v]``: a capture through a program.

Prints the verdict counts (``-v``: one line per packet), and writes the packets that go on —
rewritten by the program, trimmed by a socket filter — to ``OUT.pcap`` with their original
timestamps.  Captures are read and written by libpcap (pcap and pcapng); a progress bar shows on
a terminal for long captures.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BpfError
from .base import command

if TYPE_CHECKING:
    from ..kernel.replay import Outcome

__all__: list[str] = []

_TYPES = {"xdp": "xdp", "tc": "tc", "socket": "socket"}
_LINKTYPE_ETHERNET = 1


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("program", help="OBJ[:PROG]: an ELF object and the section or function to run")
    parser.add_argument("-r", "--read", required=True, type=Path, metavar="IN.pcap", help="capture to replay")
    parser.add_argument("-w", "--write", type=Path, metavar="OUT.pcap",
                        help="write the packets that go on (as the program left them)")
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per packet")
    parser.add_argument("-c", "--count", type=int, help="stop after this many packets")
    parser.add_argument("--engine", default="jit", help="execution engine (default jit)")


def _run(args: argparse.Namespace, kind: str) -> int:
    from ..cbpf.pcap import Packet, Reader
    from ..elf import load
    from ..kernel.replay import Summary, replay
    from ..vm import VM

    path, _, name = args.program.partition(":")
    program = load(Path(path), name=path)
    vm = VM(args.engine, stack_size=program.frame_size)
    summary = Summary()
    with Reader(args.read) as capture:
        if capture.linktype != _LINKTYPE_ETHERNET:
            raise BpfError(f"{args.read}: link type {capture.linktype} is not Ethernet (1): "
                           f"{kind} programs see Ethernet frames")
        packets = list(capture)[:args.count] if args.count else list(capture)
        dumper = capture.dumper(args.write) if args.write else None
        try:
            outcomes = replay(vm, program, name or None, (p.data for p in packets), prog_type=kind)
            for outcome in _progress(outcomes, len(packets)):
                summary.add(outcome)
                if args.verbose:
                    print(f"{outcome.index + 1} {outcome.verdict} {len(outcome.data)}")
                if dumper is not None and outcome.passed:
                    src = packets[outcome.index]
                    dumper.write(Packet(src.ts_sec, src.ts_usec, outcome.data,
                                        src.wirelen - len(src.data) + len(outcome.data)))
        finally:
            if dumper is not None:
                dumper.close()
    for verdict, count in sorted(summary.counts.items()):
        print(f"{verdict:<16}{count}")
    print(f"{summary.packets} packets, {summary.passed} passed")
    return 0


def _progress(outcomes: Iterable[Outcome], total: int) -> Iterable[Outcome]:
    """Wrap the outcomes in a rich progress bar on a terminal when the capture is long."""
    if total < 2000 or not sys.stderr.isatty():
        return outcomes
    from rich.progress import track

    return track(outcomes, total=total, description="replaying", transient=True)


@command("xdp", "run an XDP program over a capture: verdict counts, passing packets to a pcap", _arguments)
def _cmd_xdp(args: argparse.Namespace) -> int:
    return _run(args, "xdp")


@command("tc", "run a tc classifier over a capture: TC_ACT_* counts, passing packets to a pcap", _arguments)
def _cmd_tc(args: argparse.Namespace) -> int:
    return _run(args, "tc")


@command("socket", "run a socket filter over a capture: kept (trimmed) packets to a pcap", _arguments)
def _cmd_socket(args: argparse.Namespace) -> int:
    return _run(args, "socket")
