"""bpfvm's implementations of kernel helpers and kfuncs, one module per family (importing this
package registers them all in :mod:`..registry`)."""

from . import clock, dynptr, kfuncs, lock, loop, maps, packet, printf, probe, strings, tail_call, task, timer

__all__ = ["clock", "dynptr", "kfuncs", "lock", "loop", "maps", "packet", "printf", "probe", "strings",
           "tail_call", "task", "timer"]
