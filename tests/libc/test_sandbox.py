"""The file sandbox holds against ``..``, absolute paths, symlinks and races; files are bounded.

The races are made deterministic: the swap that another host process could make between the
path check and its use is made by a patched :func:`bpfvm.libc.sandbox._resolve`, right after
the check — the worst possible moment.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import pytest

import bpfvm
from bpfvm.libc import sandbox, state
from bpfvm.libc import stdio as F
from bpfvm.libc.posix import mkdir
from bpfvm.libc.sandbox import beneath, open_file

from .conftest import Guest


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    """(granted directory with sub/, outside directory with secret.txt)."""
    inside, outside = tmp_path / "inside", tmp_path / "outside"
    (inside / "sub").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (inside / "sub" / "file.txt").write_text("mine")
    return inside, outside


def swap_after_check(monkeypatch: pytest.MonkeyPatch, swap: Callable[[], None]) -> None:
    real = sandbox._resolve

    def racing(fs: dict[str, str], path: str) -> tuple[str, str]:
        checked = real(fs, path)
        swap()
        return checked

    monkeypatch.setattr(sandbox, "_resolve", racing)


def replace_with_link(directory: Path, target: Path) -> None:
    directory.rename(directory.with_name(directory.name + ".old"))
    directory.symlink_to(target)


@pytest.mark.parametrize("path", ["/data/../outside/secret.txt", "/data/sub/../../outside/secret.txt",
                                  "../outside/secret.txt", "/outside/secret.txt", "//data/../../etc/passwd"])
def test_dotdot_and_absolute_paths_stay_inside(tree: tuple[Path, Path], path: str) -> None:
    inside, _ = tree
    with pytest.raises(OSError) as info:
        open_file({"/data": str(inside)}, path, "rb")
    assert info.value.errno == errno.ENOENT


def test_symlinks_out_are_refused_and_in_are_followed(tree: tuple[Path, Path]) -> None:
    inside, outside = tree
    (inside / "out").symlink_to(outside)
    (inside / "secret").symlink_to(outside / "secret.txt")
    (inside / "mine").symlink_to(inside / "sub" / "file.txt")
    fs = {"/data": str(inside)}
    for path in ("/data/out/secret.txt", "/data/secret", "/data/out"):
        with pytest.raises(OSError) as info:
            open_file(fs, path, "rb")
        assert info.value.errno == errno.EACCES
    with open_file(fs, "/data/mine", "rb") as f:
        assert f.read() == b"mine"


def test_nul_in_a_path_is_invalid(tree: tuple[Path, Path]) -> None:
    with pytest.raises(OSError) as info:
        open_file({"/data": str(tree[0])}, "/data/sub\0/../x", "rb")
    assert info.value.errno == errno.EINVAL


def test_race_parent_swapped_before_open(tree: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """sub/ becomes a symlink to outside/ after the check: the open is refused, nothing is created."""
    inside, outside = tree
    swap_after_check(monkeypatch, lambda: replace_with_link(inside / "sub", outside))
    with pytest.raises(OSError) as info:
        open_file({"/data": str(inside)}, "/data/sub/created.txt", "wb")
    assert info.value.errno == errno.EACCES
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]


def test_race_last_component_swapped(tree: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """file.txt becomes a symlink to the secret after the check: O_NOFOLLOW refuses it."""
    inside, outside = tree
    target = inside / "sub" / "file.txt"

    def swap() -> None:
        target.unlink()
        target.symlink_to(outside / "secret.txt")

    swap_after_check(monkeypatch, swap)
    with pytest.raises(OSError) as info:
        open_file({"/data": str(inside)}, "/data/sub/file.txt", "r+b")
    assert info.value.errno == errno.ELOOP
    assert (outside / "secret.txt").read_text() == "secret"


def test_race_parent_swapped_while_open(tree: tuple[Path, Path]) -> None:
    """A swap after the directory is pinned changes nothing: the operation stays in it."""
    inside, outside = tree
    with beneath({"/data": str(inside)}, "/data/sub/new.txt") as (fd, name):
        replace_with_link(inside / "sub", outside)
        os.close(os.open(name, os.O_CREAT | os.O_WRONLY | os.O_NOFOLLOW, 0o644, dir_fd=fd))
    assert (inside / "sub.old" / "new.txt").exists() and not (outside / "new.txt").exists()


def test_mkdir_rename_remove_race(vm: bpfvm.VM, guest: Guest, tree: tuple[Path, Path],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    inside, outside = tree
    vm.fs = {"/data": str(inside)}
    swap_after_check(monkeypatch, lambda: replace_with_link(inside / "sub", outside))
    assert mkdir(vm, guest.str("/data/sub/dir"), 0o755) == -1 and state(vm).errno == errno.EACCES
    assert not (outside / "dir").exists()
    monkeypatch.undo()
    (inside / "sub").unlink()
    (inside / "sub.old").rename(inside / "sub")
    swap_after_check(monkeypatch, lambda: None)
    assert F.rename(vm, guest.str("/data/sub/file.txt"), guest.str("/data/moved")) == 0
    assert F.remove(vm, guest.str("/data/moved")) == 0 and not (inside / "moved").exists()


def test_open_files_are_bounded_and_handles_reused(vm: bpfvm.VM, guest: Guest,
                                                   tree: tuple[Path, Path]) -> None:
    """At most MAX_OPEN_FILES host files at once (EMFILE after); closed handles are reused, so
    a VM never runs out of them (before: the 65533rd fopen of a VM failed forever)."""
    inside, _ = tree
    vm.fs = {"/data": str(inside)}
    path, mode = guest.str("/data/sub/file.txt"), guest.str("r")
    handles = [F.fopen(vm, path, mode) for _ in range(F.MAX_OPEN_FILES)]
    assert all(handles) and F.fopen(vm, path, mode) == 0 and state(vm).errno == errno.EMFILE
    for handle in handles:
        assert F.fclose(vm, handle) == 0
    state(vm).next_handle = 0xFFFF  # as after 65531 fopen/fclose pairs
    again = [F.fopen(vm, path, mode) for _ in range(3)]
    assert all(again) and len(set(again)) == 3 and all(h < 0x10000 for h in again)


def test_files_are_closed_when_a_run_ends(tmp_path: Path) -> None:
    """A guest that opens files and never closes them (or traps) holds no host descriptor after."""
    vm = bpfvm.VM(fs={"/d": str(tmp_path)}, max_instructions=500_000)
    program = bpfvm.compile(r"""
        #include <stdio.h>
        int main(int argc, char **argv) {
            for (int i = 0; i < 300; i++) {
                if (!fopen("/d/f", "w")) return i;
                if (argc > 1 && i == 10) for (;;);
            }
            return -1;
        }""")
    for _ in range(2):
        assert vm.run_main(program, ["x"]) == F.MAX_OPEN_FILES  # then EMFILE
        assert open_in(tmp_path) == 0
        with pytest.raises(bpfvm.VmTrap):
            vm.run_main(program, ["x", "spin"])  # 11 opens, then the budget
        assert open_in(tmp_path) == 0


def open_in(directory: Path) -> int:
    """How many descriptors of this process are open on files in ``directory``."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith(str(directory))
        except OSError:
            pass
    return count
