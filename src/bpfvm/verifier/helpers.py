"""Helper calls: arguments checked against the prototypes of :mod:`bpfvm.kernel.helpers`.

The kernel's ``check_helper_call`` / ``check_func_arg`` (Linux 6.18): the helper must exist and
be offered to the program type, each argument register must hold a type its ``ARG_*`` accepts
(``R1 type=ctx expected=fp, pkt, …``), memory arguments are checked like accesses of their
size (map keys and values by the map's sizes, ``PTR_TO_MEM`` by the following ``CONST_SIZE``
argument, whose bounds must be known), then r1–r5 become unreadable and r0 takes the return
type — a ``map_value_or_null`` with a fresh id for ``bpf_map_lookup_elem``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..analysis import Scalar, s64
from ..kernel.helpers import HELPERS, PROGRAM_TYPES, ArgType, RetType, TypeFlag
from .cfg import Reject
from .state import MapInfo, Reg, RegType, Slot

if TYPE_CHECKING:
    from .checker import Checker

__all__ = ["check_helper_call", "helper_name"]

MAX_VAR_SIZ = 1 << 29
_PROG_NAMES = {v: k for k, v in PROGRAM_TYPES.items()}

#: ``compatible_reg_types`` of memory arguments, in the kernel's order, with their log names.
_MEM_TYPES = (
    RegType.PTR_TO_STACK,
    RegType.PTR_TO_PACKET,
    RegType.PTR_TO_PACKET_META,
    RegType.PTR_TO_MAP_KEY,
    RegType.PTR_TO_MAP_VALUE,
    RegType.PTR_TO_MEM,
)
_MEM_NAMES = "fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_"


#: ``check_map_func_compatibility``, first half: the only helpers a map of this type may go to.
_MAP_ONLY: dict[int, frozenset[int]] = {
    3: frozenset({12}),  # prog_array: tail_call
    4: frozenset({22, 25, 55, 111, 121}),  # perf_event_array: perf_event_read/output, skb/xdp_output
    7: frozenset({27, 67}),  # stack_trace: get_stackid, get_stack? (get_stackid only in 6.18)
    8: frozenset({33, 37}),  # cgroup_array: skb_under_cgroup, current_task_under_cgroup
    15: frozenset({1, 52, 53, 60, 82}),  # sockmap (+ update/delete where sockmaps may be updated)
    18: frozenset({1, 70, 71, 72, 82}),  # sockhash
    22: frozenset({86, 87, 88}),  # queue: push/pop/peek
    23: frozenset({86, 87, 88}),  # stack
    27: frozenset({130, 131, 132, 133, 134, 198}),  # ringbuf
    30: frozenset({86, 88}),  # bloom filter: push, peek
}
#: Second half: helpers that take only maps of these types.
_FUNC_ONLY: dict[int, frozenset[int]] = {
    12: frozenset({3}),
    22: frozenset({4}),
    25: frozenset({4}),
    55: frozenset({4}),
    27: frozenset({7}),
    86: frozenset({22, 23, 30}),
    87: frozenset({22, 23}),
    88: frozenset({22, 23, 30}),
    130: frozenset({27}),
    131: frozenset({27}),
    134: frozenset({27}),
    52: frozenset({15}),
    53: frozenset({15}),
    70: frozenset({18}),
    72: frozenset({18}),
}
#: Map types whose ``bpf_map_lookup_elem`` returns a plain ``map_value`` (not a socket, an inner
#: map, a device …): hash, array, per-CPU hash/array, LRU hashes, LPM trie.
_PLAIN_VALUE_MAPS = frozenset({1, 2, 5, 6, 9, 10, 11})
#: Helpers whose prototype has ``pkt_access``: they may take packet pointers (bpfvm's list is
#: the conservative core: the map helpers and csum_diff).
_PKT_ACCESS = frozenset({1, 2, 3, 28, 86, 87, 88})
#: ``bpf_helper_changes_pkt_data``: after these, every packet pointer is invalid.
_CHANGES_PKT_DATA = frozenset(
    {9, 10, 11, 13, 18, 19, 31, 38, 39, 43, 44, 50, 54, 63, 65, 73, 74, 75, 76, 90, 91}
)


def _clear_pkt_pointers(chk: Checker) -> None:
    """``clear_all_pkt_pointers``: packet pointers in every frame become unknown scalars."""
    for frame in chk.cur.frames:
        for reg in frame.regs + [s.spilled for s in frame.stack if s.is_spill()]:
            if reg.type in (RegType.PTR_TO_PACKET, RegType.PTR_TO_PACKET_META, RegType.PTR_TO_PACKET_END):
                reg.mark_unknown()


#: ``may_update_sockmap``: program types whose programs may update or delete sockmap entries.
_SOCKMAP_UPDATERS = frozenset({1, 3, 4, 6, 21, 22, 30})


def _check_map_compat(chk: Checker, info: MapInfo, func_id: int) -> None:
    """``check_map_func_compatibility``: maps of special types go only to their own helpers."""
    name = helper_name(func_id)
    allowed = _MAP_ONLY.get(info.map_type)
    ok = allowed is None or func_id in allowed
    if info.map_type in (15, 18) and func_id in (2, 3):
        ok = chk.prog_type in _SOCKMAP_UPDATERS
        if not ok:
            chk.log.write("cannot update sockmap in this context\n")
    if func_id in _FUNC_ONLY and info.map_type not in _FUNC_ONLY[func_id]:
        ok = False
    if not ok:
        raise Reject(f"cannot pass map_type {info.map_type} into func {name}#{func_id}")


def helper_name(func_id: int) -> str:
    """``func_id_name``: the helper's kernel name, ``unknown`` for ids outside the table."""
    h = HELPERS.get(func_id)
    return h.name if h is not None else "unknown"


