"""Calibrated, opt-in CLIF/ILIF -> hard-reset LIF lowerings: the report, the warnings,
the metadata hand-over to ``decompose_neurons`` and the consistency of both sides."""

from __future__ import annotations

import warnings

import nir
import numpy as np
import pytest

import snncompile
from snncompile import ir
from snncompile.errors import ConfigError
from snncompile.ir import LossyConversionWarning
from snncompile.passes import APPROXIMATIONS, decompose_neurons
from snncompile.passes import approximate_neurons as approx
from snncompile.reference import calibrate as cal
from snncompile.reference.simulator import simulate
from tests.conformance.models import build, example_input


def _traced(arch: str, kind: str):
    model = build(arch, kind)
    x = example_input(arch, steps=8, batch=8, seed=3)
    return snncompile.trace(model, x), x.numpy()


@pytest.mark.parametrize("kind", ["CLIF", "ILIF"])
def test_report_warnings_and_metadata(kind):
    graph, x = _traced("resnet", kind)
    with pytest.warns(LossyConversionWarning) as caught:
        report = cal.calibrate_approximations(graph, x)
    names = [n for n in graph.topological_order if type(graph.nodes[n]).__name__ == kind]
    assert [layer.node for layer in report.layers] == names
    messages = [str(w.message) for w in caught]
    for layer in report.layers:
        assert layer.type == kind
        assert cal.DEFAULT_GRIDS[kind].min() <= layer.v_reset <= 0
        assert 0.7 < layer.agreement <= 1 and 0.7 < layer.isolated_agreement <= 1
        expected = (f"layer {layer.node!r} ({kind})", f"{layer.agreement:.2%}")
        assert any(all(part in m for part in expected) for m in messages)
        meta = report.graph.nodes[layer.node].metadata
        assert meta == {cal.V_RESET_KEY: layer.v_reset, cal.AGREEMENT_KEY: layer.agreement}
        assert isinstance(report.approximated.nodes[layer.node], ir.SoftLIF)
    # the closed-loop agreement is what the approximated graph really does
    exact = simulate(graph, x, record=names)
    approx_run = simulate(report.approximated, x, record=names)
    for layer in report.layers:
        assert layer.agreement == np.mean(exact[layer.node] == approx_run[layer.node])
        assert layer.approx_rate == np.mean(approx_run[layer.node])
    assert report.as_dict()["layers"][0]["node"] == names[0]
    assert names[0] in str(report) and report.samples == 8 and report.steps == 8


def test_first_layer_choice_is_the_best_candidate():
    graph, x = _traced("mlp", "CLIF")
    report = cal.calibrate_approximations(graph, x, types=("CLIF",), warn=False)
    first = report.layers[0]
    exact = simulate(graph, x, record=[first.node])[first.node]
    scores = {}
    for v in cal.DEFAULT_GRIDS["CLIF"]:
        standin = approx.hard_reset_lif(graph.nodes[first.node], v)
        trial = graph.replace(nodes={**graph.nodes, first.node: standin})
        scores[float(v)] = np.mean(simulate(trial, x, record=[first.node])[first.node] == exact)
    assert scores[first.v_reset] == max(scores.values()) == first.agreement


def test_decompose_uses_the_calibrated_reset_and_matches_the_report():
    graph, x = _traced("mlp", "ILIF")
    report = cal.calibrate_approximations(graph, x, warn=False)
    assert set(APPROXIMATIONS) == {"CLIF", "ILIF"}
    with pytest.warns(LossyConversionWarning) as caught:
        lowered = decompose_neurons(report.graph, approximate=("ILIF",))
    first = "'sn1' (ILIF) is lowered approximately as a hard-reset LIF with v_reset="
    assert any(
        first in str(w.message) and "calibrated spike agreement" in str(w.message) for w in caught
    )
    assert isinstance(lowered.nodes["sn1"], nir.LIF)
    np.testing.assert_allclose(lowered.nodes["sn1"].v_reset, report.layers[0].v_reset)
    ir.verify(lowered)
    # the pure rewrite (passes) and the calibration (reference) compute the same network
    np.testing.assert_array_equal(
        simulate(lowered, x)["output"], simulate(report.approximated, x)["output"]
    )


def test_uncalibrated_nodes_use_the_documented_default_and_say_so():
    graph, _ = _traced("mlp", "CLIF")
    with pytest.warns(LossyConversionWarning, match=r"v_reset=-0\.07: uncalibrated default"):
        lowered = decompose_neurons(graph, approximate=("CLIF",))
    assert np.all(lowered.nodes["sn2"].v_reset == -0.07)
    assert not any(isinstance(n, ir.CLIF) for n in lowered.nodes.values())


def test_both_sides_share_keys_and_defaults():
    assert (cal.V_RESET_KEY, cal.AGREEMENT_KEY) == (approx.V_RESET_KEY, approx.AGREEMENT_KEY)
    assert dict(cal.DEFAULT_V_RESET) == approx.DEFAULT_V_RESET
    node = ir.CLIF(np.full(3, 2.0), np.ones(3))
    standin = cal._standin(node, np.array([-0.1]))
    expected = approx.hard_reset_lif(node, -0.1)
    assert ir.nodes_equal(
        ir.SoftLIF(standin.beta[0], standin.v_threshold[0], "hard", standin.v_reset[0]), expected
    )


def test_option_errors():
    graph, x = _traced("mlp", "LIF")
    with pytest.raises(ConfigError, match=r"no node of type \['CLIF', 'ILIF'\]"):
        cal.calibrate_approximations(graph, x)
    clif, x = _traced("mlp", "CLIF")
    with pytest.raises(ConfigError, match="cannot calibrate node types"):
        cal.calibrate_approximations(clif, x, types=("LIF",))
    with pytest.raises(ConfigError, match="non-empty list of finite numbers"):
        cal.calibrate_approximations(clif, x, grids={"CLIF": []})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = cal.calibrate_approximations(clif, x, grids={"CLIF": [-0.05]}, warn=False)
    assert {layer.v_reset for layer in report.layers} == {-0.05}
