"""Small graphs covering every node type, profile feature and topology (test fixtures).

Topologies (-> forward edge, ~> back edge, + summed fan-in):

    mlp_softlif:     in -> fc1 -> lif1 -> fc2 -> lif2 -> out
    plif_dalif:      in -> lin -> plif -> fc -> dalif -> out
    conv_dalif:      in -> conv -> dalif_c -> pool -> flat -> fc -> dalif_n -> out
    clif_ilif:       in -> fc1 -> clif -> fc2 -> ilif -> out
    batchnorm:       in -> bn_in -> conv -> bn -> lif -> avg -> flat -> lin -> bn1 -> if -> out
    recurrent:       in -> fc -> lif -> out ; lif -> w_rec ~> lif ; lif ~> lif (self loop)
    residual:        in -> a -> s1 -> b -> s2 -> out1 ; s1 + b -> s2 ; in -> gain -> out2
    cuba_delay:      in -> conv1d(groups 2) -> cuba -> flat -> lin -> li -> delay -> out
    multi_input:     x -> sx + y -> sy -> thr -> out ; thr -> i -> out_i
    soft_recurrent:  in -> fc -> lif(SoftLIF) -> out ; lif -> rec ~> lif
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import nir
import numpy as np

from snncompile import ir
from snncompile.ir import Graph

RNG_SEED = 7


def _rng() -> np.random.Generator:
    return np.random.default_rng(RNG_SEED)


def _affine(rng: np.random.Generator, n_out: int, n_in: int, dtype=np.float64, mean=0.4):
    w = rng.normal(mean, 0.6, (n_out, n_in)).astype(dtype)
    return nir.Affine(weight=w, bias=rng.normal(0.05, 0.05, n_out).astype(dtype))


def _fed(rng: np.random.Generator, n_in: int, first: tuple[str, int]) -> dict[str, Any]:
    """The nodes ``in`` (an ``n_in``-vector input) and the Affine ``first`` = (name, n_out)
    it feeds; the graph's edge list joins them."""
    name, n_out = first
    return {"in": nir.Input(np.array([n_in])), name: _affine(rng, n_out, n_in)}


def _io(shape) -> tuple[nir.Input, nir.Output]:
    return nir.Input(np.array(shape)), nir.Output(np.array(shape))


def mlp_softlif() -> Graph:
    rng = _rng()
    return ir.sequential(
        ("in", nir.Input(np.array([6]))),
        ("fc1", _affine(rng, 8, 6)),
        ("lif1", ir.SoftLIF(np.full(8, 0.5), np.ones(8))),
        ("fc2", _affine(rng, 4, 8)),
        ("lif2", ir.SoftLIF(np.full(4, 0.8), np.ones(4), reset="hard", v_reset=np.full(4, -0.07))),
        ("out", nir.Output(np.array([4]))),
        metadata={"model": "mlp", "epochs": 3, "lr": 0.1, "tags": ("a", "b"), "none": None},
    )


def plif_dalif() -> Graph:
    rng = _rng()
    return ir.sequential(
        ("in", nir.Input(np.array([5]))),
        ("lin", nir.Linear(weight=rng.normal(0.4, 0.5, (6, 5)).astype(np.float32))),
        ("plif", ir.PLIF(np.full(6, 0.3, np.float32), np.ones(6, np.float32))),
        ("fc", _affine(rng, 3, 6, np.float32)),
        (
            "dalif",
            ir.DALIF(
                np.array([0.9], np.float32), np.array([0.7], np.float32), np.ones(3, np.float32)
            ),
        ),
        ("out", nir.Output(np.array([3]))),
    )


