"""`bpfvm run`: raw bytecode and assembly, registers, memory buffer, traps and exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

import bpfvm
from bpfvm.cli import EXIT_TRAP, main


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_run_assembly_with_register_args(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write(tmp_path, "add.s", "mov %r0, %r1\nadd %r0, %r2\nexit\n")
    assert main(["run", str(src), "3", "0x10"]) == 0
    assert capsys.readouterr().out == "0x13\n"


def test_run_raw_bytecode_with_memory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = tmp_path / "prog.bin"
    raw.write_bytes(bpfvm.assemble("ldxb %r0, [%r1+1]\nstb [%r1], 7\nexit"))
    mem, out = tmp_path / "mem.bin", tmp_path / "out.bin"
    mem.write_bytes(b"\x01\x2a")
    assert main(["run", str(raw), "--mem", str(mem), "--mem-out", str(out), "-v"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "0x2a\n"
    assert "3 instructions" in captured.err
    assert out.read_bytes() == b"\x07\x2a"


def test_run_trap_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write(tmp_path, "loop.s", "ja -1\nexit\n")
    assert main(["run", str(src), "--max-instructions", "50"]) == EXIT_TRAP
    assert "trap budget at pc 0" in capsys.readouterr().err


def test_run_bad_input_is_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write(tmp_path, "bad.s", "mov %r0, 1\nfrobnicate %r1\nexit\n")
    assert main(["run", str(src)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bpfvm: ") and "bad.s:2" in err and "Traceback" not in err
    elf = tmp_path / "x.o"
    elf.write_bytes(b"\x7fELF" + bytes(60))
    assert main(["run", str(elf)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bpfvm: ") and "x.o" in err and "Traceback" not in err


def test_cc_then_run_elf_with_granted_directory(tmp_path: Path) -> None:
    """bpfvm cc + bpfvm run: argv, exit status, stdout, and file access only under --dir."""
    import subprocess
    import sys

    src = write(tmp_path, "cat.c", """
        #include <stdio.h>
        int main(int argc, char **argv) {
            if (argc < 2) return 9;
            FILE *f = fopen(argv[1], "r");
            if (!f) { printf("cannot open %s\\n", argv[1]); return 4; }
            int c;
            while ((c = fgetc(f)) != EOF) putchar(c);
            fclose(f);
            return 3;
        }
    """)
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "in.txt").write_text("granted\n")
    obj = tmp_path / "cat.o"
    assert main(["cc", str(src), "-o", str(obj)]) == 0
    bpfvm_cmd = [sys.executable, "-m", "bpfvm", "run", "--dir", f"{assets}:/data", str(obj), "--"]
    ok = subprocess.run([*bpfvm_cmd, "/data/in.txt"], capture_output=True, text=True)
    assert (ok.returncode, ok.stdout, ok.stderr) == (3, "granted\n", "")
    denied = subprocess.run([*bpfvm_cmd, str(assets / "in.txt")], capture_output=True, text=True)
    assert (denied.returncode, denied.stdout) == (4, f"cannot open {assets / 'in.txt'}\n")
    escape = subprocess.run([*bpfvm_cmd, "/data/../assets/in.txt"], capture_output=True, text=True)
    assert escape.returncode == 4


def test_frame_size_recorded_by_cc_is_honoured(tmp_path: Path) -> None:
    """An object compiled for big frames runs with them under bpfvm run; a smaller VM refuses it."""
    import subprocess
    import sys

    src = write(tmp_path, "big.c", """
        #include <stdio.h>
        static int sum(int n) {
            volatile char buf[3000];
            for (int i = 0; i < 3000; i++) buf[i] = (char)(i + n);
            int s = 0;
            for (int i = 0; i < 3000; i += 7) s += buf[i];
            return n ? s + sum(n - 1) : s;
        }
        int main(void) { printf("%d\\n", sum(5)); return 0; }
    """)
    obj = tmp_path / "big.o"
    assert main(["cc", str(src), "-o", str(obj), "-mllvm", "-bpf-stack-size=4096"]) == 0
    ran = subprocess.run([sys.executable, "-m", "bpfvm", "run", str(obj)], capture_output=True, text=True)
    assert ran.returncode == 0 and ran.stderr == ""
    native = tmp_path / "big"
    subprocess.run(["gcc", "-O2", "-o", str(native), str(src)], check=True)
    assert ran.stdout == subprocess.run([str(native)], capture_output=True, text=True).stdout
    with pytest.raises(bpfvm.ProgramError, match="4096-byte stack frames"):
        bpfvm.VM(stack_size=512).run_main(bpfvm.load(obj), ["big"])


def test_unbound_functions_are_named_with_their_callers(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    a, b = tmp_path / "a.c", tmp_path / "b.c"
    a.write_text("int missing_one(void); int helper(void);\n"
                 "int main(void) { return missing_one() + helper(); }\n")
    b.write_text("int missing_one(void); int missing_two(int);\n"
                 "int helper(void) { return missing_two(1) + missing_one(); }\n")
    for src in (a, b):
        assert main(["cc", str(src), "-o", str(src.with_suffix(".o"))]) == 0
    assert main(["run", str(tmp_path / "a.o"), str(tmp_path / "b.o")]) == 1
    err = capsys.readouterr().err
    assert "missing_one: needed by a.o, b.o" in err and "missing_two: needed by b.o" in err
    assert main(["run", "--lazy-binding", str(tmp_path / "a.o"), str(tmp_path / "b.o")]) == 70
    assert "no intrinsic is bound to 'missing_one'" in capsys.readouterr().err


def test_heap_size_option(tmp_path: Path) -> None:
    src = tmp_path / "big.c"
    src.write_text("#include <stdlib.h>\n#include <string.h>\n"
                   "int main(void) { char *p = malloc(100 << 20); if (!p) return 2; memset(p, 1, 100 << 20);"
                   " return p[(100 << 20) - 1]; }\n")
    assert main(["cc", str(src), "-o", str(tmp_path / "big.o")]) == 0
    assert main(["run", str(tmp_path / "big.o")]) == 2
    assert main(["run", "--heap-size", "200M", str(tmp_path / "big.o")]) == 1
