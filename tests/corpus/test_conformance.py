"""Run the shared ISA corpora through every engine.

* ../shared/conformance/bpf_conformance/tests: 313 tests, every one must pass.
* ../shared/conformance/bpf_conformance/negative: each must *fail* the way its file intends
  (rejected by the assembler/decoder, or the expected result/error is detected as wrong).
* ../shared/conformance/ubpf/tests: uBPF's own tests, with uBPF's test helpers 0–5
  (test_helpers.h) registered here, not in the product.  Files that depend on uBPF-only
  behaviour are listed in :data:`UBPF_ONLY` with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest

import bpfvm
from bpfvm.vm import ENGINES

from ..shared import SHARED as _SHARED_ROOT
from ..shared import require
from .datafile import DataTest, parse

#: The corpora live in ../shared beside the repository (not vendored); BPFVM_SHARED overrides.
SHARED = _SHARED_ROOT / "conformance"

BUDGET = 2_000_000

#: uBPF test files whose expectation rests on uBPF-only behaviour (they xfail strictly, so a
#: change of behaviour is noticed), with the reason.
UBPF_ONLY: dict[str, str] = {
    "reload.data": (
        "uBPF refuses to load a second program into one VM (-- reload expects that error); a bpfvm "
        "VM runs any number of programs"),
    "errors/err-too-many-instructions.data": (
        "uBPF caps programs at 65536 instructions; bpfvm has no cap (userspace C programs such as "
        "DOOM are far larger), so this valid 65540-instruction program runs"),
    "errors/err-unknown-opcode.data": (
        "expects opcode 0x06 to be unknown, but 0x06 is gotol (JMP32|JA, ISA v4); uBPF's test "
        "predates v4"),
}


def _files(sub: str, pattern: str = "*.data") -> list[Path]:
    root = SHARED / sub
    return sorted(root.glob(pattern)) if root.is_dir() else []


def _ubpf_files() -> list[Path]:
    root = SHARED / "ubpf" / "tests"
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*.data") if p.parent.name != "elf")


def _gather(a: int, b: int, c: int, d: int, e: int) -> int:
    return ((a & 0xFF) << 32) | ((b & 0xFF) << 24) | ((c & 0xFF) << 16) | ((d & 0xFF) << 8) | (e & 0xFF)


def _test_helpers(vm: bpfvm.VM) -> dict[int, Callable[..., int]]:
    """uBPF's test_helpers.h, written against the guest memory API."""

    def memfrob(a: int, b: int, c: int, d: int, e: int) -> int:
        data = vm.memory.read(a, b)
        vm.memory.write(a, bytes(x ^ 42 for x in data))
        return 0

    def strcmp_ext(a: int, b: int, c: int, d: int, e: int) -> int:
        x, y = vm.memory.cstring(a), vm.memory.cstring(b)
        return (x > y) - (x < y)

    def unwind(a: int, b: int, c: int, d: int, e: int) -> int:
        if a == 0:  # uBPF's unwind extension: a zero return ends the program
            raise bpfvm.ProgramExit(0)
        return a

    return {
        0: _gather,
        1: memfrob,
        2: lambda a, b, c, d, e: 0,
        3: lambda a, b, c, d, e: math.isqrt(a),
        4: strcmp_ext,
        5: unwind,
    }


def run_data(test: DataTest, engine: str) -> int:
    """Assemble/decode and run one test; return r0 (errors propagate as BpfError)."""
    code = bpfvm.assemble(test.asm) if test.asm is not None else test.raw
    assert code is not None
    vm = bpfvm.VM(engine, max_instructions=BUDGET)
    vm.helpers.update(_test_helpers(vm))
    mem = test.mem
    return vm.run(code, mem=bytearray(mem) if mem is not None else None)


#: Section names the corpora use; anything else makes a file malformed.
KNOWN_SECTIONS = {"asm", "raw", "mem", "result", "error", "error pattern", "c", "description", "no jit",
                  "no register offset", "reload", "unload"}


def negative_outcome(test: DataTest, engine: str) -> str:
    """How a negative file fails: 'malformed', 'rejected', 'mismatch' — or 'accepted' (wrong)."""
    if set(test.sections) - KNOWN_SECTIONS or (test.asm is None and test.raw is None):
        return "malformed"
    try:
        r0 = run_data(test, engine)
    except bpfvm.BpfError:
        return "rejected"
    if test.expects_error or r0 != test.result:
        return "mismatch"
    return "accepted"


def verdict(test: DataTest, engine: str) -> str:
    """'pass' if the run matches the file's expectation, else a description of the mismatch."""
    unknown = set(test.sections) - KNOWN_SECTIONS
    if unknown:
        return f"malformed test file: unknown sections {sorted(unknown)}"
    if test.asm is None and test.raw is None:
        return "malformed test file: no program (-- asm or -- raw)"
    if test.asm is not None and test.raw is not None:  # an assembler test: text must give the bytes
        try:
            code = bpfvm.assemble(test.asm)
        except bpfvm.AsmError as exc:
            return f"assembler rejected the -- asm of an assembler test: {exc}"
        if code != test.raw:
            return f"assembled {code.hex()} != raw {test.raw.hex()}"
        if test.result is None and not test.expects_error:
            return "pass"
    try:
        r0 = run_data(test, engine)
    except bpfvm.BpfError as exc:
        return "pass" if test.expects_error else f"unexpected error: {exc}"
    if test.expects_error:
        return f"expected an error, got r0={r0:#x}"
    if test.result is None:
        return "file has no -- result"
    return "pass" if r0 == test.result else f"r0={r0:#x}, expected {test.result:#x}"


def _ids(paths: list[Path], base: Path) -> list[str]:
    return [str(p.relative_to(base)) for p in paths]


CONFORMANCE = _files("bpf_conformance/tests")
NEGATIVE = _files("bpf_conformance/negative")
UBPF = _ubpf_files()


def test_corpora_present() -> None:
    """The corpora must be found: an empty parametrization would pass silently.  Without
    ../shared (a user's clone) this skips with the reason; under CI it fails."""
    require(SHARED / "bpf_conformance" / "tests")
    require(SHARED / "ubpf" / "tests")
    assert len(CONFORMANCE) == 313, f"expected 313 conformance tests under {SHARED}"
    assert len(NEGATIVE) == 60
    assert len(UBPF) >= 50


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("path", CONFORMANCE, ids=_ids(CONFORMANCE, SHARED))
def test_bpf_conformance(path: Path, engine: str) -> None:
    assert verdict(parse(path), engine) == "pass"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("path", NEGATIVE, ids=_ids(NEGATIVE, SHARED))
def test_bpf_conformance_negative(path: Path, engine: str) -> None:
    """Each negative file must fail: rejected, or its expectation found wrong."""
    assert negative_outcome(parse(path), engine) != "accepted"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("path", UBPF, ids=_ids(UBPF, SHARED))
def test_ubpf(path: Path, engine: str) -> None:
    reason = UBPF_ONLY.get(str(path.relative_to(SHARED / "ubpf" / "tests")))
    outcome = verdict(parse(path), engine)
    if reason is not None:
        if outcome == "pass":
            pytest.fail(f"uBPF-only expectation now holds; update UBPF_ONLY: {reason}")
        pytest.xfail(f"{reason} ({outcome})")
    assert outcome == "pass"
