"""Malformed map definitions are typed errors naming the file, the map and the field."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

import bpfvm
from bpfvm import ElfError, MapError
from bpfvm.cc import compile_c

INCLUDES = ["-I/usr/include", "-I/usr/include/x86_64-linux-gnu"]
pytestmark = pytest.mark.skipif(not Path("/usr/include/bpf/bpf_helpers.h").exists(),
                                reason="libbpf-dev headers are not installed")

HEAD = "#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n"
USE = """
SEC("socket") long prog(void *ctx) { __u32 k = 0; return (long)bpf_map_lookup_elem(&%s, &k); }
char LICENSE[] SEC("license") = "GPL";
"""


def _load(tmp_path: Path, body: str, use: str = "") -> bpfvm.Program:
    src = tmp_path / "defs.c"
    src.write_text(HEAD + body + (USE % use if use else 'char LICENSE[] SEC("license") = "GPL";\n'))
    return bpfvm.load(compile_c(src, output=tmp_path / "defs.o", kernel=True, flags=INCLUDES))


def test_legacy_records_too_small(tmp_path: Path) -> None:
    body = 'struct { int a[5]; } one SEC("maps");\nstruct { int a[3]; } two SEC("maps");\n'
    with pytest.raises(ElfError, match=r"defs.o: section maps: 32 bytes for 2 maps"):
        _load(tmp_path, body)


def test_unknown_btf_field(tmp_path: Path) -> None:
    body = "struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(colour, 3); } m SEC(\".maps\");\n"
    with pytest.raises(ElfError, match=r"map m member colour: unknown map definition field"):
        _load(tmp_path, body)


def test_uint_that_is_not_an_array_pointer(tmp_path: Path) -> None:
    body = "struct { int type; } m SEC(\".maps\");\n"
    with pytest.raises(ElfError, match=r"map m member type: __uint member is not a pointer"):
        _load(tmp_path, body)


def test_a_bad_definition_fails_the_program_that_uses_it(tmp_path: Path) -> None:
    body = ("struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 4); __type(key, __u64);"
            " __type(value, __u32); } m SEC(\".maps\");\n")
    program = _load(tmp_path, body, use="m")
    with pytest.raises(MapError) as info:
        bpfvm.VM().run(program)
    assert info.value.errno == errno.EINVAL and info.value.map_name == "m"
