"""The VM: one sandbox (memory, helpers, intrinsics, limits) that runs programs on an engine."""

from __future__ import annotations

import dataclasses
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, BinaryIO

from .errors import ProgramError, VmTrap
from .interpreter import Compiled, compile_program
from .isa import encode
from .memory import Memory, Region
from .program import Program, check_resolved, data_patches, link
from .runtime.calls import UNBOUNDED, ProgramExit
from .runtime.intrinsics import IntrinsicTable

__all__ = ["ENGINES", "JIT_MAX_CALL_DEPTH", "KERNEL_FRAME", "MAX_FRAME", "VM", "Globals"]

#: Engines a VM can run programs on (every test corpus runs through each): the pure-Python
#: interpreter (the reference) and the LLVM JIT (:mod:`bpfvm.jit`).
ENGINES = ("interpreter", "jit")

#: The frame of a program that records none (kernel-style objects, bytecode, assembly): the
#: kernel's 512 bytes.
KERNEL_FRAME = 512
#: The largest frame a VM made without ``stack_size`` runs a program with: ``bpfvm cc``'s default
#: (:data:`bpfvm.cc.STACK_SIZE`).  Its stack holds ``max_call_depth`` frames this large.
MAX_FRAME = 16384
#: The deepest BPF call nesting the JIT accepts: its BPF-to-BPF calls are native calls on the
#: calling thread's stack (up to ~256 bytes a frame), so deeper nesting could overflow an
#: 8 MiB thread stack and crash the host process (it did at 10**6).  The interpreter's frames
#: live on the heap: it has no such bound.
JIT_MAX_CALL_DEPTH = 8192
_MIB = 1 << 20
_M64 = 0xFFFF_FFFF_FFFF_FFFF


