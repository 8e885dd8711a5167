"""``bpfvm disasm -S``: source lines interleaved as ``llvm-objdump -S`` prints them (DWARF), and
from BTF line_info when an object carries no DWARF."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from bpfvm.asm import disassemble_object
from bpfvm.btf import Btf


def test_same_as_llvm_objdump(objects: dict[str, Path], objdump: Callable[..., str]) -> None:
    for name, obj in objects.items():
        assert disassemble_object(str(obj), source=True) == objdump("-S", str(obj)), name


def test_btf_line_info_without_dwarf(objects: dict[str, Path], tmp_path: Path) -> None:
    objcopy = shutil.which("llvm-objcopy-19")
    if objcopy is None:
        pytest.skip("llvm-objcopy-19 is not installed (Debian package llvm-19)")
    stripped = tmp_path / "stripped.o"
    subprocess.run([objcopy, "--strip-debug", str(objects["core_run"]), str(stripped)], check=True)
    listing = disassemble_object(str(stripped), source=True)
    btf = Btf.from_elf(stripped)
    assert btf.ext is not None
    texts = [li.line_text for li in btf.ext.line_info["xdp"]]
    shown = [line[2:] for line in listing.splitlines() if line.startswith("; ")]
    assert shown and all(text in texts for text in shown)
    assert "    return t->a * 1000 + t->extra;" in shown
    plain = disassemble_object(str(stripped)).replace(str(stripped), "X")
    assert plain == disassemble_object(str(objects["core_run"])).replace(str(objects["core_run"]), "X")
