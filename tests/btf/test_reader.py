"""The BTF reader: the typed model of every kind, the queries, split BTF, and malformed input."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from bpfvm.btf import (
    Array,
    Btf,
    Datasec,
    DeclTag,
    Enum,
    Enum64,
    Float,
    Func,
    FuncLinkage,
    FuncProto,
    Fwd,
    Int,
    Kind,
    Ptr,
    Struct,
    TypeTag,
    Union,
    VarLinkage,
    parse,
)
from bpfvm.errors import BpfError, BtfError


@pytest.fixture(scope="module")
def kinds(objects: dict[str, Path]) -> Btf:
    return Btf.from_elf(objects["kinds"])


def test_every_kind_is_present(kinds: Btf) -> None:
    assert {t.kind for t in kinds} == set(Kind) - {Kind.UNKN}


def test_struct_members_and_layout(kinds: Btf) -> None:
    config = kinds.find("config", Kind.STRUCT)
    assert isinstance(config, Struct) and config.size == 88
    assert [m.name for m in config.members][:5] == ["threshold", "level", "color", "range", ""]
    assert config.member("range").bit_offset == 96
    assert kinds.size_of(config.id) == 88 and kinds.align_of(config.id) == 8
    anon = kinds[config.members[4].type_id]
    assert isinstance(anon, Union) and anon.name == "" and kinds.size_of(anon.id) == 4


def test_bitfields(kinds: Btf) -> None:
    flags = kinds.find("flags")
    assert isinstance(flags, Struct) and flags.kflag
    assert [(m.name, m.bit_offset, m.bitfield_size) for m in flags.members] == [
        ("a", 0, 3), ("b", 3, 5), ("c", 8, 7), ("wide", 15, 40), ("tail", 56, 0)]


def test_packed_struct_has_alignment_one(kinds: Btf) -> None:
    packed = kinds.find("packed_one")
    assert packed is not None and kinds.size_of(packed.id) == 7 and kinds.align_of(packed.id) == 1


def test_enums_signed_unsigned_and_64(kinds: Btf) -> None:
    delta, color, big, neg = (kinds.find(n) for n in ("delta", "color", "big", "neg64"))
    assert isinstance(delta, Enum) and delta.signed and delta.values[0].value == -3
    assert isinstance(color, Enum) and not color.signed and color.values[2].value == 0x7FFFFFFF
    assert isinstance(big, Enum64) and big.values[1].value == 0xF000000000000000 and big.size == 8
    assert isinstance(neg, Enum64) and neg.signed and neg.values[0].value == -0x100000000
    tiny = kinds.find("tiny")
    assert isinstance(tiny, Enum) and tiny.size == 1


def test_functions_and_prototypes(kinds: Btf) -> None:
    helper = kinds.find("helper", Kind.FUNC)
    assert isinstance(helper, Func) and helper.linkage == FuncLinkage.STATIC
    proto = kinds[helper.type_id]
    assert isinstance(proto, FuncProto) and [p.name for p in proto.params] == ["x", "w"]
    prog = kinds.find("prog", Kind.FUNC)
    assert isinstance(prog, Func) and prog.linkage == FuncLinkage.GLOBAL


def test_tags_fwd_float_and_modifiers(kinds: Btf) -> None:
    tags = {t.name: t for t in kinds if isinstance(t, DeclTag)}
    assert tags["param_tag"].component_idx == 0 and tags["func_tag"].component_idx == -1
    assert tags["member_tag"].component_idx == 13
    assert any(isinstance(t, TypeTag) and t.name == "user" for t in kinds)
    assert {t.name: t.union for t in kinds if isinstance(t, Fwd)} == {"opaque": False, "hidden": True}
    floats = {t.name: t.size for t in kinds if isinstance(t, Float)}
    assert floats == {"float": 4, "double": 8, "long double": 8}
    config = kinds.find("config", Kind.STRUCT)
    assert isinstance(config, Struct)
    cv = kinds.resolve(config.member("cv").type_id)  # restrict → ptr
    assert isinstance(cv, Ptr)
    assert isinstance(kinds.resolve(cv.type_id), Int)  # const volatile int


def test_resolve_through_typedefs(kinds: Btf) -> None:
    u64 = kinds.find("u64", Kind.TYPEDEF)
    assert u64 is not None
    target = kinds.resolve(u64.id)
    assert isinstance(target, Int) and target.size == 8 and not target.signed
    assert kinds.resolve(0).id == 0


def test_datasec_vars(kinds: Btf) -> None:
    bss = {v.name: v for v in kinds.datasec(".bss")}
    assert set(bss) == {"fl", "pk", "tiny_value", "delta_value", "counter", "neg_value"}
    assert bss["counter"].size == 8 and bss["counter"].linkage == VarLinkage.GLOBAL_ALLOCATED
    (config,) = kinds.datasec(".rodata")
    assert config.name == "config" and kinds.size_of(config.type_id) == 88
    assert isinstance(kinds.find(".data", Kind.DATASEC), Datasec)
    with pytest.raises(BtfError, match="no DATASEC named '.nope'"):
        kinds.datasec(".nope")


def test_libbpf_map_definition(kinds: Btf) -> None:
    """``__uint(type, 1)`` is ``int (*type)[1]``, ``__type(key, u32)`` is ``u32 *key``."""
    (cfg,) = kinds.datasec(".maps")
    spec = kinds.resolve(cfg.type_id)
    assert isinstance(spec, Struct)
    ptr = kinds.resolve(spec.member("max_entries").type_id)
    assert isinstance(ptr, Ptr)
    arr = kinds[ptr.type_id]
    assert isinstance(arr, Array) and arr.nelems == 16
    key = kinds.resolve(spec.member("key").type_id)
    value = kinds.resolve(spec.member("value").type_id)
    assert isinstance(key, Ptr) and isinstance(value, Ptr)
    assert kinds.size_of(key.type_id) == 4 and kinds.size_of(value.type_id) == 88


def test_size_of_sizeless_types(kinds: Btf) -> None:
    helper = kinds.find("helper", Kind.FUNC)
    assert helper is not None
    with pytest.raises(BtfError, match=rf"type \[{helper.id}\]"):
        kinds.size_of(helper.id)


def test_ext_func_and_line_info(kinds: Btf) -> None:
    ext = kinds.ext
    assert ext is not None
    funcs = ext.func_info["xdp"]
    assert funcs[0].insn == 0 and kinds[funcs[0].type_id].name == "prog"
    lines = ext.line_info["xdp"]
    source = (Path(__file__).parent / "fixtures" / "kinds.c").read_text().splitlines()
    assert lines[0].file_name.endswith("kinds.c") and lines[0].insn == 0
    assert all(source[li.line - 1] == li.line_text for li in lines)


# -- split BTF and malformed input ------------------------------------------------------------

def _blob(types: bytes, strings: bytes) -> bytes:
    header = struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(types), len(types), len(strings))
    return header + types + strings


def _int_type(name_off: int, size: int, bits: int, signed: bool = False) -> bytes:
    return struct.pack("<IIII", name_off, 1 << 24, size, (1 << 24 if signed else 0) | bits)


def test_split_btf_numbers_after_its_base() -> None:
    base = parse(_blob(_int_type(1, 4, 32, True), b"\0int\0"))
    split = parse(struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, 12, 12, 5)
                  + struct.pack("<III", 5, 2 << 24, 1) + b"ptr\0\0", base)
    assert split.start_id == 2 and len(split) == 2
    assert split[1].name == "int" and split[2].name == "ptr" and isinstance(split[2], Ptr)
    assert split.size_of(2) == 8 and split.resolve(2).id == 2
    assert split.find("int") is not None and [t.id for t in split] == [2]


def test_big_endian_blob() -> None:
    types = struct.pack(">IIII", 1, 1 << 24, 4, 32)
    blob = struct.pack(">HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(types), len(types), 5) + types + b"\0int\0"
    t = parse(blob)[1]
    assert isinstance(t, Int) and t.bits == 32 and t.name == "int"


@pytest.mark.parametrize(("blob", "message"), [
    (b"\x9f\xeb", "truncated header"),
    (b"\0\0" + bytes(22), "bad magic"),
    (_blob(struct.pack("<III", 0, 25 << 24, 0), b"\0"), r"type \[1\] field info: .*unknown kind 25"),
    (_blob(struct.pack("<III", 0, 2 << 24, 7), b"\0"), r"type \[1\] field type: .*refers to type 7"),
    (_blob(_int_type(99, 4, 32), b"\0int\0"), r"type \[1\] field name_off"),
    (_blob(struct.pack("<III", 0, 4 << 24 | 1, 4), b"\0"), r"type \[1\]: .*past the type section"),
    (_blob(struct.pack("<IIIIII", 0, 4 << 24 | 1, 4, 0, 9, 0), b"\0"),
     r"type \[1\] field members.type"),
    (_blob(b"", b"x\0"), "does not start with an empty string"),
    (_blob(b"", b"\0x"), "not NUL-terminated"),
])
def test_malformed_btf_is_a_typed_error(blob: bytes, message: str) -> None:
    with pytest.raises(BtfError, match=message) as info:
        parse(blob)
    assert isinstance(info.value, BpfError)


def test_object_without_btf(tmp_path: Path) -> None:
    from bpfvm import assemble  # noqa: F401  (an object without .BTF: the assembler writes none)
    with pytest.raises(BpfError):
        Btf.from_elf(b"\x7fELF" + bytes(60))
