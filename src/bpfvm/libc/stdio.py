"""``<stdio.h>`` (C17 §7.21) as intrinsics: streams, the printf family, sandboxed files.

A guest ``FILE *`` is a small integer handle, never a guest address (dereferencing one traps in
the guard page): ``stdin``, ``stdout`` and ``stderr`` are 1, 2 and 3 (the header defines them so),
streams from ``fopen`` are numbered from 4 on and never reused within a VM.  A handle that is not
open makes the call fail with ``EBADF`` instead of crashing.  ``stdout`` is flushed at each
newline, ``stderr`` at each write, files when closed or flushed.

The printf family is reached two ways.  ``<stdio.h>`` defines ``printf(fmt, ...)`` as a macro that
packs up to 16 arguments into an ``unsigned long long`` array and calls ``__bpfvm_printf(fmt,
argv, nargs)`` (likewise ``__bpfvm_fprintf``, ``__bpfvm_sprintf``, ``__bpfvm_snprintf``,
``__bpfvm_dprintf``); a program that declares ``printf`` itself calls the plain intrinsic, whose
variadic arguments are whatever registers the call left in r2–r5.  Formatting is
:mod:`bpfvm.libc.printf`.

Files are opened only inside ``vm.fs`` (see :mod:`bpfvm.libc.sandbox`).
"""

from __future__ import annotations

import contextlib
import errno as E
import itertools
import os
import stat as stat_module
import struct
import tempfile
from collections.abc import Sequence
from typing import BinaryIO, cast, overload

from .printf import FormatError, Formatter
from .sandbox import beneath, open_file, resolve
from .state import Machine, arg_int, arg_long, export, get_errno, guest_string, set_errno, state
from .stream import Stream
from .string import strerror_text, strn

__all__ = [
    "EOF", "MAX_OPEN_FILES", "MAX_PRINTF_ARGS", "STDERR", "STDIN", "STDOUT", "Stream", "bpfvm_dprintf",
    "bpfvm_fprintf", "bpfvm_printf", "bpfvm_snprintf", "bpfvm_sprintf", "clearerr", "close_files",
    "dprintf", "fclose", "feof", "ferror", "fflush", "fgetc", "fgets", "fileno", "flush_all", "fopen",
    "fprintf", "fputc", "fputs", "fread", "freopen", "fseek", "ftell", "fwrite", "getchar", "getline",
    "perror", "printf", "putchar", "puts", "remove", "rename", "rewind", "setbuf", "setvbuf", "snprintf",
    "sprintf", "stream", "tmpfile", "tmpnam", "ungetc", "vdprintf", "vfprintf", "vprintf", "vsnprintf",
    "vsprintf",
]

EOF = -1
STDIN, STDOUT, STDERR = 1, 2, 3
#: The most arguments the printf macros pack (the header's limit).
MAX_PRINTF_ARGS = 16
#: A ``va_list`` gives no count: the formatter may read this many slots from it.
VA_LIST_SLOTS = 1 << 16
_STD = {STDIN: "stdin", STDOUT: "stdout", STDERR: "stderr"}
_SEEK = {0: os.SEEK_SET, 1: os.SEEK_CUR, 2: os.SEEK_END}


def stream(vm: Machine, handle: int) -> Stream | None:
    """The open stream behind ``FILE *`` ``handle``, or None (errno ``EBADF`` set)."""
    st = state(vm)
    found = st.streams.get(handle)
    if found is None and handle in _STD and handle not in st.closed_std:
        found = st.streams[handle] = Stream(getattr(vm, _STD[handle]), handle == STDIN, handle != STDIN,
                                            owned=False, buffering="line" if handle == STDOUT else "none",
                                            owner=vm)
    if found is not None and handle in _STD and not found.owned:
        found.file = getattr(vm, _STD[handle])  # follow reassignment of vm.stdout and friends
    if found is None:
        set_errno(vm, E.EBADF)
    return found


def flush_all(vm: Machine) -> None:
    """Flush every open stream of ``vm`` (``fflush(NULL)``; also what ``exit`` does)."""
    for handle in list(state(vm).streams):
        s = stream(vm, handle)
        if s is not None:
            s.flush()


# -- opening and closing --------------------------------------------------------------------------

_MODES = {b"r": "rb", b"w": "wb", b"a": "ab", b"r+": "r+b", b"w+": "w+b", b"a+": "a+b"}


