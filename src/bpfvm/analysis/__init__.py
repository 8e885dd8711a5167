"""Range analysis shared by the verifier and the JIT: tnums and scalar bounds (the kernel's lattice).

* :mod:`.tnum` — :class:`Tnum`, known bits of a 64-bit value (``kernel/bpf/tnum.c``).
* :mod:`.scalar` — :class:`Scalar`, a tnum plus signed/unsigned 64/32-bit bounds and
  ``reg_bounds_sync``.
* :mod:`.alu` — the ALU transfer functions (``adjust_scalar_min_max_vals``).
* :mod:`.branch` — conditional jumps: ``is_branch_taken`` and the refinement of both
  outcomes (``reg_set_min_max``).

Nothing here knows about registers, pointers or programs: the verifier and the JIT build on it.
"""

from .alu import TRACKED_OPS, safe_to_compute, scalar_alu, scalar_end, tnum_bswap
from .branch import branch_taken, flip, refine
from .scalar import S32_MAX, S32_MIN, S64_MAX, S64_MIN, Scalar, s32, s64
from .tnum import M32, M64, UNKNOWN, Tnum, const, trange

__all__ = [
    "M32",
    "M64",
    "S32_MAX",
    "S32_MIN",
    "S64_MAX",
    "S64_MIN",
    "TRACKED_OPS",
    "UNKNOWN",
    "Scalar",
    "Tnum",
    "branch_taken",
    "const",
    "flip",
    "refine",
    "s32",
    "s64",
    "safe_to_compute",
    "scalar_alu",
    "scalar_end",
    "tnum_bswap",
    "trange",
]
