"""The file sandbox: guest paths resolve only inside the host directories a VM grants.

``vm.fs`` maps guest path prefixes to host directories, e.g. ``{"/data": "./assets"}``.  A
guest path is made absolute (the guest's working directory is ``/``) and normalised; the
longest matching prefix picks the host directory.  The resolved host path, with every symlink
followed, must still lie inside that directory:

* no matching prefix (including ``..`` walking above one) → ``ENOENT``: outside the sandbox
  nothing exists;
* a symlink (or anything else) leading out of the directory → ``EACCES``.

Checking a path and then using it is a race: between the two, someone with access to the host
directory could swap a directory for a symlink that leads out.  So the file operations use
:func:`beneath`: it opens the *parent directory* of the checked path, checks again what that
descriptor really is (``/proc/self/fd``), and the operation then names only the last component
relative to that descriptor, with ``O_NOFOLLOW`` — whatever is swapped afterwards, the
operation happens in the directory that was checked, and a last component that has become a
symlink fails with ``ELOOP``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
from collections.abc import Iterator, Mapping
from typing import BinaryIO, cast

__all__ = ["beneath", "open_file", "resolve"]


def _denied(code: int, path: str) -> OSError:
    return OSError(code, os.strerror(code), path)


def _mount(fs: Mapping[str, str], guest: str) -> tuple[str, str] | None:
    """The (host directory, path below it) of the longest prefix of ``fs`` matching ``guest``."""
    best: tuple[str, str] | None = None
    best_len = -1
    for prefix, host in fs.items():
        root = posixpath.normpath("/" + prefix.strip("/"))
        if root == "/":
            rest = guest[1:]
        elif guest == root or guest.startswith(root + "/"):
            rest = guest[len(root) + 1:]
        else:
            continue
        if len(root) > best_len:
            best, best_len = (host, rest), len(root)
    return best


def resolve(fs: Mapping[str, str], path: str) -> str:
    """The host path of guest ``path``; raises :class:`OSError` (ENOENT, EACCES) outside ``fs``."""
    return _resolve(fs, path)[0]


def _inside(host: str, root: str) -> bool:
    return host == root or host.startswith(root.rstrip(os.sep) + os.sep)


def _resolve(fs: Mapping[str, str], path: str) -> tuple[str, str]:
    """(host path, real host directory of its grant) of guest ``path``."""
    if "\0" in path:
        raise _denied(errno.EINVAL, path)
    if not path:
        raise _denied(errno.ENOENT, path)
    guest = posixpath.normpath("/" + path.lstrip("/"))
    found = _mount(fs, guest)
    if found is None:
        raise _denied(errno.ENOENT, path)
    host_dir, rest = found
    root = os.path.realpath(host_dir)
    host = os.path.realpath(os.path.join(root, rest)) if rest else root
    if not _inside(host, root):
        raise _denied(errno.EACCES, path)
    return host, root


@contextlib.contextmanager
def beneath(fs: Mapping[str, str], path: str) -> Iterator[tuple[int, str]]:
    """``(dir_fd, name)`` for an operation on guest ``path`` that cannot be raced out of ``fs``.

    ``dir_fd`` is the checked parent directory (closed on exit), ``name`` the last component
    (``"."`` for a granted directory itself).  Raises :class:`OSError` as :func:`resolve`, and
    ``EACCES`` if the parent directory is no longer inside the grant when opened.
    """
    host, root = _resolve(fs, path)
    parent, name = (host, ".") if host == root else os.path.split(host)
    fd = os.open(parent, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        try:
            real = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # no /proc: the path check above is all there is
            real = os.path.realpath(parent)
        if not _inside(real, root):
            raise _denied(errno.EACCES, path)
        yield fd, name
    finally:
        os.close(fd)


def open_file(fs: Mapping[str, str], path: str, mode: str) -> BinaryIO:
    """Open guest ``path`` in binary ``mode`` (as :func:`open`) inside ``fs`` (see :func:`beneath`)."""
    with beneath(fs, path) as (fd, name):
        def opener(file: str, flags: int) -> int:
            return os.open(file, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666, dir_fd=fd)

        return cast(BinaryIO, open(name, mode, opener=opener))  # noqa: SIM115 - the caller closes it
