"""``bpfvm.BPF``: the Python API of bcc (and what libbpf users expect of a loaded object), in bpfvm.

::

    b = bpfvm.BPF(text=C_SOURCE)          # or src_file="prog.bpf.c", or obj="prog.o"
    b.attach_tracepoint(tp="syscalls:sys_enter_write", fn_name="count_write")
    b.emit("syscalls:sys_enter_write", events.syscall_enter(1, [1, 0, 300]))   # the host fires
    b["write_sizes"].print_log2_hist("byte_size")
    b["events"].open_ring_buffer(callback); b.ring_buffer_poll()
    b.trace_print()                       # bpf_trace_printk output, trace_pipe's format
    b.test_run("xdp_prog", data=packet)   # BPF_PROG_TEST_RUN semantics

The C source is compiled by the bundled clang as a kernel program (libbpf's headers, bpfvm's
``bpfvm_kernel.h``), loaded, and run in one VM (``b.vm``) whose maps ``b[name]`` shows as a
:class:`Table`.  There is no kernel to attach to: ``attach_*`` records which program handles an
event, and :meth:`BPF.emit` (the host's "the event happened") runs them.  The histogram printers
reproduce bcc's ``print_log2_hist`` / ``print_linear_hist`` output character for character.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from ..errors import ProgramError
from ..program import Program

__all__ = ["BPF", "Table", "log2_hist_lines", "linear_hist_lines"]

_STARS_MAX = 40


def _stars(value: int, value_max: int, width: int) -> str:
    text, i = "", 0
    while not (i > (width * value / value_max) - 1 or i > width - 1):
        text += "*"
        i += 1
    return text[:-1] + "+" if value > value_max else text


def log2_hist_lines(values: Sequence[int], val_type: str = "value",
                    strip_leading_zero: bool = False) -> list[str]:
    """bcc's ``print_log2_hist`` for bucket counts ``values`` (bucket i: [2**(i-1), 2**i - 1],
    as ``bpf_log2l(v) + 1`` fills them; bucket 0 is not printed)."""
    idx_max = max((i for i, v in enumerate(values) if v > 0), default=-1)
    val_max = max(values, default=0)
    if idx_max <= 32:
        header, body, stars = "     %-19s : count     distribution", "%10d -> %-10d : %-8d |%-*s|", _STARS_MAX
    else:
        header, body = "               %-29s : count     distribution", "%20d -> %-20d : %-8d |%-*s|"
        stars = _STARS_MAX // 2
    lines = [header % val_type] if idx_max > 0 else []
    for i in range(1, idx_max + 1):
        low, high = (1 << i) >> 1, (1 << i) - 1
        if low == high:
            low -= 1
        value = values[i]
        if strip_leading_zero and not value:
            continue
        strip_leading_zero = False
        lines.append(body % (low, high, value, stars, _stars(value, val_max, stars)))
    return lines


def linear_hist_lines(values: Sequence[int], val_type: str = "value",
                      strip_leading_zero: bool = False) -> list[str]:
    """bcc's ``print_linear_hist`` for counts ``values`` (bucket i holds the value i)."""
    idx_max = max((i for i, v in enumerate(values) if v > 0), default=-1)
    val_max = max(values, default=0)
    lines = [f"     {val_type:<13} : count     distribution"] if idx_max >= 0 else []
    for i in range(idx_max + 1):
        value = values[i]
        if strip_leading_zero and not value:
            continue
        strip_leading_zero = False
        lines.append(f"        {i:<6} : {value:<8} |{_stars(value, val_max, _STARS_MAX):<{_STARS_MAX}}|")
    return lines


