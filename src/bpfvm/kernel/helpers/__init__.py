"""The kernel's BPF helpers: one table, prototypes, and bpfvm's implementations.

The table (read it, never spell a helper id elsewhere)::

    from bpfvm.kernel.helpers import HELPERS, helper, ArgType, RetType, TypeFlag

    h = HELPERS[1]                      # or helper("bpf_map_lookup_elem"), helper("map_lookup_elem")
    h.id, h.name                        # 1, "bpf_map_lookup_elem"
    h.proto.ret                         # Ret(type=RetType.PTR_TO_MAP_VALUE, flags=TypeFlag.PTR_MAYBE_NULL)
    [a.type for a in h.proto.args]      # [ArgType.CONST_MAP_PTR, ArgType.PTR_TO_MAP_KEY]
    h.proto.args[3].flags, .size, .btf  # modifier bits (MEM_RDONLY, MEM_UNINIT|MEM_WRITE …),
                                        # MEM_FIXED_SIZE byte size, BTF type name of BTF_ID args
    h.gpl_only                          # refused for a non-GPL ``license`` section
    h.program_types                     # frozenset of BPF_PROG_TYPE_* names without prefix
    h.allowed_in("XDP"), h.implemented  # bools

* Prototypes (:mod:`.prototypes`, :mod:`.proto`): the kernel's ``struct bpf_func_proto``:
  ``ret_type`` as :class:`Ret` (:class:`RetType` + :class:`TypeFlag`), ``argN_type`` as
  :class:`Arg`; the argument count is ``len(proto.args)`` (the kernel's trailing
  ``ARG_DONTCARE`` are left out).  ``ARG_PTR_TO_UNINIT_MEM`` reads as ``PTR_TO_MEM`` with
  ``MEM_UNINIT | MEM_WRITE``, ``..._OR_NULL`` as ``PTR_MAYBE_NULL``, as in include/linux/bpf.h.
* ``gpl_only`` and ``program_types`` come from the running kernel's verifier
  (:mod:`.probe`, regenerated into :mod:`.availability`).  Exception: ``bpf_get_stackid`` is
  GPL-only except in PERF_EVENT programs (the kernel has a second proto there).
* All 211 helpers of the uapi are in the table; those bpfvm does not implement have
  ``impl=None`` and a program that calls one is refused at load
  (:class:`~bpfvm.errors.ProgramError` naming id, name and instruction index).

Running helpers: every VM has a :class:`~.env.KernelEnv` (``vm.kernel``: clock, simulated task,
CPU, random state, trace log, registered host buffers, timers, recorded signals) that
implementations receive as their first argument; ``vm.helpers[id] = fn`` still overrides any
helper by id with a plain ``fn(r1, …, r5)``.  Kfuncs (``bpf_iter_num_new`` …) bind by name to
calls of undefined symbols, like intrinsics (:data:`KFUNCS`).
"""

from __future__ import annotations

from .proto import Arg, ArgType, Proto, Ret, RetType, TypeFlag
from .registry import KFUNCS
from .table import BY_NAME, HELPERS, PROGRAM_TYPES, Helper, helper

__all__ = ["BY_NAME", "HELPERS", "KFUNCS", "PROGRAM_TYPES", "Arg", "ArgType", "Helper", "Proto", "Ret",
           "RetType", "TypeFlag", "helper"]
