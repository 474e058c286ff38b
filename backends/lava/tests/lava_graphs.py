"""Small IR graphs for the Lava backend tests, with every neuron model and a CNN.

``mlp_all_neurons``: one chain holding each population model the Lava target lowers, so
one Lava run per mode checks all of them (graded input, 6 populations, a readout)::

    input[12] → fc1 → lif (SoftLIF soft) → fc2 → clif → fc3 → ilif → fc4 → plif
              → fc5 → dalif_hard (DA-LIF, hard reset: Lava's own LIF) → fc6
              → lif_hard (SoftLIF, hard reset) → fc7 → dalif (DA-LIF soft) → readout → output

``cnn``: input[2, 8, 8] → conv1 (pad 1) → dalif (soft) → conv2 (stride 2, pad 1)
→ lif_hard → flatten → fc → clif → readout → output.
"""

from __future__ import annotations

from typing import Any

import nir
import numpy as np

from snncompile.ir import CLIF, DALIF, ILIF, PLIF, SoftLIF, sequential
from snncompile.ir.graph import Graph
from snncompile.passes.pipeline import run_pipeline


def _affine(rng: np.random.Generator, n_out: int, n_in: int, gain: float) -> nir.Affine:
    w = rng.normal(0.1, 0.6, (n_out, n_in)) * gain / np.sqrt(n_in)
    return nir.Affine(
        weight=w.astype(np.float32), bias=rng.uniform(0.0, 0.3, n_out).astype(np.float32)
    )


def _classifier(
    rng: np.random.Generator, flat: tuple[int, ...], gain: float, hidden: tuple[str, Any]
) -> list[tuple[str, Any]]:
    """Flatten a ``flat``-shaped map, a 6-unit ``hidden`` population fed by an Affine of
    ``gain``, and a 3-unit readout to the output: (name, node) pairs."""
    return [
        ("flatten", nir.Flatten({"input": np.array(flat)}, start_dim=0, end_dim=-1)),
        ("fc", _affine(rng, 6, int(np.prod(flat)), gain)),
        hidden,
        ("readout", _affine(rng, 3, 6, 1.0)),
        ("output", nir.Output(output_type={"output": np.array([3])})),
    ]


def _full(n: int, value: float) -> np.ndarray:
    return np.full(n, value)


def mlp_all_neurons(seed: int = 0, width: int = 16) -> Graph:
    """The chain of every population model (module docstring)."""
    rng = np.random.default_rng(seed)
    n = width
    nodes: list[tuple[str, Any]] = [
        ("input", nir.Input(input_type={"input": np.array([12])})),
        ("fc1", _affine(rng, n, 12, 3.0)),
        ("lif", SoftLIF(beta=_full(n, 0.8), v_threshold=_full(n, 1.0))),
        ("fc2", _affine(rng, n, n, 3.0)),
        ("clif", CLIF(tau=_full(n, 2.0), v_threshold=_full(n, 1.0))),
        ("fc3", _affine(rng, n, n, 3.0)),
        ("ilif", ILIF(tau=_full(n, 2.0), v_threshold=_full(n, 1.0))),
        ("fc4", _affine(rng, n, n, 3.0)),
        ("plif", PLIF(w=_full(n, 0.5), v_threshold=_full(n, 1.0))),
        ("fc5", _affine(rng, n, n, 3.0)),
        (
            "dalif_hard",
            DALIF(
                alpha=np.array([0.9]), beta=np.array([0.6]), v_threshold=_full(n, 1.0), reset="hard"
            ),
        ),
        ("fc6", _affine(rng, n, n, 3.0)),
        ("lif_hard", SoftLIF(beta=_full(n, 0.7), v_threshold=_full(n, 1.0), reset="hard")),
        ("fc7", _affine(rng, n, n, 3.0)),
        ("dalif", DALIF(alpha=np.array([1.0]), beta=np.array([0.5]), v_threshold=_full(n, 1.0))),
        ("readout", _affine(rng, 5, n, 1.0)),
        ("output", nir.Output(output_type={"output": np.array([5])})),
    ]
    return run_pipeline(sequential(*nodes))


def cnn(seed: int = 1) -> Graph:
    """The small CNN (module docstring)."""
    rng = np.random.default_rng(seed)

    def conv(c_out: int, c_in: int, stride: int, size: int) -> nir.Conv2d:
        w = rng.normal(0.05, 0.6, (c_out, c_in, 3, 3)) / np.sqrt(c_in * 9) * 4.0
        return nir.Conv2d(
            (size, size),
            w.astype(np.float32),
            stride,
            1,
            1,
            1,
            rng.uniform(0.0, 0.2, c_out).astype(np.float32),
        )

    nodes: list[tuple[str, Any]] = [
        ("input", nir.Input(input_type={"input": np.array([2, 8, 8])})),
        ("conv1", conv(4, 2, 1, 8)),
        (
            "dalif",
            DALIF(alpha=np.array([1.0]), beta=np.array([0.5]), v_threshold=np.ones((4, 8, 8))),
        ),
        ("conv2", conv(4, 4, 2, 8)),
        (
            "lif_hard",
            SoftLIF(beta=np.full((4, 4, 4), 0.6), v_threshold=np.ones((4, 4, 4)), reset="hard"),
        ),
        *_classifier(
            rng, (4, 4, 4), 5.0, ("clif", CLIF(tau=_full(6, 2.0), v_threshold=_full(6, 1.0)))
        ),
    ]
    return run_pipeline(sequential(*nodes))


