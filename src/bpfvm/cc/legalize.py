"""Legalise clang's LLVM IR for the BPF backend: floating point becomes calls to intrinsics.

The BPF backend has no floating-point unit and rejects the soft-float library calls
(``__adddf3``, ``__floatsisf`` …) that it would lower FP arithmetic to.  It does, however,
carry ``double`` and ``float`` values in integer registers wherever they are only moved: loads,
stores, ``phi``, ``select``, arguments, returns, constants, ``bitcast``, and the bit operations
it uses for ``fneg``, ``llvm.fabs`` and ``llvm.copysign``.  So this stage rewrites, in the IR
text clang emits (``-S -emit-llvm``), only the operations that compute:

* ``fadd fsub fmul fdiv frem`` → ``call i64 @__bpfvm_<op>_f64(i64, i64)`` (``_f32`` for float);
* ``fcmp <pred>`` → ``__bpfvm_fcmp_f64(a, b, pred)`` with LLVM's predicate number (bit 0:
  equal, 1: greater, 2: less, 3: unordered), then ``icmp ne`` to get the ``i1``;
* ``sitofp uitofp`` (the integer sign- or zero-extended to i64), ``fptosi fptoui`` (with the
  result width as a second argument; the i64 result is truncated), ``fpext fptrunc``;
* calls of ``llvm.<name>.f64/.f32`` for the math intrinsics in :data:`MATH_INTRINSICS`, and
  those with integer parts (:data:`INTEGER_INTRINSICS`): ``llvm.powi`` and ``llvm.ldexp`` (the
  integer sign-extended), ``llvm.lround llround lrint llrint fptosi.sat fptoui.sat`` (with the
  result width, as ``fptosi``), ``llvm.frexp`` (``__bpfvm_frexp`` for the mantissa,
  ``__bpfvm_frexpexp`` for the exponent), ``llvm.modf`` (``__bpfvm_modf`` and ``__bpfvm_trunc``)
  and ``llvm.sincos`` (``__bpfvm_sin``, ``__bpfvm_cos``).

``llvm.fabs``, ``llvm.copysign``, ``llvm.is.fpclass`` and ``fneg`` stay: the backend does them
with integer operations on the bits.  :func:`intrinsic_names` lists every floating-point
``__bpfvm_*`` function this stage may call.

Then :func:`~bpfvm.vla.lower_dynamic_allocas` moves variable-length arrays to a shadow stack,
:func:`~bpfvm.aggregates.lower_aggregates` turns structs passed or returned by value into
plain pointers (and :func:`~bpfvm.aggregates.lower_memory_intrinsics` big copies into ``memcpy``
calls), :func:`~bpfvm.varargs.lower_varargs` puts variadic functions and calls on bpfvm's
variadic blocks, :func:`~bpfvm.argblock.spill_arguments` rewrites functions and calls of more than five
arguments to bpfvm's argument-block convention, and :func:`~bpfvm.thunks.add_thunks` gives libc
functions used as pointers a guest function to point to.

Values cross as IEEE-754 bit patterns: ``bitcast double → i64``; ``float → i32``, zero-extended
to i64.  The intrinsics (:mod:`bpfvm.libc.softfloat`) compute with exact IEEE semantics.  Any
floating-point construct left over (``fp128``, vectors, ``half`` …) is a :class:`LegalizeError`
naming it and its source line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field

from .aggregates import lower_aggregates, lower_memory_intrinsics
from .argblock import spill_arguments
from .argblock import split_operands as _split_top
from .overflow import lower_overflow_multiply
from .thunks import add_thunks
from .varargs import lower_varargs
from .vla import lower_dynamic_allocas

__all__ = ["FCMP_PREDICATES", "INTEGER_INTRINSICS", "MATH_INTRINSICS", "LegalizeError", "intrinsic_names",
           "legalize"]

#: Bits of the FP types bpfvm computes with.
_WIDTH = {"double": 64, "float": 32}
_SUFFIX = {"double": "f64", "float": "f32"}

#: ``fcmp`` predicates in LLVM's numbering (``FCmpInst::Predicate``).
FCMP_PREDICATES = ("false", "oeq", "ogt", "oge", "olt", "ole", "one", "ord",
                   "uno", "ueq", "ugt", "uge", "ult", "ule", "une", "true")

#: ``llvm.<name>`` intrinsics rewritten to ``__bpfvm_<name>_f64/_f32``: name → FP operand count.
#: (``fabs``, ``copysign`` and ``fneg`` stay: the backend does them with bit operations.)
MATH_INTRINSICS: dict[str, int] = {
    **dict.fromkeys(("sqrt", "floor", "ceil", "trunc", "round", "roundeven", "rint", "nearbyint",
                     "exp", "exp2", "exp10", "log", "log2", "log10", "sin", "cos", "tan", "asin",
                     "acos", "atan", "sinh", "cosh", "tanh"), 1),
    **dict.fromkeys(("pow", "minnum", "maxnum", "minimum", "maximum", "minimumnum", "maximumnum", "atan2"),
                    2),
    **dict.fromkeys(("fma", "fmuladd"), 3),
}

#: ``llvm.<name>`` intrinsics with integer operands or results → the ``__bpfvm_<op>`` functions
#: they become (see the module docstring).
INTEGER_INTRINSICS: dict[str, tuple[str, ...]] = {
    "powi": ("powi",), "ldexp": ("ldexp",), "lround": ("lround",), "llround": ("lround",),
    "lrint": ("lrint",), "llrint": ("lrint",), "fptosi.sat": ("fptosisat",), "fptoui.sat": ("fptouisat",),
    "frexp": ("frexp", "frexpexp"), "modf": ("modf", "trunc"), "sincos": ("sin", "cos"),
}

_BINARY = ("fadd", "fsub", "fmul", "fdiv", "frem")
_FAST_MATH = frozenset(("nnan", "ninf", "nsz", "arcp", "contract", "afn", "reassoc", "fast"))
_FP_OPS = re.compile(r"= (?:(?:tail |musttail |notail )?call [^@]*@llvm\.\w+\.(?:f16|bf16|f128|f80|v\d)"
                     r"|fadd|fsub|fmul|fdiv|frem|fcmp|sitofp|uitofp|fptosi|fptoui|fpext|fptrunc)\b")
_FP_TYPE = re.compile(r"(?<=[ (<])(?:half|bfloat|fp128|x86_fp80|ppc_fp128)\b|x (?:float|double)>")
_ASSIGN = re.compile(r'^(\s+)(%[-\w$.]+|%"[^"]*") = (\w+) (.*)$')
_CALL = re.compile(r"^(?P<ret>\{[^{}]*\}|\w+) @llvm\.(?P<name>[\w.]+)\((?P<args>.*)\)(?P<attrs>(?: #\d+)*)$")
_TYPE_PART = re.compile(r"^(?:f\d+|i\d+|bf16|p\d+|v\d+\w*|nx\w+)$")  #: an overload suffix: .f64, .i32
_LOCATION = re.compile(r"^!(\d+) = (?:distinct )?!DILocation\(line: (\d+)")


class LegalizeError(Exception):
    """The IR holds a floating-point construct bpfvm cannot lower; says which, and where."""

    def __init__(self, construct: str, where: str) -> None:
        super().__init__(f"{where}: cannot compile {construct} for BPF (bpfvm supports float and "
                         "double arithmetic, conversions and <math.h>)")
        self.construct = construct
        self.where = where


def _metadata(rest: str) -> tuple[str, str]:
    """Split an instruction's operands from its trailing ``, !dbg !N, !tbaa …`` attachments."""
    parts = _split_top(rest)
    for i, part in enumerate(parts):
        if part.startswith("!"):
            return ", ".join(parts[:i]), ", " + ", ".join(parts[i:])
    return rest, ""


