"""``<time.h>`` (C17 §7.27), ``clock_gettime`` and ``gettimeofday`` (POSIX) as intrinsics.

``time_t`` and ``clock_t`` are 64-bit; ``clock()`` counts the host process's CPU time since the
VM's C library state was created, in microseconds (``CLOCKS_PER_SEC`` is 1000000, as glibc).
``struct tm`` has glibc's LP64 layout.  The sandbox has no time zone database: local time is
UTC (``localtime`` is ``gmtime``, ``mktime`` is ``timegm``, ``%Z`` is "GMT" and ``%z`` "+0000"),
and ``strftime`` speaks the "C" locale.
"""

from __future__ import annotations

import datetime as dt
import errno as E
import struct
import time as host_time

from ..isa.arith import sext
from .state import Machine, arg_int, export, guest_string, set_errno, state

__all__ = ["CLOCKS_PER_SEC", "TM", "clock", "clock_gettime", "difftime", "gettimeofday", "gmtime", "mktime",
           "strftime", "time"]

#: ``struct tm``: nine ints (sec, min, hour, mday, mon, year-1900, wday, yday, isdst), padding,
#: ``long tm_gmtoff``, ``const char *tm_zone``.
TM = struct.Struct("<9i4xqQ")
_DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_EPOCH = dt.datetime(1970, 1, 1)

CLOCKS_PER_SEC = 1_000_000
_CLOCKS = {0: host_time.time_ns, 1: host_time.monotonic_ns, 2: host_time.process_time_ns,
           3: host_time.thread_time_ns, 4: host_time.monotonic_ns}


@export()
def time(vm: Machine, tloc: int) -> int:
    """Seconds since the Unix epoch; also stored at ``tloc`` unless it is NULL."""
    now = int(host_time.time())
    if tloc:
        vm.memory.store(tloc, 8, now, pc=vm.pc)
    return now


@export()
def clock(vm: Machine) -> int:
    """CPU time used, in ``1/CLOCKS_PER_SEC`` seconds."""
    return (host_time.process_time_ns() - state(vm).clock_start) // 1000


@export()
def clock_gettime(vm: Machine, clock_id: int, ts: int) -> int:
    """Fill ``struct timespec *ts`` from clock ``clock_id`` (REALTIME, MONOTONIC, PROCESS_CPUTIME,
    THREAD_CPUTIME, MONOTONIC_RAW); 0, or -1 with EINVAL for other clocks."""
    source = _CLOCKS.get(arg_int(clock_id))
    if source is None:
        set_errno(vm, E.EINVAL)
        return -1
    seconds, nanos = divmod(source(), 1_000_000_000)
    vm.memory.write(ts, struct.pack("<qq", seconds, nanos), pc=vm.pc)
    return 0


