"""netx files loaded and run by lava-dl 0.6.0 itself, bit-exact with the integer reference.

``make install`` puts lava-dl in ``.venv/lava-dl`` (test-only, never imported by
snncompile); ``netx_runner.py`` runs a file with ``netx.hdf5.Network`` in a subprocess,
because lava-dl imports torch and snncompile's Lava worker must not (docs/lava.md §15).
``NetxBackend.reference_run`` (what the conformance suite in tests/conformance holds
netx to) equals the readout of these runs.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import nir
import numpy as np
import pytest
from snncompile_lava.netx import NetxBackend
from snncompile_loihi.kernels import run_fixed_layer
from snncompile_loihi.qgraph import LoihiProgram
from snncompile_loihi.stage import program_of

from snncompile.ir import DALIF, SoftLIF, sequential
from snncompile.passes.pipeline import run_pipeline

pytestmark = pytest.mark.lava

ROOT = Path(__file__).resolve().parents[3]
RUNNER = Path(__file__).with_name("netx_runner.py")
LAVA_DL = Path(os.environ.get("SNNCOMPILE_LAVA_DL", ROOT / ".venv" / "lava-dl"))

if not (LAVA_DL / "lava" / "lib" / "dl" / "netx").is_dir():
    pytest.skip(f"lava-dl 0.6.0 is not in {LAVA_DL}; run `make install`", allow_module_level=True)


def _run_lava_dl(model: Path, x: np.ndarray, tmp_path: Path) -> dict[str, np.ndarray]:
    inputs, outputs = tmp_path / "in.npz", tmp_path / "out.npz"
    np.savez(inputs, x=x)
    env = dict(os.environ, LAVA_DL_PATH=str(LAVA_DL))
    cmd = [sys.executable, str(RUNNER), str(model), str(inputs), str(outputs)]
    # its own session: a hung run is killed with every Lava process it forked
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _, err = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    assert proc.returncode == 0, err[-4000:]
    with np.load(outputs) as f:
        return dict(f)


def _assert_bit_exact(q: LoihiProgram, x: np.ndarray, got: dict[str, np.ndarray]) -> int:
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
    staged = backend.quantize(graph)
    path = backend.emit(staged, tmp_path)
    modes = [lay.sign_mode for lay in program_of(staged).layers]
    assert modes[1] == "excitatory" and modes[0] == "mixed"
    got = _run_lava_dl(path, x, tmp_path)
    program = program_of(staged)
    assert _assert_bit_exact(program, x, got) > 100
    # the run the conformance suite holds netx to: the readout's v in float units
    want = backend.reference_run(graph, x)["output"]
    unit = program.layers[-1].scale.unit
    np.testing.assert_array_equal(got["v4"].reshape(want.shape) / unit, want)


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
    staged = backend.quantize(graph)
    path = backend.emit(staged, tmp_path)
    q = program_of(staged)
    assert q is not None and all(lay.scale.weight_exp == 0 for lay in q.layers)
    got = _run_lava_dl(path, x, tmp_path)
    assert _assert_bit_exact(q, x, got) > 100


def _conv(rng: np.random.Generator, c_out: int, c_in: int, size: int, stride: int) -> nir.Conv2d:
    w = rng.normal(0.1, 0.6, (c_out, c_in, 3, 3)) / np.sqrt(c_in * 9) * 4.0
    bias = rng.uniform(-0.1, 0.2, c_out).astype(np.float32)
    return nir.Conv2d((size, size), w.astype(np.float32), stride, 1, 1, 1, bias)


def test_cnn_with_folded_pooling(tmp_path: Path) -> None:
    """conv → LIF → AvgPool 2 (folded: 6×6 kernel, stride 2) → conv → DA-LIF → flatten →
    dense → LIF → readout, on 2×8×8 spike input."""
    rng = np.random.default_rng(7)
    pool = nir.AvgPool2d(
        kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])
    )
    nodes: list[tuple[str, Any]] = [
        ("input", nir.Input(input_type={"input": np.array([2, 8, 8])})),
        ("conv1", _conv(rng, 4, 2, 8, 1)),
        (
            "lif1",
            SoftLIF(beta=np.full((4, 8, 8), 0.7), v_threshold=np.ones((4, 8, 8)), reset="hard"),
        ),
        ("pool", pool),
        ("conv2", _conv(rng, 3, 4, 4, 1)),
        (
            "lif2",
            DALIF(
                alpha=np.array([0.9]),
                beta=np.array([0.5]),
                v_threshold=np.ones((3, 4, 4)),
                reset="hard",
            ),
        ),
        ("flatten", nir.Flatten({"input": np.array([3, 4, 4])}, start_dim=0, end_dim=-1)),
        ("fc", _affine(rng, 10, 48, 0.1)),
        ("lif3", SoftLIF(beta=np.full(10, 0.8), v_threshold=np.ones(10), reset="hard")),
        ("readout", _affine(rng, 4, 10, 0.0)),
        ("output", nir.Output(output_type={"output": np.array([4])})),
    ]
    graph = run_pipeline(sequential(*nodes))
    x = _spikes((10, 4, 2, 8, 8), 0.3, seed=3)
    backend = NetxBackend(calibration=x)
    staged = backend.quantize(graph)
    path = backend.emit(staged, tmp_path)
    q = program_of(staged)
    assert q is not None and [lay.source.connection for lay in q.layers][:2] == ["conv", "conv"]
    assert q.layers[1].source.folded == ("pool",)
    got = _run_lava_dl(path, x, tmp_path)
    assert _assert_bit_exact(q, x, got) > 100


def test_cnn_with_max_pooling_relays(tmp_path: Path) -> None:
    """The conformance zoo's maxpool_cnn: each MaxPool2d of spikes is a grouped all-ones
    conv layer with a hard-reset CUBA LIF (θ = 0.5) that lava-dl runs like any layer."""
    from tests.conformance.zoo import maxpool_cnn

    graph = run_pipeline(maxpool_cnn())
    x = _spikes((10, 4, 1, 8, 8), 0.3, seed=4)
    backend = NetxBackend(calibration=x)
    staged = backend.quantize(graph)
    path = backend.emit(staged, tmp_path)
    q = program_of(staged)
    assert [lay.name for lay in q.layers] == ["lif1", "mp1", "dalif", "mp2", "lif2", "readout"]
    assert q.layers[1].source.geometry["groups"] == 4
    got = _run_lava_dl(path, x, tmp_path)
    assert _assert_bit_exact(q, x, got) > 100
