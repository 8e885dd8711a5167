"""Fixtures for libc unit tests: a VM with in-memory streams, and guest memory helpers."""

from __future__ import annotations

import io

import pytest

import bpfvm


class Guest:
    """Places test data in a VM's guest memory."""

    def __init__(self, vm: bpfvm.VM) -> None:
        self.vm = vm
        self.count = 0

    def bytes(self, data: bytes, *, writable: bool = True) -> int:
        """Guest address of a copy of ``data``."""
        self.count += 1
        return self.vm.memory.map(f"test{self.count}", data, writable=writable, align=1).base

    def str(self, text: bytes | str, *, writable: bool = True) -> int:
        """Guest address of a NUL-terminated copy of ``text``."""
        data = text.encode() if isinstance(text, str) else text
        return self.bytes(data + b"\0", writable=writable)

    def buffer(self, size: int) -> int:
        """Guest address of ``size`` zero bytes."""
        return self.bytes(bytes(size))

    def read_str(self, addr: int) -> bytes:
        return self.vm.memory.cstring(addr)


@pytest.fixture
def vm() -> bpfvm.VM:
    return bpfvm.VM(stdin=io.BytesIO(), stdout=io.BytesIO(), stderr=io.BytesIO(), heap_size=1 << 20)


@pytest.fixture
def guest(vm: bpfvm.VM) -> Guest:
    return Guest(vm)
