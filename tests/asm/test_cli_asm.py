"""``bpfvm asm`` / ``bpfvm disasm``: outputs, defaults, and errors as one ``bpfvm: ...`` line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bpfvm.asm import assemble, disassemble_object
from bpfvm.asm.disasm import raw_listing
from bpfvm.cli import main

SOURCE = "mov %r0, 1\nr1 = 0x1122334455667788 ll\nif r1 > 0x5 goto +0x1\nlock add32 [%r10-4], %r1\nexit\n"


def test_asm_writes_output_file(tmp_path: Path) -> None:
    src = tmp_path / "prog.s"
    src.write_text(SOURCE)
    assert main(["asm", str(src), "-o", str(tmp_path / "out.bin")]) == 0
    assert (tmp_path / "out.bin").read_bytes() == assemble(SOURCE)


def test_asm_default_output_replaces_suffix(tmp_path: Path) -> None:
    src = tmp_path / "prog.s"
    src.write_text(SOURCE)
    assert main(["asm", str(src)]) == 0
    assert (tmp_path / "prog.bin").read_bytes() == assemble(SOURCE)


def test_disasm_raw_lists_like_objdump(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = assemble(SOURCE)
    (tmp_path / "prog.bin").write_bytes(code)
    assert main(["disasm", "--raw", str(tmp_path / "prog.bin")]) == 0
    out = capsys.readouterr().out
    assert out == raw_listing(code)
    lddw = "       1:\t18 01 00 00 88 77 66 55 00 00 00 00 44 33 22 11\tr1 = 0x1122334455667788 ll"
    assert out.splitlines()[1] == lddw
    assert main(["disasm", "--raw", "--mcpu", "v4", str(tmp_path / "prog.bin")]) == 0
    assert "lock *(u32 *)(r10 - 0x4) += w1" in capsys.readouterr().out


@pytest.mark.parametrize("extra", [[], ["-r"], ["--mcpu", "v3"], ["--lossless"]])
def test_disasm_object(objects: dict[str, Path], capsys: pytest.CaptureFixture[str],
                       extra: list[str]) -> None:
    path = str(objects["calls.c"])
    assert main(["disasm", *extra, path]) == 0
    expected = disassemble_object(path, relocs="-r" in extra, alu32="v3" in extra,
                                  exact="--lossless" not in extra)
    assert capsys.readouterr().out == expected


def test_disasm_output_is_llvm_objdump_output(objects: dict[str, Path], objdump: Callable[..., str],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    obj = objects["arith.c"]
    assert main(["disasm", "-r", str(obj)]) == 0
    assert capsys.readouterr().out == objdump("-d", "-r", obj)


@pytest.mark.parametrize(("argv", "message"), [
    (["asm", "{tmp}/missing.s"], "bpfvm: {tmp}/missing.s: No such file or directory"),
    (["asm", "{tmp}/bad.s"], "bpfvm: {tmp}/bad.s:2:1: unknown mnemonic 'frob'"),
    (["disasm", "{tmp}/bad.s"], "bpfvm: {tmp}/bad.s: not an ELF file (bad magic)"),
    (["disasm", "{tmp}/missing.o"], "bpfvm: {tmp}/missing.o: cannot read: No such file or directory"),
    (["disasm", "--raw", "{tmp}/missing.bin"], "bpfvm: {tmp}/missing.bin: No such file or directory"),
    (["asm", "{tmp}/ok.s", "-o", "{tmp}/no/such/dir/x.bin"], "bpfvm: {tmp}/no/such/dir/x.bin: No such file"),
])
def test_errors_print_one_line_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          argv: list[str], message: str) -> None:
    (tmp_path / "bad.s").write_text("exit\nfrob %r1\n")
    (tmp_path / "ok.s").write_text("exit\n")
    assert main([a.format(tmp=tmp_path) for a in argv]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(message.format(tmp=tmp_path))
    assert len(captured.err.splitlines()) == 1 and "Traceback" not in captured.err


def test_unknown_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2
