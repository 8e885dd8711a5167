"""XDP programs: bpfvm's test_run (JIT and interpreter) vs the kernel's JIT via BPF_PROG_TEST_RUN.

One run, one table: ns per packet as each reports it (``duration`` of a test run with
``repeat``: the kernel's is its in-kernel loop; bpfvm's includes its per-run Python entry into the
engine), and packets/s of ``bpfvm xdp`` replaying a capture end to end.

    .venv/bin/python bench/xdp.py [--repeat N] [--packets N]
"""

from __future__ import annotations

import argparse
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bpfvm
from bpfvm.cc import compile_c
from bpfvm.isa import encode
from bpfvm.kernel import syscall as kernel

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = {
    "parser (eth/ip/udp)": (ROOT / "tests/kernel/programs/xdp_parse.c", None),
    "rewriter (IPIP encap)": (ROOT / "tests/kernel/programs/xdp_encap.c", None),
    "parser + hash counter": (ROOT / "bench/xdp/xdp_count.c", "maps"),
}


def _packet() -> bytes:
    udp = struct.pack(">HHHH", 1234, 9, 8 + 18, 0) + b"x" * 18
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, bytes([10, 0, 0, 1]),
                     bytes([10, 0, 0, 2]))
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + udp


def _kernel_ns(code: bytes, data: bytes, repeat: int) -> int | None:
    loaded = kernel.prog_load(code, kernel.ProgType.XDP)
    if loaded.fd < 0:
        return None
    try:
        return kernel.test_run(loaded.fd, data_in=data, repeat=repeat).duration_ns
    finally:
        kernel.close(loaded.fd)


def _bpfvm_ns(program: bpfvm.Program, engine: str, data: bytes, repeat: int) -> int:
    vm = bpfvm.VM(engine, stack_size=512)
    vm.test_run(program, data=data)  # compile (and warm the cache) outside the timing
    return int(vm.test_run(program, data=data, repeat=repeat).duration)


def _replay_rate(obj: Path, packets: int) -> float:
    """Packets per second of ``bpfvm xdp OBJ -r CAPTURE`` (process start-up included)."""
    data = _packet()
    with tempfile.TemporaryDirectory() as tmp:
        capture = Path(tmp) / "in.pcap"
        out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
        out += b"".join(struct.pack("<IIII", i, 0, len(data), len(data)) + data for i in range(packets))
        capture.write_bytes(out)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bpfvm", "xdp", str(obj), "-r", str(capture)], check=True,
                       capture_output=True)
        return packets / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10000)
    parser.add_argument("--packets", type=int, default=5000)
    args = parser.parse_args()
    ok, why = kernel.available()
    data = _packet()
    print(f"{'program':<24} {'kernel JIT ns':>14} {'bpfvm JIT ns':>13} {'ratio':>7} {'interp ns':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        for label, (source, _) in PROGRAMS.items():
            obj = compile_c(source, output=Path(tmp) / (source.stem + ".o"), kernel=True)
            program = bpfvm.load(obj)
            theirs = None
            if ok and not program.relocs:
                result = kernel.in_child(_kernel_ns, encode(program.insns), data, args.repeat)
                theirs = result if isinstance(result, int) else None
            jit = _bpfvm_ns(program, "jit", data, args.repeat)
            interp = _bpfvm_ns(program, "interpreter", data, max(args.repeat // 100, 10))
            ratio = f"{jit / theirs:.1f}x" if theirs else "—"
            shown = theirs if theirs is not None else "—"
            print(f"{label:<24} {shown:>14} {jit:>13} {ratio:>7} {interp:>10}")
        obj = compile_c(PROGRAMS["parser (eth/ip/udp)"][0], output=Path(tmp) / "parse.o", kernel=True)
        rate = _replay_rate(obj, args.packets)
        print(f"\nbpfvm xdp replay of {args.packets} packets: {rate:,.0f} packets/s (JIT, start-up included)")
    if not ok:
        print(f"(kernel column empty: {why})")


if __name__ == "__main__":
    main()
