"""Map helpers: bpfvm (interpreter, JIT) vs the Linux kernel's JIT, the same bytecode, one run.

Two programs, as kernel loaders emit them (``lddw r1, map_fd`` with ``src=1``), so the *same*
bytes run in the kernel and in bpfvm (where the fd is :attr:`bpfvm.Map.fd`):

* **hash counter** — per packet: key = ``len & 255``; ``bpf_map_lookup_elem`` on a hash map and
  ``+= 1``, or ``bpf_map_update_elem`` of 1 when missing;
* **array histogram** — per packet: ``bpf_map_lookup_elem(&hist, len & 63)`` and ``+= 1``.

``len`` is the u32 at offset 0 of the context: ``__sk_buff.len`` in the kernel (a socket
filter test-run with a 60-byte packet: 46 after the Ethernet header), a 4-byte context in
bpfvm.  Each program also exists in a
*looped* form (``LOOP`` packets per run, key varying) that amortises the cost of entering a
program, which is large for bpfvm (a Python call) and small for ``BPF_PROG_TEST_RUN``'s
in-kernel repeat loop.  Results (the map contents) must agree before times are printed.

Run: ``.venv/bin/python bench/maps.py [--no-kernel]``.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
from collections.abc import Callable

import bpfvm
from bpfvm import Map
from bpfvm.isa import Insn, encode, make
from bpfvm.kernel import syscall as linux
from bpfvm.kernel.maps.helpers import MAP_HELPERS

LOOP = 256
PACKETS = 2000
KERNEL_REPEAT = 200_000
_SOCKET_FILTER = 1


def _lookup(fd: int, key_reg: int) -> list[Insn]:
    return [make("stxw", dst=10, src=key_reg, off=-4), make("lddw", dst=1, src=1, imm=fd),
            make("mov64_reg", dst=2, src=10), make("add64_imm", dst=2, imm=-4), make("call", imm=1)]


def _body(kind: str, fd: int) -> list[Insn]:
    """Count key r6 (r0..r5 clobbered)."""
    skip = 3 if kind == "array" else 4
    out = _lookup(fd, 6) + [make("jeq64_imm", dst=0, imm=0, off=skip), make("ldxdw", dst=1, src=0),
                            make("add64_imm", dst=1, imm=1), make("stxdw", dst=0, src=1)]
    if kind == "array":
        return [*out, make("ja", off=0)]
    insert = [make("stdw", dst=10, off=-16, imm=1), make("lddw", dst=1, src=1, imm=fd),
              make("mov64_reg", dst=2, src=10), make("add64_imm", dst=2, imm=-4),
              make("mov64_reg", dst=3, src=10), make("add64_imm", dst=3, imm=-16),
              make("mov64_imm", dst=4, imm=0), make("call", imm=2)]
    return [*out, make("ja", off=_width(insert)), *insert]


def _width(insns: list[Insn]) -> int:
    return sum(2 if i.opcode == 0x18 else 1 for i in insns)


def program(kind: str, fd: int, *, looped: bool) -> bytes:
    """The bytecode of one benchmark program."""
    mask = 63 if kind == "array" else 255
    head = [make("ldxw", dst=8, src=1, off=0)]
    if not looped:
        body = [make("mov64_reg", dst=6, src=8), make("and64_imm", dst=6, imm=mask), *_body(kind, fd)]
        return encode([*head, *body, make("mov64_imm", dst=0, imm=0), make("exit")])
    body = [make("mov64_reg", dst=6, src=8), make("add64_reg", dst=6, src=7),
            make("and64_imm", dst=6, imm=mask),
            *_body(kind, fd), make("add64_imm", dst=7, imm=1)]
    loop = [make("mov64_imm", dst=7, imm=0), *body]
    back = -(_width(body) + 1)
    return encode([*head, *loop, make("jlt64_imm", dst=7, imm=LOOP, off=back),
                   make("mov64_imm", dst=0, imm=0), make("exit")])


def _maps(kind: str) -> Map:
    return Map("array", 4, 8, 64, name="hist") if kind == "array" else Map("hash", 4, 8, 256, name="counts")


def time_bpfvm(kind: str, engine: str, looped: bool) -> tuple[float, dict[bytes, bytes]]:
    """ns per packet in a bpfvm VM; and the map's final contents."""
    m = _maps(kind)
    code = program(kind, m.fd, looped=looped)
    vm = bpfvm.VM(engine=engine)
    for name, number in (("bpf_map_lookup_elem", 1), ("bpf_map_update_elem", 2)):
        vm.helpers[number] = functools.partial(MAP_HELPERS[name], vm)
    ctx = vm.memory.map("ctx", 8, writable=True)
    vm.memory.store(ctx.base, 4, 60 - 14)  # the kernel's skb->len: the packet less its Ethernet header
    vm.run(code, ctx.base)  # compile
    runs = max(PACKETS // (LOOP if looped else 1), 10) if engine == "jit" else 20
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter_ns()
        for _ in range(runs):
            vm.run(code, ctx.base)
        best = min(best, (time.perf_counter_ns() - start) / (runs * (LOOP if looped else 1)))
    return best, {k: v for k, v in m.items() if v != bytes(8)}


def time_kernel(kind: str, looped: bool) -> tuple[float, dict[bytes, bytes]] | str:
    """ns per packet with BPF_PROG_TEST_RUN repeat, or why not."""
    try:
        fd = linux.map_create(2 if kind == "array" else 1, 4, 8, 64 if kind == "array" else 256, name="bench")
    except linux.KernelError as exc:
        return f"no kernel maps: {exc}"
    try:
        code = program(kind, fd, looped=looped)
        repeat = KERNEL_REPEAT // (LOOP if looped else 1)
        outcome = linux.in_child(_kernel_run, code, repeat, timeout=120)
        if isinstance(outcome, linux.KernelCrash) or isinstance(outcome, str):
            return str(outcome)
        contents = {}
        key = None
        while True:
            try:
                key = linux.map_get_next_key(fd, key, 4)
            except linux.KernelError:
                break
            value = linux.map_lookup(fd, key, 8)
            if value != bytes(8):
                contents[key] = value
        return outcome / (LOOP if looped else 1), contents
    finally:
        linux.close(fd)


def _kernel_run(code: bytes, repeat: int) -> float | str:
    loaded = linux.prog_load(code, _SOCKET_FILTER)
    if loaded.fd < 0:
        return f"verifier: {linux.verifier_error(loaded.log) or loaded.errno}"
    try:
        packet = bytes(60)
        durations = [linux.test_run(loaded.fd, data_in=packet, repeat=repeat).duration_ns for _ in range(3)]
        linux.test_run(loaded.fd, data_in=bytes(60), repeat=1)
        return float(min(durations))
    finally:
        linux.close(loaded.fd)


def _counts(contents: dict[bytes, bytes]) -> list[tuple[int, bool]]:
    return sorted((int.from_bytes(k, "little"), v != bytes(8)) for k, v in contents.items())


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-kernel", action="store_true")
    args = parser.parse_args()
    rows = []
    for kind in ("hash", "array"):
        for looped in (False, True):
            label = f"{kind}{' looped' if looped else ''}"
            jit, jit_map = time_bpfvm(kind, "jit", looped)
            interp, interp_map = time_bpfvm(kind, "interpreter", looped)
            kernel: tuple[float, dict[bytes, bytes]] | str = "skipped"
            if not args.no_kernel:
                kernel = time_kernel(kind, looped)
            if not isinstance(kernel, str) and _counts(kernel[1]) != _counts(jit_map):
                raise SystemExit(f"{label}: kernel and bpfvm maps differ: {kernel[1]} vs {jit_map}")
            if _counts(interp_map) != _counts(jit_map):
                raise SystemExit(f"{label}: interpreter and JIT maps differ")
            rows.append((label, interp, jit, kernel))
    _print(rows)


def _print(rows: list[tuple[str, float, float, tuple[float, dict[bytes, bytes]] | str]]) -> None:
    fmt: Callable[[float], str] = lambda ns: f"{ns:,.0f}" if ns >= 100 else f"{ns:.1f}"  # noqa: E731
    print(f"{'program (ns/packet)':<22}{'interpreter':>13}{'JIT':>10}{'kernel JIT':>12}{'JIT/kernel':>12}")
    ratios = []
    for label, interp, jit, kernel in rows:
        k = "-" if isinstance(kernel, str) else fmt(kernel[0])
        ratio = "-" if isinstance(kernel, str) or not kernel[0] else f"{jit / kernel[0]:.1f}x"
        if not isinstance(kernel, str) and kernel[0]:
            ratios.append(jit / kernel[0])
        print(f"{label:<22}{fmt(interp):>13}{fmt(jit):>10}{k:>12}{ratio:>12}")
        if isinstance(kernel, str) and kernel != "skipped":
            print(f"  kernel: {kernel}")
    if ratios:
        print(f"geomean JIT/kernel: {statistics.geometric_mean(ratios):.1f}x")


if __name__ == "__main__":
    main()
