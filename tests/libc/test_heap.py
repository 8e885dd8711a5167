"""The guest heap: alignment, reuse, coalescing, realloc semantics, misuse traps, statistics."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpfvm import TrapKind, VmTrap
from bpfvm.memory import Memory
from bpfvm.runtime.heap import ALIGN, Heap

SIZE = 1 << 16


def make_heap(size: int = SIZE) -> Heap:
    memory = Memory(1 << 22, ro_size=1 << 20, stack_size=4096)
    return Heap(memory, memory.map("heap", size, writable=True))


def test_alignment_and_distinct_blocks() -> None:
    heap = make_heap()
    addrs = [heap.malloc(n) for n in (0, 1, 15, 16, 17, 100)]
    assert all(a % ALIGN == 0 and heap.base <= a < heap.end for a in addrs)
    assert len(set(addrs)) == len(addrs)  # malloc(0) is a unique block too, as in glibc
    assert heap.in_use == 149 and heap.live == 6


def test_free_memory_is_reused_best_fit() -> None:
    heap = make_heap()
    a, _, c, _ = heap.malloc(64), heap.malloc(16), heap.malloc(32), heap.malloc(16)
    heap.free(a)
    heap.free(c)
    assert heap.malloc(32) == c  # the smallest block that fits, not the first
    assert heap.malloc(48) == a  # split from a's 64 bytes
    assert heap.malloc(16) == a + 48


def test_coalescing_returns_everything() -> None:
    heap = make_heap()
    blocks = [heap.malloc(100) for _ in range(50)]
    for addr in blocks[::2] + blocks[1::2]:
        heap.free(addr)
    assert heap.in_use == 0 and heap.live == 0
    assert heap.malloc(heap.end - heap.base) == heap.base  # one block spans the whole heap again


def test_out_of_memory_is_null() -> None:
    heap = make_heap()
    assert heap.malloc(SIZE + 1) == 0
    assert heap.malloc(1 << 64) == 0
    assert heap.malloc(SIZE) == heap.base
    assert heap.malloc(1) == 0
    assert heap.calloc(1 << 32, 1 << 32) == 0  # nmemb * size overflows 64 bits


def test_calloc_zeroes_reused_memory() -> None:
    heap = make_heap()
    a = heap.malloc(64)
    heap.memory.buf[a:a + 64] = b"\xff" * 64
    heap.free(a)
    b = heap.calloc(8, 8)
    assert b == a and heap.memory.buf[b:b + 64] == bytes(64)


def test_misuse_traps() -> None:
    heap = make_heap()
    heap.free(0)  # no-op
    a = heap.malloc(32)
    with pytest.raises(VmTrap) as info:
        heap.free(a + 16, pc=7)
    assert info.value.kind is TrapKind.HEAP and info.value.pc == 7 and info.value.addr == a + 16
    heap.free(a)
    with pytest.raises(VmTrap, match="double free"):
        heap.free(a)
    with pytest.raises(VmTrap, match="outside the heap"):
        heap.free(0x1234)
    with pytest.raises(VmTrap) as info:
        heap.realloc(a, 10)
    assert info.value.kind is TrapKind.HEAP


def test_realloc_semantics() -> None:
    heap = make_heap()
    a = heap.realloc(0, 20)  # realloc(NULL, n) is malloc
    heap.memory.buf[a:a + 20] = bytes(range(20))
    b = heap.malloc(16)  # a cannot grow in place now
    c = heap.realloc(a, 200)
    assert c not in (a, b) and heap.memory.buf[c:c + 20] == bytes(range(20)) and a not in heap
    assert heap.realloc(c, 10) == c and heap.size_of(c) == 10  # shrinks in place
    assert heap.realloc(c, 0) == 0 and c not in heap  # glibc: frees, returns NULL
    big = heap.malloc(100)
    assert heap.realloc(big, SIZE) == 0 and heap.size_of(big) == 100  # failure keeps the block


def test_realloc_grows_into_free_neighbour_and_top() -> None:
    heap = make_heap()
    a, b, c = heap.malloc(16), heap.malloc(64), heap.malloc(16)
    heap.free(b)
    assert heap.realloc(a, 48) == a  # took 32 bytes of b's space
    assert heap.malloc(32) == a + 48  # the rest of b is still free
    assert heap.realloc(c, 1000) == c  # c is last: grows into the top


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["malloc", "calloc", "free", "realloc"]),
                          st.integers(0, 3000), st.integers(0, 10**6)), max_size=120))
def test_random_churn(ops: list[tuple[str, int, int]]) -> None:
    heap = make_heap()
    live: dict[int, tuple[int, int]] = {}  # addr -> (size, fill byte)
    for step, (op, size, pick) in enumerate(ops):
        fill = step % 251 + 1
        if op in ("free", "realloc") and live:
            addr = sorted(live)[pick % len(live)]
            old, old_fill = live.pop(addr)
            if op == "free":
                heap.free(addr)
                continue
            new = heap.realloc(addr, size)
            if new == 0 and size:
                live[addr] = (old, old_fill)  # failed: the old block stays
                continue
            if size:
                assert heap.memory.buf[new:new + min(old, size)] == bytes([old_fill]) * min(old, size)
                heap.memory.buf[new:new + size] = bytes([fill]) * size
                live[new] = (size, fill)
            continue
        addr = heap.malloc(size) if op != "calloc" else heap.calloc(size, 1)
        if addr == 0:
            assert size > 0
            continue
        if op == "calloc":
            assert heap.memory.buf[addr:addr + size] == bytes(size)
        heap.memory.buf[addr:addr + size] = bytes([fill]) * size
        live[addr] = (size, fill)
    check(heap, live)


def check(heap: Heap, live: dict[int, tuple[int, int]]) -> None:
    assert heap.blocks() == {a: s for a, (s, _) in live.items()}
    assert heap.in_use == sum(s for s, _ in live.values()) <= heap.peak
    spans = sorted((a, a + max(s, 1)) for a, (s, _) in live.items())
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert end <= start  # no overlap
    for addr, (size, fill) in live.items():
        assert addr % ALIGN == 0 and heap.base <= addr and addr + size <= heap.end
        assert heap.memory.buf[addr:addr + size] == bytes([fill]) * size  # nobody wrote over it
    for addr in list(live):
        heap.free(addr)
    assert heap.malloc(heap.end - heap.base) == heap.base  # all free space coalesced
