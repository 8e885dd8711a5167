"""``vm.test_run`` against the kernel's ``BPF_PROG_TEST_RUN`` (net/bpf/test_run.c).

Every program of ``programs/`` runs in bpfvm under both engines and, where ``bpf()`` is
permitted, in the kernel (loaded from a child process): retval, data_out, ctx_out, the error
cases and their errnos must be the same.
"""

from __future__ import annotations

import errno
import struct
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import bpfvm
from bpfvm.cc import compile_c
from bpfvm.isa import encode
from bpfvm.kernel import syscall as kernel
from bpfvm.kernel.progtypes import section_type
from bpfvm.kernel.test_run import TestRunError, TestRunResult
from bpfvm.vm import ENGINES

HERE = Path(__file__).parent / "programs"
KERNEL_C = ["-idirafter", "/usr/include", "-idirafter", "/usr/include/x86_64-linux-gnu",
            "-fno-unwind-tables", "-fno-asynchronous-unwind-tables"]


@cache
def _object(name: str, tmp: str) -> Path:
    return compile_c(HERE / f"{name}.c", output=Path(tmp) / f"{name}.o", kernel=True, flags=KERNEL_C)


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], bpfvm.Program]:
    tmp = str(tmp_path_factory.mktemp("test_run"))
    return lambda name: bpfvm.load(_object(name, tmp))


def _ipv4_udp(dport: int, payload: bytes = b"hello", dest_mac: bytes = b"\x02\0\0\0\0\x02") -> bytes:
    udp = struct.pack(">HHHH", 1234, dport, 8 + len(payload), 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, bytes([10, 0, 0, 1]),
                     bytes([10, 0, 0, 2]))
    return dest_mac + b"\x02\0\0\0\0\x01" + b"\x08\x00" + ip + udp


def _ipv4_tcp() -> bytes:
    tcp = bytes(20) + b"x" * 30
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, bytes(4), bytes(4))
    return b"\xff" * 6 + b"\x02\0\0\0\0\x01" + b"\x08\x00" + ip + tcp


def _kernel_run(code: bytes, prog_type: int, data: bytes, ctx: bytes | None, repeat: int,
                data_size_out: int | None, ctx_size_out: int) -> tuple[int, str, Any]:
    loaded = kernel.prog_load(code, prog_type)
    if loaded.fd < 0:
        return loaded.errno, loaded.log[-400:], None
    try:
        return 0, "", kernel.test_run(loaded.fd, data_in=data, ctx_in=ctx, repeat=repeat,
                                      data_size_out=data_size_out, ctx_size_out=ctx_size_out, check=False)
    finally:
        kernel.close(loaded.fd)


def _in_kernel(program: bpfvm.Program, data: bytes, ctx: bytes | None, repeat: int = 1,
               data_size_out: int | None = None, ctx_size_out: int = 0) -> Any:
    ok, why = kernel.available()
    if not ok:
        pytest.skip(why)
    (section,) = [s for s in program.sections if section_type(s) is not None]
    match = section_type(section)
    assert match is not None
    code = encode(program.insns)
    size_out = data_size_out if data_size_out is not None else (len(data) + 4096 if data else 0)
    result = kernel.in_child(_kernel_run, code, match.type.id, data, ctx, repeat, size_out, ctx_size_out)
    if isinstance(result, kernel.KernelCrash):
        pytest.skip(f"the loading child died: {result}")
    err, log, run = result
    assert err == 0, f"the kernel refused the program: {log}"
    return run


def _bpfvm(program: bpfvm.Program, engine: str, data: bytes, ctx: bytes | None, **options: Any) -> Any:
    vm = bpfvm.VM(engine, stack_size=512)
    try:
        return vm.test_run(program, data=data, ctx=ctx, **options)
    except TestRunError as exc:
        return exc


