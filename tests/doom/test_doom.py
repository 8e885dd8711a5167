"""DOOM (doomgeneric, downloaded from PyPI at build time) compiled to BPF and run by bpfvm.

The game is built once per session (``$BPFVM_DOOM_BUILD``, else ``~/.cache/bpfvm/doom``; the
build is locked against concurrent workers).  The frame DOOM draws at game tic 100 of
``-playdemo demo1`` under the JIT must equal, pixel for pixel, the one the native gcc build of
the same sources and platform layer draws; so must the interpreter's first complete frame.
Both runs use the deterministic host: a virtual clock and no input.

Frames 1–34 are DOOM's screen "melt" from the previous screen contents, which start as
uninitialised zone memory: bytes that held pointers differ between a native process and a BPF
guest.  Frame 35 is the first the melt no longer shows; from there native and bpfvm agree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bpfvm.examples import doom

WAD = Path("/usr/share/games/doom/freedoom1.wad")
DEMO = ["-playdemo", "demo1"]
FIRST_COMPLETE = 35

pytestmark = pytest.mark.skipif(not WAD.is_file(),
                                reason="Freedoom is not installed (Debian package freedoom)")


@pytest.fixture(scope="module")
def program() -> object:
    try:
        return doom.load()
    except doom.DoomError as exc:
        if "cannot download" in str(exc):
            pytest.skip(f"doomgeneric sources unavailable: {exc}")
        raise


def native_frame(number: int, tmp: Path, unit: str = "FRAMES") -> np.ndarray:
    """The native build's frame ``number`` (``unit`` "FRAMES"), or its first frame drawn after
    ``number`` game tics ("TIC")."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed: no native reference")
    exe = doom.build_native()
    out = tmp / f"frame{number}.raw"
    env = {**os.environ, f"DOOM_{unit}": str(number), "DOOM_OUT": str(out)}
    subprocess.run([str(exe), "-iwad", str(WAD), *DEMO], cwd=tmp, env=env, capture_output=True,
                   check=True, timeout=120)
    raw = np.fromfile(out, dtype=np.uint8).reshape(doom.HEIGHT, doom.WIDTH, 4)
    return raw[:, :, 2::-1]


def bpfvm_frame(program: object, number: int, engine: str) -> np.ndarray:
    host = doom.Host(clock="virtual", frames=number)
    status = doom.run(WAD, host=host, engine=engine, args=DEMO, program=program)  # type: ignore[arg-type]
    assert status == 0 and host.count == number
    return np.asarray(host.last)


def test_jit_frame_at_tic_100_matches_native(program: object, tmp_path: Path) -> None:
    expected = native_frame(100, tmp_path, "TIC")
    host = doom.Host(clock="virtual", tics=100)
    assert doom.run(WAD, host=host, engine="jit", args=DEMO, program=program) == 0  # type: ignore[arg-type]
    assert host.tic == 100
    frame = np.asarray(host.last)
    assert frame.shape == (doom.HEIGHT, doom.WIDTH, 3)
    assert (frame == expected).all(), f"{(frame != expected).any(axis=2).sum()} pixels differ"
    assert len(np.unique(frame.reshape(-1, 3), axis=0)) > 50  # a rendered scene, not a blank screen


def test_interpreter_first_complete_frame_matches_native(program: object, tmp_path: Path) -> None:
    expected = native_frame(FIRST_COMPLETE, tmp_path)
    assert (bpfvm_frame(program, FIRST_COMPLETE, "interpreter") == expected).all()


def test_engines_agree_on_the_melt(program: object) -> None:
    """Even the frame made of uninitialised memory is the same under both engines."""
    assert (bpfvm_frame(program, 1, "interpreter") == bpfvm_frame(program, 1, "jit")).all()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bpfvm", "doom", *args], capture_output=True, text=True,
                          timeout=600, check=False)