def _host_mode(mode: bytes) -> str | None:
    """The Python ``open`` mode for a C ``fopen`` mode (``b`` and ``e`` ignored), or None."""
    core = mode[:1] + (b"+" if b"+" in mode[1:] else b"")
    host = _MODES.get(core)
    if host is None or mode[1:].strip(b"+bex"):
        return None
    return host.replace("w", "x") if b"x" in mode[1:] and core[:1] == b"w" else host


@export()
def fopen(vm: Machine, path: int, mode: int) -> int:
    """Open a file inside the sandbox; its ``FILE *`` handle, or 0 with errno set."""
    host_mode = _host_mode(vm.memory.cstring(mode, pc=vm.pc))
    if host_mode is None:
        set_errno(vm, E.EINVAL)
        return 0
    try:
        file = open_file(vm.fs, os.fsdecode(vm.memory.cstring(path, pc=vm.pc)), host_mode)
    except OSError as exc:
        set_errno(vm, exc.errno or E.EIO)
        return 0
    update = "+" in host_mode
    return _register(vm, Stream(file, host_mode[0] == "r" or update, host_mode[0] != "r" or update,
                                owner=vm))


#: Host files a VM's guest may have open at once (its ``RLIMIT_NOFILE``): more fail with
#: ``EMFILE``, so a guest cannot exhaust the host process's descriptors.
MAX_OPEN_FILES = 256
#: FILE handles are small integers below this (inside the unmapped guard page), reused once closed.
_HANDLE_END = 0x10000


def _open(vm: Machine, path: int, mode: int) -> Stream | None:
    """A new stream for ``fopen(path, mode)`` inside the sandbox, or None with errno set."""
    host_mode = _host_mode(vm.memory.cstring(mode, pc=vm.pc))
    if host_mode is None:
        set_errno(vm, E.EINVAL)
        return None
    try:
        file = open_file(vm.fs, os.fsdecode(vm.memory.cstring(path, pc=vm.pc)), host_mode)
    except OSError as exc:
        set_errno(vm, exc.errno or E.EIO)
        return None
    update = "+" in host_mode
    return Stream(file, host_mode[0] == "r" or update, host_mode[0] != "r" or update, owner=vm)


@export()
def freopen(vm: Machine, path: int, mode: int, f: int) -> int:
    """Close ``f`` and open ``path`` in its place (the same handle, standard streams too); ``f``,
    or NULL with errno set (``f`` is closed then).  A NULL ``path`` (change the mode only) keeps
    the stream as it is: binary and text modes are the same here."""
    old = stream(vm, f)
    if old is None:
        return 0
    if not path:
        return f if _host_mode(vm.memory.cstring(mode, pc=vm.pc)) is not None else 0
    old.flush()
    if old.owned:
        old._io(old.file.close, True)
    st = state(vm)
    del st.streams[f]
    new = _open(vm, path, mode)
    if new is None:
        if f in _STD:
            st.closed_std.add(f)
        return 0
    st.streams[f] = new
    st.closed_std.discard(f)
    return f


@export()
def tmpfile(vm: Machine) -> int:
    """A new anonymous file opened "w+b", removed when closed; NULL with errno on failure."""
    try:
        file = cast(BinaryIO, tempfile.TemporaryFile(prefix="bpfvm-"))  # noqa: SIM115 - closed by fclose
    except OSError as exc:
        set_errno(vm, exc.errno or E.EIO)
        return 0
    return _register(vm, Stream(file, True, True, owner=vm))


_TMPNAMES = itertools.count()
#: ``L_tmpnam`` in <stdio.h>: room for the names :func:`tmpnam` makes.
L_TMPNAM = 64


@export()
def tmpnam(vm: Machine, buf: int) -> int:
    """A file name that does not exist yet, inside the first granted directory (``vm.fs``):
    written to ``buf`` (``L_tmpnam`` bytes) or a static buffer; NULL without a grant."""
    for guest in vm.fs:
        while True:
            name = f"{guest.rstrip('/')}/tmp.bpfvm.{os.getpid()}.{next(_TMPNAMES)}"
            if len(name) < L_TMPNAM and not os.path.exists(resolve(vm.fs, name)):
                break
        if not buf:
            return _tmp_static(vm, name)
        vm.memory.write(buf, name.encode() + b"\0", pc=vm.pc)
        return buf
    set_errno(vm, E.EACCES)
    return 0