def conv_dalif() -> Graph:
    rng = _rng()
    conv = nir.Conv2d(None, rng.normal(0.2, 0.4, (3, 2, 3, 3)), 1, 1, 1, 1, rng.normal(0, 0.1, 3))
    pop = (3, 6, 6)
    return ir.sequential(
        ("in", nir.Input(np.array([2, 6, 6]))),
        ("conv", conv),
        ("dalif_c", ir.DALIF(np.array([0.8, 1.1, 0.6]), np.array([0.5, 0.2, 0.9]), np.ones(pop))),
        ("pool", nir.SumPool2d(np.array([2, 2]), np.array([2, 2]), np.array([0, 0]))),
        ("flat", nir.Flatten({"input": None}, start_dim=0, end_dim=-1)),
        ("fc", _affine(rng, 5, 27, mean=-0.05)),
        ("dalif_n", ir.DALIF(rng.uniform(0.5, 1.5, 5), rng.uniform(0, 0.9, 5), np.ones(5), "hard")),
        ("out", nir.Output(np.array([5]))),
    )


def clif_ilif() -> Graph:
    rng = _rng()
    return ir.sequential(
        ("in", nir.Input(np.array([4]))),
        ("fc1", _affine(rng, 5, 4)),
        ("clif", ir.CLIF(np.full(5, 2.0), np.ones(5))),
        ("fc2", _affine(rng, 3, 5)),
        ("ilif", ir.ILIF(np.full(3, 1.1), np.ones(3))),
        ("out", nir.Output(np.array([3]))),
    )


def _bn(rng: np.random.Generator, c: int) -> ir.BatchNorm:
    return ir.BatchNorm(
        rng.uniform(0.5, 1.5, c),
        rng.normal(0, 0.2, c),
        rng.normal(0, 0.3, c),
        rng.uniform(0.5, 2, c),
    )


def batchnorm() -> Graph:
    rng = _rng()
    conv = nir.Conv2d((5, 5), rng.normal(0.2, 0.4, (4, 3, 3, 3)), 1, 1, 1, 1, np.zeros(4))
    return ir.sequential(
        ("in", nir.Input(np.array([3, 5, 5]))),
        ("bn_in", _bn(rng, 3)),
        ("conv", conv),
        ("bn", _bn(rng, 4)),
        ("lif", ir.SoftLIF(np.full((4, 5, 5), 0.6), np.ones((4, 5, 5)))),
        ("avg", nir.AvgPool2d(np.array([2, 2]), np.array([1, 1]), np.array([0, 0]))),
        ("flat", nir.Flatten({"input": np.array([4, 4, 4])}, start_dim=0)),
        ("lin", nir.Linear(weight=rng.normal(0.01, 0.1, (6, 64)))),
        ("bn1", _bn(rng, 6)),
        ("if", nir.IF(r=np.full(6, 1e4), v_threshold=np.ones(6), v_reset=np.zeros(6))),
        ("out", nir.Output(np.array([6]))),
    )


def recurrent() -> Graph:
    rng = _rng()
    n = 5
    lif = nir.LIF(
        tau=np.full(n, 1e-3), r=np.full(n, 10.0), v_leak=np.zeros(n), v_threshold=np.ones(n),
        v_reset=np.zeros(n), metadata={"origin": "test"},
    )  # fmt: skip
    nodes = {
        **_fed(rng, 3, ("fc", n)),
        "lif": lif,
        "w_rec": nir.Linear(weight=rng.normal(0, 0.3, (n, n))),
        "out": nir.Output(np.array([n])),
    }
    edges = [("in", "fc"), ("fc", "lif"), ("lif", "out"), ("lif", "w_rec"), ("w_rec", "lif")]
    edges.append(("lif", "lif"))
    profile = ir.ExecutionProfile(overrides={"lif": {"compare": ">="}, "w_rec": {"dt": 1e-4}})
    return Graph(nodes, edges, profile)


def residual() -> Graph:
    rng = _rng()
    nodes = {
        **_fed(rng, 4, ("a", 4)),
        "s1": ir.SoftLIF(np.full(4, 0.5), np.ones(4)),
        "b": _affine(rng, 4, 4),
        "s2": ir.SoftLIF(np.full(4, 0.5), np.full(4, 1.2)),
        "out1": nir.Output(np.array([4])),
        "gain": nir.Scale(np.array([1.0, -1.0, 0.5, 2.0])),
        "out2": nir.Output(np.array([4])),
    }
    edges = [
        ("in", "a"), ("a", "s1"), ("s1", "b"), ("b", "s2"), ("s1", "s2"), ("s2", "out1"),
        ("in", "gain"), ("gain", "out2"),
    ]  # fmt: skip
    return Graph(nodes, edges, ir.ExecutionProfile(dt=1e-3))


