"""bpfvm.Map's Python API and the families' semantics that need no kernel (ring buffer protocol,
LRU eviction, arenas, perf events, batch operations, the type table)."""

from __future__ import annotations

import errno
import functools
import struct

import pytest

import bpfvm
from bpfvm import Map, MapError
from bpfvm.isa import encode, make
from bpfvm.kernel.maps import BPF_EXIST, MAP_KINDS, Flag, MapType, RingBuf, map_kind
from bpfvm.kernel.maps.bloom_filter import jhash, jhash2
from bpfvm.kernel.maps.helpers import MAP_HELPERS
from bpfvm.kernel.maps.ringbuf import BUSY_BIT, DISCARD_BIT


def test_type_table_is_the_kernels() -> None:
    assert MapType.HASH == 1 and MapType.ARENA == 33 and MapType.USER_RINGBUF == 31
    assert map_kind("BPF_MAP_TYPE_LPM_TRIE").id == 11 and map_kind(27).name == "ringbuf"
    assert len({k.id for k in MAP_KINDS}) == len(MAP_KINDS) == 34
    with pytest.raises(MapError) as info:
        Map("sockmap", 4, 4, 1)
    assert info.value.errno == errno.EINVAL and "not implemented" in str(info.value)
    with pytest.raises(MapError):
        Map("no_such_type", 4, 4, 1)


def test_dict_like_access_and_errors() -> None:
    m = Map("hash", 4, 4, 3, name="ports")
    m[80] = 1
    m[(443).to_bytes(4, "little")] = struct.pack("<I", 2)
    assert m[80] == b"\1\0\0\0" and len(m) == 2 and 80 in m and 81 not in m
    assert dict(m.items()) == {(80).to_bytes(4, "little"): b"\1\0\0\0",
                               (443).to_bytes(4, "little"): b"\2\0\0\0"}
    with pytest.raises(KeyError):
        m[81]
    del m[80]
    with pytest.raises(KeyError):
        del m[80]
    with pytest.raises(MapError) as info:
        m.update(1, b"toolong")
    assert info.value.errno == errno.EINVAL and "ports" in str(info.value)
    assert isinstance(info.value, bpfvm.BpfError)


def test_get_next_key_restarts_on_a_missing_key() -> None:
    m = Map("hash", 4, 4, 8)
    for k in (5, 6, 7):
        m[k] = 0
    assert m.get_next_key(None) == m.get_next_key(99) == (5).to_bytes(4, "little")
    assert m.get_next_key(6) == (7).to_bytes(4, "little")
    with pytest.raises(MapError) as info:
        m.get_next_key(7)
    assert info.value.errno == errno.ENOENT
    a = Map("array", 4, 4, 3)
    assert a.get_next_key(10) == bytes(4) and a.get_next_key(0) == (1).to_bytes(4, "little")


def test_percpu_values_are_padded_to_8_per_cpu() -> None:
    m = Map("percpu_hash", 4, 3, 2, ncpus=3)
    assert m.user_value_size == 24
    m[1] = [b"abc", b"def", b"ghi"]
    assert m.lookup(1) == b"abc\0\0\0\0\0def\0\0\0\0\0ghi\0\0\0\0\0"
    assert m[1] == [b"abc", b"def", b"ghi"]
    m[2] = b"xyz"  # one value for every CPU
    assert m[2] == [b"xyz"] * 3


def test_batch_operations() -> None:
    m = Map("hash", 4, 4, 10)
    assert m.update_batch([1, 2, 3, 4], [b"aaaa", b"bbbb", b"cccc", b"dddd"]) == 4
    keys, values, nxt = m.lookup_batch(count=3)
    assert len(keys) == 3 and nxt == keys[-1]
    rest, _, done = m.lookup_batch(nxt)
    assert done is None and sorted(keys + rest) == sorted(m.keys())
    with pytest.raises(MapError) as info:
        m.delete_batch([1, 2, 99, 3])
    assert info.value.count == 2 and 3 in m  # type: ignore[attr-defined]
    keys, values, _ = m.lookup_and_delete_batch()
    assert len(keys) == 2 and len(m) == 0


@pytest.mark.parametrize("flags", [0, Flag.NO_COMMON_LRU])
def test_lru_evicts_the_least_recently_used(flags: int) -> None:
    m = Map("lru_hash", 4, 4, 4, flags, ncpus=2)
    assert m.max_entries == 4
    for k in range(4):
        m[k] = k
    m.prog_lookup((0).to_bytes(4, "little"), 0)  # a program touches 0
    m[10] = 10
    assert len(m) == 4 and 10 in m and 0 in m and (1 not in m or flags)
    rounded = Map("lru_hash", 4, 4, 5, Flag.NO_COMMON_LRU, ncpus=4)
    assert rounded.max_entries == 8  # htab_map_alloc rounds to a multiple of the CPU count


