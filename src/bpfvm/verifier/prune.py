"""State equivalence for pruning: the kernel's ``regsafe``, ``stacksafe`` and ``check_ids``.

An explored state ``old`` that was proven safe at an instruction covers the current state
``cur`` there if every live register and stack slot of ``cur`` is within what ``old`` allowed
(Linux 6.18 ``verifier.c``).  bpfvm marks every scalar precise, so scalars are always compared
by range (the kernel skips the imprecise ones); ``exact`` asks for identical states, which the
infinite-loop check uses.
"""

from __future__ import annotations

from ..analysis import Scalar
from .state import Frame, Reg, RegType, Slot, StackSlot

__all__ = ["check_ids", "reg_exact", "regsafe", "stacksafe"]


def check_ids(old_id: int, cur_id: int, idmap: dict[int, int]) -> bool:
    """``check_ids``: ids must map one to one between the two states (0 only to 0)."""
    if not old_id or not cur_id:
        return old_id == cur_id
    seen = idmap.get(old_id)
    if seen is None:
        if cur_id in idmap.values():
            return False
        idmap[old_id] = cur_id
        return True
    return seen == cur_id


def _check_scalar_ids(old_id: int, cur_id: int, idmap: dict[int, int]) -> bool:
    """``check_scalar_ids``: like :func:`check_ids`, an unlinked old scalar matches anything."""
    if not old_id:
        return True
    return check_ids(old_id, cur_id or -(len(idmap) + 1), idmap)


def _range_within(old: Scalar, cur: Scalar) -> bool:
    return (
        old.umin <= cur.umin
        and cur.umax <= old.umax
        and old.smin <= cur.smin
        and cur.smax <= old.smax
        and old.u32_min <= cur.u32_min
        and cur.u32_max <= old.u32_max
        and old.s32_min <= cur.s32_min
        and cur.s32_max <= old.s32_max
    )


def reg_exact(old: Reg, cur: Reg) -> bool:
    """Identical registers (``memcmp`` of the kernel's state up to the liveness fields)."""
    return (
        old.type is cur.type
        and old.off == cur.off
        and old.id == cur.id
        and old.val == cur.val
        and old.maybe_null == cur.maybe_null
        and old.map is cur.map
        and old.range == cur.range
        and old.frameno == cur.frameno
    )


def _regs_exact(old: Reg, cur: Reg, idmap: dict[int, int]) -> bool:
    return (
        old.type is cur.type
        and old.off == cur.off
        and old.val == cur.val
        and old.maybe_null == cur.maybe_null
        and old.map is cur.map
        and old.range == cur.range
        and check_ids(old.id, cur.id, idmap)
    )


def regsafe(old: Reg, cur: Reg, idmap: dict[int, int], exact: bool) -> bool:
    """``regsafe``: may ``cur`` stand where ``old`` was proven safe?"""
    if exact:
        return _regs_exact(old, cur, idmap)
    if old.type is RegType.NOT_INIT:
        return True
    if old.type is not cur.type or old.maybe_null != cur.maybe_null:
        return False
    if old.type is RegType.SCALAR:
        return (
            _check_scalar_ids(old.id, cur.id, idmap)
            and _range_within(old.val, cur.val)
            and old.val.var_off.includes(cur.val.var_off)
        )
    if old.type in (RegType.PTR_TO_MAP_VALUE, RegType.PTR_TO_MAP_KEY, RegType.PTR_TO_MEM):
        return (
            old.off == cur.off
            and old.map is cur.map
            and _range_within(old.val, cur.val)
            and old.val.var_off.includes(cur.val.var_off)
            and check_ids(old.id, cur.id, idmap)
        )
    if old.type in (RegType.PTR_TO_PACKET, RegType.PTR_TO_PACKET_META):
        if old.range > cur.range or old.off != cur.off or not check_ids(old.id, cur.id, idmap):
            return False
        return _range_within(old.val, cur.val) and old.val.var_off.includes(cur.val.var_off)
    if old.type is RegType.PTR_TO_STACK:
        return _regs_exact(old, cur, idmap) and old.frameno == cur.frameno
    return _regs_exact(old, cur, idmap)


def _scalar_for_stack(slot: StackSlot) -> Reg | None:
    if slot.is_spilled_scalar64():
        return slot.spilled
    if all(t is Slot.MISC for t in slot.types):
        return Reg.scalar()
    return None


def stacksafe(old: Frame, cur: Frame, idmap: dict[int, int], exact: bool, privileged: bool = True) -> bool:
    """``stacksafe``: every byte ``old`` relied on is at least as good in ``cur``."""
    for i in range(old.allocated_stack):
        spi, b = divmod(i, 8)
        ot = old.stack[spi].types[b]
        if exact and (i >= cur.allocated_stack or ot is not cur.stack[spi].types[b]):
            return False
        if ot is Slot.INVALID:
            continue
        if privileged and ot is Slot.MISC:
            continue
        if i >= cur.allocated_stack:
            return False
        if b == 0:
            a, c = _scalar_for_stack(old.stack[spi]), _scalar_for_stack(cur.stack[spi])
            if a is not None and c is not None:
                if not regsafe(a, c, idmap, exact):
                    return False
                continue
        ct = cur.stack[spi].types[b]
        if ot is Slot.MISC and ct is Slot.ZERO:
            continue
        if ot is not ct:
            return False
        if (
            b == 7
            and ot is Slot.SPILL
            and not regsafe(old.stack[spi].spilled, cur.stack[spi].spilled, idmap, exact)
        ):
            return False
    return True