def _expected(arg: ArgType) -> tuple[tuple[RegType, ...], str] | None:
    if arg is ArgType.CONST_MAP_PTR:
        return (RegType.CONST_PTR_TO_MAP,), "map_ptr"
    if arg in (ArgType.PTR_TO_MAP_KEY, ArgType.PTR_TO_MAP_VALUE, ArgType.PTR_TO_MEM):
        return _MEM_TYPES, _MEM_NAMES
    if arg is ArgType.PTR_TO_CTX:
        return (RegType.PTR_TO_CTX,), "ctx"
    if arg in (ArgType.CONST_SIZE, ArgType.CONST_SIZE_OR_ZERO, ArgType.CONST_ALLOC_SIZE_OR_ZERO):
        return (RegType.SCALAR,), "scalar"
    if arg is ArgType.PTR_TO_STACK:
        return (RegType.PTR_TO_STACK,), "fp"
    if arg is ArgType.PTR_TO_CONST_STR:
        return (RegType.PTR_TO_MAP_VALUE,), "map_value"
    return None


class _Meta:
    __slots__ = ("map", "raw_regno", "raw_size", "mem_regno", "mem_write", "mem_raw", "const_key")

    def __init__(self) -> None:
        self.const_key = -1
        self.map: MapInfo | None = None
        self.raw_regno = -1
        self.raw_size = 0
        self.mem_regno = -1
        self.mem_write = False
        self.mem_raw = False


def check_helper_call(chk: Checker, idx: int, func_id: int) -> None:
    """Check a ``call func_id`` at ``idx`` in the checker's current state and apply its effects.
    Raises :class:`~.cfg.Reject` with the kernel's message."""
    h = HELPERS.get(func_id)
    if h is None:
        raise Reject(f"invalid func unknown#{func_id}")
    if not h.allowed_in(_PROG_NAMES.get(chk.prog_type, "")):
        raise Reject(f"program of this type cannot use helper {h.name}#{func_id}")
    meta = _Meta()
    for i, arg in enumerate(h.proto.args):
        _check_arg(chk, i + 1, arg.type, arg.flags, arg.size, meta, func_id)
    if meta.map is not None:
        _check_map_compat(chk, meta.map, func_id)
        if func_id == 1 and meta.map.map_type not in _PLAIN_VALUE_MAPS:
            raise Reject(f"bpfvm: lookups in maps of type {meta.map.map_type} are not verified yet", 95)
    elif func_id in _FUNC_ONLY:
        raise Reject(f"bpfvm: {h.name} without a map argument is not verified yet", 95)
    if meta.raw_regno >= 0:
        for off in range(meta.raw_size):
            chk._mem_access(idx, meta.raw_regno, off, 1, write=True, value_regno=-1)
    if func_id in _CHANGES_PKT_DATA:
        _clear_pkt_pointers(chk)
    frame = chk.cur.frame
    for r in range(1, 6):
        frame.regs[r].mark_not_init()
        chk._scratch_reg(r)
    chk._scratch_reg(0)
    r0 = frame.regs[0]
    ret = h.proto.ret
    if ret.type is RetType.INTEGER:
        r0.mark_unknown()
    elif ret.type is RetType.VOID:
        r0.mark_not_init()
    elif ret.type is RetType.PTR_TO_MAP_VALUE and meta.map is not None:
        r0.assign(Reg.pointer(RegType.PTR_TO_MAP_VALUE))
        r0.map = meta.map
        r0.maybe_null = bool(ret.flags & TypeFlag.PTR_MAYBE_NULL)
        if func_id == 1 and 0 <= meta.const_key < meta.map.max_entries:
            r0.maybe_null = False
    else:
        raise Reject(f"bpfvm: return type {ret} of {h.name} is not verified yet", 95)
    if r0.maybe_null:
        r0.id = chk._new_id()


