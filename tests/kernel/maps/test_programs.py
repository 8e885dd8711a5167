"""Kernel-style C programs (libbpf headers) using maps through the map helpers, on both engines.

Until the helper table registers them, the map helpers are bound in ``vm.helpers`` by the
kernel's ids here (``include/uapi/linux/bpf.h`` ``__BPF_FUNC_MAPPER``).
"""

from __future__ import annotations

import functools
import struct
from pathlib import Path

import pytest

import bpfvm
from bpfvm import Map, MapError, Program
from bpfvm.cc import compile_c
from bpfvm.isa import encode, make
from bpfvm.kernel.maps import BPF_NOEXIST
from bpfvm.kernel.maps.helpers import MAP_HELPERS

HERE = Path(__file__).parent / "c"
ENGINES = ["interpreter", "jit"]
HELPER_IDS = {
    "bpf_map_lookup_elem": 1, "bpf_map_update_elem": 2, "bpf_map_delete_elem": 3,
    "bpf_perf_event_output": 25, "bpf_map_push_elem": 87, "bpf_map_pop_elem": 88, "bpf_map_peek_elem": 89,
    "bpf_ringbuf_output": 130, "bpf_ringbuf_reserve": 131, "bpf_ringbuf_submit": 132,
    "bpf_ringbuf_discard": 133, "bpf_ringbuf_query": 134, "bpf_for_each_map_elem": 164,
    "bpf_map_lookup_percpu_elem": 195,
}
SYSTEM_INCLUDES = ["-I/usr/include", "-I/usr/include/x86_64-linux-gnu"]
pytestmark = pytest.mark.skipif(not Path("/usr/include/bpf/bpf_helpers.h").exists(),
                                reason="libbpf-dev headers are not installed")


def _vm(engine: str, **kwargs: object) -> bpfvm.VM:
    vm = bpfvm.VM(engine=engine, **kwargs)  # type: ignore[arg-type]
    for name, number in HELPER_IDS.items():
        vm.helpers[number] = functools.partial(MAP_HELPERS[name], vm)
    return vm


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Program:
    out = tmp_path_factory.mktemp("maps") / "maps_prog.o"
    return bpfvm.load(compile_c(HERE / "maps_prog.c", output=out, kernel=True, flags=SYSTEM_INCLUDES))


@pytest.fixture(scope="module")
def legacy(tmp_path_factory: pytest.TempPathFactory) -> Program:
    out = tmp_path_factory.mktemp("maps") / "legacy.o"
    return bpfvm.load(compile_c(HERE / "legacy.c", output=out, kernel=True, flags=SYSTEM_INCLUDES))


def test_btf_map_definitions(program: Program) -> None:
    defs = {d.name: d for d in program.maps}
    assert (defs["counts"].type, defs["counts"].key_size, defs["counts"].value_size,
            defs["counts"].max_entries) == (1, 4, 8, 4)
    assert defs["queue"].key_size == 0 and defs["events"].max_entries == 4096
    assert defs["outer"].inner is not None and defs["outer"].inner.type == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_hash_counter_and_globals(program: Program, engine: str) -> None:
    vm = _vm(engine)
    maps = vm.maps(program)
    assert [vm.run(program, 7, entry="count") for _ in range(3)] == [0, 102, 103]
    for key in (1, 2, 3):
        assert vm.run(program, key, entry="count") == 0
    assert vm.run(program, 9, entry="count") == (-7) & (2**64 - 1)  # full: -E2BIG
    counts = maps["counts"]
    assert counts[7] == struct.pack("<Q", 3) and len(counts) == 4
    counts[7] = struct.pack("<Q", 41)  # the host writes, the program sees it
    assert vm.run(program, 7, entry="count") == 142
    assert vm.run(program, 7, entry="forget") == 0 and 7 not in counts
    assert vm.run(program, 7, entry="forget") == (-2) & (2**64 - 1)
    assert struct.unpack("<Q", maps[".bss"][0])[0] == 8  # runs, a .bss global as an array map
    assert maps[".rodata"].flags & bpfvm.kernel.maps.Flag.RDONLY_PROG


@pytest.mark.parametrize("engine", ENGINES)
def test_for_each_map_elem(program: Program, engine: str) -> None:
    vm = _vm(engine)
    counts = vm.maps(program)["counts"]
    counts.update(3, struct.pack("<Q", 2))
    counts.update(5, struct.pack("<Q", 4))
    assert vm.run(program, entry="sum_counts") == (2000 + 3 + 4000 + 5) * 10 + 2


@pytest.mark.parametrize("engine", ENGINES)
def test_percpu_lookup(program: Program, engine: str) -> None:
    vm = _vm(engine)
    vm.map_space.cpus = 4
    vm.map_space.cpu = 2
    percpu = vm.maps(program)["percpu"]
    assert percpu.ncpus == 4
    assert vm.run(program, 2, entry="bump_percpu") == 5
    assert vm.run(program, 3, entry="bump_percpu") == 0
    assert vm.run(program, 9, entry="bump_percpu") == (-2) & (2**64 - 1)
    assert [struct.unpack("<Q", v)[0] for v in percpu[1]] == [0, 0, 15, 0]


