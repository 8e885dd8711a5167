"""``bpfvm xdp|tc|socket -r IN.pcap``: a capture through a program, verdicts and the packets that go on."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from bpfvm.cbpf.pcap import Reader

from .test_test_run import HERE, KERNEL_C, _ipv4_tcp, _ipv4_udp


def _pcap(path: Path, packets: list[bytes]) -> Path:
    """A little-endian pcap file (LINKTYPE_ETHERNET), timestamps 1, 2, 3 … seconds."""
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for i, data in enumerate(packets, 1):
        out += struct.pack("<IIII", i, 0, len(data), len(data)) + data
    path.write_bytes(out)
    return path


def _cli(*words: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bpfvm", *words], capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def objects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from bpfvm.cc import compile_c

    out = tmp_path_factory.mktemp("replay")
    return {
        n: compile_c(HERE / f"{n}.c", output=out / f"{n}.o", kernel=True, flags=KERNEL_C)
        for n in ("xdp_parse", "socket_len", "tc_nat")
    }


def test_xdp_replay_counts_and_writes_the_passing_packets(objects: dict[str, Path], tmp_path: Path) -> None:
    packets = [_ipv4_udp(53), _ipv4_udp(9), _ipv4_tcp(), _ipv4_udp(53), _ipv4_udp(1000)]
    capture = _pcap(tmp_path / "in.pcap", packets)
    result = _cli(
        "xdp", str(objects["xdp_parse"]), "-r", str(capture), "-w", str(tmp_path / "out.pcap"), "-v"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:5] == [
        f"1 XDP_DROP {len(packets[0])}",
        f"2 XDP_TX {len(packets[1])}",
        f"3 XDP_PASS {len(packets[2])}",
        f"4 XDP_DROP {len(packets[3])}",
        f"5 XDP_TX {len(packets[4])}",
    ]
    assert lines[5:] == ["XDP_DROP        2", "XDP_PASS        1", "XDP_TX          2", "5 packets, 3 passed"]
    with Reader(tmp_path / "out.pcap") as written:
        kept = list(written)
    assert [p.ts_sec for p in kept] == [2, 3, 5]
    assert kept[0].data[:12] == packets[1][6:12] + packets[1][:6]  # the MACs the program swapped
    assert kept[1].data == packets[2]


def test_socket_replay_trims_to_the_return_value(objects: dict[str, Path], tmp_path: Path) -> None:
    capture = _pcap(tmp_path / "in.pcap", [_ipv4_tcp(), _ipv4_udp(9)])
    result = _cli("socket", str(objects["socket_len"]), "-r", str(capture), "-w", str(tmp_path / "out.pcap"))
    assert result.returncode == 0, result.stderr
    with Reader(tmp_path / "out.pcap") as written:
        kept = list(written)
    assert len(kept[0].data) == 14 + 40 and kept[0].data == _ipv4_tcp()[:54]
    assert kept[1].data == _ipv4_udp(9)


def test_tc_replay_and_bad_input(objects: dict[str, Path], tmp_path: Path) -> None:
    capture = _pcap(tmp_path / "in.pcap", [_ipv4_udp(9), _ipv4_tcp()])
    result = _cli("tc", str(objects["tc_nat"]), "-r", str(capture))
    assert result.returncode == 0, result.stderr
    assert "TC_ACT_OK" in result.stdout and "2 packets" in result.stdout
    missing = _cli("xdp", str(objects["xdp_parse"]), "-r", str(tmp_path / "nope.pcap"))
    assert missing.returncode == 1 and missing.stderr.startswith("bpfvm: ") and "nope.pcap" in missing.stderr