def _check_arg(
    chk: Checker, regno: int, arg: ArgType, flags: TypeFlag, size: int | None, meta: _Meta, func_id: int
) -> None:
    if arg is ArgType.DONTCARE:
        return
    reg = chk._check_reg(regno, src=True)
    if arg is ArgType.ANYTHING:
        if reg.is_pointer and not chk.privileged:
            raise Reject(f"R{regno} leaks addr into helper function", 13)
        return
    if reg.is_pkt and func_id not in _PKT_ACCESS:
        raise Reject("helper access to the packet is not allowed", 13)
    if reg.is_null() and flags & TypeFlag.PTR_MAYBE_NULL:
        return
    expected = _expected(arg)
    if expected is None:
        raise Reject(f"bpfvm: helper argument type {arg.value} is not verified yet", 95)
    types, names = expected
    if reg.type not in types or reg.maybe_null:
        raise Reject(f"R{regno} type={reg.type_str()} expected={names}", 13)
    if arg is ArgType.PTR_TO_CTX:
        chk._ptr_off_ok(regno, reg)
    if arg is ArgType.CONST_MAP_PTR:
        meta.map = reg.map
    elif arg is ArgType.PTR_TO_MAP_KEY:
        if meta.map is None:
            raise Reject("invalid map_ptr to access map->key", 13)
        _helper_mem(chk, regno, meta.map.key_size, write=False, zero_ok=False, meta=None)
        if meta.map.map_type in _ELIDE_NULL:
            meta.const_key = _constant_key(chk, reg, meta.map.key_size)
    elif arg is ArgType.PTR_TO_MAP_VALUE:
        if meta.map is None:
            raise Reject("invalid map_ptr to access map->value", 13)
        _helper_mem(
            chk,
            regno,
            meta.map.value_size,
            write=bool(flags & TypeFlag.MEM_WRITE),
            zero_ok=False,
            meta=meta if flags & TypeFlag.MEM_UNINIT else None,
        )
    elif arg is ArgType.PTR_TO_MEM:
        meta.mem_regno, meta.mem_write = regno, bool(flags & TypeFlag.MEM_WRITE)
        meta.mem_raw = bool(flags & TypeFlag.MEM_UNINIT)
        if flags & TypeFlag.MEM_FIXED_SIZE and size is not None:
            if flags & TypeFlag.MEM_ALIGNED:
                chk._alignment(reg, 0, size, strict=True)
            _helper_mem(
                chk, regno, size, write=meta.mem_write, zero_ok=False, meta=meta if meta.mem_raw else None
            )
    elif arg in (ArgType.CONST_SIZE, ArgType.CONST_SIZE_OR_ZERO):
        _check_size(chk, regno, reg, zero_ok=arg is ArgType.CONST_SIZE_OR_ZERO, meta=meta)


#: ``can_elide_value_nullness``: array maps, whose lookups with a constant in-range key cannot fail.
_ELIDE_NULL = (2, 6)


def _constant_key(chk: Checker, key: Reg, key_size: int) -> int:
    """``get_constant_map_key``: the key's value if it is a known constant on the stack, else -1."""
    if not chk.privileged or key.type is not RegType.PTR_TO_STACK or not key.val.is_const():
        return -1
    stack_off = key.off + s64(key.val.value)
    slot = -stack_off - 1
    spi, off = divmod(slot, 8)
    st = chk.cur.frame.stack[spi]
    zero = 0
    i = off
    while i >= 0 and st.types[i] is Slot.ZERO:
        zero += 1
        i -= 1
    if zero >= key_size:
        return 0
    if not st.is_spill() or st.spilled.type is not RegType.SCALAR:
        return -1
    spill = 0
    i = off
    while i >= 0 and st.types[i] is Slot.SPILL:
        spill += 1
        i -= 1
    if spill != key_size or not st.spilled.val.is_const():
        return -1
    return st.spilled.val.value


