"""``toolchain.fingerprint`` and the one cache root that caches of compiled objects key on."""

from __future__ import annotations

from pathlib import Path

import pytest

from bpfvm import cache
from bpfvm.cc import driver as toolchain


def test_fingerprint_is_stable_and_covers_flags() -> None:
    assert toolchain.fingerprint() == toolchain.fingerprint()
    assert toolchain.fingerprint(["-DX=1"]) != toolchain.fingerprint(["-DX=2"])
    assert toolchain.fingerprint(["-DX=1"]) != toolchain.fingerprint()


def test_fingerprint_covers_the_headers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    before = toolchain.fingerprint()
    (tmp_path / "extra.h").write_text("#define EXTRA 1\n")
    monkeypatch.setattr(toolchain, "INCLUDE", tmp_path)
    toolchain._toolchain_digest.cache_clear()
    try:
        assert toolchain.fingerprint() != before
    finally:
        monkeypatch.undo()
        toolchain._toolchain_digest.cache_clear()


def test_cache_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BPFVM_CACHE_DIR", str(tmp_path / "c"))
    assert cache.root() == tmp_path / "c"
    monkeypatch.delenv("BPFVM_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert cache.root() == tmp_path / "x" / "bpfvm"
