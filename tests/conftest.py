"""Fixtures shared by every test package: the fixture compiler and the reference objdump.

C (and assembly) fixtures are compiled with the bundled clang (``python -m ziglang cc -target
bpfel-freestanding -mcpu=v4 -O2 -g -fno-sanitize=all``) plus the flags a test package adds and
those a fixture's ``cflags: …`` comment names.  The reference disassembler is ``llvm-objdump-19``
(Debian package llvm-19); tests that need it skip when it is missing.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

OBJDUMP = "llvm-objdump-19"
CFLAGS = ["-target", "bpfel-freestanding", "-mcpu=v4", "-O2", "-g", "-fno-sanitize=all"]


def compile_fixture(source: Path, output: Path, extra: Sequence[str] = ()) -> Path:
    """Compile (or assemble) ``source`` into a BPF object: base flags, ``extra``, then the flags of
    the fixture's ``cflags:`` comment."""
    comment = re.search(r"cflags:(.*)", source.read_text())
    flags = [*extra, *(shlex.split(comment.group(1)) if comment else [])]
    cmd = [sys.executable, "-m", "ziglang", "cc", *CFLAGS, *flags, "-c", str(source), "-o", str(output)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"compiling {source.name} failed:\n{result.stderr}")
    return output


@pytest.fixture(scope="session")
def objdump() -> Callable[..., str]:
    """Run llvm-objdump-19 with the given arguments and return its stdout (skip if not installed)."""
    if shutil.which(OBJDUMP) is None:
        pytest.skip(f"{OBJDUMP} not installed (Debian package llvm-19); it is the reference disassembler")

    def run(*args: str | Path, cwd: Path | None = None) -> str:
        result = subprocess.run([OBJDUMP, *map(str, args)], capture_output=True, text=True, cwd=cwd)
        assert result.returncode == 0, result.stderr
        return result.stdout

    return run
