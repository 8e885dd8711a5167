"""The checkers a classic program must pass before it runs, with the kernel's verdicts.

* :func:`check_classic` — the kernel's ``bpf_check_classic`` (``net/core/filter.c``): length
  1..4096, the ``chk_code_allowed`` whitelist, constant ``div``/``mod`` by 0 and shifts ≥ 32
  rejected, ``M[k]`` with k < 16, forward jumps inside the program, known ancillary offsets
  only, a ``ret`` last, then ``check_load_and_stores`` (every ``M[]`` word read is written on
  every path to the read).
* :func:`check_seccomp` — ``bpf_check_classic`` then ``seccomp_check_filter``
  (``kernel/seccomp.c``): only 32-bit, 4-byte aligned ``ld [k]`` inside the 64-byte
  ``struct seccomp_data``, no ``mod``, no byte/half/indirect/``msh`` loads.
* :func:`validate_pcap` — libpcap's ``bpf_validate`` (``bpf_filter.c``), for filters only
  libpcap runs: it allows backward ``ja`` (the index wraps) and shifts by ≥ 32.

Each raises :class:`~bpfvm.cbpf.errors.CheckError` whose ``errno`` is the kernel's (EINVAL)
and whose message and ``pc`` say which rule which instruction broke.
"""

from __future__ import annotations

from collections.abc import Sequence

from .errors import CheckError
from .insn import SockFilter
from .opcodes import ANCILLARY, BPF_MAXINSNS, BPF_MEMWORDS, SKF_AD_OFF, SPECS_BY_CODE

__all__ = ["check_classic", "check_load_and_stores", "check_seccomp", "validate_pcap"]

_SECCOMP_DATA = 64


def _basics(insns: Sequence[SockFilter], checker: str) -> None:
    if not 0 < len(insns) <= BPF_MAXINSNS:
        raise CheckError(checker, f"a filter has 1 to {BPF_MAXINSNS} instructions, this one {len(insns)}")


def check_classic(insns: Sequence[SockFilter]) -> None:
    """The kernel's ``bpf_check_classic``; raises :class:`CheckError` (EINVAL) naming the rule."""
    _basics(insns, "bpf_check_classic")
    flen = len(insns)
    for pc, insn in enumerate(insns):
        spec = SPECS_BY_CODE.get(insn.code)
        if spec is None or not spec.kernel:
            raise CheckError("bpf_check_classic", f"opcode {insn.code:#x} is not allowed", pc)
        _check_one(insn, spec.kind, spec.mode, pc, flen)
    if insns[-1].code not in (0x06, 0x16):
        raise CheckError("bpf_check_classic", "the last instruction must be ret", flen - 1)
    check_load_and_stores(insns)


def _check_one(insn: SockFilter, kind: str, mode: str, pc: int, flen: int) -> None:
    fail = "bpf_check_classic"
    if insn.code in (0x34, 0x94) and insn.k == 0:
        raise CheckError(fail, "division by constant zero", pc)
    if insn.code in (0x64, 0x74) and insn.k >= 32:
        raise CheckError(fail, f"shift by {insn.k} (at most 31)", pc)
    if mode == "mem" and insn.k >= BPF_MEMWORDS:
        raise CheckError(fail, f"M[{insn.k}] is outside the {BPF_MEMWORDS} scratch words", pc)
    if kind == "ja" and insn.k >= flen - pc - 1:
        raise CheckError(fail, f"ja {insn.k} jumps out of the program (or backward)", pc)
    if kind == "jmp" and (pc + insn.jt + 1 >= flen or pc + insn.jf + 1 >= flen):
        raise CheckError(fail, f"jump targets jt {insn.jt} / jf {insn.jf} leave the program", pc)
    if kind == "ld" and mode == "abs" and insn.k >= SKF_AD_OFF and insn.k - SKF_AD_OFF not in ANCILLARY:
        raise CheckError(fail, f"unknown ancillary load SKF_AD_OFF + {insn.k - SKF_AD_OFF}", pc)


