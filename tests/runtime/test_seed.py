"""The seed project's Pythonic interface, as shown in its talk, on real clang output."""

from __future__ import annotations

from pathlib import Path

import pytest

import bpfvm
from bpfvm import BpfVm, TrapKind, VmTrap

FIXTURES = Path(__file__).with_name("fixtures")


@pytest.fixture(scope="module")
def objects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from bpfvm.cc import compile_c

    out = tmp_path_factory.mktemp("seed")
    return {name: compile_c(FIXTURES / f"{name}.c", output=out / f"{name}.o") for name in ("math", "example")}


def test_intrinsics_by_attribute(objects: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    vm = BpfVm()

    def get(regs: list[int], vm: bpfvm.VM) -> int:
        print(f"Intrinsic 'get' called at {vm.pc}")
        return 3

    vm.intrinsics.get = get
    vm.intrinsics.add = lambda reg: reg[1] + reg[2]
    vm.execute_program(objects["math"])
    assert vm.regs[0] == 15
    program = bpfvm.load(objects["math"])
    call_pcs = [pc for pc, name in program.externs.items() if name == "get"]
    assert capsys.readouterr().out == f"Intrinsic 'get' called at {call_pcs[0]}\n"


def test_registers_in_result_out(objects: dict[str, Path]) -> None:
    vm = BpfVm()
    vm.regs[2] = 3
    vm.execute_program(objects["example"])
    assert vm.regs[0] == 15


def test_recursion(objects: dict[str, Path]) -> None:
    vm = BpfVm()
    vm.regs[1] = 27  # 111 Collatz steps: 112 nested BPF calls
    assert vm.execute_program(objects["example"]) == 111


def test_missing_intrinsic_is_named_at_load(objects: dict[str, Path]) -> None:
    vm = BpfVm()
    vm.intrinsics.add = lambda a, b: a + b
    with pytest.raises(bpfvm.ProgramError, match="get"):
        vm.execute_program(objects["math"])


def test_lazy_binding_traps_at_the_call(objects: dict[str, Path]) -> None:
    vm = BpfVm(lazy_binding=True)
    vm.intrinsics.add = lambda a, b: a + b
    with pytest.raises(VmTrap) as info:
        vm.execute_program(objects["math"])
    assert info.value.kind is TrapKind.UNKNOWN_INTRINSIC


def test_intrinsic_exception_carries_the_pc(objects: dict[str, Path]) -> None:
    vm = BpfVm()
    vm.intrinsics.add = lambda a, b: a + b

    def get() -> int:
        raise LookupError("no value")

    vm.intrinsics.get = get
    with pytest.raises(LookupError) as info:
        vm.execute_program(objects["math"])
    assert isinstance(info.value.bpf_pc, int)  # type: ignore[attr-defined]
    assert any("pc" in note for note in info.value.__notes__)
