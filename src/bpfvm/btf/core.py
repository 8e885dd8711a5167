"""CO-RE: applying an object's ``.BTF.ext`` relocations against a target BTF, as libbpf does.

Follows libbpf's ``relo_core.c`` (the kernel shares it): each relocation's access string is
parsed into a *spec* against the local (the object's own) BTF; candidate target types are those
of the same kind whose names agree up to a ``___flavor`` suffix; each candidate is matched
field by field by name (through anonymous members, with libbpf's field compatibility rules),
or as a whole for type relocations (``types_are_compat``, or ``types_match`` for
TYPE_MATCHES), or by enumerator name; all matching candidates must give the same value.  The
value is then written into the instruction: an ALU immediate, a load/store offset (with the
access size adjusted for unsigned integers and pointers, as libbpf allows), or an ``lddw``
immediate — after checking that the instruction holds the value computed locally.  A
relocation no candidate satisfies is *poisoned* as libbpf does: the instruction (both slots of
an ``lddw``) becomes ``call 0xbad2310``, which traps when reached; ``Program.core_poison``
says which relocation and type, and the trap message names them.  *_EXISTS, TYPE_MATCHES
and ENUMVAL_EXISTS of something absent are 0, not poison.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import BtfError
from ..isa import Insn
from ..program import Program
from .ext import CoreRelo, CoreReloKind
from .reader import Btf
from .types import Array, Enum, Enum64, FuncProto, Fwd, Int, Kind, Ptr, Struct, Type, Union

__all__ = ["POISON_HELPER", "VMLINUX", "CoreResult", "apply_relocations", "essential_name",
           "has_core_relocations", "relocate_object"]

#: libbpf's invalid helper id that marks a poisoned instruction (``0xbad2310``: "bad relo").
POISON_HELPER = 0xBAD2310
_MAX_SPEC = 64
_FIELD_KINDS = frozenset({CoreReloKind.FIELD_BYTE_OFFSET, CoreReloKind.FIELD_BYTE_SIZE,
                          CoreReloKind.FIELD_EXISTS, CoreReloKind.FIELD_SIGNED,
                          CoreReloKind.FIELD_LSHIFT_U64, CoreReloKind.FIELD_RSHIFT_U64})
_TYPE_KINDS = frozenset({CoreReloKind.TYPE_ID_LOCAL, CoreReloKind.TYPE_ID_TARGET, CoreReloKind.TYPE_EXISTS,
                         CoreReloKind.TYPE_SIZE, CoreReloKind.TYPE_MATCHES})
_ENUM_KINDS = frozenset({CoreReloKind.ENUMVAL_EXISTS, CoreReloKind.ENUMVAL_VALUE})


class _Poison(Exception):
    """The relocation cannot be satisfied: poison the instruction."""


def essential_name(name: str) -> str:
    """``name`` without its ``___flavor`` suffix (``task_struct___v2`` → ``task_struct``)."""
    for i in range(len(name) - 5, -1, -1):
        if name[i] != "_" and name[i + 1:i + 4] == "___" and name[i + 4] != "_":
            return name[:i + 1]
    return name


def _skip(btf: Btf, type_id: int) -> tuple[int, Type]:
    tid = btf.resolve_id(type_id)
    return tid, btf[tid]


@dataclass
class _Access:
    type_id: int
    idx: int
    name: str | None


@dataclass
class _Spec:
    """A relocation's access path resolved in one BTF (libbpf's ``bpf_core_spec``)."""

    btf: Btf
    root_type_id: int
    kind: CoreReloKind
    spec: list[_Access] = dataclasses.field(default_factory=list)
    raw: list[int] = dataclasses.field(default_factory=list)
    bit_offset: int = 0


@dataclass(frozen=True, slots=True)
class CoreResult:
    """What one relocation did: the instruction index, the values, and whether it was poisoned."""

    relo: CoreRelo
    pc: int
    local_value: int
    new_value: int
    poisoned: bool
    message: str


def _is_composite(t: Type) -> bool:
    return isinstance(t, (Struct, Union))


def _kinds_compat(a: Type, b: Type) -> bool:
    return a.kind == b.kind or (isinstance(a, (Enum, Enum64)) and isinstance(b, (Enum, Enum64)))


def parse_spec(btf: Btf, type_id: int, access: str, kind: CoreReloKind) -> _Spec:
    """The local spec of a relocation (``bpf_core_parse_spec``); raises BtfError for a bad one."""
    try:
        raw = [int(x) for x in access.split(":")]
    except ValueError:
        raise BtfError(f"bad CO-RE access string {access!r}", type_id) from None
    if not raw or len(raw) > _MAX_SPEC:
        raise BtfError(f"bad CO-RE access string {access!r}", type_id)
    spec = _Spec(btf, type_id, kind, raw=list(raw))
    if kind in _TYPE_KINDS:
        if raw != [0]:
            raise BtfError(f"type relocation with access string {access!r} (expected '0')", type_id)
        return spec
    tid, t = _skip(btf, type_id)
    if kind in _ENUM_KINDS:
        if not isinstance(t, (Enum, Enum64)) or len(raw) > 1 or raw[0] >= len(t.values):
            raise BtfError(f"enum relocation {access!r} on a {t.kind.name}", type_id)
        spec.spec.append(_Access(tid, raw[0], t.values[raw[0]].name))
        return spec
    spec.spec.append(_Access(tid, raw[0], None))
    spec.bit_offset = raw[0] * btf.size_of(tid) * 8
    for idx in raw[1:]:
        tid, t = _skip(btf, tid)
        if isinstance(t, (Struct, Union)):
            if idx >= len(t.members):
                raise BtfError(f"access {access!r}: member {idx} of {len(t.members)}", tid)
            m = t.members[idx]
            spec.bit_offset += m.bit_offset
            if m.name:
                spec.spec.append(_Access(tid, idx, m.name))
            tid = m.type_id
        elif isinstance(t, Array):
            flexible = _is_flex(btf, spec.spec[-1], t)
            if not flexible and idx >= t.nelems:
                raise BtfError(f"access {access!r}: index {idx} of {t.nelems}", tid)
            spec.spec.append(_Access(tid, idx, None))
            spec.bit_offset += idx * btf.size_of(t.type_id) * 8
            tid = t.type_id
        else:
            raise BtfError(f"access {access!r} goes into a {t.kind.name}", tid)
    return spec


def _is_flex(btf: Btf, parent: _Access, array: Array) -> bool:
    """A zero-length array that is the last member of its struct (a flexible array member)."""
    if array.nelems != 0 or parent.name is None:
        return False
    t = btf[parent.type_id]
    return isinstance(t, (Struct, Union)) and parent.idx == len(t.members) - 1


# -- compatibility --------------------------------------------------------------------------

def fields_compat(lb: Btf, lid: int, tb: Btf, tid: int) -> bool:
    """libbpf's ``bpf_core_fields_are_compat``."""
    for _ in range(_MAX_SPEC):
        lid, lt = _skip(lb, lid)
        tid, tt = _skip(tb, tid)
        if _is_composite(lt) and _is_composite(tt):
            return True
        if not _kinds_compat(lt, tt):
            return False
        if isinstance(lt, (Ptr, )) or lt.kind == Kind.FLOAT:
            return True
        if isinstance(lt, (Fwd, Enum, Enum64)):
            ln, tn = essential_name(lt.name), essential_name(tt.name)
            return not ln or not tn or ln == tn
        if isinstance(lt, Int) and isinstance(tt, Int):
            return lt.offset == 0 and tt.offset == 0
        if isinstance(lt, Array) and isinstance(tt, Array):
            lid, tid = lt.type_id, tt.type_id
            continue
        return False
    return False


