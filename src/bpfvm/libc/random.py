"""glibc's ``random()``/``rand()`` generator (the TYPE_3 additive feedback generator).

``srandom(seed)`` fills 31 words with the Park–Miller "minimal standard" generator (16807 mod
2³¹−1, computed with Schrage's method on signed 32-bit words), copies the first three, and
discards 310 outputs; thereafter ``r[i] = r[i-31] + r[i-3]`` (mod 2³²) and each output is
``r[i] >> 1``.  The sequence is glibc's exactly: ``srand(1); rand()`` is 1804289383.
"""

from __future__ import annotations

from collections import deque

from ..isa.arith import sext

__all__ = ["RAND_MAX", "GlibcRandom"]

RAND_MAX = 0x7FFF_FFFF
_M32 = 0xFFFF_FFFF


class GlibcRandom:
    """One glibc ``random`` state; :meth:`seed` is ``srandom``, :meth:`next` is ``random``."""

    def __init__(self, seed: int = 1) -> None:
        self._r: deque[int] = deque(maxlen=34)
        self.seed(seed)

    def seed(self, seed: int) -> None:
        """Reseed like ``srandom(seed)`` (seed 0 counts as 1)."""
        word = sext(seed, 32) or 1
        words = [word]
        for _ in range(30):
            hi = abs(word) // 127773 * (1 if word >= 0 else -1)  # C division truncates
            lo = word - hi * 127773
            word = 16807 * lo - 2836 * hi
            if word < 0:
                word += 0x7FFF_FFFF
            words.append(word)
        words += words[:3]
        self._r.clear()
        self._r.extend(w & _M32 for w in words)
        for _ in range(310):
            self._step()

    def _step(self) -> int:
        r = self._r
        value = (r[-31] + r[-3]) & _M32
        r.append(value)
        return value

    def next(self) -> int:
        """The next output, in ``[0, RAND_MAX]``."""
        return self._step() >> 1
