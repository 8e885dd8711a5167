"""Where the corpora that live outside the repository are (``../shared``, or ``$BPFVM_SHARED``).

A user's clone has no ``../shared``: the tests that need it skip with a one-line reason naming
what is missing.  Under CI (``CI=true``), where the corpus is always beside the clone, a missing
corpus fails instead, so CI proves that those tests ran.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

__all__ = ["IN_CI", "SHARED", "require"]

#: ``../shared`` beside the repository, unless ``BPFVM_SHARED`` names another place.
SHARED = Path(os.environ.get("BPFVM_SHARED", Path(__file__).resolve().parents[2] / "shared"))
#: Whether this is a CI run (CI sets ``CI=true``), where every corpus must be present.
IN_CI = os.environ.get("CI", "").lower() == "true"


def require(path: Path) -> Path:
    """``path`` (under :data:`SHARED`) if it exists; else skip the calling test with a reason,
    or fail it under CI."""
    if path.exists():
        return path
    reason = f"corpus {path} is absent (it lives in ../shared beside the repository; BPFVM_SHARED overrides)"
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)
