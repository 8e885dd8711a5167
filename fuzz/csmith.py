"""C programs from csmith: interpreter ≡ JIT ≡ gcc, on the checksum each program prints.

csmith (Debian packages ``csmith`` and ``libcsmith-dev``) writes a random, UB-free C program
that prints ``checksum = X`` of its global state.  Each seed's program is built natively
(``gcc -O2``) and with ``bpfvm cc``, and run on both engines; the three outputs must match.
Programs gcc's build does not finish within :data:`NATIVE_TIMEOUT` are skipped (csmith can
write very long loops), as are engine runs that hit the VM's ``timeout`` (counted, not compared:
a TIMEOUT trap is the limit working).  Everything else that differs is a finding.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from .targets import Result, unexpected

__all__ = ["CSMITH_INCLUDE", "NATIVE_TIMEOUT", "available", "check"]

CSMITH_INCLUDE = "/usr/include/csmith"
NATIVE_TIMEOUT = 5.0
#: Wall-clock limit of one engine run (the interpreter is ~50x slower than native code).
VM_TIMEOUT = 60.0
OPTIONS = ["--max-funcs", "6", "--max-block-depth", "4", "--no-packed-struct"]


def available() -> str | None:
    """None if csmith, its headers and gcc are installed, else what is missing."""
    if shutil.which("csmith") is None:
        return "csmith not installed (Debian package csmith)"
    if not Path(CSMITH_INCLUDE, "csmith.h").exists():
        return "csmith.h not installed (Debian package libcsmith-dev)"
    if shutil.which("gcc") is None:
        return "gcc not installed"
    return None


def _native(source: Path, tmp: Path) -> bytes | None:
    exe = tmp / "native"
    subprocess.run(["gcc", "-O2", "-w", f"-I{CSMITH_INCLUDE}", str(source), "-o", str(exe)], check=True,
                   capture_output=True)
    try:
        done = subprocess.run([str(exe)], capture_output=True, timeout=NATIVE_TIMEOUT)
    except subprocess.TimeoutExpired:
        return None
    return done.stdout if done.returncode == 0 else None


def _engine(program: object, engine: str) -> bytes | str:
    from bpfvm import VM, TrapKind, VmTrap

    out = io.BytesIO()
    vm = VM(engine, stdout=out, stderr=io.BytesIO(), stdin=io.BytesIO(), timeout=VM_TIMEOUT, jit_cache=False)
    try:
        status = vm.run_main(program, ["csmith"])  # type: ignore[arg-type]
    except VmTrap as trap:
        if trap.kind is TrapKind.TIMEOUT:
            return "timeout"
        return f"trap: {trap}"
    finally:
        vm.memory.close()
    return out.getvalue() + (b"" if status == 0 else f"[exit {status}]".encode())


def check(seed: int) -> Result:
    """Generate csmith program ``seed`` and compare gcc, the interpreter and the JIT."""
    from bpfvm import BpfError, load
    from bpfvm.cc import compile_c

    result = Result(inputs=1)
    missing = available()
    if missing:
        result.findings.append(f"csmith seed {seed}: cannot run: {missing}")
        return result
    with tempfile.TemporaryDirectory(prefix="bpfvm-csmith-") as name:
        tmp = Path(name)
        source = tmp / f"csmith-{seed}.c"
        source.write_bytes(subprocess.run(["csmith", "--seed", str(seed), *OPTIONS], check=True, cwd=tmp,
                                          capture_output=True).stdout)  # cwd: its platform.info
        native = _native(source, tmp)
        if native is None:
            result.count("native-timeout")
            return result
        try:
            program = load(compile_c(source, output=tmp / "prog.o", flags=["-w", f"-I{CSMITH_INCLUDE}"]))
        except BpfError as err:
            result.findings.append(f"csmith seed {seed}: bpfvm cc or load failed: {err}")
            return result
        for engine in ("interpreter", "jit"):
            try:
                got = _engine(program, engine)
            except Exception as exc:
                result.findings.append(unexpected(f"csmith seed {seed} {engine}", exc))
                continue
            result.runs += 1
            if got == "timeout":
                result.count(f"{engine}-timeout")
            elif got != native:
                result.findings.append(f"csmith seed {seed} {engine}: {got!r} != gcc {native!r} "
                                       f"(csmith {' '.join(OPTIONS)} --seed {seed})")
            else:
                result.count(f"{engine}-agrees")
    return result
