"""The graph zoo of the backend conformance suite (``test_backends.py``).

Two families, every graph small (at most a few hundred neurons) so that a Lava run of
T = 8 steps and B = 2 samples takes seconds:

- ``tests.roundtrip.graph_zoo.ZOO`` (reused as is): NIR-shaped graphs covering every node
  type, profile feature and topology (per-neuron parameters, NIR primitives, delays, two
  inputs or outputs), named as there (``mlp_softlif``, ``batchnorm``, ...).
- the *chain* graphs below: one Input, one Output, one decay and threshold per population
  and reset to 0, the shape fixed-point targets lower (``N`` is the neuron under test)::

      neuron_<kind>:  in[8] -> fc1 -> N[10] -> fc2 -> N[6] -> readout -> out[3]
      mlp:            in[10] -> fc1 -> LIF[12] -> fc2 -> LIF[8] -> fc3 -> LIF[4] -> out
      cnn_bn_pool:    in[1,6,6] -> conv1 -> bn1 -> LIF -> avg 2 -> conv2 -> bn2
                      -> DA-LIF (hard) -> sum 2/1 -> flatten -> fc -> CLIF -> readout -> out
      skip:           in[8] -> a -> LIF n1 -> b -> LIF n2 -> readout -> out ; n1 + b -> n2
      recurrent_chain: in[6] -> fc1 -> LIF ⟲ rec1 -> fc2 -> CLIF ⟲ rec2 -> readout -> out
                      (⟲: a Linear back edge, one step late)
      resnet_block:   in[1,6,6] -> conv0 -> bn0 -> LIF n0 -> conv1 -> bn1 -> LIF n1
                      -> conv2 -> bn2 -> (+ n0, identity) -> LIF n2 -> flatten -> readout
                      (Spiking ResNet: the residual is added to the current before n2)
      sew_block:      in[1,6,6] -> conv0 -> LIF n0 -> conv1 -> LIF n1 -> conv2 -> LIF n2;
                      (n2 + n0) spikes -> conv3 -> CLIF n3 -> flatten -> readout (SEW)
      shortcut_1x1:   in[1,6,6] -> conv0 -> LIF n0 -> conv1 /2 -> LIF n1 -> conv2 -> (+ 1x1
                      conv /2 of n0) -> ILIF n2 -> flatten -> readout (downsampling block)
      pool_branch:    in[1,6,6] -> conv0 -> LIF n0 -> avg 2 -> conv1 -> LIF n1 -> (+ sum 2
                      of n0 -> 1x1 conv) -> ... ; n1 -> flatten -> fc -> (+ flatten n0 ->
                      fc_skip) -> LIF n2 -> readout (pooling on both branches, dense skip)
      maxpool_cnn:    in[1,8,8] -> conv1 -> LIF (hard) -> max 2 -> conv2 -> DA-LIF (hard)
                      -> max 3/1 pad 1 -> flatten -> fc -> LIF (hard) -> readout -> out
                      (max pooling of spikes, VGG style; hard resets so netx takes it too)
      maxpool_analog: in[1,6,6] -> conv1 -> max 2 -> LIF -> flatten -> readout -> out
                      (max pooling of conv values: exact on the reference and ONNX only)
      nir_lif_if:     in[6] -> fc1 -> NIR LIF (reset to 0) -> fc2 -> NIR IF -> readout -> out
      nir_li_readout: in[6] -> fc1 -> NIR LIF -> fc2 -> NIR LI -> out (a leaky readout)
      nir_cuba_lif:   in[6] -> fc1 -> NIR CubaLIF ⟲ rec -> fc2 -> NIR CubaLIF (v_leak < 0)
                      -> readout -> out (bias-free synapses into the currents)
                      (NIR's own neurons, as foreign files hold them)
      nir_cuba_lif_bias: nir_cuba_lif behind biased Affines (the biases charge the
                      currents: Lava's cuba_lif process)
      nir_next_subtract: nir_lif_if under snnTorch's subtract reset (θ subtracted on
                      the step after a spike, V kept; compare '>'): Lava's cuba_lif
      nir_leak_reset: nir_lif_if with the LIF leaking toward v_leak < 0 (Lava's cuba_lif)
                      and the IF resetting to v_reset ≠ 0 (Lava's hard_lif)
      cnn_hard:       in[1,6,6] -> conv1 -> bn1 -> LIF (hard) -> avg 2 -> conv2 -> bn2
                      -> DA-LIF (hard) -> sum 2/1 -> flatten -> fc (Linear) -> LIF (hard)
                      -> readout -> out (cnn_bn_pool with hard resets: netx takes it)
      cuba_readout:   in[6] -> fc1 -> CubaLIF[8] -> fc2 -> CubaLI[3] -> out (NIR's
                      current-based neurons; a CubaLI readout)

  ``kind`` is each native neuron model: SoftLIF (soft and hard reset), PLIF, CLIF, ILIF,
  DA-LIF (soft and hard reset).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import nir
import numpy as np

from snncompile import ir
from snncompile.ir import Graph
from tests.roundtrip.graph_zoo import ZOO as NIR_ZOO

Shape = tuple[int, ...]

#: Native neuron model -> factory(population shape) -> IR node.
NEURONS: dict[str, Callable[[Shape], Any]] = {
    "softlif": lambda pop: ir.SoftLIF(np.full(pop, 0.8), np.ones(pop)),
    "softlif_hard": lambda pop: ir.SoftLIF(np.full(pop, 0.7), np.ones(pop), reset="hard"),
    "plif": lambda pop: ir.PLIF(np.full(pop, 0.5), np.ones(pop)),
    "clif": lambda pop: ir.CLIF(np.full(pop, 2.0), np.ones(pop)),
    "ilif": lambda pop: ir.ILIF(np.full(pop, 2.0), np.ones(pop)),
    "dalif": lambda pop: ir.DALIF(np.array([1.0]), np.array([0.5]), np.ones(pop)),
    "dalif_hard": lambda pop: ir.DALIF(np.array([0.9]), np.array([0.6]), np.ones(pop), "hard"),
}


def _affine(rng: np.random.Generator, n_out: int, n_in: int, gain: float = 3.0) -> nir.Affine:
    w = rng.normal(0.1, 0.6, (n_out, n_in)) * gain / np.sqrt(n_in)
    return nir.Affine(weight=w.astype(np.float32), bias=rng.uniform(0.0, 0.3, n_out))


def _conv(rng: np.random.Generator, c_out: int, c_in: int, size: int, gain: float) -> nir.Conv2d:
    w = rng.normal(0.05, 0.6, (c_out, c_in, 3, 3)) / np.sqrt(c_in * 9) * gain
    return nir.Conv2d((size, size), w.astype(np.float32), 1, 1, 1, 1, rng.uniform(0, 0.2, c_out))


def _bn(rng: np.random.Generator, c: int) -> ir.BatchNorm:
    gamma, beta = rng.uniform(0.7, 1.3, c), rng.normal(0.1, 0.1, c)
    return ir.BatchNorm(gamma, beta, rng.normal(0, 0.2, c), rng.uniform(0.5, 1.5, c))


def _pool(kind: type, size: int, stride: int) -> Any:
    return kind(np.array([size, size]), np.array([stride, stride]), np.array([0, 0]))


def _io(n_in: Shape, n_out: int) -> tuple[nir.Input, nir.Output]:
    return nir.Input(np.array(n_in)), nir.Output(np.array([n_out]))


def neuron_chain(kind: str, seed: int = 0) -> Graph:
    """``neuron_<kind>`` (module docstring): two populations of one model and a readout."""
    rng = np.random.default_rng(seed)
    make = NEURONS[kind]
    inp, out = _io((8,), 3)
    return ir.sequential(
        ("in", inp),
        ("fc1", _affine(rng, 10, 8)),
        ("n1", make((10,))),
        ("fc2", _affine(rng, 6, 10)),
        ("n2", make((6,))),
        ("readout", _affine(rng, 3, 6, 1.0)),
        ("out", out),
    )


def mlp(seed: int = 1) -> Graph:
    """Three SoftLIF layers, the last one's spikes are the output."""
    rng = np.random.default_rng(seed)
    inp, out = _io((10,), 4)
    return ir.sequential(
        ("in", inp),
        ("fc1", _affine(rng, 12, 10)),
        ("lif1", NEURONS["softlif"]((12,))),
        ("fc2", _affine(rng, 8, 12)),
        ("lif2", NEURONS["softlif"]((8,))),
        ("fc3", _affine(rng, 4, 8)),
        ("lif3", NEURONS["softlif"]((4,))),
        ("out", out),
    )


