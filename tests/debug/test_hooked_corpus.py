"""The debugger's hooked code keeps the interpreter's semantics: the ISA conformance corpus through it.

Every bpf_conformance test runs under a :class:`~bpfvm.Debugger` (``continue`` to the end) and
must give what the plain interpreter gives — the same r0 or the same kind of trap.  Short
programs are also single-stepped: one ``stepi`` stop per executed instruction, as many as the
plain run counts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import bpfvm

from ..corpus.datafile import parse
from ..corpus.test_conformance import BUDGET, CONFORMANCE, SHARED, _ids

STEP_LIMIT = 300


def plain(code: bytes, mem: bytes | None) -> tuple[str, int, int]:
    vm = bpfvm.VM(max_instructions=BUDGET)
    try:
        r0 = vm.run(code, mem=bytearray(mem) if mem is not None else None)
    except bpfvm.VmTrap as trap:
        return trap.kind.value, trap.pc, vm.instructions
    return "exited", r0, vm.instructions


@pytest.mark.parametrize("path", CONFORMANCE, ids=_ids(CONFORMANCE, SHARED))
def test_conformance_under_the_debugger(path: Path) -> None:
    test = parse(path)
    if test.expects_error or (test.asm is None and test.raw is None):
        pytest.skip("no program that runs")
    code = bpfvm.assemble(test.asm) if test.asm is not None else test.raw
    assert code is not None
    try:
        expected = plain(code, test.mem)
    except bpfvm.BpfError:
        pytest.skip("rejected before running")
    vm = bpfvm.VM(max_instructions=BUDGET)
    with bpfvm.Debugger(vm, vm.program(code), mem=test.mem, elf=b"") as dbg:
        stop = dbg.cont()
        got = ("exited", stop.exit_code) if stop.reason == "exited" else (
            stop.trap.kind.value if stop.trap else stop.reason, stop.trap.pc if stop.trap else -1)
        assert got == expected[:2]
        if expected[2] > STEP_LIMIT:
            return
        dbg.break_at("*0")
        stop, steps = dbg.run(), 0
        while stop.alive:
            stop, steps = dbg.stepi(), steps + 1
        assert steps == expected[2]
