"""A short seeded slice of every fuzz harness (the campaign itself is ``make fuzz``).

Each harness must find nothing on its seeds here; the campaign driver must turn a host crash
(a signal) and a hang of its child process into findings, and go on with the next seed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fuzz.campaign import run_campaign
from fuzz.differential import check_module, outcomes
from fuzz.programs import generate

from bpfvm import Program
from fuzz import csmith, elf, targets


def test_generated_programs_are_valid_and_varied() -> None:
    """Modules decode (from_insns checked them) and use every shape the generator promises."""
    module = generate(7, entries=60)
    assert isinstance(module.program, Program) and len(module.entries) == 60
    kinds = {insn.spec.kind for insn in module.program.insns}
    ops = {insn.spec.op for insn in module.program.insns}
    assert {"alu", "end", "jcond", "ja", "gotol", "call", "callx", "exit", "ldx", "st", "stx", "atomic",
            "lddw", "may_goto", "ldabs", "ldind"} <= kinds
    assert {"call_local", "sdiv", "smod", "cmpxchg", "xchg", "movsx8"} <= ops
    again = generate(7, entries=60)
    assert again.program.insns == module.program.insns  # a seed is a reproducible test case


def test_generated_programs_mostly_run_to_exit() -> None:
    module = generate(11, entries=40)
    results = [o[0][0] for o in outcomes("interpreter", module)]
    assert results.count("r0") >= len(results) // 2
    assert "trap" in results  # and some misbehave on purpose


@pytest.mark.parametrize("seed", [1, 2])
def test_interpreter_and_jit_agree(seed: int) -> None:
    findings = check_module(generate(seed, entries=25, size=8), rounds=2)
    assert not findings, "\n".join(map(str, findings))


def test_decoder_slice() -> None:
    result = targets.decode_target(3, count=300)
    assert not result.findings, result.findings[0]
    assert result.stats.get("ran", 0) + result.stats.get("VmTrap", 0) > 0  # some mutants run
    assert result.stats.get("DecodeError", 0) > 0


def test_assembler_slice() -> None:
    result = targets.asm_target(3, count=300)
    assert not result.findings, result.findings[0]
    assert result.stats.get("assembled", 0) > 0 and result.stats.get("AsmError", 0) > 0


def test_elf_loader_slice() -> None:
    result = elf.check(5, count=40)
    assert not result.findings, result.findings[0]
    assert result.stats.get("loaded", 0) > 0 and result.stats.get("ElfError", 0) > 0


def test_elf_mutations_reach_every_structure() -> None:
    data = elf.objects()["relocs.c"]
    names = {f.what.split(".")[0].split("[")[0] for f in elf.fields(data)}
    assert {"ehdr", "shdr", "sym"} <= names and any(n.startswith("rel") for n in names)
    blobs = {name for name, _, _ in elf.blobs(data)}
    assert {".BTF", ".BTF.ext", ".debug_info", ".debug_line", ".text"} <= blobs


@pytest.mark.skipif(csmith.available() is not None, reason=str(csmith.available()))
def test_csmith_slice() -> None:
    result = csmith.check(2)
    assert not result.findings, result.findings[0]
    assert result.stats.get("interpreter-agrees", 0) + result.stats.get("native-timeout", 0) == 1


def test_campaign_catches_host_crashes_and_goes_on(tmp_path: Path) -> None:
    total = run_campaign("tests.fuzz.crashers:abort_target", 60, 0, tmp_path, max_seeds=3)
    assert total.stats["seeds"] == 3 and total.inputs == 2
    assert len(total.findings) == 1 and "killed by signal 6" in total.findings[0]
    lines = [json.loads(line) for line in (tmp_path / "tests.fuzz.crashers:abort_target.jsonl").open()]
    assert [line["findings"] for line in lines] == [0, 1, 0]


def test_campaign_catches_hangs(tmp_path: Path) -> None:
    total = run_campaign("tests.fuzz.crashers:hang_target", 60, 0, tmp_path, timeout=2, max_seeds=2)
    assert len(total.findings) == 1 and "hang" in total.findings[0] and total.inputs == 1


def test_hooks_for_the_verifier_and_classic_bpf() -> None:
    """The campaign picks up fuzz/verifier.py and fuzz/cbpf.py once they exist."""
    hooks = targets.optional_targets()
    for name in hooks:
        assert name in ("verifier", "cbpf") and callable(hooks[name])
