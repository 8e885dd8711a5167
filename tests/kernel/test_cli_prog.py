"""``bpfvm prog run`` against ``bpftool prog run`` (Debian's bpftool 7.1): same output, same exit."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .test_test_run import HERE, KERNEL_C, _ipv4_udp

BPFFS = Path("/sys/fs/bpf")


def _bpfvm(*words: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "bpfvm", "prog", "run", *words], input=stdin,
                          capture_output=True, check=False)


def _bpftool(obj: Path, *words: str) -> subprocess.CompletedProcess[bytes]:
    pin = BPFFS / f"bpfvm-test-{os.getpid()}"
    loaded = subprocess.run(["bpftool", "prog", "load", str(obj), str(pin)], capture_output=True, check=False)
    if loaded.returncode:
        pytest.skip(f"bpftool cannot load here: {loaded.stderr.decode()[-200:]}")
    try:
        return subprocess.run(["bpftool", "prog", "run", "pinned", str(pin), *words], capture_output=True,
                              check=False)
    finally:
        pin.unlink()


def _same(ours: subprocess.CompletedProcess[bytes], theirs: subprocess.CompletedProcess[bytes]) -> None:
    def norm(text: bytes) -> str:
        return re.sub(r"duration( \(average\))?: \d+ns", r"duration\1: Nns", text.decode())

    assert ours.returncode == theirs.returncode, (ours.stderr, theirs.stderr)
    assert norm(ours.stdout) == norm(theirs.stdout)
    assert [line for line in theirs.stderr.decode().splitlines() if line.startswith("Error")] == \
        ours.stderr.decode().splitlines()


@pytest.fixture(scope="module")
def xdp_object(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bpfvm.cc import compile_c

    out = tmp_path_factory.mktemp("prog") / "xdp_ctx.o"
    return compile_c(HERE / "xdp_ctx.c", output=out, kernel=True, flags=KERNEL_C)


@pytest.mark.kernel
@pytest.mark.parametrize("repeat", ["1", "5"])
def test_prog_run_prints_as_bpftool(xdp_object: Path, tmp_path: Path, repeat: str) -> None:
    if shutil.which("bpftool") is None or not BPFFS.is_dir() or os.geteuid():
        pytest.skip("needs root, bpftool and a bpffs at /sys/fs/bpf")
    packet = tmp_path / "in.bin"
    packet.write_bytes(_ipv4_udp(9, b"payload" * 5))
    words = ("data_in", str(packet), "data_out", "-", "repeat", repeat)
    _same(_bpfvm(str(xdp_object), *words), _bpftool(xdp_object, *words))


@pytest.mark.kernel
@pytest.mark.parametrize("case", ["short", "bad-ctx", "small-out"])
def test_prog_run_errors_as_bpftool(xdp_object: Path, tmp_path: Path, case: str) -> None:
    if shutil.which("bpftool") is None or not BPFFS.is_dir() or os.geteuid():
        pytest.skip("needs root, bpftool and a bpffs at /sys/fs/bpf")
    packet, ctx = tmp_path / "in.bin", tmp_path / "ctx.bin"
    packet.write_bytes(_ipv4_udp(9)[:10] if case == "short" else _ipv4_udp(9))
    ctx.write_bytes(b"\x01\0\0\0")
    small = ("data_in", str(packet), "data_out", str(tmp_path / "out"), "data_size_out", "8")
    words = {"short": ("data_in", str(packet)), "bad-ctx": ("data_in", str(packet), "ctx_in", str(ctx)),
             "small-out": small}[case]
    _same(_bpfvm(str(xdp_object), *words), _bpftool(xdp_object, *words))


def test_prog_run_files_and_names(xdp_object: Path, tmp_path: Path) -> None:
    packet, out = tmp_path / "in.bin", tmp_path / "out.bin"
    packet.write_bytes(_ipv4_udp(9))
    result = _bpfvm(f"{xdp_object}:xdp_ctx", "data_in", str(packet), "data_out", str(out), "--engine", "jit")
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(rb"Return value: \d+, duration: \d+ns\n", result.stdout)
    assert len(out.read_bytes()) == len(packet.read_bytes())
    missing = _bpfvm(f"{xdp_object}:nope", "data_in", str(packet))
    assert missing.returncode != 0 and b"no program 'nope'" in missing.stderr