def _dbg(attachments: str) -> str:
    match = re.search(r"!dbg !\d+", attachments)
    return f", {match.group(0)}" if match else ""


def _strip_flags(text: str) -> str:
    words = text.split(" ")
    while words and words[0] in _FAST_MATH:
        words.pop(0)
    return " ".join(words)


@dataclass
class _Rewriter:
    """Rewrites the instructions of one module, collecting the declarations they need."""

    declarations: dict[str, int] = field(default_factory=dict)  #: name → i64 parameter count
    counter: int = 0
    lines: list[str] = field(default_factory=list)
    dbg: str = ""
    indent: str = "  "

    def fresh(self) -> str:
        self.counter += 1
        return f"%.soft{self.counter}"

    def emit(self, text: str) -> str:
        name = self.fresh()
        self.lines.append(f"{self.indent}{name} = {text}{self.dbg}")
        return name

    def to_bits(self, ty: str, value: str) -> str:
        """An i64 holding the bit pattern of ``value`` (a float's zero-extended)."""
        if ty == "double":
            return self.emit(f"bitcast double {value} to i64")
        return self.emit(f"zext i32 {self.emit(f'bitcast float {value} to i32')} to i64")

    def from_bits(self, ty: str, bits: str, result: str) -> None:
        """Define ``result`` of type ``ty`` from the i64 bit pattern ``bits``."""
        if ty == "float":
            bits32 = self.emit(f"trunc i64 {bits} to i32")
            self.lines.append(f"{self.indent}{result} = bitcast i32 {bits32} to float{self.dbg}")
        else:
            self.lines.append(f"{self.indent}{result} = bitcast i64 {bits} to double{self.dbg}")

    def value(self, ty: str, bits: str) -> str:
        """A fresh value of FP type ``ty`` from the i64 bit pattern ``bits``."""
        if ty == "float":
            return self.emit(f"bitcast i32 {self.emit(f'trunc i64 {bits} to i32')} to float")
        return self.emit(f"bitcast i64 {bits} to double")

    def call(self, name: str, args: list[str]) -> str:
        self.declarations[name] = len(args)
        return self.emit(f"call i64 @{name}({', '.join(f'i64 {a}' for a in args)})")


