"""Building third-party C projects to BPF objects, as the DOOM and Lua examples do.

Sources come from a PyPI sdist (never from this repository) and each file compiles with
``bpfvm cc`` to ``BUILD/obj/NAME.o``.  An object is rebuilt only when its key changed: the
SHA-256 of what every object depends on (``common``: the toolchain's fingerprint with the flags,
the headers) and the file's own bytes, kept beside it in ``NAME.key``.  A build directory is
locked while it is written, so parallel test workers wait for each other instead of racing.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import fcntl
import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from ..errors import BpfError

__all__ = ["Progress", "compile_objects", "inputs_digest", "is_fresh", "locked", "object_key"]

#: ``progress(done, total, name)`` after each file.
Progress = Callable[[int, int, str], None]


@contextlib.contextmanager
def locked(build_dir: Path) -> Iterator[None]:
    """Hold the build directory's lock: concurrent builds (test workers) wait for each other."""
    build_dir.mkdir(parents=True, exist_ok=True)
    with open(build_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def inputs_digest(flags: Sequence[str], headers: Sequence[Path]) -> str:
    """What every object depends on besides its own source: the toolchain with ``flags``
    (:func:`~bpfvm.cc.fingerprint`) and the bytes of ``headers`` (in the order given)."""
    from ..cc import fingerprint

    h = hashlib.sha256(fingerprint(flags).encode())
    for path in headers:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def object_key(source: Path, common: str) -> str:
    """The key of ``source``'s object: ``common`` and the source's bytes."""
    return hashlib.sha256(common.encode() + source.read_bytes()).hexdigest()


def is_fresh(source: Path, output: Path, common: str) -> bool:
    """Whether ``output`` was built from this ``source`` with these common inputs."""
    stamp = output.with_suffix(".key")
    return output.exists() and stamp.exists() and stamp.read_text() == object_key(source, common)


def _compile(source: Path, output: Path, flags: Sequence[str], common: str, error: type[BpfError]) -> None:
    from ..cc import CompileError, compile_c

    try:
        compile_c(source, output=output, flags=flags)
    except CompileError as exc:
        raise error(f"compiling {source.name} for BPF failed:\n{exc.stderr.strip()}") from None
    output.with_suffix(".key").write_text(object_key(source, common))


def compile_objects(files: Sequence[Path], obj: Path, flags: Sequence[str], common: str, *,
                    error: type[BpfError], jobs: int | None = None,
                    progress: Progress | None = None) -> list[Path]:
    """Compile ``files`` to ``obj/STEM.o`` (those not fresh), ``jobs`` compilers at once
    (default: the CPU count); return the objects in the order of ``files``.

    Raises ``error`` (a :class:`~bpfvm.errors.BpfError` subclass) naming the file that failed.
    """
    obj.mkdir(parents=True, exist_ok=True)
    outputs = [obj / f"{f.stem}.o" for f in files]
    todo = [(f, o) for f, o in zip(files, outputs, strict=True) if not is_fresh(f, o, common)]
    done = len(files) - len(todo)
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        futures = {pool.submit(_compile, f, o, flags, common, error): f for f, o in todo}
        for future in concurrent.futures.as_completed(futures):
            future.result()
            done += 1
            if progress is not None:
                progress(done, len(files), futures[future].name)
    return outputs
