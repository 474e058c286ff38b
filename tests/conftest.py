"""Common fixtures: paths to the repository's golden and foreign test data.

Both folders live in the repository (``tests/data/``) with a ``PROVENANCE.md`` each, so the
tests need nothing outside the repository.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
GOLDEN = DATA / "golden"
FOREIGN = DATA / "foreign"
FRAMEWORKS = DATA / "frameworks"


def load_golden(name: str) -> dict[str, np.ndarray]:
    """The arrays of ``tests/data/golden/golden_<name>.npz`` (docs/neurons.md §10)."""
    path = GOLDEN / f"golden_{name}.npz"
    if not path.exists():
        pytest.fail(
            f"golden data not found at {path}: tests/data/golden/PROVENANCE.md lists the files"
        )
    with np.load(path) as data:
        return dict(data)


@pytest.fixture
def golden_lif() -> dict[str, np.ndarray]:
    return load_golden("lif")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the longest tests first: each document of tests/test_docs_snippets.py runs
    for minutes, and collected last they would leave one xdist worker busy alone at the
    end of ``make test``; first, the short tests fill the other worker around them."""
    slow = [item for item in items if item.nodeid.startswith("tests/test_docs_snippets.py")]
    if slow:
        rest = [item for item in items if item not in slow]
        items[:] = slow + rest
