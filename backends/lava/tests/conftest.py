"""Lava backend tests: the 3.11 shim goes in before anything imports lava.

Tests marked ``lava`` need lava-nc and are skipped, with the install command, when it
is missing. Lava runs are slow (process start-up dominates): tests batch several checks
into one short run.
"""

from __future__ import annotations

import importlib.util

import pytest
from snncompile_lava import _compat

_compat.install()


def _lava_missing() -> bool:
    try:
        return importlib.util.find_spec("lava") is None
    except ImportError:
        return True


LAVA_MISSING = _lava_missing()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not LAVA_MISSING:
        return
    skip = pytest.mark.skip(reason=f"lava-nc is not installed; {_compat.INSTALL_COMMAND}")
    for item in items:
        if item.get_closest_marker("lava") is not None:
            item.add_marker(skip)
