"""The filters' C programs (``c/*.c``), compiled to BPF on first use and cached by content hash.

The key of an object is a SHA-256 of every source and header in ``c/`` together with the
toolchain's :func:`~bpfvm.cc.fingerprint`, so an edit to any of them (or to the flags, the
headers, the IR rewriting or clang) rebuilds; objects live in ``image-<key>/`` under the cache
root (:func:`bpfvm.cache.root`) and are written atomically, so concurrent processes
(pytest-xdist) may share the cache.  If the cache cannot be written, programs are compiled in
memory each time.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from pathlib import Path

from ...cache import root
from ...cc import compile_c, fingerprint
from ...elf import load
from ...program import Program

__all__ = ["ENTRY", "FRAME_SIZE", "SOURCES", "cache_dir", "object_path", "program", "source_key"]

#: The C sources and the shared header ``farbfeld.h``.
SOURCES = Path(__file__).with_name("c")

#: The function every filter program exports.
ENTRY = "filter"

#: Stack frame size the programs are compiled for (and their VMs run with): they need little.
FRAME_SIZE = 512


@functools.cache
def source_key() -> str:
    """Hex digest of the sources, headers, the toolchain and the frame size (the cache key)."""
    digest = hashlib.sha256(fingerprint([f"stack={FRAME_SIZE}"]).encode())
    for path in sorted(SOURCES.glob("*.[ch]")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def cache_dir() -> Path:
    """Where compiled objects are kept (see the module docstring)."""
    return root() / f"image-{source_key()}"


def object_path(name: str) -> Path:
    """The BPF object of program ``name`` (``c/NAME.c``), compiled now if not cached."""
    target = cache_dir() / f"{name}.o"
    if target.exists():
        return target
    source = SOURCES / f"{name}.c"
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, scratch = tempfile.mkstemp(suffix=".o", dir=target.parent)
    os.close(fd)
    try:
        compile_c(source, output=Path(scratch), stack_size=FRAME_SIZE)
        os.replace(scratch, target)
    finally:
        if os.path.exists(scratch):
            os.unlink(scratch)
    return target


@functools.cache
def program(name: str) -> Program:
    """The loaded :class:`~bpfvm.program.Program` of ``c/NAME.c`` (once per process).

    Raises :class:`~bpfvm.cc.CompileError` if it does not compile.
    """
    try:
        data = object_path(name).read_bytes()
    except OSError:  # no writable cache: compile into a temporary directory
        with tempfile.TemporaryDirectory(prefix="bpfvm-image-") as tmp:
            obj = compile_c(SOURCES / f"{name}.c", output=Path(tmp) / f"{name}.o", stack_size=FRAME_SIZE)
            data = obj.read_bytes()
    return load(data, name=f"{name}.c")
