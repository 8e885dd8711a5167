"""bpfvm demo: BPF from assembly and from ordinary C, run in the sandbox.

1. A sieve of Eratosthenes written in BPF assembly over a guest buffer (r1 = buffer, r2 = its
   length): it counts the primes below ``len(buffer)`` and reports each one through helper 1,
   which Python provides.
2. examples/text/uppercase.c, an ordinary C program (stdio, ctype), compiled to BPF with the
   bundled clang and run with bpfvm's libc, its stdin and stdout redirected in memory.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

from rich.console import Console
from rich.syntax import Syntax

import bpfvm

SIEVE = """
    # r1 = sieve buffer (all zero), r2 = its length; r0 = number of primes below r2
    mov %r6, %r1            # r6: base
    mov %r7, %r2            # r7: n
    mov %r8, 2              # r8: i
    mov %r9, 0              # r9: count
next:
    jge %r8, %r7, done
    mov %r3, %r6
    add %r3, %r8
    ldxb %r4, [%r3]
    jne %r4, 0, skip        # composite
    add %r9, 1
    mov %r1, %r8
    call 1                  # report(i)
    mov %r5, %r8
    mul %r5, %r8            # j = i * i
mark:
    jge %r5, %r7, skip
    mov %r3, %r6
    add %r3, %r5
    stb [%r3], 1
    add %r5, %r8
    ja mark
skip:
    add %r8, 1
    ja next
done:
    mov %r0, %r9
    exit
"""


def main() -> None:
    console = Console()
    code = bpfvm.assemble(SIEVE)
    console.rule("[bold]bpfvm demo: sieve of Eratosthenes in BPF")
    console.print(Syntax(bpfvm.disassemble(code), "nasm", line_numbers=True, theme="ansi_dark"))

    primes: list[int] = []
    vm = bpfvm.VM(engine="interpreter")
    vm.helpers[1] = lambda i, *_: primes.append(i)
    buffer = bytearray(100_000)
    start = time.perf_counter()
    count = vm.run(code, mem=buffer)
    seconds = time.perf_counter() - start
    console.print(f"primes below {len(buffer):,}: [bold green]{count}[/] "
                  f"(last five: {primes[-5:]})")
    console.print(f"{vm.instructions:,} BPF instructions in {seconds:.3f} s "
                  f"= {vm.instructions / seconds / 1e6:.1f} M insn/s (pure-Python interpreter)")
    if count != len(primes) or count != 9592:
        raise SystemExit("demo: wrong answer")
    c_program(console)


def c_program(console: Console) -> None:
    """Compile a C text filter to BPF and run it with bpfvm's libc."""
    source = Path(__file__).parent / "text" / "uppercase.c"
    console.rule("[bold]bpfvm demo: a C program (examples/text/uppercase.c)")
    start = time.perf_counter()
    program = bpfvm.compile(source)
    console.print(f"compiled {source.name} to {len(program.insns)} BPF instructions with "
                  f"{len(program.externs)} libc calls in {time.perf_counter() - start:.2f} s")
    text = b"hello from a BPF program. Only the start is shouted.\n"
    out = io.BytesIO()
    vm = bpfvm.VM(stdin=io.BytesIO(text), stdout=out)
    status = vm.run_main(program, ["uppercase"])
    console.print(f"stdin : {text.decode()!r}")
    console.print(f"stdout: {out.getvalue().decode()!r}  (exit status {status}, "
                  f"{vm.instructions:,} instructions)")
    if out.getvalue() != _uppercase_reference(text):
        raise SystemExit("demo: the C filter misbehaved")


def _uppercase_reference(text: bytes) -> bytes:
    """What uppercase.c does, in Python: upper-case until the first uppercase letter."""
    first = next((i for i, c in enumerate(text) if 65 <= c <= 90), len(text))
    return text[:first].upper() + text[first:]


if __name__ == "__main__":
    main()
