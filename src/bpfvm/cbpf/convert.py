"""Classic → eBPF, as the kernel's ``bpf_convert_filter`` (``net/core/filter.c``) does it.

Registers: A = r0, X = r7, ctx = r6 (the context of :mod:`bpfvm.cbpf.skb`, or the 64-byte
``struct seccomp_data``), cached ``skb->data`` = r8 and head length = r9, scratch = r2, and
``M[k]`` at ``r10 - (4k + 4)``.  The prologue clears A and X (``w0 ^= w0; w7 ^= w7``), moves
the context to r6 and, when the filter loads packet bytes, caches data and head length.

Per classic instruction (the kernel's mapping; ``flavour`` picks what differs):

* ALU ops map 1:1 to ALU32; ``div``/``mod x`` are guarded (``if w7 != 0`` … else return 0).
* ``ld [k]``, k ≥ 0: the fast path (``r2 = r9 - k; if r2 s< size`` → slow path; load from
  ``r8 + k``; ``be``); the kernel flavour's slow path calls the ``skb_load_helper_N`` helper
  (negative offsets: ``SKF_NET_OFF``/``SKF_LL_OFF``) and returns 0 on its error; the pcap
  flavour's returns 0 at once (libpcap has no negative bases).  ``ld [x + k]`` always takes
  the helper (kernel) or an exact bounds check (pcap).  ``ldxb 4*([k]&0xf)`` becomes six
  instructions around a byte load.
* Ancillary loads (kernel): context fields (protocol, pkt_type, mark, queue, hash, vlan …),
  ``skb->dev`` fields with its NULL check, or helper calls (poff, nla, nlan, cpu, rand).
* Jumps: ``jf == 0`` → one conditional jump; ``jt == 0`` → the inverted jump (jne/jle/jlt);
  otherwise a conditional jump and a ``ja``.  A negative ``k`` is first moved to w2 so that
  it compares zero-extended.  Offsets are recomputed from the new addresses.
* ``ret #k`` → ``w0 = k; exit``; ``ret a`` → ``exit``.
* The pcap flavour: ``ld len`` reads ``wire_len``; ``lsh/rsh x`` with X ≥ 32 give 0;
  backward ``ja`` are kept (bpfvm's engines run them); ``M[]`` words that may be read before
  written are zeroed in the prologue.  The seccomp flavour (a filter as
  ``seccomp_check_filter`` left it): ``ld [k]`` reads ``seccomp_data`` at k, ``ld len`` is 64.

Raises :class:`~bpfvm.cbpf.errors.CbpfError` for codes the converter cannot map and jumps
whose new offset leaves the program or 16 bits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..isa import Insn, make
from ..program import Program
from .check import check_load_and_stores
from .errors import CbpfError, CheckError
from .insn import SockFilter
from .opcodes import SKF_AD_OFF
from .skb import FIELDS, HELPER_IDS

__all__ = ["convert", "convert_insns"]

A, X, TMP, CTX, D, H, FP = 0, 7, 2, 6, 8, 9, 10
_SIZE = {0x00: ("w", 4), 0x08: ("h", 2), 0x10: ("b", 1)}
_JMP = {0x10: "jeq", 0x20: "jgt", 0x30: "jge", 0x40: "jset"}
_INVERT = {0x10: "jne", 0x20: "jle", 0x30: "jlt"}
_ALU = {
    0x00: "add",
    0x10: "sub",
    0x20: "mul",
    0x30: "div",
    0x40: "or",
    0x50: "and",
    0x60: "lsh",
    0x70: "rsh",
    0x90: "mod",
    0xA0: "xor",
}


def _s32(k: int) -> int:
    k &= 0xFFFF_FFFF
    return k - (1 << 32) if k >> 31 else k


@dataclass
class _Out:
    """Instructions of one classic instruction; ``jumps`` maps a local index to a classic target."""

    insns: list[Insn] = field(default_factory=list)
    jumps: dict[int, int] = field(default_factory=dict)

    def add(self, name: str, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> None:
        self.insns.append(make(name, dst=dst, src=src, off=off, imm=imm))

    def jump(self, name: str, target: int, dst: int = 0, src: int = 0, imm: int = 0) -> None:
        self.jumps[len(self.insns)] = target
        self.add(name, dst, src, 0, imm)


class _Converter:
    def __init__(self, insns: Sequence[SockFilter], flavour: str) -> None:
        self.insns, self.flavour = insns, flavour

    def ctx_load(self, out: _Out, dst: int, name: str, base: int = CTX) -> None:
        off, size = FIELDS[name]
        out.add({1: "ldxb", 2: "ldxh", 4: "ldxw", 8: "ldxdw"}[size], dst, base, off)

    # -- packet loads ----------------------------------------------------------------------------
    def ld_abs(self, out: _Out, k: int, size_bits: int) -> None:
        """``convert_bpf_ld_abs`` for ``ld{,h,b} [k]`` (fast path + slow path)."""
        letter, size = _SIZE[size_bits]
        offset, endian = _s32(k), size > 1
        slow = 2 if self.flavour == "pcap" else 8
        if offset < 0 and self.flavour == "pcap":  # k ≥ 2^31: never inside a capture
            out.add("xor32_reg", A, A)
            out.add("exit")
            return
        if offset >= 0:
            near = offset <= 0x7FFF
            out.add("mov64_reg", TMP, H)
            if offset:
                out.add("sub64_imm", TMP, imm=offset)
            out.add("jslt64_imm", TMP, off=2 + endian + (0 if near else 2), imm=size)
            if near:
                out.add(f"ldx{letter}", A, D, offset)
            else:
                out.add("mov64_reg", TMP, D)
                out.add("add64_imm", TMP, imm=offset)
                out.add(f"ldx{letter}", A, TMP, 0)
            if endian:
                out.add(f"be{8 * size}", A)
            out.add("ja", off=slow)
        if self.flavour == "pcap":
            out.add("xor32_reg", A, A)
            out.add("exit")
            return
        self.slow_path(out, size, imm=offset)

    def slow_path(self, out: _Out, size: int, *, imm: int | None = None, indirect_k: int = 0) -> None:
        out.add("mov64_reg", 1, CTX)
        out.add("mov64_reg", 2, D)
        out.add("mov64_reg", 3, H)
        if imm is not None:
            out.add("mov64_imm", 4, imm=imm)
        else:
            out.add("mov64_reg", 4, X)
            if indirect_k:
                out.add("add64_imm", 4, imm=_s32(indirect_k))
        out.add("call", imm=HELPER_IDS[f"skb_load_helper_{8 * size}"])
        out.add("jsge64_imm", A, off=2, imm=0)
        out.add("xor32_reg", A, A)
        out.add("exit")

    def ld_ind(self, out: _Out, k: int, size_bits: int) -> None:
        letter, size = _SIZE[size_bits]
        if self.flavour != "pcap":
            self.slow_path(out, size, indirect_k=k)
            return
        endian = size > 1
        out.add("mov32_imm", TMP, imm=_s32(k))  # zero-extended k
        out.add("add64_reg", TMP, X)  # exact X + k: libpcap's checks never wrap
        out.add("add64_imm", TMP, imm=size)
        out.add("jgt64_reg", TMP, H, off=3 + endian)
        out.add("add64_reg", TMP, D)
        out.add(f"ldx{letter}", A, TMP, -size)
        if endian:
            out.add(f"be{8 * size}", A)
        out.add("ja", off=2)
        out.add("xor32_reg", A, A)
        out.add("exit")

    def ancillary(self, out: _Out, k: int) -> bool:
        """``convert_bpf_extensions``: True if ``ld [k]`` was an ancillary load (kernel flavour)."""
        if self.flavour != "kernel" or k < SKF_AD_OFF:
            return False
        n = k - SKF_AD_OFF
        simple = {
            0: ("protocol", True),
            4: ("pkt_type", False),
            20: ("mark", False),
            24: ("queue_mapping", False),
            32: ("hash", False),
            44: ("vlan_tci", False),
            48: ("vlan_present", False),
            60: ("vlan_proto", True),
        }
        calls = {
            52: "skb_get_pay_offset",
            12: "skb_get_nlattr",
            16: "skb_get_nlattr_nest",
            36: "get_raw_cpu_id",
            56: "user_rnd_u32",
        }
        if n in simple:
            name, swap = simple[n]
            self.ctx_load(out, A, name)
            if swap:
                out.add("be16", A)
            if n == 4:
                out.add("and32_imm", A, imm=7)
        elif n in (8, 28):
            self.ctx_load(out, TMP, "dev")
            out.add("jne64_imm", TMP, off=1, imm=0)
            out.add("exit")
            off = FIELDS["dev.ifindex"][0] if n == 8 else FIELDS["dev.type"][0]
            out.add("ldxw" if n == 8 else "ldxh", A, TMP, off - FIELDS["dev.ifindex"][0])
        elif n in calls:
            out.add("mov64_reg", 1, CTX)
            out.add("mov64_reg", 2, A)
            out.add("mov64_reg", 3, X)
            out.add("call", imm=HELPER_IDS[calls[n]])
        elif n == 40:
            out.add("xor32_reg", A, X)
        else:
            return False
        return True

    # -- one instruction -------------------------------------------------------------------------
    def one(self, i: int, insn: SockFilter) -> _Out:
        out = _Out()
        code, k = insn.code, insn.k
        cls = code & 0x07
        if cls == 0x04:
            self.alu(out, insn, i)
        elif code in (0x20, 0x28, 0x30):
            if self.flavour == "seccomp":
                if code != 0x20:
                    raise CbpfError(f"seccomp filters load only words (code {code:#x})", i)
                out.add("ldxw", A, CTX, _s32(k))
            elif not self.ancillary(out, k):
                self.ld_abs(out, k, code & 0x18)
        elif code in (0x40, 0x48, 0x50) and self.flavour != "seccomp":
            self.ld_ind(out, k, code & 0x18)
        elif cls == 0x05:
            self.jump(out, insn, i)
        elif code == 0xB1 and self.flavour != "seccomp":
            out.add("mov64_reg", X, A)
            self.ld_abs(out, k, 0x10)
            out.add("and32_imm", A, imm=0xF)
            out.add("lsh32_imm", A, imm=2)
            out.add("mov64_reg", TMP, X)
            out.add("mov64_reg", X, A)
            out.add("mov64_reg", A, TMP)
        elif code in (0x06, 0x16):
            if code == 0x06:
                out.add("mov32_imm", A, imm=_s32(k))
            out.add("exit")
        else:
            self.simple(out, insn, i)
        return out

    def simple(self, out: _Out, insn: SockFilter, i: int) -> None:
        code, k = insn.code, insn.k
        if code in (0x02, 0x03, 0x60, 0x61) and k >= 16:
            raise CbpfError(f"M[{k}] is outside the 16 scratch words", i)
        if code in (0x02, 0x03):
            out.add("stxw", FP, A if code == 0x02 else X, -(4 * k + 4))
        elif code in (0x60, 0x61):
            out.add("ldxw", A if code == 0x60 else X, FP, -(4 * k + 4))
        elif code in (0x00, 0x01):
            out.add("mov32_imm", A if code == 0x00 else X, imm=_s32(k))
        elif code == 0x07:
            out.add("mov64_reg", X, A)
        elif code == 0x87:
            out.add("mov64_reg", A, X)
        elif code in (0x80, 0x81):
            if self.flavour == "seccomp":
                out.add("mov32_imm", A if code == 0x80 else X, imm=64)
            else:
                self.ctx_load(out, A if code == 0x80 else X, "wire_len" if self.flavour == "pcap" else "len")
        else:
            raise CbpfError(f"cannot convert classic opcode {code:#x}", i)

    def alu(self, out: _Out, insn: SockFilter, i: int) -> None:
        code, op, by_x = insn.code, insn.code & 0xF0, insn.code & 0x08
        if op == 0x80 and code == 0x84:
            out.add("neg32", A)
            return
        if op not in _ALU or code & 0x0F not in (0x04, 0x0C):
            raise CbpfError(f"cannot convert classic opcode {code:#x}", i)
        name = _ALU[op]
        if by_x and op in (0x30, 0x90):
            out.add("mov32_reg", X, X)
            out.add("jne64_imm", X, off=2, imm=0)
            out.add("xor32_reg", A, A)
            out.add("exit")
        if by_x and op in (0x60, 0x70) and self.flavour == "pcap":
            out.add("jlt64_imm", X, off=2, imm=32)  # libpcap: a shift by X >= 32 gives 0
            out.add("mov32_imm", A, imm=0)
            out.add("ja", off=1)
        if by_x:
            out.add(f"{name}32_reg", A, X)
        elif op in (0x60, 0x70):
            out.add(f"{name}32_imm", A, imm=insn.k & 31)  # >= 32: libpcap on x86 masks
        elif op in (0x30, 0x90) and insn.k == 0:
            raise CbpfError("division by constant zero", i)
        else:
            out.add(f"{name}32_imm", A, imm=_s32(insn.k))

    def jump(self, out: _Out, insn: SockFilter, i: int) -> None:
        code, op = insn.code, insn.code & 0xF0
        n = len(self.insns)
        if op == 0 and code == 0x05:
            target = (i + 1 + insn.k) & 0xFFFF_FFFF
            if self.flavour != "pcap" and target <= i:
                raise CbpfError("backward ja (only libpcap runs these)", i)
            out.jump("ja", target)
            return
        if op not in _JMP or code & 0x0F not in (0x05, 0x0D):
            raise CbpfError(f"cannot convert classic opcode {code:#x}", i)
        by_x = bool(code & 0x08)
        src = X
        if not by_x and insn.k >= 0x8000_0000:
            out.add("mov32_imm", TMP, imm=_s32(insn.k))
            by_x, src = True, TMP
        suffix = "64_reg" if by_x else "64_imm"
        regs = {"dst": A, "src": src if by_x else 0, "imm": 0 if by_x else insn.k}
        t, f = i + 1 + insn.jt, i + 1 + insn.jf
        if max(t, f) >= n:
            raise CbpfError("jump target outside the program", i)
        if insn.jf == 0:
            out.jump(_JMP[op] + suffix, t, **regs)
        elif insn.jt == 0 and op in _INVERT:
            out.jump(_INVERT[op] + suffix, f, **regs)
        else:
            out.jump(_JMP[op] + suffix, t, **regs)
            out.jump("ja", f)

    # -- the program -----------------------------------------------------------------------------
    def prologue(self) -> list[Insn]:
        pro = [make("xor32_reg", A, A), make("xor32_reg", X, X), make("mov64_reg", CTX, 1)]
        if self.flavour == "pcap" and not _mem_safe(self.insns):
            pro += [make("stw", FP, off=-(4 * w + 4), imm=0) for w in range(16)]
        if self.flavour != "seccomp" and any(_loads_packet(i, self.flavour) for i in self.insns):
            pro.append(make("ldxdw", D, CTX, FIELDS["data"][0]))
            pro.append(make("ldxw", H, CTX, FIELDS["len"][0]))
            pro.append(make("ldxw", TMP, CTX, FIELDS["data_len"][0]))
            pro.append(make("sub32_reg", H, TMP))
        return pro

    def run(self) -> list[Insn]:
        if not self.insns:
            raise CbpfError("empty classic program")
        pro = self.prologue()
        blocks = [self.one(i, insn) for i, insn in enumerate(self.insns)]
        addrs, at = [], len(pro)
        for block in blocks:
            addrs.append(at)
            at += len(block.insns)
        out = [insn.with_pc(pc) for pc, insn in enumerate(pro)]
        for i, block in enumerate(blocks):
            for j, insn in enumerate(block.insns):
                if j in block.jumps:
                    target = block.jumps[j]
                    if not 0 <= target < len(self.insns):
                        raise CbpfError(f"jump to {target}, outside the program", i)
                    off = addrs[target] - (addrs[i] + j) - 1
                    if not -0x8000 <= off <= 0x7FFF:
                        raise CbpfError(f"jump offset {off} does not fit in 16 bits", i)
                    insn = insn._replace(off=off)
                out.append(insn.with_pc(len(out)))
        return out


def _loads_packet(insn: SockFilter, flavour: str) -> bool:
    if insn.code in (0x40, 0x48, 0x50, 0xB1):
        return True
    return insn.code in (0x20, 0x28, 0x30) and (flavour == "pcap" or insn.k < SKF_AD_OFF)


def _mem_safe(insns: Sequence[SockFilter]) -> bool:
    try:
        check_load_and_stores(insns)
    except (CheckError, KeyError, IndexError):
        return False
    return True


def convert_insns(insns: Sequence[SockFilter], flavour: str = "pcap") -> list[Insn]:
    """The eBPF instructions of a classic program; raises :class:`CbpfError`."""
    if flavour not in ("pcap", "kernel", "seccomp"):
        raise ValueError(f"unknown flavour {flavour!r}")
    return _Converter(insns, flavour).run()


def convert(insns: Sequence[SockFilter], flavour: str = "pcap", name: str = "cbpf") -> Program:
    """A classic program as an eBPF :class:`~bpfvm.program.Program` (entry ``filter``, r1 =
    the context); raises :class:`CbpfError`."""
    return Program.from_insns(convert_insns(insns, flavour), name=name, names={0: "filter"})
