"""The ``bpfvm`` command line: a thin argparse front over the library.

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
from pathlib import Path

from .errors import BpfError
from .program import Program

__all__ = ["Command", "command", "main"]

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


# ---------------------------------------------------------------- asm

def _asm_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", type=Path, help="assembly source (LLVM or uBPF syntax)")
    parser.add_argument("-o", "--output", type=Path, help="output file (default: INPUT with suffix .bin)")


@command("asm", "assemble text into raw bytecode", _asm_arguments)
def _cmd_asm(args: argparse.Namespace) -> int:
    from .asm import assemble

    code = assemble(args.input.read_text(), source=str(args.input))
    output: Path = args.output or args.input.with_suffix(".bin")
    output.write_bytes(code)
    return 0


# ---------------------------------------------------------------- disasm

def _disasm_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="ELF object (or, with --raw, raw bytecode)")
    parser.add_argument("-r", "--reloc", action="store_true", help="interleave relocations (objdump -r)")
    parser.add_argument("--raw", action="store_true", help="FILE is a raw instruction stream, not ELF")
    parser.add_argument("--mcpu", choices=("v1", "v2", "v3", "v4"), default="v1",
                        help="v3/v4 print 32-bit loads/stores/atomics with w registers, like "
                             "llvm-objdump --mcpu=v3 (default: v1, like plain llvm-objdump -d)")
    parser.add_argument("--lossless", action="store_true",
                        help="print bpfvm's lossless forms where llvm-objdump loses information")


@command("disasm", "disassemble like llvm-objdump-19 -d", _disasm_arguments)
def _cmd_disasm(args: argparse.Namespace) -> int:
    from .asm import disassemble_object, raw_listing

    alu32 = args.mcpu in ("v3", "v4")
    if args.raw:
        text = raw_listing(args.file.read_bytes(), alu32=alu32, exact=not args.lossless)
    else:
        text = disassemble_object(str(args.file), relocs=args.reloc, alu32=alu32, exact=not args.lossless)
    sys.stdout.write(text)
    return 0


# ---------------------------------------------------------------- run

EXIT_TRAP = 70  # EX_SOFTWARE: the guest program trapped


def _run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="ELF object, raw bytecode, or assembly source (.s/.asm)")
    parser.add_argument("args", nargs="*",
                        help="more ELF objects to link with FILE, then argv for main (ELF), else integers "
                             "for r1..r5; with --, the words before it are objects and those after it "
                             "arguments")
    parser.add_argument("--entry", help="function or section to run instead of main(argc, argv)")
    parser.add_argument("--dir", action="append", default=[], metavar="HOST[:GUEST]",
                        help="let the program open files under HOST, seen as GUEST (default: same path)")
    parser.add_argument("--mem", type=Path, help="memory buffer file (r1 = address, r2 = size)")
    parser.add_argument("--mem-out", type=Path, help="write the memory buffer here after the run")
    parser.add_argument("--max-instructions", type=int, help="instruction budget (trap when exceeded)")
    parser.add_argument("--timeout", type=float, metavar="S",
                        help="wall-clock limit of the run in seconds (trap when exceeded)")
    parser.add_argument("--stack-size", type=int,
                        help="stack bytes per call frame (default: what the object was compiled for "
                             "(bpfvm cc: 16384), or 512)")
    parser.add_argument("--call-depth", type=int, default=128,
                        help="call frames of --stack-size bytes (default 128; kernel: 8)")
    parser.add_argument("--engine", default="interpreter", help="execution engine")
    parser.add_argument("-v", "--verbose", action="store_true", help="report instructions and time")


def _load_code(path: Path) -> tuple[bytes, bool]:
    """The program bytes and whether they are an ELF object."""
    from .asm import assemble

    data = path.read_bytes()
    if data[:4] == b"\x7fELF":
        return data, True
    if path.suffix in (".s", ".asm"):
        return assemble(data.decode(), source=str(path)), False
    return data, False


def _load_elf(code: bytes, path: Path, more: Sequence[Path] = ()) -> Program:
    """Load an ELF object, linked with the objects ``more`` if any."""
    from .elf import load
    from .linker import link_programs

    first = load(code, name=path.name)
    if not more:
        return first
    return link_programs([first, *(load(p, name=p.name) for p in more)], name=path.stem)


def _split_objects(args: argparse.Namespace, is_elf: bool) -> tuple[list[Path], list[str]]:
    """The objects to link after ``args.file``, and the program's arguments: with ``--``, the
    words before it and after it; without, the leading words naming ELF ``.o`` files."""
    words = list(args.args)
    if args.rest is not None:
        return ([Path(w) for w in words], list(args.rest)) if is_elf else ([], words + list(args.rest))
    count = 0
    while is_elf and count < len(words) and _is_object(Path(words[count])):
        count += 1
    return [Path(w) for w in words[:count]], words[count:]


def _is_object(path: Path) -> bool:
    if path.suffix != ".o" or not path.is_file():
        return False
    with path.open("rb") as f:
        return f.read(4) == b"\x7fELF"


def _stack_size(args: argparse.Namespace, program: Program | None) -> int | None:
    """--stack-size, else the frame size the object was compiled for, else None (512)."""
    if args.stack_size:
        return int(args.stack_size)
    return program.frame_size if program is not None else None


def _fs_grants(specs: list[str]) -> dict[str, str]:
    grants: dict[str, str] = {}
    for spec in specs:
        host, _, guest = spec.partition(":")
        grants[guest or host] = host
    return grants


@command("run", "run a BPF program: main(argc, argv) of ELF objects (linked), or bytecode (prints r0)",
         _run_arguments, rest=True)
def _cmd_run(args: argparse.Namespace) -> int:
    import time

    from .errors import VmTrap
    from .vm import VM

    code, is_elf = _load_code(args.file)
    objects, args.args = _split_objects(args, is_elf)
    program = _load_elf(code, args.file, objects) if is_elf else None
    vm = VM(args.engine, max_instructions=args.max_instructions, timeout=args.timeout,
            stack_size=_stack_size(args, program),
            max_call_depth=args.call_depth, fs=_fs_grants(args.dir))
    mem = bytearray(args.mem.read_bytes()) if args.mem else None
    start = time.perf_counter()
    try:
        if program is not None:
            if args.entry:
                status = vm.run(program, *(int(a, 0) for a in args.args), mem=mem, entry=args.entry)
            else:
                status = vm.run_main(program, [str(args.file), *args.args])
            return status & 0xFF
        r0 = vm.run(code, *(int(a, 0) for a in args.args), mem=mem, entry=args.entry)
        print(f"{r0:#x}")
        return 0
    except VmTrap as trap:
        print(f"bpfvm: {trap}", file=sys.stderr)
        return EXIT_TRAP
    finally:
        vm.stdout.flush()
        if args.mem_out and mem is not None:
            args.mem_out.write_bytes(mem)
        if args.verbose:
            seconds = time.perf_counter() - start
            print(f"bpfvm: {vm.instructions:,} instructions in {seconds:.3f} s", file=sys.stderr)


# ---------------------------------------------------------------- cc

def _cc_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", type=Path, help="C source file")
    parser.add_argument("-o", "--output", type=Path, help="object file (default: SOURCE with suffix .o)")
    parser.add_argument("--kernel", action="store_true",
                        help="kernel-style program: no bpfvm libc headers, -mcpu=v3")
    parser.add_argument("flags", nargs=argparse.REMAINDER,
                        help="more clang flags, after SOURCE (e.g. -DN=3 -Wall)")


@command("cc", "compile C to a BPF ELF object with bpfvm's libc headers (clang from ziglang)",
         _cc_arguments)
def _cmd_cc(args: argparse.Namespace) -> int:
    from .toolchain import compile_c

    flags, output = list(args.flags), args.output
    if "-o" in flags[:-1]:  # "-o OUT" given after SOURCE lands among the clang flags
        at = flags.index("-o")
        output = Path(flags[at + 1])
        del flags[at:at + 2]
    compile_c(args.source, output=output, flags=flags, kernel=args.kernel)
    return 0


# ---------------------------------------------------------------- jit

def _jit_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="ELF object, raw bytecode, or assembly source (.s/.asm)")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--emit-llvm", action="store_true", help="print the optimised LLVM IR")
    what.add_argument("--emit-asm", action="store_true", help="print the native assembly")
    parser.add_argument("--function", help="BPF function to show (IR only; default: all)")
    parser.add_argument("--unoptimised", action="store_true", help="IR as lifted, before LLVM's passes")


@command("jit", "show what the JIT makes of a program: LLVM IR or native assembly", _jit_arguments)
def _cmd_jit(args: argparse.Namespace) -> int:
    from .jit import listing
    from .jit.lower import function_name
    from .vm import VM

    code, is_elf = _load_code(args.file)
    elf = _load_elf(code, args.file) if is_elf else None
    vm = VM("jit", lazy_binding=True, stack_size=elf.frame_size if elf else None)
    program = elf if elf is not None else vm.program(code)
    ir_text: str = vm.compile(program).ir  # type: ignore[attr-defined]  # the JIT's Compiled
    function = None
    if args.function:
        func = program.functions.get(args.function)
        if func is None:
            raise BpfError(f"no function {args.function!r}; have {', '.join(program.functions)}")
        function = function_name(func.start)
    if args.unoptimised:
        text = ir_text
    else:
        text = listing(ir_text, asm=args.emit_asm, function=function)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


from .debug import cli as _cli_debug  # noqa: E402, F401  (registers `bpfvm debug`)
from .examples import cli_image as _cli_image  # noqa: E402, F401  (registers `bpfvm image`)
from .examples.doom import cli as _cli_doom  # noqa: E402, F401  (registers `bpfvm doom`)