def _tmp_static(vm: Machine, name: str) -> int:
    static = guest_string(vm, "tmpnam", "\0" * (L_TMPNAM - 1))
    vm.memory.write(static, name.encode() + b"\0", pc=vm.pc)
    return static


_BUFFERING = {0: "full", 1: "line", 2: "none"}


@export()
def setvbuf(vm: Machine, f: int, buf: int, mode: int, size: int) -> int:
    """Set when ``f`` flushes (``_IOFBF``, ``_IOLBF``, ``_IONBF``); 0, or nonzero for a bad mode
    or stream.  The host buffers the data, so ``buf`` and ``size`` are not used."""
    s = stream(vm, f)
    policy = _BUFFERING.get(arg_int(mode))
    if s is None or policy is None:
        return -1
    s.buffering = policy
    return 0


@export()
def setbuf(vm: Machine, f: int, buf: int) -> None:
    """``setvbuf(f, buf, buf ? _IOFBF : _IONBF, BUFSIZ)``."""
    setvbuf(vm, f, buf, 0 if buf else 2, 8192)


def _register(vm: Machine, s: Stream) -> int:
    st = state(vm)
    if sum(1 for other in st.streams.values() if other.owned) >= MAX_OPEN_FILES:
        s.file.close()
        set_errno(vm, E.EMFILE)
        return 0
    handle = st.next_handle
    while handle in st.streams or handle in _STD:
        handle = handle + 1 if handle + 1 < _HANDLE_END else STDERR + 1
    st.next_handle = handle + 1 if handle + 1 < _HANDLE_END else STDERR + 1
    st.streams[handle] = s
    return handle


def close_files(vm: Machine) -> None:
    """Close every file the guest opened (what the end of a process does to its descriptors);
    the standard streams stay."""
    st = state(vm)
    for handle, s in list(st.streams.items()):
        if s.owned:
            del st.streams[handle]
            try:
                s.file.close()
            except OSError:
                pass


@export()
def fclose(vm: Machine, f: int) -> int:
    """Flush and close a stream; 0, or EOF if flushing failed or ``f`` was not open."""
    s = stream(vm, f)
    if s is None:
        return EOF
    st = state(vm)
    del st.streams[f]
    if not s.owned:
        st.closed_std.add(f)
        return 0 if s.flush() else EOF
    flushed = s.flush()
    s._io(s.file.close, True)
    return 0 if flushed else EOF


@export()
def fflush(vm: Machine, f: int) -> int:
    """Flush ``f``, or every stream when ``f`` is NULL; 0, or EOF on error."""
    if f == 0:
        flush_all(vm)
        return 0
    s = stream(vm, f)
    if s is None:
        return EOF
    return 0 if s.flush() else EOF


@export()
def fileno(vm: Machine, f: int) -> int:
    """The descriptor number of a stream: 0, 1, 2 for the standard ones, else 3 and up."""
    return -1 if stream(vm, f) is None else f - 1


# -- characters and lines -------------------------------------------------------------------------

@export("fgetc", "getc")
def fgetc(vm: Machine, f: int) -> int:
    """The next byte of ``f`` as an unsigned char, or EOF at end of file or on error."""
    s = stream(vm, f)
    data = s.read(1) if s is not None else b""
    return data[0] if data else EOF


@export()
def getchar(vm: Machine) -> int:
    """``fgetc(stdin)``."""
    return fgetc(vm, STDIN)


@export()
def ungetc(vm: Machine, c: int, f: int) -> int:
    """Push ``(unsigned char)c`` back onto ``f``; ``c``, or EOF if ``c`` is EOF."""
    s = stream(vm, f)
    if s is None or arg_int(c) == EOF:
        return EOF
    s.pushback.insert(0, c & 0xFF)
    s.eof = False
    return c & 0xFF


@export()
def fgets(vm: Machine, buf: int, n: int, f: int) -> int:
    """Read a line of at most ``n - 1`` bytes into ``buf`` (NUL-terminated); ``buf``, or 0 if
    nothing was read before end of file or an error."""
    s = stream(vm, f)
    size = arg_int(n)
    if s is None or size <= 0:
        return 0
    vm.memory.check(buf, size, write=True, pc=vm.pc)
    line = s.readline(size - 1) if size > 1 else b""
    if not line and (size > 1 or s.error):
        return 0
    vm.memory.write(buf, line + b"\0", pc=vm.pc)
    return buf


