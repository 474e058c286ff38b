"""One overwrite rule for the Python writers and short reprs.

``snncompile.save``, ``Artifact.save`` and ``EnergyReport.save`` refuse an existing path
with the same ``ConfigError`` (naming the path) before any work, replace it only with
``force=True``, and never leave a half-written file. ``repr`` of an artefact and of a
report is one short line, never the weights or the counts.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import snncompile
from snncompile.energy.report import EnergyReport
from snncompile.errors import ConfigError, OutputError

#: an upper bound on every repr (the old dataclass reprs were 30,000-45,000 characters)
REPR_LIMIT = 300


@pytest.fixture(scope="module")
def model():
    import torch
    from torch import nn

    import snncompile.neurons as sn

    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(2), nn.Linear(64, 32), sn.LIF(), nn.Linear(32, 10))
    return net, torch.rand(4, 2, 1, 8, 8)


@pytest.fixture(scope="module")
def artifact(model):
    net, example = model
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return snncompile.compile(net, "onnx", example_input=example)


@pytest.fixture(scope="module")
def report(artifact) -> EnergyReport:
    x = (np.random.default_rng(0).random((4, 3, 1, 8, 8)) < 0.5).astype(np.float32)
    return artifact.report(x)


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _refused(excinfo: pytest.ExceptionInfo[ConfigError], path: Path) -> None:
    assert f"'{path}' already exists" in excinfo.value.message
    assert "force=True" in (excinfo.value.hint or "")


# ------------------------------------------------------------------ snncompile.save


def test_checkpoint_save_refuses_an_existing_path_before_tracing(model, tmp_path, monkeypatch):
    import snncompile.checkpoint.writer as writer

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("traced before the path was checked")

    net, example = model
    path = tmp_path / "model.pt"
    path.write_bytes(b"keep")
    monkeypatch.setattr(writer, "build_checkpoint", forbidden)
    with pytest.raises(ConfigError) as excinfo:
        snncompile.save(net, path, example_input=example)
    _refused(excinfo, path)
    assert path.read_bytes() == b"keep" and _files(tmp_path) == ["model.pt"]


def test_checkpoint_save_force_replaces(model, tmp_path):
    net, example = model
    path = tmp_path / "model.pt"
    snncompile.save(net, path, example_input=example, metadata={"run": 1})
    snncompile.save(net, path, example_input=example, metadata={"run": 2}, force=True)
    assert snncompile.checkpoint.load_info(path)["metadata"] == {"run": 2}
    assert _files(tmp_path) == ["model.pt"]


def test_checkpoint_save_leaves_nothing_when_writing_fails(model, tmp_path, monkeypatch):
    import errno

    import torch

    def full_disk(obj: object, fh) -> None:
        fh.write(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    net, example = model
    path = tmp_path / "model.pt"
    path.write_bytes(b"keep")
    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(OutputError, match="No space left on device") as excinfo:
        snncompile.save(net, path, example_input=example, force=True)
    assert str(path) in excinfo.value.message  # the real path, not the staging file
    assert path.read_bytes() == b"keep" and _files(tmp_path) == ["model.pt"]


# ------------------------------------------------------------------ EnergyReport.save


@pytest.mark.parametrize("suffix", [".json", ".md", ".html"])
def test_report_save_refuses_an_existing_path_before_rendering(report, tmp_path, suffix):
    path = tmp_path / f"energy{suffix}"
    path.write_text("keep")
    with pytest.raises(ConfigError) as excinfo:
        report.save(path)
    _refused(excinfo, path)
    assert path.read_text() == "keep" and _files(tmp_path) == [path.name]


def test_report_save_force_replaces(report, tmp_path):
    path = tmp_path / "energy.json"
    path.write_text("old")
    assert report.save(path, force=True) == path
    assert path.read_text() == report.to_json()
    assert _files(tmp_path) == ["energy.json"]


def test_report_save_checks_the_suffix_before_the_path(report, tmp_path):
    path = tmp_path / "activity.npz"
    path.write_bytes(b"keep")
    with pytest.raises(ConfigError, match=r"'.*activity\.npz': unknown suffix '\.npz'"):
        report.save(path, force=True)
    assert path.read_bytes() == b"keep"


def test_report_save_leaves_nothing_when_writing_fails(report, tmp_path, monkeypatch):
    import errno

    write_text = Path.write_text

    def full_disk(self: Path, data: str, *args: object, **kwargs: object) -> int:
        write_text(self, data[:10], *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device")

    path = tmp_path / "energy.md"
    path.write_text("keep")
    monkeypatch.setattr(Path, "write_text", full_disk)
    with pytest.raises(OutputError, match="No space left on device") as excinfo:
        report.save(path, force=True)
    assert str(path) in excinfo.value.message
    monkeypatch.undo()
    assert path.read_text() == "keep" and _files(tmp_path) == ["energy.md"]


# ------------------------------------------------------------------ Artifact.save


def test_artifact_save_follows_the_same_rule(artifact, tmp_path):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"keep")
    with pytest.raises(ConfigError) as excinfo:
        artifact.save(path)
    _refused(excinfo, path)
    assert path.read_bytes() == b"keep"
    assert artifact.save(path, force=True) == path and path.read_bytes() != b"keep"
    assert _files(tmp_path) == ["m.onnx"]


# ------------------------------------------------------------------ reprs


def test_artifact_repr_is_short_and_names_the_essentials(model, tmp_path):
    net, example = model
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        art = snncompile.compile(net, "onnx", example_input=example)
    text = repr(art)
    assert len(text) <= REPR_LIMIT, text
    params = 64 * 32 + 32 + 32 * 10 + 10  # weights and biases, plus the LIF constants
    assert text.startswith("Artifact(target='onnx', input_shape=(1, 8, 8), ")
    assert f"nodes={len(art.graph.nodes)}" in text and "path=None" in text
    count = re.search(r"parameters=([\d,]+),", text)
    assert count is not None and int(count.group(1).replace(",", "")) >= params
    path = art.save(tmp_path / "m")
    assert f"path='{path}'" in repr(art) and len(repr(art)) <= REPR_LIMIT


def test_artifact_repr_of_a_large_model_stays_short():
    text = repr(snncompile.compile("examples/models/digits_lif.pt", "onnx"))
    assert len(text) <= REPR_LIMIT and "parameters=9,866" in text, text


def test_energy_report_repr_is_short_and_names_the_essentials(report):
    text = repr(report)
    assert len(text) <= REPR_LIMIT, text
    assert text.startswith("EnergyReport(model=None, layers=")
    assert f"layers={len(report.counts.layers)}" in text
    assert "samples=3, T=4" in text
    for est in report.estimates:  # every profile with its per-sample estimate
        assert f"{est.profile}=" in text


def test_energy_report_repr_names_the_model():
    from snncompile.energy import ActivityRecord, DenseSpec, build_report, count_activity

    rng = np.random.default_rng(1)
    record = ActivityRecord()
    record.add("fc1", DenseSpec(rng.normal(size=(16, 8))), inputs=rng.normal(size=(4, 2, 8)))
    report = build_report(count_activity(record), metadata={"model": "digits " * 20})
    text = repr(report)
    assert len(text) <= REPR_LIMIT and "model='digits digits" in text and "…'" in text
