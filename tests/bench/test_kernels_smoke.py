"""Smoke test of ``bench/kernels.py``: each bench kernel once at a tiny size, natively (gcc
-O2), on both bpfvm engines and, where ``bpf()`` is permitted, as an XDP program in the Linux
kernel (loaded from a forked child) — every result must equal native's.  Correctness only:
timing is never asserted.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

import bpfvm
from bpfvm.kernel import syscall as linux
from bpfvm.vm import ENGINES

BENCH = Path(__file__).resolve().parents[2] / "bench" / "kernels.py"


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_kernels", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


bench = _load_bench()
KERNELS = {kernel.name: kernel for kernel in bench.KERNELS}


@pytest.fixture(scope="module")
def native_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    """Each kernel's native result at its tiny size."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed: no native reference")
    tmp = tmp_path_factory.mktemp("bench-native")
    return {name: bench.native(kernel, tmp).once(kernel.tiny) for name, kernel in KERNELS.items()}


@pytest.fixture(scope="module")
def programs() -> dict[str, bpfvm.Program]:
    return {name: bench.compile_program(kernel) for name, kernel in KERNELS.items()}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", KERNELS)
def test_engine_agrees_with_native(name: str, engine: str, native_results: dict[str, int],
                                   programs: dict[str, bpfvm.Program]) -> None:
    kernel = KERNELS[name]
    runner = bench.on_vm(bpfvm.VM(engine), programs[name])
    assert runner.once(kernel.tiny) == native_results[name]
    assert runner.repeat(kernel.tiny, 2) == native_results[name]


@pytest.mark.parametrize("name", [k.name for k in bench.KERNELS if k.kernel_size is not None])
def test_constant_size_builds_agree(name: str, native_results: dict[str, int], tmp_path: Path) -> None:
    """The builds for the kernel-size rows (``-DBENCH_N=n -DMAXN=n``, as the kernel's)."""
    kernel = KERNELS[name]
    assert bench.native(kernel, tmp_path, kernel.tiny).repeat(0, 2) == native_results[name]
    program = bench.compile_program(kernel, kernel.tiny)
    assert bench.on_vm(bpfvm.VM("jit"), program).once(0) == native_results[name]


@pytest.mark.kernel
@pytest.mark.parametrize("name", [k.name for k in bench.KERNELS if k.kernel_size is not None])
def test_linux_kernel_agrees_with_native(name: str, native_results: dict[str, int]) -> None:
    if why := bench.kernel_unavailable():
        pytest.skip(why)
    kernel = KERNELS[name]
    outcome = bench.measure_kernel(kernel, kernel.tiny, seconds=1e-4)
    if isinstance(outcome, str) and outcome.startswith("kernel load killed"):
        pytest.skip(outcome)  # this kernel's verifier oopses on some programs
    assert not isinstance(outcome, str), outcome
    assert outcome[0] == native_results[name]
    assert outcome[1] > 0


def test_floating_point_kernels_have_no_kernel_column() -> None:
    for kernel in bench.KERNELS:
        if kernel.kernel_size is None:
            assert bench.measure_kernel(kernel, kernel.tiny) == bench.NO_FLOATS


@pytest.mark.kernel
def test_linux_kernel_runs_subprograms(native_results: dict[str, int]) -> None:
    """Built without inlining, the XDP function calls subprograms: they follow it in the
    kernel bytecode with their calls re-targeted."""
    if why := bench.kernel_unavailable():
        pytest.skip(why)
    kernel = KERNELS["strcmp"]
    flags = [*bench.KERNEL_CFLAGS, f"-DBENCH_N={kernel.tiny}", f"-DMAXN={kernel.tiny}", "-fno-inline"]
    program = bpfvm.compile(kernel.source, kernel=True, flags=flags)
    assert len(program.functions) > 1
    outcome = linux.in_child(bench.run_in_kernel, program, 1e-4)
    if isinstance(outcome, linux.KernelCrash):
        pytest.skip(f"kernel load killed the child: {outcome.reason}")
    assert not isinstance(outcome, str), outcome
    assert outcome[0] == native_results["strcmp"]


def test_kernel_column_says_why_bpf_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    why = "bpf() unavailable: bpf(BPF_PROG_LOAD) failed: Operation not permitted (errno 1)"
    monkeypatch.setattr(bench, "kernel_unavailable", lambda: why)
    assert bench.measure_kernel(KERNELS["sieve"], KERNELS["sieve"].tiny) == why
