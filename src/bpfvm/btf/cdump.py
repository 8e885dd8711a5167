"""The C dump of BTF: exactly what ``bpftool btf dump file FILE format c`` prints (bpftool 7.1).

A ``vmlinux.h``-style header: every type as compilable C, in an order that satisfies C's rules
(a struct embedded by value is defined before its container; one reached only through a pointer
needs just a forward declaration).  It follows the algorithm of libbpf's ``btf_dump.c``
(libbpf 1.1, which bpftool 7.1 links): a topological ordering pass that classifies each link as
strong (must be defined first) or weak (a forward declaration will do), then an emitting pass
that writes definitions and forward declarations, with libbpf's rules for inline anonymous
types, bitfield and tail padding (``long: 0;`` markers), ``__attribute__((packed))`` detection,
``___N`` suffixes for duplicate names, and C declarator syntax for pointers, arrays and
function prototypes.  It reads the flat tables of :class:`~bpfvm.btf.Btf` (base types
included, for split BTF) rather than the typed model.
"""

from __future__ import annotations

import sys

from ..errors import BtfError
from .reader import Btf

__all__ = ["dump_c"]

_HEADER = ("#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n"
           "#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n"
           "#endif\n\n")
_FOOTER = ("#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n"
           "#endif /* __VMLINUX_H__ */\n")
_NOT, _DOING, _DONE = 0, 1, 2
_PTR_SIZE = 8
_PADS = (("long", _PTR_SIZE * 8), ("int", 32), ("short", 16), ("char", 8))
_MISSING_BASE_TYPES = {"__Poly8_t": "unsigned char", "__Poly16_t": "unsigned short",
                       "__Poly64_t": "unsigned long long", "__Poly128_t": "unsigned __int128"}
# Kinds as plain ints: comparisons against IntEnum members cost a method call each.
(_INT, _PTR, _ARRAY, _STRUCT, _UNION, _ENUM, _FWD, _TYPEDEF, _VOLATILE, _CONST, _RESTRICT, _FUNC,
 _FUNC_PROTO, _VAR, _DATASEC, _FLOAT, _DECL_TAG, _TYPE_TAG, _ENUM64) = range(1, 20)
_MODS = frozenset({_VOLATILE, _CONST, _RESTRICT, _TYPE_TAG})
#: Kinds whose emit() only passes on to the type they refer to.
_PASS_ON = frozenset({_PTR, *_MODS})
_CHAIN_NEXT = frozenset({_PTR, _VOLATILE, _CONST, _RESTRICT, _FUNC_PROTO, _TYPE_TAG})
_COMPOSITE = frozenset({_STRUCT, _UNION})
_ENUMS = frozenset({_ENUM, _ENUM64})
_SIZED = frozenset({_INT, _STRUCT, _UNION, _ENUM, _ENUM64, _DATASEC, _FLOAT})
_SIZE_THROUGH = frozenset({_TYPEDEF, _VOLATILE, _CONST, _RESTRICT, _TYPE_TAG, _VAR})
#: Kinds that order() marks done without queueing anything.
_UNORDERED = frozenset({_INT, _FLOAT, _FUNC, _VAR, _DATASEC, _DECL_TAG})
_ANON_INLINE = frozenset({_STRUCT, _UNION, _ENUM, _ENUM64})
_REFERS = frozenset({_VOLATILE, _CONST, _RESTRICT, _PTR, _TYPEDEF, _FUNC, _VAR, _DECL_TAG, _TYPE_TAG})


def dump_c(btf: Btf) -> str:
    """The C dump of every type of ``btf`` (base types too), with bpftool's header and footer.

    Raises :class:`~bpfvm.errors.BtfError` for a type cycle C cannot express.
    """
    dumper = _CDump(btf)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 50_000))
    try:
        order_state, kinds, dump_type = dumper.order_state, dumper.kinds, dumper.dump_type
        for tid in range(1, len(btf) + 1):
            if order_state[tid] != _DONE:
                if kinds[tid] in _UNORDERED:
                    order_state[tid] = _DONE  # what order() does for them: nothing to emit
                else:
                    dump_type(tid)
    finally:
        sys.setrecursionlimit(limit)
    return _HEADER + "".join(dumper.out) + _FOOTER


