"""snncompile's own netx reader: the file's layers as written, checked against the stored
IR graph, run on Lava in the torch-free worker (fixed: bit-exact with the integer
reference, every layer; float: the same equations in real numbers)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import h5py
import nir
import numpy as np
import pytest
from snncompile_lava.load import run_batches
from snncompile_lava.lower import rerecord
from snncompile_lava.netx import GRAPH_DATASET, NetxBackend
from snncompile_lava.netx_reader import (
    ACT_SHIFT,
    check_agrees,
    describe_netx,
    netx_spec,
    read_netx,
    run_netx,
    stored_graph,
)
from snncompile_lava.spec import plan_network, save_spec
from snncompile_loihi.kernels import run_fixed_layer
from snncompile_loihi.qgraph import LoihiProgram
from snncompile_loihi.reference import simulate_fixed
from snncompile_loihi.stage import program_of

import snncompile
from snncompile.backend import graph_to_bytes
from snncompile.errors import CheckpointError, InputError
from snncompile.ir import DALIF, SoftLIF, sequential
from snncompile.passes.pipeline import run_pipeline


def _affine(rng: np.random.Generator, n_out: int, n_in: int, mean: float) -> nir.Affine:
    w = rng.normal(mean, 0.6, (n_out, n_in)) * 3.0 / np.sqrt(n_in)
    b = rng.normal(0.1, 0.3, n_out)
    return nir.Affine(weight=w.astype(np.float32), bias=b.astype(np.float32))


def mlp(seed: int = 3) -> Any:
    """24 → 16 (LIF) → 16 (DA-LIF) → 5 readout, hard reset, with biases."""
    rng = np.random.default_rng(seed)
    n = 16
    return run_pipeline(
        sequential(
            ("input", nir.Input(input_type={"input": np.array([24])})),
            ("fc1", _affine(rng, n, 24, 0.1)),
            ("lif1", SoftLIF(beta=np.full(n, 0.75), v_threshold=np.ones(n), reset="hard")),
            ("fc2", _affine(rng, n, n, 0.1)),
            (
                "lif2",
                DALIF(
                    alpha=np.array([0.8]),
                    beta=np.array([0.5]),
                    v_threshold=np.ones(n),
                    reset="hard",
                ),
            ),
            ("readout", _affine(rng, 5, n, 0.0)),
            ("output", nir.Output(output_type={"output": np.array([5])})),
        )
    )


def cnn() -> Any:
    """conv → LIF → avg pool (folded) → conv → DA-LIF → flatten → dense readout."""
    rng = np.random.default_rng(7)

    def conv(c_out: int, c_in: int, size: int) -> nir.Conv2d:
        w = rng.normal(0.1, 0.6, (c_out, c_in, 3, 3)) / np.sqrt(c_in * 9) * 4.0
        bias = rng.uniform(-0.1, 0.2, c_out).astype(np.float32)
        return nir.Conv2d((size, size), w.astype(np.float32), 1, 1, 1, 1, bias)

    pool = nir.AvgPool2d(
        kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])
    )
    return run_pipeline(
        sequential(
            ("input", nir.Input(input_type={"input": np.array([2, 8, 8])})),
            ("conv1", conv(4, 2, 8)),
            (
                "lif1",
                SoftLIF(beta=np.full((4, 8, 8), 0.7), v_threshold=np.ones((4, 8, 8)), reset="hard"),
            ),
            ("pool", pool),
            ("conv2", conv(3, 4, 4)),
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
            ("readout", _affine(rng, 4, 48, 0.0)),
            ("output", nir.Output(output_type={"output": np.array([4])})),
        )
    )


def spikes(shape: tuple[int, ...], rate: float = 0.3, seed: int = 1) -> np.ndarray:
    return (np.random.default_rng(seed).random(shape) < rate).astype(np.float32)


def export(graph: Any, x: np.ndarray, where: Path) -> tuple[Path, LoihiProgram]:
    backend = NetxBackend(calibration=x)
    staged = backend.quantize(graph)
    return backend.emit(staged, where), program_of(staged)


@pytest.fixture(scope="module")
def mlp_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, LoihiProgram, Any]:
    graph = mlp()
    path, program = export(graph, spikes((12, 5, 24)), tmp_path_factory.mktemp("mlp"))
    return path, program, graph


@pytest.fixture(scope="module")
def cnn_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, LoihiProgram, Any]:
    graph = cnn()
    path, program = export(graph, spikes((10, 4, 2, 8, 8), seed=3), tmp_path_factory.mktemp("c"))
    return path, program, graph


def _copy(path: Path, tmp_path: Path) -> Path:
    out = tmp_path / "edited.net"
    out.write_bytes(path.read_bytes())
    return out


# ----------------------------------------------------------------------------- reading


def test_reader_returns_the_quantised_integers_as_written(mlp_file) -> None:
    path, program, _ = mlp_file
    net = read_netx(path)
    assert net.input_shape == (24,) and net.producer == "snncompile"
    assert [lay.name for lay in net.layers] == [q.name for q in program.layers]
    assert [lay.readout for lay in net.layers] == [False, False, True]
    assert net.readout_unit == program.layers[-1].scale.unit
    for lay, q in zip(net.layers, program.layers, strict=True):
        p = q.neuron_params
        np.testing.assert_array_equal(lay.weight, q.weights)
        np.testing.assert_array_equal(lay.bias, np.broadcast_to(p["bias_mant"], lay.shape))
        assert (lay.du, lay.dv, lay.vth) == (int(p["du"]), int(p["dv"]), int(p["vth"]))
    plan = plan_network(netx_spec(net))  # both tags valid for the Lava runtime
    assert [lay.neuron for lay in plan.layers] == ["lif_builtin"] * 3
    check_agrees(net, stored_graph(path))


def test_reader_reads_conv_geometry_and_skips_flatten(cnn_file) -> None:
    path, program, _ = cnn_file
    net = read_netx(path)
    assert net.input_shape == (2, 8, 8)
    assert [lay.kind for lay in net.layers] == ["conv", "conv", "dense"]
    assert [lay.shape for lay in net.layers] == [(4, 8, 8), (3, 4, 4), (4,)]
    geometry = program.layers[1].source.geometry  # pooling folded: 6x6 kernels, stride 2
    assert net.layers[1].geometry == {
        k: tuple(v) if isinstance(v, list | tuple) else v for k, v in geometry.items()
    }
    assert net.layers[2].in_shape == (48,)  # after the file's flatten entry
    plan_network(netx_spec(net))
    text = describe_netx(path)
    assert "conv" in text and "agrees" in text and "readout (v)" in text


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda f: f["layer/2/weight"].__setitem__((0, 0), -f["layer/2/weight"][0, 0] or 3.0),
            "disagree",
        ),
        (lambda f: f["layer/1/neuron/type"].__setitem__(0, b"RF"), "neuron type 'RF'"),
        (lambda f: f["layer/1/weight"].__setitem__((0, 0), 0.5), "not integers"),
        (lambda f: f["layer/1/weight"].__setitem__((0, 0), 300.0), "outside 8 bits"),
        (lambda f: f["layer/1/neuron"].__delitem__("vThMant"), "missing ['vThMant']"),
        (lambda f: f["layer/3"].__delitem__("neuron"), "no 'neuron' group"),
        (lambda f: f["layer/1"].move("type", "kind"), "layer type '?'"),
        (lambda f: f.attrs.__delitem__("readout_unit"), "readout_unit"),
    ],
)
def test_a_file_that_is_not_what_snncompile_wrote_is_refused(
    mlp_file, tmp_path, edit, message
) -> None:
    path = _copy(mlp_file[0], tmp_path)
    with h5py.File(path, "a") as f:
        edit(f)
    with pytest.raises(CheckpointError, match="netx file") as info:
        describe_netx(path)
    assert message in info.value.message and info.value.hint


def test_a_file_spliced_with_another_models_graph_is_refused(mlp_file, cnn_file, tmp_path):
    path = _copy(mlp_file[0], tmp_path)
    other = mlp(seed=11)  # same structure, other weights: signs differ somewhere
    with h5py.File(path, "a") as f:
        del f[GRAPH_DATASET]
        f.create_dataset(GRAPH_DATASET, data=np.void(graph_to_bytes(other)))
    with pytest.raises(CheckpointError, match="disagree"):
        describe_netx(path)
    with h5py.File(path, "a") as f:
        del f[GRAPH_DATASET]
        f.create_dataset(GRAPH_DATASET, data=np.void(graph_to_bytes(cnn_file[2])))
    with pytest.raises(CheckpointError, match="disagree"):
        describe_netx(path)


def test_damaged_and_foreign_files_are_refused(mlp_file, tmp_path) -> None:
    bad = tmp_path / "bad.net"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(CheckpointError, match="cannot read") as info:
        read_netx(bad)
    assert "export it again" in (info.value.hint or "")
    empty = tmp_path / "empty.net"
    with h5py.File(empty, "w") as f:
        f.create_group("other")
    with pytest.raises(CheckpointError, match="no 'layer' group"):
        read_netx(empty)
    # a file without the IR graph still reads and runs from its layers
    bare = _copy(mlp_file[0], tmp_path)
    with h5py.File(bare, "a") as f:
        del f[GRAPH_DATASET]
    assert stored_graph(bare) is None
    assert "stored IR graph: none" in describe_netx(bare)


def test_inspect_shows_the_netx_layers_without_torch(mlp_file, tmp_path) -> None:
    import subprocess

    code = (
        "import sys\nfrom snncompile.cli import main\n"
        f"rc = main(['inspect', {str(mlp_file[0])!r}, '--json'])\n"
        "assert 'torch' not in sys.modules, 'inspect imported torch'\nsys.exit(rc)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["target"] == "netx" and "agrees" in doc["artifact"]
    assert doc["ir"]["nodes"][0]["name"] == "input"


# ----------------------------------------------------------------------------- running


def _bit_exact_every_layer(path: Path, program: LoihiProgram, x: np.ndarray) -> int:
    """Run the file's spec recording every state; compare with the integer reference."""
    spec = rerecord(netx_spec(read_netx(path)), "all")
    flat_x = x.reshape(*x.shape[:2], *read_netx(path).input_shape).astype(np.float64)
    got = run_batches(save_spec(spec, path.parent / "spec"), flat_x, tag="fixed_pt")
    s, total = x.astype(np.int64), 0
    for q in program.layers:
        ref = run_fixed_layer(q, s)
        for var in ("spikes", "u", "v"):
            want = ref[var].reshape(got[f"{q.name}/{var}"].shape)
            assert np.array_equal(got[f"{q.name}/{var}"], want), f"{q.name}/{var} differs"
        total += int(ref["spikes"].sum()) if q.source.spiking else 0
        s = ref["out"]
    return total


