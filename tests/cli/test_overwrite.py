"""One overwrite rule for the CLI's writers: an existing output (or one with the wrong
suffix) is refused before the model is read or run, naming the real path."""

from __future__ import annotations

from pathlib import Path

import pytest

import snncompile.api
from tests.cli.test_bad_inputs import assert_nothing_written, assert_user_error


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading, compiling or running a model fails the test: the check comes first."""

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the expensive work started before the output was checked")

    for name in ("load_graph", "compile", "energy_report"):
        monkeypatch.setattr(snncompile.api, name, forbidden)


def test_report_refuses_an_existing_output_before_simulating(cli, assets, tmp_path, no_work):
    target = tmp_path / "energy.json"
    target.write_text("keep me")
    argv = ["report", assets.nir, "--input", assets.inputs, "--steps", 2, "-o", target]
    assert_user_error(cli(*argv), f"'{target}' already exists", "--force")
    assert target.read_text() == "keep me"


def test_report_refuses_an_activity_suffix_before_simulating(cli, assets, tmp_path, no_work):
    target = tmp_path / "activity.npz"
    argv = ["report", assets.nir, "--input", assets.inputs, "--steps", 2, "-o", target]
    result = cli(*argv)
    assert_user_error(result, f"'{target}'", "unknown suffix '.npz'", ".json, .md or .html")
    assert ".tmp" not in result.err  # the real path, not the staging file
    assert_nothing_written(target)


def test_report_force_replaces_the_output(cli, assets, tmp_path):
    target = tmp_path / "energy.json"
    target.write_text("old")
    argv = ["report", assets.nir, "--input", assets.inputs, "--steps", 2, "-o", target]
    assert cli(*argv, "--force").code == 0
    assert target.read_text().startswith("{") and '"schema"' in target.read_text()
    assert not list(tmp_path.glob(".energy.json.*"))


def test_export_refuses_an_existing_output_before_tracing(cli, assets, tmp_path, no_work):
    target = tmp_path / "m.onnx"
    target.write_bytes(b"old")
    result = cli("export", assets.checkpoint, "--target", "onnx", "-o", target)
    assert_user_error(result, f"'{target}' already exists", "--force")
    assert target.read_bytes() == b"old"


def test_export_refuses_an_existing_report_before_tracing(cli, assets, tmp_path, no_work):
    target, report = tmp_path / "m.onnx", tmp_path / "energy.md"
    report.write_text("old")
    argv = ["export", assets.checkpoint, "--target", "onnx", "-o", target]
    result = cli(*argv, "--report", report, "--input", assets.inputs, "--steps", 2)
    assert_user_error(result, f"'{report}' already exists")
    assert report.read_text() == "old"
    assert_nothing_written(target)


def test_export_with_report_force_replaces_both(cli, assets, tmp_path):
    target, report = tmp_path / "m.onnx", tmp_path / "energy.md"
    target.write_bytes(b"old")
    report.write_text("old")
    argv = ["export", assets.checkpoint, "--target", "onnx", "-o", target, "--force"]
    assert cli(*argv, "--report", report, "--input", assets.inputs, "--steps", 2).code == 0
    assert target.read_bytes() != b"old"
    assert report.read_text().startswith("# snncompile energy report")
    assert sorted(p.name for p in Path(tmp_path).iterdir()) == ["energy.md", "m.onnx"]