@export("fputc", "putc")
def fputc(vm: Machine, c: int, f: int) -> int:
    """Write ``(unsigned char)c`` to ``f``; the byte written, or EOF on error."""
    s = stream(vm, f)
    return c & 0xFF if s is not None and s.write(bytes([c & 0xFF])) else EOF


@export()
def putchar(vm: Machine, c: int) -> int:
    """``fputc(c, stdout)``."""
    return fputc(vm, c, STDOUT)


@export()
def fputs(vm: Machine, text: int, f: int) -> int:
    """Write the string ``text`` to ``f``; 1 (glibc's non-negative value), or EOF on error."""
    data = vm.memory.cstring(text, 1 << 31, pc=vm.pc)
    s = stream(vm, f)
    return 1 if s is not None and s.write(data) == len(data) else EOF


@export()
def puts(vm: Machine, text: int) -> int:
    """Write the string ``text`` and a newline to stdout; bytes written, or EOF on error."""
    data = vm.memory.cstring(text, 1 << 31, pc=vm.pc) + b"\n"
    s = stream(vm, STDOUT)
    return len(data) if s is not None and s.write(data) else EOF


@export()
def getline(vm: Machine, lineptr: int, n: int, f: int) -> int:
    """POSIX getline: read a whole line into ``*lineptr`` (malloc/realloc'd, size in ``*n``);
    its length, or -1 at end of file or on error."""
    s = stream(vm, f)
    mem = vm.memory
    if s is None or not lineptr or not n:
        set_errno(vm, E.EINVAL)
        return -1
    line = s.readline(1 << 30)
    if not line:
        return -1
    buf, size = mem.load(lineptr, 8, pc=vm.pc), mem.load(n, 8, pc=vm.pc)
    if size < len(line) + 1 or not buf:
        size = max(120, len(line) + 1)
        buf = vm.heap.realloc(buf, size, pc=vm.pc)
        if not buf:
            set_errno(vm, E.ENOMEM)
            return -1
        mem.store(lineptr, 8, buf, pc=vm.pc)
        mem.store(n, 8, size, pc=vm.pc)
    mem.write(buf, line + b"\0", pc=vm.pc)
    return len(line)


# -- blocks and positioning -----------------------------------------------------------------------

@export()
def fread(vm: Machine, ptr: int, size: int, count: int, f: int) -> int:
    """Read up to ``count`` items of ``size`` bytes into ``ptr``; the number of whole items read."""
    s = stream(vm, f)
    if s is None or not size or not count:
        return 0
    vm.memory.check(ptr, size * count, write=True, pc=vm.pc)
    data = s.read(size * count)
    if data:
        vm.memory.write(ptr, data, pc=vm.pc)
    return len(data) // size


@export()
def fwrite(vm: Machine, ptr: int, size: int, count: int, f: int) -> int:
    """Write ``count`` items of ``size`` bytes from ``ptr``; the number of whole items written."""
    s = stream(vm, f)
    if s is None or not size or not count:
        return 0
    return s.write(vm.memory.read(ptr, size * count, pc=vm.pc)) // size


@export()
def fseek(vm: Machine, f: int, offset: int, whence: int) -> int:
    """Set the position of ``f`` (``SEEK_SET``/``SEEK_CUR``/``SEEK_END``); 0, or -1 with errno."""
    s = stream(vm, f)
    how = _SEEK.get(arg_int(whence))
    if s is None or how is None:
        set_errno(vm, E.EINVAL if s is not None else E.EBADF)
        return -1
    delta = arg_long(offset) - (len(s.pushback) if how == os.SEEK_CUR else 0)
    try:
        if s.writable:
            s.file.flush()
        s.file.seek(delta, how)
    except (OSError, ValueError) as exc:
        set_errno(vm, getattr(exc, "errno", None) or E.ESPIPE)
        return -1
    s.pushback.clear()
    s.eof = False
    return 0


@export()
def ftell(vm: Machine, f: int) -> int:
    """The position of ``f``, or -1 with errno."""
    s = stream(vm, f)
    if s is None:
        return -1
    try:
        return s.file.tell() - len(s.pushback)
    except (OSError, ValueError):
        set_errno(vm, E.ESPIPE)
        return -1


@export()
def rewind(vm: Machine, f: int) -> None:
    """``fseek(f, 0, SEEK_SET)`` and clear the error flag."""
    fseek(vm, f, 0, 0)
    s = stream(vm, f)
    if s is not None:
        s.error = False


