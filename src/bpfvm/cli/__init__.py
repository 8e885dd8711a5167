"""The ``bpfvm`` command line: a thin argparse front over the library.

One module per command group registers its subcommands with :func:`~.base.command`; the
libraries below know nothing of this package.  A :class:`~bpfvm.errors.BpfError` or an
unreadable/unwritable file prints ``bpfvm: <message>`` on stderr and exits with status 1,
without a traceback.
"""

from . import asm as _asm  # noqa: F401  (registers asm, disasm)
from . import btf as _btf  # noqa: F401  (registers btf, skel)
from . import cc as _cc  # noqa: F401  (registers cc)
from . import debug as _debug  # noqa: F401  (registers debug)
from . import doom as _doom  # noqa: F401  (registers doom)
from . import filter as _filter  # noqa: F401  (registers filter, seccomp)
from . import image as _image  # noqa: F401  (registers image)
from . import link as _link  # noqa: F401  (registers link)
from . import lua as _lua  # noqa: F401  (registers lua)
from . import prog as _prog  # noqa: F401  (registers prog)
from . import run as _run  # noqa: F401  (registers run, jit)
from . import tracing as _tracing  # noqa: F401  (registers writesizes)
from . import verify as _verify  # noqa: F401  (registers verify)
from . import xdp as _xdp  # noqa: F401  (registers xdp, tc, socket)
from .base import Command, command, fs_grants, main
from .run import EXIT_TRAP

__all__ = ["EXIT_TRAP", "Command", "command", "fs_grants", "main"]
