"""Loihi quantisation (snncompile_loihi.quantize) and the integer reference (.reference).

No Lava needed: the Lava backend's conformance tests compare Lava against these.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import nir
import numpy as np
import pytest
from snncompile_loihi.chain import extract_chain
from snncompile_loihi.kernels import run_float_layer
from snncompile_loihi.limits import (
    STATE_MAX,
    WEIGHT_EXCITATORY,
    WEIGHT_EXP_MAX,
    WEIGHT_EXP_MIN,
    WEIGHT_MIXED,
)
from snncompile_loihi.models import HARD_LIF, LIF_BUILTIN, READOUT, SOFT_LIF
from snncompile_loihi.quantize import input_scale, quantize_loihi, run_fixed_chain
from snncompile_loihi.reference import compare_quantized, float_layer_outputs, simulate_fixed

from snncompile.errors import QuantizationError, UnsupportedNodeError
from snncompile.ir import CLIF, DALIF, ILIF, PLIF, SoftLIF, sequential
from snncompile.passes.pipeline import run_pipeline
from snncompile.quant.precision import FixedPoint, round_half_away
from snncompile.reference import simulate

REPO = Path(__file__).resolve().parents[3]
DIGITS = REPO / "examples" / "data" / "digits_test.npz"


def _mlp(neuron, n_in: int = 10, n: int = 12, seed: int = 0, input_shape=None):
    rng = np.random.default_rng(seed)
    w1 = (rng.normal(0.1, 0.6, (n, n_in)) * 2.5 / np.sqrt(n_in)).astype(np.float32)
    w2 = rng.normal(0.0, 0.5, (3, n)).astype(np.float32)
    return sequential(
        ("input", nir.Input(input_type={"input": np.array(input_shape or [n_in])})),
        ("fc", nir.Affine(weight=w1, bias=rng.uniform(0, 0.3, n).astype(np.float32))),
        ("sn", neuron(n)),
        ("readout", nir.Affine(weight=w2, bias=np.zeros(3, np.float32))),
        ("output", nir.Output(output_type={"output": np.array([3])})),
    )


NEURONS = {
    "lif": lambda n: SoftLIF(beta=np.full(n, 0.75), v_threshold=np.ones(n)),
    "lif_hard": lambda n: SoftLIF(beta=np.full(n, 0.75), v_threshold=np.ones(n), reset="hard"),
    "plif": lambda n: PLIF(w=np.full(n, 0.3), v_threshold=np.ones(n)),
    "dalif": lambda n: DALIF(alpha=np.array([0.8]), beta=np.array([0.4]), v_threshold=np.ones(n)),
    # a trained per-channel decay: the soft-reset process holds one β per neuron
    "lif_beta_per_neuron": lambda n: SoftLIF(
        beta=np.linspace(0.0, 0.95, n), v_threshold=np.ones(n)
    ),
    "lif_hard_beta_per_neuron": lambda n: SoftLIF(
        beta=np.linspace(0.0, 0.95, n), v_threshold=np.ones(n), reset="hard"
    ),
    "dalif_per_neuron": lambda n: DALIF(
        alpha=np.linspace(0.5, 1.2, n), beta=np.linspace(0.2, 0.9, n), v_threshold=np.ones(n)
    ),
    "clif": lambda n: CLIF(tau=np.full(n, 2.0), v_threshold=np.ones(n)),
    "ilif": lambda n: ILIF(tau=np.full(n, 2.0), v_threshold=np.ones(n)),
}


def _inputs(n_in: int = 10, steps: int = 6, batch: int = 8, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 17, (steps, batch, n_in)) / 16).astype(np.float32)


# ------------------------------------------------------------------ precision


def test_fixed_point_fields():
    assert (WEIGHT_MIXED.lo, WEIGHT_MIXED.hi) == (-256, 254)
    assert (WEIGHT_EXCITATORY.lo, WEIGHT_EXCITATORY.hi) == (0, 255)
    assert list(round_half_away([-2.5, -0.5, 0.5, 1.5])) == [-3, -1, 1, 2]
    q = FixedPoint(8, frac=2, rounding="trunc0", saturation="wrap")
    assert list(q.to_int([-1.3, 1.3])) == [-5, 5]
    assert list(q.overflow([128, -129])) == [-128, 127]
    assert list(FixedPoint(8).overflow([300, -300])) == [127, -128]
    assert WEIGHT_MIXED.describe() == "s9/2 nearest sat"


def test_input_scale_rules():
    assert input_scale(np.array([0.0, 1.0]))[:2] == (False, 1)
    assert input_scale(np.array([0.0, 0.0625, 1.0]))[:2] == (True, 16)
    assert input_scale(np.array([0.1, 3.3]))[:2] == (True, 64)  # 3.3·64 ≤ 255 < 3.3·128
    assert input_scale(None)[:2] == (True, 256)


# ------------------------------------------------------------------ scales


@pytest.mark.parametrize("kind", sorted(NEURONS))
def test_layer_parameters_respect_their_fields(kind):
    q = quantize_loihi(run_pipeline(_mlp(NEURONS[kind])), _inputs())
    for lay in q.layers:
        s = lay.scale
        assert s.unit == int(
            np.floor(64 * 2.0**s.weight_exp * s.weight_scale * s.input_scale + 1e-6)
        )
        assert WEIGHT_EXP_MIN <= s.weight_exp <= WEIGHT_EXP_MAX
        assert lay.weights is not None and np.abs(lay.weights).max() <= 255
        if lay.sign_mode == "mixed":
            assert np.all(lay.weights % 2 == 0)
        p = lay.neuron_params
        if lay.fixed is LIF_BUILTIN:
            assert p["du"] == 4095 and 0 <= p["vth"] <= 2**17 - 1
            assert 64 * p["vth"] + 1 == pytest.approx(lay.source.theta * s.unit, abs=64)
        else:
            assert 1 <= p["theta"] <= STATE_MAX and 0 <= np.min(p["dv"]) <= np.max(p["dv"]) <= 4096
        if lay.fixed not in (READOUT, LIF_BUILTIN):
            assert p["theta"] == round(lay.source.theta * s.unit)
            want = round_half_away((1 - np.asarray(lay.source.beta)) * 4096)
            np.testing.assert_array_equal(p["dv"], want)
    assert q.layers[0].scale.input_scale == 16 and q.input_graded


def test_without_calibration_the_weights_set_the_scales():
    q = quantize_loihi(run_pipeline(_mlp(NEURONS["lif"])))
    assert q.comparison is None and q.calibration["method"] == "weights-only"
    assert q.input_scale == 256 and all(lay.scale.clip == 1.0 for lay in q.layers)


# ------------------------------------------------------------------ semantics


@pytest.mark.parametrize("kind", sorted(NEURONS))
def test_float_kernels_equal_the_reference_simulator(kind):
    graph = run_pipeline(_mlp(NEURONS[kind]))
    x = _inputs()
    ref = simulate(graph, x, dtype=np.float64, record="all")
    fin = x.astype(np.float64)
    for lay in extract_chain(graph).layers:
        trace = run_float_layer(lay, fin)
        node = lay.neuron_node or lay.synapse
        np.testing.assert_array_equal(trace["out"], ref[node])
        fin = trace["out"]


@pytest.mark.parametrize("kind", sorted(NEURONS))
def test_simulate_fixed_is_the_quantisers_chain(kind):
    graph = run_pipeline(_mlp(NEURONS[kind]))
    x = _inputs()
    q = quantize_loihi(graph, x)
    out = simulate_fixed(q, x, record="all")
    np.testing.assert_array_equal(out["output"], run_fixed_chain(q, x)["readout"])
    assert out["sn:v"].dtype == np.int64 and out["sn"].shape == (6, 8, 12)
    comparison = compare_quantized(q, x)
    assert [c.layer for c in comparison.layers] == ["sn", "readout"]
    assert comparison.layers[0].spike_agreement > 0.9
    assert "| sn |" in comparison.to_markdown()


def test_ilif_state_reset_per_sample_is_implied_by_batching():
    """simulate_fixed on B samples equals B separate runs (every state starts at 0)."""
    graph = run_pipeline(_mlp(NEURONS["ilif"]))
    x = _inputs(batch=4)
    q = quantize_loihi(graph, x)
    together = simulate_fixed(q, x)["output"]
    alone = np.concatenate([simulate_fixed(q, x[:, i : i + 1])["output"] for i in range(4)], 1)
    np.testing.assert_array_equal(together, alone)


@pytest.mark.parametrize("model", ["lif", "plif", "dalif", "clif", "ilif"])
def test_digits_fixed_point_accuracy_within_one_point(model):
    """Fixed-point accuracy on the 450 test images within 1 pp of float (docs/lava.md)."""
    from snncompile.api import load_graph

    graph = run_pipeline(load_graph(REPO / "examples" / "models" / f"digits_{model}.pt"))
    with np.load(DIGITS) as data:
        x = np.broadcast_to(data["inputs"], (4, *data["inputs"].shape)).astype(np.float32)
        y = data["labels"]
    q = quantize_loihi(graph, x[:, ::3])  # calibrate on a third of the images
    ref = float_layer_outputs(q, x)["readout"].sum(0).argmax(1)
    fixed = simulate_fixed(q, x)["output"].sum(0).argmax(1)
    assert abs((fixed == y).mean() - (ref == y).mean()) <= 0.01
    assert (fixed == ref).mean() >= 0.99


# ------------------------------------------------------------------ refusals


def test_negative_beta_is_refused_or_clamped():
    graph = run_pipeline(  # DA-LIF: the IR allows β < 0, export must refuse it (docs/neurons.md §6)
        _mlp(lambda n: DALIF(alpha=np.array([1.0]), beta=np.array([-0.2]), v_threshold=np.ones(n)))
    )
    with pytest.raises(QuantizationError, match=r"layer 'sn'.*negative leak") as info:
        quantize_loihi(graph)
    assert "allow_clamp" in (info.value.hint or "")
    with pytest.warns(UserWarning, match="clamp β to 0"):
        q = quantize_loihi(graph, allow_clamp=True)
    assert q.layers[0].neuron_params["dv"] == 4096


def test_clif_tau_below_one_is_a_negative_beta():
    graph = run_pipeline(_mlp(lambda n: CLIF(tau=np.full(n, 0.5), v_threshold=np.ones(n))))
    with pytest.raises(QuantizationError, match=r"τ = 0.5 < 1"):
        quantize_loihi(graph)


def test_dalif_alpha_not_positive_is_refused():
    neuron = lambda n: DALIF(alpha=np.array([-0.5]), beta=np.array([0.5]), v_threshold=np.ones(n))  # noqa: E731
    graph = _mlp(neuron)  # before the pipeline, which would fold α into the weights
    with pytest.raises(QuantizationError, match=r"α = -0.5 <= 0"):
        quantize_loihi(graph)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        q = quantize_loihi(graph, allow_clamp=True)
    assert any("fold α" in str(w.message) for w in caught)
    assert q.layers[0].weights is not None


def test_fan_in_beyond_a_core_is_refused():
    graph = run_pipeline(_mlp(NEURONS["lif"], n_in=4097))
    with pytest.raises(QuantizationError, match="fan-in 4097 exceeds the 4096"):
        quantize_loihi(graph)
    with pytest.warns(UserWarning, match="fan-in"):
        quantize_loihi(graph, allow_clamp=True)


def test_bias_overflow_is_refused():
    graph = _mlp(NEURONS["lif"])
    fc = graph.nodes["fc"]
    big = np.full(12, 1e9, dtype=np.float32)
    graph = graph.replace(nodes={**graph.nodes, "fc": nir.Affine(weight=fc.weight, bias=big)})
    with pytest.raises(QuantizationError, match="layer 'sn'"):
        quantize_loihi(run_pipeline(graph), search=False)


def test_unsupported_topologies_name_the_node():
    # netx's LIF holds one decay; every Loihi population one threshold
    varying = _mlp(NEURONS["lif_hard_beta_per_neuron"])
    with pytest.raises(UnsupportedNodeError, match=r"'netx'.*'sn'.*beta varies"):
        quantize_loihi(run_pipeline(varying), target="netx")
    thresholds = SoftLIF(beta=np.full(12, 0.5), v_threshold=np.linspace(1, 2, 12))
    with pytest.raises(UnsupportedNodeError, match=r"'sn'.*v_threshold varies"):
        quantize_loihi(run_pipeline(_mlp(lambda n: thresholds)))
    two = sequential(
        ("input", nir.Input(input_type={"input": np.array([4])})),
        ("a", nir.Linear(weight=np.ones((4, 4)))),
        ("b", nir.Linear(weight=np.ones((2, 4)))),
        ("output", nir.Output(output_type={"output": np.array([2])})),
    )
    with pytest.raises(UnsupportedNodeError, match=r"'b'.*follows synapse 'a'"):
        quantize_loihi(run_pipeline(two))
    residual = _mlp(NEURONS["lif"])
    residual = residual.replace(edges=(*residual.edges, ("fc", "readout")))
    # graphs lower, but a path through two synapses in a row (fc -> readout) does not
    with pytest.raises(UnsupportedNodeError, match=r"'readout'.*follows synapse 'fc'"):
        quantize_loihi(residual)


@pytest.mark.parametrize(
    ("kind", "model"), [("lif_beta_per_neuron", SOFT_LIF), ("lif_hard_beta_per_neuron", HARD_LIF)]
)
def test_per_neuron_beta_is_one_decay_per_neuron(kind, model):
    graph = run_pipeline(_mlp(NEURONS[kind]))
    layer = quantize_loihi(graph, _inputs()).layers[0]
    assert layer.fixed is model
    beta = np.linspace(0.0, 0.95, 12)
    dv = layer.neuron_params["dv"]
    np.testing.assert_array_equal(dv, round_half_away((1 - beta) * 4096).astype(np.int64))
    assert layer.to_dict()["float"]["beta"] == "float[[12]]"


def test_unknown_quantisation_target_is_refused():
    from snncompile.errors import ConfigError

    with pytest.raises(ConfigError, match="'loihi3'") as info:
        quantize_loihi(run_pipeline(_mlp(NEURONS["lif"])), target="loihi3")
    assert "netx" in (info.value.hint or "")


def test_a_bias_beyond_the_builtin_mantissa_moves_to_the_hard_lif_process():
    """Lava's LIF holds a bias as a 13-bit mantissa times 2^(≤ 7); a hard-reset layer
    whose bias dominates its states needs more and runs on ``hard_lif`` (24-bit bias)."""
    graph = _mlp(NEURONS["lif_hard"])
    fc = graph.nodes["fc"]
    big = nir.Affine(weight=fc.weight, bias=np.full(12, 6.0, dtype=np.float32))
    graph = run_pipeline(graph.replace(nodes={**graph.nodes, "fc": big}))
    q = quantize_loihi(graph, _inputs())
    layer = q.layers[0]
    assert layer.fixed is HARD_LIF and "13-bit mantissa" in " ".join(layer.notes)
    assert int(np.max(layer.neuron_params["bias"])) == round(6.0 * layer.scale.unit)
    x = _inputs()
    np.testing.assert_array_equal(simulate_fixed(q, x)["output"], run_fixed_chain(q, x)["readout"])
    assert quantize_loihi(run_pipeline(_mlp(NEURONS["lif_hard"])), x).layers[0].fixed is LIF_BUILTIN