@export()
def feof(vm: Machine, f: int) -> int:
    """Nonzero if the end-of-file flag of ``f`` is set."""
    s = stream(vm, f)
    return int(s is not None and s.eof)


@export()
def ferror(vm: Machine, f: int) -> int:
    """Nonzero if the error flag of ``f`` is set."""
    s = stream(vm, f)
    return int(s is not None and s.error)


@export()
def clearerr(vm: Machine, f: int) -> None:
    """Clear the end-of-file and error flags of ``f``."""
    s = stream(vm, f)
    if s is not None:
        s.eof = s.error = False


# -- files by name --------------------------------------------------------------------------------

def _path_op(vm: Machine, op: str, *paths: int) -> int:
    try:
        names = [os.fsdecode(vm.memory.cstring(p, pc=vm.pc)) for p in paths]
        with contextlib.ExitStack() as stack:
            (fd, name), *rest = [stack.enter_context(beneath(vm.fs, n)) for n in names]
            if op == "remove":
                is_dir = stat_module.S_ISDIR(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode)
                (os.rmdir if is_dir else os.remove)(name, dir_fd=fd)
            else:
                os.rename(name, rest[0][1], src_dir_fd=fd, dst_dir_fd=rest[0][0])
    except OSError as exc:
        set_errno(vm, exc.errno or E.EIO)
        return -1
    return 0


@export()
def remove(vm: Machine, path: int) -> int:
    """Delete a file (or empty directory) inside the sandbox; 0, or -1 with errno."""
    return _path_op(vm, "remove", path)


@export()
def rename(vm: Machine, old: int, new: int) -> int:
    """Rename a file inside the sandbox; 0, or -1 with errno."""
    return _path_op(vm, "rename", old, new)


@export()
def perror(vm: Machine, text: int) -> None:
    """Write ``"text: <strerror(errno)>\\n"`` (just the message if ``text`` is NULL or empty)."""
    message = strerror_text(get_errno(vm)).encode() + b"\n"
    prefix = vm.memory.cstring(text, pc=vm.pc) if text else b""
    s = stream(vm, STDERR)
    if s is not None:
        s.write(prefix + b": " + message if prefix else message)


# -- the printf family ----------------------------------------------------------------------------

def _formatter(vm: Machine) -> Formatter:
    def read_string(addr: int, limit: int | None) -> bytes:
        return vm.memory.cstring(addr, 1 << 31, pc=vm.pc) if limit is None else strn(vm, addr, limit)

    def store(addr: int, size: int, value: int) -> None:
        vm.memory.store(addr, size, value, pc=vm.pc)

    return Formatter(read_string, store, lambda: strerror_text(get_errno(vm)))


def _packed(vm: Machine, argv: int, nargs: int) -> Sequence[int]:
    count = arg_int(nargs)
    if count <= 0:
        return ()
    if count <= MAX_PRINTF_ARGS:
        return struct.unpack(f"<{count}Q", vm.memory.read(argv, 8 * count, pc=vm.pc))
    return _Slots(vm, argv, count)


class _Slots(Sequence[int]):
    """Arguments in 8-byte slots of guest memory (a ``va_list``), read only when a conversion
    takes them: a ``va_list`` does not say how many there are."""

    def __init__(self, vm: Machine, base: int, count: int = VA_LIST_SLOTS) -> None:
        self.vm, self.base, self.size = vm, base, count

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[int]: ...

    def __getitem__(self, index: int | slice) -> int | Sequence[int]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.size))]
        if not 0 <= index < self.size:
            raise IndexError(index)
        return self.vm.memory.load(self.base + 8 * index, 8, pc=self.vm.pc)


def _format(vm: Machine, fmt: int, args: Sequence[int]) -> bytes | None:
    try:
        return _formatter(vm).format(vm.memory.cstring(fmt, 1 << 31, pc=vm.pc), args)
    except FormatError:
        set_errno(vm, E.EINVAL)
        return None


def _print(vm: Machine, f: int, fmt: int, args: Sequence[int]) -> int:
    s = stream(vm, f)
    text = _format(vm, fmt, args)
    if s is None or text is None:
        return -1
    return len(text) if s.write(text) == len(text) else -1


def _store_string(vm: Machine, buf: int, size: int | None, fmt: int, args: Sequence[int]) -> int:
    text = _format(vm, fmt, args)
    if text is None:
        return -1
    if size is None:
        vm.memory.write(buf, text + b"\0", pc=vm.pc)
    elif size > 0:
        vm.memory.write(buf, text[:size - 1] + b"\0", pc=vm.pc)
    return len(text)


