"""The one table of kernel helpers: :data:`HELPERS` (id → :class:`Helper`).

Each entry has the kernel's name and id (include/uapi/linux/bpf.h), its prototype
(:mod:`.prototypes`), ``gpl_only`` and the program types that may call it (probed from the
kernel, :mod:`.availability`), and bpfvm's implementation when there is one (:mod:`.registry`).
Nothing else in bpfvm spells a helper id: look helpers up here (:func:`helper`, :data:`BY_NAME`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from . import availability
from .proto import Proto, parse_arg, parse_ret
from .prototypes import PROTOTYPES
from .registry import IMPLEMENTATIONS, Impl

__all__ = ["BY_NAME", "FROM_SOURCES", "HELPERS", "PROGRAM_TYPES", "Helper", "helper"]

#: ``enum bpf_prog_type``: name → number.
PROGRAM_TYPES: Mapping[str, int] = MappingProxyType({
    "UNSPEC": 0, "SOCKET_FILTER": 1, "KPROBE": 2, "SCHED_CLS": 3, "SCHED_ACT": 4, "TRACEPOINT": 5,
    "XDP": 6, "PERF_EVENT": 7, "CGROUP_SKB": 8, "CGROUP_SOCK": 9, "LWT_IN": 10, "LWT_OUT": 11,
    "LWT_XMIT": 12, "SOCK_OPS": 13, "SK_SKB": 14, "CGROUP_DEVICE": 15, "SK_MSG": 16,
    "RAW_TRACEPOINT": 17, "CGROUP_SOCK_ADDR": 18, "LWT_SEG6LOCAL": 19, "LIRC_MODE2": 20,
    "SK_REUSEPORT": 21, "FLOW_DISSECTOR": 22, "CGROUP_SYSCTL": 23, "RAW_TRACEPOINT_WRITABLE": 24,
    "CGROUP_SOCKOPT": 25, "TRACING": 26, "STRUCT_OPS": 27, "EXT": 28, "LSM": 29, "SK_LOOKUP": 30,
    "SYSCALL": 31, "NETFILTER": 32,
})

#: Helpers no program type the probe can load offers on this kernel (they need an attach target,
#: a config option or a device): gpl_only and program types from the kernel sources.
FROM_SOURCES: dict[str, tuple[bool, tuple[str, ...]]] = {
    "probe_write_user": (True, ("KPROBE", "TRACEPOINT", "PERF_EVENT", "RAW_TRACEPOINT", "TRACING")),
    "override_return": (True, ("KPROBE",)),
    "bind": (False, ("CGROUP_SOCK_ADDR",)),
    "rc_repeat": (True, ("LIRC_MODE2",)),
    "rc_keydown": (True, ("LIRC_MODE2",)),
    "rc_pointer_rel": (True, ("LIRC_MODE2",)),
    "tcp_send_ack": (False, ("STRUCT_OPS",)),
    "seq_printf": (True, ("TRACING",)),
    "seq_write": (True, ("TRACING",)),
    "seq_printf_btf": (False, ("TRACING",)),
    "inode_storage_get": (False, ("LSM",)),
    "inode_storage_delete": (False, ("LSM",)),
    "bprm_opts_set": (False, ("LSM",)),
    "ima_inode_hash": (False, ("LSM",)),
    "ima_file_hash": (False, ("LSM",)),
    "get_func_arg": (False, ("TRACING",)),
    "get_func_ret": (False, ("TRACING",)),
    "get_func_arg_cnt": (False, ("TRACING",)),
}


@dataclass(frozen=True)
class Helper:
    """One kernel helper.

    ``name`` is the kernel's function name (``bpf_map_lookup_elem``); ``proto`` its
    ``bpf_func_proto``; ``gpl_only`` whether a non-GPL program may not call it;
    ``program_types`` the ``BPF_PROG_TYPE_*`` names (without prefix) whose verifier offers it;
    ``impl`` bpfvm's implementation (see :mod:`.registry`), None when bpfvm has none (a program
    calling it is refused at load); ``native`` the name of the JIT's native lowering, if any.
    """

    id: int
    name: str
    proto: Proto
    gpl_only: bool
    program_types: frozenset[str]
    impl: Impl | None = None
    native: str | None = None

    @property
    def implemented(self) -> bool:
        """True if bpfvm can run a call to this helper."""
        return self.impl is not None

    def allowed_in(self, program_type: str) -> bool:
        """True if a program of type ``program_type`` (``"XDP"`` …) may call this helper."""
        return program_type in self.program_types


_LINE = re.compile(r"(\d+) (\w+) (\S+) \((.*)\)$")


def _ids(ranges: str) -> set[int]:
    out: set[int] = set()
    for part in filter(None, ranges.split(",")):
        first, _, last = part.partition("-")
        out.update(range(int(first), int(last or first) + 1))
    return out


def _build() -> dict[int, Helper]:
    from . import implementations  # noqa: F401 - registers the implementations

    allowed = {name: _ids(ids) for name, ids in availability.ALLOWED.items()}
    gpl = _ids(availability.GPL_ONLY)
    table: dict[int, Helper] = {}
    for line in PROTOTYPES.strip().splitlines():
        match = _LINE.match(line)
        if match is None:
            raise ValueError(f"bad prototype line {line!r}")
        hid, short, ret, args = int(match[1]), match[2], match[3], match[4]
        proto = Proto(parse_ret(ret), tuple(parse_arg(a) for a in args.split(", ") if a))
        types = frozenset(t for t, ids in allowed.items() if hid in ids)
        gpl_only = hid in gpl
        if not types and short in FROM_SOURCES:
            gpl_only, names = FROM_SOURCES[short]
            types = frozenset(names)
        name = "bpf_" + short
        table[hid] = Helper(hid, name, proto, gpl_only, types, IMPLEMENTATIONS.get(name))
    unknown = set(IMPLEMENTATIONS) - {h.name for h in table.values()}
    if unknown:
        raise ValueError(f"implementations of unknown helpers: {', '.join(sorted(unknown))}")
    return table


#: Every helper of the kernel's uapi by id (1–211).
HELPERS: Mapping[int, Helper] = MappingProxyType(_build())
#: The same helpers by name (``bpf_loop``).
BY_NAME: Mapping[str, Helper] = MappingProxyType({h.name: h for h in HELPERS.values()})


def helper(key: int | str) -> Helper:
    """The helper with id ``key`` or name ``key`` (``"bpf_loop"`` or ``"loop"``).

    Raises ``KeyError`` naming the unknown id or name.
    """
    if isinstance(key, int):
        if key not in HELPERS:
            raise KeyError(f"no kernel helper has id {key}")
        return HELPERS[key]
    found = BY_NAME.get(key) or BY_NAME.get("bpf_" + key)
    if found is None:
        raise KeyError(f"no kernel helper is named {key!r}")
    return found