def _agree(program: bpfvm.Program, data: bytes, ctx: bytes | None = None, *, ctx_size_out: int = 0,
           data_size_out: int | None = None, repeat: int = 1) -> TestRunResult | TestRunError:
    """Run in the kernel and both engines; assert they agree; return bpfvm's interpreter result."""
    ours = {e: _bpfvm(program, e, data, ctx, repeat=repeat, data_size_out=data_size_out,
                      ctx_size_out=ctx_size_out or None) for e in ENGINES}
    theirs = _in_kernel(program, data, ctx, repeat, data_size_out, ctx_size_out)
    for engine, got in ours.items():
        if theirs.errno and theirs.errno != errno.ENOSPC:
            assert isinstance(got, TestRunError), f"{engine}: the kernel refused, bpfvm ran"
            assert got.errno == theirs.errno, f"{engine}: {got}"
            continue
        if theirs.errno == errno.ENOSPC:
            assert isinstance(got, TestRunError) and got.errno == errno.ENOSPC, f"{engine}: {got}"
            got = got.result
        assert isinstance(got, TestRunResult), f"{engine}: {got}"
        assert got.retval == theirs.retval, engine
        assert got.data_out.hex() == theirs.data_out.hex(), engine
        assert got.data_size_out == (theirs.data_size_out if data or theirs.data_size_out else 0), engine
        if ctx_size_out:
            assert got.ctx_out.hex() == theirs.ctx_out.hex(), engine
    return ours["interpreter"]


def test_section_names_map_to_program_types() -> None:
    assert section_type("xdp") is not None and section_type("xdp").type.name == "XDP"  # type: ignore[union-attr]
    kprobe = section_type("kprobe/do_unlinkat")
    assert kprobe is not None and kprobe.type.name == "KPROBE" and kprobe.attach_point == "do_unlinkat"
    assert section_type("kprobex") is None and section_type(".text") is None
    assert section_type("tc/ingress").attach_type == 46  # type: ignore[union-attr]
    assert section_type("events/syscalls/sys_enter_write").type.name == "TRACEPOINT"  # type: ignore[union-attr]
    assert section_type("struct_ops/dctcp_init").type.name == "STRUCT_OPS"  # type: ignore[union-attr]


@pytest.mark.kernel
@pytest.mark.parametrize("tail", [0, 1, 2, 3, 4])
def test_xdp_context_and_verdicts(build: Callable[[str], bpfvm.Program], tail: int) -> None:
    program = build("xdp_ctx")
    packet = bytearray(_ipv4_udp(9))
    packet[15] = tail
    result = _agree(program, bytes(packet))
    assert isinstance(result, TestRunResult) and result.retval == tail


@pytest.mark.kernel
def test_xdp_metadata_from_ctx(build: Callable[[str], bpfvm.Program]) -> None:
    data = b"\x11" * 8 + _ipv4_udp(9)  # 8 bytes of metadata in front
    ctx = struct.pack("<6I", 8, len(data), 0, 0, 0, 0)
    result = _agree(build("xdp_ctx"), data, ctx, ctx_size_out=24)
    assert isinstance(result, TestRunResult)
    assert struct.unpack_from("<4I", result.data_out, 8) == (1, 0, len(data) - 8, 8)


@pytest.mark.kernel
@pytest.mark.parametrize(("dport", "verdict"), [(53, 1), (9, 3)])
def test_xdp_parser_drops_dns_and_bounces_udp(build: Callable[[str], bpfvm.Program], dport: int,
                                              verdict: int) -> None:
    packet = _ipv4_udp(dport)
    result = _agree(build("xdp_parse"), packet)
    assert isinstance(result, TestRunResult) and result.retval == verdict
    if verdict == 3:
        assert result.data_out[:12] == packet[6:12] + packet[:6]


@pytest.mark.kernel
@pytest.mark.parametrize("case", ["short", "long", "meta-odd", "ctx-egress", "ctx-tail", "ctx-ifindex"])
def test_xdp_refusals(build: Callable[[str], bpfvm.Program], case: str) -> None:
    packet = _ipv4_udp(9)
    data, ctx = {
        "short": (packet[:13], None),
        "long": (bytes(3520 + 17 * 4096 + 1), None),  # beyond MAX_SKB_FRAGS fragments
        "meta-odd": (packet, struct.pack("<6I", 3, len(packet), 0, 0, 0, 0)),
        "ctx-egress": (packet, struct.pack("<6I", 0, len(packet), 0, 0, 0, 1)),
        "ctx-tail": (packet, struct.pack("<6I", 0, len(packet), 0, 0, 0, 0) + b"\x01"),
        "ctx-ifindex": (packet, struct.pack("<6I", 0, len(packet), 0, 0, 5, 0)),
    }[case]
    result = _agree(build("xdp_ctx"), data, ctx, ctx_size_out=24 if ctx else 0)
    assert isinstance(result, TestRunError)