def _typed(operand: str) -> tuple[str, str]:
    """``double noundef %0`` → (``double``, ``%0``): the type and the value (last word)."""
    words = operand.split()
    return words[0], words[-1]


def _binary(fn: _Rewriter, op: str, result: str, body: str) -> bool:
    ty, rest = _strip_flags(body).split(" ", 1)
    if ty not in _WIDTH:
        return False
    left, right = _split_top(rest)
    bits = fn.call(f"__bpfvm_{op}_{_SUFFIX[ty]}", [fn.to_bits(ty, left), fn.to_bits(ty, right)])
    fn.from_bits(ty, bits, result)
    return True


def _fcmp(fn: _Rewriter, result: str, body: str) -> bool:
    pred, ty, rest = _strip_flags(body).split(" ", 2)
    if ty not in _WIDTH:
        return False
    left, right = _split_top(rest)
    code = str(FCMP_PREDICATES.index(pred))
    bits = fn.call(f"__bpfvm_fcmp_{_SUFFIX[ty]}", [fn.to_bits(ty, left), fn.to_bits(ty, right), code])
    fn.lines.append(f"{fn.indent}{result} = icmp ne i64 {bits}, 0{fn.dbg}")
    return True


def _int_width(ty: str) -> int:
    return int(ty[1:]) if re.fullmatch(r"i\d+", ty) else 0


def _to_fp(fn: _Rewriter, op: str, result: str, body: str) -> bool:
    src, value, _, dst = body.removeprefix("nneg ").split(" ")
    width = _int_width(src)
    if dst not in _WIDTH or not 0 < width <= 64:
        return False
    wide = value if width == 64 else fn.emit(f"{'sext' if op == 'sitofp' else 'zext'} {src} {value} to i64")
    fn.from_bits(dst, fn.call(f"__bpfvm_{op}_{_SUFFIX[dst]}", [wide]), result)
    return True


def _from_fp(fn: _Rewriter, op: str, result: str, body: str) -> bool:
    src, value, _, dst = body.split(" ")
    width = _int_width(dst)
    if src not in _WIDTH or not 0 < width <= 64:
        return False
    bits = fn.call(f"__bpfvm_{op}_{_SUFFIX[src]}", [fn.to_bits(src, value), str(width)])
    if width == 64:
        fn.lines.append(f"{fn.indent}{result} = add i64 {bits}, 0{fn.dbg}")
    else:
        fn.lines.append(f"{fn.indent}{result} = trunc i64 {bits} to {dst}{fn.dbg}")
    return True


def _resize(fn: _Rewriter, op: str, result: str, body: str) -> bool:
    src, value, _, dst = _strip_flags(body).split(" ")
    if (op, src, dst) not in (("fpext", "float", "double"), ("fptrunc", "double", "float")):
        return False
    fn.from_bits(dst, fn.call(f"__bpfvm_{op}_{_SUFFIX[src]}", [fn.to_bits(src, value)]), result)
    return True


