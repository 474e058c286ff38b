"""netx files loaded and run by lava-dl 0.6.0 itself, bit-exact with the integer reference.

``make install`` puts lava-dl in ``.venv/lava-dl`` (test-only, never imported by
snncompile); ``netx_runner.py`` runs a file with ``netx.hdf5.Network`` in a subprocess,
because lava-dl imports torch and snncompile's Lava worker must not (lava.md §3).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import nir
import numpy as np
import pytest
from snncompile_lava.netx import NetxBackend

from snncompile.ir import DALIF, SoftLIF, sequential
from snncompile.passes.pipeline import run_pipeline
from snncompile.quant.loihi_kernels import run_fixed_layer
from snncompile.quant.loihi_qgraph import QuantizedGraph

pytestmark = pytest.mark.lava

ROOT = Path(__file__).resolve().parents[3]
RUNNER = Path(__file__).with_name("netx_runner.py")
LAVA_DL = Path(os.environ.get("SNNCOMPILE_LAVA_DL", ROOT / ".venv" / "lava-dl"))

if not (LAVA_DL / "lava" / "lib" / "dl" / "netx").is_dir():
    pytest.skip(f"lava-dl 0.6.0 is not in {LAVA_DL}; run `make install`", allow_module_level=True)


def _run_lava_dl(model: Path, x: np.ndarray, tmp_path: Path) -> dict[str, np.ndarray]:
    inputs, outputs = tmp_path / "in.npz", tmp_path / "out.npz"
    np.savez(inputs, x=x.reshape(*x.shape[:2], -1))
    env = dict(os.environ, LAVA_DL_PATH=str(LAVA_DL))
    cmd = [sys.executable, str(RUNNER), str(model), str(inputs), str(outputs)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    with np.load(outputs) as f:
        return dict(f)


def _assert_bit_exact(q: QuantizedGraph, x: np.ndarray, got: dict[str, np.ndarray]) -> int:
    """Every layer's spikes and the readout's v equal the integer reference; returns spikes."""
    s = x.astype(np.int64)
    total = 0
    for k, layer in enumerate(q.layers, start=1):
        ref = run_fixed_layer(layer, s)
        spikes = got[f"spikes{k}"].reshape(ref["spikes"].shape)
        assert np.array_equal(spikes, ref["spikes"]), f"layer {layer.name}: spikes differ"
        total += int(ref["spikes"].sum())
        s = ref["out"]
    last = len(q.layers)
    v = got[f"v{last}"].reshape(ref["v"].shape)
    assert np.array_equal(v, ref["v"]), "readout v differs"
    assert np.abs(ref["v"]).max() > 0
    return total


def _affine(rng: np.random.Generator, n_out: int, n_in: int, mean: float) -> nir.Affine:
    w = rng.normal(mean, 0.6, (n_out, n_in)) * 3.0 / np.sqrt(n_in)
    b = rng.normal(0.1, 0.3, n_out)
    return nir.Affine(weight=w.astype(np.float32), bias=b.astype(np.float32))


def _mlp(sizes: list[int], neurons: list[Any], excitatory: tuple[int, ...] = ()) -> Any:
    """Input → (Affine → neuron)* → Affine readout; layers in ``excitatory`` get |w|."""
    rng = np.random.default_rng(len(sizes))
    nodes: list[tuple[str, Any]] = [("input", nir.Input(input_type={"input": np.array(sizes[:1])}))]
    for i, neuron in enumerate(neurons, start=1):
        w = _affine(rng, sizes[i], sizes[i - 1], 0.1)
        if i in excitatory:
            w = nir.Affine(weight=np.abs(w.weight), bias=w.bias)
        nodes += [(f"fc{i}", w), (f"lif{i}", neuron)]
    nodes += [
        ("readout", _affine(rng, sizes[-1], sizes[-2], 0.0)),
        ("output", nir.Output(output_type={"output": np.array(sizes[-1:])})),
    ]
    return run_pipeline(sequential(*nodes))


def _spikes(shape: tuple[int, ...], rate: float, seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).random(shape) < rate).astype(np.float32)


def test_mlp_with_biases_lif_and_dalif_mixed_and_excitatory_weights(tmp_path: Path) -> None:
    n = 16
    neurons = [
        SoftLIF(beta=np.full(n, 0.75), v_threshold=np.ones(n), reset="hard"),
        DALIF(alpha=np.array([0.8]), beta=np.array([0.5]), v_threshold=np.ones(n), reset="hard"),
        SoftLIF(beta=np.full(n, 0.9), v_threshold=np.full(n, 0.7), reset="hard"),
    ]
    graph = _mlp([24, n, n, n, 5], neurons, excitatory=(2,))
    x = _spikes((12, 5, 24), 0.3, seed=1)
    backend = NetxBackend(calibration=x)
    path = backend.emit(graph, tmp_path)
    assert backend.last_quantization is not None
    modes = [lay.sign_mode for lay in backend.last_quantization.layers]
    assert modes[1] == "excitatory" and modes[0] == "mixed"
    got = _run_lava_dl(path, x, tmp_path)
    assert _assert_bit_exact(backend.last_quantization, x, got) > 100


def test_digits_model_with_hard_reset_and_rate_coded_input(tmp_path: Path) -> None:
    """The shipped digits LIF model (64-128-10 weights) with its neurons set to hard reset."""
    from snncompile.api import load_graph

    graph = load_graph(ROOT / "examples" / "models" / "digits_lif.pt")
    nodes = dict(graph.nodes)
    nodes["sn1"] = dataclasses.replace(nodes["sn1"], reset="hard")
    graph = graph.replace(nodes=nodes)
    with np.load(ROOT / "examples" / "data" / "digits_test.npz") as f:
        images = f["inputs"][:8]
    x = (np.random.default_rng(0).random((16, *images.shape)) < images).astype(np.float32)
    backend = NetxBackend(calibration=x)
    path = backend.emit(graph, tmp_path)
    q = backend.last_quantization
    assert q is not None and all(lay.scale.weight_exp == 0 for lay in q.layers)
    got = _run_lava_dl(path, x, tmp_path)
    assert _assert_bit_exact(q, x, got) > 100