def _pfx(lvl: int) -> str:
    return "\t" * min(lvl, 13)


class _CDump:
    """The state of one C dump (libbpf's ``struct btf_dump``): per-type order/emit state, names."""

    def __init__(self, btf: Btf) -> None:
        self.btf = btf
        self._flatten(btf)
        n = len(self.kinds)
        self.order_state = [_NOT] * n
        self.emit_state = [_NOT] * n
        self.fwd_emitted = [False] * n
        self.names: list[str | None] = [None] * n
        self.type_names: dict[str, int] = {}
        self.ident_names: dict[str, int] = {}
        self.align_cache = [-1] * n
        self.out: list[str] = []
        self.queue: list[int] = []
        self.order_state[0] = _DONE
        self.emit_state[0] = _DONE
        self.referenced = self._mark_referenced()

    def _flatten(self, btf: Btf) -> None:
        """Per-id tables over the base chain: kind, vlen, kflag, name offset, size/type, and
        ``at[id]``, the index in :attr:`w` (all the chain's words) of the type's extra data."""
        chain = []
        b: Btf | None = btf
        while b is not None:
            chain.append(b)
            b = b.base
        infos: list[int] = [0]
        self.name_offs: list[int] = [0]
        self.sts: list[int] = [0]
        self.at: list[int] = [0]
        self.w: list[int] = []
        for part in reversed(chain):
            shift = len(self.w) + 3
            infos += part._infos
            self.name_offs += part._name_offs
            self.sts += part._sts
            self.at += [s + shift for s in part._starts]
            self.w += part._words
        self.kinds = [i >> 24 & 0x1F for i in infos]
        self.vlens = [i & 0xFFFF for i in infos]
        self.kflags = [i >> 31 == 1 for i in infos]
        self.kinds[0] = 0
        n = len(infos)
        self.size_cache = [-1] * n
        #: Per type id, the declarator text of a pointer/modifier chain ending in a named type and
        #: whether it ends in ``*`` (see :meth:`emit_type_decl`).
        self.decl_cache: list[tuple[str, bool] | None] = [None] * n
        #: Per type id, the text before and after the name of any other declarator that defines
        #: no type inline (see :meth:`_emit_holed_decl`); ``defs`` counts inline definitions.
        self.hole_cache: list[tuple[str, str] | None] = [None] * n
        self.defs = 0
        #: Strings by offset, decoded when first needed (a dump uses well under half of vmlinux's).
        self.string_cache: dict[int, str] = {0: ""}
        strs = btf.strs
        self._ascii = strs.decode("ascii") if btf.base is None and strs.isascii() else ""

    def _mark_referenced(self) -> list[bool]:
        ref = [False] * len(self.kinds)
        w, sts, vlens, ats = self.w, self.sts, self.vlens, self.at
        for tid, kind in enumerate(self.kinds):
            if kind in _REFERS:
                ref[sts[tid]] = True
            elif kind == _ARRAY:
                at = ats[tid]
                ref[w[at]] = ref[w[at + 1]] = True
            elif kind in _COMPOSITE:
                at = ats[tid]
                for t in w[at + 1:at + 3 * vlens[tid]:3]:
                    ref[t] = True
            elif kind == _DATASEC:
                at = ats[tid]
                for t in w[at:at + 3 * vlens[tid]:3]:
                    ref[t] = True
            elif kind == _FUNC_PROTO:
                at = ats[tid]
                for t in w[at + 1:at + 2 * vlens[tid]:2]:
                    ref[t] = True
        return ref

    # -- small accessors ----------------------------------------------------------------------

    def string(self, off: int) -> str:
        """The string at ``off`` (split-aware); raises BtfError outside the string table."""
        found = self.string_cache.get(off)
        if found is None:
            text = self._ascii
            if off < len(text):  # ASCII strings (all of vmlinux's): a character offset is a byte offset
                found = text[off:text.index("\0", off)]
            else:
                found = self.btf.string(off)
            self.string_cache[off] = found
        return found

    def name(self, tid: int) -> str:
        return self.string(self.name_offs[tid])

    def params(self, tid: int) -> list[tuple[int, int]]:
        w, at = self.w, self.at[tid]
        end = at + 2 * self.vlens[tid]
        return list(zip(w[at:end:2], w[at + 1:end:2]))

    def array(self, tid: int) -> tuple[int, int, int]:
        w, at = self.w, self.at[tid]
        return w[at], w[at + 1], w[at + 2]

    def align_of(self, tid: int) -> int:
        """libbpf's ``btf__align_of`` (0 where undefined), a packed struct's being 1."""
        found = self.align_cache[tid]
        if found >= 0:
            return found
        kind = self.kinds[tid]
        if kind in (_INT, _ENUM, _ENUM64, _FLOAT):
            result = min(_PTR_SIZE, self.sts[tid])
        elif kind == _PTR:
            result = _PTR_SIZE
        elif kind in (_TYPEDEF, _VOLATILE, _CONST, _RESTRICT, _TYPE_TAG):
            result = self.align_of(self.sts[tid])
        elif kind == _ARRAY:
            result = self.align_of(self.array(tid)[0])
        elif kind in _COMPOSITE:
            result = self._composite_align(tid)
        else:
            result = 0
        self.align_cache[tid] = result
        return result

    def _member_slices(self, tid: int) -> tuple[list[int], list[int], list[int]]:
        """The name offsets, types and raw offset words of a struct/union's members."""
        w, at = self.w, self.at[tid]
        end = at + 3 * self.vlens[tid]
        return w[at:end:3], w[at + 1:end:3], w[at + 2:end:3]

    def _composite_align(self, tid: int) -> int:
        best = 1
        cache, align_of, kflag = self.align_cache, self.align_of, self.kflags[tid]
        _, types, offs = self._member_slices(tid)
        for mtype, off in zip(types, offs):
            bits = 0
            if kflag:
                bits, off = off >> 24, off & 0xFFFFFF
            align = cache[mtype]
            if align < 0:
                align = align_of(mtype)
            if align <= 0:
                return 0
            if not bits and off % (8 * align):
                return 1
            if align > best:
                best = align
        return 1 if self.sts[tid] % best else best

    def resolve_size(self, tid: int) -> int:
        """libbpf's ``btf__resolve_size``, 0 where it fails."""
        found = self.size_cache[tid]
        if found < 0:
            found = self.size_cache[tid] = self._size(tid, 0)
        return found

    def _size(self, tid: int, depth: int) -> int:
        kind = self.kinds[tid]
        if kind in _SIZED:
            return self.sts[tid]
        if kind == _PTR:
            return _PTR_SIZE
        if depth > 32:
            return 0
        if kind in _SIZE_THROUGH:
            return self._size(self.sts[tid], depth + 1)
        if kind == _ARRAY:
            elem, _, nelems = self.array(tid)
            return nelems * self._size(elem, depth + 1)
        return 0

    def is_packed(self, tid: int) -> bool:
        best = 1
        cache, align_of, kflag = self.align_cache, self.align_of, self.kflags[tid]
        _, types, offs = self._member_slices(tid)
        for mtype, off in zip(types, offs):
            bits = 0
            if kflag:
                bits, off = off >> 24, off & 0xFFFFFF
            align = cache[mtype]
            if align < 0:
                align = align_of(mtype)
            if align and not bits and off % (8 * align):
                return True
            if align > best:
                best = align
        return bool(self.sts[tid] % best)

    # -- names --------------------------------------------------------------------------------

    def _dups(self, table: dict[str, int], name: str) -> int:
        count = table.get(name, 0) + 1
        table[name] = count
        return count

    def _resolve_name(self, tid: int, table: dict[str, int]) -> str:
        if not self.name_offs[tid]:
            return ""
        found = self.names[tid]
        if found is not None:
            return found
        name = self.name(tid)
        kind = self.kinds[tid]
        if kind == _FWD or (kind == _ENUM and self.vlens[tid] == 0):
            self.names[tid] = name
            return name
        count = self._dups(table, name)
        result = f"{name}___{count}" if count > 1 else name
        self.names[tid] = result
        return result

    def type_name(self, tid: int) -> str:
        return self._resolve_name(tid, self.type_names)

    def ident_name(self, tid: int) -> str:
        return self._resolve_name(tid, self.ident_names)

    # -- ordering -----------------------------------------------------------------------------

    def dump_type(self, tid: int) -> None:
        if self.order_state[tid] == _DONE:
            return  # ordered before: nothing new to queue (libbpf returns at once as well)
        if self.kinds[tid] in _UNORDERED:
            self.order_state[tid] = _DONE  # what order() does for them: nothing to emit
            return
        self.queue = []
        self.order(tid, False)
        for queued in self.queue:
            self.emit(queued, 0)

    def order(self, tid: int, through_ptr: bool) -> int:
        """1 for a strong link (define first), 0 for a weak one; raises BtfError on a cycle."""
        state = self.order_state[tid]
        if state == _DONE:
            return 1
        kind = self.kinds[tid]
        if state == _DOING:
            if kind in _COMPOSITE and through_ptr and self.name_offs[tid]:
                return 0
            raise BtfError("unsatisfiable type cycle", tid)
        if kind in (_INT, _FLOAT):
            self.order_state[tid] = _DONE
            return 0
        if kind == _PTR:
            result = self.order(self.sts[tid], True)
            self.order_state[tid] = _DONE
            return result
        if kind == _ARRAY:
            return self.order(self.array(tid)[0], False)
        if kind in _COMPOSITE:
            if through_ptr and self.name_offs[tid]:
                return 0
            state_of, kinds, sts, name_offs = self.order_state, self.kinds, self.sts, self.name_offs
            state_of[tid] = _DOING
            order = self.order
            at = self.at[tid]
            for mtype in self.w[at + 1:at + 3 * self.vlens[tid]:3]:
                if state_of[mtype] == _DONE:
                    continue
                mkind = kinds[mtype]
                if mkind == _INT or mkind == _FLOAT:
                    state_of[mtype] = _DONE
                elif mkind == _PTR:
                    # A pointer to a named struct/union is a weak link: order() would return 0
                    # for the target without touching it and mark the pointer done.
                    target = sts[mtype]
                    if kinds[target] in _COMPOSITE and name_offs[target] and state_of[target] != _DONE:
                        state_of[mtype] = _DONE
                    else:
                        order(mtype, False)
                else:
                    order(mtype, False)
            if self.name_offs[tid]:
                self.queue.append(tid)
            self.order_state[tid] = _DONE
            return 1
        if kind in (_ENUM, _ENUM64, _FWD):
            if self.name_offs[tid] or not self.referenced[tid]:
                self.queue.append(tid)
            self.order_state[tid] = _DONE
            return 1
        if kind == _TYPEDEF:
            strong = self.order(self.sts[tid], through_ptr)
            if through_ptr and not strong:
                return 0
            self.queue.append(tid)
            self.order_state[tid] = _DONE
            return 1
        if kind in _MODS:
            return self.order(self.sts[tid], through_ptr)
        if kind == _FUNC_PROTO:
            strong = self.order(self.sts[tid], through_ptr) > 0
            state_of, kinds, sts, name_offs = self.order_state, self.kinds, self.sts, self.name_offs
            w, at = self.w, self.at[tid]
            for ptype in w[at + 1:at + 2 * self.vlens[tid]:2]:
                if state_of[ptype] == _DONE:
                    strong = True
                    continue
                pkind = kinds[ptype]
                if pkind == _INT or pkind == _FLOAT:
                    state_of[ptype] = _DONE  # order() would return 0
                elif pkind == _PTR and kinds[sts[ptype]] in _COMPOSITE and name_offs[sts[ptype]]:
                    # order() of a pointer to a named struct/union: 1 if the target is done
                    # (the pointer is marked done either way).
                    if state_of[sts[ptype]] == _DONE:
                        strong = True
                    state_of[ptype] = _DONE
                elif self.order(ptype, through_ptr) > 0:
                    strong = True
            return int(strong)
        self.order_state[tid] = _DONE  # FUNC, VAR, DATASEC, DECL_TAG
        return 0

    # -- emitting -----------------------------------------------------------------------------

    def is_blacklisted(self, tid: int) -> bool:
        return bool(self.name_offs[tid]) and self.name(tid) == "__builtin_va_list"

    def emit(self, tid: int, cont_id: int) -> None:
        state = self.emit_state[tid]
        if state == _DONE:
            return
        kind = self.kinds[tid]
        out = self.out
        if state == _DOING:
            self._emit_while_emitting(tid, cont_id, kind)
            return
        if kind == _INT:
            alias = _MISSING_BASE_TYPES.get(self.type_name(tid))
            if alias is not None:
                out.append(f"typedef {alias} {self.type_name(tid)};\n\n")
            self.emit_state[tid] = _DONE
        elif kind in _ENUMS:
            if cont_id == 0:
                self.emit_enum_def(tid, 0)
                out.append(";\n\n")
            self.emit_state[tid] = _DONE
        elif kind in (_PTR, *_MODS):
            self.emit(self.sts[tid], cont_id)
        elif kind == _ARRAY:
            self.emit(self.array(tid)[0], cont_id)
        elif kind == _FWD:
            self.emit_fwd_def(tid)
            out.append(";\n\n")
            self.emit_state[tid] = _DONE
        elif kind == _TYPEDEF:
            self.emit_state[tid] = _DOING
            self.emit(self.sts[tid], tid)
            if not self.fwd_emitted[tid] and not self.is_blacklisted(tid):
                self.emit_typedef_def(tid, 0)
                out.append(";\n\n")
            self.emit_state[tid] = _DONE
        elif kind in _COMPOSITE:
            self._emit_composite(tid, cont_id)
        elif kind == _FUNC_PROTO:
            self.emit(self.sts[tid], cont_id)
            at = self.at[tid]
            self._emit_all(self.w[at + 1:at + 2 * self.vlens[tid]:2], cont_id)

    def _emit_all(self, tids: list[int], cont_id: int) -> None:
        """``emit(tid, cont_id)`` for each of ``tids``, skipping those where it would do nothing.

        ``emit`` of a pointer or modifier only passes on to its target; at the end of the chain,
        a type already emitted, or a named struct/union already forward-declared (reached from
        inside a container), needs nothing more.  Deciding that here saves a recursive call for
        most of vmlinux's members and parameters.
        """
        kinds, sts, emitted, fwd, name_offs, emit = (self.kinds, self.sts, self.emit_state, self.fwd_emitted,
                                                    self.name_offs, self.emit)
        for tid in tids:
            end = tid
            while kinds[end] in _PASS_ON:
                end = sts[end]
            if emitted[end] == _DONE or (fwd[end] and cont_id and kinds[end] in _COMPOSITE
                                         and name_offs[end]):
                continue
            emit(tid, cont_id)

    def _emit_while_emitting(self, tid: int, cont_id: int, kind: int) -> None:
        if self.fwd_emitted[tid]:
            return
        if kind in _COMPOSITE:
            if tid == cont_id or not self.name_offs[tid]:
                return
            self.emit_struct_fwd(tid)
            self.out.append(";\n\n")
            self.fwd_emitted[tid] = True
        elif kind == _TYPEDEF:
            if not self.is_blacklisted(tid):
                self.emit_typedef_def(tid, 0)
                self.out.append(";\n\n")
            self.fwd_emitted[tid] = True

    def _emit_composite(self, tid: int, cont_id: int) -> None:
        self.emit_state[tid] = _DOING
        top = cont_id == 0
        if top or not self.name_offs[tid]:
            at = self.at[tid]
            inner = cont_id if not self.name_offs[tid] else tid
            self._emit_all(self.w[at + 1:at + 3 * self.vlens[tid]:3], inner)
        elif not self.fwd_emitted[tid] and tid != cont_id:
            self.emit_struct_fwd(tid)
            self.out.append(";\n\n")
            self.fwd_emitted[tid] = True
        if top:
            self.emit_struct_def(tid, 0)
            self.out.append(";\n\n")
            self.emit_state[tid] = _DONE
        else:
            self.emit_state[tid] = _NOT

    def emit_bit_padding(self, cur: int, nxt: int, next_align: int, in_bitfield: bool, lvl: int) -> None:
        if cur >= nxt:
            return
        out = self.out
        pad_type, pad_bits = _PADS[-1]
        new_off = -(-cur // pad_bits) * pad_bits
        for name, size in _PADS:  # the widest pad type whose next boundary is within the gap
            new_off = -(-cur // size) * size
            if new_off <= nxt:
                pad_type, pad_bits = name, size
                break
        if cur < new_off <= nxt:
            if in_bitfield or (new_off == nxt and -(-cur // (next_align * 8)) * next_align * 8 != new_off) \
                    or (new_off != nxt and nxt - new_off <= new_off - cur):
                out.append(f"\n{_pfx(lvl)}{pad_type}: {new_off - cur if in_bitfield else 0};")
            cur = new_off
        while cur != nxt:
            bits = min(nxt - cur, pad_bits)
            if bits == pad_bits:
                out.append(f"\n{_pfx(lvl)}{pad_type}: {pad_bits};")
                cur += bits
                continue
            for name, size in reversed(_PADS):
                if size >= bits:
                    out.append(f"\n{_pfx(lvl)}{name}: {bits};")
                    cur += bits
                    break

    def emit_struct_fwd(self, tid: int) -> None:
        word = "struct" if self.kinds[tid] == _STRUCT else "union"
        self.out.append(f"{word}{' ' if self.name_offs[tid] else ''}{self.type_name(tid)}")

    def emit_struct_def(self, tid: int, lvl: int) -> None:
        self.defs += 1
        out = self.out
        is_struct = self.kinds[tid] == _STRUCT
        align = self.align_of(tid)
        packed = is_struct and self.is_packed(tid)
        out.append(f"{'struct' if is_struct else 'union'}{' ' if self.name_offs[tid] else ''}"
                   f"{self.type_name(tid)} {{")
        off, prev_bitfield = 0, False
        name_offs, types, offs = self._member_slices(tid)
        kflag = self.kflags[tid]
        indent = "\n" + _pfx(lvl + 1)
        decls, strings, string = self.decl_cache, self.string_cache, self.string
        sizes, resolve_size, append = self.size_cache, self.resolve_size, out.append
        for name_off, mtype, m_off in zip(name_offs, types, offs):
            m_sz = 0
            if kflag:
                m_sz, m_off = m_off >> 24, m_off & 0xFFFFFF
            if off < m_off:
                m_align = 1 if packed else self.align_of(mtype)
                self.emit_bit_padding(off, m_off, m_align, prev_bitfield and m_sz != 0, lvl + 1)
            fname = strings.get(name_off)
            if fname is None:
                fname = string(name_off)
            cached = decls[mtype]
            if cached is None:
                append(indent)
                self.emit_type_decl(mtype, fname, lvl + 1)
            elif fname and not cached[1]:
                append(f"{indent}{cached[0]} {fname}")
            else:
                append(f"{indent}{cached[0]}{fname}")
            if m_sz:
                append(f": {m_sz};")
                off, prev_bitfield = m_off + m_sz, True
            else:
                size = sizes[mtype]
                if size < 0:
                    size = resolve_size(mtype)
                off, prev_bitfield = m_off + max(0, size) * 8, False
                append(";")
        if is_struct:
            self.emit_bit_padding(off, self.sts[tid] * 8, align, False, lvl + 1)
        if types or self.sts[tid]:
            out.append(f"\n{_pfx(lvl)}}}")
        else:
            out.append("}")
        if packed:
            out.append(" __attribute__((packed))")

    def emit_enum_def(self, tid: int, lvl: int) -> None:
        self.defs += 1
        out = self.out
        out.append(f"enum{' ' if self.name_offs[tid] else ''}{self.type_name(tid)}")
        vlen = self.vlens[tid]
        if not vlen:
            return
        out.append(" {")
        w, at = self.w, self.at[tid]
        signed = self.kflags[tid]
        pfx = _pfx(lvl + 1)
        if self.kinds[tid] == _ENUM:
            for i in range(at, at + 2 * vlen, 2):
                value = w[i + 1] - (1 << 32) if signed and w[i + 1] >> 31 else w[i + 1]
                out.append(f"\n{pfx}{self._enumerator(w[i])} = {value},")
        else:
            for i in range(at, at + 3 * vlen, 3):
                value = w[i + 2] << 32 | w[i + 1]
                if signed:
                    value = value - (1 << 64) if value >> 63 else value
                out.append(f"\n{pfx}{self._enumerator(w[i])} = {value}{'LL' if signed else 'ULL'},")
        out.append(f"\n{_pfx(lvl)}}}")

    def _enumerator(self, name_off: int) -> str:
        name = self.string(name_off)
        count = self._dups(self.ident_names, name)
        return f"{name}___{count}" if count > 1 else name

    def emit_fwd_def(self, tid: int) -> None:
        self.out.append(f"{'union' if self.kflags[tid] else 'struct'} {self.type_name(tid)}")

    def emit_typedef_def(self, tid: int, lvl: int) -> None:
        name = self.ident_name(tid)
        if self.sts[tid] == 0 and name == "__gnuc_va_list":
            self.out.append("typedef __builtin_va_list __gnuc_va_list")
            return
        self.out.append("typedef ")
        self.emit_type_decl(self.sts[tid], name, lvl)

    # -- declarations -------------------------------------------------------------------------

    def emit_type_decl(self, tid: int, fname: str, lvl: int) -> None:
        """Emit ``<type> fname`` in C declarator syntax.

        A chain of pointers and modifiers ending in a named type (the common case) prints the
        same text every time once its names are resolved, so it is cached per type id.
        """
        cached = self.decl_cache[tid]
        if cached is not None:
            text, last_was_ptr = cached
            self.out.append(text)
            self._emit_name(fname, last_was_ptr)
            return
        stack = []
        simple = True
        kinds = self.kinds
        while True:
            stack.append(tid)
            if tid == 0:
                break
            kind = kinds[tid]
            if kind in _CHAIN_NEXT:
                simple = simple and kind != _FUNC_PROTO
                tid = self.sts[tid]
            elif kind == _ARRAY:
                simple = False
                tid = self.array(tid)[0]
            else:
                simple = simple and (kind not in _ANON_INLINE or self.name_offs[tid] != 0)
                break  # terminal kinds, and anything unexpected
        if not simple:
            self._emit_holed_decl(stack, fname, lvl)
            return
        outer = stack[0]
        saved, self.out = self.out, []
        self.emit_type_chain(stack, "", lvl)
        text = "".join(self.out)
        self.out = saved
        last_was_ptr = outer != 0 and kinds[outer] == _PTR
        self.decl_cache[outer] = (text, last_was_ptr)
        saved.append(text)
        self._emit_name(fname, last_was_ptr)

    def _emit_holed_decl(self, stack: list[int], fname: str, lvl: int) -> None:
        """Emit an array or function-pointer declarator, cached per type id as the text before
        and after the name when it defines nothing inline (so does not depend on ``lvl``).

        The name's place is found by emitting NUL there, which no BTF string can contain.
        """
        outer = stack[0]
        if not fname:
            self.emit_type_chain(stack, fname, lvl)
            return
        cached = self.hole_cache[outer]
        if cached is not None:
            self.out.append(f"{cached[0]}{fname}{cached[1]}")
            return
        defs = self.defs
        saved, self.out = self.out, []
        self.emit_type_chain(stack, "\0", lvl)
        text = "".join(self.out)
        self.out = saved
        before, _, after = text.partition("\0")
        if self.defs == defs:
            self.hole_cache[outer] = (before, after)
        saved.append(f"{before}{fname}{after}")

    def _emit_mods(self, decls: list[int]) -> None:
        while decls:
            kind = self.kinds[decls[-1]]
            if kind == _VOLATILE:
                self.out.append("volatile ")
            elif kind == _CONST:
                self.out.append("const ")
            elif kind == _RESTRICT:
                self.out.append("restrict ")
            else:
                return
            decls.pop()

    def _drop_mods(self, decls: list[int]) -> None:
        while decls and self.kinds[decls[-1]] in _MODS:
            decls.pop()

    def _emit_name(self, name: str, last_was_ptr: bool) -> None:
        self.out.append(f" {name}" if name and not last_was_ptr else name)

    def emit_type_chain(self, decls: list[int], fname: str, lvl: int) -> None:
        out = self.out
        last_was_ptr = True
        while decls:
            tid = decls.pop()
            if tid == 0:
                self._emit_mods(decls)
                out.append("void")
                last_was_ptr = False
                continue
            kind = self.kinds[tid]
            if kind in (_INT, _FLOAT):
                self._emit_mods(decls)
                out.append(self.name(tid))
            elif kind in _COMPOSITE:
                self._emit_mods(decls)
                if not self.name_offs[tid]:
                    self.emit_struct_def(tid, lvl)
                else:
                    self.emit_struct_fwd(tid)
            elif kind in _ENUMS:
                self._emit_mods(decls)
                if not self.name_offs[tid]:
                    self.emit_enum_def(tid, lvl)
                else:
                    out.append(f"enum {self.type_name(tid)}")
            elif kind == _FWD:
                self._emit_mods(decls)
                self.emit_fwd_def(tid)
            elif kind == _TYPEDEF:
                self._emit_mods(decls)
                out.append(self.ident_name(tid))
            elif kind == _PTR:
                out.append("*" if last_was_ptr else " *")
            elif kind == _VOLATILE:
                out.append(" volatile")
            elif kind == _CONST:
                out.append(" const")
            elif kind == _RESTRICT:
                out.append(" restrict")
            elif kind == _TYPE_TAG:
                self._emit_mods(decls)
                out.append(f' __attribute__((btf_type_tag("{self.name(tid)}")))')
            elif kind == _ARRAY:
                self._emit_array(tid, decls, fname, lvl, last_was_ptr)
                return
            elif kind == _FUNC_PROTO:
                self._emit_proto(tid, decls, fname, lvl, last_was_ptr)
                return
            else:
                return
            last_was_ptr = kind == _PTR
        self._emit_name(fname, last_was_ptr)

    def _emit_array(self, tid: int, decls: list[int], fname: str, lvl: int, last_was_ptr: bool) -> None:
        nelems = self.array(tid)[2]
        self._drop_mods(decls)
        if not decls:
            self._emit_name(fname, last_was_ptr)
            self.out.append(f"[{nelems}]")
            return
        multidim = self.kinds[decls[-1]] == _ARRAY
        if fname and not last_was_ptr:
            self.out.append(" ")
        if not multidim:
            self.out.append("(")
        self.emit_type_chain(decls, fname, lvl)
        if not multidim:
            self.out.append(")")
        self.out.append(f"[{nelems}]")

    def _emit_proto(self, tid: int, decls: list[int], fname: str, lvl: int, last_was_ptr: bool) -> None:
        out = self.out
        self._drop_mods(decls)
        if decls:
            out.append(" (")
            self.emit_type_chain(decls, fname, lvl)
            out.append(")")
        else:
            self._emit_name(fname, last_was_ptr)
        out.append("(")
        params = self.params(tid)
        if not params or (len(params) == 1 and params[0][1] == 0):
            out.append("void)")
            return
        for i, (name_off, ptype) in enumerate(params):
            if i:
                out.append(", ")
            if i == len(params) - 1 and ptype == 0:
                out.append("...")
                break
            self.emit_type_decl(ptype, self.string(name_off), lvl)
        out.append(")")