def check_load_and_stores(insns: Sequence[SockFilter]) -> None:
    """``check_load_and_stores``: every ``M[k]`` read must follow a write on every path;
    raises :class:`CheckError` at the first read that may see an unwritten word.

    The input must already have passed the jump-range checks of :func:`check_classic`.
    """
    masks = [0xFFFF] * len(insns)
    valid = 0
    for pc, insn in enumerate(insns):
        valid &= masks[pc]
        spec = SPECS_BY_CODE[insn.code]
        if spec.kind in ("st", "stx"):
            valid |= 1 << insn.k
        elif spec.mode == "mem" and not valid & (1 << insn.k):
            raise CheckError("check_load_and_stores", f"M[{insn.k}] may be read before it is written", pc)
        elif spec.kind == "ja":
            masks[pc + 1 + insn.k] &= valid
            valid = 0xFFFF
        elif spec.kind == "jmp":
            masks[pc + 1 + insn.jt] &= valid
            masks[pc + 1 + insn.jf] &= valid
            valid = 0xFFFF


def check_seccomp(insns: Sequence[SockFilter]) -> None:
    """What ``seccomp(SECCOMP_SET_MODE_FILTER)`` checks: :func:`check_classic`, then
    ``seccomp_check_filter``; raises :class:`CheckError` (EINVAL)."""
    check_classic(insns)
    for pc, insn in enumerate(insns):
        spec = SPECS_BY_CODE[insn.code]
        if not spec.seccomp:
            raise CheckError(
                "seccomp_check_filter", f"{spec.mnemonic} ({insn.code:#x}) is not allowed in seccomp", pc
            )
        if insn.code == 0x20 and (insn.k >= _SECCOMP_DATA or insn.k & 3):
            raise CheckError(
                "seccomp_check_filter",
                f"ld [{insn.k}] is not a 4-byte aligned word of struct seccomp_data",
                pc,
            )


def validate_pcap(insns: Sequence[SockFilter]) -> None:
    """libpcap's ``bpf_validate``; raises :class:`CheckError` (``checker`` ``bpf_validate``)."""
    fail = "bpf_validate"
    if not insns:
        raise CheckError(fail, "empty program")
    n = len(insns)
    for pc, insn in enumerate(insns):
        cls, code = insn.code & 0x07, insn.code
        if cls in (0, 1) and code & 0xE0 not in (0x00, 0x20, 0x40, 0x60, 0x80, 0xA0):
            raise CheckError(fail, f"load mode {code & 0xE0:#x} is invalid", pc)
        if (cls in (2, 3) or (cls in (0, 1) and code & 0xE0 == 0x60)) and insn.k >= BPF_MEMWORDS:
            raise CheckError(fail, f"M[{insn.k}] is outside the scratch memory", pc)
        if cls == 4:
            op = code & 0xF0
            if op not in (0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xA0):
                raise CheckError(fail, f"ALU operation {op:#x} is invalid", pc)
            if op in (0x30, 0x90) and not code & 0x08 and insn.k == 0:
                raise CheckError(fail, "division by constant zero", pc)
        if cls == 5:
            _validate_jump(insn, pc, n)
    if insns[-1].code & 0x07 != 6:
        raise CheckError(fail, "the last instruction must be ret", n - 1)


def _validate_jump(insn: SockFilter, pc: int, n: int) -> None:
    op = insn.code & 0xF0
    if op == 0x00:
        if ((pc + 1 + insn.k) & 0xFFFF_FFFF) >= n:  # u_int arithmetic: backward targets wrap
            raise CheckError("bpf_validate", f"ja {insn.k} leaves the program", pc)
    elif op in (0x10, 0x20, 0x30, 0x40):
        if pc + 1 + insn.jt >= n or pc + 1 + insn.jf >= n:
            raise CheckError("bpf_validate", "jump targets leave the program", pc)
    else:
        raise CheckError("bpf_validate", f"jump operation {op:#x} is invalid", pc)
