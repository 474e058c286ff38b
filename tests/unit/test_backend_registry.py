"""The backend registry: entry points, unknown and missing targets."""

from __future__ import annotations

import pytest

from snncompile.backend import KNOWN_BACKENDS, get_backend, list_backends
from snncompile.errors import BackendUnavailableError, ConfigError


def test_unknown_target_lists_choices():
    with pytest.raises(ConfigError, match="unknown target 'nope'") as info:
        get_backend("nope")
    assert "list-backends" in info.value.hint


def test_known_but_missing_target_gives_install_command():
    missing = [row.name for row in list_backends() if not row.installed]
    if not missing:
        pytest.skip("every known backend is installed")
    with pytest.raises(BackendUnavailableError) as info:
        get_backend(missing[0])
    assert info.value.hint and "pip install" in info.value.hint


def test_known_backends_have_install_lines():
    assert all("pip install" in line for line in KNOWN_BACKENDS.values())
