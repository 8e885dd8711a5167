"""Skeletons: typed, zero-copy access to a loaded program's globals, from its BTF.

The Python counterpart of libbpf's generated skeletons (``bpftool gen skeleton``): each data
section with a DATASEC (``.bss``, ``.data``, ``.rodata``, ``.data.NAME`` …) is an attribute
of the skeleton named as libbpf names it (leading dot dropped, other dots as ``_``), and each
of its variables an attribute of that: ``skel.bss.counter`` (an int), ``skel.data.table[3]``,
``skel.rodata.config.threshold = 5``.  Structs and unions are :class:`StructView` (members as
attributes, anonymous members' fields directly, bitfields read and written in place), arrays
:class:`ArrayView` (a sequence; :meth:`ArrayView.numpy` a NumPy view), integers, enums,
floats and pointers plain Python values.  Every view reads and writes the VM's guest memory
itself, no copy.

Where variables lie comes from the program's symbol table (clang leaves DATASEC offsets 0 in
unlinked objects; libbpf fixes them up from the same symbols).  ``.rodata`` (and every
read-only section) is writable from the host until the program first runs, then frozen — as
libbpf freezes its map — and a write raises :class:`FrozenError`.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import BpfError
from .reader import Btf, DatasecVar
from .types import Array, Enum, Enum64, Float, Int, Kind, Ptr, Struct, Union

if TYPE_CHECKING:
    import numpy as np

    from ..program import Program
    from ..vm import VM

__all__ = ["ArrayView", "FrozenError", "SectionView", "Skeleton", "StructView", "open_skeleton",
           "section_attribute"]

#: Sections that are not program data (map definitions, license, extern symbols).
_SKIPPED = frozenset({".maps", "license", ".ksyms", ".kconfig", "version"})
_INT_FORMATS = {(1, False): "B", (1, True): "b", (2, False): "H", (2, True): "h", (4, False): "I",
                (4, True): "i", (8, False): "Q", (8, True): "q"}
_NUMPY_INTS = {(1, False): "u1", (1, True): "i1", (2, False): "<u2", (2, True): "<i2", (4, False): "<u4",
               (4, True): "<i4", (8, False): "<u8", (8, True): "<i8"}


class FrozenError(BpfError):
    """A write to a read-only section (``.rodata``) after the program first ran."""


def section_attribute(section: str) -> str:
    """The skeleton attribute of an ELF data section, as libbpf names it (``.data.cfg`` → ``data_cfg``)."""
    return section.lstrip(".").replace(".", "_")


class _Place:
    """One section's bytes in guest memory, and whether host writes are still allowed."""

    __slots__ = ("base", "frozen", "mem", "name")

    def __init__(self, name: str, mem: memoryview, base: int, frozen: Any) -> None:
        self.name, self.mem, self.base, self.frozen = name, mem, base, frozen

    def check_write(self, what: str) -> None:
        if self.frozen is not None and self.frozen():
            raise FrozenError(f"{self.name} is read-only once the program has run: cannot set {what}")


