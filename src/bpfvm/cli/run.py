"""``bpfvm run`` and ``bpfvm jit``: run a program (ELF objects, bytecode or assembly), or show
what the JIT makes of it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ..errors import BpfError
from ..program import Program
from .base import command, fs_grants

__all__ = ["EXIT_TRAP", "load_code", "load_elf", "split_objects"]


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
    parser.add_argument("--heap-size", type=_size, metavar="N[K|M|G]",
                        help="guest heap (malloc) in bytes, or with a K/M/G suffix (default 64M)")
    parser.add_argument("--lazy-binding", action="store_true",
                        help="start even with unbound extern functions: calling one traps")
    parser.add_argument("--engine", default="interpreter", help="execution engine")
    parser.add_argument("--btf", type=Path, metavar="PATH",
                        help="target BTF of CO-RE relocations (default: the object's own; kernel-style "
                             "objects: /sys/kernel/btf/vmlinux)")
    parser.add_argument("-v", "--verbose", action="store_true", help="report instructions and time")
    parser.add_argument("--verify", action="store_true",
                        help="refuse to run a program the kernel's verifier would reject (bpfvm verify)")
    parser.add_argument("--type", default="auto",
                        help="with --verify: program type of bytecode (default: syscall: r1 is a buffer)")


def load_code(path: Path) -> tuple[bytes, bool]:
    """The program bytes and whether they are an ELF object."""
    from ..asm import assemble

    data = path.read_bytes()
    if data[:4] == b"\x7fELF":
        return data, True
    if path.suffix in (".s", ".asm"):
        return assemble(data.decode(), source=str(path)), False
    return data, False


def _size(text: str) -> int:
    """``N``, ``NK``, ``NM`` or ``NG`` bytes (powers of 1024)."""
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:].upper(), 1)
    try:
        return int(text[:-1] if scale > 1 else text, 0) * scale
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r}") from None


def load_elf(code: bytes, path: Path, more: Sequence[Path] = (), target_btf: Path | None = None, *,
             lazy: bool = True) -> Program:
    """Load an ELF object, linked with the objects ``more`` if any; CO-RE relocations are
    applied against ``target_btf`` (default: see :func:`bpfvm.btf.core.relocate_object`).

    Unless ``lazy``, raises :class:`~bpfvm.errors.ProgramError` naming each extern function
    that neither an object nor bpfvm's libc defines, with the objects that call it.
    """
    from ..btf.core import relocate_object
    from ..elf import load
    from ..linker import link_programs
    from ..program import check_resolved

    objects = [relocate_object(load(code, name=path.name), code, target_btf),
               *(relocate_object(load(p, name=p.name), p, target_btf) for p in more)]
    program = objects[0] if len(objects) == 1 else link_programs(objects, name=path.stem)
    if not lazy:
        check_resolved(program)  # undefined data symbols first: no --lazy-binding helps them
        _check_bound(objects)
    return program


def _check_bound(objects: Sequence[Program]) -> None:
    from ..errors import ProgramError
    from ..libc import LIBC

    defined = {f.name for o in objects for f in o.functions.values()} | set(LIBC)
    needed: dict[str, list[str]] = {}
    for o in objects:
        for name in sorted(set(o.externs.values()) - defined):
            needed.setdefault(name, []).append(o.name)
    if needed:
        lines = "\n".join(f"  {name}: needed by {', '.join(users)}" for name, users in sorted(needed.items()))
        raise ProgramError(f"{len(needed)} extern function(s) are defined by no object and not in bpfvm's "
                           f"libc (link the objects that define them, or run with --lazy-binding):\n{lines}")


def split_objects(args: argparse.Namespace, is_elf: bool) -> tuple[list[Path], list[str]]:
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


def _verified(prog_type: str, code: bytes, program: Program | None, entry: str | None) -> bool:
    """Verify before running (``--verify``); print the log of a rejection and return False."""
    from ..verifier import verify, verify_object

    if program is not None:
        results = verify_object(program, name=entry, prog_type=None if prog_type == "auto" else prog_type,
                                log_level=1)
    else:
        results = {"": verify(code, "syscall" if prog_type == "auto" else prog_type, log_level=1)}
    if not results:
        print("bpfvm: --verify: the object has no kernel program sections (SEC(\"xdp\") …) to verify",
              file=sys.stderr)
        return False
    rejected = [r for r in results.values() if not r.ok]
    for result in rejected:
        sys.stderr.write(result.log)
    return not rejected


def _stack_size(args: argparse.Namespace, program: Program | None) -> int | None:
    """--stack-size, else the frame size the object was compiled for, else None (512)."""
    if args.stack_size:
        return int(args.stack_size)
    return program.frame_size if program is not None else None


@command("run", "run a BPF program: main(argc, argv) of ELF objects (linked), or bytecode (prints r0)",
         _run_arguments, rest=True)
def _cmd_run(args: argparse.Namespace) -> int:
    import time

    from ..errors import VmTrap
    from ..vm import VM

    code, is_elf = load_code(args.file)
    objects, args.args = split_objects(args, is_elf)
    program = load_elf(code, args.file, objects, args.btf, lazy=args.lazy_binding) if is_elf else None
    if args.verify and not _verified(args.type, code, program, args.entry):
        return 1
    # A bigger heap gets a bigger guest address space: the default's 192 MiB besides the heap.
    sizes = {"heap_size": args.heap_size, "memory_size": max(256 << 20, args.heap_size + (192 << 20))} \
        if args.heap_size else {}
    vm = VM(args.engine, max_instructions=args.max_instructions, timeout=args.timeout,
            lazy_binding=args.lazy_binding, **sizes,
            stack_size=_stack_size(args, program),
            max_call_depth=args.call_depth, fs=fs_grants(args.dir))
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
    from ..jit import listing
    from ..jit.lower import function_name
    from ..vm import VM

    code, is_elf = load_code(args.file)
    elf = load_elf(code, args.file) if is_elf else None
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
