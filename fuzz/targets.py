"""The fuzz targets: each checks one seed's worth of inputs and reports what it found.

A target is a function ``seed -> Result``.  It may raise nothing: every exception that is not a
:class:`bpfvm.BpfError` is turned into a finding by the target itself; a host crash (a signal)
or a hang is caught one level up, by :mod:`fuzz.campaign`, which runs targets in a child process.

Hooks for stages that are being built on other branches — the verifier and classic BPF — are
registered only when their modules import (:func:`optional_targets`), so the campaign picks
them up as soon as they are merged.
"""

from __future__ import annotations

import random
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from bpfvm import BpfError

__all__ = ["TARGETS", "Result", "optional_targets", "unexpected"]


@dataclass
class Result:
    """What one seed of a target did: inputs tried, runs made, and findings (text)."""

    inputs: int = 0
    runs: int = 0
    findings: list[str] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)

    def count(self, key: str) -> None:
        """Add one to statistic ``key``."""
        self.stats[key] = self.stats.get(key, 0) + 1


def unexpected(where: str, exc: BaseException) -> str:
    """The finding text for an exception that is not a BpfError."""
    return f"{where}: {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-4)}"


# -- decoder --------------------------------------------------------------------------------
def _mutate_code(rng: random.Random, code: bytearray) -> bytearray:
    """One to four mutations; most keep the opcode and change an operand (off, imm, registers)."""
    from bpfvm.isa import SPECS

    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(8)
        slot = rng.randrange(len(code) // 8 or 1) * 8
        if not code:
            code += bytes(rng.getrandbits(8) for _ in range(8))
        elif choice < 4:  # an operand byte: off or imm
            code[slot + rng.randrange(2, 8)] = rng.getrandbits(8)
        elif choice == 4:  # registers
            code[slot + 1] = rng.getrandbits(8) if rng.random() < 0.3 else rng.randrange(10) * 17 & 0xFF
        elif choice == 5:
            code[slot] = rng.choice(SPECS).opcode
        elif choice == 6:
            at = rng.randrange(len(code) + 1)
            code[at:at] = bytes(rng.getrandbits(8) for _ in range(rng.choice((1, 8, 8, 16))))
        else:
            del code[slot:slot + rng.choice((1, 8, 8))]
    return code


def decode_target(seed: int, count: int = 400) -> Result:
    """Random and mutated instruction streams through decode, Program, disassemble, run."""
    from bpfvm import VM, Program, disassemble
    from bpfvm.isa import encode

    from .programs import generate

    rng = random.Random(seed)
    base = encode(generate(seed, entries=1, callees=1, size=6).program.insns)
    result = Result()
    vm = VM(max_instructions=2_000, memory_size=4 << 20, heap_size=1 << 16, stack_size=512, max_call_depth=8)
    vm.helpers.update({1: lambda *a: a[0], 2: lambda *_: None})
    for _ in range(count):
        if rng.random() < 0.3:
            code = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 200)))
        else:
            code = bytes(_mutate_code(rng, bytearray(base)))
        result.inputs += 1
        try:
            prog = Program.from_bytes(code)
            disassemble(code)
            vm.run(prog, mem=bytearray(64))
            result.count("ran")
        except BpfError as err:
            result.count(type(err).__name__)
        except Exception as exc:
            result.findings.append(unexpected(f"decode seed {seed} code {code.hex()}", exc))
        result.runs += 1
    vm.memory.close()
    return result


# -- assembler ------------------------------------------------------------------------------
_TOKENS = ["mov", "add", "%r0", "%r1", "r2", "w3", "r10", ",", "[", "]", "+", "-", "0x", "1", "99999999999",
           "lddw", "exit", "ja", "call", "jeq", "label:", "label", "\n", " ", "*(u64 *)(r1 + 8) = r2",
           "r0 = 1 ll", "if r1 > r2 goto +1", "goto -1", "callx r1", "#", ";", "0x7fffffff", "be16", "le64",
           "ldxdw", "stxw", "lock", "atomic_fetch_add", "may_goto", "gotol", "(", ")", "=", "s>", "u32"]


def asm_target(seed: int, count: int = 300) -> Result:
    """Random token soup and mutated disassembly through the assembler (and round trip)."""
    from bpfvm import assemble, disassemble
    from bpfvm.isa import encode

    from .programs import generate

    rng = random.Random(seed)
    text = disassemble(encode(generate(seed, entries=3, callees=2, size=6).program.insns))
    lines = [line.split(":", 1)[-1] if rng.random() < 0.5 else line for line in text.splitlines()]
    result = Result()
    for _ in range(count):
        if rng.random() < 0.4:
            source = " ".join(rng.choice(_TOKENS) for _ in range(rng.randrange(1, 30)))
        else:
            mutated = list(lines)
            for _ in range(rng.randint(1, 3)):
                i = rng.randrange(len(mutated))
                line = mutated[i]
                at = rng.randrange(len(line) + 1)
                mutated[i] = line[:at] + rng.choice(_TOKENS + [chr(rng.randrange(32, 0x250))]) + line[at + 1:]
            source = "\n".join(mutated)
        result.inputs += 1
        try:
            code = assemble(source)
            if code:
                again = assemble(disassemble(code))
                if again != code:
                    result.findings.append(f"asm seed {seed}: round trip differs for {source!r}")
            result.count("assembled")
        except BpfError as err:
            result.count(type(err).__name__)
        except Exception as exc:
            result.findings.append(unexpected(f"asm seed {seed} source {source!r}", exc))
        result.runs += 1
    return result


# -- interpreter vs JIT ---------------------------------------------------------------------
def engines_target(seed: int, entries: int = 300, rounds: int = 3) -> Result:
    """One generated module of ``entries`` programs, each run ``rounds`` times on both engines."""
    from .differential import check_module
    from .programs import generate

    result = Result()
    try:
        module = generate(seed, entries=entries, size=8)
        findings = check_module(module, rounds)
    except Exception as exc:
        result.findings.append(unexpected(f"engines seed {seed}", exc))
        return result
    result.inputs = len(module.entries)
    result.runs = len(module.entries) * rounds
    result.findings += [str(f) for f in findings]
    return result


def elf_target(seed: int, count: int = 100) -> Result:
    """Mutated real objects through the ELF loader (see :mod:`fuzz.elf`)."""
    from .elf import check

    return check(seed, count)


def csmith_target(seed: int) -> Result:
    """One csmith program: interpreter ≡ JIT ≡ gcc (see :mod:`fuzz.csmith`)."""
    from .csmith import check

    return check(seed)


TARGETS: dict[str, Callable[[int], Result]] = {
    "decode": decode_target,
    "asm": asm_target,
    "engines": engines_target,
    "elf": elf_target,
    "csmith": csmith_target,
}


def optional_targets() -> dict[str, Callable[[int], Result]]:
    """Targets of stages built on other branches, present once their code is merged.

    ``verifier``: ``fuzz.verifier.check(seed)`` — a program the verifier accepts never traps
    out of bounds on random inputs, and it accepts nothing the kernel rejects for safety.
    ``cbpf``: ``fuzz.cbpf.check(seed)`` — bpfvm ≡ libpcap on random filters and packets.
    """
    found: dict[str, Callable[[int], Result]] = {}
    for name in ("verifier", "cbpf"):
        try:
            module = __import__(f"fuzz.{name}", fromlist=["check"])
        except ImportError:
            continue
        found[name] = module.check
    return found
