"""``bpfvm prog run OBJ[:PROG] data_in FILE …``: a test run, spelled and printed as bpftool's.

``bpftool prog run PROG data_in FILE [data_out FILE [data_size_out L]] [ctx_in FILE [ctx_out
FILE [ctx_size_out M]]] [repeat N]``, with the program named by its object and (when the
object has several) its section or function instead of a pinned path.  ``-`` reads stdin or,
for an output, writes bpftool's hex dump to stdout.  It prints ``Return value: N, duration: Nns``
(``duration (average)`` when repeat > 1); a run the kernel would refuse prints ``Error: failed to
run program: …`` and exits with -errno, as bpftool does.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..errors import BpfError
from .base import command

__all__ = ["hex_dump"]

_KEYWORDS = ("data_in", "data_out", "data_size_out", "ctx_in", "ctx_out", "ctx_size_out", "repeat")


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("run",), help="what to do with the program (bpftool's verbs)")
    parser.add_argument("program", help="OBJ[:PROG]: an ELF object and the section or function to run")
    parser.add_argument("words", nargs=argparse.REMAINDER,
                        help="data_in FILE [data_out FILE [data_size_out L]] [ctx_in FILE [ctx_out FILE "
                             "[ctx_size_out M]]] [repeat N], as bpftool prog run takes them")
    parser.add_argument("--engine", default="interpreter", help="execution engine (interpreter, jit)")
    parser.add_argument("--type", help="program type, when the section name does not say (xdp, tc, socket …)")


def _keywords(words: list[str], args: argparse.Namespace) -> dict[str, str]:
    for flag in ("--engine", "--type"):  # options among bpftool's words (REMAINDER keeps them)
        while flag in words[:-1]:
            at = words.index(flag)
            setattr(args, flag[2:], words[at + 1])
            del words[at:at + 2]
    if len(words) % 2:
        raise BpfError(f"'{words[-1]}' needs a value")
    options = dict(zip(words[::2], words[1::2]))
    unknown = [w for w in options if w not in _KEYWORDS]
    if unknown:
        raise BpfError(f"unknown keyword {unknown[0]!r}; expected one of {', '.join(_KEYWORDS)}")
    if "data_in" not in options and "ctx_in" not in options:
        raise BpfError("'run' needs data_in or ctx_in")
    return options


def _read(name: str | None) -> bytes | None:
    if name is None:
        return None
    return sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()


def _write(name: str | None, data: bytes) -> None:
    if name is None:
        return
    if name == "-":
        sys.stdout.write(hex_dump(data))
    else:
        Path(name).write_bytes(data)


def hex_dump(data: bytes) -> str:
    """bpftool's ``hex_print``: offset, 16 bytes as 2-byte groups, then the printable characters."""
    lines = []
    for i in range(0, len(data), 16):
        row = data[i:i + 16]
        hexes = "".join(f"{b:02x}{' ' if j % 2 else ''}" for j, b in enumerate(row, i))
        hexes += "".join(f"  {' ' if j % 2 else ''}" for j in range(i + len(row), i + 16))
        text = "".join((chr(b) if 32 <= b <= 126 else ".") + (" " if j == i + 7 else "")
                       for j, b in enumerate(row, i))
        lines.append(f"{i:07x}\t{hexes}| {text}\n")
    return "".join(lines)


@command("prog", "run a program as bpftool prog run does (BPF_PROG_TEST_RUN semantics)", _arguments)
def _cmd_prog(args: argparse.Namespace) -> int:
    from ..elf import load
    from ..kernel.test_run import TestRunError
    from ..vm import VM

    path, _, name = args.program.partition(":")
    options = _keywords(list(args.words), args)
    program = load(Path(path), name=path)
    vm = VM(args.engine, stack_size=program.frame_size)
    size_out = options.get("data_size_out")
    ctx_size = options.get("ctx_size_out")
    try:
        result = vm.test_run(program, name or None, data=_read(options.get("data_in")) or b"",
                             ctx=_read(options.get("ctx_in")), repeat=int(options.get("repeat", "1"), 0),
                             data_size_out=int(size_out, 0) if size_out else None,
                             ctx_size_out=int(ctx_size, 0) if ctx_size else None, prog_type=args.type)
    except TestRunError as exc:
        print(f"Error: failed to run program: {os.strerror(exc.errno)}", file=sys.stderr)
        return -exc.errno & 0xFF
    _write(options.get("data_out"), result.data_out)
    _write(options.get("ctx_out"), result.ctx_out)
    average = " (average)" if int(options.get("repeat", "1"), 0) > 1 else ""
    print(f"Return value: {result.retval}, duration{average}: {result.duration}ns")
    return 0