class VM:
    """A BPF sandbox.

    ``stack_size`` is the stack of each call frame.  By default (None) each program runs with
    the frame it was compiled for (``Program.frame_size``: 16 KiB for ``bpfvm cc``, up to
    :data:`MAX_FRAME`), or the kernel's 512 bytes if it records none; ``r10``-relative accesses
    outside that frame trap.  ``max_call_depth`` is the number of frames: 128 by default, a 2 MiB
    stack (pages are committed lazily, so unused depth costs nothing); ``max_call_depth=8``
    is the kernel's limit.  ``max_instructions`` bounds every run (:class:`~bpfvm.errors.VmTrap` of kind
    ``BUDGET`` when exceeded).

    Helpers are Python callables registered by id in :attr:`helpers`: they receive r1..r5 as
    ints and return r0 (``None`` counts as 0).  Intrinsics are registered by symbol name in
    :attr:`intrinsics` (see :mod:`bpfvm.runtime.intrinsics`); calls to undefined symbols of an
    ELF program bind to them, else to bpfvm's libc, when the program first runs — unbound names
    are a :class:`~bpfvm.errors.ProgramError` listing them, unless ``lazy_binding`` (then the
    call traps).  Host functions may use :attr:`memory`, :attr:`heap`, the streams and
    :meth:`call`, and raise :class:`~bpfvm.runtime.calls.ProgramExit` to end the program.

    Guest file access goes only to the host directories in ``fs`` (guest prefix → host dir).

    ``max_output`` bounds the bytes each run writes to stdout, stderr and files: the write
    that crosses it is cut at the limit and the run stops with an ``OUTPUT_LIMIT`` trap.

    ``timeout`` bounds the wall-clock time of every run, in seconds: a run still going then
    stops with a ``TIMEOUT`` :class:`~bpfvm.errors.VmTrap` (see :mod:`bpfvm.runtime.cancel`).
    ``jit_cache`` (JIT engine) keeps compiled native code on disk between processes (default:
    on unless ``BPFVM_JIT_CACHE=0``; see :mod:`bpfvm.jit.cache`).  ``interruptible=False``
    (JIT engine) compiles loops without the budget check that lets a timeout or Ctrl-C stop
    them — as the kernel's JIT runs BPF, 10–30% faster in tight loops; the instruction budget
    still holds.
    """

    def __init__(self, engine: str = "interpreter", *, stack_size: int | None = None,
                 max_call_depth: int = 128,
                 max_instructions: int | None = None, memory_size: int = 256 * _MIB,
                 heap_size: int = 64 * _MIB, helpers: Mapping[int, Callable[..., Any]] | None = None,
                 lazy_binding: bool = False, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None,
                 stderr: BinaryIO | None = None, fs: Mapping[str, str] | None = None,
                 env: Mapping[str, str] | None = None, timeout: float | None = None,
                 jit_cache: bool | None = None, interruptible: bool = True,
                 max_output: int | None = None) -> None:
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; available: {', '.join(ENGINES)}")
        if (stack_size is not None and (stack_size <= 0 or stack_size % 8)) or max_call_depth <= 0:
            raise ValueError("stack_size must be a positive multiple of 8 and max_call_depth positive")
        if engine == "jit" and max_call_depth > JIT_MAX_CALL_DEPTH:
            raise ValueError(f"max_call_depth {max_call_depth} is deeper than the JIT allows "
                             f"({JIT_MAX_CALL_DEPTH}: its calls use the host thread's stack)")
        self.engine = engine
        self.stack_size = stack_size
        self.max_call_depth = max_call_depth
        self.max_instructions = max_instructions
        self.lazy_binding = lazy_binding
        self.helpers: dict[int, Callable[..., Any]] = dict(helpers or {})
        self.intrinsics = IntrinsicTable()
        self.memory = Memory(memory_size, ro_size=min(64 * _MIB, memory_size // 4),
                             stack_size=(stack_size or MAX_FRAME) * max_call_depth)
        self.heap_region: Region = self.memory.map("heap", heap_size, writable=True)
        self._heap: Any = None
        self._kernel: Any = None
        self._kernel_helpers: Any = None
        self.stdin: BinaryIO = stdin or sys.stdin.buffer
        self.stdout: BinaryIO = stdout or sys.stdout.buffer
        self.stderr: BinaryIO = stderr or sys.stderr.buffer
        self.fs: dict[str, str] = dict(fs or {})
        self.env: dict[str, str] = dict(env or {})
        if timeout is not None and not timeout > 0:
            raise ValueError("timeout must be a positive number of seconds")
        if timeout is not None and not interruptible:
            raise ValueError("a timeout needs interruptible=True (native loops must check the clock)")
        self.timeout = timeout
        if max_output is not None and max_output < 0:
            raise ValueError("max_output must be a number of bytes >= 0")
        #: Bytes a run may write to stdout, stderr and files together (None: no limit), and
        #: how many the current (or last) run wrote (:func:`bpfvm.libc.stream.charge_output`).
        self.max_output = max_output
        self.output_written = 0
        self.jit_cache = jit_cache
        self.interruptible = interruptible
        #: pc of the current intrinsic call, and the registers it sees (r1..r5, r10 live).
        self.pc = 0
        self.regs: list[int] = [0] * 11
        #: Instructions executed by the last run.
        self.instructions = 0
        #: Per-VM state of libc (open files, strtok position …), owned by bpfvm.libc.
        self.libc_state: dict[str, Any] = {}
        self._programs: OrderedDict[bytes, Program] = OrderedDict()
        self._compiled: dict[int, Compiled] = {}
        self._addresses: dict[int, dict[str, int]] = {}
        self._running: Compiled | None = None
        self._map_space: Any = None
        self._placements: dict[int, Any] = {}
        if sys.getrecursionlimit() < 4 * max_call_depth + 1000:
            sys.setrecursionlimit(4 * max_call_depth + 1000)

    @property
    def heap(self) -> Any:
        """The guest heap allocator (bpfvm.runtime.heap.Heap), created on first use."""
        if self._heap is None:
            from .runtime.heap import Heap

            self._heap = Heap(self.memory, self.heap_region)
        return self._heap

    @property
    def kernel(self) -> Any:
        """The kernel environment helpers run in (bpfvm.kernel.helpers.env.KernelEnv: clock,
        task, trace log, host buffers …), created on first use."""
        if self._kernel is None:
            from .kernel.helpers.env import KernelEnv

            self._kernel = KernelEnv(self)
        return self._kernel

    def _helper_table(self) -> Mapping[int, Callable[..., Any]]:
        """``vm.helpers`` over the kernel's implemented helpers (bpfvm.kernel.helpers)."""
        if self._kernel_helpers is None:
            from .kernel.helpers.dispatch import VmHelpers

            self._kernel_helpers = VmHelpers(self.helpers, self.kernel)
        return self._kernel_helpers

    @property
    def map_space(self) -> Any:
        """The maps attached to this VM (:class:`bpfvm.kernel.maps.MapSpace`), created on first use."""
        if self._map_space is None:
            from .kernel.maps.space import MapSpace

            self._map_space = MapSpace(self.memory)
        return self._map_space

    def maps(self, program: Program) -> dict[str, Any]:
        """The maps of ``program`` in this VM by name (its map definitions, and its global data
        sections ``.data``, ``.bss``, ``.rodata`` … as single-element array maps)."""
        self.compile(program)
        placement = self._placements.get(id(program))
        return dict(placement.maps) if placement is not None else {}

    # -- loading -----------------------------------------------------------------------------
    def program(self, code: bytes | bytearray | memoryview | Program) -> Program:
        """Decode raw bytecode into a Program (cached), or return a Program as is."""
        if isinstance(code, Program):
            return code
        key = bytes(code)
        prog = self._programs.get(key)
        if prog is None:
            prog = Program.from_bytes(key)
            self._programs[key] = prog
            if len(self._programs) > 64:
                self._programs.popitem(last=False)
        return prog

    def compile(self, program: Program) -> Compiled:
        """Place ``program`` in memory, link it, bind its externs and compile it (once)."""
        compiled = self._compiled.get(id(program))
        if compiled is not None and compiled.program is program:
            return compiled
        frame = self.frame_size(program)
        check_resolved(program)
        from .kernel.helpers.dispatch import check_license, resolve_kfuncs

        check_license(program, self.helpers)
        externs = resolve_kfuncs(program).externs  # kfunc calls by BTF id become calls by name
        bound = self._bind(dataclasses.replace(program, externs=externs) if externs != program.externs
                           else program)
        mark = self.memory.mark()
        try:
            addresses = self._place(program)
            placement = self._placements.get(id(program))
            insns = link(placement.program if placement is not None else program, addresses)
            if any(i.opcode == 0x18 and i.src in (1, 2, 5, 6) for i in insns):
                from .kernel.maps.place import resolve_pseudo

                insns = resolve_pseudo(insns, self.map_space)
            linked = dataclasses.replace(program, insns=insns, externs=externs)
            options: dict[str, Any] = {}
            if self.engine == "jit":
                options = {"use_cache": self.jit_cache, "bounded": self.max_instructions is not None,
                           "interruptible": self.interruptible}
            compiler = _jit_compile() if self.engine == "jit" else compile_program
            compiled = compiler(linked, self.memory, self._helper_table(), frame_size=frame,
                                max_depth=self.max_call_depth, code_base=addresses["code"],
                                intrinsics=bound, context=self, **options)
        except BaseException:
            self.memory.release(mark)
            raise
        compiled.program = program
        self._compiled[id(program)] = compiled
        self._addresses[id(program)] = addresses
        return compiled

    def frame_size(self, program: Program) -> int:
        """The stack frame ``program`` runs with (see the class docstring); raises
        :class:`ProgramError` if it was compiled for larger frames than this VM has."""
        frame = self.stack_size or program.frame_size or KERNEL_FRAME
        if (program.frame_size or 0) > (self.stack_size or MAX_FRAME):
            raise ProgramError(f"{program.name}: compiled for {program.frame_size}-byte stack frames, but "
                               f"this VM's stack_size is {self.stack_size or MAX_FRAME}: pass "
                               f"stack_size={program.frame_size} (bpfvm run --stack-size)")
        return frame

    def _place(self, program: Program) -> dict[str, int]:
        code = self.memory.map(f"code:{program.name}", encode(program.insns), writable=False, align=8)
        addresses = {"code": code.base}
        if program.maps or program.segments:
            from .kernel.maps.place import place_maps

            placement = place_maps(self, program)
            if placement is not None:
                self._placements[id(program)] = placement
                addresses.update(placement.addresses)
        for seg in program.segments:
            if seg.name in addresses:
                continue
            region = self.memory.map(f"{program.name}:{seg.name}", seg.data, writable=seg.writable,
                                     align=max(seg.align, 1))
            addresses[seg.name] = region.base
        for address, data in data_patches(program, addresses):
            self.memory.buf[address:address + len(data)] = data
        return addresses

    def _bind(self, program: Program) -> dict[int, Callable[..., Any] | None]:
        if not program.externs:
            return {}
        from .kernel.helpers.dispatch import kfunc_for
        from .libc import LIBC

        bound: dict[int, Callable[..., Any] | None] = {}
        missing: set[str] = set()
        for pc, name in program.externs.items():
            found = self.intrinsics.get(name) or LIBC.get(name)
            if found is not None:
                bound[pc] = found.bind(self, self.regs)
            elif (kfunc := kfunc_for(name, self.kernel)) is not None:
                bound[pc] = kfunc
            else:
                missing.add(name)
                bound[pc] = None
        if missing and not self.lazy_binding:
            raise ProgramError(f"{program.name}: no intrinsic for {', '.join(sorted(missing))} "
                               "(register them in vm.intrinsics, or pass lazy_binding=True)")
        return bound

    # -- running -----------------------------------------------------------------------------
    def run(self, program: bytes | bytearray | memoryview | Program, *args: int,
            mem: bytes | bytearray | memoryview | None = None, entry: str | None = None,
            packet: tuple[int, int] | None = None, _at_return: Callable[[VM], None] | None = None) -> int:
        """Run ``program`` and return r0.

        With ``mem``, its bytes are copied into guest memory, r1 is their guest address and r2
        their length; a writable ``mem`` receives the final bytes back, even after a trap.
        Otherwise ``args`` (at most 5 ints) go to r1..r5.  ``entry`` names a function or an ELF
        section.  ``packet`` is the (guest address, length) that legacy packet loads (``LD_ABS``,
        ``LD_IND``) read, as a socket filter's skb data (default: ``mem``, else none).
        Raises :class:`VmTrap` on a guest fault (with ``file:line`` in its message
        when the program has debug information), :class:`DecodeError`/:class:`ProgramError`
        for bad programs.
        """
        prog = self.program(program)
        if mem is not None and args:
            raise ValueError("pass either mem or register arguments, not both")
        if len(args) > 5:
            raise ValueError(f"at most 5 register arguments, got {len(args)}")
        start = _entry(prog, entry)
        compiled = self.compile(prog)
        mark = self.memory.mark()
        try:
            regs = tuple(a & _M64 for a in args)
            if mem is not None:
                region = self.memory.map("mem", bytes(mem), writable=True)
                regs = (region.base, region.size)
                compiled.state.packet_addr, compiled.state.packet_len = region.base, region.size
            if packet is not None:
                compiled.state.packet_addr, compiled.state.packet_len = packet
            try:
                return self._call(compiled, start, regs, _at_return)
            finally:
                if mem is not None and isinstance(mem, bytearray | memoryview) and not _readonly(mem):
                    mem[:] = self.memory.buf[regs[0]:regs[0] + len(mem)]
        finally:
            compiled.state.packet_addr = compiled.state.packet_len = 0
            self.memory.release(mark)

    def run_main(self, program: Program, argv: Sequence[str | bytes], entry: str | None = None) -> int:
        """Run ``main(argc, argv)`` with ``argv`` as NUL-terminated strings in guest memory.

        Files the guest opened are closed when the run ends, however it ends.

        Returns main's return value, or the status passed to ``exit()``, as a C int.
        """
        self.compile(self.program(program))  # placed before argv: its addresses (and the JIT
        mark = self.memory.mark()           # cache key) must not depend on the arguments
        try:
            strings = [s.encode() if isinstance(s, str) else bytes(s) for s in argv]
            table = self.memory.map("argv", 8 * (len(strings) + 1), writable=True, align=8)
            for i, text in enumerate(strings):
                region = self.memory.map(f"argv[{i}]", text + b"\0", writable=True, align=1)
                self.memory.store(table.base + 8 * i, 8, region.base)
            r0 = self.run(program, len(strings), table.base, entry=entry or "main", _at_return=_finish)
        finally:
            if self.libc_state:  # as a process's end closes its files, even when it was killed
                from .libc.stdio import close_files

                close_files(self)
            self.memory.release(mark)
        return ((r0 & 0xFFFF_FFFF) ^ 0x8000_0000) - 0x8000_0000

    def _call(self, compiled: Compiled, start: int, regs: tuple[int, ...],
              at_return: Callable[[VM], None] | None = None, budget: int | None = None) -> int:
        if budget is None:
            budget = UNBOUNDED if self.max_instructions is None else self.max_instructions
            if self._running is None and self._kernel is not None:
                self._kernel.state["tail_calls"] = 0
        if self._running is None:
            self.output_written = 0
        outer, self._running = self._running, compiled
        jump: Any = None
        try:
            r0, _ = compiled.call(start, regs, budget, self.timeout)
            if at_return is not None:  # still "running": atexit handlers may call guest code
                at_return(self)
        except ProgramExit as stop:
            jump = stop if hasattr(stop, "target") else None  # bpf_tail_call: run its target below
            r0 = stop.value & _M64
        except VmTrap as trap:
            _locate(trap, compiled.program)
            raise
        finally:
            self.instructions = compiled.executed
            self._running = outer
        if jump is not None:
            used = self.instructions
            r0 = self._tail_call(jump, compiled, budget - used if budget < UNBOUNDED else UNBOUNDED)
            self.instructions += used
        return r0

    def _tail_call(self, jump: Any, caller: Compiled, budget: int) -> int:
        """Run the target of a ``bpf_tail_call`` (a function of the caller or a Program)."""
        target = jump.target
        if isinstance(target, Program):
            compiled, start = self.compile(target), _entry(target, None)
        else:
            compiled, start = caller, target.start
        return self._call(compiled, start, (jump.ctx,), budget=budget)

    def call(self, address: int, *args: int) -> int:
        """Call the guest function at code ``address`` from inside an intrinsic (qsort's
        comparator, a callback); return its r0.  Raises :class:`VmTrap` for a bad address."""
        if self._running is None:
            raise ProgramError("vm.call is only possible while a program runs (from an intrinsic)")
        try:
            return self._running.call_nested(address & _M64, tuple(a & _M64 for a in args))
        except VmTrap as trap:
            if trap.pc < 0:
                raise VmTrap(trap.kind, self.pc, trap.reason, trap.addr) from trap
            raise

    def invoke(self, address: int, *args: int) -> int:
        """Call the guest function at code ``address`` (r1..r5 = ``args``) and return r0: from a
        host function while a program runs (as :meth:`call`), or between runs (BPF timer
        callbacks).  Raises :class:`ProgramError` if no compiled program has a function there."""
        if self._running is not None:
            return self.call(address, *args)
        for key, compiled in list(self._compiled.items()):
            offset = address - self._addresses[key]["code"]
            starts = {f.start for f in compiled.program.functions.values()}
            if offset >= 0 and offset % 8 == 0 and offset // 8 in starts:
                return self._call(compiled, offset // 8, tuple(a & _M64 for a in args))
        raise ProgramError(f"no function of a loaded program is at {address:#x}")

    # -- data by name ------------------------------------------------------------------------
    def address_of(self, program: Program, name: str) -> int:
        """Guest address of global ``name`` (or function) of ``program`` in this VM."""
        self.compile(program)
        sym = program.symbols.get(name)
        if sym is None:
            raise ProgramError(f"{program.name}: no global named {name!r}")
        return self._addresses[id(program)][sym.segment] + sym.offset

    def test_run(self, program: Program, name: str | None = None, *, data: bytes = b"",
                 ctx: bytes | None = None, repeat: int = 1, **options: Any) -> Any:
        """Run program ``name`` of ``program`` as the kernel's ``BPF_PROG_TEST_RUN`` does and
        return its :class:`~bpfvm.kernel.test_run.TestRunResult` (retval, data_out, ctx_out,
        duration); see :func:`bpfvm.kernel.test_run.test_run` for the options and errors."""
        from .kernel.test_run import test_run

        return test_run(self, program, name, data=data, ctx=ctx, repeat=repeat, **options)

    def globals(self, program: Program) -> Globals:
        """The globals of ``program`` in this VM, readable and writable by name."""
        self.compile(program)
        return Globals(self, program)


class Globals(Mapping[str, int | bytes]):
    """Globals of a program in a VM: ``g["counter"]`` reads an int for 1/2/4/8-byte objects
    (bytes otherwise); assignment writes it back (read-only objects refuse)."""

    def __init__(self, vm: VM, program: Program) -> None:
        self._vm = vm
        self._program = program

    def __getitem__(self, name: str) -> int | bytes:
        size = self._program.symbols[name].size if name in self._program.symbols else 0
        address = self._vm.address_of(self._program, name)
        if size in (1, 2, 4, 8):
            return self._vm.memory.load(address, size)
        return self._vm.memory.read(address, size)

    def __setitem__(self, name: str, value: int | bytes) -> None:
        size = self._program.symbols[name].size
        address = self._vm.address_of(self._program, name)
        if isinstance(value, int):
            self._vm.memory.store(address, size, value)
        else:
            self._vm.memory.write(address, value[:size])

    def __iter__(self) -> Iterator[str]:
        return (n for n, s in self._program.symbols.items() if s.segment != "code")

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _jit_compile() -> Callable[..., Compiled]:
    """The JIT's ``compile_program`` (imported on first use: llvmlite loads LLVM)."""
    from .jit import compile_program as jit_compile_program

    return jit_compile_program  # type: ignore[return-value]  # the same interface


def _finish(vm: VM) -> None:
    """What C's startup code does after main returns: atexit handlers, flush streams."""
    from .libc import finish

    finish(vm)


def _entry(program: Program, entry: str | None) -> int:
    name = entry or program.entry
    func = program.functions.get(name)
    if func is None and name in program.sections and program.sections[name]:
        func = program.functions.get(program.sections[name][0])
    if func is None:
        check_resolved(program)  # the clearer error for an object without code
        raise ProgramError(f"no function or section {name!r} in {program.name}; "
                           f"have {', '.join(program.functions)}")
    return func.start


def _locate(trap: VmTrap, program: Program) -> None:
    """Add the source position of the trapping pc, when the program has line information, and
    which CO-RE relocation poisoned it, if one did."""
    poison = program.core_poison.get(trap.pc)
    if poison is not None and poison not in trap.args[0]:
        trap.reason = poison
        trap.args = (f"{trap.args[0]}: {poison}",)
    where = program.lines.get(trap.pc)
    if where is not None and not getattr(trap, "where", None):
        trap.where = f"{where[0]}:{where[1]}"  # type: ignore[attr-defined]
        trap.args = (f"{trap.args[0]} ({trap.where})",)  # type: ignore[attr-defined]


def _readonly(mem: bytearray | memoryview) -> bool:
    return isinstance(mem, memoryview) and mem.readonly
