"""``bpfvm filter`` and ``bpfvm seccomp``: tcpdump-style capture filtering and seccomp verdicts.

``bpfvm filter EXPR -r IN [-w OUT] [-c N]`` counts (and writes) the packets of a capture that
match, as ``tcpdump -r IN -w OUT EXPR`` does (the expression compiled by libpcap for the
capture's link type and snapshot length; the written file is libpcap's ``pcap_dump`` output);
``bpfvm filter -d|-dd|-ddd EXPR [-y LINKTYPE]`` prints what ``tcpdump -d|-dd|-ddd`` prints;
``--asm`` prints ``bpf_asm`` source and ``--ebpf`` the converted eBPF in bpfvm's disassembly.
``bpfvm seccomp FILTER.bpf… --syscall NR`` prints the action the filters (oldest first) take.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .base import command


def _filter_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("expression", nargs="*", help="tcpdump filter expression (words are joined)")
    parser.add_argument("-r", dest="read", type=Path, help="capture to filter (pcap or pcapng)")
    parser.add_argument("-w", dest="write", type=Path, help="write the matching packets here (pcap)")
    parser.add_argument("-c", dest="count", type=int, help="stop after this many matching packets")
    parser.add_argument(
        "-y",
        dest="linktype",
        default=None,
        help="link type for -d/-dd/-ddd without -r (DLT name or number; default EN10MB)",
    )
    parser.add_argument("-s", dest="snaplen", type=int, default=None, help="snapshot length (default 262144)")
    parser.add_argument("-O", dest="no_optimize", action="store_true", help="do not run libpcap's optimiser")
    group = parser.add_mutually_exclusive_group()
    for flag, form in (("-d", "d"), ("-dd", "dd"), ("-ddd", "ddd")):
        group.add_argument(
            flag,
            dest="form",
            action="store_const",
            const=form,
            help=f"print the compiled filter as tcpdump {flag} does",
        )
    group.add_argument("--asm", dest="form", action="store_const", const="asm", help="print bpf_asm source")
    group.add_argument(
        "--ebpf",
        dest="form",
        action="store_const",
        const="ebpf",
        help="print the eBPF the converter makes (bpfvm disasm syntax)",
    )
    parser.add_argument(
        "--ebpf-out",
        type=Path,
        metavar="FILE",
        help="write the converted eBPF bytecode to FILE (see it with bpfvm disasm --raw FILE)",
    )
    parser.add_argument(
        "--flavour",
        choices=("pcap", "kernel"),
        default="pcap",
        help="semantics for --ebpf (default pcap: what libpcap computes)",
    )
    parser.add_argument(
        "--engine",
        choices=("jit", "interpreter", "classic"),
        default="jit",
        help="run the converted filter on this engine, or the classic interpreter",
    )


@command(
    "filter", "filter a capture with a tcpdump expression, or print its BPF (-d/-dd/-ddd)", _filter_arguments
)
def _cmd_filter(args: argparse.Namespace) -> int:
    from ..cbpf import compile
    from ..cbpf.pcap import DEFAULT_SNAPLEN, Reader

    expr = " ".join(args.expression)
    reader = Reader(args.read) if args.read else None
    try:
        linktype = args.linktype if args.linktype is not None else (reader.linktype if reader else "EN10MB")
        snaplen = args.snaplen or (reader.snaplen if reader else DEFAULT_SNAPLEN)
        filt = compile(expr, linktype, snaplen, optimize=not args.no_optimize)
        if args.ebpf_out:
            from ..isa import encode

            args.ebpf_out.write_bytes(encode(filt.to_ebpf(args.flavour).insns))
            if not args.form and reader is None:
                return 0
        if args.form:
            _print_form(filt, args.form, args.flavour)
            return 0
        if reader is None:
            print(
                "bpfvm: filter needs -r CAPTURE (or -d/-dd/-ddd/--asm/--ebpf to print the filter)",
                file=sys.stderr,
            )
            return 2
        return _filter_capture(filt, reader, args)
    finally:
        if reader is not None:
            reader.close()


def _print_form(filt: object, form: str, flavour: str) -> None:
    from ..asm import raw_listing
    from ..cbpf import Filter
    from ..isa import encode

    assert isinstance(filt, Filter)
    if form == "ebpf":
        sys.stdout.write(raw_listing(encode(filt.to_ebpf(flavour).insns)))
    else:
        sys.stdout.write(filt.format(form))


def _filter_capture(filt: object, reader: object, args: argparse.Namespace) -> int:
    from ..cbpf import Filter
    from ..cbpf.pcap import Reader

    assert isinstance(filt, Filter) and isinstance(reader, Reader)
    packets = list(reader)
    if args.engine == "classic":
        results = [filt.run(p.data, p.wirelen) for p in packets]
    else:
        results = filt.engine(args.engine).run_many([(p.data, p.wirelen) for p in packets])
    matched = [p for p, r in zip(packets, results, strict=True) if r]
    if args.count is not None:
        matched = matched[: args.count]
    if args.write:
        dumper = reader.dumper(args.write)
        try:
            for packet in matched:
                dumper.write(packet)
        finally:
            dumper.close()
    print(f"{len(matched)} packets matched ({len(packets)} read)")
    return 0


def _seccomp_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "filters",
        nargs="+",
        type=Path,
        help="seccomp filters (raw struct sock_filter arrays, seccomp_export_bpf), oldest first",
    )
    parser.add_argument("--syscall", required=True, help="syscall number (or name, through libseccomp)")
    parser.add_argument("--arch", default="x86_64", help="architecture (default x86_64)")
    parser.add_argument("--args", nargs="*", default=[], help="up to 6 syscall arguments (0x.. or decimal)")
    parser.add_argument("--ip", default="0", help="instruction pointer (default 0)")
    parser.add_argument(
        "--engine",
        choices=("jit", "interpreter", "classic"),
        default="classic",
        help="run the converted filters on a bpfvm engine (default: the classic interpreter)",
    )


@command("seccomp", "print the action seccomp filters take for a syscall", _seccomp_arguments)
def _cmd_seccomp(args: argparse.Namespace) -> int:
    from ..cbpf import CbpfError
    from ..cbpf.seccomp import ARCHES, SeccompData, evaluate, syscall_number

    if args.arch not in ARCHES:
        raise CbpfError(f"unknown architecture {args.arch!r}; have {', '.join(ARCHES)}")
    values = [int(a, 0) for a in args.args]
    data = SeccompData(
        syscall_number(args.syscall, args.arch),
        ARCHES[args.arch],
        int(args.ip, 0),
        tuple(values) + (0,) * (6 - len(values)) if len(values) <= 6 else tuple(values),
    )
    filters = [path.read_bytes() for path in args.filters]
    action = evaluate(filters, data, engine=None if args.engine == "classic" else args.engine)
    print(action)
    return 0
