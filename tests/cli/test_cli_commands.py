"""Every command: --help with examples and exit codes, --json, --quiet, --verbose, progress."""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys

import numpy as np
import pytest

from snncompile.cli import build_parser, main
from snncompile.commands.common import ProgressBars

COMMANDS = (
    "list-backends",
    "inspect",
    "check",
    "export",
    "simulate",
    "report",
    "dialects",
    "targets",
)


def _help(capsys, *argv: str) -> str:
    assert main([*argv, "--help"]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_examples_and_exit_codes(capsys, command):
    text = _help(capsys, command)
    assert "example" in text
    assert f"snncompile {command}" in text.split("example", 1)[1]
    for line in ("0  success", "1  user error", "2  usage error", "3  internal error"):
        assert line in text
    assert "--quiet" in text and "--verbose" in text and "--debug" in text


def test_top_level_help_lists_commands_examples_and_exit_codes(capsys):
    text = _help(capsys)
    for command in COMMANDS:
        assert command in text
    assert "examples:" in text and "exit codes:" in text


def test_the_parser_knows_exactly_the_documented_commands():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert set(sub.choices) == set(COMMANDS)


def test_python_dash_m_runs_the_cli(assets):
    done = subprocess.run(
        [sys.executable, "-m", "snncompile", "inspect", str(assets.nir), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["format"] == "NIR"


def test_usage_errors_exit_2(cli, assets):
    assert cli("export", assets.nir).code == 2  # --target and -o missing
    assert cli("simulate", assets.nir, "--input", assets.inputs, "--steps", "0").code == 2
    assert cli("export", assets.nir, "--input-shape", "4,x", "--target", "nir", "-o", "x").code == 2


# ----------------------------------------------------------------------------- --json


def test_export_json(cli, assets, tmp_path):
    result = cli("export", assets.nir, "--target", "onnx", "-o", tmp_path / "m.onnx", "--json")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["target"] == "onnx" and doc["output"].endswith("m.onnx")
    assert doc["report"] is None and doc["warnings"] == []


@pytest.mark.parametrize("target", ["nir", "onnx"])
def test_export_with_report_json(cli, assets, tmp_path, target):
    """``--steps`` sets T of the static report data; ONNX step mode does not take it."""
    argv = ["export", assets.nir, "--target", target, "-o", tmp_path / f"m.{target}", "--json"]
    result = cli(*argv, "--report", tmp_path / "r.json", "--input", assets.inputs, "--steps", 2)
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["report"].endswith("r.json")
    assert "counts" in json.loads((tmp_path / "r.json").read_text())


def test_simulate_json_and_outputs(cli, assets, tmp_path):
    target = tmp_path / "outputs.npz"
    result = cli(
        "simulate", assets.onnx, "--input", assets.inputs, "--steps", 3, "-o", target, "--json"
    )
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["inputs"] == [3, 6, 1, 8, 8] and doc["outputs"] == {"output": [3, 6, 10]}
    assert 0.0 <= doc["accuracy"] <= 1.0 and doc["written"] == str(target)
    with np.load(target) as data:
        assert data["output"].shape == (3, 6, 10)


def test_simulate_nir_and_onnx_agree(cli, assets, tmp_path):
    for artifact in (assets.nir, assets.onnx):
        target = tmp_path / f"{artifact.suffix[1:]}.npz"
        assert (
            cli("simulate", artifact, "--input", assets.inputs, "--steps", 4, "-o", target).code
            == 0
        )
    with np.load(tmp_path / "nir.npz") as a, np.load(tmp_path / "onnx.npz") as b:
        np.testing.assert_array_equal(a["output"], b["output"])


def test_inspect_and_list_backends_json(cli, assets):
    doc = json.loads(cli("inspect", assets.nir, "--json").out)
    assert doc["format"] == "NIR" and doc["ir"]
    doc = json.loads(cli("inspect", assets.checkpoint, "--json").out)
    assert doc["inputs"][0]["shape"] == [4, 2, 1, 8, 8]
    rows = json.loads(cli("list-backends", "--json").out)
    assert {"nir", "onnx"} <= {row["name"] for row in rows if row["installed"]}


def test_report_json_summary(cli, assets, tmp_path):
    argv = ["report", assets.nir, "--input", assets.inputs, "--steps", 2, "--json"]
    result = cli(*argv, "--profile", "loihi", "-o", tmp_path / "r.html")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["samples"] == 6 and doc["timesteps"] == 2 and doc["output"].endswith("r.html")
    assert [e["profile"] for e in doc["estimates"]] == ["loihi"]
    assert doc["estimates"][0]["total_j"] > 0 and doc["estimates"][0]["label"] == "estimate"
    assert (tmp_path / "r.html").read_text().startswith("<!")


# ------------------------------------------------------------------ --quiet, --verbose


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_prints_nothing_but_errors(cli, assets, tmp_path, where):
    argv = ["export", assets.nir, "--target", "nir", "-o", tmp_path / "m.nir"]
    result = cli("--quiet", *argv) if where == "before" else cli(*argv, "-q")
    assert result.code == 0 and result.out == "" and result.err == ""
    assert (tmp_path / "m.nir").is_file()
    failed = cli("-q", "export", assets.nir, "--target", "nir", "-o", tmp_path / "m.nir")
    assert failed.code == 1 and failed.out == "" and failed.err.startswith("error: ")


def test_quiet_still_prints_json(cli, assets):
    result = cli("-q", "inspect", assets.nir, "--json")
    assert json.loads(result.out)["format"] == "NIR" and result.err == ""


def test_warnings_go_to_stderr_and_quiet_hides_them(cli, tmp_path):
    import warnings

    from snncompile.ir.nir_io import write_nir
    from tests.roundtrip.graph_zoo import clif_ilif

    model = tmp_path / "clif.nir"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_nir(clif_ilif(), model)
    result = cli("export", model, "--target", "nir", "-o", tmp_path / "a.nir")
    assert result.code == 0 and result.out.startswith("wrote ")
    assert "warning: node 'clif' (CLIF) has no exact NIR form" in result.err
    quiet = cli("-q", "export", model, "--target", "nir", "-o", tmp_path / "b.nir")
    assert quiet.code == 0 and quiet.out == "" and quiet.err == ""
    doc = json.loads(
        cli("export", model, "--target", "nir", "-o", tmp_path / "c.nir", "--json").out
    )
    assert any("no exact NIR form" in note for note in doc["warnings"])


def test_verbose_shows_info_logs(cli, assets, tmp_path, monkeypatch):
    import snncompile.targets

    real = snncompile.targets.NirBackend.emit

    def emit(self, graph, out_dir):
        logging.getLogger("snncompile.targets").info("emitting %d nodes", len(graph.nodes))
        return real(self, graph, out_dir)

    monkeypatch.setattr(snncompile.targets.NirBackend, "emit", emit)
    argv = ["export", assets.nir, "--target", "nir"]
    plain = cli(*argv, "-o", tmp_path / "a.nir")
    assert "emitting" not in plain.err
    verbose = cli("-v", *argv, "-o", tmp_path / "b.nir")
    assert verbose.code == 0 and re.search(r"info: emitting \d+ nodes", verbose.err)
    assert logging.getLogger("snncompile").handlers == []  # main() leaves no handler behind


# --------------------------------------------------------------------------- progress


def test_progress_bar_on_a_terminal(cli, assets, tmp_path, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    argv = ["report", assets.nir, "--input", assets.inputs, "--steps", 3, "-o"]
    result = cli(*argv, tmp_path / "r.json")
    assert result.code == 0 and "simulate:" in result.err and "/3 [" in result.err
    quiet = cli("-q", *argv, tmp_path / "q.json")
    assert quiet.code == 0 and quiet.err == ""


def test_no_progress_bar_when_stderr_is_not_a_terminal(cli, assets, tmp_path):
    argv = ["report", assets.nir, "--input", assets.inputs, "--steps", 3, "-o"]
    result = cli(*argv, tmp_path / "r.json")
    assert result.code == 0 and result.err == ""


def test_progress_bars_draw_and_close():
    stream = io.StringIO()
    bars = ProgressBars(stream, enabled=True)
    hook = bars("simulate")
    assert hook is not None
    for done in range(5):
        hook(done, 4)
    assert "simulate:" in stream.getvalue() and "/4 [" in stream.getvalue()
    assert bars.open_bars == 0  # closed at done == total
    assert ProgressBars(stream, enabled=False)("simulate") is None
