"""The ``bpfvm`` command line's frame: the command registry, the parser, error reporting.

Each subcommand is one handler registered with :func:`command`, which also names a function that
adds the subcommand's arguments; :func:`main` builds the parser from that registry.  A
:class:`~bpfvm.errors.BpfError` or an unreadable/unwritable file prints ``bpfvm: <message>`` on
stderr and exits with status 1, without a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..errors import BpfError

__all__ = ["Command", "command", "fs_grants", "main"]

Handler = Callable[[argparse.Namespace], int]


@dataclass(frozen=True, slots=True)
class Command:
    """A subcommand: its name, one-line help, argument setup and handler."""

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Handler
    #: Whether the words after the first ``--`` go, unparsed, to ``args.rest`` (None when the
    #: command line has no ``--``), so that positional lists before it stay apart from them.
    rest: bool = False


_COMMANDS: dict[str, Command] = {}


def command(name: str, help: str, arguments: Callable[[argparse.ArgumentParser], None], *,
            rest: bool = False) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of subcommand ``name`` (``rest``: see
    :attr:`Command.rest`)."""
    def register(run: Handler) -> Handler:
        _COMMANDS[name] = Command(name, help, arguments, run, rest)
        return run
    return register


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bpfvm", description="A userspace BPF virtual machine.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for cmd in _COMMANDS.values():
        sub = subparsers.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        cmd.arguments(sub)
        sub.set_defaults(handler=cmd.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    rest: list[str] | None = None
    if words and words[0] in _COMMANDS and _COMMANDS[words[0]].rest and "--" in words:
        at = words.index("--")
        words, rest = words[:at], words[at + 1:]
    args = _build_parser().parse_args(words)
    args.rest = rest
    try:
        status: int = args.handler(args)
    except BpfError as exc:
        print(f"bpfvm: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"bpfvm: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return status


def fs_grants(specs: list[str]) -> dict[str, str]:
    """``--dir HOST[:GUEST]`` options as a VM's ``fs`` grants (guest path → host path)."""
    grants: dict[str, str] = {}
    for spec in specs:
        host, _, guest = spec.partition(":")
        grants[guest or host] = host
    return grants
