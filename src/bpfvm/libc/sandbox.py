"""The file sandbox: guest paths resolve only inside the host directories a VM grants.

``vm.fs`` maps guest path prefixes to host directories, e.g. ``{"/data": "./assets"}``.  A
guest path is made absolute (the guest's working directory is ``/``) and normalised; the
longest matching prefix picks the host directory.  The resolved host path, with every symlink
followed, must still lie inside that directory:

* no matching prefix (including ``..`` walking above one) → ``ENOENT``: outside the sandbox
  nothing exists;
* a symlink (or anything else) leading out of the directory → ``EACCES``.
"""

from __future__ import annotations

import errno
import os
import posixpath
from collections.abc import Mapping

__all__ = ["resolve"]


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
    if not path:
        raise _denied(errno.ENOENT, path)
    guest = posixpath.normpath("/" + path.lstrip("/"))
    found = _mount(fs, guest)
    if found is None:
        raise _denied(errno.ENOENT, path)
    host_dir, rest = found
    root = os.path.realpath(host_dir)
    host = os.path.realpath(os.path.join(root, rest)) if rest else root
    if host != root and not host.startswith(root.rstrip(os.sep) + os.sep):
        raise _denied(errno.EACCES, path)
    return host