class _Value:
    """Reads and writes values of one BTF type at byte offsets of a :class:`_Place`."""

    def __init__(self, btf: Btf, classes: dict[str, type[StructView]] | None = None) -> None:
        self.btf = btf
        self.classes = classes or {}

    def get(self, place: _Place, offset: int, type_id: int, what: str) -> Any:
        t = self.btf.resolve(type_id)
        if isinstance(t, (Struct, Union)):
            return self.classes.get(t.name, StructView)(self, place, offset, t)
        if isinstance(t, Array):
            return ArrayView(self, place, offset, t, what)
        fmt = self.scalar_format(t)
        if fmt is not None:
            return struct.unpack_from(fmt, place.mem, offset)[0]
        size = self.btf.size_of(t.id)
        return int.from_bytes(place.mem[offset:offset + size], "little",
                              signed=isinstance(t, Int) and t.signed)

    def set(self, place: _Place, offset: int, type_id: int, value: Any, what: str) -> None:
        place.check_write(what)
        t = self.btf.resolve(type_id)
        size = self.btf.size_of(t.id)
        if isinstance(value, (bytes, bytearray, memoryview)):
            if len(value) != size:
                raise BpfError(f"{what}: {len(value)} bytes given for a {size}-byte value")
            place.mem[offset:offset + size] = value
            return
        if isinstance(t, Array) and isinstance(value, Sequence):
            view = ArrayView(self, place, offset, t, what)
            if len(value) > len(view):
                raise BpfError(f"{what}: {len(value)} elements given for an array of {len(view)}")
            for i, item in enumerate(value):
                view[i] = item
            return
        fmt = self.scalar_format(t)
        if fmt is None:
            if isinstance(t, Int):
                place.mem[offset:offset + size] = (int(value) % (1 << 8 * size)).to_bytes(size, "little")
                return
            raise BpfError(f"{what}: a {t.kind.name.lower()} is set from bytes of its size ({size})")
        if fmt in ("<f", "<d"):
            struct.pack_into(fmt, place.mem, offset, float(value))
        else:
            struct.pack_into(fmt, place.mem, offset, int(value) % (1 << 8 * size) if fmt[1].isupper()
                             else _wrap_signed(int(value), size))

    def scalar_format(self, t: Any) -> str | None:
        """The ``struct`` format of an INT/ENUM/FLOAT/PTR of a standard size, else None."""
        if isinstance(t, Int):
            found = _INT_FORMATS.get((t.size, t.signed))
        elif isinstance(t, (Enum, Enum64)):
            found = _INT_FORMATS.get((t.size, t.signed))
        elif isinstance(t, Float):
            found = {4: "f", 8: "d"}.get(t.size)
        elif isinstance(t, Ptr):
            found = "Q"
        else:
            return None
        return None if found is None else "<" + found


def _wrap_signed(value: int, size: int) -> int:
    bits = 8 * size
    value %= 1 << bits
    return value - (1 << bits) if value >> (bits - 1) else value


def _fields(btf: Btf, t: Struct | Union, base: int = 0) -> dict[str, tuple[int, int, int]]:
    """name → (bit offset, bitfield size, type id), anonymous members' fields included."""
    out: dict[str, tuple[int, int, int]] = {}
    for m in t.members:
        if not m.name:
            inner = btf.resolve(m.type_id)
            if isinstance(inner, (Struct, Union)):
                for name, field in _fields(btf, inner, base + m.bit_offset).items():
                    out.setdefault(name, field)
            continue
        out[m.name] = (base + m.bit_offset, m.bitfield_size, m.type_id)
    return out


