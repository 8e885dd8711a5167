"""Fixtures of the BTF tests: the kernel-style C fixtures compiled once, and bpftool as the oracle.

Each ``fixtures/*.c`` is compiled with ``bpfvm.cc.compile_c(..., kernel=True)`` (what
``bpfvm cc --kernel`` does).  The reference for dumps is Debian's ``bpftool`` (7.1); tests that
need it skip when it is missing, and vmlinux tests skip when ``/sys/kernel/btf/vmlinux`` is absent.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from bpfvm.cc import compile_c

FIXTURES = Path(__file__).parent / "fixtures"
VMLINUX = Path("/sys/kernel/btf/vmlinux")


@pytest.fixture(scope="session")
def objects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every C fixture compiled once, kernel-style: stem (``kinds``) → object path."""
    out = tmp_path_factory.mktemp("btf-objects")
    return {src.stem: compile_c(src, output=out / f"{src.stem}.o", kernel=True)
            for src in sorted(FIXTURES.glob("*.c"))}


@pytest.fixture(scope="session")
def bpftool() -> Callable[..., str]:
    """Run ``bpftool ARGS`` and return its stdout (skip if bpftool is not installed)."""
    tool = shutil.which("bpftool") or ("/usr/sbin/bpftool" if Path("/usr/sbin/bpftool").exists() else None)
    if tool is None:
        pytest.skip("bpftool is not installed (Debian package bpftool)")

    def run(*args: str) -> str:
        return subprocess.run([tool, *args], capture_output=True, text=True, check=True).stdout
    return run


@pytest.fixture(scope="session")
def vmlinux() -> Path:
    """The running kernel's BTF (skip when the kernel does not expose it)."""
    if not VMLINUX.exists():
        pytest.skip(f"{VMLINUX} is absent (kernel built without CONFIG_DEBUG_INFO_BTF)")
    return VMLINUX
