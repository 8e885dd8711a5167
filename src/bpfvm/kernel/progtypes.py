"""The kernel's program types and libbpf's ``SEC()`` names for them (one table of each).

:data:`TYPES` is ``enum bpf_prog_type`` (include/uapi/linux/bpf.h) with what bpfvm knows of each
type: its context structure and whether :mod:`bpfvm.kernel.test_run` runs it.  :data:`SECTIONS`
is libbpf's ``section_defs[]`` table (tools/lib/bpf/libbpf.c, libbpf 1.x), which turns the
``SEC("…")`` name of an ELF section into a program type, an expected attach type and the
attach point written after the prefix; :func:`section_type` applies libbpf's matching rules:

* a name ending in ``+`` matches the name itself or the name followed by ``/`` and an attach
  point (``kprobe+`` matches ``kprobe`` and ``kprobe/do_unlinkat``);
* a name ending in ``/`` matches any name with that prefix (the legacy form);
* any other name matches only exactly.

The first matching definition wins, in table order, as in libbpf.  Legacy names that libbpf 1.0
dropped but older loaders (samples/bpf, bcc's examples, seed 001's ``events/…``) used are
recognised too, after libbpf's own.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ..errors import ProgramError

__all__ = [
    "ATTACH_TYPES",
    "SECTIONS",
    "TYPES",
    "ProgramType",
    "SectionDef",
    "SectionFlag",
    "SectionMatch",
    "program_type",
    "section_type",
]


@dataclass(frozen=True, slots=True)
class ProgramType:
    """A ``BPF_PROG_TYPE_*``: ``name`` without the prefix, the kernel's number, the context
    structure a program of this type receives in r1 (None: not modelled), and whether bpfvm's
    ``test_run`` runs it (as the kernel's ``BPF_PROG_TEST_RUN`` does)."""

    name: str
    id: int
    context: str | None = None
    test_run: bool = False


#: ``enum bpf_prog_type`` (Linux 6.18), in the kernel's order.
TYPES: dict[str, ProgramType] = {
    t.name: t
    for t in (
        ProgramType("UNSPEC", 0),
        ProgramType("SOCKET_FILTER", 1, "__sk_buff", True),
        ProgramType("KPROBE", 2, "pt_regs"),
        ProgramType("SCHED_CLS", 3, "__sk_buff", True),
        ProgramType("SCHED_ACT", 4, "__sk_buff", True),
        ProgramType("TRACEPOINT", 5, "tracepoint"),
        ProgramType("XDP", 6, "xdp_md", True),
        ProgramType("PERF_EVENT", 7, "bpf_perf_event_data"),
        ProgramType("CGROUP_SKB", 8, "__sk_buff", True),
        ProgramType("CGROUP_SOCK", 9, "bpf_sock"),
        ProgramType("LWT_IN", 10, "__sk_buff", True),
        ProgramType("LWT_OUT", 11, "__sk_buff", True),
        ProgramType("LWT_XMIT", 12, "__sk_buff", True),
        ProgramType("SOCK_OPS", 13, "bpf_sock_ops"),
        ProgramType("SK_SKB", 14, "__sk_buff"),
        ProgramType("CGROUP_DEVICE", 15, "bpf_cgroup_dev_ctx"),
        ProgramType("SK_MSG", 16, "sk_msg_md"),
        ProgramType("RAW_TRACEPOINT", 17, "bpf_raw_tracepoint_args", True),
        ProgramType("CGROUP_SOCK_ADDR", 18, "bpf_sock_addr"),
        ProgramType("LWT_SEG6LOCAL", 19, "__sk_buff"),
        ProgramType("LIRC_MODE2", 20),
        ProgramType("SK_REUSEPORT", 21, "sk_reuseport_md"),
        ProgramType("FLOW_DISSECTOR", 22, "__sk_buff"),
        ProgramType("CGROUP_SYSCTL", 23, "bpf_sysctl"),
        ProgramType("RAW_TRACEPOINT_WRITABLE", 24, "bpf_raw_tracepoint_args"),
        ProgramType("CGROUP_SOCKOPT", 25, "bpf_sockopt"),
        ProgramType("TRACING", 26),
        ProgramType("STRUCT_OPS", 27),
        ProgramType("EXT", 28),
        ProgramType("LSM", 29),
        ProgramType("SK_LOOKUP", 30, "bpf_sk_lookup"),
        ProgramType("SYSCALL", 31, "syscall", True),
        ProgramType("NETFILTER", 32, "bpf_nf_ctx"),
    )
}

#: ``enum bpf_attach_type`` (Linux 6.18), name without ``BPF_`` → number.
ATTACH_TYPES: dict[str, int] = {
    name: i
    for i, name in enumerate(
        (
            "CGROUP_INET_INGRESS",
            "CGROUP_INET_EGRESS",
            "CGROUP_INET_SOCK_CREATE",
            "CGROUP_SOCK_OPS",
            "SK_SKB_STREAM_PARSER",
            "SK_SKB_STREAM_VERDICT",
            "CGROUP_DEVICE",
            "SK_MSG_VERDICT",
            "CGROUP_INET4_BIND",
            "CGROUP_INET6_BIND",
            "CGROUP_INET4_CONNECT",
            "CGROUP_INET6_CONNECT",
            "CGROUP_INET4_POST_BIND",
            "CGROUP_INET6_POST_BIND",
            "CGROUP_UDP4_SENDMSG",
            "CGROUP_UDP6_SENDMSG",
            "LIRC_MODE2",
            "FLOW_DISSECTOR",
            "CGROUP_SYSCTL",
            "CGROUP_UDP4_RECVMSG",
            "CGROUP_UDP6_RECVMSG",
            "CGROUP_GETSOCKOPT",
            "CGROUP_SETSOCKOPT",
            "TRACE_RAW_TP",
            "TRACE_FENTRY",
            "TRACE_FEXIT",
            "MODIFY_RETURN",
            "LSM_MAC",
            "TRACE_ITER",
            "CGROUP_INET4_GETPEERNAME",
            "CGROUP_INET6_GETPEERNAME",
            "CGROUP_INET4_GETSOCKNAME",
            "CGROUP_INET6_GETSOCKNAME",
            "XDP_DEVMAP",
            "CGROUP_INET_SOCK_RELEASE",
            "XDP_CPUMAP",
            "SK_LOOKUP",
            "XDP",
            "SK_SKB_VERDICT",
            "SK_REUSEPORT_SELECT",
            "SK_REUSEPORT_SELECT_OR_MIGRATE",
            "PERF_EVENT",
            "TRACE_KPROBE_MULTI",
            "LSM_CGROUP",
            "STRUCT_OPS",
            "NETFILTER",
            "TCX_INGRESS",
            "TCX_EGRESS",
            "TRACE_UPROBE_MULTI",
            "CGROUP_UNIX_CONNECT",
            "CGROUP_UNIX_SENDMSG",
            "CGROUP_UNIX_RECVMSG",
            "CGROUP_UNIX_GETPEERNAME",
            "CGROUP_UNIX_GETSOCKNAME",
            "NETKIT_PRIMARY",
            "NETKIT_PEER",
            "TRACE_KPROBE_SESSION",
            "TRACE_UPROBE_SESSION",
        )
    )
}


class SectionFlag(enum.Flag):
    """libbpf's ``SEC_*`` flags of a section definition."""

    NONE = 0
    ATTACHABLE = enum.auto()  #: the attach type must be given at load (expected_attach_type)
    ATTACHABLE_OPT = enum.auto()  #: ... may be given
    ATTACH_BTF = enum.auto()  #: attaches to a BTF-named kernel function/tracepoint
    SLEEPABLE = enum.auto()  #: loaded with BPF_F_SLEEPABLE
    XDP_FRAGS = enum.auto()  #: loaded with BPF_F_XDP_HAS_FRAGS
    USDT = enum.auto()  #: USDT probe
    LEGACY = enum.auto()  #: a pre-libbpf-1.0 name, recognised by bpfvm for old sources


@dataclass(frozen=True, slots=True)
class SectionDef:
    """One entry of libbpf's section table."""

    name: str
    type: str
    attach: str | None = None
    flags: SectionFlag = SectionFlag.NONE

    def match(self, section: str) -> str | None:
        """The attach point (text after the prefix, possibly empty) if ``section`` matches."""
        if self.name.endswith("+"):
            base = self.name[:-1]
            if section == base:
                return ""
            return section[len(base) + 1 :] if section.startswith(base + "/") else None
        if self.name.endswith("/"):
            return section[len(self.name) :] if section.startswith(self.name) else None
        return "" if section == self.name else None


_A, _AO, _BTF, _S, _F = (
    SectionFlag.ATTACHABLE,
    SectionFlag.ATTACHABLE_OPT,
    SectionFlag.ATTACH_BTF,
    SectionFlag.SLEEPABLE,
    SectionFlag.XDP_FRAGS,
)
_L = SectionFlag.LEGACY

#: libbpf's ``section_defs[]``, in its order (first match wins), then bpfvm's legacy names.
SECTIONS: tuple[SectionDef, ...] = (
    SectionDef("socket", "SOCKET_FILTER"),
    SectionDef("sk_reuseport/migrate", "SK_REUSEPORT", "SK_REUSEPORT_SELECT_OR_MIGRATE", _A),
    SectionDef("sk_reuseport", "SK_REUSEPORT", "SK_REUSEPORT_SELECT", _A),
    SectionDef("kprobe+", "KPROBE"),
    SectionDef("uprobe+", "KPROBE"),
    SectionDef("uprobe.s+", "KPROBE", None, _S),
    SectionDef("kretprobe+", "KPROBE"),
    SectionDef("uretprobe+", "KPROBE"),
    SectionDef("uretprobe.s+", "KPROBE", None, _S),
    SectionDef("kprobe.multi+", "KPROBE", "TRACE_KPROBE_MULTI"),
    SectionDef("kretprobe.multi+", "KPROBE", "TRACE_KPROBE_MULTI"),
    SectionDef("kprobe.session+", "KPROBE", "TRACE_KPROBE_SESSION"),
    SectionDef("uprobe.multi+", "KPROBE", "TRACE_UPROBE_MULTI"),
    SectionDef("uretprobe.multi+", "KPROBE", "TRACE_UPROBE_MULTI"),
    SectionDef("uprobe.multi.s+", "KPROBE", "TRACE_UPROBE_MULTI", _S),
    SectionDef("uretprobe.multi.s+", "KPROBE", "TRACE_UPROBE_MULTI", _S),
    SectionDef("ksyscall+", "KPROBE"),
    SectionDef("kretsyscall+", "KPROBE"),
    SectionDef("usdt+", "KPROBE", None, SectionFlag.USDT),
    SectionDef("usdt.s+", "KPROBE", None, SectionFlag.USDT | _S),
    SectionDef("tc/ingress", "SCHED_CLS", "TCX_INGRESS"),
    SectionDef("tc/egress", "SCHED_CLS", "TCX_EGRESS"),
    SectionDef("tcx/ingress", "SCHED_CLS", "TCX_INGRESS"),
    SectionDef("tcx/egress", "SCHED_CLS", "TCX_EGRESS"),
    SectionDef("tc", "SCHED_CLS"),
    SectionDef("classifier", "SCHED_CLS"),
    SectionDef("action", "SCHED_ACT"),
    SectionDef("netkit/primary", "SCHED_CLS", "NETKIT_PRIMARY"),
    SectionDef("netkit/peer", "SCHED_CLS", "NETKIT_PEER"),
    SectionDef("tracepoint+", "TRACEPOINT"),
    SectionDef("tp+", "TRACEPOINT"),
    SectionDef("raw_tracepoint+", "RAW_TRACEPOINT"),
    SectionDef("raw_tp+", "RAW_TRACEPOINT"),
    SectionDef("raw_tracepoint.w+", "RAW_TRACEPOINT_WRITABLE"),
    SectionDef("raw_tp.w+", "RAW_TRACEPOINT_WRITABLE"),
    SectionDef("tp_btf+", "TRACING", "TRACE_RAW_TP", _BTF),
    SectionDef("fentry+", "TRACING", "TRACE_FENTRY", _BTF),
    SectionDef("fmod_ret+", "TRACING", "MODIFY_RETURN", _BTF),
    SectionDef("fexit+", "TRACING", "TRACE_FEXIT", _BTF),
    SectionDef("fentry.s+", "TRACING", "TRACE_FENTRY", _BTF | _S),
    SectionDef("fmod_ret.s+", "TRACING", "MODIFY_RETURN", _BTF | _S),
    SectionDef("fexit.s+", "TRACING", "TRACE_FEXIT", _BTF | _S),
    SectionDef("freplace+", "EXT", None, _BTF),
    SectionDef("lsm+", "LSM", "LSM_MAC", _BTF),
    SectionDef("lsm.s+", "LSM", "LSM_MAC", _BTF | _S),
    SectionDef("lsm_cgroup+", "LSM", "LSM_CGROUP", _BTF),
    SectionDef("iter+", "TRACING", "TRACE_ITER", _BTF),
    SectionDef("iter.s+", "TRACING", "TRACE_ITER", _BTF | _S),
    SectionDef("syscall", "SYSCALL", None, _S),
    SectionDef("xdp.frags/devmap", "XDP", "XDP_DEVMAP", _F),
    SectionDef("xdp/devmap", "XDP", "XDP_DEVMAP", _A),
    SectionDef("xdp.frags/cpumap", "XDP", "XDP_CPUMAP", _F),
    SectionDef("xdp/cpumap", "XDP", "XDP_CPUMAP", _A),
    SectionDef("xdp.frags", "XDP", "XDP", _F),
    SectionDef("xdp", "XDP", "XDP", _AO),
    SectionDef("perf_event", "PERF_EVENT"),
    SectionDef("lwt_in", "LWT_IN"),
    SectionDef("lwt_out", "LWT_OUT"),
    SectionDef("lwt_xmit", "LWT_XMIT"),
    SectionDef("lwt_seg6local", "LWT_SEG6LOCAL"),
    SectionDef("sockops", "SOCK_OPS", "CGROUP_SOCK_OPS", _AO),
    SectionDef("sk_skb/stream_parser", "SK_SKB", "SK_SKB_STREAM_PARSER", _AO),
    SectionDef("sk_skb/stream_verdict", "SK_SKB", "SK_SKB_STREAM_VERDICT", _AO),
    SectionDef("sk_skb/verdict", "SK_SKB", "SK_SKB_VERDICT", _AO),
    SectionDef("sk_skb", "SK_SKB"),
    SectionDef("sk_msg", "SK_MSG", "SK_MSG_VERDICT", _AO),
    SectionDef("lirc_mode2", "LIRC_MODE2", "LIRC_MODE2", _AO),
    SectionDef("flow_dissector", "FLOW_DISSECTOR", "FLOW_DISSECTOR", _AO),
    SectionDef("cgroup_skb/ingress", "CGROUP_SKB", "CGROUP_INET_INGRESS", _AO),
    SectionDef("cgroup_skb/egress", "CGROUP_SKB", "CGROUP_INET_EGRESS", _AO),
    SectionDef("cgroup/skb", "CGROUP_SKB"),
    SectionDef("cgroup/sock_create", "CGROUP_SOCK", "CGROUP_INET_SOCK_CREATE", _A),
    SectionDef("cgroup/sock_release", "CGROUP_SOCK", "CGROUP_INET_SOCK_RELEASE", _A),
    SectionDef("cgroup/sock", "CGROUP_SOCK", "CGROUP_INET_SOCK_CREATE", _AO),
    SectionDef("cgroup/post_bind4", "CGROUP_SOCK", "CGROUP_INET4_POST_BIND", _A),
    SectionDef("cgroup/post_bind6", "CGROUP_SOCK", "CGROUP_INET6_POST_BIND", _A),
    SectionDef("cgroup/bind4", "CGROUP_SOCK_ADDR", "CGROUP_INET4_BIND", _A),
    SectionDef("cgroup/bind6", "CGROUP_SOCK_ADDR", "CGROUP_INET6_BIND", _A),
    SectionDef("cgroup/connect4", "CGROUP_SOCK_ADDR", "CGROUP_INET4_CONNECT", _A),
    SectionDef("cgroup/connect6", "CGROUP_SOCK_ADDR", "CGROUP_INET6_CONNECT", _A),
    SectionDef("cgroup/connect_unix", "CGROUP_SOCK_ADDR", "CGROUP_UNIX_CONNECT", _A),
    SectionDef("cgroup/sendmsg4", "CGROUP_SOCK_ADDR", "CGROUP_UDP4_SENDMSG", _A),
    SectionDef("cgroup/sendmsg6", "CGROUP_SOCK_ADDR", "CGROUP_UDP6_SENDMSG", _A),
    SectionDef("cgroup/sendmsg_unix", "CGROUP_SOCK_ADDR", "CGROUP_UNIX_SENDMSG", _A),
    SectionDef("cgroup/recvmsg4", "CGROUP_SOCK_ADDR", "CGROUP_UDP4_RECVMSG", _A),
    SectionDef("cgroup/recvmsg6", "CGROUP_SOCK_ADDR", "CGROUP_UDP6_RECVMSG", _A),
    SectionDef("cgroup/recvmsg_unix", "CGROUP_SOCK_ADDR", "CGROUP_UNIX_RECVMSG", _A),
    SectionDef("cgroup/getpeername4", "CGROUP_SOCK_ADDR", "CGROUP_INET4_GETPEERNAME", _A),
    SectionDef("cgroup/getpeername6", "CGROUP_SOCK_ADDR", "CGROUP_INET6_GETPEERNAME", _A),
    SectionDef("cgroup/getpeername_unix", "CGROUP_SOCK_ADDR", "CGROUP_UNIX_GETPEERNAME", _A),
    SectionDef("cgroup/getsockname4", "CGROUP_SOCK_ADDR", "CGROUP_INET4_GETSOCKNAME", _A),
    SectionDef("cgroup/getsockname6", "CGROUP_SOCK_ADDR", "CGROUP_INET6_GETSOCKNAME", _A),
    SectionDef("cgroup/getsockname_unix", "CGROUP_SOCK_ADDR", "CGROUP_UNIX_GETSOCKNAME", _A),
    SectionDef("cgroup/sysctl", "CGROUP_SYSCTL", "CGROUP_SYSCTL", _A),
    SectionDef("cgroup/getsockopt", "CGROUP_SOCKOPT", "CGROUP_GETSOCKOPT", _A),
    SectionDef("cgroup/setsockopt", "CGROUP_SOCKOPT", "CGROUP_SETSOCKOPT", _A),
    SectionDef("cgroup/dev", "CGROUP_DEVICE", "CGROUP_DEVICE", _AO),
    SectionDef("struct_ops+", "STRUCT_OPS"),
    SectionDef("struct_ops.s+", "STRUCT_OPS", None, _S),
    SectionDef("sk_lookup", "SK_LOOKUP", "SK_LOOKUP", _A),
    SectionDef("netfilter", "NETFILTER", "NETFILTER"),
    # Pre-1.0 names (libbpf's SEC_SLOPPY_PFX era, samples/bpf, bcc-era loaders, seed 001).
    SectionDef("socket/", "SOCKET_FILTER", None, _L),
    SectionDef("classifier/", "SCHED_CLS", None, _L),
    SectionDef("action/", "SCHED_ACT", None, _L),
    SectionDef("xdp/", "XDP", "XDP", _L),
    SectionDef("xdp_devmap/", "XDP", "XDP_DEVMAP", _L),
    SectionDef("xdp_cpumap/", "XDP", "XDP_CPUMAP", _L),
    SectionDef("events/", "TRACEPOINT", None, _L),
    SectionDef("cgroup_skb/", "CGROUP_SKB", None, _L),
    SectionDef("perf_event/", "PERF_EVENT", None, _L),
)


@dataclass(frozen=True, slots=True)
class SectionMatch:
    """What a ``SEC()`` name means: its definition and the attach point after the prefix."""

    section: str
    definition: SectionDef
    attach_point: str

    @property
    def type(self) -> ProgramType:
        """The program type."""
        return TYPES[self.definition.type]

    @property
    def attach_type(self) -> int:
        """The expected attach type to load with (0 where the definition names none)."""
        attach = self.definition.attach
        return ATTACH_TYPES[attach] if attach is not None else 0


def section_type(section: str) -> SectionMatch | None:
    """The program type of ELF section ``section`` by libbpf's rules (None: not a program
    section libbpf knows, e.g. ``.text``)."""
    for definition in SECTIONS:
        point = definition.match(section)
        if point is not None:
            return SectionMatch(section, definition, point)
    return None


def program_type(name: str | int) -> ProgramType:
    """A program type by name (``"xdp"``, ``"XDP"``, ``"BPF_PROG_TYPE_XDP"``) or number.

    Raises :class:`~bpfvm.errors.ProgramError` for an unknown one, listing the known names.
    """
    if isinstance(name, int):
        for t in TYPES.values():
            if t.id == name:
                return t
    else:
        key = name.upper().removeprefix("BPF_PROG_TYPE_")
        aliases = {
            "TC": "SCHED_CLS",
            "SOCKET": "SOCKET_FILTER",
            "SCHED_CLASSIFIER": "SCHED_CLS",
            "RAW_TP": "RAW_TRACEPOINT",
            "TP": "TRACEPOINT",
        }
        found = TYPES.get(aliases.get(key, key))
        if found is not None:
            return found
    raise ProgramError(f"unknown program type {name!r}; known: {', '.join(t.lower() for t in TYPES)}")
