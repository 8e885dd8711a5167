"""``bpfvm verify``: the kernel verifier's verdict and log, without the kernel.

``bpfvm verify OBJ [--prog NAME] [--type TYPE] [--log-level 1|2] [--stats [--csv]]`` verifies
every program of an ELF object (or one raw bytecode / assembly file with ``--type``), writes
the log of each to stderr at the level asked (the failing path of a rejected program when no
level is given, as ``bpftool`` shows it), and exits 0 if every program was accepted, 1 if one
was rejected.  ``--stats`` prints veristat's columns as a table, ``--csv`` as veristat's CSV.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .base import command

_CSV_HEADER = (
    "file_name,prog_name,verdict,duration,total_insns,total_states,peak_states,max_states_per_insn,"
    "max_mark_read_len"
)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", type=Path, help="ELF object, or raw bytecode (.bin) / assembly (.s) with --type"
    )
    parser.add_argument("--prog", help="verify only this program (function or section name)")
    parser.add_argument(
        "--type", help="program type (socket_filter, xdp, raw_tracepoint, syscall … or a number)"
    )
    parser.add_argument("--log-level", type=int, choices=(1, 2), help="write the verifier log at this level")
    parser.add_argument("--stats", action="store_true", help="print veristat's columns per program")
    parser.add_argument("--csv", action="store_true", help="with --stats: veristat's CSV instead of a table")
    parser.add_argument(
        "--unprivileged",
        action="store_true",
        help="verify as an unprivileged load (back-edges rejected, no uninitialised stack reads)",
    )


def _results(args: argparse.Namespace) -> dict[str, object]:
    from ..verifier import verify, verify_object

    level = args.log_level or 1
    data = args.file.read_bytes()
    privileged = not args.unprivileged
    if data[:4] == b"\x7fELF":
        import bpfvm

        program = bpfvm.load(str(args.file))
        return dict(
            verify_object(
                program, name=args.prog, prog_type=args.type, log_level=level | 4, privileged=privileged
            )
        )
    if args.type is None:
        raise SystemExit("bpfvm: verify: raw bytecode needs --type")
    if args.file.suffix in (".s", ".asm"):
        from ..asm import assemble

        data = assemble(data.decode(), source=str(args.file))
    return {args.file.stem: verify(data, args.type, log_level=level | 4, privileged=privileged)}


@command("verify", "verify programs as the kernel's verifier does", _arguments)
def _cmd_verify(args: argparse.Namespace) -> int:
    from ..verifier import VerifyResult

    results = _results(args)
    status = 0
    rows: list[tuple[object, ...]] = []
    for name, result in results.items():
        assert isinstance(result, VerifyResult)
        if args.log_level or not result.ok:
            sys.stderr.write(_strip_stats(result.log) if not args.log_level else result.log)
        if not result.ok:
            status = 1
        rows.append(
            (
                args.file.name,
                name,
                "success" if result.ok else "failure",
                result.duration_us,
                result.stats.insn_processed,
                result.stats.total_states,
                result.stats.peak_states,
                result.stats.max_states_per_insn,
            )
        )
    if args.stats:
        sys.stdout.write(_csv(rows) if args.csv else _table(rows))
    return status


def _strip_stats(log: str) -> str:
    return "".join(
        line
        for line in log.splitlines(keepends=True)
        if not line.startswith(("verification time", "stack depth"))
    )


def _csv(rows: Sequence[tuple[object, ...]]) -> str:
    lines = [_CSV_HEADER] + [",".join(str(v) for v in row) + ",0" for row in rows]
    return "\n".join(lines) + "\n"


def _table(rows: Sequence[tuple[object, ...]]) -> str:
    head = ("File", "Program", "Verdict", "Duration (us)", "Insns", "States", "Peak states")
    body = [tuple(str(v) for v in row[:7]) for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(head)]
    numeric = {3, 4, 5, 6}

    def fmt(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))
        )

    out = [fmt(head), "  ".join("-" * w for w in widths)] + [fmt(r) for r in body]
    return "\n".join(line.rstrip() for line in out) + "\n"