def types_compat(lb: Btf, lid: int, tb: Btf, tid: int, level: int = 32) -> bool:
    """libbpf's ``bpf_core_types_are_compat`` (TYPE_EXISTS, TYPE_SIZE, TYPE_ID_TARGET)."""
    for _ in range(level):
        lid, lt = _skip(lb, lid)
        tid, tt = _skip(tb, tid)
        if not _kinds_compat(lt, tt):
            return False
        if lt.kind in (Kind.UNKN, Kind.STRUCT, Kind.UNION, Kind.ENUM, Kind.ENUM64, Kind.FWD):
            return True
        if isinstance(lt, Int) and isinstance(tt, Int):
            return lt.offset == 0 and tt.offset == 0
        if isinstance(lt, Ptr) and isinstance(tt, Ptr):
            lid, tid = lt.type_id, tt.type_id
        elif isinstance(lt, Array) and isinstance(tt, Array):
            lid, tid = lt.type_id, tt.type_id
        elif isinstance(lt, FuncProto) and isinstance(tt, FuncProto):
            if len(lt.params) != len(tt.params):
                return False
            if not all(types_compat(lb, lp.type_id, tb, tp.type_id, level - 1)
                       for lp, tp in zip(lt.params, tt.params, strict=True)):
                return False
            lid, tid = lt.type_id, tt.type_id
        else:
            return False
    return False


