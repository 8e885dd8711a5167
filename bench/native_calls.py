"""Intrinsic calls in the JIT: native lowering (bpfvm.jit.native) against the host callback.

Three C kernels, each run by the JIT with native intrinsics off (every ``__bpfvm_*`` float
operation, libm and string call goes through the ctypes callback into Python) and on, and by
the interpreter for reference:

* ``mandelbrot`` — a 96×64 tile, at most 256 iterations per point: double add/mul/compare;
* ``libm``       — sin, cos, sqrt, pow, atan2, exp, log in a loop;
* ``strings``    — memcpy, memset, strlen, strcmp, strchr, memcmp on short strings in a loop.

Every configuration must return the same value (checked).  The timed run excludes compilation.
Run: ``.venv/bin/python bench/native_calls.py [--scale N] [--no-interpreter]``.  Timing is never
asserted in tests; this only reports.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import bpfvm
from bpfvm import VM
from bpfvm.jit import native

KERNELS: dict[str, str] = {
    "mandelbrot": r"""
        long run(long scale) {
            long total = 0;
            for (long rep = 0; rep < scale; rep++)
                for (int row = 0; row < 64; row++)
                    for (int col = 0; col < 96; col++) {
                        double cr = -2.2 + col * (3.0 / 96), ci = -1.2 + row * (2.4 / 64);
                        double zr = 0.0, zi = 0.0;
                        int n = 0;
                        while (n < 256 && zr * zr + zi * zi <= 4.0) {
                            double t = zr * zr - zi * zi + cr;
                            zi = 2.0 * zr * zi + ci;
                            zr = t;
                            n++;
                        }
                        total += n;
                    }
            return total;
        }
    """,
    "libm": r"""
        #include <math.h>
        long run(long scale) {
            double acc = 0.0;
            for (long i = 0; i < 20000 * scale; i++) {
                double x = (double)(i % 1000) / 250.0 + 0.001;
                acc += sin(x) * cos(x) + sqrt(x) + pow(x, 1.5) + atan2(x, 2.0) + exp(-x) + log(x);
            }
            return (long)(acc * 1000.0);
        }
    """,
    "strings": r"""
        #include <string.h>
        static char a[128], b[128];
        long run(long scale) {
            long total = 0;
            strcpy(a, "the quick brown fox jumps over the lazy dog");
            for (long i = 0; i < 20000 * scale; i++) {
                memcpy(b, a, 48);
                b[i % 40] = (char)('a' + i % 26);
                total += strlen(b) + strcmp(a, b) + (strchr(b, 'z') - b) + memcmp(a, b, 40);
                memset(b + 44, 0, 4);
            }
            return total;
        }
    """,
}


def _time(vm: VM, program: bpfvm.Program, scale: int) -> tuple[float, int]:
    vm.run(program, 1, entry="run")  # warm-up: compiles
    start = time.perf_counter()
    result = vm.run(program, scale, entry="run")
    return time.perf_counter() - start, result


def measure(name: str, source: str, scale: int, interpreter: bool) -> dict[str, tuple[float, int]]:
    """Seconds and result of kernel ``name`` per configuration."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.c"
        path.write_text(source)
        program = bpfvm.compile(path)
    results = {}
    saved = native.ENABLED
    try:
        for label, enabled in (("jit, callback", False), ("jit, native", True)):
            native.ENABLED = enabled
            results[label] = _time(VM("jit"), program, scale)
    finally:
        native.ENABLED = saved
    if interpreter:
        results["interpreter"] = _time(VM("interpreter"), program, scale)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--scale", type=int, default=1, help="repeat each kernel N times")
    parser.add_argument("--no-interpreter", action="store_true", help="skip the (slow) interpreter")
    args = parser.parse_args()
    print(f"{'kernel':<12}{'configuration':<16}{'seconds':>10}{'speed-up':>10}  result")
    for name, source in KERNELS.items():
        results = measure(name, source, args.scale, not args.no_interpreter)
        base = results["jit, callback"][0]
        if len({value for _, value in results.values()}) != 1:
            raise SystemExit(f"{name}: configurations disagree: {results}")
        for label, (seconds, value) in results.items():
            print(f"{name:<12}{label:<16}{seconds:>10.4f}{base / seconds:>9.1f}x  {value}")


if __name__ == "__main__":
    main()