def test_missing_wad_is_a_clear_error(tmp_path: Path) -> None:
    result = _cli("--headless", "--frames", "1", "--wad", str(tmp_path / "nope.wad"))
    assert result.returncode == 1
    assert "nope.wad: cannot read the WAD" in result.stderr and "Traceback" not in result.stderr


def test_non_wad_file_is_a_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "fake.wad"
    fake.write_bytes(b"PK\x03\x04 not a wad at all")
    result = _cli("--headless", "--frames", "1", "--wad", str(fake))
    assert result.returncode == 1
    assert "not a WAD file" in result.stderr and "Traceback" not in result.stderr


def test_headless_writes_pngs_and_gif(program: object, tmp_path: Path) -> None:
    result = _cli("--headless", "--frames", "3", "--out", str(tmp_path / "frames"), "--gif",
                  str(tmp_path / "doom.gif"), "--", *DEMO)
    assert result.returncode == 0, result.stderr
    pngs = sorted((tmp_path / "frames").glob("frame_*.png"))
    assert [p.name for p in pngs] == ["frame_00001.png", "frame_00002.png", "frame_00003.png"]
    from PIL import Image

    with Image.open(tmp_path / "doom.gif") as gif:
        assert gif.n_frames == 3 and gif.size == (doom.WIDTH, doom.HEIGHT)


def test_window_mode_runs_with_a_dummy_display(program: object) -> None:
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy"}
    result = subprocess.run([sys.executable, "-m", "bpfvm", "doom", "--frames", "5", "--", *DEMO],
                            capture_output=True, text=True, timeout=600, check=False, env=env)
    assert result.returncode == 0, result.stderr


def test_keys_map_to_doomgeneric_codes() -> None:
    from bpfvm.cli.doom import _doom_key

    assert _doom_key("up") == 0xAD and _doom_key("left ctrl") == 0xA3 and _doom_key("space") == 0xA2
    assert _doom_key("return") == 13 and _doom_key("escape") == 27 and _doom_key("y") == ord("y")
    assert _doom_key("f1") == 0x80 + 0x3B and _doom_key("left meta") is None


def test_host_queues_key_events() -> None:
    host = doom.Host(keys=lambda: [(True, 0xAD), (False, 0xAD)])  # pressed, then released
    assert [host._key(), host._key()] == [(1 << 8) | 0xAD, 0xAD]


def test_debugger_breaks_in_an_inlined_renderer_function(program: object) -> None:
    """DOOM at -O2 (80 objects, linked): ``break R_InitFlats`` — static in r_data.c, inlined into
    R_InitData — stops at its inlined instance during start-up, and the backtrace runs through
    the inlined frame and the other objects' frames to main (issue #18)."""
    import io

    import bpfvm

    objects = doom.build()
    wad = doom.find_wad(None)
    vm = bpfvm.VM("interpreter", fs={str(wad.parent): str(wad.parent)}, stdout=io.BytesIO())
    doom.Host(frames=1).install(vm)
    with bpfvm.Debugger(vm, program, argv=["doom", "-iwad", str(wad)],  # type: ignore[arg-type]
                        elf=[o.read_bytes() for o in objects]) as dbg:
        assert dbg.info.inlined_calls("R_InitFlats"), "R_InitFlats is no longer inlined at -O2"
        dbg.break_at("R_InitFlats")
        stop = dbg.run()
        assert stop.reason == "breakpoint" and stop.location is not None
        assert stop.location.function == "R_InitFlats" and stop.location.file.endswith("r_data.c")
        frames = dbg.backtrace()
        names = [f.location.function for f in frames]
        assert names[:3] == ["R_InitFlats", "R_InitData", "R_Init"] and names[-1] == "main"
        assert frames[0].inlined and not frames[1].inlined
        assert frames[0].location.pc == frames[1].location.pc
        finished = dbg.finish()
        assert finished.location is not None and finished.location.function == "R_InitData"
