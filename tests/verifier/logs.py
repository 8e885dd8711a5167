"""Normalising verifier logs for comparison: what bpfvm is expected to reproduce byte for byte.

Dropped from both sides: the precision-backtracking lines (``mark_precise: …``) and the ``P``
marks they leave on registers (bpfvm treats every scalar as precise and does not print the
backtracking), and 6.18's stack-liveness trace (lines starting with ``(``).  Where the kernel's
backtracking text split an instruction's state onto its own line (``9: R1=…``), it is joined
back to the instruction as the log shows it otherwise (``8: (0f) r4 += r1 ; R1=…``).
"""

from __future__ import annotations

import re

__all__ = ["normalise"]

_INSN = re.compile(r"^\d+: \([0-9a-f]{2}\) ")
_STATE = re.compile(r"^\d+: R\d+=|^\d+: fp-\d+=")


def normalise(log: str) -> list[str]:
    """The comparable lines of a verifier log."""
    out: list[str] = []
    for line in log.splitlines():
        if line.startswith(("mark_precise:", "(", "verification time")):
            continue
        line = re.sub(r"=P(?=[-0-9a-z(])", "=", line)
        if _STATE.match(line) and out and _INSN.match(out[-1]) and ";" not in out[-1]:
            prev = out.pop()
            column = (max(len(prev) + 1 + 4, 40) + 7) // 8 * 8 - 2
            line = prev.ljust(column) + ";" + line[line.index(":") + 1 :]
        out.append(line.rstrip())
    return out