class StructView:
    """A struct or union in guest memory: members are attributes (``view.field``), read and
    written in place.  ``address`` is its guest address; ``bytes(view)`` copies it out."""

    __slots__ = ("_fields", "_offset", "_place", "_type", "_value")

    def __init__(self, value: _Value, place: _Place, offset: int, t: Struct | Union) -> None:
        object.__setattr__(self, "_value", value)
        object.__setattr__(self, "_place", place)
        object.__setattr__(self, "_offset", offset)
        object.__setattr__(self, "_type", t)
        object.__setattr__(self, "_fields", _fields(value.btf, t))

    @property
    def address(self) -> int:
        """The guest address of the struct."""
        return self._place.base + self._offset

    def __getattr__(self, name: str) -> Any:
        field = self._fields.get(name)
        if field is None:
            raise AttributeError(f"{self._type.kind.name.lower()} {self._type.name or '(anon)'} has no "
                                 f"member {name!r}")
        bit_offset, bits, type_id = field
        if bits:
            return self._bitfield(bit_offset, bits, type_id)
        return self._value.get(self._place, self._offset + bit_offset // 8, type_id, name)

    def __setattr__(self, name: str, value: Any) -> None:
        field = self._fields.get(name)
        if field is None:
            raise AttributeError(f"{self._type.kind.name.lower()} {self._type.name or '(anon)'} has no "
                                 f"member {name!r}")
        bit_offset, bits, type_id = field
        if bits:
            self._set_bitfield(bit_offset, bits, type_id, int(value), name)
        else:
            self._value.set(self._place, self._offset + bit_offset // 8, type_id, value, name)

    def _bitfield(self, bit_offset: int, bits: int, type_id: int) -> int:
        start = self._offset + bit_offset // 8
        shift = bit_offset % 8
        nbytes = (shift + bits + 7) // 8
        word = int.from_bytes(self._place.mem[start:start + nbytes], "little") >> shift
        value = word & ((1 << bits) - 1)
        t = self._value.btf.resolve(type_id)
        if isinstance(t, (Int, Enum, Enum64)) and t.signed and value >> (bits - 1):
            value -= 1 << bits
        return value

    def _set_bitfield(self, bit_offset: int, bits: int, type_id: int, value: int, what: str) -> None:
        self._place.check_write(what)
        start = self._offset + bit_offset // 8
        shift = bit_offset % 8
        nbytes = (shift + bits + 7) // 8
        word = int.from_bytes(self._place.mem[start:start + nbytes], "little")
        mask = ((1 << bits) - 1) << shift
        word = (word & ~mask) | ((value << shift) & mask)
        self._place.mem[start:start + nbytes] = word.to_bytes(nbytes, "little")

    def __dir__(self) -> list[str]:
        return sorted(self._fields) + ["address"]

    def __bytes__(self) -> bytes:
        return bytes(self._place.mem[self._offset:self._offset + self._type.size])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StructView):
            return bytes(self) == bytes(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable views

    def __repr__(self) -> str:
        body = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{self._type.name or '(anon)'}({body})"


class ArrayView(Sequence[Any]):
    """A C array in guest memory: ``view[i]`` reads element ``i`` (a value, or a view of a
    struct/array element), ``view[i] = x`` writes it; :meth:`numpy` is a zero-copy ndarray."""

    def __init__(self, value: _Value, place: _Place, offset: int, t: Array, what: str) -> None:
        self._value, self._place, self._offset, self._type, self._what = value, place, offset, t, what
        self._stride = value.btf.size_of(t.type_id)

    def __len__(self) -> int:
        return self._type.nelems

    def _index(self, index: int) -> int:
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"{self._what}[{index}]: index out of range (length {len(self)})")
        return self._offset + index * self._stride

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return self._value.get(self._place, self._index(index), self._type.type_id, f"{self._what}[{index}]")

    def __setitem__(self, index: int, value: Any) -> None:
        self._value.set(self._place, self._index(index), self._type.type_id, value, f"{self._what}[{index}]")

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(len(self)))

    @property
    def address(self) -> int:
        """The guest address of the first element."""
        return self._place.base + self._offset

    def __bytes__(self) -> bytes:
        return bytes(self._place.mem[self._offset:self._offset + self._stride * len(self)])

    def numpy(self) -> np.ndarray:
        """The array as a NumPy view of guest memory (numbers; multi-dimensional for nested arrays).

        Read-only when the section is frozen.  Raises :class:`BpfError` for arrays of structs.
        """
        import numpy as np

        shape, t = [len(self)], self._value.btf.resolve(self._type.type_id)
        while isinstance(t, Array):
            shape.append(t.nelems)
            t = self._value.btf.resolve(t.type_id)
        dtype = _numpy_dtype(t)
        if dtype is None:
            raise BpfError(f"{self._what}: no NumPy dtype for elements of kind {t.kind.name}")
        size = self._stride * len(self)
        mem = self._place.mem[self._offset:self._offset + size]
        if self._place.frozen is not None and self._place.frozen():
            mem = mem.toreadonly()
        return np.frombuffer(mem, dtype=dtype).reshape(shape)

    def __repr__(self) -> str:
        return f"[{', '.join(repr(x) for x in self)}]"


def _numpy_dtype(t: Any) -> str | None:
    if isinstance(t, (Int, Enum, Enum64)):
        return _NUMPY_INTS.get((t.size, t.signed))
    if isinstance(t, Float):
        return {4: "<f4", 8: "<f8"}.get(t.size)
    if isinstance(t, Ptr):
        return "<u8"
    return None


class SectionView:
    """One data section's variables as attributes (``skel.bss.counter``)."""

    __slots__ = ("_place", "_value", "_vars")

    def __init__(self, value: _Value, place: _Place, variables: dict[str, tuple[int, int]]) -> None:
        object.__setattr__(self, "_value", value)
        object.__setattr__(self, "_place", place)
        object.__setattr__(self, "_vars", variables)

    def __getattr__(self, name: str) -> Any:
        found = self._vars.get(name)
        if found is None:
            raise AttributeError(f"{self._place.name} has no variable {name!r}")
        return self._value.get(self._place, found[0], found[1], name)

    def __setattr__(self, name: str, value: Any) -> None:
        found = self._vars.get(name)
        if found is None:
            raise AttributeError(f"{self._place.name} has no variable {name!r}")
        self._value.set(self._place, found[0], found[1], value, f"{self._place.name}.{name}")

    def __dir__(self) -> list[str]:
        return sorted(self._vars)

    def __iter__(self) -> Iterator[str]:
        return iter(self._vars)

    def __repr__(self) -> str:
        return f"<{self._place.name}: {', '.join(self._vars)}>"