def test_ringbuf_consumer_protocol() -> None:
    rb = RingBuf("ringbuf", 0, 0, 4096)
    first = rb.reserve(10)
    second = rb.reserve(3)
    assert first is not None and second is not None
    assert rb.consume() == []  # the first record is still busy: the consumer stops there
    rb.commit(second, discard=False)
    assert rb.consume() == []
    header = struct.unpack_from("<II", rb.storage.buf, first - 8)  # type: ignore[union-attr]
    assert header[0] == 10 | BUSY_BIT and header[1] == 3
    rb.commit(first, discard=True)
    assert struct.unpack_from("<I", rb.storage.buf, first - 8)[0] == 10 | DISCARD_BIT  # type: ignore[union-attr]
    assert rb.consume() == [bytes(3)] and rb.consumer_pos == rb.producer_pos == 24 + 16
    seen: list[bytes] = []
    while rb.output(b"x" * 100) == 0:
        pass
    assert rb.output(b"x" * 100) == -errno.EAGAIN and rb.output(b"", 4) == -errno.EINVAL
    assert rb.consume(lambda s: seen.append(bytes(s))) == len(seen) == 36
    assert rb.output(b"y" * 4000) == 0  # wraps: contiguous through the double mapping
    assert rb.consume() == [b"y" * 4000]


def test_user_ringbuf_and_arena() -> None:
    urb = Map("user_ringbuf", 0, 0, 4096)
    urb.submit(b"hello")  # type: ignore[attr-defined]
    urb.submit(b"world!")  # type: ignore[attr-defined]
    got: list[bytes] = []
    buf = urb.storage.buf  # type: ignore[union-attr]
    assert urb.drain(lambda off, n: got.append(bytes(buf[off:off + n])) or 0) == 2  # type: ignore[attr-defined]
    assert got == [b"hello", b"world!"]
    arena = Map("arena", 0, 0, 4, Flag.MMAPABLE)
    assert arena.alloc_pages(2) == 0 and arena.alloc_pages(3) is None  # type: ignore[attr-defined]
    vm = bpfvm.VM()
    binding = vm.map_space.attach(arena)
    vm.memory.store(binding.base + 8, 8, 0x1122334455667788)
    assert bytes(arena.view()[8:16]) == struct.pack("<Q", 0x1122334455667788)  # type: ignore[attr-defined]


def test_queue_overflow_and_keys() -> None:
    q = Map("queue", 0, 4, 2)
    q.update(None, 1)
    q.update(None, 2)
    with pytest.raises(MapError) as info:
        q.update(None, 3)
    assert info.value.errno == errno.E2BIG
    q.update(None, 3, BPF_EXIST)
    assert q.lookup_and_delete() == (2).to_bytes(4, "little")
    with pytest.raises(MapError):
        q.update(b"\0", 1)
    with pytest.raises(MapError) as info:
        q.update(None, 1, 1)
    assert info.value.errno == errno.EINVAL


def test_jhash_reference_values() -> None:
    assert jhash(b"", 0) == 0xDEADBEEF
    assert jhash2(b"", 0) == 0xDEADBEEF
    assert jhash(b"abcd", 1) != jhash(b"abcd", 2)


@pytest.mark.parametrize("engine", ["interpreter", "jit"])
def test_perf_event_output_reaches_the_callback(engine: str) -> None:
    events = Map("perf_event_array", 4, 4, 0, ncpus=2)
    got: list[tuple[int, bytes]] = []
    events.open_all(lambda cpu, data: got.append((cpu, data)))  # type: ignore[attr-defined]
    code = encode([
        make("stdw", dst=10, off=-8, imm=0x61626364), make("mov64_imm", dst=1, imm=0),
        make("lddw", dst=2, src=1, imm=events.fd), make("lddw", dst=3, imm=-1, imm_hi=0),
        make("mov64_reg", dst=4, src=10), make("add64_imm", dst=4, imm=-8), make("mov64_imm", dst=5, imm=4),
        make("call", imm=25), make("exit"),
    ])
    vm = bpfvm.VM(engine=engine)
    vm.helpers[25] = functools.partial(MAP_HELPERS["bpf_perf_event_output"], vm)
    vm.map_space.cpu = 1
    assert vm.run(code) == 0
    assert got == [(1, b"dcba")]
