"""DOOM on bpfvm: doomgeneric compiled to BPF, unmodified, and run by the JIT.

The game's sources are not part of bpfvm: :func:`fetch` downloads the ``cydoomgeneric`` 0.1.0
sdist from PyPI (it carries doomgeneric, a portable DOOM) into a build directory and checks its
SHA-256.  :func:`build` compiles each of its 80 C files, and bpfvm's platform layer
(``c/doomgeneric_bpfvm.c``), with ``bpfvm cc`` to one BPF object each — no file is changed —
and :func:`load` links them into one Program (:mod:`bpfvm.linker`).

The platform layer reaches the host through five intrinsics (``c/doom_host.h``), which
:class:`Host` provides: frames, a clock, sleeping, key events and the window title.  A Host
with the *virtual* clock is deterministic — time moves only when DOOM sleeps, there is no
input — so the same WAD gives the same frames on every run and in the native reference build
(:func:`build_native`, gcc with ``c/doom_host_native.c``), which the tests compare pixel for
pixel.  With the *real* clock DOOM runs in real time (the window, ``-timedemo``).

``bpfvm doom`` (:mod:`bpfvm.cli.doom`) is the command line: a pygame window, headless
PNG/GIF frames, timedemo.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...cache import root
from ...errors import BpfError
from ..build import compile_objects, inputs_digest, locked

if TYPE_CHECKING:
    import numpy as np

    from ...program import Program
    from ...vm import VM

__all__ = [
    "DEFINES", "HEIGHT", "SDIST", "SDIST_SHA256", "TICRATE", "WIDTH", "DoomError", "Host", "build",
    "build_native", "default_build_dir", "fetch", "find_wad", "load", "run", "sources",
]

#: The PyPI source distribution that carries doomgeneric, and its digest.
SDIST = "cydoomgeneric==0.1.0"
SDIST_SHA256 = "b6d59939d06354f8afb61dcb760bf856423b308c7ae0c0f9781fbd174b2b0d72"
#: The defines cydoomgeneric's own setup.py builds doomgeneric with on Linux.
DEFINES: tuple[str, ...] = ("-DNORMALUNIX", "-DLINUX", "-D_DEFAULT_SOURCE")
#: The frame DOOM renders (its own resolution: the host scales it).
WIDTH, HEIGHT = 320, 200
#: Game tics per second.
TICRATE = 35
#: bpfvm's platform layer and host interface.
PLATFORM = Path(__file__).with_name("c")
_WADS = (Path("/usr/share/games/doom/freedoom1.wad"), Path("/usr/share/games/doom/freedoom2.wad"))


class DoomError(BpfError):
    """DOOM cannot be built or started: no sources, a bad WAD, a failed compile."""


def default_build_dir() -> Path:
    """``$BPFVM_DOOM_BUILD``, else ``doom/`` under the cache root (:func:`bpfvm.cache.root`)."""
    env = os.environ.get("BPFVM_DOOM_BUILD")
    return Path(env) if env else root() / "doom"


# ---------------------------------------------------------------- sources and build

def fetch(build_dir: Path | None = None) -> Path:
    """Download and unpack doomgeneric (once); return the directory holding its C files.

    Runs ``pip download --no-deps --no-binary :all: --no-build-isolation`` (its metadata step
    needs numpy, Cython, setuptools and wheel in this environment) and checks the archive's
    SHA-256 before unpacking only ``doomgeneric/*.c|h``.  Raises :class:`DoomError`.
    """
    build_dir = build_dir or default_build_dir()
    src = build_dir / "src" / "doomgeneric"
    if (src / ".complete").exists():
        return src
    with locked(build_dir):
        if not (src / ".complete").exists():
            _unpack(build_dir, src)
    return src


def _unpack(build_dir: Path, src: Path) -> None:
    download = build_dir / "download"
    download.mkdir(parents=True, exist_ok=True)
    archive = _download(download)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != SDIST_SHA256:
        raise DoomError(f"{archive}: SHA-256 {digest} is not that of {SDIST} ({SDIST_SHA256})")
    src.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            parts = Path(member.name).parts
            if len(parts) == 3 and parts[1] == "doomgeneric" and member.isfile() and \
                    member.name.endswith((".c", ".h")):
                data = tar.extractfile(member)
                if data is not None:
                    (src / parts[2]).write_bytes(data.read())
    (src / ".complete").write_text(SDIST + "\n")


def _download(directory: Path) -> Path:
    existing = sorted(directory.glob("cydoomgeneric-0.1.0.tar.gz"))
    if existing:
        return existing[0]
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
               "--no-build-isolation", SDIST, "-d", str(directory)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    found = sorted(directory.glob("cydoomgeneric-0.1.0.tar.gz"))
    if result.returncode or not found:
        raise DoomError(f"cannot download {SDIST} with pip:\n{result.stderr.strip()}")
    return found[0]


def sources(src: Path) -> list[Path]:
    """The C files of the game: all of doomgeneric's, then bpfvm's platform layer."""
    files = sorted(src.glob("*.c"))
    if len(files) < 80:
        raise DoomError(f"{src}: expected doomgeneric's 80 C files, found {len(files)}")
    return [*files, PLATFORM / "doomgeneric_bpfvm.c"]


def _flags(src: Path) -> list[str]:
    return [*DEFINES, "-I", str(src), "-I", str(PLATFORM), "-Wno-everything"]


def build(build_dir: Path | None = None, *, jobs: int | None = None,
          progress: Callable[[int, int, str], None] | None = None) -> list[Path]:
    """Compile every C file of the game to a BPF object (``BUILD/obj/NAME.o``); return them.

    An object is rebuilt only when its source, the headers, the flags or bpfvm's toolchain
    changed.  ``jobs`` compilers run at once (default: the CPU count); ``progress(done,
    total, name)`` is called after each file.  Raises :class:`DoomError` naming the file.
    """
    src = fetch(build_dir)
    build_dir = build_dir or default_build_dir()
    with locked(build_dir):
        flags = _flags(src)
        common = inputs_digest(flags, [*sorted(src.glob("*.h")), *sorted(PLATFORM.glob("*.h"))])
        return compile_objects(sources(src), build_dir / "obj", flags, common, error=DoomError, jobs=jobs,
                               progress=progress)


def load(build_dir: Path | None = None, *, jobs: int | None = None,
         progress: Callable[[int, int, str], None] | None = None) -> Program:
    """Build (if needed) and link the game into one Program named ``doom``."""
    from ...elf import load as load_object
    from ...linker import link_programs

    objects = build(build_dir, jobs=jobs, progress=progress)
    return link_programs([load_object(o, name=o.name) for o in objects], name="doom")


def build_native(build_dir: Path | None = None) -> Path:
    """The native reference build: the same C files with gcc -O2 and ``doom_host_native.c``.

    Returns the executable (``BUILD/doom.native``; rebuilt when a source changed).  It renders
    frame ``$DOOM_FRAMES`` into ``$DOOM_OUT`` (raw XRGB8888) and stops.  Raises
    :class:`DoomError` if gcc fails.
    """
    src = fetch(build_dir)
    build_dir = build_dir or default_build_dir()
    with locked(build_dir):
        return _build_native(src, build_dir)


def _build_native(src: Path, build_dir: Path) -> Path:
    exe = build_dir / "doom.native"
    files = [*sources(src), PLATFORM / "doom_host_native.c"]
    key = hashlib.sha256(b"".join(f.read_bytes() for f in [*files, *sorted(src.glob("*.h"))])).hexdigest()
    stamp = exe.with_suffix(".key")
    if exe.exists() and stamp.exists() and stamp.read_text() == key:
        return exe
    command = ["gcc", "-O2", "-w", *DEFINES, "-I", str(src), "-I", str(PLATFORM), "-o", str(exe),
               *map(str, files), "-lm"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode:
        raise DoomError(f"native build with gcc failed:\n{result.stderr.strip()}")
    stamp.write_text(key)
    return exe


# ---------------------------------------------------------------- the WAD

def find_wad(wad: str | os.PathLike[str] | None = None) -> Path:
    """The IWAD to play: ``wad``, else Freedoom from the Debian package ``freedoom``.

    Raises :class:`DoomError` if the file is missing or is not a WAD (its first four bytes
    must be ``IWAD`` or ``PWAD``).
    """
    if wad is None:
        found = next((w for w in _WADS if w.is_file()), None)
        if found is None:
            raise DoomError("no WAD given and Freedoom is not installed "
                            "(apt-get install freedoom, or pass --wad PATH)")
        return found
    path = Path(wad)
    try:
        with path.open("rb") as f:
            magic = f.read(12)
    except OSError as exc:
        raise DoomError(f"{path}: cannot read the WAD: {exc.strerror or exc}") from None
    if len(magic) < 12 or magic[:4] not in (b"IWAD", b"PWAD"):
        raise DoomError(f"{path}: not a WAD file (it must start with IWAD or PWAD)")
    return path.resolve()


# ---------------------------------------------------------------- the host

#: Called with each frame (height × width × 3 RGB, uint8) and its number (from 1); a true
#: result stops the game.
FrameHandler = Callable[["np.ndarray", int], Any]


@dataclass
class Host:
    """The host side of ``doom_host.h``: frames out, clock and keys in.

    ``clock="virtual"`` makes runs deterministic (time advances only by DOOM's sleeps, as in
    the native reference build); ``"real"`` uses the wall clock.  The game stops after
    ``frames`` frames, at the first frame drawn after ``tics`` game tics (if given), or when
    ``on_frame`` returns true.  ``keys`` returns pending key events as ``(pressed, doomkey)``
    pairs.  ``tic`` is the game tic of the last frame.
    """

    clock: str = "virtual"
    frames: int | None = None
    tics: int | None = None
    tic: int = 0
    on_frame: FrameHandler | None = None
    keys: Callable[[], Iterable[tuple[bool, int]]] | None = None
    title: str = ""
    count: int = 0
    last: Any = None  #: the last frame (ndarray), kept for the caller
    first_frame_time: float | None = None
    _virtual_ms: int = 0
    _start: float = field(default_factory=time.monotonic)
    _queue: list[int] = field(default_factory=list)

    def install(self, vm: VM) -> None:
        """Bind the five host calls as intrinsics of ``vm``."""
        vm.intrinsics["doom_host_frame"] = self._frame
        vm.intrinsics["doom_host_ticks_ms"] = self._ticks_ms
        vm.intrinsics["doom_host_sleep_ms"] = self._sleep_ms
        vm.intrinsics["doom_host_key"] = self._key
        vm.intrinsics["doom_host_title"] = self._title

    def _frame(self, vm: VM, pixels: int, width: int, height: int, tic: int) -> int:
        import numpy as np

        self.count += 1
        self.tic = tic
        if self.first_frame_time is None:
            self.first_frame_time = time.perf_counter()
        raw = np.frombuffer(vm.memory.read(pixels, width * height * 4), dtype=np.uint8)
        self.last = raw.reshape(height, width, 4)[:, :, 2::-1]  # XRGB8888 little-endian → RGB
        stop = bool(self.on_frame(self.last, self.count)) if self.on_frame is not None else False
        stop = stop or (self.frames is not None and self.count >= self.frames)
        return int(stop or (self.tics is not None and tic >= self.tics))

    def _ticks_ms(self) -> int:
        if self.clock == "virtual":
            return self._virtual_ms & 0xFFFF_FFFF
        return int((time.monotonic() - self._start) * 1000) & 0xFFFF_FFFF

    def _sleep_ms(self, ms: int) -> int:
        if self.clock == "virtual":
            self._virtual_ms += ms & 0xFFFF_FFFF
        else:
            time.sleep((ms & 0xFFFF_FFFF) / 1000)
        return 0

    def _key(self) -> int:
        if not self._queue and self.keys is not None:
            self._queue.extend((int(pressed) << 8) | (key & 0xFF) for pressed, key in self.keys())
        return self._queue.pop(0) if self._queue else -1

    def _title(self, vm: VM, title: int) -> int:
        self.title = vm.memory.cstring(title).decode(errors="replace")
        return 0


def run(wad: str | os.PathLike[str] | None = None, *, host: Host | None = None, engine: str = "jit",
        args: Sequence[str] = (), program: Program | None = None, build_dir: Path | None = None,
        vm_options: dict[str, Any] | None = None) -> int:
    """Run DOOM with ``host`` (default: virtual clock, no frame limit) and return its exit status.

    ``args`` are DOOM's own (``-playdemo demo1``, ``-timedemo demo1``, ``-warp 1 1`` …); the
    WAD's directory is the only one the game may read.  ``program`` defaults to :func:`load`.
    """
    from ...vm import VM

    path = find_wad(wad)
    program = program or load(build_dir)
    vm = VM(engine, fs={str(path.parent): str(path.parent)}, **(vm_options or {}))
    (host or Host()).install(vm)
    try:
        return vm.run_main(program, ["doom", "-iwad", str(path), *args])
    finally:
        vm.stdout.flush()