def pruned_mlp(seed: int = 5, keep: float = 0.15) -> Graph:
    """12 → 32 → 32 → 5 with 85 % of fc2's weights pruned to zero (a Sparse candidate)."""
    rng = np.random.default_rng(seed)
    fc2 = _affine(rng, 32, 32, 3.0 / np.sqrt(keep))
    fc2 = nir.Affine(weight=fc2.weight * (rng.random((32, 32)) < keep), bias=fc2.bias)
    nodes: list[tuple[str, Any]] = [
        ("input", nir.Input(input_type={"input": np.array([12])})),
        ("fc1", _affine(rng, 32, 12, 3.0)),
        ("lif", SoftLIF(beta=_full(32, 0.8), v_threshold=_full(32, 1.0))),
        ("fc2", fc2),
        ("clif", CLIF(tau=_full(32, 2.0), v_threshold=_full(32, 1.0))),
        ("readout", _affine(rng, 5, 32, 1.0)),
        ("output", nir.Output(output_type={"output": np.array([5])})),
    ]
    return run_pipeline(sequential(*nodes))


def recurrent_mlp(seed: int = 6, n: int = 12) -> Graph:
    """8 → soft LIF ⟲ → CLIF ⟲ → hard-reset LIF with bias ⟲ → ILIF ⟲ → readout: every
    population has a recurrent Linear (N → rec ~> N, a back edge, one step late)."""
    rng = np.random.default_rng(seed)
    neurons = {
        "lif": SoftLIF(beta=_full(n, 0.8), v_threshold=_full(n, 1.0)),
        "clif": CLIF(tau=_full(n, 2.0), v_threshold=_full(n, 1.0)),
        "lif_hard": SoftLIF(beta=_full(n, 0.7), v_threshold=_full(n, 1.0), reset="hard"),
        "ilif": ILIF(tau=_full(n, 2.0), v_threshold=_full(n, 1.0)),
    }
    nodes: list[tuple[str, Any]] = [("input", nir.Input(input_type={"input": np.array([8])}))]
    n_in = 8
    for i, (name, neuron) in enumerate(neurons.items(), start=1):
        nodes += [(f"fc{i}", _affine(rng, n, n_in, 3.0)), (name, neuron)]
        n_in = n
    nodes += [
        ("readout", _affine(rng, 3, n, 1.0)),
        ("output", nir.Output(output_type={"output": np.array([3])})),
    ]
    chain = sequential(*nodes)
    loops = {f"rec_{name}": name for name in neurons}
    weights = {
        f"rec_{name}": nir.Linear(weight=rng.normal(-0.1, 0.5, (n, n)).astype(np.float32))
        for name in neurons
    }
    edges = [*chain.edges]
    for rec, name in loops.items():
        edges += [(name, rec), (rec, name)]
    return run_pipeline(chain.replace(nodes={**chain.nodes, **weights}, edges=edges))


def _pool(kind: type, size: int, stride: int, padding: int = 0) -> Any:
    return kind(
        kernel_size=np.array([size, size]),
        stride=np.array([stride, stride]),
        padding=np.array([padding, padding]),
    )


def cnn_pooled(seed: int = 3) -> Graph:
    """conv → LIF → AvgPool 2 → conv (padding 1) → CLIF → SumPool 3/2 → flatten → dense → ILIF →
    readout: both poolings are folded into the next connection (conv, then dense)."""
    rng = np.random.default_rng(seed)

    def conv(c_out: int, c_in: int, size: int, gain: float) -> nir.Conv2d:
        w = rng.normal(0.05, 0.6, (c_out, c_in, 3, 3)) / np.sqrt(c_in * 9) * gain
        bias = rng.uniform(0.0, 0.2, c_out).astype(np.float32)
        return nir.Conv2d((size, size), w.astype(np.float32), 1, 1, 1, 1, bias)

    nodes: list[tuple[str, Any]] = [
        ("input", nir.Input(input_type={"input": np.array([2, 8, 8])})),
        ("conv1", conv(4, 2, 8, 4.0)),
        ("lif", SoftLIF(beta=np.full((4, 8, 8), 0.7), v_threshold=np.ones((4, 8, 8)))),
        ("avgpool", _pool(nir.AvgPool2d, 2, 2)),
        ("conv2", conv(4, 4, 4, 8.0)),
        ("clif", CLIF(tau=np.full((4, 4, 4), 2.0), v_threshold=np.ones((4, 4, 4)))),
        ("sumpool", _pool(nir.SumPool2d, 3, 2, 1)),
        *_classifier(
            rng, (4, 2, 2), 2.0, ("ilif", ILIF(tau=_full(6, 2.0), v_threshold=_full(6, 1.0)))
        ),
    ]
    return run_pipeline(sequential(*nodes))


def graded_inputs(shape: tuple[int, ...], steps: int, batch: int, seed: int = 2) -> np.ndarray:
    """Time-major graded inputs on a 1/16 grid in [0, 1] (exact at input scale 16)."""
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 17, (steps, batch, *shape)) / 16.0).astype(np.float32)
