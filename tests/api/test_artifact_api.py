"""The artefact API for every installed backend: ``Artifact.save`` paths, ``run`` after
``save`` and ``snncompile.open`` of each saved artefact (run and report)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

import snncompile
from snncompile.api import Artifact
from snncompile.backend import installed_backends
from snncompile.errors import CheckpointError, ConfigError
from snncompile.ir.equality import graph_differences

#: every installed backend (a broken plug-in fails here instead of being skipped)
BACKENDS = sorted(installed_backends())


@pytest.fixture(scope="module")
def model():
    """A Linear → hard-reset LIF → Linear readout MLP that every target supports."""
    import torch
    from torch import nn

    import snncompile.neurons as sn

    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(2), nn.Linear(12, 8), sn.LIF(reset="hard"), nn.Linear(8, 3))
    return net, torch.rand(4, 2, 12)


@pytest.fixture(scope="module")
def spikes() -> np.ndarray:
    return (np.random.default_rng(0).random((4, 2, 12)) < 0.5).astype(np.float32)


def _compile(model, target: str) -> Artifact:
    net, example = model
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return snncompile.compile(net, target, example_input=example)


def _suffix(target: str) -> str | None:
    cls = installed_backends()[target]
    assert isinstance(cls, type), cls
    return cls.artifact_suffix


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("target", BACKENDS)
def test_save_adds_the_missing_suffix_and_reopens(model, spikes, tmp_path, target):
    artifact = _compile(model, target)
    path = artifact.save(tmp_path / "m")
    suffix = _suffix(target)
    assert path == tmp_path / ("m" + (suffix or ""))
    assert (path.is_file() if suffix else path.is_dir()) and artifact.path == path
    assert _leftovers(tmp_path) == [path.name]  # no staging entries
    reopened = snncompile.open(path)
    assert reopened.target == target and reopened.path == path
    assert graph_differences(reopened.graph, artifact.graph) == []
    expected = artifact.report(spikes, ["loihi2"]).to_dict()
    assert reopened.report(spikes, ["loihi2"]).to_dict() == expected
    unsaved = _compile(model, target).run(spikes)
    for result in (artifact.run(spikes), reopened.run(spikes)):  # run works after save
        assert result.keys() == unsaved.keys()
        for key, value in unsaved.items():
            np.testing.assert_array_equal(result[key], value)


@pytest.mark.parametrize("target", [t for t in BACKENDS if _suffix(t)])
def test_save_accepts_the_suffix_in_any_case(model, tmp_path, target):
    name = "M" + str(_suffix(target)).upper()
    path = _compile(model, target).save(tmp_path / name)
    assert path == tmp_path / name and path.is_file()
    assert snncompile.open(path).target == target


@pytest.mark.parametrize("target", [t for t in BACKENDS if _suffix(t)])
def test_save_refuses_another_suffix_before_writing(model, tmp_path, target):
    other = ".nir" if _suffix(target) != ".nir" else ".onnx"
    artifact = _compile(model, target)
    with pytest.raises(ConfigError, match=f"writes {_suffix(target)} files, not {other}"):
        artifact.save(tmp_path / f"x{other}")
    assert _leftovers(tmp_path) == [] and artifact.path is None


def test_open_refuses_what_no_backend_claims(tmp_path):
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(ConfigError, match=r"unknown artefact type '\.txt'"):
        snncompile.open(tmp_path / "x.txt")
    with pytest.raises(ConfigError, match="does not exist"):
        snncompile.open(tmp_path / "missing.onnx")
    (tmp_path / "d").mkdir()
    with pytest.raises(ConfigError, match=r"without an snncompile manifest\.json"):
        snncompile.open(tmp_path / "d")


@pytest.mark.skipif("onnx" not in BACKENDS, reason="the onnx backend is not installed")
def test_onnx_file_without_a_stored_graph_says_export_again(model, spikes, tmp_path):
    import onnx
    from snncompile_onnx.backend import GRAPH_KEY

    path = _compile(model, "onnx").save(tmp_path / "m.onnx")
    proto = onnx.load(str(path))
    kept = [p for p in proto.metadata_props if p.key != GRAPH_KEY]
    del proto.metadata_props[:]
    proto.metadata_props.extend(kept)
    old = tmp_path / "old.onnx"
    old.write_bytes(proto.SerializeToString(deterministic=True))
    with pytest.raises(CheckpointError, match="stores no snncompile IR graph") as info:
        snncompile.open(old)
    assert "export it again" in (info.value.hint or "")


@pytest.mark.skipif("lava" not in BACKENDS, reason="the lava backend is not installed")
def test_lava_directory_without_a_stored_graph_says_export_again(model, tmp_path):
    from snncompile_lava.backend import GRAPH_FILE

    path = _compile(model, "lava").save(tmp_path / "out")
    (path / GRAPH_FILE).unlink()
    with pytest.raises(CheckpointError, match=f"has no {GRAPH_FILE}") as info:
        snncompile.open(path)
    assert "export it again" in (info.value.hint or "")
