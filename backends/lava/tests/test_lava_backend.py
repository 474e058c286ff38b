"""The ``lava`` target: emit, the artefact directory, and conformance on Lava.

Conformance (marker ``lava``, one Lava run per artefact and mode):

- fixed mode is **bit-exact** with ``snncompile_loihi.reference.simulate_fixed``: every
  population's spikes and every state (V, CLIF's m, ILIF's I/M/x_prev/s_prev, the
  built-in LIF's u), batches run back to back with the per-sample reset;
- float mode is **spike-exact** with ``snncompile.reference.simulate`` (float64), the
  readout equal to 1e-12.

Graphs: ``lava_graphs.mlp_all_neurons`` (LIF, CLIF, ILIF, PLIF, DA-LIF hard and soft,
hard-reset LIF, readout), ``lava_graphs.cnn`` (conv, DA-LIF, Lava's LIF, flatten, CLIF)
and the shipped digits models.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from lava_graphs import (
    cnn,
    cnn_pooled,
    graded_inputs,
    mlp_all_neurons,
    pruned_mlp,
    recurrent_mlp,
)
from snncompile_lava import LavaBackend
from snncompile_lava.load import read_manifest
from snncompile_lava.spec import TAGS, load_spec, plan_network
from snncompile_loihi.reference import simulate_fixed
from snncompile_loihi.stage import program_of

import snncompile
from snncompile.api import compile as compile_model
from snncompile.backend import get_backend
from snncompile.errors import BackendUnavailableError, ConfigError, UnsupportedNodeError
from snncompile.ir import dump, sequential
from snncompile.reference import simulate

REPO = Path(__file__).resolve().parents[3]
DIGITS = REPO / "examples" / "data" / "digits_test.npz"
MODELS = REPO / "examples" / "models"


def _export(graph, x, tmp_path, name="art"):
    artifact = compile_model(graph, "lava", calibration=x)
    path = artifact.save(tmp_path / name)
    return artifact, path


def _digits(n: int, steps: int = 4) -> tuple[np.ndarray, np.ndarray]:
    with np.load(DIGITS) as data:
        x, y = data["inputs"][:n], data["labels"][:n]
    return np.broadcast_to(x, (steps, *x.shape)).astype(np.float32), y


# ------------------------------------------------------------------ without Lava


def test_entry_point_and_options():
    assert isinstance(get_backend("lava"), LavaBackend)
    assert get_backend("lava", mode="float").mode == "float"
    with pytest.raises(ConfigError, match="mode"):
        LavaBackend(mode="int8")
    with pytest.raises(ConfigError, match="quantize"):
        LavaBackend(quantize="int8")


def test_emit_writes_a_self_contained_directory(tmp_path):
    graph = mlp_all_neurons()
    x = graded_inputs((12,), 6, 8)
    _, path = _export(graph, x, tmp_path)
    names = {p.name for p in path.iterdir()}
    assert {"manifest.json", "spec.json", "params.npz", "loader.py", "quantization.md"} <= names
    manifest = read_manifest(path)
    assert manifest["target"] == "lava"
    assert manifest["snncompile_version"] == snncompile.__version__
    digest = hashlib.sha256(dump(graph).encode()).hexdigest()
    assert manifest["source_hash"] == f"sha256:{digest}"
    assert manifest["execution_profile"]["dt"] == graph.profile.dt
    layers = [lay["name"] for lay in manifest["layers"]]
    assert layers == ["lif", "clif", "ilif", "plif", "dalif_hard", "lif_hard", "dalif", "readout"]
    assert manifest["delays"]["layers"]["readout"] == 8 and manifest["delays"]["total"] == 8
    assert [lay["neuron"] for lay in manifest["layers"]][4:6] == ["lif_builtin", "lif_builtin"]
    quant = manifest["quantization"]
    assert quant["input"] == {
        "name": "input",
        "shape": [12],
        "graded": True,
        "scale": 16,
        "rule": "x_int = round(x * scale), half away from zero",
    }
    first = quant["layers"][0]
    assert first["precisions"]["weights"].startswith("s9/2")  # mixed sign: even 8-bit values
    assert len(quant["comparison"]["layers"]) == 8
    spec = load_spec(path)
    assert [lay.name for lay in plan_network(spec, TAGS).layers] == layers
    assert "| lif |" in (path / "quantization.md").read_text()


def test_emit_is_deterministic(tmp_path):
    graph, x = mlp_all_neurons(), graded_inputs((12,), 4, 4)
    _, a = _export(graph, x, tmp_path, "a")
    _, b = _export(graph, x, tmp_path, "b")
    assert (a / "spec.json").read_bytes() == (b / "spec.json").read_bytes()
    assert json.loads((a / "manifest.json").read_text()) == json.loads(
        (b / "manifest.json").read_text()
    )


def test_unsupported_nodes_are_named(tmp_path):
    import nir

    pool = sequential(
        ("input", nir.Input(input_type={"input": np.array([1, 4, 4])})),
        (
            "pool",
            nir.SumPool2d(
                kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])
            ),
        ),
        ("output", nir.Output(output_type={"output": np.array([1, 2, 2])})),
    )
    with pytest.raises(UnsupportedNodeError, match=r"'pool'.*SumPool2d.*pooling at the output"):
        compile_model(pool, "lava").save(tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_export_prints_the_quantisation_it_chose(tmp_path, capsys):
    """`snncompile export --target lava` shows the per-layer scales and, calibrated, the
    float-vs-fixed comparison (the same text as quantization.md); --json carries it too."""
    from snncompile.cli import main

    x, _ = _digits(40)
    calibration = tmp_path / "cal.npz"
    np.savez(calibration, inputs=x[0])  # static [B, 1, 8, 8] images, T from --steps
    argv = ["export", str(MODELS / "digits_lif.pt"), "--target", "lava", "--steps", "4"]
    assert main([*argv, "-o", str(tmp_path / "a"), "--calibration", str(calibration)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("wrote ") and "| sn1 | soft_lif |" in out
    assert "spike agreement" in out and "on 40 samples × 4 steps" in out
    assert out.split("\n", 2)[2] == (tmp_path / "a" / "quantization.md").read_text()
    assert main([*argv, "-o", str(tmp_path / "b"), "-q"]) == 0
    assert capsys.readouterr().out == ""
    assert main([*argv, "-o", str(tmp_path / "c"), "--json"]) == 0
    details = json.loads(capsys.readouterr().out)["details"]
    assert "| readout | readout |" in details and "spike agreement" not in details  # no data


def test_sparse_density_must_be_a_fraction():
    with pytest.raises(ConfigError, match="sparse_density"):
        LavaBackend(sparse_density=1.5)


def test_simulate_without_lava_names_the_install_command(monkeypatch, tmp_path):
    import snncompile_lava.backend as mod

    monkeypatch.setattr(mod.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(BackendUnavailableError) as info:
        LavaBackend().simulate(tmp_path, np.zeros((1, 1, 12)))
    assert "lava-nc==0.10.0" in (info.value.hint or "")


# ------------------------------------------------------------------ on Lava


def _check_fixed(backend_out, qgraph, x):
    ref = simulate_fixed(qgraph, x, record="all")
    np.testing.assert_array_equal(backend_out[qgraph.output_name], ref[qgraph.output_name])
    checked = 0
    for lay in qgraph.layers:
        for key, value in backend_out.items():
            layer, _, var = key.partition("/")
            if layer == lay.name:
                np.testing.assert_array_equal(value, ref[f"{layer}:{var}"], err_msg=key)
                checked += 1
    return checked


def _check_float(backend_out, qgraph, x):
    ref = simulate(qgraph.graph, x, dtype=np.float64, record="spikes")
    for lay in qgraph.layers:
        if lay.source.spiking:
            np.testing.assert_array_equal(
                backend_out[f"{lay.name}/spikes"], ref[lay.source.neuron_node], err_msg=lay.name
            )
    np.testing.assert_allclose(
        backend_out[qgraph.output_name], ref[qgraph.output_name], rtol=0, atol=1e-12
    )


@pytest.mark.lava
@pytest.mark.parametrize(
    ("build", "shape"),
    [(mlp_all_neurons, (12,)), (cnn, (2, 8, 8)), (cnn_pooled, (2, 8, 8)), (recurrent_mlp, (8,))],
    ids=["mlp", "cnn", "cnn_pooled", "recurrent"],
)
def test_lava_matches_the_references(build, shape, tmp_path):
    graph = build()
    x = graded_inputs(shape, 6, 5)
    artifact, path = _export(graph, x, tmp_path)
    qgraph = program_of(artifact.staged)
    fixed = LavaBackend(mode="fixed").simulate_recorded(path, x, record="all")
    checked = _check_fixed(fixed, qgraph, x)
    assert checked >= 2 * len(qgraph.layers)  # spikes and at least V everywhere
    assert any(fixed[f"{lay.name}/spikes"].any() for lay in qgraph.layers[:-1])
    floating = LavaBackend(mode="float").simulate_recorded(path, x, record="spikes")
    _check_float(floating, qgraph, x)


@pytest.mark.lava
def test_simulate_reports_progress_per_sample(tmp_path, monkeypatch, capsys):
    """`snncompile simulate` draws a tqdm bar over samples on a terminal; a hook passed
    as ``progress`` sees every chunk; anything else is refused."""
    from snncompile.cli import main

    x = graded_inputs((12,), 4, 3)  # T = 4, B = 3
    _, path = _export(mlp_all_neurons(), x, tmp_path)
    np.savez(tmp_path / "x.npz", inputs=x)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert main(["simulate", str(path), "--input", str(tmp_path / "x.npz")]) == 0
    err = capsys.readouterr().err
    assert "simulate (lava):" in err and "3/3 [" in err and "sample/s" in err
    calls: list[tuple[int, int]] = []
    LavaBackend(progress=lambda done, total: calls.append((done, total))).simulate(path, x)
    assert calls[0] == (0, 3) and calls[-1] == (3, 3)
    with pytest.raises(ConfigError, match="progress"):
        LavaBackend(progress=True)


@pytest.mark.lava
def test_pruned_layer_lowers_to_sparse_and_stays_exact(tmp_path):
    graph = pruned_mlp()
    x = graded_inputs((12,), 6, 4)
    artifact, path = _export(graph, x, tmp_path)
    types = [layer["connection"]["type"] for layer in load_spec(path)["layers"]]
    assert types == ["dense", "sparse", "dense"]
    assert read_manifest(path)["options"]["sparse_density"] == 0.25
    qgraph = program_of(artifact.staged)
    fixed = LavaBackend(mode="fixed").simulate_recorded(path, x, record="all")
    assert _check_fixed(fixed, qgraph, x) >= 6
    assert fixed["clif/spikes"].any()
    _check_float(LavaBackend(mode="float").simulate_recorded(path, x, record="spikes"), qgraph, x)
    options = {"sparse_density": None}
    dense = compile_model(graph, "lava", calibration=x, options=options).save(tmp_path / "d")
    assert {layer["connection"]["type"] for layer in load_spec(dense)["layers"]} == {"dense"}


@pytest.mark.lava
def test_digits_lif_through_the_artefact_loader(tmp_path):
    """The exported digits model, run by the artefact's own loader.py (no torch), equals
    the integer reference bit for bit."""
    x, y = _digits(12)
    artifact, path = _export(MODELS / "digits_lif.pt", _digits(200)[0], tmp_path)
    data = tmp_path / "in.npz"
    np.savez(data, inputs=x, labels=y)
    out = tmp_path / "out.npz"
    proc = subprocess.run(
        [sys.executable, str(path / "loader.py"), "--input", str(data), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "accuracy:" in proc.stdout
    with np.load(out) as res:
        lava = res["output"]
    ref = simulate_fixed(program_of(artifact.staged), x)["output"]
    np.testing.assert_array_equal(lava, ref)


def _loader(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(path / "loader.py"), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.lava
def test_loader_and_artifact_run_repeat_static_inputs_over_steps(tmp_path):
    """The one input rule (datafiles.time_major) in loader.py and Artifact.run: static
    [B, 1, 8, 8] with --steps 4 equals the repeated time-major data; static data without
    --steps are refused naming the shape and the rule."""
    x, y = _digits(6)
    artifact, path = _export(MODELS / "digits_lif.pt", _digits(200)[0], tmp_path)
    static = tmp_path / "static.npz"
    np.savez(static, inputs=x[0], labels=y)
    out = tmp_path / "out.npz"
    proc = _loader(path, "--input", str(static), "--steps", "4", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "output: [4, 6, 10]" in proc.stdout
    ref = simulate_fixed(program_of(artifact.staged), x)["output"]
    with np.load(out) as res:
        np.testing.assert_array_equal(res["output"], ref)
    np.testing.assert_array_equal(artifact.run(x[0], steps=4)["output"], ref)
    proc = _loader(path, "--input", str(static))
    assert proc.returncode == 1
    assert "static inputs [6, 1, 8, 8]" in proc.stderr and "--steps T" in proc.stderr


@pytest.mark.lava
@pytest.mark.slow
@pytest.mark.parametrize("model", ["plif", "dalif", "clif", "ilif"])
def test_digits_models_bit_exact(model, tmp_path):
    x, _ = _digits(10)
    artifact, path = _export(MODELS / f"digits_{model}.pt", _digits(200)[0], tmp_path)
    out = LavaBackend().simulate_recorded(path, x, record="all")
    assert _check_fixed(out, program_of(artifact.staged), x) >= 4