def _names_match(local: str, target: str) -> bool:
    return not local or target.startswith(essential_name(local))


def types_match(lb: Btf, lid: int, tb: Btf, tid: int, behind_ptr: bool = False, level: int = 32) -> bool:
    """libbpf's ``bpf_core_types_match`` (TYPE_MATCHES): names, kinds and layouts agree."""
    while level > 0:
        level -= 1
        lid, lt = _skip(lb, lid)
        tid, tt = _skip(tb, tid)
        if not _names_match(lt.name, tt.name):
            return False
        if lt.kind == Kind.UNKN:
            return tt.kind == Kind.UNKN
        if isinstance(lt, Fwd):
            if behind_ptr:
                if isinstance(tt, Fwd):
                    return lt.union == tt.union
                return isinstance(tt, Union) if lt.union else isinstance(tt, Struct)
            return isinstance(tt, Fwd) and lt.union == tt.union
        if isinstance(lt, (Enum, Enum64)):
            return isinstance(tt, (Enum, Enum64)) and _enums_match(lt, tt)
        if isinstance(lt, (Struct, Union)):
            if behind_ptr:
                if lt.kind == tt.kind:
                    return True
                return isinstance(tt, Fwd) and tt.union == isinstance(lt, Union)
            return lt.kind == tt.kind and isinstance(tt, (Struct, Union)) and \
                _composites_match(lb, lt, tb, tt, level)
        if isinstance(lt, Int):
            return isinstance(tt, Int) and lt.size == tt.size and lt.signed == tt.signed
        if isinstance(lt, Ptr):
            if not isinstance(tt, Ptr):
                return False
            behind_ptr, lid, tid = True, lt.type_id, tt.type_id
        elif isinstance(lt, Array):
            if not isinstance(tt, Array) or lt.nelems != tt.nelems:
                return False
            lid, tid = lt.type_id, tt.type_id
        elif isinstance(lt, FuncProto):
            if not isinstance(tt, FuncProto) or len(lt.params) != len(tt.params):
                return False
            if not all(types_match(lb, lp.type_id, tb, tp.type_id, behind_ptr, level)
                       for lp, tp in zip(lt.params, tt.params, strict=True)):
                return False
            lid, tid = lt.type_id, tt.type_id
        else:
            return False
    return False


def _enums_match(lt: Enum | Enum64, tt: Enum | Enum64) -> bool:
    if lt.size != tt.size:
        return False
    return all(any(_names_match(lv.name, tv.name) and lv.value == tv.value for tv in tt.values)
               for lv in lt.values)


def _composites_match(lb: Btf, lt: Struct | Union, tb: Btf, tt: Struct | Union, level: int) -> bool:
    if len(lt.members) > len(tt.members):
        return False
    for lm in lt.members:
        if not any(_names_match(lm.name, tm.name)
                   and types_match(lb, lm.type_id, tb, tm.type_id, False, level) for tm in tt.members):
            return False
    return True


# -- matching a spec against a candidate ----------------------------------------------------