def cnn_bn_pool(seed: int = 2) -> Graph:
    """Two conv + batch-norm stages with average and sum pooling, then dense layers."""
    rng = np.random.default_rng(seed)
    inp, out = _io((1, 6, 6), 3)
    return ir.sequential(
        ("in", inp),
        ("conv1", _conv(rng, 4, 1, 6, 3.0)),
        ("bn1", _bn(rng, 4)),
        ("lif", NEURONS["softlif"]((4, 6, 6))),
        ("avg", _pool(nir.AvgPool2d, 2, 2)),
        ("conv2", _conv(rng, 4, 4, 3, 6.0)),
        ("bn2", _bn(rng, 4)),
        ("dalif", NEURONS["dalif_hard"]((4, 3, 3))),
        ("sum", _pool(nir.SumPool2d, 2, 1)),
        ("flat", nir.Flatten({"input": np.array([4, 2, 2])}, start_dim=0, end_dim=-1)),
        ("fc", _affine(rng, 6, 16, 2.0)),
        ("clif", NEURONS["clif"]((6,))),
        ("readout", _affine(rng, 3, 6, 1.0)),
        ("out", out),
    )


def skip(seed: int = 3) -> Graph:
    """A skip connection: n1's spikes are summed with b's output into n2."""
    rng = np.random.default_rng(seed)
    inp, out = _io((8,), 3)
    nodes = {
        "in": inp,
        "a": _affine(rng, 8, 8),
        "n1": NEURONS["softlif"]((8,)),
        "b": _affine(rng, 8, 8),
        "n2": NEURONS["softlif"]((8,)),
        "readout": _affine(rng, 3, 8, 1.0),
        "out": out,
    }
    edges = [("in", "a"), ("a", "n1"), ("n1", "b"), ("b", "n2"), ("n1", "n2")]
    edges += [("n2", "readout"), ("readout", "out")]
    return Graph(nodes, edges)


