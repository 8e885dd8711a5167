"""Reading memory the program does not own: ``bpf_probe_read_{kernel,user}[_str]``, the legacy
``bpf_probe_read[_str]``, ``bpf_copy_from_user`` (kernel/trace/bpf_trace.c, kernel/bpf/helpers.c)
and ``bpf_kptr_xchg``.

"Kernel" memory is guest memory plus the host buffers registered with ``vm.kernel.map_kernel``;
"user" memory is only what ``vm.kernel.map_user`` registered.  As in the kernel, a failed read
zeroes the destination and returns -EFAULT; the ``_str`` variants copy up to ``size - 1`` bytes
and a NUL and return the length copied including the NUL.  The legacy helpers read user memory
where it is registered, else kernel memory (x86's bpf_probe_read_compat).
"""

from __future__ import annotations

import errno
from collections.abc import Callable

from ..env import KernelEnv
from ..registry import implements

__all__: list[str] = []

Reader = Callable[[int, int], "bytes | None"]


def _copy(env: KernelEnv, read: Reader, dst: int, size: int, src: int) -> int:
    size &= 0xFFFF_FFFF
    data = read(src, size) if size else b""
    if data is None:
        env.memory.write(dst, bytes(size))
        return -errno.EFAULT
    env.memory.write(dst, data)
    return 0


def _copy_str(env: KernelEnv, read: Reader, dst: int, size: int, src: int) -> int:
    size &= 0xFFFF_FFFF
    if not size:
        return 0
    out = bytearray()
    while len(out) < size - 1:
        byte = read(src + len(out), 1)
        if byte is None:
            env.memory.write(dst, bytes(size))
            return -errno.EFAULT
        if byte == b"\0":
            break
        out += byte
    env.memory.write(dst, bytes(out) + b"\0")
    return len(out) + 1


def _compat(env: KernelEnv) -> Reader:
    def read(address: int, size: int) -> bytes | None:
        found = env.read_user(address, size)
        return found if found is not None else env.read_kernel(address, size)
    return read


@implements("bpf_probe_read_kernel")
def probe_read_kernel(env: KernelEnv, dst: int, size: int, src: int) -> int:
    """Copy ``size`` bytes of kernel memory; 0 or -EFAULT."""
    return _copy(env, env.read_kernel, dst, size, src)


@implements("bpf_probe_read_user")
def probe_read_user(env: KernelEnv, dst: int, size: int, src: int) -> int:
    """Copy ``size`` bytes of user memory; 0 or -EFAULT."""
    return _copy(env, env.read_user, dst, size, src)


@implements("bpf_probe_read_kernel_str")
def probe_read_kernel_str(env: KernelEnv, dst: int, size: int, src: int) -> int:
    """Copy a kernel string; its length with the NUL, or -EFAULT."""
    return _copy_str(env, env.read_kernel, dst, size, src)


@implements("bpf_probe_read_user_str")
def probe_read_user_str(env: KernelEnv, dst: int, size: int, src: int) -> int:
    """Copy a user string; its length with the NUL, or -EFAULT."""
    return _copy_str(env, env.read_user, dst, size, src)


@implements("bpf_probe_read")
def probe_read(env: KernelEnv, dst: int, size: int, src: int) -> int:
    """Legacy probe read (user memory where registered, else kernel memory)."""
    return _copy(env, _compat(env), dst, size, src)


@implements("bpf_probe_read_str")
def probe_read_str(env: KernelEnv, dst: int, size: int, src: int) -> int:
    """Legacy string probe read."""
    return _copy_str(env, _compat(env), dst, size, src)


@implements("bpf_copy_from_user")
def copy_from_user(env: KernelEnv, dst: int, size: int, src: int) -> int:
    """Copy ``size`` bytes of user memory (a sleepable program's helper); 0 or -EFAULT."""
    return _copy(env, env.read_user, dst, size, src)


@implements("bpf_kptr_xchg")
def kptr_xchg(env: KernelEnv, field: int, ptr: int) -> int:
    """Store ``ptr`` in the kptr field at ``field``; return the pointer it held."""
    old = env.memory.load(field, 8)
    env.memory.store(field, 8, ptr)
    return old
