"""Shared fixtures of the assembler/disassembler/ELF-reader tests.

The C and assembly fixtures in ``fixtures/`` are compiled once per session with the bundled
toolchain (``python -m ziglang cc -target bpfel-freestanding -mcpu=v4 -O2 -g``); the reference
disassembler is ``llvm-objdump-19`` (Debian package llvm-19), and tests that need it skip when it
is missing.  The conformance corpus is read from ``../shared/conformance`` beside the repository.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ..conftest import compile_fixture

FIXTURES = Path(__file__).parent / "fixtures"
CONFORMANCE = Path(__file__).resolve().parents[3] / "shared" / "conformance"


def compile_bpf(source: Path, output: Path) -> Path:
    """Compile (or assemble) ``source`` into a BPF object with the bundled clang."""
    return compile_fixture(source, output)


@pytest.fixture(scope="session")
def objects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every fixture (``*.c`` and ``*.s``) compiled once: name (``calls.c``) → object path."""
    out = tmp_path_factory.mktemp("objects")
    sources = sorted(FIXTURES.glob("*.c")) + sorted(FIXTURES.glob("*.s"))
    return {src.name: compile_bpf(src, out / f"{src.stem}.o") for src in sources}


@pytest.fixture(scope="session")
def conformance() -> Path:
    """The conformance corpus directory (skip if ../shared/conformance is absent)."""
    if not CONFORMANCE.is_dir():
        pytest.skip(f"conformance corpus not found at {CONFORMANCE}")
    return CONFORMANCE


# ---------------------------------------------------------------- conformance .data files

#: Section names of the ``.data`` test format (``-- name``); other ``-- x`` lines are content.
DATA_SECTIONS = ("asm", "raw", "result", "error", "error pattern", "mem", "c", "description", "no jit",
                 "no register offset", "pyelf", "reload", "unload")


def read_data(path: Path) -> dict[str, str]:
    """Parse a conformance ``.data`` file into its sections; ``-- asm @ FILE`` reads FILE."""
    sections: dict[str, list[str]] = {}
    current: str | None = None
    for line in path.read_text().splitlines():
        header = line[3:].strip() if line.startswith("-- ") else None
        if header is not None and header.split(" @ ")[0] in DATA_SECTIONS:
            current = header.split(" @ ")[0]
            sections[current] = []
            if " @ " in header and current == "asm":
                sections[current] = (path.parent / header.split(" @ ")[1].strip()).read_text().splitlines()
                current = None
            continue
        if current is not None:
            sections[current].append(line)
    return {name: "\n".join(lines) + "\n" for name, lines in sections.items()}


def _data_files(predicate: Callable[[Path, dict[str, str]], bool]) -> list[Path]:
    if not CONFORMANCE.is_dir():
        return []
    return [p for p in sorted(CONFORMANCE.rglob("*.data")) if predicate(p, read_data(p))]


def _is_invalid(path: Path) -> bool:
    return path.parent.name == "negative" and path.name.startswith("invalid_")


#: Corpus files whose assembly must fail: the negative invalid_* tests, and the uBPF error tests
#: that name registers r11 and up (bpfvm rejects them when assembling, uBPF when loading).
def expected_asm_failure(path: Path) -> bool:
    return _is_invalid(path) or path.name.startswith("err-invalid-reg-")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``asm_file`` (corpus files with assembly that must assemble), ``invalid_file``
    (files whose assembly must raise AsmError) and ``raw_file`` (files with a raw section)."""
    lists = {
        "asm_file": lambda p, d: "asm" in d and not expected_asm_failure(p),
        "invalid_file": lambda p, d: "asm" in d and expected_asm_failure(p),
        "raw_file": lambda p, d: "raw" in d,
    }
    for name, predicate in lists.items():
        if name in metafunc.fixturenames:
            files = _data_files(predicate)
            metafunc.parametrize(name, files, ids=[str(p.relative_to(CONFORMANCE)) for p in files])


@pytest.fixture(scope="session")
def data_sections() -> Callable[[Path], dict[str, str]]:
    """The ``.data`` file parser, for tests (conftest modules are not imported by tests)."""
    return read_data


@pytest.fixture(scope="session")
def bpf_cc() -> Callable[[Path, Path], Path]:
    """The fixture compiler (:func:`compile_bpf`), for tests that build objects of their own."""
    return compile_bpf
