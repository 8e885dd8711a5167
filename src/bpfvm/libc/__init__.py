"""bpfvm's C library: the functions of ``<string.h>``, ``<stdlib.h>``, ``<stdio.h>``,
``<ctype.h>``, ``<time.h>``, ``<math.h>`` (:mod:`.libm`), the scanf family (:mod:`.scanf`) and a
sliver of ``<unistd.h>``, ``<sys/stat.h>``, ``<fcntl.h>`` (:mod:`.posix`) as intrinsics, and the
IEEE-754 arithmetic the toolchain lowers ``float``/``double`` operations to (:mod:`.softfloat`),
for C programs built with the headers in ``bpfvm/include`` (see :mod:`bpfvm.cc`).

:data:`LIBC` maps each symbol name to its :class:`~bpfvm.runtime.intrinsics.Intrinsic`; a VM binds
a program's calls to undefined symbols to ``vm.intrinsics`` first, then to this table.  Each
function takes the VM as ``vm`` and its C arguments as 64-bit register values, and behaves as
glibc does for defined behaviour (see each module).  State that C keeps in hidden globals is per
VM (:mod:`.state`).
"""

from __future__ import annotations

from ..runtime.intrinsics import Intrinsic
from . import (  # noqa: F401 - they export
    alloca,
    ctype,
    errno,
    fd,
    libm,
    posix,
    scanf,
    setjmp,
    signal,
    softfloat,
    stdio,
    stdlib,
    string,
    time,
    unistd,
)
from .state import LibcState, Machine, exported, state
from .stdlib import finish

__all__ = ["LIBC", "LibcState", "Machine", "finish", "state"]

#: Every libc function, by the symbol name C code calls it by.
LIBC: dict[str, Intrinsic] = {name: Intrinsic.of(name, fn) for name, fn in sorted(exported().items())}
