"""Time helpers: ``bpf_ktime_get_ns`` / ``_boot_ns`` / ``_coarse_ns`` / ``_tai_ns`` and
``bpf_jiffies64`` (kernel/bpf/helpers.c), read from the VM's clock (:mod:`..env`)."""

from __future__ import annotations

from ..env import KernelEnv
from ..registry import implements

__all__: list[str] = []


@implements("bpf_ktime_get_ns")
def ktime_get_ns(env: KernelEnv) -> int:
    """CLOCK_MONOTONIC in ns."""
    return env.clock.monotonic_ns()


@implements("bpf_ktime_get_boot_ns")
def ktime_get_boot_ns(env: KernelEnv) -> int:
    """CLOCK_BOOTTIME in ns."""
    return env.clock.boot_ns()


@implements("bpf_ktime_get_coarse_ns")
def ktime_get_coarse_ns(env: KernelEnv) -> int:
    """CLOCK_MONOTONIC_COARSE in ns."""
    return env.clock.coarse_ns()


@implements("bpf_ktime_get_tai_ns")
def ktime_get_tai_ns(env: KernelEnv) -> int:
    """CLOCK_TAI in ns."""
    return env.clock.tai_ns()


@implements("bpf_jiffies64")
def jiffies64(env: KernelEnv) -> int:
    """jiffies_64."""
    return env.jiffies()
