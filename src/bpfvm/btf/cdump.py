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
from .types import Kind

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
_MODS = frozenset({Kind.VOLATILE, Kind.CONST, Kind.RESTRICT, Kind.TYPE_TAG})
_CHAIN_NEXT = frozenset({Kind.PTR, Kind.VOLATILE, Kind.CONST, Kind.RESTRICT, Kind.FUNC_PROTO, Kind.TYPE_TAG})
_TERMINAL = frozenset({Kind.INT, Kind.ENUM, Kind.ENUM64, Kind.FWD, Kind.STRUCT, Kind.UNION, Kind.TYPEDEF,
                       Kind.FLOAT})


def dump_c(btf: Btf) -> str:
    """The C dump of every type of ``btf`` (base types too), with bpftool's header and footer.

    Raises :class:`~bpfvm.errors.BtfError` for a type cycle C cannot express.
    """
    dumper = _CDump(btf)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 50_000))
    try:
        for tid in range(1, len(btf) + 1):
            dumper.dump_type(tid)
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
        self.names: dict[int, str] = {}
        self.type_names: dict[str, int] = {}
        self.ident_names: dict[str, int] = {}
        self.align_cache: dict[int, int] = {}
        self.out: list[str] = []
        self.queue: list[int] = []
        self.order_state[0] = _DONE
        self.emit_state[0] = _DONE
        self.referenced = self._mark_referenced()

    def _flatten(self, btf: Btf) -> None:
        """Per-id tables over the base chain: kind, vlen, kflag, name offset, size/type, extra."""
        chain = []
        b: Btf | None = btf
        while b is not None:
            chain.append(b)
            b = b.base
        self.kinds, self.vlens, self.kflags, self.name_offs, self.sts = [0], [0], [False], [0], [0]
        self.extra: list[tuple[list[int], int]] = [([], 0)]
        for part in reversed(chain):
            w = part._words
            for start in part._starts:
                info = w[start + 1]
                self.kinds.append(info >> 24 & 0x1F)
                self.vlens.append(info & 0xFFFF)
                self.kflags.append(bool(info >> 31))
                self.name_offs.append(w[start])
                self.sts.append(w[start + 2])
                self.extra.append((w, start + 3))

    def _mark_referenced(self) -> list[bool]:
        ref = [False] * len(self.kinds)
        for tid in range(1, len(self.kinds)):
            kind = self.kinds[tid]
            if kind in (Kind.VOLATILE, Kind.CONST, Kind.RESTRICT, Kind.PTR, Kind.TYPEDEF, Kind.FUNC,
                        Kind.VAR, Kind.DECL_TAG, Kind.TYPE_TAG):
                ref[self.sts[tid]] = True
            elif kind == Kind.ARRAY:
                w, at = self.extra[tid]
                ref[w[at]] = ref[w[at + 1]] = True
            elif kind in (Kind.STRUCT, Kind.UNION, Kind.DATASEC):
                w, at = self.extra[tid]
                step, off = (3, 1) if kind != Kind.DATASEC else (3, 0)
                for i in range(at + off, at + step * self.vlens[tid], step):
                    ref[w[i]] = True
            elif kind == Kind.FUNC_PROTO:
                w, at = self.extra[tid]
                for i in range(at + 1, at + 2 * self.vlens[tid], 2):
                    ref[w[i]] = True
        return ref

    # -- small accessors ----------------------------------------------------------------------

    def name(self, tid: int) -> str:
        return self.btf.string(self.name_offs[tid]) if self.name_offs[tid] else ""

    def members(self, tid: int) -> list[tuple[int, int, int, int]]:
        """(name_off, type, bit offset, bitfield size) of a struct/union's members."""
        w, at = self.extra[tid]
        kflag = self.kflags[tid]
        out = []
        for i in range(at, at + 3 * self.vlens[tid], 3):
            off = w[i + 2]
            out.append((w[i], w[i + 1], off & 0xFFFFFF, off >> 24) if kflag else (w[i], w[i + 1], off, 0))
        return out

    def params(self, tid: int) -> list[tuple[int, int]]:
        w, at = self.extra[tid]
        return [(w[i], w[i + 1]) for i in range(at, at + 2 * self.vlens[tid], 2)]

    def array(self, tid: int) -> tuple[int, int, int]:
        w, at = self.extra[tid]
        return w[at], w[at + 1], w[at + 2]

    def align_of(self, tid: int) -> int:
        """libbpf's ``btf__align_of`` (0 where undefined), a packed struct's being 1."""
        found = self.align_cache.get(tid)
        if found is not None:
            return found
        kind = self.kinds[tid]
        if kind in (Kind.INT, Kind.ENUM, Kind.ENUM64, Kind.FLOAT):
            result = min(_PTR_SIZE, self.sts[tid])
        elif kind == Kind.PTR:
            result = _PTR_SIZE
        elif kind in (Kind.TYPEDEF, Kind.VOLATILE, Kind.CONST, Kind.RESTRICT, Kind.TYPE_TAG):
            result = self.align_of(self.sts[tid])
        elif kind == Kind.ARRAY:
            result = self.align_of(self.array(tid)[0])
        elif kind in (Kind.STRUCT, Kind.UNION):
            result = self._composite_align(tid)
        else:
            result = 0
        self.align_cache[tid] = result
        return result

    def _composite_align(self, tid: int) -> int:
        best = 1
        for _, mtype, off, bits in self.members(tid):
            align = self.align_of(mtype)
            if align <= 0:
                return 0
            if not bits and off % (8 * align):
                return 1
            best = max(best, align)
        return 1 if self.sts[tid] % best else best

    def resolve_size(self, tid: int) -> int:
        try:
            return self.btf.size_of(tid)
        except BtfError:
            return 0

    def is_packed(self, tid: int) -> bool:
        best = 1
        for _, mtype, off, bits in self.members(tid):
            align = self.align_of(mtype)
            if align and not bits and off % (8 * align):
                return True
            best = max(best, align)
        return bool(self.sts[tid] % best)

    # -- names --------------------------------------------------------------------------------

    def _dups(self, table: dict[str, int], name: str) -> int:
        count = table.get(name, 0) + 1
        table[name] = count
        return count

    def _resolve_name(self, tid: int, table: dict[str, int]) -> str:
        if not self.name_offs[tid]:
            return ""
        found = self.names.get(tid)
        if found is not None:
            return found
        name = self.name(tid)
        kind = self.kinds[tid]
        if kind == Kind.FWD or (kind == Kind.ENUM and self.vlens[tid] == 0):
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
            if kind in (Kind.STRUCT, Kind.UNION) and through_ptr and self.name_offs[tid]:
                return 0
            raise BtfError("unsatisfiable type cycle", tid)
        if kind in (Kind.INT, Kind.FLOAT):
            self.order_state[tid] = _DONE
            return 0
        if kind == Kind.PTR:
            result = self.order(self.sts[tid], True)
            self.order_state[tid] = _DONE
            return result
        if kind == Kind.ARRAY:
            return self.order(self.array(tid)[0], False)
        if kind in (Kind.STRUCT, Kind.UNION):
            if through_ptr and self.name_offs[tid]:
                return 0
            self.order_state[tid] = _DOING
            for _, mtype, _, _ in self.members(tid):
                self.order(mtype, False)
            if self.name_offs[tid]:
                self.queue.append(tid)
            self.order_state[tid] = _DONE
            return 1
        if kind in (Kind.ENUM, Kind.ENUM64, Kind.FWD):
            if self.name_offs[tid] or not self.referenced[tid]:
                self.queue.append(tid)
            self.order_state[tid] = _DONE
            return 1
        if kind == Kind.TYPEDEF:
            strong = self.order(self.sts[tid], through_ptr)
            if through_ptr and not strong:
                return 0
            self.queue.append(tid)
            self.order_state[tid] = _DONE
            return 1
        if kind in _MODS:
            return self.order(self.sts[tid], through_ptr)
        if kind == Kind.FUNC_PROTO:
            strong = self.order(self.sts[tid], through_ptr) > 0
            for _, ptype in self.params(tid):
                if self.order(ptype, through_ptr) > 0:
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
        if kind == Kind.INT:
            alias = _MISSING_BASE_TYPES.get(self.type_name(tid))
            if alias is not None:
                out.append(f"typedef {alias} {self.type_name(tid)};\n\n")
            self.emit_state[tid] = _DONE
        elif kind in (Kind.ENUM, Kind.ENUM64):
            if cont_id == 0:
                self.emit_enum_def(tid, 0)
                out.append(";\n\n")
            self.emit_state[tid] = _DONE
        elif kind in (Kind.PTR, *_MODS):
            self.emit(self.sts[tid], cont_id)
        elif kind == Kind.ARRAY:
            self.emit(self.array(tid)[0], cont_id)
        elif kind == Kind.FWD:
            self.emit_fwd_def(tid)
            out.append(";\n\n")
            self.emit_state[tid] = _DONE
        elif kind == Kind.TYPEDEF:
            self.emit_state[tid] = _DOING
            self.emit(self.sts[tid], tid)
            if not self.fwd_emitted[tid] and not self.is_blacklisted(tid):
                self.emit_typedef_def(tid, 0)
                out.append(";\n\n")
            self.emit_state[tid] = _DONE
        elif kind in (Kind.STRUCT, Kind.UNION):
            self._emit_composite(tid, cont_id)
        elif kind == Kind.FUNC_PROTO:
            self.emit(self.sts[tid], cont_id)
            for _, ptype in self.params(tid):
                self.emit(ptype, cont_id)

    def _emit_while_emitting(self, tid: int, cont_id: int, kind: int) -> None:
        if self.fwd_emitted[tid]:
            return
        if kind in (Kind.STRUCT, Kind.UNION):
            if tid == cont_id or not self.name_offs[tid]:
                return
            self.emit_struct_fwd(tid)
            self.out.append(";\n\n")
            self.fwd_emitted[tid] = True
        elif kind == Kind.TYPEDEF:
            if not self.is_blacklisted(tid):
                self.emit_typedef_def(tid, 0)
                self.out.append(";\n\n")
            self.fwd_emitted[tid] = True

    def _emit_composite(self, tid: int, cont_id: int) -> None:
        self.emit_state[tid] = _DOING
        top = cont_id == 0
        if top or not self.name_offs[tid]:
            inner = cont_id if not self.name_offs[tid] else tid
            for _, mtype, _, _ in self.members(tid):
                self.emit(mtype, inner)
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
        word = "struct" if self.kinds[tid] == Kind.STRUCT else "union"
        self.out.append(f"{word}{' ' if self.name_offs[tid] else ''}{self.type_name(tid)}")

    def emit_struct_def(self, tid: int, lvl: int) -> None:
        out = self.out
        is_struct = self.kinds[tid] == Kind.STRUCT
        align = self.align_of(tid)
        packed = is_struct and self.is_packed(tid)
        out.append(f"{'struct' if is_struct else 'union'}{' ' if self.name_offs[tid] else ''}"
                   f"{self.type_name(tid)} {{")
        off, prev_bitfield = 0, False
        members = self.members(tid)
        for name_off, mtype, m_off, m_sz in members:
            m_align = 1 if packed else self.align_of(mtype)
            self.emit_bit_padding(off, m_off, m_align, prev_bitfield and m_sz != 0, lvl + 1)
            out.append(f"\n{_pfx(lvl + 1)}")
            self.emit_type_decl(mtype, self.btf.string(name_off) if name_off else "", lvl + 1)
            if m_sz:
                out.append(f": {m_sz}")
                off, prev_bitfield = m_off + m_sz, True
            else:
                off, prev_bitfield = m_off + max(0, self.resolve_size(mtype)) * 8, False
            out.append(";")
        if is_struct:
            self.emit_bit_padding(off, self.sts[tid] * 8, align, False, lvl + 1)
        if members or self.sts[tid]:
            out.append(f"\n{_pfx(lvl)}}}")
        else:
            out.append("}")
        if packed:
            out.append(" __attribute__((packed))")

    def emit_enum_def(self, tid: int, lvl: int) -> None:
        out = self.out
        out.append(f"enum{' ' if self.name_offs[tid] else ''}{self.type_name(tid)}")
        vlen = self.vlens[tid]
        if not vlen:
            return
        out.append(" {")
        w, at = self.extra[tid]
        signed = self.kflags[tid]
        pfx = _pfx(lvl + 1)
        if self.kinds[tid] == Kind.ENUM:
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
        name = self.btf.string(name_off)
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
        stack = []
        while True:
            stack.append(tid)
            if tid == 0:
                break
            kind = self.kinds[tid]
            if kind in _CHAIN_NEXT:
                tid = self.sts[tid]
            elif kind == Kind.ARRAY:
                tid = self.array(tid)[0]
            else:
                break  # terminal kinds, and anything unexpected
        self.emit_type_chain(stack, fname, lvl)

    def _emit_mods(self, decls: list[int]) -> None:
        while decls:
            kind = self.kinds[decls[-1]]
            if kind == Kind.VOLATILE:
                self.out.append("volatile ")
            elif kind == Kind.CONST:
                self.out.append("const ")
            elif kind == Kind.RESTRICT:
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
            if kind in (Kind.INT, Kind.FLOAT):
                self._emit_mods(decls)
                out.append(self.name(tid))
            elif kind in (Kind.STRUCT, Kind.UNION):
                self._emit_mods(decls)
                if not self.name_offs[tid]:
                    self.emit_struct_def(tid, lvl)
                else:
                    self.emit_struct_fwd(tid)
            elif kind in (Kind.ENUM, Kind.ENUM64):
                self._emit_mods(decls)
                if not self.name_offs[tid]:
                    self.emit_enum_def(tid, lvl)
                else:
                    out.append(f"enum {self.type_name(tid)}")
            elif kind == Kind.FWD:
                self._emit_mods(decls)
                self.emit_fwd_def(tid)
            elif kind == Kind.TYPEDEF:
                self._emit_mods(decls)
                out.append(self.ident_name(tid))
            elif kind == Kind.PTR:
                out.append("*" if last_was_ptr else " *")
            elif kind == Kind.VOLATILE:
                out.append(" volatile")
            elif kind == Kind.CONST:
                out.append(" const")
            elif kind == Kind.RESTRICT:
                out.append(" restrict")
            elif kind == Kind.TYPE_TAG:
                self._emit_mods(decls)
                out.append(f' __attribute__((btf_type_tag("{self.name(tid)}")))')
            elif kind == Kind.ARRAY:
                self._emit_array(tid, decls, fname, lvl, last_was_ptr)
                return
            elif kind == Kind.FUNC_PROTO:
                self._emit_proto(tid, decls, fname, lvl, last_was_ptr)
                return
            else:
                return
            last_was_ptr = kind == Kind.PTR
        self._emit_name(fname, last_was_ptr)

    def _emit_array(self, tid: int, decls: list[int], fname: str, lvl: int, last_was_ptr: bool) -> None:
        nelems = self.array(tid)[2]
        self._drop_mods(decls)
        if not decls:
            self._emit_name(fname, last_was_ptr)
            self.out.append(f"[{nelems}]")
            return
        multidim = self.kinds[decls[-1]] == Kind.ARRAY
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
            self.emit_type_decl(ptype, self.btf.string(name_off) if name_off else "", lvl)
        out.append(")")
