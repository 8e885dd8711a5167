"""The helper table: every uapi helper, prototypes, GPL and program-type facts (diffed against the
running kernel's verifier), dispatch through vm.helpers overrides, load-time refusals."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

import bpfvm
from bpfvm.cc import compile_c
from bpfvm.errors import ProgramError
from bpfvm.kernel import syscall
from bpfvm.kernel.helpers import HELPERS, ArgType, RetType, TypeFlag, helper
from bpfvm.kernel.helpers import probe as kernel_probe
from bpfvm.kernel.helpers.table import FROM_SOURCES
from bpfvm.vm import ENGINES

HELPER_DEFS = Path("/usr/include/bpf/bpf_helper_defs.h")


def test_every_uapi_helper_is_in_the_table() -> None:
    assert sorted(HELPERS) == list(range(1, 212))
    if not HELPER_DEFS.exists():
        pytest.skip("libbpf-dev's bpf_helper_defs.h is not installed")
    defs = dict((int(i), n) for n, i in re.findall(r"\(\*(\w+)\)\(.*?\) = \(void \*\) (\d+);",
                                                   HELPER_DEFS.read_text(), re.S))
    assert {h.id: h.name for h in HELPERS.values()} == defs


def test_prototypes_read_as_the_kernel_spells_them() -> None:
    lookup = helper("bpf_map_lookup_elem")
    assert lookup.proto.ret.type is RetType.PTR_TO_MAP_VALUE
    assert lookup.proto.ret.flags == TypeFlag.PTR_MAYBE_NULL
    assert [a.type for a in lookup.proto.args] == [ArgType.CONST_MAP_PTR, ArgType.PTR_TO_MAP_KEY]
    probe_read = helper("probe_read_kernel").proto.args[0]
    assert probe_read.type is ArgType.PTR_TO_MEM
    assert probe_read.flags == TypeFlag.MEM_UNINIT | TypeFlag.MEM_WRITE  # ARG_PTR_TO_UNINIT_MEM
    strtol = helper(105).proto.args[3]
    assert strtol.size == 8 and TypeFlag.MEM_FIXED_SIZE in strtol.flags
    assert helper("bpf_task_storage_get").proto.args[1].btf == "task_struct"
    assert str(helper("ringbuf_reserve").proto.ret) == "RET_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RINGBUF"
    assert all(len(h.proto.args) <= 5 for h in HELPERS.values())


def test_lookup_errors_name_the_key() -> None:
    with pytest.raises(KeyError, match="212"):
        helper(212)
    with pytest.raises(KeyError, match="bpf_nope"):
        helper("bpf_nope")


def test_gpl_and_program_type_facts() -> None:
    assert helper("bpf_trace_printk").gpl_only and not helper("bpf_loop").gpl_only
    assert helper("bpf_xdp_adjust_head").program_types == {"XDP"}
    assert helper("bpf_map_lookup_elem").allowed_in("SOCKET_FILTER")
    assert not helper("bpf_xdp_adjust_head").allowed_in("KPROBE")
    assert helper("bpf_get_current_task").allowed_in("KPROBE")


@pytest.mark.kernel
def test_table_agrees_with_the_kernel_verifier() -> None:
    ok, why = syscall.available()
    if not ok:
        pytest.skip(why)
    names = ("SOCKET_FILTER", "XDP", "KPROBE", "SYSCALL")
    for name in names:
        verdicts = syscall.in_child(kernel_probe.probe_type, name, range(1, 212))
        if isinstance(verdicts, syscall.KernelCrash):
            pytest.skip(f"the probing child died: {verdicts}")
        allowed = {h for h, v in verdicts.items() if v in ("ok", "gpl")}
        from_sources = {h.id for h in HELPERS.values() if h.name.removeprefix("bpf_") in FROM_SOURCES}
        assert allowed == {h.id for h in HELPERS.values() if h.allowed_in(name)} - from_sources, name
        gpl = {h for h, v in verdicts.items() if v == "gpl"}
        assert gpl == {h for h in allowed if HELPERS[h].gpl_only and not (h == 27 and name == "PERF_EVENT")}


def _call(hid: int) -> bytes:
    return struct.pack("<BBhi", 0x85, 0, 0, hid) + bytes.fromhex("9500000000000000")


@pytest.mark.parametrize("engine", ENGINES)
def test_unimplemented_helper_is_refused_at_load(engine: str) -> None:
    code = bytes.fromhex("b700000000000000") + _call(18)  # bpf_skb_vlan_push
    with pytest.raises(ProgramError, match=r"helper 18 \(bpf_skb_vlan_push\), which bpfvm does not "
                                           r"implement \(insn #1\)"):
        bpfvm.VM(engine=engine).run(code)
    with pytest.raises(ProgramError, match=r"unknown helper 999 \(insn #0\)"):
        bpfvm.VM(engine=engine).run(_call(999))


@pytest.mark.parametrize("engine", ENGINES)
def test_vm_helpers_override_the_table(engine: str) -> None:
    vm = bpfvm.VM(engine=engine)
    vm.kernel.cpu = 5
    assert vm.run(_call(8)) == 5  # bpf_get_smp_processor_id from the table
    vm.helpers[8] = lambda *regs: 77
    assert vm.run(_call(8)) == 77
    vm.helpers[13] = lambda *regs: 13  # an unimplemented id works once the embedder provides it
    assert vm.run(_call(13)) == 13


LICENSED = """
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("syscall") int prog(void *ctx) { bpf_printk("hi"); return bpf_get_prandom_u32() & 0; }
char LICENSE[] SEC("license") = "%s";
"""


@pytest.mark.skipif(not Path("/usr/include/bpf/bpf_helpers.h").exists(), reason="libbpf-dev is not installed")
@pytest.mark.parametrize("licence", ["GPL", "Dual BSD/GPL", "Proprietary"])
def test_gpl_only_helpers_need_a_gpl_license(licence: str, tmp_path: Path) -> None:
    program = bpfvm.load(compile_c(LICENSED % licence, output=tmp_path / "p.o", kernel=True))
    vm = bpfvm.VM()
    if licence != "Proprietary":
        assert vm.run(program) == 0
        return
    with pytest.raises(ProgramError, match="bpf_trace_printk#6: cannot call GPL-restricted function from "
                                           "non-GPL compatible program"):
        vm.run(program)
    vm.helpers[6] = lambda *regs: 0  # the embedder's own helper is not the kernel's GPL one
    assert vm.run(program) == 0


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("btf_id", [-5, 0x7FFF_FFFF])
def test_kfunc_call_by_an_id_no_btf_has_is_refused(engine: str, btf_id: int) -> None:
    """A kfunc call (src=2) whose BTF id is negative or beyond every BTF: a ProgramError at load
    (it recursed without end for negative ids; found by tests/jit's random programs)."""
    import struct

    code = struct.pack("<BBhi", 0x85, 0x20, 0, btf_id) + bytes.fromhex("9500000000000000")
    with pytest.raises(ProgramError):
        bpfvm.VM(engine=engine).run(code)
