"""Skeletons: typed zero-copy views of a program's globals, and the generated typed module."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import bpfvm
from bpfvm.btf.skeleton import ArrayView, FrozenError, Skeleton, StructView, open_skeleton
from bpfvm.errors import BpfError


@pytest.fixture()
def skel(objects: dict[str, Path]) -> Skeleton:
    return open_skeleton(objects["skel"])


def test_sections_and_initial_values(skel: Skeleton) -> None:
    assert sorted(dir(skel))[:3] == ["bss", "btf", "data"] and "rodata" in dir(skel)
    config = skel.rodata.config
    assert isinstance(config, StructView)
    assert (config.threshold, config.bias, config.origin.x, config.origin.y) == (10, -2, 7, 8)
    assert (config.mode, config.delta, config.scale) == (5, -3, 0.5)
    assert config.word == 0x01020304 and list(config.bytes) == [4, 3, 2, 1]  # anonymous union
    assert skel.data.sum == -1 and [(p.x, p.y) for p in skel.data.path] == [(1, 2), (3, 4), (5, 6)]
    assert skel.bss.counter == 0 and isinstance(skel.bss.hits, ArrayView) and len(skel.bss.hits) == 4


def test_views_are_guest_memory(skel: Skeleton) -> None:
    vm, program = skel.vm, skel.program
    assert skel.rodata.config.address == vm.address_of(program, "config")
    skel.data.path[2].y = 10
    assert vm.memory.load(vm.address_of(program, "path") + 20, 4) == 10
    hits = skel.bss.hits.numpy()
    assert hits.shape == (4, 2) and hits.dtype == np.int32
    vm.memory.store(vm.address_of(program, "hits") + 8 * 3 + 4, 4, 99)
    assert hits[3, 1] == 99 and skel.bss.hits[3][1] == 99  # no copy: the array sees the store
    hits[0, 0] = -5
    assert skel.bss.hits[0][0] == -5
    assert vm.globals(program)["sum"] == (1 << 64) - 1  # the old interface still works


def test_rodata_set_before_the_first_run_then_frozen(skel: Skeleton) -> None:
    config = skel.rodata.config
    config.threshold = 1
    config.mode = 2
    config.delta = -1
    config.origin = bytes(8)
    assert (config.mode, config.delta, config.origin.x) == (2, -1, 0)
    assert skel.run(0) == 0  # counter 1 > threshold 1 is false
    assert skel.bss.counter == 1 and skel.bss.hits[1][1] == 1
    assert skel.data.sum == 0 + 0 + 2 - 1 - 2 + 1 * 2 + 3 * 4 + 5 * 6
    with pytest.raises(FrozenError, match="read-only once the program has run"):
        config.threshold = 5
    skel.bss.hits.numpy()[0, 0] = 3  # .bss stays writable …
    with pytest.raises(ValueError, match="read-only"):
        skel.rodata.config.bytes.numpy()[0] = 1  # … a frozen section's NumPy view is read-only
    skel.bss.counter = 41  # writable sections stay writable
    assert skel.run(0) == 1 and skel.bss.counter == 42


def test_running_through_the_vm_freezes_too(objects: dict[str, Path]) -> None:
    vm = bpfvm.VM()
    skel = open_skeleton(objects["skel"], vm)
    vm.run(skel.program, 0)
    assert skel.frozen()
    with pytest.raises(FrozenError):
        skel.rodata.config.bias = 0


def test_errors_name_what(skel: Skeleton) -> None:
    with pytest.raises(AttributeError, match="no variable 'nope'"):
        _ = skel.bss.nope
    with pytest.raises(AttributeError, match="struct point has no member 'z'"):
        _ = skel.data.path[0].z
    with pytest.raises(IndexError, match=r"path\[3\]"):
        _ = skel.data.path[3]
    with pytest.raises(BpfError, match="3 bytes given for a 8-byte value"):
        skel.data.path[0] = b"abc"
    with pytest.raises(AttributeError, match="no data section for 'kconfig'"):
        _ = skel.kconfig


def test_generated_module(objects: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "skel_mod.py"
    result = subprocess.run([sys.executable, "-m", "bpfvm", "skel", str(objects["skel"]), "-o", str(out)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    spec = importlib.util.spec_from_file_location("skel_mod", out)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.config.__annotations__["origin"] == "point"
    assert module.RodataSection.__annotations__ == {"config": "config"}
    assert set(module.SkelSkeleton.__annotations__) == {"bss", "data", "rodata"}
    skel = module.open()
    assert isinstance(skel.rodata.config, module.config) and isinstance(skel.data.path[0], module.point)
    skel.rodata.config.threshold = 0
    assert skel.run(0) == 1
