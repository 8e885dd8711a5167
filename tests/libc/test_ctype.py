"""<ctype.h>: every test and conversion against glibc for every int from -1 (EOF) to 255."""

from __future__ import annotations

import ctypes

import pytest

import bpfvm
from bpfvm.libc import LIBC
from bpfvm.libc.ctype import CLASSES

libc = ctypes.CDLL(None)


@pytest.mark.parametrize("name", [*CLASSES, "toupper", "tolower", "isascii"])
def test_matches_glibc(name: str) -> None:
    vm = bpfvm.VM()
    ours, theirs = LIBC[name].fn, getattr(libc, name)
    for c in range(-1, 256):
        assert ours(vm, c & 0xFFFF_FFFF) == theirs(c), (name, c)  # an int arrives zero-extended
    assert ours(vm, 2**64 - 1) == theirs(-1)  # ... or sign-extended
