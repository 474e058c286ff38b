"""Test graphs and helpers for the ONNX backend conformance tests.

Neuron factories build one population of each neuron flavour; architectures wire them:

    mlp:        in[12] -> fc1 -> N1 -> fc2 -> N2 -> out
    cnn:        in[2,8,8] -> conv(4, 3x3, pad 1) -> N1 -> sumpool(2) -> conv(6, 3x3, s 1)
                -> N2 -> avgpool(3, s 1) -> flatten -> fc -> N3 -> out
    residual:   in[8] -> a -> N1 -> b -> N2 -> out ; N1 + b -> N2 (summed skip)
    recurrent:  in[6] -> fc -> N -> out ; N -> rec ~> N (back edge, one step late)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import nir
import numpy as np

from snncompile import ir
from snncompile.ir import Graph
from snncompile.reference import simulate

Pop = tuple[int, ...]
NeuronFactory = Callable[[Pop], object]


def _full(pop: Pop, value: float) -> np.ndarray:
    return np.full(pop, value)


def _lif(pop: Pop) -> nir.LIF:
    return nir.LIF(
        tau=_full(pop, 2e-4), r=_full(pop, 2.0), v_leak=_full(pop, 0.0),
        v_threshold=_full(pop, 1.0), v_reset=_full(pop, 0.0),
    )  # fmt: skip


def _cuba(pop: Pop) -> nir.CubaLIF:
    return nir.CubaLIF(
        tau_syn=_full(pop, 2e-4), tau_mem=_full(pop, 3e-4), r=_full(pop, 3.0),
        v_leak=_full(pop, 0.05), v_threshold=_full(pop, 0.8), v_reset=_full(pop, -0.1),
        w_in=_full(pop, 2.0),
    )  # fmt: skip


def _channels(pop: Pop, low: float, high: float) -> np.ndarray:
    return np.linspace(low, high, pop[0])


#: Every neuron flavour under test: name -> factory(population shape) -> IR node.
NEURONS: dict[str, NeuronFactory] = {
    "softlif": lambda pop: ir.SoftLIF(_full(pop, 0.6), _full(pop, 1.0)),
    "softlif_hard": lambda pop: ir.SoftLIF(
        np.random.default_rng(3).uniform(0.3, 0.9, pop), _full(pop, 1.0), "hard", _full(pop, -0.1)
    ),
    "plif": lambda pop: ir.PLIF(_full(pop, 0.3), _full(pop, 1.0)),
    "dalif_layer": lambda pop: ir.DALIF(np.array([0.9]), np.array([0.6]), _full(pop, 1.0)),
    "dalif_channel": lambda pop: ir.DALIF(
        _channels(pop, 0.6, 1.2), _channels(pop, 0.1, 0.9), _full(pop, 1.0), "hard"
    ),
    "clif": lambda pop: ir.CLIF(_full(pop, 2.0), _full(pop, 1.0)),
    "ilif": lambda pop: ir.ILIF(_full(pop, 1.1), _full(pop, 1.0)),
    "ilif_tau2": lambda pop: ir.ILIF(_full(pop, 2.0), _full(pop, 1.0), 0.1, 1.0),
    "nir_lif": _lif,
    "nir_if": lambda pop: nir.IF(
        r=_full(pop, 5e3), v_threshold=_full(pop, 1.0), v_reset=_full(pop, 0.0)
    ),
    "nir_cubalif": _cuba,
    "nir_threshold": lambda pop: nir.Threshold(_full(pop, 0.5)),
}

#: Profile overrides applied to NIR primitive neurons in some tests (native ones ignore it).
NIR_PROFILE = ir.ExecutionProfile(dt=1e-4)


def _affine(rng: np.random.Generator, n_out: int, n_in: int, gain: float) -> nir.Affine:
    w = rng.normal(0.15, 1.0, (n_out, n_in)) * gain / np.sqrt(n_in)
    return nir.Affine(weight=w, bias=rng.normal(0.1, 0.1, n_out))


def _conv(rng: np.random.Generator, c_out: int, c_in: int, gain: float, **kw: object):
    w = rng.normal(0.1, 1.0, (c_out, c_in, 3, 3)) * gain / np.sqrt(9 * c_in)
    return nir.Conv2d(None, w, kw.get("stride", 1), kw.get("padding", 0), 1, 1,
                      rng.normal(0.1, 0.1, c_out))  # fmt: skip


def _spiking_dense(
    rng: np.random.Generator,
    names: tuple[str, str],
    shape: tuple[int, int],
    gain: float,
    neuron: NeuronFactory,
) -> list[tuple[str, Any]]:
    """An Affine layer of ``shape`` (n_out, n_in) and its population: (name, node) pairs."""
    n_out, n_in = shape
    return [(names[0], _affine(rng, n_out, n_in, gain)), (names[1], neuron((n_out,)))]


def mlp(neuron: NeuronFactory, seed: int = 1) -> Graph:
    rng = np.random.default_rng(seed)
    return ir.sequential(
        ("in", nir.Input(np.array([12]))),
        *_spiking_dense(rng, ("fc1", "n1"), (16, 12), 2.0, neuron),
        *_spiking_dense(rng, ("fc2", "n2"), (10, 16), 3.0, neuron),
        ("out", nir.Output(np.array([10]))),
        profile=NIR_PROFILE,
    )


def cnn(neuron: NeuronFactory, seed: int = 2) -> Graph:
    rng = np.random.default_rng(seed)
    return ir.sequential(
        ("in", nir.Input(np.array([2, 8, 8]))),
        ("conv1", _conv(rng, 4, 2, 2.0, padding=1)),
        ("n1", neuron((4, 8, 8))),
        ("pool", nir.SumPool2d(np.array([2, 2]), np.array([2, 2]), np.array([0, 0]))),
        ("conv2", _conv(rng, 6, 4, 1.5)),
        ("n2", neuron((6, 2, 2))),
        ("avg", nir.AvgPool2d(np.array([3, 3]), np.array([1, 1]), np.array([1, 1]))),
        ("flat", nir.Flatten({"input": None}, start_dim=0, end_dim=-1)),
        *_spiking_dense(rng, ("fc", "n3"), (5, 24), 4.0, neuron),
        ("out", nir.Output(np.array([5]))),
        profile=NIR_PROFILE,
    )


def residual(neuron: NeuronFactory, seed: int = 3) -> Graph:
    rng = np.random.default_rng(seed)
    nodes = dict(
        [
            ("in", nir.Input(np.array([8]))),
            *_spiking_dense(rng, ("a", "n1"), (8, 8), 2.0, neuron),
            *_spiking_dense(rng, ("b", "n2"), (8, 8), 2.0, neuron),
            ("out", nir.Output(np.array([8]))),
        ]
    )
    edges = [("in", "a"), ("a", "n1"), ("n1", "b"), ("b", "n2"), ("n1", "n2"), ("n2", "out")]
    return Graph(nodes, edges, NIR_PROFILE)


def recurrent(neuron: NeuronFactory, seed: int = 4) -> Graph:
    rng = np.random.default_rng(seed)
    nodes = dict(
        [
            ("in", nir.Input(np.array([6]))),
            *_spiking_dense(rng, ("fc", "n"), (7, 6), 2.0, neuron),
            ("rec", nir.Linear(weight=rng.normal(-0.1, 0.6, (7, 7)))),
            ("out", nir.Output(np.array([7]))),
        ]
    )
    edges = [("in", "fc"), ("fc", "n"), ("n", "out"), ("n", "rec"), ("rec", "n")]
    return Graph(nodes, edges, NIR_PROFILE)


ARCHITECTURES: dict[str, Callable[[NeuronFactory], Graph]] = {
    "mlp": mlp,
    "cnn": cnn,
    "residual": residual,
    "recurrent": recurrent,
}


def inputs_for(graph: Graph, steps: int = 8, batch: int = 3, seed: int = 0) -> dict:
    """float32 analog inputs ``[T, B, *shape]`` for every Input node."""
    rng = np.random.default_rng(seed)
    out = {}
    for name in graph.inputs:
        shape = tuple(int(d) for d in graph.nodes[name].input_type["input"])
        out[name] = rng.normal(0.4, 1.0, (steps, batch, *shape)).astype(np.float32)
    return out


def reference(graph: Graph, inputs: dict, record=None) -> dict[str, np.ndarray]:
    """The float32 reference simulation of ``graph``."""
    return simulate(graph, inputs, dtype=np.float32, record=record)


def assert_spike_exact(got: dict, want: dict, names) -> None:
    """Outputs equal element for element (spikes and spike counts)."""
    for name in names:
        assert got[name].shape == want[name].shape, name
        mismatch = int(np.sum(got[name] != want[name]))
        assert mismatch == 0, f"{name}: {mismatch} of {got[name].size} elements differ"
