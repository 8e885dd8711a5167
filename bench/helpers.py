"""Helper calls: bpfvm (interpreter, JIT) vs the Linux kernel's JIT, the same bytecode, one run.

Each program calls one helper ``LOOP`` times in a loop (``r6`` counts down) and returns, so a
run costs ``LOOP`` helper calls plus the loop; the table gives ns per call (run time / LOOP),
each engine's ratio to the kernel's JIT, and the same for an empty loop (the baseline).  The
kernel runs the bytes as a socket filter through ``BPF_PROG_TEST_RUN`` with ``repeat``.

Run: ``.venv/bin/python bench/helpers.py [--no-kernel]``.
"""

from __future__ import annotations

import argparse
import time

import bpfvm
from bpfvm.isa import Insn, encode, make
from bpfvm.kernel import syscall as linux
from bpfvm.kernel.helpers import helper

LOOP = 1000
RUNS = {"interpreter": 20, "jit": 2000}
KERNEL_REPEAT = 20_000


def _program(helper_id: int | None) -> bytes:
    call = [make("call", imm=helper_id)] if helper_id is not None else [make("mov64_imm", dst=0, imm=0)]
    back = make("jne64_imm", dst=6, imm=0, off=-(len(call) + 2))
    body: list[Insn] = [make("mov64_imm", dst=6, imm=LOOP), *call, make("add64_imm", dst=6, imm=-1), back,
                        make("mov64_imm", dst=0, imm=0), make("exit")]
    return encode(tuple(body))


def _bpfvm_ns(engine: str, code: bytes) -> float:
    vm = bpfvm.VM(engine=engine)
    vm.run(code)  # compile
    runs = RUNS[engine]
    start = time.perf_counter_ns()
    for _ in range(runs):
        vm.run(code)
    return (time.perf_counter_ns() - start) / runs / LOOP


def _kernel_ns(code: bytes) -> float | str:
    loaded = linux.prog_load(code, linux.ProgType.SOCKET_FILTER, log_level=0)
    if not loaded.ok:
        return f"load failed: errno {loaded.errno}"
    try:
        result = linux.test_run(loaded.fd, data_in=bytes(64), repeat=KERNEL_REPEAT)
    finally:
        linux.close(loaded.fd)
    return result.duration_ns / LOOP


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-kernel", action="store_true", help="skip the kernel column")
    args = parser.parse_args()
    ok, why = (False, "--no-kernel") if args.no_kernel else linux.available()
    rows = [("empty loop", None)] + [(helper(n).name, helper(n).id) for n in
                                     ("bpf_ktime_get_ns", "bpf_get_prandom_u32", "bpf_get_smp_processor_id")]
    print(f"{'ns per iteration':28} {'interpreter':>12} {'jit':>9} {'kernel':>9} {'jit/kernel':>11}")
    for name, hid in rows:
        code = _program(hid)
        interp, jit = _bpfvm_ns("interpreter", code), _bpfvm_ns("jit", code)
        kernel = linux.in_child(_kernel_ns, code) if ok else why
        if isinstance(kernel, float):
            print(f"{name:28} {interp:12.1f} {jit:9.1f} {kernel:9.1f} {jit / kernel:10.1f}x")
        else:
            print(f"{name:28} {interp:12.1f} {jit:9.1f} {'-':>9} {'-':>11}   ({kernel})")


if __name__ == "__main__":
    main()
