"""``to_ir(shape)`` of every neuron module: node type, parameters, shapes, errors, and
spike-for-spike agreement of the node (reference simulator) with the module."""

from __future__ import annotations

import nir
import numpy as np
import pytest
import torch

from snncompile import ir
from snncompile.errors import TraceError
from snncompile.neurons import CLIF, DALIF, ILIF, LIF, PLIF
from snncompile.reference.simulator import simulate

POP = (3, 2)


def _plif(**kwargs):
    module = PLIF(**kwargs)
    with torch.no_grad():
        module.w.fill_(0.37)
    return module


def _dalif(**kwargs):
    module = DALIF(**kwargs)
    with torch.no_grad():
        module.a.copy_(torch.linspace(0.9, 1.3, module.a.numel()).reshape(module.a.shape))
        module.b.copy_(torch.linspace(0.2, 0.9, module.b.numel()).reshape(module.b.shape))
    return module


#: id -> (module factory, expected IR type)
CASES = {
    "lif": (lambda: LIF(tau=3.0), ir.SoftLIF),
    "lif_hard": (lambda: LIF(reset="hard", v_reset=-0.1), ir.SoftLIF),
    "plif": (_plif, ir.PLIF),
    "plif_hard": (lambda: _plif(reset="hard", v_reset=-0.05), ir.SoftLIF),
    "ilif": (lambda: ILIF(tau=1.1, current_inhibition=0.05), ir.ILIF),
    "clif": (lambda: CLIF(tau=2.5, v_threshold=0.8), ir.CLIF),
    "dalif": (_dalif, ir.DALIF),
    "dalif_channels_hard": (lambda: _dalif(channels=3, reset="hard"), ir.DALIF),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_to_ir_type_and_population_shape(case):
    factory, expected = CASES[case]
    node = factory().to_ir(POP)
    assert type(node) is expected
    assert node.v_threshold.shape == POP
    kind = ir.kind_of(node)
    for name in kind.population:
        value = getattr(node, name)
        assert value is None or value.shape == POP, name


def test_parameter_values():
    lif = LIF(tau=4.0, reset="hard", v_reset=-0.1).to_ir(POP)
    assert np.all(lif.beta == 0.75) and lif.reset == "hard" and np.all(lif.v_reset == -0.1)
    assert LIF().to_ir(POP).v_reset is None
    plif = _plif()
    node = plif.to_ir(POP)
    assert node.w.dtype == np.float32 and np.all(node.w == np.float32(0.37))
    hard = _plif(reset="hard").to_ir(POP)
    assert np.all(hard.beta == (1 - torch.sigmoid(plif.w.detach())).numpy())
    ilif = ILIF(tau=1.1, current_inhibition=0.05, membrane_inhibition=0.5).to_ir(POP)
    assert ilif.current_inhibition == 0.05 and ilif.membrane_inhibition == 0.5
    assert np.all(ilif.tau == 1.1)
    per_layer, per_channel = _dalif().to_ir(POP), _dalif(channels=3).to_ir(POP)
    assert per_layer.alpha.shape == per_layer.beta.shape == (1,)
    assert per_channel.alpha.shape == (3,) and per_channel.reset == "soft"
    dalif = _dalif(channels=3)
    np.testing.assert_array_equal(dalif.to_ir(POP).alpha, torch.tanh(dalif.a.detach()).numpy())


def test_export_is_a_copy():
    plif = _plif()
    node = plif.to_ir(POP)
    with torch.no_grad():
        plif.w.fill_(-3.0)
    assert np.all(node.w == np.float32(0.37))


@pytest.mark.parametrize("case", sorted(CASES))
def test_node_reproduces_module_spikes_float64(case):
    factory, _ = CASES[case]
    module = factory().double()
    gen = torch.Generator().manual_seed(4)
    x = torch.randn((12, 4, *POP), generator=gen, dtype=torch.float64) * 0.8 + 0.6
    graph = ir.sequential(
        ("in", nir.Input(np.array(POP))),
        ("n", module.to_ir(POP)),
        ("out", nir.Output(np.array(POP))),
    )
    spikes = simulate(graph, x.numpy())["out"]
    with torch.no_grad():
        expected = module(x).numpy()
    assert 0.05 < expected.mean() < 0.95
    np.testing.assert_array_equal(spikes, expected)


def test_clif_hard_reset_has_no_ir_form():
    match = r"CLIF\(reset='hard', v_reset=-0\.1\) has no IR form"
    with pytest.raises(TraceError, match=match) as e:
        CLIF(reset="hard", v_reset=-0.1).to_ir(POP)
    assert "reset='soft'" in e.value.hint


def test_single_step_mode_and_bad_shapes_are_refused():
    with pytest.raises(TraceError, match="step_mode='s' cannot be exported"):
        LIF(step_mode="s").to_ir(POP)
    for bad in [(), (0, 2), "ab", (2.5,)]:
        with pytest.raises(TraceError, match="population shape"):
            LIF().to_ir(bad)
    match = r"DALIF\(channels=4\) receives a population of shape \[3, 2\]"
    with pytest.raises(TraceError, match=match):
        DALIF(channels=4).to_ir(POP)


def test_training_only_options_are_ignored():
    a = LIF(surrogate="sigmoid", detach_reset=True).to_ir(POP)
    b = LIF().to_ir(POP)
    assert ir.nodes_equal(a, b)
