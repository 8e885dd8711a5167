"""``bpf_tail_call`` (kernel/bpf/core.c ``JMP_TAIL_CALL``, arraymap.c prog arrays).

A successful tail call does not return: the helper raises :class:`TailCall` (a
:class:`~bpfvm.runtime.calls.ProgramExit`), which unwinds the running program; the VM then runs
the target with ``r1 = ctx`` on a fresh stack and the rest of the instruction budget, and its r0
is the result of the run.  It falls through (returns 0) when the index is past the prog array's
end, the slot is empty, or 33 tail calls (MAX_TAIL_CALL_CNT) already happened in this run.
Difference from the kernel: a tail call made from a BPF-to-BPF subprogram ends the whole
program (the kernel returns to the subprogram's caller).
"""

from __future__ import annotations

from typing import Any

from ....runtime.calls import ProgramExit
from ...maps.fd_array import ProgArray
from ..env import KernelEnv
from ..registry import implements

__all__ = ["MAX_TAIL_CALL_CNT", "TailCall"]

#: The kernel's limit on tail calls per run.
MAX_TAIL_CALL_CNT = 33


class TailCall(ProgramExit):
    """Raised by ``bpf_tail_call``: end the current program and run ``target`` with ``ctx``."""

    def __init__(self, target: Any, ctx: int) -> None:
        super().__init__(0)
        self.target = target
        self.ctx = ctx


@implements("bpf_tail_call")
def tail_call(env: KernelEnv, ctx: int, prog_array: int, index: int) -> int:
    """Jump to ``prog_array[index]`` (raises :class:`TailCall`), or fall through with 0."""
    binding = env.vm.map_space.binding(prog_array)
    if binding is None or not isinstance(binding.map, ProgArray):
        from ....errors import TrapKind, VmTrap

        raise VmTrap(TrapKind.HELPER_FAILED, -1, f"bpf_tail_call: r2 {prog_array:#x} is not a prog array")
    target = binding.map.get(index & 0xFFFF_FFFF)
    count = env.state.get("tail_calls", 0)
    if target is None or count >= MAX_TAIL_CALL_CNT:
        return 0
    env.state["tail_calls"] = count + 1
    raise TailCall(target, ctx)
