"""The Loihi quantiser as the core's quantisation stage: typed fields, checked precisions."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from snncompile_loihi.limits import PRECISION_LIMITS, WEIGHT_EXP
from snncompile_loihi.quantize import quantize_loihi
from snncompile_loihi.reference import simulate_fixed
from snncompile_loihi.stage import program_of, quantize_for_loihi, request, to_stage
from test_quant_loihi import NEURONS, _inputs, _mlp

from snncompile.errors import ConfigError, QuantizationError
from snncompile.passes.pipeline import run_pipeline
from snncompile.quant.stage import QuantizationRequest, check_precisions, quantize


def _staged(neuron=NEURONS["lif"], calibration=True):
    graph = run_pipeline(_mlp(neuron))
    x = _inputs() if calibration else None
    return graph, x, quantize(graph, request(), x, quantizer=quantize_for_loihi)


def test_fields_are_keyed_by_ir_node_and_fit_the_target():
    graph, _, staged = _staged(NEURONS["clif"])
    assert set(staged.fields) <= set(graph.nodes)
    program = program_of(staged)
    first = program.layers[0]
    weight = staged.fields[first.source.synapse]["weight"]
    assert np.array_equal(weight.values, first.weights)
    assert staged.fields[first.source.synapse]["weight_exp"].precision == WEIGHT_EXP
    neuron = staged.fields[first.source.neuron_node]
    assert {"decay", "threshold", "bias", "state", "sigmoid_in"} <= set(neuron)
    assert int(neuron["threshold"].values) == first.neuron_params["theta"]
    check_precisions(staged, PRECISION_LIMITS)
    assert staged.summary == program.to_markdown()


def test_stage_matches_the_direct_pass():
    graph, x, staged = _staged()
    direct = quantize_loihi(graph, x)
    ref = simulate_fixed(direct, x)["output"]
    assert np.array_equal(simulate_fixed(staged, x)["output"], ref)


def test_integer_reference_refuses_values_outside_their_precision():
    _, _, staged = _staged(calibration=False)
    program = program_of(staged)
    lay = program.layers[0]
    bad = dataclasses.replace(lay, neuron_params={**lay.neuron_params, "dv": 9000})
    broken = dataclasses.replace(program, layers=(bad, *program.layers[1:]))
    with pytest.raises(QuantizationError, match=rf"node {lay.name!r}, field 'decay'"):
        simulate_fixed(broken, _inputs())
    with pytest.raises(QuantizationError, match="field 'decay'"):
        to_stage(broken, request()).check()


def test_request_is_checked():
    graph = run_pipeline(_mlp(NEURONS["lif"]))
    with pytest.raises(ConfigError, match="scheme 'int8'"):
        quantize_for_loihi(graph, QuantizationRequest("int8"))
    with pytest.raises(ConfigError, match="unknown Loihi quantisation options"):
        quantize_for_loihi(graph, request(bogus=1))
    with pytest.raises(ConfigError, match="unknown quantisation target"):
        quantize_for_loihi(graph, request("spinnaker"))
    with pytest.raises(ConfigError, match="Loihi QuantizedGraph"):
        program_of(graph)


def test_inspect_lists_the_precisions_of_the_stage(capsys):
    from snncompile.cli import main

    model = str(Path(__file__).resolve().parents[3] / "examples" / "models" / "digits_clif.pt")
    assert main(["inspect", model, "--target", "lava"]) == 0
    text = capsys.readouterr().out
    assert "## Precisions (loihi)" in text
    assert "| fc1 | weight | s9/2" in text and "| sn1 | sigmoid_in | s13.8" in text
    assert main(["inspect", model, "--target", "onnx"]) == 0
    assert "float target, nothing quantised" in capsys.readouterr().out
