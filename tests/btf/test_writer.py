"""Writing BTF back: byte-exact round trips, a fresh string table, and libbpf-style dedup."""

from __future__ import annotations

from pathlib import Path

import pytest

from bpfvm.btf import Btf, Fwd, Kind, Ptr, Struct, Var, parse
from bpfvm.btf.dump import dump_raw
from bpfvm.btf.object import btf_sections
from bpfvm.btf.writer import BtfWriter, dedup, encode, merge


def test_round_trip_of_every_fixture(objects: dict[str, Path]) -> None:
    for name, obj in objects.items():
        raw = btf_sections(obj)[1]
        assert encode(Btf.from_elf(obj)) == raw, name


def test_round_trip_of_vmlinux(vmlinux: Path) -> None:
    raw = vmlinux.read_bytes()
    assert encode(parse(raw)) == raw


def test_fresh_string_table_keeps_every_type(objects: dict[str, Path]) -> None:
    btf = Btf.from_elf(objects["kinds"])
    writer = BtfWriter()
    for t in btf:
        writer.add(t)
    again = parse(writer.to_bytes())
    assert dump_raw(again) == dump_raw(btf)
    assert len(again.strs) < len(btf.strs)  # only type names: no line-info text


def test_split_writer(objects: dict[str, Path]) -> None:
    base = Btf.from_elf(objects["kinds"])
    writer = BtfWriter(base)
    u32 = base.find("u32", Kind.TYPEDEF)
    assert u32 is not None
    new_id = writer.add(Ptr(0, Kind.PTR, "", u32.id))
    name_id = writer.add(Var(0, Kind.VAR, "a_fresh_name", new_id, 1))
    split = parse(writer.to_bytes(), base)
    assert split[name_id].name == "a_fresh_name" and split.size_of(name_id) == 8


def test_dedup_of_a_deduplicated_object_changes_nothing(objects: dict[str, Path]) -> None:
    btf = Btf.from_elf(objects["kinds"])
    deduped, mapping = dedup(btf)
    assert len(deduped) == len(btf) and mapping == list(range(len(btf) + 1))


def test_merge_shares_identical_types(objects: dict[str, Path]) -> None:
    kinds = Btf.from_elf(objects["kinds"])
    merged, (first, second) = merge([kinds, kinds])
    per_object = sum(1 for t in kinds if t.kind in (Kind.VAR, Kind.DATASEC))
    assert len(merged) == len(kinds) + per_object  # VARs and DATASECs are never merged
    config = kinds.find("config", Kind.STRUCT)
    assert config is not None and first[config.id] == second[config.id]


def test_merge_resolves_forward_declarations(objects: dict[str, Path]) -> None:
    kinds, defs = Btf.from_elf(objects["kinds"]), Btf.from_elf(objects["defs"])
    merged, (km, dm) = merge([kinds, defs])
    assert not [t for t in merged if isinstance(t, Fwd)]
    opaque = [t for t in merged if isinstance(t, Struct) and t.name == "opaque"]
    assert len(opaque) == 1
    fwd = kinds.find("opaque", Kind.FWD)
    assert fwd is not None and km[fwd.id] == opaque[0].id
    u32_a, u32_b = kinds.find("u32", Kind.TYPEDEF), defs.find("u32", Kind.TYPEDEF)
    assert u32_a is not None and u32_b is not None and km[u32_a.id] == dm[u32_b.id]
    node = merged.find("node", Kind.STRUCT)
    assert isinstance(node, Struct)
    next_ptr = merged.resolve(node.member("next").type_id)
    assert isinstance(next_ptr, Ptr) and next_ptr.type_id == node.id  # the cycle survives


@pytest.mark.parametrize("name", ["kinds", "defs"])
def test_merged_dump_keeps_each_objects_types(objects: dict[str, Path], name: str) -> None:
    btf = Btf.from_elf(objects[name])
    merged, (mapping,) = merge([btf])
    for t in btf:
        assert merged[mapping[t.id]].name == t.name and merged[mapping[t.id]].kind == t.kind