def cuba_delay() -> Graph:
    rng = _rng()
    conv = nir.Conv1d(10, rng.normal(0.3, 0.3, (4, 2, 3)), 1, "same", 2, 2, rng.normal(0, 0.1, 4))
    pop = (4, 10)
    cuba = nir.CubaLIF(
        tau_syn=np.full(pop, 3e-4), tau_mem=np.full(pop, 1e-3), r=np.full(pop, 10.0),
        v_leak=np.zeros(pop), v_threshold=np.full(pop, 0.5), v_reset=np.zeros(pop),
        w_in=np.full(pop, 3.0),
    )  # fmt: skip
    return ir.sequential(
        ("in", nir.Input(np.array([4, 10]))),
        ("conv1d", conv),
        ("cuba", cuba),
        ("flat", nir.Flatten({"input": np.array(pop)}, start_dim=0)),
        ("lin", nir.Linear(weight=rng.normal(0, 0.2, (3, 40)))),
        ("li", nir.LI(tau=np.full(3, 2e-4), r=np.full(3, 2.0), v_leak=np.full(3, 0.1))),
        ("delay", nir.Delay(delay=np.array([0.0, 1e-4, 3e-4]))),
        ("out", nir.Output(np.array([3]))),
        profile=ir.ExecutionProfile(integrator="exact", synapse_order="jump_decay"),
    )


def multi_input() -> Graph:
    nodes = {
        "x": nir.Input(np.array([3])),
        "y": nir.Input(np.array([3])),
        "sx": nir.Scale(np.array([1.0, 2.0, 0.5])),
        "sy": nir.Scale(np.array([-1.0, 1.0, 1.0])),
        "thr": nir.Threshold(np.array([0.5, 1.0, 1.5])),
        "out": nir.Output(np.array([3])),
        "i": nir.I(r=np.full(3, 1e4)),
        "out_i": nir.Output(np.array([3])),
    }
    edges = [("x", "sx"), ("y", "sy"), ("sx", "thr"), ("sy", "thr"), ("thr", "out")]
    edges += [("thr", "i"), ("i", "out_i")]
    profile = ir.ExecutionProfile(
        reset="subtract", spike_mode="multi", max_spikes=3, refractory=1, compare=">="
    )
    return Graph(nodes, edges, profile)


def soft_recurrent() -> Graph:
    rng = _rng()
    nodes = {
        **_fed(rng, 3, ("fc", 4)),
        "lif": ir.SoftLIF(np.array([0.5, 0.9, 0.3, 0.0]), np.ones(4), metadata={"layer": 1}),
        "rec": nir.Linear(weight=rng.normal(0, 0.4, (4, 4))),
        "out": nir.Output(np.array([4])),
    }
    edges = [("in", "fc"), ("fc", "lif"), ("lif", "out"), ("lif", "rec"), ("rec", "lif")]
    return Graph(nodes, edges)


ZOO: dict[str, Callable[[], Graph]] = {
    f.__name__: f
    for f in (
        mlp_softlif,
        plif_dalif,
        conv_dalif,
        clif_ilif,
        batchnorm,
        recurrent,
        residual,
        cuba_delay,
        multi_input,
        soft_recurrent,
    )
}


def random_inputs(graph: Graph, steps: int = 12, batch: int = 2, seed: int = 0) -> dict:
    """Dense analog inputs for every Input node, time-major."""
    rng = np.random.default_rng(seed)
    out = {}
    for name in graph.inputs:
        shape = tuple(int(d) for d in graph.nodes[name].input_type["input"])
        out[name] = rng.normal(0.5, 1.0, (steps, batch, *shape))
    return out
