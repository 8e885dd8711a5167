"""``bpfvm.BPF`` (the bcc-like API), the event builders, and the tracing examples."""

from __future__ import annotations

import io
import shutil
import struct

import pytest

import bpfvm
from bpfvm.examples import tracing
from bpfvm.kernel import events
from bpfvm.kernel.bcc import BPF, linear_hist_lines, log2_hist_lines
from bpfvm.vm import ENGINES

#: bcc's print_log2_hist output for these buckets (bcc/table.py _print_log2_hist, stars_max 40).
LOG2 = [
    "     byte_size           : count     distribution",
    "         0 -> 1          : 0        |                                        |",
    "         2 -> 3          : 3        |************                            |",
    "         4 -> 7          : 10       |****************************************|",
    "         8 -> 15         : 1        |****                                    |",
]


def test_histograms_print_as_bcc() -> None:
    assert log2_hist_lines([0, 0, 3, 10, 1], "byte_size") == LOG2
    assert log2_hist_lines([0, 0, 3, 10, 1], "byte_size", strip_leading_zero=True) == [LOG2[0], *LOG2[2:]]
    assert log2_hist_lines([0, 0, 0]) == []
    wide = log2_hist_lines([0] * 40 + [5])
    assert wide[0] == "               value                         : count     distribution"
    assert wide[-1] == "        549755813888 -> 1099511627775        : 5        |********************|"
    assert linear_hist_lines([1, 0, 2]) == [
        "     value         : count     distribution",
        "        0      : 1        |********************                    |",
        "        1      : 0        |                                        |",
        "        2      : 2        |****************************************|",
    ]


def test_strace_lines_parse() -> None:
    log = ['write(1, "hello\\n", 6) = 6', '[pid  4242] write(2, ""..., 4096) = 4096',
           '4243  write(3, "x", 1 <unfinished ...>', "read(0, \"\", 10) = 0", '99 write(5, "", 0) = 0']
    assert list(tracing.parse_strace(log)) == [(0, 1, 6), (4242, 2, 4096), (99, 5, 0)]


@pytest.mark.parametrize("engine", ENGINES)
def test_seed_histogram_of_write_sizes(engine: str) -> None:
    out = io.StringIO()
    tracing.histogram([1, 2, 3, 3, 100, 4096, 0], file=out, engine=engine)
    lines = out.getvalue().splitlines()
    assert lines[0] == "     byte_size           : count     distribution"
    assert lines[1].startswith("         0 -> 1          : 1 ")  # 1 byte (0 goes to bucket 0, unprinted)
    assert lines[2].startswith("         2 -> 3          : 3 ")
    assert lines[7].startswith("        64 -> 127        : 1 ")
    assert lines[-1].startswith("      4096 -> 8191       : 1 ")


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_seed_histogram_from_a_real_command() -> None:
    writes = tracing.strace_writes(["sh", "-c", "printf abc; printf 0123456789"])
    assert [count for _, _, count in writes] == [3, 10]
    bpf = tracing.write_sizes(count for _, _, count in writes)
    table = bpf["write_sizes"]
    assert struct.unpack("<Q", bytes(table[2]))[0] == 1 and struct.unpack("<Q", bytes(table[4]))[0] == 1
    table.clear()
    assert all(int.from_bytes(bytes(v), "little") == 0 for v in table.values())


@pytest.mark.parametrize("engine", ENGINES)
def test_kprobe_and_raw_tracepoint_events_through_a_ring_buffer(engine: str) -> None:
    bpf = BPF(src_file=tracing.HERE / "opens.c", engine=engine)
    bpf.vm.kernel.task.tgid = 4321
    bpf.attach_kprobe("do_sys_openat2", "trace_open")
    bpf.attach_raw_tracepoint("sched_process_exit", "trace_exit")
    name = 0x7FFF_0000_1000
    bpf.vm.kernel.map_user(name, b"/etc/passwd\0")
    got: list[tuple[int, int, bytes]] = []

    def record(ctx: object, data: memoryview, size: int) -> None:
        pid, dfd = struct.unpack_from("<Ii", data)
        got.append((pid, dfd, bytes(data[8:size]).split(b"\0")[0]))

    bpf["events"].open_ring_buffer(record)
    assert bpf.emit("kprobe:do_sys_openat2", events.pt_regs([-100, name, 0])) == [0]
    bpf.emit("kprobe:do_sys_openat2", events.pt_regs([-100, name, 0]))
    bpf.emit("raw_tracepoint:sched_process_exit", events.raw_args([77, 3]))
    assert bpf.ring_buffer_poll() == 3
    assert got == [(4321, -100, b"/etc/passwd"), (4321, -100, b"/etc/passwd"), (77, 3, b"")]
    assert dict(bpf["opens"].items()) == {struct.pack("<I", 4321): struct.pack("<Q", 2)}


def test_bpf_errors_are_clear() -> None:
    bpf = BPF(src_file=tracing.HERE / "opens.c")
    with pytest.raises(bpfvm.ProgramError, match="no map 'nope'"):
        bpf["nope"]
    with pytest.raises(bpfvm.ProgramError, match="no program 'nope'"):
        bpf.attach_kprobe("x", "nope")
    with pytest.raises(ValueError, match="exactly one"):
        BPF()
