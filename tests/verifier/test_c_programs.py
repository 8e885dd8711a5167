"""Kernel-style C programs (``compile_c(..., kernel=True)``) through bpfvm's verifier and the kernel's.

Every program of every object in ``c/`` must get the kernel's verdict, its error line, and —
since bpfvm walks the same paths — the same number of processed instructions.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import bpfvm
from bpfvm.cc import compile_c
from bpfvm.kernel import syscall
from bpfvm.verifier import kernel_programs, verify_object

HERE = Path(__file__).parent / "c"
SYSTEM_INCLUDES = ["-I/usr/include", "-I/usr/include/x86_64-linux-gnu"]
SOURCES = sorted(HERE.glob("*.c"))
_OK, _WHY = syscall.available()


@pytest.fixture(scope="module")
def objects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bpfvm.Program]:
    out = tmp_path_factory.mktemp("verifier-c")
    return {
        src.stem: bpfvm.load(compile_c(src, output=out / f"{src.stem}.o", kernel=True, flags=SYSTEM_INCLUDES))
        for src in SOURCES
    }


EXPECTED = {  # program -> bpfvm's verdict (the kernel's, checked below where bpf() works)
    "count": "",
    "sock": "",
    "count_sources": "",
    "by_length": "",
    "limit_checked": "",
    "stack_buffer": "",
    "unchecked_ttl": "R1 offset is outside of the packet",
    "limit_lookup": "R0 invalid mem access 'map_value_or_null'",
    "checksum": "",
    "lookup": "",
    "oob": "R2 max value is outside of the allowed memory range",
    "write_rodata": "write into map forbidden, value_size=16 off=1 size=1",
    "overflow": "invalid variable-offset read from stack R7 var_off=(0x0; 0x3f) off=-32 size=1",
}


def test_verdicts(objects: dict[str, bpfvm.Program]) -> None:
    seen = {}
    for program in objects.values():
        for name, result in verify_object(program, log_level=1).items():
            seen[name] = "" if result.ok else result.error
    assert seen == EXPECTED


@pytest.mark.skipif(not _OK, reason=f"kernel oracle unavailable: {_WHY}")
def test_against_kernel(objects: dict[str, bpfvm.Program]) -> None:
    from tests.verifier.oracle import compare_kernel_program

    for program in objects.values():
        for prog in kernel_programs(program):
            outcome = compare_kernel_program(prog)
            assert outcome.agree, (prog.name, outcome.kernel_error, outcome.bpfvm.error)
            assert isinstance(outcome.kernel, syscall.LoadResult)
            found = re.search(r"processed (\d+) insns", outcome.kernel.log)
            assert found and int(found.group(1)) == outcome.bpfvm.stats.insn_processed, prog.name


def test_load_verify_refuses(objects: dict[str, bpfvm.Program], tmp_path: Path) -> None:
    from bpfvm.verifier import VerifierError

    obj = compile_c(HERE / "sockets.c", output=tmp_path / "s.o", kernel=True, flags=SYSTEM_INCLUDES)
    with pytest.raises(
        VerifierError, match="limit_lookup: verifier rejected the program: R0 invalid mem access"
    ):
        bpfvm.load(obj, verify=True)
    assert bpfvm.verify(objects["counters"], name="count").ok
