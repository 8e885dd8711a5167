"""bpfvm's kernel helpers and kfuncs, run from kernel-style C under both engines (helpers.c)."""

from __future__ import annotations

import errno
import struct
from pathlib import Path

import pytest

import bpfvm
from bpfvm.cc import compile_c
from bpfvm.errors import TrapKind, VmTrap
from bpfvm.kernel.helpers.env import Signal, Task
from bpfvm.vm import ENGINES

SOURCE = Path(__file__).with_name("helpers.c")


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> bpfvm.Program:
    return bpfvm.load(compile_c(SOURCE, output=tmp_path_factory.mktemp("helpers") / "helpers.o", kernel=True))


@pytest.fixture(params=ENGINES)
def vm(request: pytest.FixtureRequest) -> bpfvm.VM:
    return bpfvm.VM(engine=request.param)


def vals(vm: bpfvm.VM, program: bpfvm.Program) -> list[int]:
    raw = vm.globals(program)["vals"]
    assert isinstance(raw, bytes)
    return list(struct.unpack("<8q", raw))


def out(vm: bpfvm.VM, program: bpfvm.Program) -> bytes:
    raw = vm.globals(program)["out"]
    assert isinstance(raw, bytes)
    return raw


def test_bpf_loop(vm: bpfvm.VM, program: bpfvm.Program) -> None:
    assert vm.run(program, entry="loop_sum") == 46  # 0+1+…+45 = 1035 > 1000: stopped by the callback
    assert vals(vm, program)[:4] == [1035, -errno.EINVAL, -errno.E2BIG, 0]


def test_open_coded_iterators(vm: bpfvm.VM, program: bpfvm.Program) -> None:
    assert vm.run(program, entry="for_sum") == sum(range(3, 10))
    assert vals(vm, program)[:4] == [42, 5, -errno.EINVAL, -errno.E2BIG]


def test_snprintf_and_trace_printk(vm: bpfvm.VM, program: bpfvm.Program) -> None:
    vm.kernel.use_virtual_clock(3_500_000_001_000)
    vm.kernel.task = Task(pid=42, tgid=42, uid=0, gid=0, comm=b"prog")
    text = b"-7|   42|ab  |-1234567890123|str|z|%|0000BEEF"
    assert vm.run(program, entry="printing") == len(text) + 1
    assert out(vm, program)[:len(text) + 1] == text + b"\0"
    assert out(vm, program)[100:104] == b"123\0"  # truncated to the size, NUL-terminated
    assert vals(vm, program)[:2] == [-errno.EINVAL, 7]  # %q is refused; 6 digits + NUL needed
    assert vm.kernel.trace.messages == ["hello 5"]
    assert vm.kernel.trace.lines() == [
        "            prog-42      [000] .....  3500.000001: bpf_trace_printk: hello 5\n"]


def test_strtol_strtoul_strncmp(vm: bpfvm.VM, program: bpfvm.Program) -> None:
    vm.run(program, entry="strings")
    assert vals(vm, program) == [7, -31, 3, 0o777, -errno.EINVAL, -errno.ERANGE, 0, -1]


def test_current_task_cpu_signals(vm: bpfvm.VM, program: bpfvm.Program) -> None:
    vm.kernel.task = Task(pid=1001, tgid=1000, uid=7, gid=8, comm=b"a-very-long-command-name")
    vm.kernel.cpu, vm.kernel.numa_node = 3, 1
    vm.kernel.seed(1)
    vm.run(program, entry="task")
    got = vals(vm, program)
    assert got[0] == 1000 << 32 | 1001 and got[1] == 8 << 32 | 7 and got[2] == 1 << 32 | 3
    vm.kernel.seed(1)
    assert got[3] == vm.kernel.random.getrandbits(32)
    assert got[4:7] == [0, -errno.EINVAL, 1]
    assert out(vm, program)[:16] == b"a-very-long-com\0"  # TASK_COMM_LEN - 1 and a NUL
    assert vm.kernel.signals == [Signal(9, 1000, False)]


def test_virtual_clocks(vm: bpfvm.VM, program: bpfvm.Program) -> None:
    clock = vm.kernel.use_virtual_clock(10_006_000_000)
    vm.run(program, entry="clocks")
    mono, boot, coarse, tai, jiffies = vals(vm, program)[:5]
    assert (mono, boot, coarse) == (10_006_000_000, 10_006_000_000, 10_004_000_000)
    assert tai == mono + clock.tai_offset
    assert jiffies == (1 << 32) - 300 * 250 + 10_006_000_000 * 250 // 10**9


