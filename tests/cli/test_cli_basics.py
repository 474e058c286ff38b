"""CLI basics: version, help, list-backends, usage errors and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

from snncompile import __version__
from snncompile.cli import main


def test_version(capsys):
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_no_command_is_a_usage_error(capsys):
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err


def test_unknown_command_is_a_usage_error(capsys):
    assert main(["frobnicate"]) == 2


def test_list_backends_shows_known_missing_with_install_line(capsys):
    assert main(["list-backends"]) == 0
    out = capsys.readouterr().out
    for name in ("lava", "onnx"):
        assert name in out
    assert "pip install" in out or "installed" in out


def test_list_backends_json(capsys):
    assert main(["list-backends", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"name", "installed", "source", "install_hint"} <= set(rows[0])


def test_python_dash_m_works():
    out = subprocess.run(
        [sys.executable, "-m", "snncompile", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.startswith("snncompile ")
