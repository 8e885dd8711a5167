"""Reader for the `.data` test format of bpf_conformance and uBPF.

A file is a sequence of sections, each opened by a ``-- name`` line (``-- asm``, ``-- raw``,
``-- mem``, ``-- result``, ``-- error``, ``-- error pattern`` …); ``-- name @ FILE`` takes the
section's text from FILE beside the test.  ``#`` lines before the first section are comments.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["DataTest", "parse"]


@dataclass
class DataTest:
    """One parsed `.data` file."""

    path: Path
    sections: dict[str, str] = field(default_factory=dict)

    @property
    def asm(self) -> str | None:
        return self.sections.get("asm")

    @property
    def raw(self) -> bytes | None:
        text = self.sections.get("raw")
        return None if text is None else _raw_bytes(text)

    @property
    def mem(self) -> bytes | None:
        text = self.sections.get("mem")
        if text is None:
            return None
        digits = []
        for line in text.splitlines():
            words = line.split("#")[0].split()
            if words and words[0].endswith(":"):  # tcpdump -x style offset column
                words = words[1:]
            digits.extend(words)
        return bytes.fromhex("".join(digits))

    @property
    def result(self) -> int | None:
        text = self.sections.get("result", "").strip()
        return int(text, 0) if text else None

    @property
    def expects_error(self) -> bool:
        return "error" in self.sections or "error pattern" in self.sections


def _raw_bytes(text: str) -> bytes:
    out = bytearray()
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        if line.startswith("0x"):  # uBPF: one little-endian u64 per instruction
            out += struct.pack("<Q", int(line, 16))
        else:  # bpf_conformance: hex bytes
            out += bytes.fromhex(line)
    return bytes(out)


def parse(path: Path) -> DataTest:
    """Parse a `.data` file."""
    test = DataTest(path)
    name: str | None = None
    lines: list[str] = []

    def close() -> None:
        if name is not None:
            head, _, include = name.partition("@")
            key = head.strip()
            text = (path.parent / include.strip()).read_text() if include else "\n".join(lines)
            test.sections[key] = text

    for line in path.read_text().splitlines():
        if line.startswith("-- "):
            close()
            name, lines = line[3:].strip(), []
        elif name is not None:
            lines.append(line)
    close()
    return test
