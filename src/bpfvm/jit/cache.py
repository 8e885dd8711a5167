"""On-disk cache of the JIT's object code: compile a program once, load it in any process.

The key is a SHA-256 of everything that shapes the machine code: the linked instructions, the
function boundaries, the extern calls and which of them are lowered natively, the memory
:class:`~bpfvm.interpreter.codegen.Layout` baked into the code, the optimisation level, the
versions of bpfvm, llvmlite and LLVM, the host triple, CPU and features, and the source of
the code generator itself (so an edited lowering never meets stale code).  The value is a
relocatable object file: what it calls in this process — the host callback, libm — is
resolved by name when it is loaded (see :mod:`bpfvm.jit.engine`), never baked in.

Files live in ``$BPFVM_CACHE_DIR``, else ``$XDG_CACHE_HOME/bpfvm``, else ``~/.cache/bpfvm``;
``BPFVM_JIT_CACHE=0`` (or ``VM(jit_cache=False)``) turns the cache off; programs under
:data:`MIN_SLOTS` instruction slots are not cached.  Each file carries a
magic header and the SHA-256 of its object code: a damaged file is ignored (and rewritten),
never handed to the linker.  Write errors are ignored: the cache is an optimisation.  The cache
keeps at most ``$BPFVM_JIT_CACHE_MAX`` bytes (default :data:`MAX_BYTES`): a store that goes
beyond deletes the least recently used files (a hit refreshes a file's time).
"""

from __future__ import annotations

import collections
import functools
import hashlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import llvmlite
import llvmlite.binding as llvm

from ..cache import root
from ..isa import encode
from ..program import Program
from ..runtime.layout import Layout

__all__ = ["MAGIC", "MAX_BYTES", "MIN_SLOTS", "cache_dir", "enabled", "evict", "key", "load", "stats",
           "store"]

MAGIC = b"bpfvm-jit-object-1\n"
#: Smaller programs are not cached: they compile in milliseconds (and would crowd the cache).
MIN_SLOTS = 256
#: The default size limit of the cache: 512 MiB (DOOM's object is ~3 MiB).
MAX_BYTES = 512 << 20
#: Counters of this process: ``hits``, ``misses``, ``stores``, ``corrupt``, ``errors``, ``evicted``.
stats: collections.Counter[str] = collections.Counter()
#: Modules whose source shapes the generated code (hashed into every key).
_GENERATOR = ("jit/lower.py", "jit/native.py", "jit/engine.py", "interpreter/codegen.py",
              "isa/opcodes.py", "isa/insn.py", "isa/arith.py")
_OFF = ("0", "false", "no", "off")


def cache_dir() -> Path:
    """The directory cached objects are kept in (:func:`bpfvm.cache.root`)."""
    return root()


def enabled(option: bool | None, program: Program) -> bool:
    """Whether to cache ``program``: ``option`` if given, else the ``BPFVM_JIT_CACHE`` setting;
    never for programs under :data:`MIN_SLOTS` slots."""
    if len(program.insns) < MIN_SLOTS:
        return False
    if option is not None:
        return option
    return os.environ.get("BPFVM_JIT_CACHE", "1").strip().lower() not in _OFF


@functools.cache
def _environment() -> bytes:
    """What every key shares: versions, host, and the code generator's source."""
    from .. import __version__

    root = Path(__file__).resolve().parent.parent
    parts = [__version__, llvmlite.__version__, ".".join(map(str, llvm.llvm_version_info)),
             llvm.get_process_triple(), llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten()]
    digest = hashlib.sha256("\0".join(parts).encode())
    for name in _GENERATOR:
        path = root / name
        digest.update(path.read_bytes() if path.exists() else b"-")
    return digest.digest()


def key(program: Program, layout: Layout, natives: Mapping[int, str], options: str) -> str:
    """The cache key (hex) of ``program`` compiled for ``layout`` with ``options``."""
    digest = hashlib.sha256(_environment())
    digest.update(encode(program.insns))
    facts = (sorted((f.start, f.end) for f in program.functions.values()), sorted(program.externs.items()),
             sorted(natives.items()), layout, program.noreturn_tails, options)
    digest.update(repr(facts).encode())
    return digest.hexdigest()


def _path(name: str) -> Path:
    return cache_dir() / "jit" / name[:2] / f"{name[2:]}.o"


def load(name: str) -> bytes | None:
    """The object code cached under ``name``, or None (missing or damaged)."""
    try:
        data = _path(name).read_bytes()
    except OSError:
        stats["misses"] += 1
        return None
    head = len(MAGIC)
    payload = data[head + 32:]
    if data[:head] != MAGIC or hashlib.sha256(payload).digest() != data[head:head + 32] or not payload:
        stats["corrupt"] += 1
        stats["misses"] += 1
        return None
    stats["hits"] += 1
    try:
        os.utime(_path(name))  # recently used: kept longest by evict()
    except OSError:
        pass
    return payload


def store(name: str, obj: bytes) -> None:
    """Cache ``obj`` under ``name`` (atomically; errors are ignored)."""
    path = _path(name)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC + hashlib.sha256(obj).digest() + obj)
        os.replace(tmp, path)
    except OSError:
        stats["errors"] += 1
        return
    stats["stores"] += 1
    evict(_limit())


def _limit() -> int:
    try:
        return int(os.environ.get("BPFVM_JIT_CACHE_MAX", MAX_BYTES))
    except ValueError:
        return MAX_BYTES


def evict(limit: int) -> int:
    """Delete the least recently used cached objects until they take at most ``limit`` bytes;
    return how many were deleted."""
    files = []
    for path in (cache_dir() / "jit").glob("*/*.o"):
        try:
            info = path.stat()
        except OSError:
            continue
        files.append((info.st_mtime, info.st_size, path))
    total = sum(size for _, size, _ in files)
    deleted = 0
    for _, size, path in sorted(files, key=lambda f: f[0]):
        if total <= limit:
            break
        try:
            path.unlink()
        except OSError:
            continue
        total -= size
        deleted += 1
    if deleted:
        stats["evicted"] += deleted
    return deleted