def _intrinsic(fn: _Rewriter, result: str, body: str) -> bool:
    words = body.split(" ")
    while words and (words[0] in _FAST_MATH or words[0] in ("call", "noundef")):
        words.pop(0)
    match = _CALL.match(" ".join(words))
    if match is None:
        return False
    parts = match["name"].split(".")
    base = ".".join(parts[:next((i for i, p in enumerate(parts) if _TYPE_PART.match(p)), len(parts))])
    args = [_typed(a) for a in _split_top(match["args"])] if match["args"].strip() else []
    if base in MATH_INTRINSICS:
        return _same_type(fn, result, base, match["ret"], args)
    if base in INTEGER_INTRINSICS and args and args[0][0] in _WIDTH:
        return _INTEGER_HANDLERS[base](fn, result, base, match["ret"], args)
    return False


def _same_type(fn: _Rewriter, result: str, base: str, ret: str, args: list[tuple[str, str]]) -> bool:
    """``llvm.sqrt.f64`` and the like: FP operands and result of one type."""
    if ret not in _WIDTH or len(args) != MATH_INTRINSICS[base] or any(t != ret for t, _ in args):
        return False
    bits = fn.call(f"__bpfvm_{base}_{_SUFFIX[ret]}", [fn.to_bits(ret, v) for _, v in args])
    fn.from_bits(ret, bits, result)
    return True


def _scaled(fn: _Rewriter, result: str, base: str, ret: str, args: list[tuple[str, str]]) -> bool:
    """``llvm.powi``/``llvm.ldexp``: (FP, iN) → FP, the integer sign-extended to 64 bits."""
    (ty, value), (ity, count) = args
    if ret != ty or not 0 < _int_width(ity) <= 64:
        return False
    wide = count if ity == "i64" else fn.emit(f"sext {ity} {count} to i64")
    fn.from_bits(ty, fn.call(f"__bpfvm_{base}_{_SUFFIX[ty]}", [fn.to_bits(ty, value), wide]), result)
    return True


def _rounded(fn: _Rewriter, result: str, base: str, ret: str, args: list[tuple[str, str]]) -> bool:
    """``llvm.lround`` and the like: FP → iN, called with the width N (as ``fptosi``)."""
    (ty, value), = args
    width = _int_width(ret)
    if not 0 < width <= 64:
        return False
    op = INTEGER_INTRINSICS[base][0]
    bits = fn.call(f"__bpfvm_{op}_{_SUFFIX[ty]}", [fn.to_bits(ty, value), str(width)])
    fn.lines.append(f"{fn.indent}{result} = {'add i64' if width == 64 else 'trunc i64'} {bits}"
                    f"{', 0' if width == 64 else f' to {ret}'}{fn.dbg}")
    return True


def _pair(fn: _Rewriter, result: str, base: str, ret: str, args: list[tuple[str, str]]) -> bool:
    """``llvm.frexp``/``modf``/``sincos``: FP → ``{ A, B }``, one call for each member."""
    (ty, value), = args
    members = _split_top(ret.strip("{} "))
    if len(members) != 2 or members[0] != ty or not (members[1] in _WIDTH or _int_width(members[1])):
        return False
    bits = fn.to_bits(ty, value)
    values = []
    for op, member in zip(INTEGER_INTRINSICS[base], members, strict=True):
        got = fn.call(f"__bpfvm_{op}_{_SUFFIX[ty]}", [bits])
        values.append(fn.value(member, got) if member in _WIDTH
                      else got if member == "i64" else fn.emit(f"trunc i64 {got} to {member}"))
    first = fn.emit(f"insertvalue {ret} poison, {members[0]} {values[0]}, 0")
    fn.lines.append(f"{fn.indent}{result} = insertvalue {ret} {first}, {members[1]} {values[1]}, 1{fn.dbg}")
    return True


_Handler = Callable[[_Rewriter, str, str, str, list[tuple[str, str]]], bool]
_INTEGER_HANDLERS: dict[str, _Handler] = {
    "powi": _scaled, "ldexp": _scaled, "lround": _rounded, "llround": _rounded, "lrint": _rounded,
    "llrint": _rounded, "fptosi.sat": _rounded, "fptoui.sat": _rounded, "frexp": _pair, "modf": _pair,
    "sincos": _pair,
}


