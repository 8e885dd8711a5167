"""Helpers that work on maps: bpf_tail_call through a prog array, timers in map values (their
callback gets the map, key and value), spin locks in map values; both engines."""

from __future__ import annotations

from pathlib import Path

import pytest

import bpfvm
from bpfvm.cc import compile_c
from bpfvm.vm import ENGINES

SOURCE = Path(__file__).with_name("tail.c")


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> bpfvm.Program:
    return bpfvm.load(compile_c(SOURCE, output=tmp_path_factory.mktemp("tail") / "tail.o", kernel=True))


@pytest.fixture(params=ENGINES)
def vm(request: pytest.FixtureRequest) -> bpfvm.VM:
    return bpfvm.VM(engine=request.param, max_call_depth=8)


def test_tail_call_limit_is_33(vm: bpfvm.VM, program: bpfvm.Program) -> None:
    assert vm.run(program, entry="chain") == 1000 + 34  # 1 + 33 tail calls, then fall through
    vm.globals(program)["depth"] = 0
    assert vm.run(program, entry="chain") == 1034  # the count starts again with each run


def test_tail_call_replaces_the_program(vm: bpfvm.VM, program: bpfvm.Program) -> None:
    assert vm.run(program, entry="to_leaf") == 7
    assert vm.run(program, entry="missing") == 5


def test_tail_call_to_a_program_set_from_the_host(vm: bpfvm.VM, program: bpfvm.Program) -> None:
    other = bpfvm.Program.from_bytes(bpfvm.assemble("mov %r0, 42\nexit"))
    vm.maps(program)["jumps"].set(1, other)
    assert vm.run(program, entry="to_leaf") == 42


def test_timer_callback_gets_the_map_element(vm: bpfvm.VM, program: bpfvm.Program) -> None:
    clock = vm.kernel.use_virtual_clock()
    assert vm.run(program, entry="start_timer") == 0
    clock.advance(999_999)
    assert vm.globals(program)["last_key"] == 2**64 - 1
    clock.advance(1)
    assert vm.globals(program)["last_key"] == 3
    timers = vm.maps(program)["timers"]
    value = timers.lookup((3).to_bytes(4, "little"))
    assert int.from_bytes(value[-8:], "little") == 1  # hits, updated under the element's lock