def recurrent_chain(seed: int = 4) -> Graph:
    """Two populations, each with a recurrent Linear back edge."""
    rng = np.random.default_rng(seed)
    inp, out = _io((6,), 3)
    chain = ir.sequential(
        ("in", inp),
        ("fc1", _affine(rng, 8, 6)),
        ("lif", NEURONS["softlif"]((8,))),
        ("fc2", _affine(rng, 6, 8)),
        ("clif", NEURONS["clif"]((6,))),
        ("readout", _affine(rng, 3, 6, 1.0)),
        ("out", out),
    )
    rec = {
        "rec1": nir.Linear(weight=rng.normal(-0.1, 0.5, (8, 8)).astype(np.float32)),
        "rec2": nir.Linear(weight=rng.normal(-0.1, 0.5, (6, 6)).astype(np.float32)),
    }
    edges = [*chain.edges, ("lif", "rec1"), ("rec1", "lif"), ("clif", "rec2"), ("rec2", "clif")]
    return chain.replace(nodes={**chain.nodes, **rec}, edges=edges)


def _conv_k(
    rng: np.random.Generator, c_out: int, c_in: int, size: int, k: int, stride: int, gain: float
) -> nir.Conv2d:
    w = rng.normal(0.05, 0.6, (c_out, c_in, k, k)) / np.sqrt(c_in * k * k) * gain
    bias = rng.uniform(0, 0.2, c_out)
    return nir.Conv2d((size, size), w.astype(np.float32), stride, k // 2, 1, 1, bias)


def _graph(nodes: dict[str, Any], path: list[str], extra: list[tuple[str, str]]) -> Graph:
    edges = list(itertools.pairwise(path)) + extra
    return Graph(nodes, edges)


def resnet_block(seed: int = 10) -> Graph:
    """A Spiking-ResNet basic block: conv-BN-LIF-conv-BN, the identity added before LIF."""
    rng = np.random.default_rng(seed)
    inp, out = _io((1, 6, 6), 3)
    nodes = {
        "in": inp,
        "conv0": _conv(rng, 4, 1, 6, 3.0),
        "bn0": _bn(rng, 4),
        "n0": NEURONS["softlif"]((4, 6, 6)),
        "conv1": _conv(rng, 4, 4, 6, 4.0),
        "bn1": _bn(rng, 4),
        "n1": NEURONS["softlif"]((4, 6, 6)),
        "conv2": _conv(rng, 4, 4, 6, 4.0),
        "bn2": _bn(rng, 4),
        "n2": NEURONS["softlif"]((4, 6, 6)),
        "flat": nir.Flatten({"input": np.array([4, 6, 6])}, start_dim=0, end_dim=-1),
        "readout": _affine(rng, 3, 144, 1.0),
        "out": out,
    }
    return _graph(nodes, list(nodes), [("n0", "n2")])


def sew_block(seed: int = 11) -> Graph:
    """A SEW block: the spikes of n2 and of the shortcut n0 are added, then a conv."""
    rng = np.random.default_rng(seed)
    inp, out = _io((1, 6, 6), 3)
    nodes = {
        "in": inp,
        "conv0": _conv(rng, 4, 1, 6, 3.0),
        "n0": NEURONS["softlif"]((4, 6, 6)),
        "conv1": _conv(rng, 4, 4, 6, 4.0),
        "n1": NEURONS["softlif"]((4, 6, 6)),
        "conv2": _conv(rng, 4, 4, 6, 4.0),
        "n2": NEURONS["softlif"]((4, 6, 6)),
        "conv3": _conv(rng, 4, 4, 6, 3.0),
        "n3": NEURONS["clif"]((4, 6, 6)),
        "flat": nir.Flatten({"input": np.array([4, 6, 6])}, start_dim=0, end_dim=-1),
        "readout": _affine(rng, 3, 144, 1.0),
        "out": out,
    }
    return _graph(nodes, list(nodes), [("n0", "conv3")])


def shortcut_1x1(seed: int = 7) -> Graph:
    """A downsampling block: a strided 1x1-conv shortcut summed into an ILIF."""
    rng = np.random.default_rng(seed)
    inp, out = _io((1, 6, 6), 3)
    nodes = {
        "in": inp,
        "conv0": _conv(rng, 4, 1, 6, 3.0),
        "n0": NEURONS["softlif"]((4, 6, 6)),
        "conv1": _conv_k(rng, 6, 4, 6, 3, 2, 4.0),
        "n1": NEURONS["softlif"]((6, 3, 3)),
        "conv2": _conv_k(rng, 6, 6, 3, 3, 1, 4.0),
        "n2": NEURONS["ilif"]((6, 3, 3)),
        "flat": nir.Flatten({"input": np.array([6, 3, 3])}, start_dim=0, end_dim=-1),
        "readout": _affine(rng, 3, 54, 1.0),
        "out": out,
        "short": _conv_k(rng, 6, 4, 6, 1, 2, 3.0),
    }
    path = [n for n in nodes if n != "short"]
    return _graph(nodes, path, [("n0", "short"), ("short", "n2")])


def pool_branch(seed: int = 11) -> Graph:
    """Pooling on both branches of a block, then a dense layer with a dense skip."""
    rng = np.random.default_rng(seed)
    inp, out = _io((1, 6, 6), 3)
    nodes = {
        "in": inp,
        "conv0": _conv(rng, 4, 1, 6, 3.0),
        "n0": NEURONS["softlif"]((4, 6, 6)),
        "avg": _pool(nir.AvgPool2d, 2, 2),
        "conv1": _conv(rng, 4, 4, 3, 5.0),
        "n1": NEURONS["dalif_hard"]((4, 3, 3)),
        "flat1": nir.Flatten({"input": np.array([4, 3, 3])}, start_dim=0, end_dim=-1),
        "fc": _affine(rng, 10, 36, 3.0),
        "n2": NEURONS["softlif"]((10,)),
        "readout": _affine(rng, 3, 10, 1.0),
        "out": out,
        "sum": _pool(nir.SumPool2d, 2, 2),
        "short": _conv_k(rng, 4, 4, 3, 1, 1, 2.0),
        "flat0": nir.Flatten({"input": np.array([4, 6, 6])}, start_dim=0, end_dim=-1),
        "fc_skip": _affine(rng, 10, 144, 2.0),
    }
    path = list(nodes)[:11]
    extra = [("n0", "sum"), ("sum", "short"), ("short", "n1")]
    extra += [("n0", "flat0"), ("flat0", "fc_skip"), ("fc_skip", "n2")]
    return _graph(nodes, path, extra)


def _max_pool(size: int, stride: int, padding: int = 0) -> ir.MaxPool2d:
    return ir.MaxPool2d(np.array([size, size]), np.array([stride, stride]), np.array([padding] * 2))


def maxpool_cnn(seed: int = 18) -> Graph:
    """Max pooling of spikes after two conv populations (module docstring)."""
    rng = np.random.default_rng(seed)
    inp, out = _io((1, 8, 8), 3)
    return ir.sequential(
        ("in", inp),
        ("conv1", _conv(rng, 4, 1, 8, 3.0)),
        ("lif1", NEURONS["softlif_hard"]((4, 8, 8))),
        ("mp1", _max_pool(2, 2)),
        ("conv2", _conv(rng, 4, 4, 4, 4.0)),
        ("dalif", NEURONS["dalif_hard"]((4, 4, 4))),
        ("mp2", _max_pool(3, 1, 1)),
        ("flat", nir.Flatten({"input": np.array([4, 4, 4])}, start_dim=0, end_dim=-1)),
        ("fc", _affine(rng, 6, 64, 2.0)),
        ("lif2", NEURONS["softlif_hard"]((6,))),
        ("readout", _affine(rng, 3, 6, 1.0)),
        ("out", out),
    )


def maxpool_analog(seed: int = 6) -> Graph:
    """Max pooling of conv outputs (not spikes), before the neuron."""
    rng = np.random.default_rng(seed)
    inp, out = _io((1, 6, 6), 3)
    return ir.sequential(
        ("in", inp),
        ("conv1", _conv(rng, 4, 1, 6, 3.0)),
        ("mp", _max_pool(2, 2)),
        ("lif", NEURONS["softlif_hard"]((4, 3, 3))),
        ("flat", nir.Flatten({"input": np.array([4, 3, 3])}, start_dim=0, end_dim=-1)),
        ("readout", _affine(rng, 3, 36, 1.0)),
        ("out", out),
    )


def cnn_hard(seed: int = 12) -> Graph:
    """``cnn_bn_pool`` with hard resets and a bias-free Linear (module docstring)."""
    rng = np.random.default_rng(seed)
    inp, out = _io((1, 6, 6), 3)
    fc = rng.normal(0.1, 0.6, (6, 16)) * 2.0 / 4.0
    return ir.sequential(
        ("in", inp),
        ("conv1", _conv(rng, 4, 1, 6, 3.0)),
        ("bn1", _bn(rng, 4)),
        ("lif1", NEURONS["softlif_hard"]((4, 6, 6))),
        ("avg", _pool(nir.AvgPool2d, 2, 2)),
        ("conv2", _conv(rng, 4, 4, 3, 6.0)),
        ("bn2", _bn(rng, 4)),
        ("dalif", NEURONS["dalif_hard"]((4, 3, 3))),
        ("sum", _pool(nir.SumPool2d, 2, 1)),
        ("flat", nir.Flatten({"input": np.array([4, 2, 2])}, start_dim=0, end_dim=-1)),
        ("fc", nir.Linear(weight=fc.astype(np.float32))),
        ("lif2", NEURONS["softlif_hard"]((6,))),
        ("readout", _affine(rng, 3, 6, 1.0)),
        ("out", out),
    )


def cuba_readout(seed: int = 13) -> Graph:
    """A CubaLIF population read out by a CubaLI leaky integrator (module docstring)."""
    rng = np.random.default_rng(seed)
    inp, out = _io((6,), 3)
    cuba = nir.CubaLIF(
        tau_syn=np.full(8, 3e-4),
        tau_mem=np.full(8, 1e-3),
        r=np.full(8, 10.0),
        v_leak=np.zeros(8),
        v_threshold=np.full(8, 0.5),
        v_reset=np.zeros(8),
        w_in=np.full(8, 3.0),
    )
    li = nir.CubaLI(
        tau_syn=np.full(3, 3e-4), tau_mem=np.full(3, 1e-3), r=np.full(3, 5.0), v_leak=np.zeros(3)
    )
    return ir.sequential(
        ("in", inp),
        ("fc1", _affine(rng, 8, 6)),
        ("cuba", cuba),
        ("fc2", _affine(rng, 3, 8, 1.0)),
        ("li", li),
        ("out", out),
    )


def _nir_lif(n: int, threshold: float = 0.6) -> nir.LIF:
    """A NIR LIF under the snncompile profile (dt = 1e-4 s): β = 0.9, input gain
    dt·r/τ = 1, reset to zero."""
    return nir.LIF(
        tau=np.full(n, 1e-3),
        r=np.full(n, 10.0),
        v_leak=np.zeros(n),
        v_threshold=np.full(n, threshold),
        v_reset=np.zeros(n),
    )


def nir_lif_if(seed: int = 14) -> Graph:
    """NIR's own LIF and IF neurons (as foreign files hold them), an Affine readout."""
    rng = np.random.default_rng(seed)
    inp, out = _io((6,), 3)
    if_node = nir.IF(r=np.full(6, 1e4), v_threshold=np.full(6, 0.8), v_reset=np.zeros(6))
    return ir.sequential(
        ("in", inp),
        ("fc1", _affine(rng, 8, 6)),
        ("lif", _nir_lif(8)),
        ("fc2", _affine(rng, 6, 8)),
        ("if", if_node),
        ("readout", _affine(rng, 3, 6, 1.0)),
        ("out", out),
    )


def nir_li_readout(seed: int = 15) -> Graph:
    """A NIR LIF population read out by a NIR LI leaky integrator."""
    rng = np.random.default_rng(seed)
    inp, out = _io((6,), 3)
    li = nir.LI(tau=np.full(3, 1e-3), r=np.full(3, 10.0), v_leak=np.zeros(3))
    return ir.sequential(
        ("in", inp),
        ("fc1", _affine(rng, 8, 6)),
        ("lif", _nir_lif(8)),
        ("fc2", _affine(rng, 3, 8, 1.0)),
        ("li", li),
        ("out", out),
    )


def nir_cuba_lif(seed: int = 16) -> Graph:
    """NIR CubaLIF populations (snncompile profile: α = 2/3, β = 0.9, gains 1, reset to
    0) fed by bias-free synapses (a bias would charge the current), the first with a
    recurrent Linear back edge, the second leaking toward v_leak < 0; an Affine readout."""
    rng = np.random.default_rng(seed)
    inp, out = _io((6,), 3)

    def cuba(n: int, v_leak: float = 0.0) -> nir.CubaLIF:
        return nir.CubaLIF(
            tau_syn=np.full(n, 3e-4),
            tau_mem=np.full(n, 1e-3),
            r=np.full(n, 10.0),
            v_leak=np.full(n, v_leak),
            v_threshold=np.full(n, 1.5),
            v_reset=np.zeros(n),
            w_in=np.full(n, 3.0),
        )

    def linear(n_out: int, n_in: int) -> nir.Linear:
        return nir.Linear(weight=_affine(rng, n_out, n_in).weight)

    chain = ir.sequential(
        ("in", inp),
        ("fc1", linear(8, 6)),
        ("cuba1", cuba(8)),
        ("fc2", linear(6, 8)),
        ("cuba2", cuba(6, v_leak=-3.0)),  # a·v_leak: Lava's LIF bias
        ("readout", _affine(rng, 3, 6, 1.0)),
        ("out", out),
    )
    rec = nir.Linear(weight=rng.normal(-0.1, 0.5, (8, 8)).astype(np.float32))
    edges = [*chain.edges, ("cuba1", "rec"), ("rec", "cuba1")]  # into the current
    return chain.replace(nodes={**chain.nodes, "rec": rec}, edges=edges)


def nir_cuba_lif_bias(seed: int = 17) -> Graph:
    """:func:`nir_cuba_lif`'s populations behind biased Affines: the biases charge the
    currents (Lava: snncompile's ``cuba_lif`` process, not Lava's LIF), the second
    population also leaking toward v_leak < 0 (a voltage bias besides the current's)."""
    rng = np.random.default_rng(seed)
    base = nir_cuba_lif(seed)
    nodes = dict(base.nodes)
    for name in ("fc1", "fc2"):
        weight = np.asarray(nodes[name].weight, dtype=np.float32)
        bias = rng.normal(0.2, 0.3, weight.shape[0]).astype(np.float32)
        nodes[name] = nir.Affine(weight=weight, bias=bias)
    return base.replace(nodes=nodes)


def nir_next_subtract(seed: int = 19) -> Graph:
    """:func:`nir_lif_if` under snnTorch's subtract reset: the graph profile subtracts θ
    from the charge of the step after a spike and keeps V = H (``reset="subtract"``,
    ``reset_timing="next_step"``), firing on ``v > θ``."""
    graph = nir_lif_if(seed)
    profile = replace(graph.profile, reset="subtract", reset_timing="next_step", compare=">")
    return graph.replace(profile=profile)


def nir_leak_reset(seed: int = 20) -> Graph:
    """:func:`nir_lif_if` with its LIF leaking toward v_leak = −0.2 and its IF resetting
    to v_reset = 0.1 (per neuron values; both reset to a value in the same step)."""
    graph = nir_lif_if(seed)
    lif, if_node = graph.nodes["lif"], graph.nodes["if"]
    nodes = {
        **graph.nodes,
        "lif": replace(lif, v_leak=np.full(lif.v_leak.shape, -0.2)),
        "if": replace(if_node, v_reset=np.linspace(0.0, 0.2, if_node.v_reset.size)),
    }
    return graph.replace(nodes=nodes)


CHAINS: dict[str, Callable[[], Graph]] = {
    **{f"neuron_{kind}": (lambda kind=kind: neuron_chain(kind)) for kind in NEURONS},
    "mlp": mlp,
    "cnn_bn_pool": cnn_bn_pool,
    "skip": skip,
    "recurrent_chain": recurrent_chain,
    "resnet_block": resnet_block,
    "sew_block": sew_block,
    "shortcut_1x1": shortcut_1x1,
    "pool_branch": pool_branch,
    "maxpool_cnn": maxpool_cnn,
    "maxpool_analog": maxpool_analog,
    "cnn_hard": cnn_hard,
    "cuba_readout": cuba_readout,
    "nir_lif_if": nir_lif_if,
    "nir_li_readout": nir_li_readout,
    "nir_cuba_lif": nir_cuba_lif,
    "nir_cuba_lif_bias": nir_cuba_lif_bias,
    "nir_next_subtract": nir_next_subtract,
    "nir_leak_reset": nir_leak_reset,
}
if set(CHAINS) & set(NIR_ZOO):  # a shared name would silently drop a graph
    raise RuntimeError(f"zoo names used twice: {sorted(set(CHAINS) & set(NIR_ZOO))}")

#: Every graph of the suite: name -> builder (deterministic).
ZOO: dict[str, Callable[[], Graph]] = {**CHAINS, **NIR_ZOO}


def graded_inputs(graph: Graph, steps: int = 8, batch: int = 2, seed: int = 0) -> dict:
    """``{input: [T, B, *shape] float32}``: N(0.5, 1) values on the 1/16 grid in [-1, 2]
    (exact on a fixed-point target's default input grid of 1/256)."""
    rng = np.random.default_rng(seed)
    out = {}
    for name in graph.inputs:
        shape = tuple(int(d) for d in graph.nodes[name].input_type["input"])
        x = np.clip(rng.normal(0.5, 1.0, (steps, batch, *shape)), -1.0, 2.0)
        out[name] = (np.round(x * 16) / 16).astype(np.float32)
    return out
