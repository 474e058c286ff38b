"""The netx HDF5 export: file layout and refusals (lava-dl runs: test_netx_lava_dl.py)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import h5py
import nir
import numpy as np
import pytest
from snncompile_lava.netx import NetxBackend
from snncompile_loihi.stage import program_of

from snncompile.errors import InputError, UnsupportedNodeError
from snncompile.ir import CLIF, DALIF, SoftLIF, sequential
from snncompile.passes.pipeline import run_pipeline

ROOT = Path(__file__).resolve().parents[3]


def _affine(rng: np.random.Generator, n_out: int, n_in: int) -> nir.Affine:
    w = rng.normal(0.1, 0.6, (n_out, n_in)) * 3.0 / np.sqrt(n_in)
    return nir.Affine(weight=w.astype(np.float32), bias=np.zeros(n_out, np.float32))


def _graph(neurons: list[tuple[str, Any]]) -> Any:
    rng = np.random.default_rng(0)
    nodes: list[tuple[str, Any]] = [("input", nir.Input(input_type={"input": np.array([12])}))]
    n_in = 12
    for i, (name, neuron) in enumerate(neurons, start=1):
        nodes += [(f"fc{i}", _affine(rng, 8, n_in)), (name, neuron)]
        n_in = 8
    nodes += [
        ("readout", _affine(rng, 3, n_in)),
        ("output", nir.Output(output_type={"output": np.array([3])})),
    ]
    return run_pipeline(sequential(*nodes))


def _hard_lif(beta: float) -> SoftLIF:
    return SoftLIF(beta=np.full(8, beta), v_threshold=np.ones(8), reset="hard")


def _spikes() -> np.ndarray:
    return (np.random.default_rng(1).random((10, 4, 12)) < 0.3).astype(np.float32)


def test_hard_reset_mlp_exports(tmp_path: Path) -> None:
    dalif = DALIF(alpha=np.array([1.0]), beta=np.array([0.5]), v_threshold=np.ones(8), reset="hard")
    graph = _graph([("lif1", _hard_lif(0.75)), ("lif2", dalif)])
    backend = NetxBackend(calibration=_spikes())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # exact by construction: nothing to warn about
        staged = backend.quantize(graph)
        path = backend.emit(staged, tmp_path)
    assert path == tmp_path / "model.net"
    q = program_of(staged)
    assert not q.input_graded
    assert [lay.neuron for lay in q.layers] == ["lif_builtin", "lif_builtin", "lif_accumulator"]
    with h5py.File(path, "r") as f:
        assert f.attrs["readout_unit"] == q.layers[-1].scale.unit
        layers = f["layer"]
        assert sorted(layers, key=int) == ["0", "1", "2", "3"]
        types = [layers[k]["type"][0].decode() for k in ("0", "1", "2", "3")]
        assert types == ["input", "dense", "dense", "dense"]
        assert list(layers["0"]["shape"][()]) == [12]
        assert "neuron" not in layers["0"]  # netx feeds its input port to layer 1 directly
        for key, (n_in, n_out), ql in zip(
            ("1", "2", "3"), ((12, 8), (8, 8), (8, 3)), q.layers, strict=True
        ):
            g = layers[key]
            assert (g["inFeatures"][()], g["outFeatures"][()]) == (n_in, n_out)
            assert list(g["shape"][()]) == [n_out]
            assert ql.scale.weight_exp == 0
            assert np.array_equal(g["weight"][()], ql.weights)
            p = ql.neuron_params
            assert p["bias_exp"] == 6
            assert "bias" not in g  # the biases of _graph are zero
            n = g["neuron"]
            assert n["type"][0].decode() == "CUBA"
            assert n["iDecay"][()] == p["du"] + 1 == 4096
            assert n["vDecay"][()] == p["dv"]
            assert n["vThMant"][()] == p["vth"]
            assert n["refDelay"][()] == 0 and not n["gradedSpike"][()]
        for key, beta in (("1", 0.75), ("2", 0.5)):
            assert layers[key]["neuron"]["vDecay"][()] == round((1 - beta) * 4096)
        readout = layers["3"]["neuron"]
        assert readout["vDecay"][()] == 4095 and readout["vThMant"][()] == 2**17 - 1


def test_biases_are_written_as_mantissas(tmp_path: Path) -> None:
    graph = _graph([("lif1", _hard_lif(0.75))])
    nodes = dict(graph.nodes)
    fc = nodes["fc1"]
    nodes["fc1"] = nir.Affine(weight=fc.weight, bias=np.linspace(-0.5, 0.5, 8, dtype=np.float32))
    backend = NetxBackend(calibration=_spikes())
    staged = backend.quantize(graph.replace(nodes=nodes))
    path = backend.emit(staged, tmp_path)
    q = program_of(staged)
    with h5py.File(path, "r") as f:
        bias = f["layer"]["1"]["bias"][()]
    assert np.array_equal(bias, q.layers[0].neuron_params["bias_mant"])
    unit = q.layers[0].scale.unit
    assert np.abs(bias * 64 - np.linspace(-0.5, 0.5, 8) * unit).max() <= 32  # nearest 64-grid


def test_graded_input_is_refused(tmp_path: Path) -> None:
    graph = _graph([("lif1", _hard_lif(0.75))])
    graded = np.random.default_rng(2).random((4, 2, 12))
    with pytest.raises(InputError, match="spike"):
        NetxBackend(calibration=graded).quantize(graph)
    with pytest.raises(InputError, match="spike"):
        NetxBackend().quantize(graph, graded)  # the stage's calibration argument too
    backend = NetxBackend()  # no calibration data: spike input assumed
    staged = backend.quantize(graph)
    backend.emit(staged, tmp_path)
    assert not program_of(staged).input_graded


def test_refusal_names_every_offending_layer(tmp_path: Path) -> None:
    soft = SoftLIF(beta=np.full(8, 0.8), v_threshold=np.ones(8))
    clif = CLIF(tau=np.full(8, 2.0), v_threshold=np.ones(8))
    graph = _graph([("soft", soft), ("ok", _hard_lif(0.7)), ("clif", clif)])
    with pytest.raises(UnsupportedNodeError) as info:
        NetxBackend().quantize(graph)
    msg = str(info.value)
    assert "'soft'" in msg and "soft reset" in msg
    assert "'clif'" in msg and "CLIF" in msg
    assert "'ok'" not in msg
    assert "--target lava" in msg
    assert not (tmp_path / "model.net").exists()


def test_recurrence_is_refused(tmp_path: Path) -> None:
    graph = _graph([("lif1", _hard_lif(0.75))])
    rec = nir.Linear(weight=np.eye(8, dtype=np.float32))
    edges = (*graph.edges, ("lif1", "rec"), ("rec", "lif1"))
    graph = run_pipeline(graph.replace(nodes={**graph.nodes, "rec": rec}, edges=edges))
    with pytest.raises(UnsupportedNodeError, match=r"'lif1'.*recurrent"):
        NetxBackend().quantize(graph)


def test_simulate_names_a_missing_file(tmp_path: Path) -> None:
    """netx files run (test_netx_reader.py); a missing one is a named CheckpointError."""
    from snncompile.errors import CheckpointError

    with pytest.raises(CheckpointError, match=r"model\.net"):
        NetxBackend().simulate(tmp_path / "model.net", np.zeros((1, 1, 12)))


def test_cli_refuses_soft_reset_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from snncompile.cli import main

    ckpt = ROOT / "examples" / "models" / "digits_lif.pt"  # shipped with the repo
    out = tmp_path / "m.net"
    code = main(["export", str(ckpt), "--target", "netx", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert "error:" in err and "'sn1'" in err and "soft reset" in err
    assert not out.exists()
