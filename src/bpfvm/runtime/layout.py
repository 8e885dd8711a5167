"""The memory facts that both engines specialise generated code for (engine-neutral)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Layout"]


@dataclass(frozen=True, slots=True)
class Layout:
    """The memory facts generated code is specialised for."""

    read_lo: int  #: lowest readable address
    write_lo: int  #: lowest writable address
    size: int  #: one past the highest address
    frame_size: int  #: bytes of stack per call frame
    max_depth: int  #: call frames allowed (frame 0 included)
    code_base: int  #: guest address of slot 0 (function addresses are code_base + 8*slot)
    #: Whether runs may have a finite instruction budget.  The JIT leaves out the paths that
    #: run a block up to the end of the budget when no run can ever reach that end (the VM
    #: has no ``max_instructions``): they double the code it compiles.
    bounded: bool = True
    #: Whether the JIT's loops check the budget slice at their heads, so that a long native run
    #: returns to Python regularly (timeouts, Ctrl-C).  Without it (``VM(interruptible=False)``)
    #: loops run as the kernel's JIT runs them: faster, stopped only by the budget.
    interruptible: bool = True
