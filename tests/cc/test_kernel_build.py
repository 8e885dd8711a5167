"""``bpfvm cc --kernel`` / ``compile(kernel=True)``: clang's plain BPF output, loadable by the kernel."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import bpfvm
from bpfvm.isa import encode
from bpfvm.kernel import syscall as kernel

XDP = """
#define SEC(n) __attribute__((section(n), used))
struct xdp_md { unsigned data, data_end; };
SEC("xdp") int pass_short(struct xdp_md *ctx)
{
    return ctx->data_end - ctx->data < 64 ? 2 : 1;  /* XDP_PASS short packets, drop the rest */
}
char _license[] SEC("license") = "GPL";
"""


def test_kernel_build_has_no_bpfvm_additions(tmp_path: Path) -> None:
    program = bpfvm.compile(XDP, kernel=True)
    assert program.frame_size is None  # no .bpfvm.stack record, no IR rewriting
    assert program.entry == "pass_short" and not program.externs


def test_cli_kernel_flag(tmp_path: Path) -> None:
    source = tmp_path / "xdp.c"
    source.write_text(XDP)
    result = subprocess.run([sys.executable, "-m", "bpfvm", "cc", "--kernel", str(source), "-o",
                             str(tmp_path / "xdp.o")], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert bpfvm.load(tmp_path / "xdp.o").sections["xdp"] == ("pass_short",)


def _load_and_run(code: bytes) -> tuple[int, str, int]:
    loaded = kernel.prog_load(code, kernel.ProgType.XDP)
    if loaded.fd < 0:
        return loaded.errno, loaded.log, -1
    try:
        return 0, "", kernel.test_run(loaded.fd, data_in=bytes(32)).retval
    finally:
        kernel.close(loaded.fd)


@pytest.mark.kernel
def test_kernel_accepts_and_agrees() -> None:
    ok, why = kernel.available()
    if not ok:
        pytest.skip(why)
    program = bpfvm.compile(XDP, kernel=True)
    result = kernel.in_child(_load_and_run, encode(program.insns))
    if isinstance(result, kernel.KernelCrash):
        pytest.skip(f"the loading child died: {result}")
    err, log, retval = result
    assert err == 0, log
    assert retval == 2