@pytest.mark.parametrize("engine", ENGINES)
def test_queue_push_pop_peek(program: Program, engine: str) -> None:
    vm = _vm(engine)
    # pushes 1..4: the 4th is E2BIG (7); BPF_EXIST then drops the oldest for 99
    assert vm.run(program, 4, entry="queue_ops") == 700 * 100000000 + ((2 * 100 + 3) * 100 + 99) * 10 + 1
    assert len(vm.maps(program)["queue"]) == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_ringbuf_records_reach_the_host(program: Program, engine: str) -> None:
    vm = _vm(engine)
    events = vm.maps(program)["events"]
    avail = vm.run(program, 4, entry="produce")
    assert avail == 5 * 16  # 4 reserved + 1 output, 8-byte header + 8 bytes each
    records = events.consume()
    assert [struct.unpack("<II", r) for r in records] == [(0, 0xABC), (2, 0xABC), (1000, 0xDEF)]
    assert events.consumer_pos == events.producer_pos == 80
    for _ in range(60):  # wraps around the 4 KiB ring several times
        assert vm.run(program, 30, entry="produce") == 31 * 16
        assert len(events.consume()) == 16


@pytest.mark.parametrize("engine", ENGINES)
def test_map_in_map(program: Program, engine: str) -> None:
    vm = _vm(engine)
    maps = vm.maps(program)
    maps["inner_a"][0] = struct.pack("<I", 77)
    assert vm.run(program, 1, entry="inner_value") == 77
    assert vm.run(program, 0, entry="inner_value") == (-1) & (2**64 - 1)
    other = Map("array", 4, 4, 1, name="other")
    other[0] = struct.pack("<I", 5)
    maps["outer"][0] = other
    assert vm.run(program, 0, entry="inner_value") == 5
    with pytest.raises(MapError):
        maps["outer"][0] = Map("array", 4, 8, 1)


@pytest.mark.parametrize("engine", ENGINES)
def test_legacy_maps_section(legacy: Program, engine: str) -> None:
    assert [(d.name, d.type, d.key_size, d.value_size, d.max_entries, d.flags) for d in legacy.maps] == [
        ("hist", 2, 4, 8, 8, 0), ("seen", 1, 8, 4, 16, 1)]
    vm = _vm(engine)
    for value in (3, 11, 19, 4):
        vm.run(legacy, value)
    maps = vm.maps(legacy)
    assert struct.unpack("<Q", maps["hist"][3])[0] == 3
    assert sorted(int.from_bytes(k, "little") for k in maps["seen"]) == [3, 4, 11, 19]


@pytest.mark.parametrize("engine", ENGINES)
def test_one_map_shared_by_two_vms(program: Program, engine: str) -> None:
    first = _vm(engine)
    shared = first.maps(program)["counts"]
    second = _vm(engine)
    second.map_space.reuse["counts"] = shared
    first.run(program, 1, entry="count")
    assert second.run(program, 1, entry="count") == 102
    assert shared[1] == struct.pack("<Q", 2)


@pytest.mark.parametrize("engine", ENGINES)
def test_raw_bytecode_with_map_fd(engine: str) -> None:
    """``lddw r1, map_fd`` (src=1) and ``lddw r1, map_value`` (src=2) as kernel loaders emit them."""
    hist = Map("array", 4, 8, 4, name="hist")
    code = encode([
        make("stw", dst=10, off=-4, imm=2),
        make("lddw", dst=1, src=1, imm=hist.fd), make("mov64_reg", dst=2, src=10),
        make("add64_imm", dst=2, imm=-4), make("call", imm=1),
        make("jeq64_imm", dst=0, imm=0, off=2),
        make("mov64_imm", dst=1, imm=42), make("stxdw", dst=0, src=1, off=0),
        make("lddw", dst=0, src=2, imm=hist.fd, imm_hi=4), make("exit"),
    ])
    vm = _vm(engine)
    address = vm.run(code)
    assert hist[2] == struct.pack("<Q", 42)
    vm.memory.store(address, 4, 0x1234)  # value address of element 0, offset 4
    assert hist[0] == bytes(4) + struct.pack("<I", 0x1234)


def test_update_flags_from_a_program_and_host() -> None:
    vm = _vm("interpreter")
    m = Map("hash", 4, 8, 2)
    binding = vm.map_space.attach(m)
    assert binding.handle and binding.base
    m.update(1, bytes(8))
    with pytest.raises(MapError) as info:
        m.update(1, bytes(8), BPF_NOEXIST)
    assert info.value.errno == 17
    view = vm.memory.view(binding.address(m.prog_lookup(b"\1\0\0\0", 0) or 0), 8)
    view[:] = b"ABCDEFGH"  # the guest's bytes are the host's
    assert m[1] == b"ABCDEFGH"