def _match_member(local: _Spec, acc: _Access, tb: Btf, tid: int, targ: _Spec) -> tuple[bool, int]:
    """``bpf_core_match_member``: find ``acc``'s member by name in ``tid`` (through anonymous ones)."""
    lt = local.btf[acc.type_id]
    assert isinstance(lt, (Struct, Union))
    lm = lt.members[acc.idx]
    tid, tt = _skip(tb, tid)
    if not isinstance(tt, (Struct, Union)):
        return False, tid
    for i, m in enumerate(tt.members):
        if len(targ.raw) >= _MAX_SPEC:
            raise BtfError("CO-RE spec too deep", tid)
        targ.bit_offset += m.bit_offset
        targ.raw.append(i)
        if not m.name:
            found, nxt = _match_member(local, acc, tb, m.type_id, targ)
            if found:
                return True, nxt
        elif m.name == lm.name:
            targ.spec.append(_Access(tid, i, m.name))
            if fields_compat(local.btf, lm.type_id, tb, m.type_id):
                return True, m.type_id
            targ.spec.pop()
            targ.bit_offset -= m.bit_offset
            targ.raw.pop()
            return False, tid
        targ.bit_offset -= m.bit_offset
        targ.raw.pop()
    return False, tid


def match_spec(local: _Spec, tb: Btf, tid: int) -> _Spec | None:
    """The target spec of candidate ``tid`` (``bpf_core_spec_match``), or None if it does not match."""
    targ = _Spec(tb, tid, local.kind)
    if local.kind in _TYPE_KINDS:
        ok = (types_match(local.btf, local.root_type_id, tb, tid) if local.kind == CoreReloKind.TYPE_MATCHES
              else types_compat(local.btf, local.root_type_id, tb, tid))
        return targ if ok else None
    if local.kind in _ENUM_KINDS:
        tid, tt = _skip(tb, tid)
        if not isinstance(tt, (Enum, Enum64)):
            return None
        want = essential_name(local.spec[0].name or "")
        for i, v in enumerate(tt.values):
            if essential_name(v.name) == want:
                targ.spec.append(_Access(tid, i, v.name))
                return targ
        return None
    for i, acc in enumerate(local.spec):
        tid, tt = _skip(tb, tid)
        if acc.name is not None:
            found, tid = _match_member(local, acc, tb, tid, targ)
            if not found:
                return None
            continue
        if i > 0:
            if not isinstance(tt, Array):
                return None
            if not _is_flex(tb, targ.spec[-1], tt) and acc.idx >= tt.nelems:
                return None
            tid, _ = _skip(tb, tt.type_id)
        targ.spec.append(_Access(tid, acc.idx, None))
        targ.raw.append(acc.idx)
        targ.bit_offset += acc.idx * tb.size_of(tid) * 8
    return targ


# -- values ---------------------------------------------------------------------------------

@dataclass
class _Value:
    value: int
    size: int = 0  #: field size for load/store size adjustment (0: none)
    type_id: int = 0
    validate: bool = True