class Table:
    """A map of a loaded object, as bcc's table classes present it: dict-like over raw bytes
    (or the map's typed keys/values where it has BTF), ``clear()``, histograms, ring and perf
    buffers."""

    def __init__(self, bpf: BPF, name: str, map_: Any) -> None:
        self.bpf, self.name, self.map = bpf, name, map_
        self._ring_callbacks: list[Callable[[Any, memoryview, int], Any]] = []

    def __getitem__(self, key: Any) -> Any:
        return self.map[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self.map[key] = value

    def __delitem__(self, key: Any) -> None:
        del self.map[key]

    def __len__(self) -> int:
        return len(self.map)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.map.keys())

    def items(self) -> list[tuple[Any, Any]]:
        """(key, value) pairs."""
        return list(self.map.items())

    def keys(self) -> list[Any]:
        return list(self.map.keys())

    def values(self) -> list[Any]:
        return [v for _, v in self.map.items()]

    def clear(self) -> None:
        """Delete every element — for arrays, zero every value (arrays cannot delete), as bcc does."""
        if self.map.type_name in ("array", "percpu_array"):
            zero = bytes(self.map.value_size)
            for key in list(self.map.keys()):
                self.map.update(key, zero)
            return
        for key in list(self.map.keys()):
            self.map.delete(key)

    def _counts(self) -> list[int]:
        counts: list[int] = []
        for key, value in self.map.items():
            index = int.from_bytes(bytes(key), "little") if isinstance(key, bytes | bytearray) else int(key)
            raw = value if isinstance(value, bytes | bytearray) else int(value).to_bytes(8, "little")
            while len(counts) <= index:
                counts.append(0)
            counts[index] = int.from_bytes(bytes(raw)[:8], "little")
        return counts

    def print_log2_hist(self, val_type: str = "value", strip_leading_zero: bool = False,
                        file: TextIO | None = None) -> None:
        """Print the map (an array of u64 counts indexed by ``bpf_log2l``) as bcc does."""
        for line in log2_hist_lines(self._counts(), val_type, strip_leading_zero):
            print(line, file=file or sys.stdout)

    def print_linear_hist(self, val_type: str = "value", strip_leading_zero: bool = False,
                          file: TextIO | None = None) -> None:
        """Print the map (an array of u64 counts indexed by value) as bcc does."""
        for line in linear_hist_lines(self._counts(), val_type, strip_leading_zero):
            print(line, file=file or sys.stdout)

    def open_ring_buffer(self, callback: Callable[[Any, memoryview, int], Any], ctx: Any = None) -> None:
        """Deliver this ring buffer's records to ``callback(ctx, data, size)`` at each
        :meth:`BPF.ring_buffer_poll` (libbpf's ring_buffer__poll protocol)."""
        self._ring_callbacks.append(lambda _ctx, data, size: callback(ctx, data, size))
        self.bpf._rings.append(self)

    def open_perf_buffer(self, callback: Callable[[int, bytes, int], Any]) -> None:
        """Deliver this perf event array's events to ``callback(cpu, data, size)`` at each
        :meth:`BPF.perf_buffer_poll`."""
        self.map.open_all(lambda cpu, data: self.bpf._perf.append((callback, cpu, data)))

    def _poll_ring(self) -> int:
        count = 0

        def deliver(record: memoryview) -> int:
            nonlocal count
            count += 1
            for cb in self._ring_callbacks:
                cb(None, record, len(record))
            return 0

        self.map.consume(deliver)
        return count


