"""Smoke test of ``bench/suite.py``: every suite kernel once at a tiny size, natively (gcc
-O2) and on both bpfvm engines — every result must equal gcc's.  Correctness only: timing is
never asserted.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

import bpfvm
from bpfvm.vm import ENGINES

SUITE = Path(__file__).resolve().parents[2] / "bench" / "suite.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_suite", SUITE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


suite = _load()
KERNELS = {kernel.name: kernel for kernel in suite.KERNELS}


def test_suite_is_broad() -> None:
    assert len(KERNELS) >= 15
    assert all(kernel.small < kernel.large for kernel in KERNELS.values())


@pytest.mark.parametrize("name", KERNELS)
def test_kernel_agrees_with_gcc(name: str, tmp_path: Path) -> None:
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed: no native reference")
    kernel = KERNELS[name]
    expect = suite.native(kernel, tmp_path).run(kernel.tiny, 1)
    program = suite.compile_program(kernel)
    for engine in ENGINES:
        vm = bpfvm.VM(engine)
        assert vm.run(program, kernel.tiny, 2, entry="bench") & suite.MASK == expect, engine
