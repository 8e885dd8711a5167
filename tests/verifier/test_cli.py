"""``bpfvm verify`` on the command line: exit status, log on stderr, veristat-style statistics."""

from __future__ import annotations

from pathlib import Path

import pytest

from bpfvm.cli import main


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_accept_and_stats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _write(tmp_path, "ok.s", "r0 = 0\nexit\n")
    assert main(["verify", str(src), "--type", "socket_filter", "--stats", "--csv"]) == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert lines[0] == (
        "file_name,prog_name,verdict,duration,total_insns,total_states,peak_states,"
        "max_states_per_insn,max_mark_read_len"
    )
    assert lines[1].startswith("ok.s,ok,success,") and lines[1].endswith(",2,0,0,0,0")
    assert out.err == ""


def test_reject_prints_the_failing_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _write(tmp_path, "bad.s", "r1 = 0\nr0 = *(u8 *)(r1 + 0)\nexit\n")
    assert main(["verify", str(src), "--type", "socket_filter"]) == 1
    err = capsys.readouterr().err
    assert "1: (71) r0 = *(u8 *)(r1 +0)\nR1 invalid mem access 'scalar'\n" in err
    assert err.endswith("mark_read 0\n")


def test_level2_and_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _write(tmp_path, "p.s", "r0 = 1\nexit\n")
    assert main(["verify", str(src), "--type", "xdp", "--log-level", "2", "--stats"]) == 0
    out = capsys.readouterr()
    assert out.err.startswith("func#0 @0\nLive regs before insn:\n")
    assert "verification time" in out.err and "stack depth 0" in out.err
    header = out.out.splitlines()[0].split()
    assert header[:3] == ["File", "Program", "Verdict"]


def test_bytecode_needs_a_type(tmp_path: Path) -> None:
    src = _write(tmp_path, "p.s", "r0 = 1\nexit\n")
    with pytest.raises(SystemExit):
        main(["verify", str(src)])


def test_run_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok = _write(tmp_path, "ok.s", "r0 = 7\nexit\n")
    assert main(["run", "--verify", str(ok)]) == 0
    assert capsys.readouterr().out.strip() == "0x7"
    bad = _write(tmp_path, "bad.s", "r0 = r5\nexit\n")
    assert main(["run", "--verify", str(bad)]) == 1
    assert "R5 !read_ok" in capsys.readouterr().err
