"""bpfvm filter / bpfvm seccomp against tcpdump: printed filters and written captures, diffed."""

from __future__ import annotations

import io
import random
import shutil
import subprocess
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from bpfvm.cbpf.pcap import Reader
from bpfvm.cli import main
from tests.shared import SHARED, require

from .programs import EXPRESSIONS, random_packet, write_pcap

TCPDUMP = shutil.which("tcpdump")
needs_tcpdump = pytest.mark.skipif(
    TCPDUMP is None, reason="tcpdump is not installed (Debian package tcpdump)"
)


def _bpfvm(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        status = main(list(argv))
    return status, out.getvalue()


def _tcpdump(*argv: str) -> str:
    assert TCPDUMP is not None
    return subprocess.run([TCPDUMP, *argv], capture_output=True, text=True, check=True).stdout


@needs_tcpdump
@pytest.mark.parametrize("flag", ["-d", "-dd", "-ddd"])
def test_filter_prints_what_tcpdump_prints(flag: str) -> None:
    for expr in EXPRESSIONS[:10]:
        assert _bpfvm("filter", flag, "-y", "EN10MB", *expr.split()) == (
            0,
            _tcpdump(flag, "-y", "EN10MB", expr),
        )
    assert _bpfvm("filter", flag, "-y", "RAW", "ip") == (0, _tcpdump(flag, "-y", "RAW", "ip"))


def _capture(tmp_path: Path) -> Path:
    rng = random.Random(42)
    packets = []
    for _ in range(300):
        data = random_packet(rng)
        packets.append((data[: rng.choice([len(data), 40, 20])], len(data) + rng.choice([0, 0, 100])))
    return write_pcap(tmp_path / "made.pcap", packets, snaplen=1000)


@needs_tcpdump
@pytest.mark.parametrize("engine", ["jit", "interpreter", "classic"])
def test_filter_writes_what_tcpdump_writes(tmp_path: Path, engine: str) -> None:
    capture = _capture(tmp_path)
    for expr in ["ip", "udp port 53 or tcp", "len > 60", "vlan and udp", "ip[2:2] > 100", "ether[0] & 1 = 0"]:
        ours, theirs = tmp_path / "ours.pcap", tmp_path / "theirs.pcap"
        status, out = _bpfvm("filter", "-r", str(capture), "-w", str(ours), "--engine", engine, *expr.split())
        subprocess.run(
            [TCPDUMP, "-r", str(capture), "-w", str(theirs), expr], capture_output=True, check=True
        )
        assert status == 0 and ours.read_bytes() == theirs.read_bytes(), expr
        with Reader(theirs) as written:
            count = sum(1 for _ in written)
        assert out == f"{count} packets matched (300 read)\n"


@needs_tcpdump
def test_filter_count_and_shared_captures(tmp_path: Path) -> None:
    captures = require(SHARED / "pcap" / "captures")
    for capture, expr in [
        ("pppoes.pcap", "pppoes and ip"),
        ("ipv6_ext_headers.pcap", "ip6 protochain 17"),
        ("ISIS_external_lsp.pcap", "isis"),
        ("geneve.pcap", "geneve and ip"),
    ]:
        for count in ([], ["-c", "1"]):
            ours, theirs = tmp_path / "o.pcap", tmp_path / "t.pcap"
            _bpfvm("filter", "-r", str(captures / capture), "-w", str(ours), *count, *expr.split())
            subprocess.run(
                [TCPDUMP, "-r", str(captures / capture), "-w", str(theirs), *count, expr],
                capture_output=True,
                check=True,
            )
            assert ours.read_bytes() == theirs.read_bytes(), (capture, expr, count)


def test_filter_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["filter", "-d", "ip", "and"]) == 1
    assert "syntax error" in capsys.readouterr().err
    assert main(["filter", "-r", str(tmp_path / "none.pcap"), "ip"]) == 1
    assert "none.pcap" in capsys.readouterr().err
    assert main(["filter", "ip"]) == 2


def test_filter_prints_ebpf_and_asm(tmp_path: Path) -> None:
    status, text = _bpfvm("filter", "--ebpf", "ip")
    assert status == 0 and "w0 ^= w0" in text and "r6 = r1" in text and text.rstrip().endswith("exit")
    assert _bpfvm("filter", "--ebpf-out", str(tmp_path / "ip.bin"), "ip") == (0, "")
    assert _bpfvm("disasm", "--raw", str(tmp_path / "ip.bin")) == (0, text)
    status, text = _bpfvm("filter", "--asm", "ip")
    assert text == "\tldh [12]\n\tjeq #0x800, L2, L3\nL2:\tret #262144\nL3:\tret #0\n"


def test_seccomp_command(tmp_path: Path) -> None:
    from bpfvm.cbpf import Filter

    allow_getpid = Filter.from_text("ld [0]\njeq #39, deny\nret #0x7fff0000\ndeny: ret #0x50007\n", "asm")
    kill_arg = Filter.from_text("ld [16]\njeq #3, kill\nret #0x7fff0000\nkill: ret #0x80000000\n", "asm")
    first, second = tmp_path / "a.bpf", tmp_path / "b.bpf"
    first.write_bytes(allow_getpid.to_bytes())
    second.write_bytes(kill_arg.to_bytes())
    assert _bpfvm("seccomp", str(first), "--syscall", "39") == (0, "ERRNO(7)\n")
    assert _bpfvm("seccomp", str(first), "--syscall", "getpid", "--engine", "interpreter") == (
        0,
        "ERRNO(7)\n",
    )
    assert _bpfvm("seccomp", str(first), str(second), "--syscall", "39", "--args", "3") == (
        0,
        "KILL_PROCESS\n",
    )
    assert _bpfvm("seccomp", str(first), str(second), "--syscall", "1", "--args", "0x4") == (0, "ALLOW\n")
    assert main(["seccomp", str(first), "--syscall", "1", "--arch", "vax"]) == 1
