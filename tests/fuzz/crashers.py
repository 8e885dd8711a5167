"""Targets that misbehave on purpose, to test that the campaign catches host crashes and hangs."""

from __future__ import annotations

import os
import time

from fuzz.targets import Result


def abort_target(seed: int) -> Result:
    """Seed 1 kills the process with SIGABRT (as a crashing JIT would); the others pass."""
    if seed == 1:
        os.abort()
    return Result(inputs=1, runs=1)


def hang_target(seed: int) -> Result:
    """Seed 0 never answers."""
    if seed == 0:
        time.sleep(60)
    return Result(inputs=1, runs=1)
