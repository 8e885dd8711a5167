"""CO-RE relocations: every kind against vmlinux with libbpf as the oracle, layouts changed by a
target BTF, and poisoned instructions that trap naming their relocation."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import uuid
from pathlib import Path

import pytest

import bpfvm
from bpfvm.btf import Btf, Int, IntEncoding, Kind, Member, Struct
from bpfvm.btf.core import POISON_HELPER, apply_relocations, essential_name
from bpfvm.btf.writer import BtfWriter
from bpfvm.elf import load as load_elf
from bpfvm.errors import TrapKind, VmTrap

BPFFS = Path("/sys/fs/bpf")
_PATCHED = re.compile(r"relo #(\d+): patched insn #(\d+) \([^)]*\) (?:imm64|imm|off) (-?\d+) -> (-?\d+)")
_POISONED = re.compile(r"relo #(\d+): substituting insn #(\d+) w/ invalid insn")


def test_essential_names() -> None:
    assert essential_name("task_struct___v2") == "task_struct"
    assert essential_name("task_struct") == "task_struct"
    assert essential_name("a___b___c") == "a___b"
    assert essential_name("____x") == "____x"


def _libbpf_relocations(obj: Path) -> tuple[dict[int, tuple[int, int | None]], str]:
    """relo index → (insn, new value or None when poisoned), from ``bpftool -d prog load``'s
    libbpf log; and the xlated dump of the loaded program ("" if the kernel refused it)."""
    tool = shutil.which("bpftool") or "/usr/sbin/bpftool"
    if not Path(tool).exists():
        pytest.skip("bpftool is not installed")
    if not BPFFS.is_dir() or not any(True for _ in [BPFFS.stat()]):
        pytest.skip("bpffs is not available")
    pin = BPFFS / f"bpfvm_core_{uuid.uuid4().hex[:8]}"
    result = subprocess.run([tool, "-d", "prog", "load", str(obj), str(pin)], capture_output=True, text=True,
                            timeout=120)
    log = result.stderr
    if "Operation not permitted" in log or "permission" in log.lower() and "relo #" not in log:
        pytest.skip("bpf() is not permitted here")
    found: dict[int, tuple[int, int | None]] = {}
    for m in _PATCHED.finditer(log):
        found[int(m.group(1))] = (int(m.group(2)), int(m.group(4)))
    for m in _POISONED.finditer(log):
        found[int(m.group(1))] = (int(m.group(2)), None)
    xlated = ""
    if pin.exists():
        xlated = subprocess.run([tool, "prog", "dump", "xlated", "pinned", str(pin)], capture_output=True,
                                text=True, check=False).stdout
        pin.unlink()
    return found, xlated


def test_every_kind_agrees_with_libbpf(objects: dict[str, Path], vmlinux: Path) -> None:
    local = Btf.from_elf(objects["core"])
    assert local.ext is not None
    kinds = {r.kind for rs in local.ext.core_relos.values() for r in rs}
    assert len(kinds) == 13  # every relocation kind
    _, results = apply_relocations(load_elf(objects["core"]), local, Btf.from_file(vmlinux))
    expected, xlated = _libbpf_relocations(objects["core"])
    ours = {n: (r.relo.insn, None if r.poisoned else r.new_value % (1 << 64)) for n, r in enumerate(results)}
    assert ours == {n: (i, None if v is None else v % (1 << 64)) for n, (i, v) in expected.items()}
    assert xlated, "the kernel refused the relocated program"
    pid_offset = results[-1].new_value  # the last relocation: the load of t->pid
    assert re.search(rf"r0 = \*\(u32 \*\)\(r\d \+{pid_offset}\)", xlated)


def test_poisoned_instruction_is_the_invalid_helper_call(objects: dict[str, Path], vmlinux: Path) -> None:
    local = Btf.from_elf(objects["core"])
    program, results = apply_relocations(load_elf(objects["core"]), local, Btf.from_file(vmlinux))
    (poisoned,) = [r for r in results if r.poisoned]
    insn = program.insn_at(poisoned.pc)
    assert (insn.opcode, insn.imm) == (0x85, POISON_HELPER)
    assert "task_struct___old" in program.core_poison[poisoned.pc]


def _target(*members: tuple[str, int, int]) -> Btf:
    """A target BTF whose ``struct thing`` has ``members`` (name, bit offset, size in bytes)."""
    w = BtfWriter()
    ids = {4: w.add(Int(0, Kind.INT, "int", 4, IntEncoding.SIGNED, 0, 32)),
           2: w.add(Int(0, Kind.INT, "short", 2, IntEncoding.SIGNED, 0, 16))}
    w.add(Struct(0, Kind.STRUCT, "thing", 12, tuple(Member(n, ids[size], off, 0) for n, off, size in members),
                 False))
    return bpfvm.btf.parse(w.to_bytes())


def test_relocated_program_runs_with_the_target_layout(objects: dict[str, Path]) -> None:
    target = _target(("extra", 0, 2), ("b", 32, 4), ("a", 64, 4))
    program = bpfvm.load(objects["core_run"], target_btf=target)
    vm = bpfvm.VM()
    memory = struct.pack("<hxxii", 5, 22, 3)  # extra, b, a as the target lays them out
    assert vm.run(program, entry="read_b", mem=memory) == 22
    assert vm.run(program, entry="read_extra", mem=memory) == 3005  # thing___flavor matched thing


@pytest.mark.parametrize("engine", ["interpreter", "jit"])
def test_missing_field_is_guarded_or_traps_naming_the_relocation(objects: dict[str, Path],
                                                                  engine: str) -> None:
    program = bpfvm.load(objects["core_run"], target_btf=_target(("a", 0, 4)))
    vm = bpfvm.VM(engine=engine)
    assert vm.run(program, entry="read_b", mem=bytes(12)) == 0xFFFF_FFFF  # (u32)-1: field_exists is 0
    with pytest.raises(VmTrap) as trap:
        vm.run(program, entry="read_extra", mem=bytes(12))
    assert trap.value.kind == TrapKind.UNKNOWN_HELPER
    assert "CO-RE relocation" in str(trap.value) and "thing___flavor" in str(trap.value)


def test_own_btf_is_the_default_target(objects: dict[str, Path]) -> None:
    program = bpfvm.load(objects["core_run"], target_btf=objects["core_run"])
    assert bpfvm.VM().run(program, entry="read_b", mem=struct.pack("<ii", 1, 2)) == 2
    assert not program.core_poison