def intrinsic_names() -> list[str]:
    """Every floating-point ``__bpfvm_*`` function :func:`legalize` may emit a call to, sorted
    (besides these it calls the packed printf family of :mod:`bpfvm.cc.varargs` and the shadow
    stack of :mod:`bpfvm.cc.vla`)."""
    ops = {*_BINARY, "fcmp", "sitofp", "uitofp", "fptosi", "fptoui", *MATH_INTRINSICS}
    ops.update(op for names in INTEGER_INTRINSICS.values() for op in names)
    names = {f"__bpfvm_{op}_{suffix}" for op in ops for suffix in ("f64", "f32")}
    return sorted(names | {"__bpfvm_fpext_f32", "__bpfvm_fptrunc_f64"})


def _rewrite(fn: _Rewriter, line: str) -> bool:
    """Append the legal replacement of ``line`` to ``fn.lines``; False if it is not FP work."""
    match = _ASSIGN.match(line)
    if match is None:
        return False
    fn.indent, result, op, rest = match.groups()
    if op in ("tail", "musttail", "notail"):
        op, _, rest = rest.partition(" ")
    body, attachments = _metadata(rest)
    fn.dbg = _dbg(attachments)
    mark = len(fn.lines)
    try:
        done = _dispatch(fn, op, result, body)
    except ValueError:  # an operand form the parser does not know: reported as left over
        done = False
    if not done:
        del fn.lines[mark:]
    return done


def _dispatch(fn: _Rewriter, op: str, result: str, body: str) -> bool:
    return (_binary(fn, op, result, body) if op in _BINARY
            else _fcmp(fn, result, body) if op == "fcmp"
            else _to_fp(fn, op, result, body) if op in ("sitofp", "uitofp")
            else _from_fp(fn, op, result, body) if op in ("fptosi", "fptoui")
            else _resize(fn, op, result, body) if op in ("fpext", "fptrunc")
            else _intrinsic(fn, result, f"call {body}") if op == "call" and "@llvm." in body
            else False)


def _locations(lines: list[str]) -> dict[str, str]:
    """``!N`` → source line number, from the module's ``!DILocation`` metadata."""
    found: dict[str, str] = {}
    for line in lines:
        match = _LOCATION.match(line)
        if match:
            found[f"!{match.group(1)}"] = match.group(2)
    return found


def _where(line: str, source: str, locations: dict[str, str]) -> str:
    match = re.search(r"!dbg (!\d+)", line)
    if match and match.group(1) in locations:
        return f"{source}:{locations[match.group(1)]}"
    return source


def _leftovers(lines: list[str], source: str) -> Iterator[LegalizeError]:
    """Errors for FP operations the rewrite left (unsupported types)."""
    locations: dict[str, str] | None = None
    for line in lines:
        if not line.startswith(" "):
            continue
        found = _FP_OPS.search(line) or (_FP_TYPE.search(line) if "#dbg_" not in line else None)
        if found:
            locations = locations if locations is not None else _locations(lines)
            construct = _metadata(line.split(" = ", 1)[-1].strip())[0]
            yield LegalizeError(f"'{construct}'", _where(line, source, locations))


def _declaration(name: str, nargs: int) -> str:
    params = ", ".join(["i64"] * nargs)
    return f"declare i64 @{name}({params}) nounwind willreturn memory(none)"


def legalize(ir: str, source: str = "<source>", libc: Collection[str] = ()) -> str:
    """The module ``ir`` (LLVM IR text from clang for bpfel) with its FP arithmetic as calls.

    ``source`` names the program in errors; ``libc`` are the intrinsics a pointer may be taken to
    (:mod:`bpfvm.thunks`).  Raises :class:`LegalizeError` for a floating-point
    construct it cannot lower (the first one, with its source line when ``!dbg`` gives it).
    """
    fn = _Rewriter()
    for line in ir.splitlines():
        if not _rewrite(fn, line):
            fn.lines.append(line)
    for error in _leftovers(fn.lines, source):
        raise error
    fn.lines.extend(_declaration(name, n) for name, n in sorted(fn.declarations.items()))
    lowered = lower_memory_intrinsics(lower_aggregates(lower_dynamic_allocas(
        lower_overflow_multiply("\n".join(fn.lines) + "\n"))))
    return add_thunks(spill_arguments(lower_varargs(lowered)), libc)
