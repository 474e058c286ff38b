"""The backend registry: entry points, unknown and missing targets."""

from __future__ import annotations

import pytest

from snncompile.backend import KNOWN_BACKENDS, get_backend, list_backends
from snncompile.errors import BackendUnavailableError, ConfigError


def test_unknown_target_lists_choices():
    with pytest.raises(ConfigError, match="unknown target 'nope'") as info:
        get_backend("nope")
    assert "list-backends" in info.value.hint


def test_known_but_missing_target_gives_install_command(monkeypatch):
    # pretend no plug-in is installed, whatever this environment has
    monkeypatch.setattr("snncompile.backend._entry_points", dict)
    assert [row.name for row in list_backends() if not row.installed] == sorted(KNOWN_BACKENDS)
    with pytest.raises(BackendUnavailableError) as info:
        get_backend("lava")
    assert info.value.hint and "pip install" in info.value.hint


def test_known_backends_have_install_lines():
    assert all("pip install" in line for line in KNOWN_BACKENDS.values())
