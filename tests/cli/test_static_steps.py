"""CLI: static images with ``--steps T`` are repeated T times (datafiles.time_major), on
``simulate`` (nir, onnx) and ``report``; time-major data are taken as they are."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import snncompile

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "examples" / "models" / "digits_lif.pt"
DATA = REPO / "examples" / "data" / "digits_test.npz"


@pytest.fixture(scope="module")
def digits_nir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("digits") / "digits.nir"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snncompile.compile(MODEL, "nir").save(path)
    return path


def _summary(result) -> dict:
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_static_digits_with_steps_give_the_trained_accuracy(cli, digits_nir):
    """The issue's case: [450, 1, 8, 8] static images, --steps 4 (was read as T=450, B=1)."""
    trained = json.loads((MODEL.parent / "summary.json").read_text())["lif"]
    summary = _summary(cli("simulate", digits_nir, "--input", DATA, "--steps", 4, "--json"))
    assert summary["inputs"] == [4, 450, 1, 8, 8]
    assert trained["T"] == 4
    assert abs(summary["accuracy"] - trained["test_accuracy"]) <= 2 / 450


def test_static_and_repeated_time_major_data_agree(cli, assets, tmp_path):
    with np.load(assets.inputs) as data:
        x, labels = data["inputs"], data["labels"]
    repeated = tmp_path / "repeated.npz"
    np.savez(repeated, inputs=np.repeat(x[None], 4, axis=0), labels=labels)
    for model in (assets.nir, assets.onnx):
        static = cli(
            "simulate",
            model,
            "--input",
            assets.inputs,
            "--steps",
            4,
            "-o",
            tmp_path / f"static-{model.suffix[1:]}.npz",
            "--json",
        )
        taken = cli(
            "simulate",
            model,
            "--input",
            repeated,
            "-o",
            tmp_path / f"taken-{model.suffix[1:]}.npz",
            "--json",
        )
        assert _summary(static)["inputs"] == _summary(taken)["inputs"] == [4, 6, 1, 8, 8]
        with (
            np.load(tmp_path / f"static-{model.suffix[1:]}.npz") as a,
            np.load(tmp_path / f"taken-{model.suffix[1:]}.npz") as b,
        ):
            assert a.files == b.files
            for key in a.files:
                np.testing.assert_array_equal(a[key], b[key])


def test_static_without_steps_is_refused_with_the_rule(cli, assets):
    result = cli("simulate", assets.nir, "--input", assets.inputs)
    assert result.code == 1
    assert "static inputs [6, 1, 8, 8]" in result.err and "[1, 8, 8] per step" in result.err
    assert "--steps T" in result.err and "Traceback" not in result.err


def test_steps_beyond_time_major_data_are_refused(cli, assets, tmp_path):
    data = tmp_path / "tm.npz"
    np.savez(data, inputs=np.zeros((3, 2, 1, 8, 8), np.float32))
    result = cli("simulate", assets.nir, "--input", data, "--steps", 4)
    assert result.code == 1
    assert "steps=4" in result.err and "[3, 2, 1, 8, 8]" in result.err and "T=3" in result.err


def test_report_repeats_static_data(cli, assets, tmp_path):
    target = tmp_path / "report.html"
    argv = ["report", assets.nir, "--input", assets.inputs, "--steps", 3, "-o", target, "--json"]
    summary = _summary(cli(*argv))
    assert summary["timesteps"] == 3 and summary["samples"] == 6
