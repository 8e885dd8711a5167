"""Dynptrs over local memory: ``bpf_dynptr_from_mem``, ``bpf_dynptr_read``, ``bpf_dynptr_write``,
``bpf_dynptr_data`` (kernel/bpf/helpers.c).

A ``struct bpf_dynptr`` (16 bytes on the stack) is laid out as the kernel's
``bpf_dynptr_kern``: ``u64 data`` (guest address), ``u32 size`` (low 24 bits the size, bits
28–30 the type, bit 31 read-only), ``u32 offset``.  :func:`make` and :func:`decode` let other
families (ringbuf dynptrs) build and read them the same way.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

from ..env import KernelEnv
from ..registry import implements

__all__ = ["DYNPTR_LOCAL", "DYNPTR_MAX_SIZE", "DYNPTR_RINGBUF", "Dynptr", "decode", "make"]

#: enum bpf_dynptr_type: BPF_DYNPTR_TYPE_LOCAL, BPF_DYNPTR_TYPE_RINGBUF.
DYNPTR_LOCAL, DYNPTR_RINGBUF = 1, 2
#: DYNPTR_MAX_SIZE (the 24-bit size field), DYNPTR_TYPE_SHIFT, DYNPTR_RDONLY_BIT.
DYNPTR_MAX_SIZE, _TYPE_SHIFT, _RDONLY = (1 << 24) - 1, 28, 1 << 31


@dataclass(frozen=True)
class Dynptr:
    """A decoded dynptr: ``data`` 0 means NULL (invalid)."""

    data: int
    size: int
    offset: int
    type: int
    rdonly: bool


def make(env: KernelEnv, ptr: int, data: int, size: int, kind: int, rdonly: bool = False) -> None:
    """Write a dynptr over ``[data, data + size)`` of type ``kind`` at ``ptr``."""
    word = size | kind << _TYPE_SHIFT | (_RDONLY if rdonly else 0)
    env.memory.write(ptr, data.to_bytes(8, "little") + word.to_bytes(4, "little") + bytes(4))


def clear(env: KernelEnv, ptr: int) -> None:
    """Make the dynptr at ``ptr`` NULL."""
    env.memory.write(ptr, bytes(16))


def decode(env: KernelEnv, ptr: int) -> Dynptr:
    """The dynptr at ``ptr``."""
    raw = env.memory.read(ptr, 16)
    word = int.from_bytes(raw[8:12], "little")
    return Dynptr(int.from_bytes(raw[:8], "little"), word & DYNPTR_MAX_SIZE,
                  int.from_bytes(raw[12:16], "little"), (word >> _TYPE_SHIFT) & 7, bool(word & _RDONLY))


def _check(d: Dynptr, offset: int, length: int) -> int:
    """bpf_dynptr_check_off_len: 0 or -E2BIG."""
    if offset > d.size or length > d.size - offset:
        return -errno.E2BIG
    return 0


@implements("bpf_dynptr_from_mem")
def dynptr_from_mem(env: KernelEnv, data: int, size: int, flags: int, ptr: int) -> int:
    """A local dynptr over ``data``; 0, -EINVAL for flags, -E2BIG past DYNPTR_MAX_SIZE (the
    dynptr is NULL on error)."""
    size &= 0xFFFF_FFFF
    if flags or size > DYNPTR_MAX_SIZE:
        clear(env, ptr)
        return -errno.EINVAL if flags else -errno.E2BIG
    make(env, ptr, data, size, DYNPTR_LOCAL)
    return 0


@implements("bpf_dynptr_read")
def dynptr_read(env: KernelEnv, dst: int, length: int, src: int, offset: int, flags: int) -> int:
    """Copy ``length`` bytes at ``offset`` of the dynptr into ``dst``; 0, -EINVAL, -E2BIG."""
    d, length, offset = decode(env, src), length & 0xFFFF_FFFF, offset & 0xFFFF_FFFF
    if not d.data or flags:
        return -errno.EINVAL
    err = _check(d, offset, length)
    if err:
        return err
    env.memory.write(dst, env.memory.read(d.data + d.offset + offset, length))
    return 0


@implements("bpf_dynptr_write")
def dynptr_write(env: KernelEnv, dst: int, offset: int, src: int, length: int, flags: int) -> int:
    """Copy ``length`` bytes of ``src`` to ``offset`` of the dynptr; 0, -EINVAL (NULL, read-only,
    flags), -E2BIG."""
    d, length, offset = decode(env, dst), length & 0xFFFF_FFFF, offset & 0xFFFF_FFFF
    if not d.data or d.rdonly or flags:
        return -errno.EINVAL
    err = _check(d, offset, length)
    if err:
        return err
    env.memory.write(d.data + d.offset + offset, env.memory.read(src, length))
    return 0


@implements("bpf_dynptr_data")
def dynptr_data(env: KernelEnv, ptr: int, offset: int, length: int) -> int:
    """Address of ``length`` bytes at ``offset`` of the dynptr, or NULL (0)."""
    d, length, offset = decode(env, ptr), length & 0xFFFF_FFFF, offset & 0xFFFF_FFFF
    if not d.data or d.rdonly or _check(d, offset, length):
        return 0
    return d.data + d.offset + offset
