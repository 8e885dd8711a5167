"""BPF backend failures explained: clang's messages → the source line and what to change.

When the backend rejects the legalised IR (see :mod:`bpfvm.toolchain`), clang reports it as
``error: FILE:LINE:COL: in function NAME TYPE: MESSAGE`` — or ``<unknown>:0:0`` / line 0 when
the failing node has no debug location (a stack frame too large) — or, for what instruction
selection cannot match, as a crash (``fatal error: error in backend: Cannot select: …``) whose
dump names a location or the function.  :func:`explain` turns each into
``FILE:LINE: in function NAME: <what is wrong>: <what to change>``, finding a missing line
through the function's ``DISubprogram`` in the IR (its ``!dbg`` metadata), and keeps clang's own
words after it.  Messages it does not know keep clang's text, with the location it could find.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["Failure", "explain", "failures"]

_IN_FUNCTION = re.compile(r"^error: (?P<where>\S+?):(?P<line>\d+):\d+: in function (?P<function>\S+) "
                          r"[^:]*\(.*?\): (?P<message>.*)$")
_CANNOT_SELECT = re.compile(r"^(?:fatal error: error in backend|LLVM ERROR): (?P<message>.*)$")
_LOCATION = re.compile(r", (?P<where>[^\s,]+):(?P<line>[1-9]\d*):\d+$")
_CRASH_FUNCTION = re.compile(r"^In function: (?P<function>\S+)|on function '@(?P<quoted>[^']+)'")
_SUBPROGRAM = re.compile(r'^!(\d+) = distinct !DISubprogram\(name: "(?P<name>[^"]*)",.*?'
                         r'file: !(?P<file>\d+), line: (?P<line>\d+)')
_FILE = re.compile(r'^!(\d+) = !DIFile\(filename: "(?P<name>[^"]*)"')
_DEFINE_DBG = re.compile(r"^define [^@]*@(?P<name>[-\w$.]+|\"[^\"]*\")\(.*\)[^{]*!dbg !(?P<id>\d+)")

_ADVICE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"stack limit is exceeded"),
     "its stack frame is larger than the {stack} bytes it was compiled for: compile with a larger "
     "limit, at most 32768 (bpfvm cc {source} -mllvm -bpf-stack-size=N, or compile(…, "
     "stack_size=N); run with "
     "bpfvm run --stack-size N / VM(stack_size=N) when N > 16384), or make large local arrays "
     "static or allocate them with malloc"),
    (re.compile(r"dynamic stack allocation"),
     "variable-length arrays and alloca() with a size known only at run time are not supported "
     "on BPF: use a fixed-size array or malloc/free"),
    (re.compile(r"built-in function '__(?:mul|div|udiv|mod|umod|ashl|ashr|lshr|pop|ffs|clz|ctz)ti\d'"
                r"|only small returns supported"),
     "128-bit integer arithmetic (__int128) needs libgcc functions bpfvm does not have: use "
     "64-bit integers (or split the value into two 64-bit halves)"),
    (re.compile(r"built-in function '(?P<name>[^']+)' is not supported"),
     "the compiler lowered this to a call of the runtime function '{name}', which bpfvm does not "
     "provide: rewrite the expression (or call a libc function explicitly)"),
    (re.compile(r"unsupported atomic operation"),
     "atomic operations on 8- and 16-bit values are not supported on BPF: make the variable 32 "
     "or 64 bits wide"),
    (re.compile(r"Cannot select: .*\bbrind\b"),
     "computed goto (goto *ptr, &&label) is not supported: use a switch"),
    (re.compile(r"Cannot select: .*\bAtomic"),
     "this atomic operation is not supported on BPF: use a 32- or 64-bit __atomic/__sync "
     "add, and, or, xor, exchange or compare-exchange"),
    (re.compile(r"Cannot select"),
     "the BPF backend has no instruction for this construct: rewrite it with simpler operations"),
    (re.compile(r"pass by value not supported|aggregate returns|too many arg|VarArgs or StructRet"),
     "bpfvm could not rewrite this call for BPF: pass the struct by pointer"),
)


@dataclass(frozen=True)
class Failure:
    """One backend failure: where (``file:line`` when known), in which function, and clang's message."""

    where: str
    function: str
    message: str

    def explained(self, stack: int, source: str) -> str:
        """``where: in function f: <advice>`` followed by clang's message."""
        for pattern, advice in _ADVICE:
            match = pattern.search(self.message)
            if match:
                text = advice.format(stack=stack, source=source, **match.groupdict())
                return f"{self.where}: in function {self.function}: {text}\n  (clang: {self.message})"
        return f"{self.where}: in function {self.function}: {self.message}"


