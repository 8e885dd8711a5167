"""The current task and CPU: pid/tgid, uid/gid, comm, task pointer, CPU and NUMA ids, prandom,
signals and stacks (kernel/bpf/helpers.c, kernel/trace/bpf_trace.c, kernel/bpf/stackmap.c),
answered from the VM's simulated task (:class:`..env.Task`)."""

from __future__ import annotations

import errno

from ..env import KernelEnv, Signal
from ..registry import implements

__all__ = ["TASK_STRUCT_SIZE", "task_address"]

#: Bytes of the zeroed stand-in ``task_struct`` bpf_get_current_task points to.
TASK_STRUCT_SIZE = 4096
#: _NSIG: the largest valid signal number.
_NSIG = 64
#: bpf_get_stack flags: BPF_F_SKIP_FIELD_MASK, BPF_F_USER_STACK, BPF_F_USER_BUILD_ID.
_SKIP_MASK, _USER_STACK, _USER_BUILD_ID = 0xFF, 1 << 8, 1 << 11
#: sizeof(struct bpf_stack_build_id); BPF_STACK_BUILD_ID_IP.
_BUILD_ID_SIZE, _BUILD_ID_IP = 32, 2


def task_address(env: KernelEnv) -> int:
    """Guest address of the current task's (zeroed, read-only) ``task_struct`` stand-in."""
    region = env.state.get("task_struct")
    if region is None or region not in env.memory.regions:
        region = env.memory.map("task_struct", TASK_STRUCT_SIZE, writable=False)
        env.state["task_struct"] = region
    return int(region.base)


@implements("bpf_get_current_pid_tgid")
def get_current_pid_tgid(env: KernelEnv) -> int:
    """``tgid << 32 | pid``."""
    return (env.task.tgid << 32) | (env.task.pid & 0xFFFF_FFFF)


@implements("bpf_get_current_uid_gid")
def get_current_uid_gid(env: KernelEnv) -> int:
    """``gid << 32 | uid``."""
    return (env.task.gid << 32) | (env.task.uid & 0xFFFF_FFFF)


@implements("bpf_get_current_comm")
def get_current_comm(env: KernelEnv, buf: int, size: int) -> int:
    """Copy comm into ``buf`` NUL-terminated and zero-padded (strscpy_pad); 0."""
    size &= 0xFFFF_FFFF
    comm = env.task.comm[:15][:max(size - 1, 0)]
    env.memory.write(buf, comm.ljust(size, b"\0"))
    return 0


@implements("bpf_get_current_task")
def get_current_task(env: KernelEnv) -> int:
    """The current task_struct's address."""
    return task_address(env)


@implements("bpf_get_current_task_btf")
def get_current_task_btf(env: KernelEnv) -> int:
    """The current task_struct's address (a trusted BTF pointer)."""
    return task_address(env)


@implements("bpf_get_smp_processor_id")
def get_smp_processor_id(env: KernelEnv) -> int:
    """The simulated CPU."""
    return env.cpu


@implements("bpf_get_numa_node_id")
def get_numa_node_id(env: KernelEnv) -> int:
    """The simulated NUMA node."""
    return env.numa_node


@implements("bpf_get_prandom_u32")
def get_prandom_u32(env: KernelEnv) -> int:
    """32 random bits from the VM's (seedable) generator."""
    return env.random.getrandbits(32)


def _signal(env: KernelEnv, sig: int, thread: bool) -> int:
    sig &= 0xFFFF_FFFF
    if sig > _NSIG:
        return -errno.EINVAL
    env.signals.append(Signal(sig, env.task.pid if thread else env.task.tgid, thread))
    return 0


@implements("bpf_send_signal")
def send_signal(env: KernelEnv, sig: int) -> int:
    """Record ``sig`` for the current process; -EINVAL past _NSIG."""
    return _signal(env, sig, False)


@implements("bpf_send_signal_thread")
def send_signal_thread(env: KernelEnv, sig: int) -> int:
    """Record ``sig`` for the current thread; -EINVAL past _NSIG."""
    return _signal(env, sig, True)


def _stack_bytes(ips: list[int], build_id: bool) -> bytes:
    if not build_id:
        return b"".join(ip.to_bytes(8, "little") for ip in ips)
    return b"".join(_BUILD_ID_IP.to_bytes(4, "little") + bytes(20) + ip.to_bytes(8, "little") for ip in ips)


@implements("bpf_get_stack")
def get_stack(env: KernelEnv, ctx: int, buf: int, size: int, flags: int) -> int:
    """Copy the configured kernel (or, with BPF_F_USER_STACK, user) stack into ``buf``; the
    bytes copied (the rest is zeroed), -EINVAL for bad flags or size, -EFAULT for a skip past
    the stack's end."""
    size &= 0xFFFF_FFFF
    user, build_id = bool(flags & _USER_STACK), bool(flags & _USER_BUILD_ID)
    elem = _BUILD_ID_SIZE if build_id else 8
    if flags & ~(_SKIP_MASK | _USER_STACK | _USER_BUILD_ID) or (build_id and not user) or size % elem:
        return _fail(env, buf, size, -errno.EINVAL)
    ips = env.user_stack if user else env.kernel_stack
    skip = flags & _SKIP_MASK
    if skip > len(ips):
        return _fail(env, buf, size, -errno.EFAULT)
    data = _stack_bytes(ips[skip:], build_id)[:size]
    if size:
        env.memory.write(buf, data.ljust(size, b"\0"))
    return len(data)


def _fail(env: KernelEnv, buf: int, size: int, err: int) -> int:
    if size:
        env.memory.write(buf, bytes(size))
    return err