@pytest.mark.lava
def test_fixed_runs_are_bit_exact_with_the_integer_reference(mlp_file, cnn_file) -> None:
    for (path, program, graph), x in (
        (mlp_file, spikes((12, 5, 24))),
        (cnn_file, spikes((10, 4, 2, 8, 8), seed=3)),
    ):
        assert _bit_exact_every_layer(path, program, x) > 100
        got = run_netx(path, x)
        want = NetxBackend(calibration=x).reference_run(graph, x)  # x calibrated the file
        assert set(got) == set(want) == {"output"}
        np.testing.assert_array_equal(got["output"], want["output"])


def _float_model(path: Path, x: np.ndarray) -> np.ndarray:
    """The float mode's equations in numpy (dense layers): Lava's floating-point LIF."""
    net = read_netx(path)
    s = x.reshape(*x.shape[:2], -1).astype(np.float64)
    for lay in net.layers:
        u = np.zeros((x.shape[1], *lay.shape))
        v = np.zeros_like(u)
        out = []
        for t in range(x.shape[0]):
            u = u * (1 - lay.du / 4096) + s[t] @ lay.weight.T
            v = v * (1 - lay.dv / 4096) + u + lay.bias
            fired = v > lay.vth
            v = np.where(fired, 0.0, v)
            out.append(v.copy() if lay.readout else fired.astype(np.float64))
        s = np.stack(out)
    return s * 2**ACT_SHIFT / float(net.readout_unit)