@pytest.mark.kernel
@pytest.mark.parametrize("size", [3520, 3521, 9000, 3520 + 17 * 4096])
def test_xdp_multi_buffer_frames(build: Callable[[str], bpfvm.Program], size: int) -> None:
    """Beyond 3520 bytes the kernel puts the rest in page fragments the program does not see
    directly; data_out has them all."""
    packet = (_ipv4_udp(9) * (size // 40 + 1))[:size]
    result = _agree(build("xdp_ctx"), packet)
    assert isinstance(result, TestRunResult) and result.data_size_out == size
    assert struct.unpack_from("<I", result.data_out, 8) == (min(size, 3520),)


@pytest.mark.kernel
def test_xdp_small_data_out_is_enospc_with_the_first_bytes(build: Callable[[str], bpfvm.Program]) -> None:
    result = _agree(build("xdp_ctx"), _ipv4_udp(9), data_size_out=20)
    assert isinstance(result, TestRunError) and result.result is not None
    assert len(result.result.data_out) == 20 and result.result.data_size_out > 20


@pytest.mark.kernel
@pytest.mark.parametrize("dest", [b"\xff" * 6, b"\x01\0\x5e\0\0\x01", b"\x02\0\0\0\0\x02", bytes(6)])
def test_tc_sees_the_kernels_skb(build: Callable[[str], bpfvm.Program], dest: bytes) -> None:
    result = _agree(build("tc_ctx"), _ipv4_udp(9, b"x" * 80, dest))
    assert isinstance(result, TestRunResult)


@pytest.mark.kernel
def test_tc_ctx_in_and_out(build: Callable[[str], bpfvm.Program]) -> None:
    skb = bytearray(192)
    struct.pack_into("<I", skb, 8, 0x11)  # mark
    struct.pack_into("<I", skb, 32, 7)  # priority
    struct.pack_into("<5I", skb, 48, 1, 2, 3, 4, 5)  # cb
    struct.pack_into("<Q", skb, 152, 12345)  # tstamp
    struct.pack_into("<II", skb, 160, 200, 2)  # wire_len, gso_segs
    struct.pack_into("<I", skb, 176, 1400)  # gso_size
    result = _agree(build("tc_ctx"), _ipv4_udp(9, b"x" * 80), bytes(skb), ctx_size_out=192)
    assert isinstance(result, TestRunResult)
    assert struct.unpack_from("<I", result.ctx_out, 8) == (0x11 + 0x55,)


@pytest.mark.kernel
@pytest.mark.parametrize("field", [0, 4, 44, 68, 76, 180, 181])
def test_skb_ctx_fields_that_must_be_zero(build: Callable[[str], bpfvm.Program], field: int) -> None:
    skb = bytearray(192)
    skb[field] = 1
    result = _agree(build("tc_ctx"), _ipv4_udp(9, b"x" * 80), bytes(skb), ctx_size_out=192)
    assert isinstance(result, TestRunError) and result.errno == errno.EINVAL


@pytest.mark.kernel
@pytest.mark.parametrize("packet", ["udp", "tcp", "arp"])
def test_socket_filter_sees_the_network_header(build: Callable[[str], bpfvm.Program], packet: str) -> None:
    data = {"udp": _ipv4_udp(9), "tcp": _ipv4_tcp(), "arp": b"\xff" * 6 + b"\2" * 6 + b"\x08\x06" + bytes(28)}
    result = _agree(build("socket_len"), data[packet], bytes(192), ctx_size_out=192)
    assert isinstance(result, TestRunResult)
    assert result.data_out[:14] == bytes(14)  # the Ethernet header comes back zeroed


@pytest.mark.kernel
def test_syscall_program_writes_its_context_back(build: Callable[[str], bpfvm.Program]) -> None:
    program = build("syscall_ctx")
    ctx = struct.pack("<4I", 1, 2, 3, 4)
    theirs = _in_kernel(program, b"", ctx)
    for engine in ENGINES:
        ours = _bpfvm(program, engine, b"", ctx)
        assert ours.retval == theirs.retval == 10
        assert ours.ctx_out == theirs.ctx_out == struct.pack("<4I", 2, 4, 6, 8)


@pytest.mark.kernel
def test_raw_tracepoint_args(build: Callable[[str], bpfvm.Program]) -> None:
    program = build("raw_tp_args")
    ctx = struct.pack("<3Q", 5, 6, 7)
    theirs = _in_kernel(program, b"", ctx)
    for engine in ENGINES:
        assert _bpfvm(program, engine, b"", ctx).retval == theirs.retval == 5 + 12 + 21
        assert isinstance(_bpfvm(program, engine, b"", ctx, repeat=2), TestRunError)


def test_repeat_runs_share_the_packet_and_report_a_mean(build: Callable[[str], bpfvm.Program]) -> None:
    vm = bpfvm.VM(stack_size=512)
    result = vm.test_run(build("xdp_parse"), data=_ipv4_udp(9), repeat=3)
    packet = _ipv4_udp(9)
    assert result.retval == 3 and result.duration > 0
    assert result.data_out[:12] == packet[6:12] + packet[:6]  # swapped three times


def test_unknown_program_and_type_are_clear_errors(build: Callable[[str], bpfvm.Program]) -> None:
    vm = bpfvm.VM(stack_size=512)
    with pytest.raises(bpfvm.ProgramError, match="no program 'nope'"):
        vm.test_run(build("xdp_ctx"), "nope", data=bytes(20))
    with pytest.raises(TestRunError, match="KPROBE programs have no test run"):
        vm.test_run(build("xdp_ctx"), data=bytes(20), prog_type="kprobe")


def _ipv4_tcp54() -> bytes:
    """The kernel selftests' pkt_v4 shape: Ethernet + IPv4 + TCP, 54 bytes."""
    tcp = struct.pack(">HHIIBBHHH", 1000, 80, 1, 0, 0x50, 0x02, 512, 0, 0)
    home = bytes([127, 0, 0, 1])
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 40, 0, 0, 64, 6, 0, home, home)
    return b"\0" * 6 + b"\0" * 6 + b"\x08\x00" + ip + tcp


@pytest.mark.kernel
def test_xdp_encapsulation_golden_case(build: Callable[[str], bpfvm.Program]) -> None:
    """The issue's golden case (as in the kernel selftests): a 54-byte IPv4 packet through an
    encapsulating XDP program comes back XDP_TX with 74 bytes."""
    packet = _ipv4_tcp54()
    assert len(packet) == 54
    result = _agree(build("xdp_encap"), packet)
    assert isinstance(result, TestRunResult)
    assert result.retval == 3 and len(result.data_out) == 74
    assert result.data_out[23] == 4 and result.data_out[34:] == packet[14:]  # IPPROTO_IPIP, then the inner


@pytest.mark.kernel
@pytest.mark.parametrize(("size", "grow", "meta"), [
    (60, 0, 0), (60, 40, -8), (60, -30, -4), (60, -50, 0), (60, 127, -33), (3520, 1, 0),
    (5000, 100, -12), (5000, -100, 0), (9000, -128, -4), (3600, -90, 0)])
def test_xdp_tail_meta_and_fragments(build: Callable[[str], bpfvm.Program], size: int, grow: int,
                                     meta: int) -> None:
    packet = bytearray((bytes(range(256)) * (size // 256 + 1))[:size])
    packet[14], packet[15] = grow & 0xFF, meta & 0xFF
    result = _agree(build("xdp_tail"), bytes(packet))
    assert isinstance(result, TestRunResult)


@pytest.mark.kernel
@pytest.mark.parametrize("checksum", [0, 0x1234])
def test_tc_nat_rewrites_with_checksums(build: Callable[[str], bpfvm.Program], checksum: int) -> None:
    packet = bytearray(_ipv4_udp(9, b"payload!"))
    ip_sum = 0
    for i in range(14, 34, 2):
        ip_sum += int.from_bytes(packet[i:i + 2], "big")
    ip_sum = (ip_sum & 0xFFFF) + (ip_sum >> 16)
    packet[24:26] = (~ip_sum & 0xFFFF).to_bytes(2, "big")
    packet[40:42] = checksum.to_bytes(2, "big")
    skb = bytes(192)
    result = _agree(build("tc_nat"), bytes(packet), skb, ctx_size_out=192)
    assert isinstance(result, TestRunResult)
    assert result.data_out[30:34] == bytes([192, 168, 0, 9])
    assert struct.unpack_from("<I", result.ctx_out, 8) == (17,)
