"""The JIT's switchable optimisations and the host facts code generation depends on.

Every optimisation is on by default; each is part of the compile cache key (see
:func:`fingerprint`), so object code made with one setting is never loaded under another.
Benchmarks switch them off to measure before and after in one run (``bench/suite.py
--baseline``).
"""

from __future__ import annotations

import functools

import llvmlite.binding as llvm

__all__ = ["OPTIMISATIONS", "avx", "enabled", "fingerprint", "host_cpu", "x86_nan_rules"]

#: name → on.  ``host_cpu``: generate code for this machine's CPU (its name and features, e.g.
#: AVX2), not a generic x86-64.  ``host_fp``: on a host whose FPU gives the results
#: :mod:`bpfvm.libc.softfloat` specifies (x86-64 SSE: the first NaN operand quieted, the default
#: NaN for an invalid operation), emit the hardware instruction itself instead of NaN selects.
#: ``loop_versioning``: prove the range checks of simple loops once on entry and run a copy
#: without them when they pass (:mod:`.loops`).
OPTIMISATIONS: dict[str, bool] = {"host_cpu": True, "host_fp": True, "loop_versioning": True}


def enabled(name: str) -> bool:
    """Whether optimisation ``name`` is on."""
    return OPTIMISATIONS[name]


@functools.cache
def _host() -> tuple[str, str]:
    llvm.initialize_native_target()
    return llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten()


def host_cpu() -> tuple[str, str]:
    """(CPU name, feature string) to generate code for: the host's, or generic ("", "")."""
    return _host() if enabled("host_cpu") else ("", "")


def avx() -> bool:
    """Whether generated code may use AVX (VEX) encodings."""
    return "+avx," in host_cpu()[1] + ","


def x86_nan_rules() -> bool:
    """Whether FP instructions may be emitted as they are: an x86-64 host, ``host_fp`` on."""
    return enabled("host_fp") and llvm.get_process_triple().startswith("x86_64")


def fingerprint() -> str:
    """What of the options and host generated code depends on (for the cache key)."""
    cpu, features = host_cpu()
    flags = ",".join(name for name, on in sorted(OPTIMISATIONS.items()) if on)
    return f"{flags}/{cpu}/{features}"
