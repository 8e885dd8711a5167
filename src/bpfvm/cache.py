"""Where bpfvm keeps what it builds between processes (JIT objects, example programs, DOOM).

One root for every cache: ``$BPFVM_CACHE_DIR``, else ``$XDG_CACHE_HOME/bpfvm``, else
``~/.cache/bpfvm``.  Each user of it takes a subdirectory (``jit/``, ``image-<key>/``, ``doom/``).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["root"]


def root() -> Path:
    """The cache root (see the module docstring); not created here."""
    explicit = os.environ.get("BPFVM_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "bpfvm"
