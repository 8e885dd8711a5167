"""The JIT's on-disk object cache (:mod:`bpfvm.jit.cache`).

A second process compiling the same program loads the cached object code (relinked against
its own host callback and libm) and behaves exactly like a fresh compilation; damaged files
are recompiled, never loaded; the key separates programs, layouts and VMs' helpers do not
leak between users of one cached object.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bpfvm import VM
from bpfvm.cc import compile_c
from bpfvm.isa import encode, make
from bpfvm.jit import cache

SOURCE = r"""
#include <stdio.h>
#include <math.h>
#include <string.h>

extern long tick(long);

int main(int argc, char **argv) {
    double s = 0;
    char buf[64];
    for (int i = 1; i < 50; i++)
        s += sin(i) * sqrt(i);
    strcpy(buf, argv[0]);
    printf("%.9f %zu %ld\n", s, strlen(buf), tick(41));
    return 3;
}
"""

CHILD = textwrap.dedent("""
    import io, json, sys
    from bpfvm import VM
    from bpfvm.elf import load
    from bpfvm.jit import cache
    cache.MIN_SLOTS = 0  # the program is small
    program = load(open(sys.argv[1], "rb").read())
    out = io.BytesIO()
    vm = VM(sys.argv[2], stack_size=program.frame_size, stdout=out)
    vm.intrinsics["tick"] = lambda x: x + 1
    status = vm.run_main(program, ["prog"])
    print(json.dumps({"stats": dict(cache.stats), "status": status, "out": out.getvalue().decode(),
                      "instructions": vm.instructions}))
""")


@pytest.fixture(scope="module")
def program_object(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cache") / "prog.c"
    path.write_text(SOURCE)
    return compile_c(path)


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("BPFVM_CACHE_DIR", str(directory))
    monkeypatch.delenv("BPFVM_JIT_CACHE", raising=False)
    monkeypatch.setattr(cache, "MIN_SLOTS", 0)  # cache even the tiny programs here
    return directory


def child(obj: Path, engine: str = "jit") -> dict[str, object]:
    run = subprocess.run([sys.executable, "-c", CHILD, str(obj), engine], capture_output=True, text=True,
                         check=True, timeout=300)
    result: dict[str, object] = json.loads(run.stdout)
    return result


def cached_files(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*.o"))


def test_a_second_process_loads_the_cached_object(program_object: Path, cache_dir: Path) -> None:
    first = child(program_object)
    assert first["stats"] == {"misses": 1, "stores": 1}
    assert len(cached_files(cache_dir)) == 1
    second = child(program_object)
    assert second["stats"] == {"hits": 1}
    reference = child(program_object, "interpreter")
    for key in ("status", "out", "instructions"):
        assert first[key] == second[key] == reference[key]
    assert first["status"] == 3


@pytest.mark.parametrize("damage", [
    lambda data: data[:-100],  # truncated
    lambda data: data[:-10] + bytes(10),  # payload changed
    lambda data: b"garbage" + data[7:],  # bad header
    lambda data: b"",
])
def test_a_damaged_file_is_recompiled(program_object: Path, cache_dir: Path, damage: object) -> None:
    child(program_object)
    [path] = cached_files(cache_dir)
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    again = child(program_object)
    assert again["stats"] == {"misses": 1, "corrupt": 1, "stores": 1}
    assert again["out"] == child(program_object, "interpreter")["out"]
    assert child(program_object)["stats"] == {"hits": 1}  # rewritten


def test_switched_off(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = encode([make("mov64_imm", dst=0, imm=5), make("exit")])
    assert VM("jit", jit_cache=False).run(code) == 5
    monkeypatch.setenv("BPFVM_JIT_CACHE", "0")
    assert VM("jit").run(code) == 5
    assert cached_files(cache_dir) == []
    assert VM("jit", jit_cache=True).run(code) == 5
    assert len(cached_files(cache_dir)) == 1


def test_each_vm_links_its_own_callbacks(cache_dir: Path) -> None:
    """One cached object, two VMs: helper calls reach each VM's own helpers."""
    code = encode([make("mov64_imm", dst=1, imm=10), make("call", imm=7), make("exit")])
    hits = cache.stats["hits"]
    first = VM("jit", helpers={7: lambda x, *_: x + 1})
    second = VM("jit", helpers={7: lambda x, *_: x * 3})
    first.compile(first.program(code))
    second.compile(second.program(code))
    assert cache.stats["hits"] == hits + 1
    assert (first.run(code), second.run(code), first.run(code)) == (11, 30, 11)


def test_the_key_covers_the_layout(cache_dir: Path) -> None:
    """Frame size is baked into the code: another stack size is another object."""
    code = encode([make("mov64_imm", dst=0, imm=1), make("stxdw", dst=10, src=0, off=-256),
                   make("ldxdw", dst=0, src=10, off=-256), make("exit")])
    assert VM("jit", stack_size=512).run(code) == 1
    assert VM("jit", stack_size=1024).run(code) == 1
    assert len(cached_files(cache_dir)) == 2


class Recorder:
    """A :class:`bpfvm.jit.progress.Progress` that records what it is told."""

    def __init__(self) -> None:
        self.events: list[object] = []

    def __enter__(self) -> Recorder:
        self.events.append("enter")
        return self

    def __exit__(self, *exc: object) -> None:
        self.events.append("exit")

    def lowered(self, func: object) -> None:
        self.events.append(func)

    def optimising(self) -> None:
        self.events.append("optimising")


def test_compilation_reports_progress(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bpfvm.jit import engine

    recorder = Recorder()
    monkeypatch.setattr(engine, "terminal_progress", lambda program, slots: recorder)
    code = encode([make("mov64_imm", dst=0, imm=5), make("call_local", imm=1), make("exit"),
                   make("mov64_imm", dst=0, imm=6), make("exit")])
    vm = VM("jit", jit_cache=False)
    program = vm.program(code)
    assert vm.run(program) == 6
    functions = list(program.functions.values())
    assert recorder.events == ["enter", *functions, "optimising", "exit"]


def test_small_programs_are_not_cached(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "MIN_SLOTS", 3)
    assert VM("jit").run(encode([make("mov64_imm", dst=0, imm=5), make("exit")])) == 5
    assert cached_files(cache_dir) == []


def test_no_progress_bar_off_a_terminal() -> None:
    from bpfvm.jit.progress import terminal_progress

    program = VM().program(encode([make("mov64_imm", dst=0, imm=5), make("exit")]))
    assert terminal_progress(program, 0) is None  # pytest captures stderr: not a terminal


def test_eviction_keeps_the_most_recently_used(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import time

    names = [f"{i:02x}" + "0" * 62 for i in range(4)]
    for i, name in enumerate(names):
        cache.store(name, bytes(1000))
        os.utime(cache._path(name), (time.time() - 100 + i, time.time() - 100 + i))
    assert cache.load(names[0]) is not None  # a hit makes the oldest the most recent
    monkeypatch.setenv("BPFVM_JIT_CACHE_MAX", str(2500))
    cache.store("ff" + "0" * 62, bytes(1000))  # over the limit: the least recently used go
    kept = {name for name in [*names, "ff" + "0" * 62] if cache._path(name).exists()}
    assert kept == {names[0], "ff" + "0" * 62}
