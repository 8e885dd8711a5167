"""Drive examples/text/uppercase.c from Python: the guest reads and writes through intrinsics.

    .venv/bin/python examples/text/filter.py "hello World, bye"

``getchar``/``putchar`` are bound to Python functions over in-memory streams instead of
bpfvm's libc (user intrinsics take precedence), which is how a host application embeds a BPF
text filter.
"""

from __future__ import annotations

import sys
from pathlib import Path

import bpfvm

SOURCE = Path(__file__).with_name("uppercase.c")


def uppercase(text: str) -> str:
    """Run the BPF filter over ``text`` and return what it wrote."""
    data, out = iter(text.encode()), bytearray()
    vm = bpfvm.VM(max_call_depth=64)
    vm.intrinsics.getchar = lambda: next(data, -1)
    vm.intrinsics.putchar = lambda c: out.append(c & 0xFF) or c
    status = vm.run_main(bpfvm.compile(SOURCE), ["uppercase"])
    if status != 0:
        raise SystemExit(f"filter exited with {status}")
    return out.decode()


if __name__ == "__main__":
    print(uppercase(" ".join(sys.argv[1:]) or "hello World, bye"))
