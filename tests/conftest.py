"""Shared fixtures: paths to the shared golden and foreign data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
GOLDEN = SHARED / "data" / "golden"
FOREIGN = SHARED / "data" / "foreign"


def load_golden(name: str) -> dict[str, np.ndarray]:
    """The arrays of ``golden_<name>.npz`` (the shared data must sit beside the repo)."""
    path = GOLDEN / f"golden_{name}.npz"
    if not path.exists():
        pytest.fail(f"shared golden data not found at {path}: check out shared/ beside the repo")
    with np.load(path) as data:
        return dict(data)


@pytest.fixture
def golden_lif() -> dict[str, np.ndarray]:
    return load_golden("lif")
