"""``bpfvm doom``: play DOOM compiled to BPF (see :mod:`bpfvm.examples.doom`).

    bpfvm doom [--wad PATH] [--frames N]                 # a pygame window, scaled 2x, real time
    bpfvm doom --headless --frames N --out DIR           # DIR/frame_00001.png ... (deterministic)
    bpfvm doom --headless --tics 100 --out DIR           # ... up to the frame at game tic 100
    bpfvm doom --headless --frames N --gif FILE          # an animated GIF
    bpfvm doom --headless --timedemo demo1               # DOOM's timedemo line, then N fps
    bpfvm doom --build                                   # only download and compile
    bpfvm doom ... -- -warp 1 1                          # DOOM's own arguments after --

Importing this module only registers the command; NumPy, Pillow and pygame load when it runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from .base import command

__all__: list[str] = []

#: pygame key name → doomgeneric key code (doomkeys.h), as doomgeneric's SDL port maps them.
_KEYS = {
    "return": 13, "escape": 27, "tab": 9, "backspace": 0x7F, "pause": 0xFF, "=": 0x3D, "-": 0x2D,
    "left": 0xAC, "up": 0xAD, "right": 0xAE, "down": 0xAF, "left ctrl": 0xA3, "right ctrl": 0xA3,
    "space": 0xA2, "left shift": 0x80 + 0x36, "right shift": 0x80 + 0x36, "left alt": 0x80 + 0x38,
    "right alt": 0x80 + 0x38, ",": 0xA0, ".": 0xA1,
    **{f"f{i}": 0x80 + 0x3A + i for i in range(1, 11)}, "f11": 0x80 + 0x57, "f12": 0x80 + 0x58,
}


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--wad", help="IWAD file (default: Freedoom from /usr/share/games/doom)")
    parser.add_argument("--engine", default="jit", help="execution engine (default: jit)")
    parser.add_argument("--headless", action="store_true", help="no window: write frames, or time a demo")
    parser.add_argument("--frames", type=int, help="stop after N frames")
    parser.add_argument("--tics", type=int, help="stop at the first frame drawn after N game tics")
    parser.add_argument("--out", type=Path, metavar="DIR", help="write every frame as DIR/frame_NNNNN.png")
    parser.add_argument("--gif", type=Path, metavar="FILE", help="write the frames as an animated GIF")
    parser.add_argument("--timedemo", metavar="DEMO", help="play DEMO as fast as possible and report fps")
    parser.add_argument("--scale", type=int, default=2, help="window scale factor (default 2)")
    parser.add_argument("--build", action="store_true", help="download and compile DOOM, then stop")
    parser.add_argument("--build-dir", type=Path, help="build directory (default ~/.cache/bpfvm/doom)")
    parser.add_argument("args", nargs="*", help="DOOM's own arguments, after --")


@command("doom", "play DOOM compiled to BPF (doomgeneric, downloaded at build time)", _arguments, rest=True)
def _cmd_doom(args: argparse.Namespace) -> int:
    from ..examples.doom import find_wad, load

    doom_args = [*args.args, *(args.rest or [])]
    if not args.build:
        find_wad(args.wad)  # a bad WAD fails before the long build
    program = load(args.build_dir, progress=_progress_bar())
    if args.build:
        print(f"bpfvm: DOOM built: {len(program.insns)} BPF instructions, {len(program.functions)} functions")
        return 0
    if args.timedemo:
        return _timedemo(args, program, doom_args)
    if args.headless or args.out or args.gif:
        return _headless(args, program, doom_args)
    return _window(args, program, doom_args)


def _progress_bar() -> Any:
    """A rich progress callback for the build when stderr is a terminal, else None."""
    if not sys.stderr.isatty():
        return None
    from rich.progress import Progress

    bar = Progress(transient=True)
    task = bar.add_task("compiling DOOM to BPF", total=None)
    bar.start()

    def update(done: int, total: int, name: str) -> None:
        bar.update(task, completed=done, total=total, description=f"compiling {name}")
        if done == total:
            bar.stop()
    return update


def _headless(args: argparse.Namespace, program: Any, doom_args: list[str]) -> int:
    from ..examples.doom import Host, run

    if args.frames is None and args.tics is None:
        raise SystemExit("bpfvm: --headless needs --frames N or --tics N (or --timedemo DEMO)")
    frames: list[Any] = []
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)

    def on_frame(rgb: Any, number: int) -> bool:
        from PIL import Image

        if args.out:
            Image.fromarray(rgb).save(args.out / f"frame_{number:05d}.png")
        if args.gif:
            frames.append(Image.fromarray(rgb.copy()))
        return False

    host = Host(clock="virtual", frames=args.frames, tics=args.tics, on_frame=on_frame)
    status = run(args.wad, host=host, engine=args.engine, args=doom_args, program=program)
    if args.gif and frames:
        args.gif.parent.mkdir(parents=True, exist_ok=True)
        frames[0].save(args.gif, save_all=True, append_images=frames[1:], duration=round(1000 / 35),
                       loop=0, optimize=False)
    print(f"bpfvm: {host.count} frames" + (f" in {args.out}" if args.out else "")
          + (f", {args.gif}" if args.gif else ""), file=sys.stderr)
    done = (args.frames is not None and host.count >= args.frames) or \
        (args.tics is not None and host.tic >= args.tics)
    return 0 if done else status & 0xFF


def _timedemo(args: argparse.Namespace, program: Any, doom_args: list[str]) -> int:
    from ..examples.doom import Host, run

    host = Host(clock="real")
    start = time.perf_counter()
    status = run(args.wad, host=host, engine=args.engine, args=["-timedemo", args.timedemo, *doom_args],
                 program=program)
    elapsed = time.perf_counter() - (host.first_frame_time or start)
    fps = (host.count - 1) / elapsed if host.count > 1 and elapsed > 0 else 0.0
    print(f"{fps:.1f} fps ({host.count} frames in {elapsed:.2f} s, engine {args.engine})")
    return 0 if host.count else status & 0xFF


def _window(args: argparse.Namespace, program: Any, doom_args: list[str]) -> int:
    import os

    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    from ..examples.doom import HEIGHT, WIDTH, Host, run

    pygame.init()
    try:
        screen = pygame.display.set_mode((WIDTH * args.scale, HEIGHT * args.scale))
    except pygame.error as exc:
        raise SystemExit(f"bpfvm: no window ({exc}); use --headless") from None
    pygame.display.set_caption("DOOM on bpfvm")
    closed = False

    def keys() -> list[tuple[bool, int]]:
        nonlocal closed
        events = []
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                closed = True
            elif event.type in (pygame.KEYDOWN, pygame.KEYUP):
                code = _doom_key(pygame.key.name(event.key))
                if code is not None:
                    events.append((event.type == pygame.KEYDOWN, code))
        return events

    def on_frame(rgb: Any, number: int) -> bool:
        surface = pygame.surfarray.make_surface(rgb.swapaxes(0, 1))
        screen.blit(pygame.transform.scale(surface, screen.get_size()), (0, 0))
        pygame.display.flip()
        return closed

    try:
        host = Host(clock="real", frames=args.frames, tics=args.tics, on_frame=on_frame, keys=keys)
        return run(args.wad, host=host, engine=args.engine, args=doom_args, program=program) & 0xFF
    finally:
        pygame.quit()


def _doom_key(name: str) -> int | None:
    if name in _KEYS:
        return _KEYS[name]
    if len(name) == 1 and name.isprintable():
        return ord(name.lower())
    return None