class BPF:
    """A BPF object compiled (``text``, ``src_file``) or loaded (``obj``) into a VM of its own.

    Raises :class:`~bpfvm.cc.CompileError` for C that does not compile, and
    :class:`~bpfvm.errors.ProgramError` for unknown program or map names.
    """

    def __init__(self, text: str | None = None, src_file: str | Path | None = None, *,
                 obj: str | Path | None = None, cflags: Sequence[str] = (), engine: str = "interpreter",
                 vm: Any = None) -> None:
        from ..elf import load
        from ..vm import VM

        if sum(x is not None for x in (text, src_file, obj)) != 1:
            raise ValueError("give exactly one of text=, src_file= or obj=")
        if obj is not None:
            self.program: Program = load(Path(obj), name=str(obj))
        else:
            from ..cc import compile as compile_program

            source = text if text is not None else Path(str(src_file))
            self.program = compile_program(source, kernel=True, flags=list(cflags))
        self.vm = vm if vm is not None else VM(engine, stack_size=512)
        self.vm.compile(self.program)
        self._attached: dict[str, list[str]] = {}
        self._tables: dict[str, Table] = {}
        self._rings: list[Table] = []
        self._perf: list[tuple[Callable[[int, bytes, int], Any], int, bytes]] = []

    def __getitem__(self, name: str) -> Table:
        table = self._tables.get(name)
        if table is None:
            maps = self.vm.maps(self.program)
            if name not in maps:
                raise ProgramError(f"{self.program.name}: no map {name!r}; have {', '.join(maps) or 'none'}")
            table = self._tables[name] = Table(self, name, maps[name])
        return table

    def get_table(self, name: str) -> Table:
        """bcc's spelling of ``b[name]``."""
        return self[name]

    # -- events -------------------------------------------------------------------------------
    def _attach(self, event: str, fn_name: str) -> None:
        from .test_run import entry_of

        entry_of(self.program, fn_name)  # raises for an unknown program
        self._attached.setdefault(event, []).append(fn_name)

    def attach_tracepoint(self, tp: str, fn_name: str) -> None:
        """Run ``fn_name`` at each :meth:`emit` of tracepoint ``tp`` (``"syscalls:sys_enter_write"``)."""
        self._attach(f"tracepoint:{tp}", fn_name)

    def attach_kprobe(self, event: str, fn_name: str) -> None:
        """Run ``fn_name`` at each :meth:`emit` of ``"kprobe:" + event``."""
        self._attach(f"kprobe:{event}", fn_name)

    def attach_kretprobe(self, event: str, fn_name: str) -> None:
        """Run ``fn_name`` at each :meth:`emit` of ``"kretprobe:" + event``."""
        self._attach(f"kretprobe:{event}", fn_name)

    def attach_raw_tracepoint(self, tp: str, fn_name: str) -> None:
        """Run ``fn_name`` at each :meth:`emit` of ``"raw_tracepoint:" + tp``."""
        self._attach(f"raw_tracepoint:{tp}", fn_name)

    def emit(self, event: str, ctx: bytes) -> list[int]:
        """The event happened: run every program attached to it on context ``ctx`` (see
        :mod:`bpfvm.kernel.events` for the builders); return their r0s.  ``event`` is
        ``"syscalls:sys_enter_write"`` (a tracepoint) or ``"kprobe:NAME"``, ``"kretprobe:NAME"``,
        ``"raw_tracepoint:NAME"``."""
        from .events import fire

        key = event if event.split(":", 1)[0] in ("kprobe", "kretprobe", "raw_tracepoint", "tracepoint") \
            else f"tracepoint:{event}"
        return [fire(self.vm, self.program, fn, ctx) for fn in self._attached.get(key, [])]

    def trigger(self, fn_name: str, ctx: bytes = b"") -> int:
        """Run program ``fn_name`` once on context ``ctx`` (whatever it is attached to)."""
        from .events import fire

        return fire(self.vm, self.program, fn_name, ctx)

    def test_run(self, fn_name: str | None = None, **options: Any) -> Any:
        """``vm.test_run`` of program ``fn_name`` (BPF_PROG_TEST_RUN semantics)."""
        return self.vm.test_run(self.program, fn_name, **options)

    # -- output -------------------------------------------------------------------------------
    def ring_buffer_poll(self, timeout: int = 0) -> int:
        """Deliver pending ring buffer records to their callbacks; return how many."""
        return sum(table._poll_ring() for table in self._rings)

    ring_buffer_consume = ring_buffer_poll

    def perf_buffer_poll(self, timeout: int = 0) -> int:
        """Deliver pending perf events to their callbacks; return how many."""
        pending, self._perf = self._perf, []
        for callback, cpu, data in pending:
            callback(cpu, data, len(data))
        return len(pending)

    def trace_lines(self) -> list[str]:
        """The ``bpf_trace_printk`` lines written so far (trace_pipe's format), and forget them."""
        trace = self.vm.kernel.trace
        lines = [line.rstrip("\n") for line in trace.lines()]
        trace.clear()
        return lines

    def trace_print(self, file: TextIO | None = None) -> None:
        """Print the trace lines written so far, as ``b.trace_print()`` prints trace_pipe."""
        for line in self.trace_lines():
            print(line, file=file or sys.stdout)
