"""Program-side map helpers against the kernel: one kernel-style object, loaded by bpfvm and —
with its maps created and its ``lddw`` relocated as libbpf does — by the kernel, fed the same
random operations (``BPF_PROG_TEST_RUN`` of a syscall program); return codes, outputs and final
map contents (global data included) must agree."""

from __future__ import annotations

import functools
import random
import struct
from pathlib import Path

import pytest

import bpfvm
from bpfvm import Program
from bpfvm.cc import compile_c
from bpfvm.isa import encode
from bpfvm.kernel import syscall as kernel
from bpfvm.kernel.maps.helpers import MAP_HELPERS

from .oracle import kernel_maps_available

HERE = Path(__file__).parent / "c"
AVAILABLE, WHY = kernel_maps_available()
pytestmark = [pytest.mark.skipif(not AVAILABLE, reason=WHY or "bpf() not permitted"),
              pytest.mark.skipif(not Path("/usr/include/bpf/bpf_helpers.h").exists(),
                                 reason="libbpf-dev headers are not installed")]
_ARGS = struct.Struct("<IIQQQ")
_SYSCALL = 31
_IDS = {"bpf_map_lookup_elem": 1, "bpf_map_update_elem": 2, "bpf_map_delete_elem": 3,
        "bpf_map_push_elem": 87, "bpf_map_pop_elem": 88, "bpf_map_peek_elem": 89}


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Program:
    out = tmp_path_factory.mktemp("ops") / "ops.o"
    return bpfvm.load(compile_c(HERE / "ops.c", output=out, kernel=True,
                                flags=["-I/usr/include", "-I/usr/include/x86_64-linux-gnu"]))


class KernelObject:
    """The object's maps in the kernel and its code relocated to their fds (libbpf's job)."""

    def __init__(self, program: Program) -> None:
        self.fds: dict[str, int] = {}
        self.sizes: dict[str, tuple[int, int]] = {}
        for d in program.maps:
            self.fds[d.name] = kernel.map_create(d.type, d.key_size, d.value_size, d.max_entries,
                                                 flags=d.flags)
            self.sizes[d.name] = (d.key_size, d.value_size)
        for seg in program.segments:
            if seg.name.startswith((".data", ".bss")):
                fd = kernel.map_create(2, 4, len(seg.data), 1, flags=1 << 10)
                kernel.map_update(fd, bytes(4), seg.data)
                self.fds[seg.name], self.sizes[seg.name] = fd, (4, len(seg.data))
        by_offset = {(s.segment, s.offset): s.name for s in program.symbols.values()}
        insns = dict(program._by_pc)
        for reloc in program.relocs:
            pc = reloc.offset // 8
            if reloc.target in ("maps", ".maps"):
                fd = self.fds[by_offset[(reloc.target, reloc.addend)]]
                insns[pc] = insns[pc]._replace(src=1, imm=fd, imm_hi=0)
            else:
                insns[pc] = insns[pc]._replace(src=2, imm=self.fds[reloc.target], imm_hi=reloc.addend)
        code = encode(insns[i.pc] for i in program.insns)
        result = kernel.prog_load(code, _SYSCALL)
        if result.fd < 0:
            pytest.skip(f"the kernel refused the program: {kernel.verifier_error(result.log)}")
        self.prog = result.fd

    def run(self, args: bytes) -> tuple[int, bytes]:
        result = kernel.test_run(self.prog, ctx_in=args)
        return result.retval, result.ctx_out

    def contents(self, name: str) -> list[tuple[bytes, bytes]]:
        fd, (key_size, value_size) = self.fds[name], self.sizes[name]
        out, key = [], None
        while True:
            try:
                key = kernel.map_get_next_key(fd, key, key_size)
            except kernel.KernelError:
                return sorted(out)
            out.append((key, kernel.map_lookup(fd, key, value_size)))

    def close(self) -> None:
        kernel.close(self.prog)
        for fd in self.fds.values():
            kernel.close(fd)


def _ops(rng: random.Random, count: int) -> list[bytes]:
    ops = []
    for _ in range(count):
        target = rng.choice([0, 0, 1, 2, 3])
        op = rng.choice([0, 0, 1, 2] if target < 2 else [3, 3, 4, 5])
        flags = rng.choice([0, 0, 1, 2, 3, 4]) if op in (0, 3) else 0
        ops.append(_ARGS.pack(target << 4 | op, rng.randrange(9), rng.randrange(1 << 64), flags, 0))
    return ops


@pytest.mark.parametrize("engine", ["interpreter", "jit"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_program_side_helpers_match_the_kernel(program: Program, engine: str, seed: int) -> None:
    theirs = KernelObject(program)
    try:
        vm = bpfvm.VM(engine=engine)
        for name, number in _IDS.items():
            vm.helpers[number] = functools.partial(MAP_HELPERS[name], vm)
        maps = vm.maps(program)
        for i, args in enumerate(_ops(random.Random(seed), 300)):
            ctx = bytearray(args)
            ours = vm.run(program, mem=ctx) & 0xFFFF_FFFF  # the kernel reports r0 as u32
            their_r0, their_ctx = theirs.run(args)
            assert (ours, bytes(ctx)) == (their_r0, their_ctx), f"op #{i} {_ARGS.unpack(args)}"
        for name in ("hash", "array", ".bss"):
            assert sorted((k, maps[name].lookup(k)) for k in maps[name].keys()) == theirs.contents(name), name
    finally:
        theirs.close()
