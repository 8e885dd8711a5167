"""The raw BTF dump: exactly what ``bpftool btf dump file FILE`` prints (bpftool 7.1).

One line per type, ``[id] KIND 'name' <kind fields>``, then one tab-indented line per member,
enumerator, parameter or DATASEC entry.  For split BTF only the split's own types are printed,
as bpftool does.  The formatting follows bpftool's ``btf.c`` (``dump_btf_type``); it works from
the flat tables of :class:`~bpfvm.btf.Btf` rather than the typed model, so that dumping
vmlinux's 126k types costs one formatting call per line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import accumulate

from .reader import Btf
from .types import Kind

__all__ = ["KIND_NAMES", "dump_raw", "iter_raw"]

#: bpftool's name of each kind (``btf_kind_str``).
KIND_NAMES = {k.value: ("UNKNOWN" if k == Kind.UNKN else k.name) for k in Kind}
_INT_ENCODINGS = {0: "(none)", 1: "SIGNED", 2: "CHAR", 4: "BOOL"}
_FUNC_LINKAGE = {0: "static", 1: "global", 2: "extern"}
_VAR_LINKAGE = {0: "static", 1: "global", 2: "extern"}


def dump_raw(btf: Btf) -> str:
    """The whole raw dump as one string (each line ends with a newline)."""
    return "".join(iter_raw(btf))


def iter_raw(btf: Btf) -> Iterator[str]:
    """The raw dump, one type (its header line and entry lines, newline-terminated) at a time."""
    w = btf._words
    names = _Names(btf)
    kind_names, formatters = KIND_NAMES, _FORMATTERS
    tid = btf.start_id
    for start in btf._starts:
        info = w[start + 1]
        kind = info >> 24 & 0x1F
        head = f"[{tid}] {kind_names[kind]} '{names[w[start]]}'"
        yield formatters[kind](btf, head, w, start + 3, w[start + 2], info & 0xFFFF, info >> 31, names) + "\n"
        tid += 1


class _Names(dict[int, str]):
    """``name_off`` → the name bpftool prints (``(anon)`` for an empty one), a dict so that a
    lookup is one subscript.  An ASCII string table (vmlinux's) is split in one pass up front;
    other offsets (a split BTF's base strings, offsets into the middle of a string, non-ASCII
    names) are decoded by :meth:`Btf.string` when first asked for."""

    def __init__(self, btf: Btf) -> None:
        super().__init__()
        self.btf = btf
        if btf.strs.isascii():
            parts = btf.strs.decode("ascii").split("\0")[:-1]  # the table ends in NUL
            self.update(zip(accumulate(map((1).__add__, map(len, parts)), initial=btf.start_str), parts))
            for off in [off for off, name in self.items() if not name]:
                self[off] = "(anon)"
        self[0] = "(anon)"

    def __missing__(self, off: int) -> str:
        name = self[off] = self.btf.string(off) or "(anon)"
        return name


def _int(btf: Btf, head: str, w: list[int], at: int, st: int, vlen: int, kflag: int, names: _Names) -> str:
    v = w[at]
    enc = _INT_ENCODINGS.get(v >> 24 & 0x0F, "UNKN")
    return f"{head} size={st} bits_offset={v >> 16 & 0xFF} nr_bits={v & 0xFF} encoding={enc}"


def _ref(btf: Btf, head: str, w: list[int], at: int, st: int, vlen: int, kflag: int, names: _Names) -> str:
    return f"{head} type_id={st}"


def _array(btf: Btf, head: str, w: list[int], at: int, st: int, vlen: int, kflag: int, names: _Names) -> str:
    return f"{head} type_id={w[at]} index_type_id={w[at + 1]} nr_elems={w[at + 2]}"


def _composite(btf: Btf, head: str, w: list[int], at: int, st: int, vlen: int, kflag: int,
               names: _Names) -> str:
    parts = [f"{head} size={st} vlen={vlen}"]
    for i in range(at, at + 3 * vlen, 3):
        off = w[i + 2]
        if kflag and off >> 24:
            parts.append(f"\t'{names[w[i]]}' type_id={w[i + 1]} bits_offset={off & 0xFFFFFF} "
                         f"bitfield_size={off >> 24}")
        else:
            parts.append(f"\t'{names[w[i]]}' type_id={w[i + 1]} "
                         f"bits_offset={off & 0xFFFFFF if kflag else off}")
    return "\n".join(parts)


def _enum(btf: Btf, head: str, w: list[int], at: int, st: int, vlen: int, kflag: int, names: _Names) -> str:
    parts = [f"{head} encoding={'SIGNED' if kflag else 'UNSIGNED'} size={st} vlen={vlen}"]
    for i in range(at, at + 2 * vlen, 2):
        value = w[i + 1]
        if kflag and value >> 31:
            value -= 1 << 32
        parts.append(f"\t'{names[w[i]]}' val={value}")
    return "\n".join(parts)


def _enum64(btf: Btf, head: str, w: list[int], at: int, st: int, vlen: int, kflag: int,
            names: _Names) -> str:
    parts = [f"{head} encoding={'SIGNED' if kflag else 'UNSIGNED'} size={st} vlen={vlen}"]
    for i in range(at, at + 3 * vlen, 3):
        value = w[i + 2] << 32 | w[i + 1]
        if kflag:
            value = value - (1 << 64) if value >> 63 else value
            parts.append(f"\t'{names[w[i]]}' val={value}LL")
        else:
            parts.append(f"\t'{names[w[i]]}' val={value}ULL")
    return "\n".join(parts)


def _fwd(btf: Btf, head: str, w: list[int], at: int, st: int, vlen: int, kflag: int, names: _Names) -> str:
    return f"{head} fwd_kind={'union' if kflag else 'struct'}"


def _func(btf: Btf, head: str, w: list[int], at: int, st: int, vlen: int, kflag: int, names: _Names) -> str:
    return f"{head} type_id={st} linkage={_FUNC_LINKAGE.get(vlen, '(unknown)')}"


def _proto(btf: Btf, head: str, w: list[int], at: int, st: int, vlen: int, kflag: int, names: _Names) -> str:
    parts = [f"{head} ret_type_id={st} vlen={vlen}"]
    parts += [f"\t'{names[w[i]]}' type_id={w[i + 1]}"
              for i in range(at, at + 2 * vlen, 2)]
    return "\n".join(parts)


def _var(btf: Btf, head: str, w: list[int], at: int, st: int, vlen: int, kflag: int, names: _Names) -> str:
    return f"{head} type_id={st}, linkage={_VAR_LINKAGE.get(w[at], '(unknown)')}"


def _datasec(btf: Btf, head: str, w: list[int], at: int, st: int, vlen: int, kflag: int,
             names: _Names) -> str:
    parts = [f"{head} size={st} vlen={vlen}"]
    for i in range(at, at + 3 * vlen, 3):
        var = w[i]
        name_off, info = btf.raw(var)[:2] if var else (0, 0)
        parts.append(f"\ttype_id={var} offset={w[i + 1]} size={w[i + 2]} "
                     f"({KIND_NAMES[info >> 24 & 0x1F]} '{names[name_off]}')")
    return "\n".join(parts)


def _float(btf: Btf, head: str, w: list[int], at: int, st: int, vlen: int, kflag: int, names: _Names) -> str:
    return f"{head} size={st}"


def _decl_tag(btf: Btf, head: str, w: list[int], at: int, st: int, vlen: int, kflag: int,
              names: _Names) -> str:
    idx = w[at] - (1 << 32) if w[at] >> 31 else w[at]
    return f"{head} type_id={st} component_idx={idx}"


_FORMATTERS: dict[int, Callable[[Btf, str, list[int], int, int, int, int, _Names], str]] = {
    Kind.INT: _int, Kind.PTR: _ref, Kind.ARRAY: _array, Kind.STRUCT: _composite, Kind.UNION: _composite,
    Kind.ENUM: _enum, Kind.FWD: _fwd, Kind.TYPEDEF: _ref, Kind.VOLATILE: _ref, Kind.CONST: _ref,
    Kind.RESTRICT: _ref, Kind.FUNC: _func, Kind.FUNC_PROTO: _proto, Kind.VAR: _var, Kind.DATASEC: _datasec,
    Kind.FLOAT: _float, Kind.DECL_TAG: _decl_tag, Kind.TYPE_TAG: _ref, Kind.ENUM64: _enum64,
}
