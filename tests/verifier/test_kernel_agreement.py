"""bpfvm's verdict and first error message against the running kernel's, rule by rule.

Every snippet of :mod:`.snippets` is loaded in the kernel (from a child process) and verified
by bpfvm at log level 1: the verdicts must be equal, the error lines identical, and bpfvm must
never accept what the kernel rejects.  The conformance corpus and random programs follow.
"""

from __future__ import annotations

import random
import re

import pytest

import bpfvm
from bpfvm.kernel import syscall
from tests.shared import SHARED, require
from tests.verifier.oracle import MapSpec, compare
from tests.verifier.snippets import MAP_SNIPPETS, SNIPPETS

_OK, _WHY = syscall.available()
kernel = pytest.mark.skipif(not _OK, reason=f"kernel oracle unavailable: {_WHY}")


@kernel
@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippet(name: str) -> None:
    prog_type, source = SNIPPETS[name]
    outcome = compare(bpfvm.assemble(source), prog_type)
    assert not outcome.unsafe_accept, outcome.kernel_error
    assert outcome.agree, (outcome.kernel_error, outcome.bpfvm.error)


@kernel
@pytest.mark.parametrize("name", sorted(MAP_SNIPPETS))
def test_map_snippet(name: str) -> None:
    prog_type, maps, source = MAP_SNIPPETS[name]
    outcome = compare(bpfvm.assemble(source), prog_type, [MapSpec(*m) for m in maps])
    assert not outcome.unsafe_accept, outcome.kernel_error
    assert outcome.agree, (outcome.kernel_error, outcome.bpfvm.error)


def _processed(log: str) -> int:
    found = re.search(r"processed (\d+) insns", log)
    assert found, log
    return int(found.group(1))


@kernel
def test_conformance_corpus() -> None:
    """bpf_conformance as syscall and XDP programs: same verdicts, no unsafe accept."""
    from tests.corpus.datafile import parse
    from tests.corpus.test_kernel_oracle import kernel_job

    root = require(SHARED / "conformance" / "bpf_conformance" / "tests")
    total = agree = 0
    differ: list[str] = []
    for path in sorted(root.glob("*.data")):
        job = kernel_job(parse(path))
        if isinstance(job, str):
            continue
        for variant in job.variants:
            outcome = compare(variant.code, int(variant.prog_type))
            assert not outcome.unsafe_accept, (path.name, outcome.kernel_error)
            total += 1
            agree += outcome.agree
            if not outcome.agree:
                differ.append(f"{path.name}: {outcome.bpfvm.error}")
            if outcome.kernel_ok and outcome.bpfvm.ok:
                assert isinstance(outcome.kernel, syscall.LoadResult)
                assert outcome.bpfvm.stats.insn_processed == _processed(outcome.kernel.log), path.name
    assert not differ and total > 300 and agree == total


def test_conformance_negative_rejected() -> None:
    """Every negative bpf_conformance file that assembles is rejected by the verifier."""
    from bpfvm.verifier import verify
    from tests.corpus.datafile import parse

    root = require(SHARED / "conformance" / "bpf_conformance" / "negative")
    checked = 0
    for path in sorted(root.glob("*.data")):
        test = parse(path)
        try:
            code = bpfvm.assemble(test.asm) if test.asm is not None else test.raw
        except bpfvm.BpfError:
            continue
        if not code:
            continue
        checked += 1
        assert not verify(code, 31).ok, path.name
    assert checked >= 40


def _random_program(rng: random.Random) -> bytes:
    """Random (mostly invalid) instruction streams from the opcode table's shapes."""
    from bpfvm.isa.insn import Insn, encode
    from bpfvm.isa.opcodes import SPECS

    out = []
    for _ in range(rng.randrange(1, 12)):
        spec = rng.choice(SPECS)
        insn = Insn(
            spec.opcode,
            rng.randrange(11),
            rng.randrange(11),
            rng.choice([0, 1, -1, 2, -8, 8, 16]),
            rng.choice([0, 1, 8, 16, 32, 64, -1, 0x10]),
        )
        if spec.discr is not None:
            insn = insn._replace(**{spec.discr[0]: spec.discr[1]})
        out.append(insn)
    out.append(Insn(0x95))
    return encode(out)


@kernel
def test_random_programs_never_unsafe() -> None:
    """Random programs: bpfvm never accepts a program the kernel rejects; verdicts mostly agree."""
    rng = random.Random(15)
    total = agree = 0
    for _ in range(150):
        code = _random_program(rng)
        outcome = compare(code, 1)
        if outcome.bpfvm.unsupported:
            continue
        assert not outcome.unsafe_accept, (code.hex(), outcome.kernel_error)
        total += 1
        agree += outcome.kernel_ok == outcome.bpfvm.ok
    assert total > 100 and agree == total
