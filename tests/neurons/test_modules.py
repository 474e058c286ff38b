"""Behaviour every neuron module shares: golden parity, step modes, state, dtype, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from snncompile.errors import BackendUnavailableError, InputError
from snncompile.neurons import CLIF, DALIF, ILIF, LIF, NEURON_TYPES, PLIF, reset
from tests.conftest import load_golden

ALL = [LIF, PLIF, ILIF, CLIF, DALIF]

#: golden file -> module configured as the official class that produced it (docs/neurons.md §10)
GOLDEN_MODULES = {
    "lif": lambda: LIF(tau=2.0),
    "clif": lambda: CLIF(tau=2.0),
    "ilif": lambda: ILIF(tau=1.1, surrogate="sigmoid", surrogate_alpha=4.0),
}
#: golden key -> recorded state name
STATE_KEYS = {
    "v_pre_fire": "h",
    "v_post_reset": "v",
    "state_m": "m",
    "state_inhibitory_memory": "m",
    "state_inhibition": "i",
}


@pytest.mark.parametrize("name", sorted(GOLDEN_MODULES))
@pytest.mark.parametrize(
    ("suffix", "dtype", "tol", "rtol"),
    [("", torch.float32, 1e-6, 1e-5), ("_f64", torch.float64, 1e-12, 1e-9)],
)
@pytest.mark.parametrize("record", [False, True], ids=["fused", "functional"])
def test_module_reproduces_golden_file(name, suffix, dtype, tol, rtol, record):
    g = load_golden(name)
    module = GOLDEN_MODULES[name]()
    module.record_states = record
    x = torch.tensor(g["input" + suffix], dtype=dtype, requires_grad=True)
    s = module(x)
    np.testing.assert_array_equal(s.detach().numpy(), g["spikes" + suffix])
    (s * torch.tensor(g["weights" + suffix], dtype=dtype)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), g["grad_input" + suffix], rtol=rtol, atol=0)
    if record:
        for key, state in STATE_KEYS.items():
            if key + suffix in g and state in module.recorded:
                np.testing.assert_allclose(
                    module.recorded[state].numpy(), g[key + suffix], atol=tol, rtol=0, err_msg=key
                )


@pytest.mark.parametrize("cls", ALL)
def test_single_step_equals_multi_step(cls):
    torch.manual_seed(2)
    x = torch.randn(6, 3, 5, dtype=torch.float64) + 0.8
    multi, single = cls().double(), cls(step_mode="s").double()
    single.load_state_dict(multi.state_dict())
    out = torch.stack([single(x[t]) for t in range(6)])
    assert torch.equal(out, multi(x))


@pytest.mark.parametrize("cls", ALL)
def test_fused_path_equals_functional_reference_with_gradients(cls):
    torch.manual_seed(4)
    x = (torch.randn(7, 2, 3, 4, dtype=torch.float64) + 0.7).requires_grad_()
    w = torch.randn_like(x)
    fused, ref = cls().double(), cls(record_states=True).double()
    ref.load_state_dict(fused.state_dict())
    s1, s2 = fused(x), ref(x)
    assert torch.equal(s1, s2)
    g1 = torch.autograd.grad((s1 * w).sum(), [x, *fused.parameters()])
    g2 = torch.autograd.grad((s2 * w).sum(), [x, *ref.parameters()])
    for a, b in zip(g1, g2, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls", ALL)
def test_no_state_leaks_between_batches(cls):
    m = cls()
    x1, x2 = torch.randn(5, 2, 4) + 1, torch.randn(5, 2, 4) + 1
    first = m(x2)
    m(x1)
    assert torch.equal(m(x2), first)


@pytest.mark.parametrize("cls", ALL)
def test_reset_restores_fresh_state_in_single_step_mode(cls):
    m = cls(step_mode="s")
    x = torch.randn(4, 2, 3) + 1.0
    first = [m(x[t]) for t in range(4)]
    reset(torch.nn.Sequential(m))
    again = [m(x[t]) for t in range(4)]
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))


@pytest.mark.parametrize("cls", ALL)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
def test_spikes_keep_shape_and_dtype(cls, dtype):
    x = torch.randn(3, 2, 4, 5).to(dtype)
    s = cls()(x)
    assert s.shape == x.shape and s.dtype == dtype
    assert set(s.unique().tolist()) <= {0.0, 1.0}


@pytest.mark.parametrize("cls", ALL)
def test_no_grad_path_matches_training_path(cls):
    x = torch.randn(6, 3, 8) + 0.8
    m = cls()
    with torch.no_grad():
        s_inf = m(x)
    assert torch.equal(s_inf, m(x).detach())


@pytest.mark.parametrize("cls", ALL)
def test_recording_names_every_state(cls):
    m = cls(record_states=True)
    m(torch.randn(4, 2, 3))
    assert tuple(m.recorded) == cls.recorded_states
    assert all(v.shape == (4, 2, 3) for v in m.recorded.values())


@pytest.mark.parametrize("cls", ALL)
def test_nan_input_is_rejected(cls):
    x = torch.zeros(3, 2, 2)
    x[1, 0, 1] = float("nan")
    with pytest.raises(InputError, match=r"NaN or Inf .*index \(1, 0, 1\)"):
        cls()(x)


@pytest.mark.parametrize("cls", ALL)
def test_cupy_backend_without_cuda_is_an_explicit_error(cls):
    with pytest.raises(BackendUnavailableError, match="cupy") as info:
        cls(backend="cupy")(torch.ones(2, 1, 3))
    assert "backend='auto'" in info.value.hint


@pytest.mark.parametrize("cls", ALL)
def test_config_round_trips(cls):
    m = cls(surrogate="atan", surrogate_alpha=3.0)
    again = cls(**m.get_config())
    assert again.get_config() == m.get_config()


def test_registry_lists_the_five_models():
    assert sorted(NEURON_TYPES) == ["CLIF", "DALIF", "ILIF", "LIF", "PLIF"]


def test_ilif_refuses_hard_reset():
    with pytest.raises(Exception, match="reset"):
        ILIF(reset="hard")
