"""Classic BPF: bpfvm (the kernel's converter, then the JIT) vs libpcap's pcap_offline_filter.

Packets: every packet of the Ethernet captures of ../shared/pcap (libpcap's own test
captures: IPv4/IPv6, TCP/UDP/ICMP, VLAN, PPPoE, IS-IS, DECnet, GENEVE …), laid out once
in one buffer that stays in cache, and ``--packets`` records cycling through them — so the
table measures filtering, not DRAM; ``--distinct`` lays every record's packet out separately
(a capture far larger than the caches: both sides then pay a cache miss per packet).
Filters: tcpdump expressions of 1 to ~90 instructions compiled by libpcap (``pcap_compile``,
optimised), including ``ip6 protochain``
(backward jumps).

* **libpcap** — ``pcap_offline_filter`` in a loop over the packets, in C (a small harness
  built here with ``gcc -O2`` and called once through ctypes: no Python per packet).
* **bpfvm JIT** — the converted filter as a BPF-to-BPF subprogram of a driver loop over
  (address, caplen, wirelen) records, run by ``VM(engine="jit")`` in one ``vm.run`` over the
  whole capture (``StagedCapture.run``); ``uninterruptible`` is ``interruptible=False``
  (no budget check on the driver's back edge).  Compile time is excluded (warm-up run).

Results must agree packet by packet (asserted).  Times are the best of ``--repeat`` runs.
Then packets per CPU second end to end (user + sys of the process, start-up included):
``bpfvm filter -r IN -w OUT EXPR`` vs ``tcpdump -r IN -w OUT EXPR`` on a capture of the same
packets (outputs compared byte for byte).

Run: ``.venv/bin/python bench/cbpf.py [--packets N]``.  Timing is never asserted in tests.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bpfvm.cbpf import Filter, compile
from bpfvm.cbpf.pcap import Reader, _BpfInsn, _BpfProgram

SHARED = Path(os.environ.get("BPFVM_SHARED", Path(__file__).resolve().parents[2] / "shared"))

EXPRESSIONS = [
    "",
    "ip",
    "tcp",
    "tcp port 80",
    "udp port 53 or tcp port 443",
    "ip6 protochain 17",
    "portrange 1000-2000 or port 53 or port 80 or port 443 or port 8080 or icmp or icmp6",
    "host 192.168.1.1 or net 10.0.0.0/8 and (tcp port 80 or udp port 53)"
    " or ip6 host ::1 or vlan 10 and ip or arp",
    "(tcp port 80 or tcp port 443 or udp port 53 or udp port 123) and not host 10.1.2.3"
    " or (ip6 and (tcp port 22 or udp port 546)) or vlan and (tcp or udp) or pppoes and ip"
    " or (ip and ip[8] < 5) or len > 1400",
    "(tcp port 80 or tcp port 443 or udp port 53 or icmp) and not (host 10.0.0.1 or net 192.168.0.0/16)"
    " or len > 1400 or (ip6 and tcp portrange 1000-2000) or vlan 10 and udp"
    " or tcp[tcpflags] & tcp-syn != 0 or ether broadcast",  # 89 instructions
]

HARNESS = r"""
#include <pcap/pcap.h>
#include <stdint.h>
#include <time.h>
/* records: (offset, caplen, wirelen) triples into blob; results[i] = pcap_offline_filter */
double run(const struct bpf_program *prog, const unsigned char *blob, const uint32_t *recs,
           int n, uint32_t *results) {
    struct pcap_pkthdr h = {{0, 0}, 0, 0};
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < n; i++) {
        h.caplen = recs[3 * i + 1];
        h.len = recs[3 * i + 2];
        results[i] = (uint32_t) pcap_offline_filter(prog, &h, blob + recs[3 * i]);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
}
"""


def _harness(workdir: Path) -> ctypes.CDLL:
    source, lib = workdir / "harness.c", workdir / "harness.so"
    source.write_text(HARNESS)
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", str(source), "-o", str(lib), "-lpcap"], check=True)
    harness = ctypes.CDLL(str(lib))
    harness.run.restype = ctypes.c_double
    return harness


def _unique_packets() -> list[tuple[bytes, int]]:
    captures = sorted((SHARED / "pcap" / "captures").glob("*.pcap"))
    if not captures:
        sys.exit(f"no captures in {SHARED / 'pcap' / 'captures'} (set BPFVM_SHARED)")
    found: list[tuple[bytes, int]] = []
    for path in captures:
        with Reader(path) as reader:
            if reader.linktype == 1:
                found += [(p.data, p.wirelen) for p in reader]
    return found


def _prepared(unique: list[tuple[bytes, int]], count: int) -> tuple[bytes, list[tuple[int, int, int]]]:
    """The distinct packets once in one buffer (so it stays in cache, as a capture buffer
    being filtered does) and ``count`` records cycling through them."""
    blob, spans = bytearray(), []
    for data, wire in unique:
        spans.append((len(blob), len(data), wire))
        blob += data
    return bytes(blob), [spans[i % len(spans)] for i in range(count)]


def _libpcap(
    harness: ctypes.CDLL, filt: Filter, prepared: tuple[bytes, list[tuple[int, int, int]]], repeat: int
) -> tuple[float, list[int]]:
    blob, spans = prepared
    insns = (_BpfInsn * len(filt.insns))(*(_BpfInsn(i.code, i.jt, i.jf, i.k) for i in filt.insns))
    program = _BpfProgram(len(filt.insns), ctypes.cast(insns, ctypes.POINTER(_BpfInsn)))
    recs = (ctypes.c_uint32 * (3 * len(spans)))(*(v for span in spans for v in span))
    results = (ctypes.c_uint32 * len(spans))()
    best = min(harness.run(ctypes.byref(program), blob, recs, len(spans), results) for _ in range(repeat))
    return best / len(spans), list(results)


def _bpfvm(
    filt: Filter, prepared: tuple[bytes, list[tuple[int, int, int]]], repeat: int, interruptible: bool
) -> tuple[float, list[int]]:
    engine = filt.engine("jit", interruptible=interruptible)
    with engine.stage(prepared) as staged:
        results = staged.run()  # warm-up: JIT compile
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter_ns()
            staged.execute()
            best = min(best, time.perf_counter_ns() - start)
    return best / staged.count, results


def _write_pcap(path: Path, packets: list[tuple[bytes, int]]) -> None:
    with path.open("wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for n, (data, wire) in enumerate(packets):
            out.write(struct.pack("<IIII", 1_700_000_000 + n // 1000, n % 1000, len(data), wire) + data)


def _end_to_end(workdir: Path, packets: list[tuple[bytes, int]], expr: str) -> tuple[float, float]:
    capture = workdir / "big.pcap"
    _write_pcap(capture, packets)
    tcpdump = shutil.which("tcpdump")
    if tcpdump is None:
        return float("nan"), float("nan")
    times = []  # CPU seconds (user + sys) of the child: robust on a shared machine
    for cmd, out in (
        ([sys.executable, "-m", "bpfvm", "filter"], workdir / "ours.pcap"),
        ([tcpdump], workdir / "theirs.pcap"),
    ):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([*cmd, "-r", str(capture), "-w", str(out), expr], check=True, capture_output=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if (workdir / "ours.pcap").read_bytes() != (workdir / "theirs.pcap").read_bytes():
        raise SystemExit("bpfvm filter and tcpdump wrote different captures")
    return len(packets) / times[0], len(packets) / times[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--e2e-packets", type=int, default=100_000)
    parser.add_argument(
        "--distinct",
        action="store_true",
        help="lay out every record's packet separately (a capture larger than the caches)",
    )
    args = parser.parse_args()
    unique = _unique_packets()
    packets = [unique[i % len(unique)] for i in range(args.packets)]
    console = Console(width=150)
    table = Table(
        title=f"classic BPF filters, ns/packet over {len(packets)} packets "
        f"({len(packets) if args.distinct else len(unique)} distinct) (lower is better)"
    )
    for column in (
        "filter",
        "insns",
        "matched",
        "libpcap",
        "bpfvm JIT",
        "ratio",
        "JIT uninterruptible",
        "ratio",
    ):
        table.add_column(column, justify="left" if column == "filter" else "right")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        harness = _harness(workdir)
        for expr in EXPRESSIONS:
            filt = compile(expr, 1, 65535)
            prepared = _prepared(packets if args.distinct else unique, len(packets))
            base, expected = _libpcap(harness, filt, prepared, args.repeat)
            jit, got = _bpfvm(filt, prepared, args.repeat, True)
            fast, got2 = _bpfvm(filt, prepared, args.repeat, False)
            if got != expected or got2 != expected:
                raise SystemExit(f"{expr!r}: bpfvm and libpcap disagree")
            table.add_row(
                repr(expr) if len(expr) < 40 else repr(expr[:37] + "…"),
                str(len(filt.insns)),
                str(sum(1 for r in expected if r)),
                f"{base:.1f}",
                f"{jit:.1f}",
                f"{base / jit:.2f}×",
                f"{fast:.1f}",
                f"{base / fast:.2f}×",
            )
        console.print(table)
        e2e = Table(
            title=f"end to end: -r IN -w OUT, {args.e2e_packets} packets, per CPU second (higher is better)"
        )
        for column in ("filter", "bpfvm filter pkt/s", "tcpdump pkt/s", "ratio"):
            e2e.add_column(column, justify="left" if column == "filter" else "right")
        for expr in ("tcp port 80", EXPRESSIONS[-1]):
            ours, theirs = _end_to_end(workdir, packets[: args.e2e_packets], expr)
            e2e.add_row(
                repr(expr) if len(expr) < 40 else repr(expr[:37] + "…"),
                f"{ours:,.0f}",
                f"{theirs:,.0f}",
                f"{ours / theirs:.2f}×",
            )
        console.print(e2e)
        console.print(
            "ratio = libpcap time / bpfvm time (above 1: bpfvm is faster); "
            "end-to-end ratio = bpfvm packets/s / tcpdump packets/s"
        )


if __name__ == "__main__":
    main()