@pytest.mark.lava
def test_float_mode_runs_the_same_equations_in_real_numbers(mlp_file) -> None:
    path = mlp_file[0]
    x = spikes((12, 5, 24), seed=4)
    calls: list[float] = []
    hook = lambda done, total: calls.append(time.monotonic())  # noqa: E731
    start = time.monotonic()
    got = NetxBackend(mode="float", progress=hook).simulate(path, x)["output"]
    # the worker starts, compiles and runs for seconds: the bar hears at least once a second
    gaps = np.diff([start, *calls])
    assert len(calls) >= 3 and gaps[1:].max() < 1.0, gaps
    np.testing.assert_allclose(got, _float_model(path, x), rtol=1e-9, atol=1e-9)
    fixed = NetxBackend().simulate(path, x)["output"]
    assert np.abs(got - fixed).max() < 0.25 * np.abs(fixed).max()  # close, not equal


@pytest.mark.lava
def test_open_run_and_cli_simulate_a_net_file(mlp_file, tmp_path, monkeypatch, capsys) -> None:
    from snncompile.cli import main

    path, program, _ = mlp_file
    x = spikes((6, 3, 24), seed=5)
    artifact = snncompile.open(path)
    assert artifact.target == "netx"
    want = simulate_fixed(program, x)["output"]  # the integer reference of the file's program
    np.testing.assert_array_equal(artifact.run(x)["output"], want)
    static = spikes((3, 24), seed=6)
    np.testing.assert_array_equal(
        artifact.run(static, steps=4)["output"],
        simulate_fixed(program, np.broadcast_to(static, (4, 3, 24)))["output"],
    )
    with pytest.raises(InputError, match="0/1"):
        artifact.run(x * 0.5)
    np.savez(tmp_path / "x.npz", inputs=x, labels=np.array([0, 1, 2]))
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    argv = ["simulate", str(path), "--input", str(tmp_path / "x.npz"), "--json"]
    assert main([*argv, "-o", str(tmp_path / "out.npz")]) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["target"] == "netx" and doc["outputs"] == {"output": [6, 3, 5]}
    assert "simulate (netx):" in captured.err and "3/3 [" in captured.err
    with np.load(tmp_path / "out.npz") as f:
        np.testing.assert_array_equal(f["output"], want)