def _check_size(chk: Checker, regno: int, reg: Reg, *, zero_ok: bool, meta: _Meta) -> None:
    """``check_mem_size_reg``."""
    v = reg.val
    raw = meta if meta.mem_raw and v.is_const() else None
    if v.smin < 0:
        raise Reject(f"R{regno} min value is negative, either use unsigned or 'var &= const'", 13)
    if v.umin == 0 and not zero_ok:
        raise Reject(f"R{regno} invalid zero-sized read: u64=[{v.umin},{v.umax}]", 13)
    if v.umax >= MAX_VAR_SIZ:
        raise Reject(f"R{regno} unbounded memory access, use 'var &= const' or 'if (var < const)'", 13)
    _helper_mem(chk, regno - 1, v.umax, write=meta.mem_write, zero_ok=zero_ok, meta=raw)


def _helper_mem(
    chk: Checker, regno: int, size: int, *, write: bool, zero_ok: bool, meta: _Meta | None
) -> None:
    """``check_helper_mem_access``: ``size`` bytes at register ``regno`` for a helper."""
    reg = chk._reg(regno)
    if reg.type in (RegType.PTR_TO_PACKET, RegType.PTR_TO_PACKET_META):
        chk._pkt_access(regno, reg, reg.off, size, write, -1) if size else None
        return
    if reg.type is RegType.PTR_TO_MAP_VALUE:
        assert reg.map is not None
        if write and reg.map.read_only:
            raise Reject(
                f"write into map forbidden, value_size={reg.map.value_size} off={reg.off} size={size}", 13
            )
        if size or not zero_ok:
            chk._mem_region(regno, reg, reg.off, size, reg.map.value_size)
        return
    if reg.type is RegType.PTR_TO_STACK:
        _stack_range(chk, regno, reg, size, write=write, zero_ok=zero_ok, meta=meta)
        return
    if zero_ok and size == 0 and reg.is_null():
        return
    raise Reject(f"R{regno} type={reg.type_str()} expected=fp", 13)


def _stack_range(
    chk: Checker, regno: int, reg: Reg, size: int, *, write: bool, zero_ok: bool, meta: _Meta | None
) -> None:
    """``check_stack_range_initialized``."""
    if size == 0 and not zero_ok:
        raise Reject("invalid zero-sized read", 13)
    off = reg.off
    v = reg.val
    extra = " write to" if write else " read from"
    if v.is_const():
        lo = Scalar.known(0).smin + v.smin + off
        hi = lo + size
    else:
        if v.smax >= 1 << 29 or v.smin <= -(1 << 29):
            raise Reject(f"invalid unbounded variable-offset{extra} stack R{regno}", 13)
        lo = v.smin + off
        hi = v.smax + off + size
    if lo < -512 or lo > -1 or hi > 0:
        if v.is_const():
            raise Reject(f"invalid{extra} stack R{regno} off={off} size={size}", 13)
        raise Reject(
            f"invalid variable-offset{extra} stack R{regno} var_off={v.var_off} off={off} size={size}", 13
        )
    frame = chk.cur.frames[reg.frameno]
    if size:
        frame.grow(-lo)
        chk.note_stack(frame, -lo)
    if meta is not None and v.is_const():
        meta.raw_regno, meta.raw_size = regno, size
        return
    for i in range(lo, hi):
        slot = -i - 1
        spi = slot // 8
        st = frame.stack[spi]
        chk._scratch_slot(spi)
        t = st.types[slot % 8].value
        if t == "m":
            continue
        if t in ("0", "?") and (t == "0" or chk.privileged):
            if write:
                st.types[slot % 8] = Slot.MISC
            continue
        if st.is_spill() and (st.spilled.type is RegType.SCALAR or chk.privileged):
            if write:
                st.spilled.mark_unknown()
                st.types = [Slot.MISC if x is Slot.SPILL else x for x in st.types]
            continue
        raise Reject(f"invalid read from stack R{regno} off {lo}+{i - lo} size {size}", 13)
