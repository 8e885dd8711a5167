"""The debugger on kernel programs: break in an XDP program while packets of a capture replay."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import bpfvm
from bpfvm.kernel.replay import replay

from ..kernel.test_test_run import HERE, KERNEL_C, _ipv4_udp


def test_break_in_an_xdp_program_during_a_replay(tmp_path: Path) -> None:
    from bpfvm.cc import compile_c

    obj = compile_c(HERE / "xdp_parse.c", output=tmp_path / "xdp_parse.o", kernel=True, flags=KERNEL_C)
    program = bpfvm.load(obj)
    vm = bpfvm.VM(stack_size=512, stdout=io.BytesIO())
    packets = [_ipv4_udp(9), _ipv4_udp(53), _ipv4_udp(7)]
    verdicts: list[str] = []

    def run() -> int:
        verdicts.extend(o.verdict for o in replay(vm, program, None, packets))
        return 0

    with bpfvm.Debugger(vm, program, runner=run, elf=obj.read_bytes()) as dbg:
        line = next(i for i, t in enumerate((HERE / "xdp_parse.c").read_text().splitlines(), 1)
                    if "udp->dest == bpf_htons(53)" in t)
        dbg.break_at(f"xdp_parse.c:{line}")
        stops = 0
        stop = dbg.run()
        while stop.reason == "breakpoint":
            stops += 1
            assert stop.location is not None and stop.location.function == "xdp_parse"
            assert dbg.backtrace()[0].location.line == line
            stop = dbg.cont()
        assert stop.reason == "exited" and stops == 3
    assert verdicts == ["XDP_TX", "XDP_DROP", "XDP_TX"]


def test_print_context_fields_by_name(tmp_path: Path) -> None:
    """``print ctx->data_end - ctx->data`` at a breakpoint in an XDP program: members by name."""
    from bpfvm.cc import compile_c

    obj = compile_c(HERE / "xdp_ctx.c", output=tmp_path / "xdp_ctx.o", kernel=True, flags=KERNEL_C)
    program = bpfvm.load(obj)
    vm = bpfvm.VM(stack_size=512, stdout=io.BytesIO())
    packet = _ipv4_udp(9)
    with bpfvm.Debugger(vm, program, runner=lambda: vm.test_run(program, data=packet).retval,
                        elf=obj.read_bytes()) as dbg:
        dbg.break_at("xdp_ctx")
        assert dbg.run().reason == "breakpoint"
        assert dbg.evaluate("ctx->data_end - ctx->data") == len(packet)
        assert dbg.evaluate("ctx->ingress_ifindex") == 1
        with pytest.raises(bpfvm.BpfError, match="no member named nope"):
            dbg.evaluate("ctx->nope")
