"""`bpfvm jit --emit-llvm / --emit-asm`: what a program became."""

from __future__ import annotations

from pathlib import Path

import pytest

from bpfvm.cli import main

LOOP = "mov %r0, 0\nmov %r1, %r1\nl:\nadd %r0, %r1\nsub %r1, 1\njne %r1, 0, l\nexit\nf:\nmov %r0, 7\nexit\n"


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "loop.s"
    path.write_text(LOOP.replace("exit\nf:", "call local f\nexit\nf:", 0))
    return path


def test_emit_llvm(source: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["jit", "--emit-llvm", str(source)]) == 0
    out = capsys.readouterr().out
    assert "define" in out and "@f_0" in out
    assert main(["jit", "--emit-llvm", "--unoptimised", str(source)]) == 0
    assert "alloca" in capsys.readouterr().out  # registers before mem2reg


def test_emit_llvm_one_function(source: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["jit", "--emit-llvm", "--function", "entry", str(source)]) == 0
    out = capsys.readouterr().out
    assert "define" in out and out.count("define") == 1
    assert main(["jit", "--emit-llvm", "--function", "nope", str(source)]) == 1
    assert "no function 'nope'" in capsys.readouterr().err


def test_emit_asm(source: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["jit", "--emit-asm", str(source)]) == 0
    out = capsys.readouterr().out
    assert "f_0:" in out and "ret" in out