def field_value(spec: _Spec | None, kind: CoreReloKind) -> _Value:
    """``bpf_core_calc_field_relo``; raises _Poison when the field is absent."""
    if kind == CoreReloKind.FIELD_EXISTS:
        return _Value(1 if spec is not None else 0)
    if spec is None:
        raise _Poison
    btf, acc = spec.btf, spec.spec[-1]
    if acc.name is None:
        size = btf.size_of(acc.type_id)
        if kind == CoreReloKind.FIELD_BYTE_OFFSET:
            return _Value(spec.bit_offset // 8, size, acc.type_id)
        if kind == CoreReloKind.FIELD_BYTE_SIZE:
            return _Value(size)
        raise BtfError(f"{kind.name} cannot be applied to an array access", acc.type_id)
    t = btf[acc.type_id]
    assert isinstance(t, (Struct, Union))
    m = t.members[acc.idx]
    field_id, mt = _skip(btf, m.type_id)
    bit_off, bit_sz = spec.bit_offset, m.bitfield_size
    if bit_sz:
        byte_sz = btf.size_of(field_id)
        byte_off = bit_off // 8 // byte_sz * byte_sz
        while bit_off + bit_sz - byte_off * 8 > byte_sz * 8:
            if byte_sz >= 8:
                raise BtfError("bitfield cannot be read with a 64-bit load", acc.type_id)
            byte_sz *= 2
            byte_off = bit_off // 8 // byte_sz * byte_sz
    else:
        byte_sz = btf.size_of(field_id)
        byte_off = bit_off // 8
        bit_sz = byte_sz * 8
    validate = not m.bitfield_size
    if kind == CoreReloKind.FIELD_BYTE_OFFSET:
        return _Value(byte_off, 0 if m.bitfield_size else byte_sz, field_id, validate)
    if kind == CoreReloKind.FIELD_BYTE_SIZE:
        return _Value(byte_sz, validate=validate)
    if kind == CoreReloKind.FIELD_SIGNED:
        return _Value(int(isinstance(mt, (Enum, Enum64, Int)) and mt.signed))
    if kind == CoreReloKind.FIELD_LSHIFT_U64:
        return _Value(64 - (bit_off + bit_sz - byte_off * 8), validate=validate)
    if kind == CoreReloKind.FIELD_RSHIFT_U64:
        return _Value(64 - bit_sz)
    raise BtfError(f"unsupported CO-RE relocation kind {kind}")


def type_value(spec: _Spec | None, kind: CoreReloKind) -> _Value:
    """``bpf_core_calc_type_relo``."""
    if spec is None:
        if kind in (CoreReloKind.TYPE_EXISTS, CoreReloKind.TYPE_MATCHES):
            return _Value(0)
        raise _Poison
    if kind in (CoreReloKind.TYPE_ID_TARGET, CoreReloKind.TYPE_ID_LOCAL):
        return _Value(spec.root_type_id)
    if kind in (CoreReloKind.TYPE_EXISTS, CoreReloKind.TYPE_MATCHES):
        return _Value(1)
    return _Value(spec.btf.size_of(spec.root_type_id))


def enum_value(spec: _Spec | None, kind: CoreReloKind) -> _Value:
    """``bpf_core_calc_enumval_relo``."""
    if kind == CoreReloKind.ENUMVAL_EXISTS:
        return _Value(1 if spec is not None else 0)
    if spec is None:
        raise _Poison
    t = spec.btf[spec.spec[0].type_id]
    assert isinstance(t, (Enum, Enum64))
    return _Value(t.values[spec.spec[0].idx].value)


def _value(spec: _Spec | None, kind: CoreReloKind) -> _Value:
    if kind in _FIELD_KINDS:
        return field_value(spec, kind)
    if kind in _TYPE_KINDS:
        return type_value(spec, kind)
    return enum_value(spec, kind)


def candidates(local: Btf, type_id: int, target: Btf) -> list[int]:
    """Target type ids of the local type's kind whose names agree up to a ``___flavor`` suffix."""
    lt = local[type_id]
    name = essential_name(lt.name)
    if not name:
        raise BtfError("CO-RE relocation of an anonymous type", type_id)
    return [tid for tid in _by_essential_name(target).get(name, ()) if _kinds_compat(lt, target[tid])]


@functools.lru_cache(maxsize=4)
def _by_essential_name(target: Btf) -> dict[str, list[int]]:
    """Essential name → ids of every named type of ``target`` (base included), in id order."""
    index: dict[str, list[int]] = {}
    for tid in range(1, len(target) + 1):
        owner = target.owner(tid)
        off = owner._name_offs[tid - owner.start_id]
        if off:
            index.setdefault(essential_name(owner.string(off)), []).append(tid)
    return index


def resolve(relo: CoreRelo, local: Btf, target: Btf) -> tuple[_Value, _Value | None]:
    """(local value, target value or None for poison) of one relocation."""
    kind = CoreReloKind(relo.kind)
    spec = parse_spec(local, relo.type_id, relo.access, kind)
    local_value = _value(spec, kind)
    if kind == CoreReloKind.TYPE_ID_LOCAL:
        return local_value, _Value(relo.type_id)
    found: _Value | None = None
    found_spec: _Spec | None = None
    for tid in candidates(local, relo.type_id, target):
        targ = match_spec(spec, target, tid)
        if targ is None:
            continue
        try:
            value: _Value | None = _value(targ, kind)
        except _Poison:
            value = None
        if found_spec is None:
            found, found_spec = value, targ
        elif targ.bit_offset != found_spec.bit_offset:
            raise BtfError(f"CO-RE relocation {relo.access!r}: field offset ambiguity "
                           f"({found_spec.bit_offset} != {targ.bit_offset})", relo.type_id)
        elif (value is None) != (found is None) or (value is not None and found is not None
                                                     and value.value != found.value):
            raise BtfError(f"CO-RE relocation {relo.access!r}: candidates disagree", relo.type_id)
    if found_spec is None:
        try:
            found = _value(None, kind)
        except _Poison:
            found = None
    return local_value, found


# -- patching -------------------------------------------------------------------------------

def _poison(insn: Insn) -> list[Insn]:
    call = Insn(0x85, 0, 0, 0, POISON_HELPER, insn.pc)
    return [call, call._replace(pc=insn.pc + 1)] if insn.opcode == 0x18 else [call]


def _size_code(size: int) -> int | None:
    return {1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18}.get(size)


def _adjustable(local: Btf, lid: int, target: Btf, tid: int) -> bool:
    lt, tt = local[lid], target[tid]
    if isinstance(lt, Ptr) and isinstance(tt, Ptr):
        return True
    return isinstance(lt, Int) and isinstance(tt, Int) and not lt.signed and not tt.signed


def patch(insn: Insn, relo: CoreRelo, old: _Value, new: _Value, local: Btf, target: Btf, where: str) -> Insn:
    """``bpf_core_patch_insn`` for one instruction; raises BtfError where libbpf refuses."""
    cls = insn.opcode & 0x07
    if cls in (0x04, 0x07):  # ALU, ALU64
        if insn.opcode & 0x08:
            raise BtfError(f"{where}: CO-RE relocation of a register-source ALU instruction")
        if old.validate and (insn.imm & 0xFFFFFFFF) != (old.value & 0xFFFFFFFF):
            raise BtfError(f"{where}: instruction has imm {insn.imm}, expected {old.value}")
        return insn._replace(imm=_s32(new.value))
    if cls in (0x01, 0x02, 0x03):  # LDX, ST, STX
        if old.validate and insn.off != old.value:
            raise BtfError(f"{where}: instruction has off {insn.off}, expected {old.value}")
        if new.value > 0x7FFF:
            raise BtfError(f"{where}: offset {new.value} too big for a load/store")
        code = insn.opcode
        if old.size and new.size and old.size != new.size:
            if not _adjustable(local, old.type_id, target, new.type_id):
                raise _Poison
            size_code = _size_code(new.size)
            if {0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8}[code & 0x18] != old.size or size_code is None:
                raise BtfError(f"{where}: cannot adjust the access size from {old.size} to {new.size}")
            code = (code & ~0x18) | size_code
        return insn._replace(opcode=code, off=new.value)
    if insn.opcode == 0x18 and insn.src == 0:
        if old.validate and insn.imm64 != old.value % (1 << 64):
            raise BtfError(f"{where}: lddw has {insn.imm64:#x}, expected {old.value:#x}")
        value = new.value % (1 << 64)
        return insn._replace(imm=_s32(value), imm_hi=_s32(value >> 32))
    raise BtfError(f"{where}: CO-RE relocation of an instruction that takes no constant")


def _s32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >> 31 else value


def apply_relocations(program: Program, local: Btf, target: Btf) -> tuple[Program, list[CoreResult]]:
    """``program`` with every CO-RE relocation of ``local.ext`` applied against ``target``.

    Returns the new Program (``core_poison`` names each poisoned instruction) and what each
    relocation did.  Raises :class:`BtfError` for a relocation libbpf refuses (a malformed
    access string, candidates that disagree, an instruction that does not hold the local value).
    """
    ext = local.ext
    if ext is None or not ext.core_relos:
        return program, []
    index = {insn.pc: i for i, insn in enumerate(program.insns)}
    insns: list[Insn | list[Insn]] = list(program.insns)
    results: list[CoreResult] = []
    poison: dict[int, str] = dict(getattr(program, "core_poison", {}))
    for section, relos in ext.core_relos.items():
        base = _section_base(program, section)
        for n, relo in enumerate(relos):
            pc = base + relo.insn
            where = f"{program.name}: {section} relocation #{n} at insn #{pc}"
            k = index.get(pc)
            if k is None:
                raise BtfError(f"{where}: no instruction there")
            insn = insns[k]
            assert isinstance(insn, Insn)
            kind = CoreReloKind(relo.kind)
            root = local[relo.type_id]
            describe = (f"CO-RE relocation #{n} ({kind.name} of {root.kind.name.lower()} "
                        f"{root.name or '(anon)'} access {relo.access!r}) cannot be satisfied by the "
                        "target BTF")
            old, new = resolve(relo, local, target)
            patched: Insn | list[Insn] | None = None
            if new is not None:
                try:
                    patched = patch(insn, relo, old, new, local, target, where)
                except _Poison:
                    patched = None
            if patched is None:
                insns[k] = _poison(insn)
                poison[pc] = describe
                results.append(CoreResult(relo, pc, old.value, 0, True, describe))
            else:
                insns[k] = patched
                results.append(CoreResult(relo, pc, old.value, new.value if new else 0, False, ""))
    flat: list[Insn] = []
    for item in insns:
        flat.extend(item if isinstance(item, list) else [item])
    return dataclasses.replace(program, insns=tuple(flat), core_poison=poison,
                               _by_pc={i.pc: i for i in flat}), results


def _section_base(program: Program, section: str) -> int:
    names = program.sections.get(section)
    if not names:
        raise BtfError(f"{program.name}: .BTF.ext relocates section {section!r}, which has no code")
    return min(program.functions[f].start for f in names)



VMLINUX = "/sys/kernel/btf/vmlinux"


def has_core_relocations(data: bytes) -> bool:
    """Whether the ELF object ``data`` has a ``.BTF.ext`` with CO-RE relocation records.

    A cheap check on the section headers alone (loading every object must not parse BTF).
    """
    import struct

    if len(data) < 64 or data[:4] != b"\x7fELF" or b".BTF.ext" not in data:
        return False
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    if shoff + shnum * shentsize > len(data) or shstrndx >= shnum or shentsize < 64:
        return False
    strtab_off = struct.unpack_from("<Q", data, shoff + shstrndx * shentsize + 0x18)[0]
    for i in range(shnum):
        header = shoff + i * shentsize
        name_off = struct.unpack_from("<I", data, header)[0]
        if data[strtab_off + name_off:strtab_off + name_off + 9] != b".BTF.ext\0":
            continue
        off, size = struct.unpack_from("<QQ", data, header + 0x18)
        if size < 32 or off + size > len(data):
            return False
        hdr_len = struct.unpack_from("<I", data, off + 4)[0]
        return hdr_len >= 32 and struct.unpack_from("<I", data, off + 28)[0] > 0
    return False


def relocate_object(program: Program, source: str | os.PathLike[str] | bytes,
                    target_btf: str | os.PathLike[str] | Btf | None = None) -> Program:
    """``program`` (loaded from ``source``) with its CO-RE relocations applied.

    The target is ``target_btf`` (a path to raw BTF or an object, or a :class:`Btf`); by default
    the object's own BTF, or for kernel-style objects (code in ``SEC(...)`` sections) the
    running kernel's ``/sys/kernel/btf/vmlinux`` when present.  An object without CO-RE
    relocations is returned as is.  Raises :class:`BtfError` as :func:`apply_relocations`.
    """
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if not has_core_relocations(data):
        return program
    local = Btf.from_elf(data if isinstance(source, bytes) else source)
    if isinstance(target_btf, Btf):
        target = target_btf
    elif target_btf is not None:
        target = Btf.from_file(target_btf)
    elif any(name != ".text" for name in program.sections) and Path(VMLINUX).exists():
        target = _vmlinux()
    else:
        target = local
    return apply_relocations(program, local, target)[0]


@functools.lru_cache(maxsize=1)
def _vmlinux() -> Btf:
    return Btf.from_file(VMLINUX)