def test_real_clocks_move(vm: bpfvm.VM, program: bpfvm.Program) -> None:
    vm.run(program, entry="clocks")
    first = vals(vm, program)[0]
    vm.run(program, entry="clocks")
    assert vals(vm, program)[0] > first > 0


def test_probe_reads(vm: bpfvm.VM, program: bpfvm.Program) -> None:
    user, kern = 0x7F00_0000_0000, 0xFFFF_8880_0000_0000
    vm.kernel.map_user(user, b"user-str\0tail")
    vm.kernel.map_kernel(kern, b"kernel!!")
    vm.run(program, mem=struct.pack("<QQ", user, kern), entry="probing")
    got = vals(vm, program)
    assert got[:6] == [0, 9, 0, 4, -errno.EFAULT, 0]
    data = out(vm, program)
    assert data[:8] == b"user-str" and data[16:25] == b"user-str\0"
    assert data[32:40] == b"kernel!!" and data[48:52] == b"ker\0"


def test_probe_read_fault_zeroes(vm: bpfvm.VM, program: bpfvm.Program) -> None:
    vm.run(program, mem=struct.pack("<QQ", 0x1234_0000_0000, 0xFFFF_0000_0000_0000), entry="probing")
    got = vals(vm, program)
    assert got[:4] == [-errno.EFAULT] * 4
    assert out(vm, program)[:64] == bytes(64)


def test_get_stack(vm: bpfvm.VM, program: bpfvm.Program) -> None:
    vm.run(program, entry="stack")
    assert vals(vm, program)[:6] == [0, 0, 0, -errno.EFAULT, -errno.EINVAL, -errno.EFAULT]
    vm.kernel.kernel_stack = [0xFFFF_FFFF_8100_0000 + i for i in range(6)]
    vm.run(program, entry="stack")
    got = vals(vm, program)
    assert got[0] == 32 and got[1] & (1 << 64) - 1 == 0xFFFF_FFFF_8100_0000
    assert got[3] == 32 and got[4] == -errno.EINVAL


def test_spin_lock(vm: bpfvm.VM, program: bpfvm.Program) -> None:
    assert [vm.run(program, entry="locked") for _ in range(3)] == [1, 2, 3]
    with pytest.raises(VmTrap) as trap:
        vm.run(program, entry="double_lock")
    assert trap.value.kind is TrapKind.HELPER_FAILED and "already held" in str(trap.value)


def test_dynptrs(vm: bpfvm.VM, program: bpfvm.Program) -> None:
    vm.run(program, entry="dynptrs")
    assert vals(vm, program) == [0, 0, -errno.E2BIG, 0, ord("X"), 1, -errno.EINVAL, -errno.EINVAL]
    assert out(vm, program)[:4] == b"cdef"


def test_rcu_and_kptr_xchg(vm: bpfvm.VM, program: bpfvm.Program) -> None:
    assert vm.run(program, entry="rcu") == 1
    assert vm.run(program, entry="xchg") == 0x1234
    assert vm.globals(program)["kptr_slot"] == 0x5678


def test_timers_fire_on_the_virtual_clock(vm: bpfvm.VM, program: bpfvm.Program) -> None:
    clock = vm.kernel.use_virtual_clock(1000)
    timer = vm.run(program, mem=struct.pack("<Q", 500), entry="arm")
    assert vals(vm, program)[:5] == [0, -errno.EBUSY, -errno.EINVAL, 0, 0]
    clock.advance(499)
    assert vm.globals(program)["fired"] == 0
    clock.advance(1)
    assert vm.globals(program)["fired"] == 1
    value = vm.globals(program)["fired_value"]  # the map value holding the timer: here .bss
    assert isinstance(value, int) and value <= timer < value + 4096
    assert vm.run(program, entry="disarm") == 0  # it already fired


def test_timer_cancel(vm: bpfvm.VM, program: bpfvm.Program) -> None:
    clock = vm.kernel.use_virtual_clock()
    vm.run(program, mem=struct.pack("<Q", 100), entry="arm")
    assert vm.run(program, entry="disarm") == 1
    clock.advance(1000)
    assert vm.globals(program)["fired"] == 0
