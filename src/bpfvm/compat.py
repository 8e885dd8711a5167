"""The seed project's Pythonic interface, kept working on top of :class:`~bpfvm.VM`::

    from bpfvm import BpfVm
    vm = BpfVm()
    def get(regs, vm):
        print(f"Intrinsic 'get' called at {vm.pc}")
        return 3
    vm.intrinsics.get = get
    vm.intrinsics.add = lambda reg: reg[1] + reg[2]
    vm.execute_program("math.o")        # begin() { return add(2,3) * get(); }
    print(f"{vm.regs=}")                # r0 == 15

Registers r1..r5 set in :attr:`BpfVm.regs` before :meth:`~BpfVm.execute_program` are the
arguments; afterwards ``regs[0]`` holds the result.  The entry is ``main`` if the object has
one, else ``begin``, else its first function.
"""

from __future__ import annotations

import os
from typing import Any

from .program import Program
from .vm import VM

__all__ = ["BpfVm"]


class BpfVm:
    """A VM with the seed's interface: ``intrinsics`` by attribute, ``regs`` as a list."""

    def __init__(self, **options: Any) -> None:
        self.vm = VM(**options)
        self.intrinsics = self.vm.intrinsics
        self.regs: list[int] = [0] * 11

    @property
    def pc(self) -> int:
        """pc of the current (or last) intrinsic call."""
        return self.vm.pc

    @property
    def memory(self) -> Any:
        """Guest memory (see :class:`bpfvm.memory.Memory`)."""
        return self.vm.memory

    def execute_program(self, program: str | os.PathLike[str] | bytes | Program,
                        entry: str | None = None) -> int:
        """Load (if needed) and run ``program`` with r1..r5 from :attr:`regs`; return r0."""
        from .elf import load

        prog = program if isinstance(program, Program) else load(program)
        if entry is None:
            entry = next((n for n in ("main", "begin") if n in prog.functions), prog.entry)
        r0 = self.vm.run(prog, *self.regs[1:6], entry=entry)
        self.regs[0] = r0
        return r0