@export()
def gettimeofday(vm: Machine, tv: int, tz: int) -> int:
    """Fill ``struct timeval *tv`` (seconds, microseconds) with the wall clock; 0."""
    seconds, nanos = divmod(host_time.time_ns(), 1_000_000_000)
    if tv:
        vm.memory.write(tv, struct.pack("<qq", seconds, nanos // 1000), pc=vm.pc)
    if tz:
        vm.memory.write(tz, bytes(8), pc=vm.pc)
    return 0


@export()
def difftime(vm: Machine, end: int, start: int) -> int:
    """``end - start`` in seconds, as a double (returned in r0 as its bits)."""
    return struct.unpack("<q", struct.pack("<d", float(sext(end, 64) - sext(start, 64))))[0] & (2**64 - 1)


def _broken_down(t: int) -> tuple[int, ...] | None:
    """``struct tm`` fields for ``t`` seconds since the epoch (UTC), or None out of range."""
    try:
        when = _EPOCH + dt.timedelta(seconds=t)
    except OverflowError:
        return None
    return (when.second, when.minute, when.hour, when.day, when.month - 1, when.year - 1900,
            (when.weekday() + 1) % 7, when.timetuple().tm_yday - 1, 0)


def _store_tm(vm: Machine, addr: int, fields: tuple[int, ...]) -> None:
    vm.memory.write(addr, TM.pack(*fields, 0, guest_string(vm, "tzname", "GMT")), pc=vm.pc)


@export("gmtime_r", "localtime_r")
def gmtime_r(vm: Machine, timer: int, result: int) -> int:
    """Break ``*timer`` down (UTC) into ``*result``; ``result``, or NULL (EOVERFLOW)."""
    fields = _broken_down(sext(vm.memory.load(timer, 8), 64))
    if fields is None:
        set_errno(vm, E.EOVERFLOW)
        return 0
    _store_tm(vm, result, fields)
    return result


@export("gmtime", "localtime")
def gmtime(vm: Machine, timer: int) -> int:
    """``gmtime_r`` into the one static ``struct tm`` of this VM (local time is UTC here)."""
    static = guest_string(vm, "struct tm", "\0" * (TM.size - 1))
    return gmtime_r(vm, timer, static) if static else 0


@export("mktime", "timegm")
def mktime(vm: Machine, tm: int) -> int:
    """Seconds since the epoch of the (UTC) time in ``*tm``, whose fields may be out of range;
    normalises ``*tm`` as C says (wday and yday computed), or returns -1 (EOVERFLOW)."""
    sec, minute, hour, mday, mon, year = TM.unpack(vm.memory.read(tm, TM.size))[:6]
    years, mon = divmod(mon, 12)
    try:
        base = dt.datetime(1900 + year + years, mon + 1, 1)
    except (ValueError, OverflowError):
        set_errno(vm, E.EOVERFLOW)
        return -1
    seconds = int((base - _EPOCH).total_seconds()) + (mday - 1) * 86400 + hour * 3600 + minute * 60 + sec
    fields = _broken_down(seconds)
    if fields is None:
        set_errno(vm, E.EOVERFLOW)
        return -1
    _store_tm(vm, tm, fields)
    return seconds


def _iso_week(year: int, yday: int) -> tuple[int, int]:
    """ISO 8601 (year, week) of day ``yday`` (0-based) of ``year``."""
    iso = (dt.date(year, 1, 1) + dt.timedelta(days=yday)).isocalendar()
    return iso[0], iso[1]


def _conversion(c: str, f: tuple[int, ...]) -> str | None:
    """The text of ``%c`` for the broken-down time ``f`` (C locale), or None if unknown."""
    sec, minute, hour, mday, mon, year, wday, yday = f[:8]
    full = year + 1900
    simple: dict[str, object] = {
        "a": _DAYS[wday % 7][:3], "A": _DAYS[wday % 7], "b": _MONTHS[mon % 12][:3],
        "h": _MONTHS[mon % 12][:3],
        "B": _MONTHS[mon % 12], "C": f"{full // 100:02d}", "d": f"{mday:02d}", "e": f"{mday:2d}",
        "H": f"{hour:02d}", "I": f"{(hour % 12) or 12:02d}", "j": f"{yday + 1:03d}", "m": f"{mon + 1:02d}",
        "M": f"{minute:02d}", "n": "\n", "p": "AM" if hour < 12 else "PM", "S": f"{sec:02d}", "t": "\t",
        "u": str(wday or 7), "w": str(wday), "y": f"{full % 100:02d}", "Y": str(full), "z": "+0000",
        "Z": "GMT", "%": "%", "U": f"{(yday + 7 - wday) // 7:02d}",
        "W": f"{(yday + 7 - (wday + 6) % 7) // 7:02d}",
    }
    if c in simple:
        return str(simple[c])
    composite = {"c": "%a %b %e %H:%M:%S %Y", "D": "%m/%d/%y", "F": "%Y-%m-%d", "r": "%I:%M:%S %p",
                 "R": "%H:%M", "T": "%H:%M:%S", "x": "%m/%d/%y", "X": "%H:%M:%S"}
    if c in composite:
        return _format_time(composite[c], f)
    if c in "GgV":
        iso_year, week = _iso_week(full, yday)
        return {"G": str(iso_year), "g": f"{iso_year % 100:02d}", "V": f"{week:02d}"}[c]
    if c == "s":
        return str(int((dt.datetime(full, mon + 1, mday, hour, minute, sec) - _EPOCH).total_seconds()))
    return None


def _format_time(fmt: str, f: tuple[int, ...]) -> str:
    out, i = [], 0
    while i < len(fmt):
        if fmt[i] != "%" or i + 1 == len(fmt):
            out.append(fmt[i])
            i += 1
            continue
        j = i + 1
        while j < len(fmt) - 1 and fmt[j] in "EO":  # C99's alternative forms: the same in "C"
            j += 1
        text = _conversion(fmt[j], f)
        out.append(fmt[i:j + 1] if text is None else text)
        i = j + 1
    return "".join(out)


@export()
def strftime(vm: Machine, buf: int, size: int, fmt: int, tm: int) -> int:
    """Format ``*tm`` by ``fmt`` (C locale) into ``buf``; the length, or 0 if it does not fit."""
    fields = TM.unpack(vm.memory.read(tm, TM.size))[:9]
    try:
        text = _format_time(vm.memory.cstring(fmt, pc=vm.pc).decode("latin-1"), fields).encode("latin-1")
    except (ValueError, OverflowError, IndexError):
        return 0
    if len(text) + 1 > size:
        return 0
    vm.memory.write(buf, text + b"\0", pc=vm.pc)
    return len(text)