@dataclass
class _Debug:
    """Function name → ``file:line`` of its definition, from the IR's debug metadata."""

    functions: dict[str, str]

    @classmethod
    def of(cls, ir: str, source: str) -> _Debug:
        files, programs, defined = {}, {}, {}
        for line in ir.splitlines():
            if line.startswith("!"):
                if match := _FILE.match(line):
                    files[match.group(1)] = match["name"]
                elif match := _SUBPROGRAM.match(line):
                    programs[match.group(1)] = (match["file"], match["line"])
            elif line.startswith("define ") and (match := _DEFINE_DBG.match(line)):
                defined[match["name"].strip('"')] = match["id"]
        functions = {}
        for name, ident in defined.items():
            if ident in programs:
                file, number = programs[ident]
                functions[name] = f"{_file_name(files.get(file), source)}:{number}"
        return cls(functions)

    def where(self, function: str, fallback: str) -> str:
        return self.functions.get(function, fallback)


def _file_name(name: str | None, source: str) -> str:
    """The DWARF file name, or ``source`` for text compiled from stdin (which ``zig cc`` copies
    to a ``…-stdin.c`` file in its cache)."""
    if name is None or name in ("-", "<stdin>") or name.endswith("-stdin.c"):
        return source
    # clang names a file under its working directory relative to it: show the path as given.
    if not name.startswith("/") and source.endswith("/" + name):
        return source
    return name


def failures(stderr: str, ir: str, source: str) -> Iterator[Failure]:
    """The backend failures in clang's ``stderr`` for the module ``ir`` (compiled as ``source``)."""
    debug: _Debug | None = None
    lines = stderr.splitlines()
    for i, line in enumerate(lines):
        if match := _IN_FUNCTION.match(line):
            where = f"{_file_name(match['where'], source)}:{match['line']}"
            if match["where"] == "<unknown>" or match["line"] == "0":
                debug = debug or _Debug.of(ir, source)
                where = debug.where(match["function"], source)
            yield Failure(where, match["function"], match["message"].strip())
        elif match := _CANNOT_SELECT.match(line):
            debug = debug or _Debug.of(ir, source)
            yield _crash(match["message"].strip(), lines[i + 1:], debug, source)


def _crash(message: str, after: list[str], debug: _Debug, source: str) -> Failure:
    """A failure clang reports as a crash: the location is in the node dump, or the function."""
    function, where = "?", ""
    for line in after:
        if not where and (found := _LOCATION.search(line)):
            where = f"{_file_name(found['where'], source)}:{found['line']}"
        if function == "?" and (named := _CRASH_FUNCTION.search(line)):
            function = named["function"] or named["quoted"]
    if (found := _LOCATION.search(message)) and not where:
        where = f"{_file_name(found['where'], source)}:{found['line']}"
    return Failure(where or debug.where(function, source), function, message.split(", ")[0])


def explain(stderr: str, ir: str, source: str, stack: int) -> str | None:
    """clang's ``stderr`` rewritten as explained failures (one per distinct failure), or None if
    it holds no backend failure.  ``stack`` is the frame limit the module was compiled with."""
    seen: list[str] = []
    places: set[tuple[str, str]] = set()
    for failure in failures(stderr, ir, source):
        text = failure.explained(stack, source)
        if text not in seen and (failure.where, failure.function) not in places:
            seen.append(text)
            places.add((failure.where, failure.function))
    return "\n".join(seen) if seen else None