def _dprint(vm: Machine, fd: int, fmt: int, args: Sequence[int]) -> int:
    fd = arg_int(fd)
    if fd not in (1, 2):
        set_errno(vm, E.EBADF)
        return -1
    return _print(vm, fd + 1, fmt, args)


@export("__bpfvm_printf")
def bpfvm_printf(vm: Machine, fmt: int, argv: int, nargs: int) -> int:
    """``printf`` with packed arguments: bytes written, or -1."""
    return _print(vm, STDOUT, fmt, _packed(vm, argv, nargs))


@export("__bpfvm_fprintf")
def bpfvm_fprintf(vm: Machine, f: int, fmt: int, argv: int, nargs: int) -> int:
    """``fprintf`` with packed arguments: bytes written, or -1."""
    return _print(vm, f, fmt, _packed(vm, argv, nargs))


@export("__bpfvm_dprintf")
def bpfvm_dprintf(vm: Machine, fd: int, fmt: int, argv: int, nargs: int) -> int:
    """``dprintf`` with packed arguments (descriptors 1 and 2): bytes written, or -1."""
    return _dprint(vm, fd, fmt, _packed(vm, argv, nargs))


@export("__bpfvm_sprintf")
def bpfvm_sprintf(vm: Machine, buf: int, fmt: int, argv: int, nargs: int) -> int:
    """``sprintf`` with packed arguments: the length of the string stored at ``buf``."""
    return _store_string(vm, buf, None, fmt, _packed(vm, argv, nargs))


@export("__bpfvm_snprintf")
def bpfvm_snprintf(vm: Machine, buf: int, size: int, fmt: int, argv: int, nargs: int) -> int:
    """``snprintf`` with packed arguments: stores at most ``size - 1`` bytes and a NUL; returns
    the length the whole output would have had."""
    return _store_string(vm, buf, size, fmt, _packed(vm, argv, nargs))


@export()
def printf(vm: Machine, fmt: int, *args: int) -> int:
    """``printf`` called as a real variadic function: its arguments are r2–r5."""
    return _print(vm, STDOUT, fmt, args)


@export()
def fprintf(vm: Machine, f: int, fmt: int, *args: int) -> int:
    """``fprintf`` called as a real variadic function: its arguments are r3–r5."""
    return _print(vm, f, fmt, args)


@export()
def dprintf(vm: Machine, fd: int, fmt: int, *args: int) -> int:
    """``dprintf`` called as a real variadic function: its arguments are r3–r5."""
    return _dprint(vm, fd, fmt, args)


@export()
def sprintf(vm: Machine, buf: int, fmt: int, *args: int) -> int:
    """``sprintf`` called as a real variadic function: its arguments are r3–r5."""
    return _store_string(vm, buf, None, fmt, args)


@export()
def snprintf(vm: Machine, buf: int, size: int, fmt: int, *args: int) -> int:
    """``snprintf`` called as a real variadic function: its arguments are r4–r5."""
    return _store_string(vm, buf, size, fmt, args)



# -- the vprintf family: a va_list is the address of the next 8-byte argument slot (bpfvm.cc.varargs) --

@export()
def vprintf(vm: Machine, fmt: int, ap: int) -> int:
    """``vprintf``: the arguments are the slots ``ap`` points to."""
    return _print(vm, STDOUT, fmt, _Slots(vm, ap))


@export()
def vfprintf(vm: Machine, f: int, fmt: int, ap: int) -> int:
    """``vfprintf``: the arguments are the slots ``ap`` points to."""
    return _print(vm, f, fmt, _Slots(vm, ap))


@export()
def vdprintf(vm: Machine, fd: int, fmt: int, ap: int) -> int:
    """``vdprintf`` (descriptors 1 and 2)."""
    return _dprint(vm, fd, fmt, _Slots(vm, ap))


@export()
def vsprintf(vm: Machine, buf: int, fmt: int, ap: int) -> int:
    """``vsprintf``: the length of the string stored at ``buf``."""
    return _store_string(vm, buf, None, fmt, _Slots(vm, ap))


@export()
def vsnprintf(vm: Machine, buf: int, size: int, fmt: int, ap: int) -> int:
    """``vsnprintf``: stores at most ``size - 1`` bytes and a NUL; returns the whole length."""
    return _store_string(vm, buf, size, fmt, _Slots(vm, ap))