class Skeleton:
    """A program placed in a VM, with a :class:`SectionView` per data section (``skel.bss`` …).

    ``sections`` maps ELF section names to the views.  :meth:`freeze` makes read-only sections
    read-only for the host too; it happens by itself once the program has run.
    """

    def __init__(self, vm: VM, program: Program, btf: Btf,
                 classes: dict[str, type[StructView]] | None = None) -> None:
        self.vm, self.program, self.btf = vm, program, btf
        self._frozen = False
        self._compiled = vm.compile(program)  # places the program: its sections now have addresses
        value = _Value(btf, classes)
        self.sections: dict[str, SectionView] = {}
        for name, variables in _section_vars(btf, program).items():
            first, (first_offset, _) = next(iter(variables.items()))
            base = vm.address_of(program, first) - first_offset
            segment = next(s for s in program.segments if s.name == name)
            place = _Place(name, memoryview(vm.memory.buf)[base:base + len(segment.data)], base,
                           None if segment.writable else self.frozen)
            self.sections[name] = SectionView(value, place, variables)

    def frozen(self) -> bool:
        """Whether read-only sections are frozen: after :meth:`freeze` or the first run."""
        return self._frozen or self._compiled.executed > 0

    def freeze(self) -> None:
        """Make read-only sections (``.rodata``) read-only for the host from now on."""
        self._frozen = True

    def run(self, *args: int, entry: str | None = None) -> int:
        """Run the program (``vm.run``) and return r0; read-only sections are frozen from now on."""
        self._frozen = True
        return self.vm.run(self.program, *args, entry=entry)

    def __getattr__(self, name: str) -> SectionView:
        for section, view in self.__dict__.get("sections", {}).items():
            if section_attribute(section) == name:
                return view
        have = ", ".join(section_attribute(s) for s in self.__dict__.get("sections", {}))
        raise AttributeError(f"{self.program.name} has no data section for {name!r} (have {have})")

    def __dir__(self) -> list[str]:
        return [section_attribute(s) for s in self.sections] + ["btf", "freeze", "frozen", "program", "run",
                                                                 "sections", "vm"]


def _section_vars(btf: Btf, program: Program) -> dict[str, dict[str, tuple[int, int]]]:
    """section → variable → (offset in the section, BTF type id), offsets from the symbols."""
    out: dict[str, dict[str, tuple[int, int]]] = {}
    segments = {s.name for s in program.segments}
    for t in btf:
        if t.kind != Kind.DATASEC or t.name in _SKIPPED or t.name not in segments:
            continue
        for var in btf.datasec(t.name):
            offset = _offset(var, program, t.name)
            if offset is not None:
                out.setdefault(t.name, {})[var.name] = (offset, var.type_id)
    return out


def _offset(var: DatasecVar, program: Program, section: str) -> int | None:
    sym = program.symbols.get(var.name)
    if sym is not None and sym.segment == section:
        return sym.offset
    return var.offset if var.offset or len(program.symbols) == 0 else None


def open_skeleton(path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], vm: VM | None = None,
                  classes: dict[str, type[StructView]] | None = None) -> Skeleton:
    """Load the object(s) at ``path``, place them in ``vm`` (default: a new ``VM()``), and
    return the skeleton.  Several objects are linked, their BTF merged.

    Raises :class:`~bpfvm.errors.ElfError`/:class:`~bpfvm.errors.BtfError` for a bad object.
    """
    import bpfvm

    from .writer import merge

    paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    program = bpfvm.load(paths[0] if len(paths) == 1 else paths)
    btfs = [Btf.from_elf(p) for p in paths]
    btf = btfs[0] if len(btfs) == 1 else merge(btfs)[0]
    return Skeleton(vm if vm is not None else bpfvm.VM(), program, btf, classes)
