"""LIF, PLIF and DA-LIF: golden parity, hand-computed trajectories, gradients, state."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from snncompile.errors import ConfigError, InputError
from snncompile.neurons import DALIF, LIF, PLIF, Sigmoid, reset
from snncompile.neurons.cpu import linear_lif_multistep
from snncompile.neurons.functional.common import SpikeConfig
from snncompile.neurons.functional.lif import LIFParams, lif_initial_state, lif_step
from snncompile.neurons.surrogate import ATan, Rectangle

DTYPES = [("", torch.float32, 1e-6, 1e-5), ("_f64", torch.float64, 1e-12, 1e-9)]


def _loop(x: torch.Tensor, params: LIFParams) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Functional reference over time: spikes, H and V stacked."""
    state = lif_initial_state(x[0])
    s_out, h_out, v_out = [], [], []
    for t in range(x.shape[0]):
        s, state = lif_step(x[t], state, params)
        s_out.append(s)
        h_out.append(state.h)
        v_out.append(state.v)
    return torch.stack(s_out), torch.stack(h_out), torch.stack(v_out)


@pytest.mark.parametrize(("suffix", "dtype", "state_tol", "grad_rtol"), DTYPES)
@pytest.mark.parametrize("path", ["functional", "fused", "module"])
def test_lif_matches_golden(golden_lif, suffix, dtype, state_tol, grad_rtol, path):
    g = golden_lif
    x = torch.tensor(g["input" + suffix], dtype=dtype, requires_grad=True)
    w = torch.tensor(g["weights" + suffix], dtype=dtype)
    if path == "functional":
        s, h, v = _loop(x, LIFParams(beta=0.5))
        np.testing.assert_allclose(
            h.detach().numpy(), g["v_pre_fire" + suffix], atol=state_tol, rtol=0
        )
        np.testing.assert_allclose(
            v.detach().numpy(), g["v_post_reset" + suffix], atol=state_tol, rtol=0
        )
    elif path == "fused":
        s = linear_lif_multistep(x, 1.0, 0.5, SpikeConfig())
    else:
        s = LIF(tau=2.0)(x)
    assert s.dtype == dtype
    np.testing.assert_array_equal(s.detach().numpy(), g["spikes" + suffix])
    (s * w).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), g["grad_input" + suffix], rtol=grad_rtol, atol=0)


@pytest.mark.parametrize(("suffix", "dtype", "state_tol", "grad_rtol"), DTYPES)
def test_dalif_with_injected_decays_matches_golden_lif(
    golden_lif, suffix, dtype, state_tol, grad_rtol
):
    """docs/neurons.md §6: α = 1, β = 0.5 injected directly is the LIF baseline."""
    g = golden_lif
    x = torch.tensor(g["input" + suffix], dtype=dtype, requires_grad=True)
    alpha = torch.tensor(1.0, dtype=dtype, requires_grad=True)
    beta = torch.tensor(0.5, dtype=dtype, requires_grad=True)
    s = linear_lif_multistep(x, alpha, beta, SpikeConfig())
    np.testing.assert_array_equal(s.detach().numpy(), g["spikes" + suffix])
    (s * torch.tensor(g["weights" + suffix], dtype=dtype)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), g["grad_input" + suffix], rtol=grad_rtol, atol=0)


def test_lif_hand_computed_trajectory():
    """β = 0.5, θ = 1, soft reset, X = 0.6 constant:
    H = 0.6, 0.9, 1.05 (spike), V = 0.05; then H = 0.625, V = 0.625."""
    m = LIF(tau=2.0, record_states=True)
    x = torch.full((4, 1, 1), 0.6, dtype=torch.float64)
    s = m(x)
    assert s.flatten().tolist() == [0.0, 0.0, 1.0, 0.0]
    np.testing.assert_allclose(m.recorded["h"].flatten(), [0.6, 0.9, 1.05, 0.625], atol=1e-15)
    np.testing.assert_allclose(m.recorded["v"].flatten(), [0.6, 0.9, 0.05, 0.625], atol=1e-15)


def test_hard_reset_trajectory_leaks_toward_v_reset():
    """Hard reset to v_r = −0.1, β = 0.5: H = 0.5·V + 0.5·(−0.1) + X.
    X = 1.2: H = 1.15 (spike) → V = −0.1; H = −0.05 − 0.05 + 1.2 = 1.1 (spike)."""
    m = LIF(tau=2.0, reset="hard", v_reset=-0.1, record_states=True)
    s = m(torch.full((2, 1, 1), 1.2, dtype=torch.float64))
    assert s.flatten().tolist() == [1.0, 1.0]
    np.testing.assert_allclose(m.recorded["h"].flatten(), [1.15, 1.1], atol=1e-15)
    np.testing.assert_allclose(m.recorded["v"].flatten(), [-0.1, -0.1], atol=1e-15)


def test_threshold_tie_fires():
    """Θ is inclusive: H exactly θ fires."""
    assert LIF()(torch.ones(1, 1, 1)).item() == 1.0


def test_dalif_hand_computed():
    """α = β = tanh(1) ≈ 0.76159: X = 1 → V′ = 0.76159 (no spike), then
    V′ = 0.76159² + 0.76159 = 1.34161 (spike) → V = 0.34161 (soft)."""
    m = DALIF(record_states=True)
    s = m(torch.ones(2, 1, 1, dtype=torch.float64))
    t1 = np.tanh(1.0)
    assert s.flatten().tolist() == [0.0, 1.0]
    np.testing.assert_allclose(m.recorded["h"].flatten(), [t1, t1 * t1 + t1], atol=1e-12)
    np.testing.assert_allclose(m.recorded["v"].flatten(), [t1, t1 * t1 + t1 - 1], atol=1e-12)


def test_dalif_hard_reset_goes_to_zero():
    m = DALIF(reset="hard", record_states=True)
    m(torch.full((2, 1, 1), 2.0, dtype=torch.float64))
    assert m.recorded["v"].flatten().tolist() == [0.0, 0.0]


SMOOTH_CASES = [(sur, reset) for sur in (Sigmoid(), ATan(alpha=3.0)) for reset in ("soft", "hard")]


@pytest.mark.parametrize(("surrogate", "reset_mode"), SMOOTH_CASES)
def test_fused_gradcheck_smooth(surrogate, reset_mode):
    """float64 gradcheck of the hand-written backward (x, per-layer α, per-channel β)."""
    torch.manual_seed(0)
    cfg = SpikeConfig(
        surrogate=surrogate,
        reset=reset_mode,
        v_reset=-0.2 if reset_mode == "hard" else 0.0,
        smooth=True,
    )
    x = (torch.randn(5, 2, 3, dtype=torch.float64) + 0.5).requires_grad_()
    alpha = torch.tensor(0.8, dtype=torch.float64, requires_grad=True)
    beta = torch.rand(3, dtype=torch.float64).requires_grad_()
    assert torch.autograd.gradcheck(lambda *a: linear_lif_multistep(*a, cfg), (x, alpha, beta))


@pytest.mark.parametrize("reset_mode", ["soft", "hard"])
@pytest.mark.parametrize("detach", [False, True])
@pytest.mark.parametrize("surrogate", [Rectangle(), Sigmoid()])
def test_fused_backward_equals_autograd_through_loop(reset_mode, detach, surrogate):
    torch.manual_seed(1)
    cfg = SpikeConfig(
        surrogate=surrogate,
        reset=reset_mode,
        detach_reset=detach,
        v_reset=-0.1 if reset_mode == "hard" else 0.0,
    )
    x = (torch.randn(7, 3, 4, 2, dtype=torch.float64) + 0.7).requires_grad_()
    alpha = torch.tensor(0.9, dtype=torch.float64, requires_grad=True)
    beta = torch.rand(4, 1, dtype=torch.float64).requires_grad_()
    w = torch.randn(7, 3, 4, 2, dtype=torch.float64)
    s1 = linear_lif_multistep(x, alpha, beta, cfg)
    g1 = torch.autograd.grad((s1 * w).sum(), (x, alpha, beta))
    s2, _, _ = _loop(x, LIFParams(beta=beta, alpha=alpha, config=cfg))
    g2 = torch.autograd.grad((s2 * w).sum(), (x, alpha, beta))
    assert torch.equal(s1, s2)
    for a, b in zip(g1, g2, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cls", [LIF, PLIF, DALIF])
def test_single_step_equals_multi_step(cls):
    torch.manual_seed(2)
    x = torch.randn(6, 3, 5) + 0.8
    multi = cls()
    single = cls(step_mode="s")
    single.load_state_dict(multi.state_dict())
    out = torch.stack([single(x[t]) for t in range(6)])
    assert torch.equal(out, multi(x))


@pytest.mark.parametrize("cls", [PLIF, DALIF])
def test_parameter_gradients_match_reference(cls):
    torch.manual_seed(3)
    x = torch.randn(5, 4, 6, dtype=torch.float64) + 0.8
    fused, ref = cls().double(), cls(record_states=True).double()
    w = torch.randn(5, 4, 6, dtype=torch.float64)
    (fused(x) * w).sum().backward()
    (ref(x) * w).sum().backward()
    for (name, p), q in zip(fused.named_parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-10, atol=1e-12, msg=name)


def test_dalif_per_channel_gradients_have_channel_shape():
    m = DALIF(channels=3)
    x = torch.randn(4, 2, 3, 5, 5) + 1.0
    m(x).sum().backward()
    assert m.a.grad.shape == (3,) and m.b.grad.shape == (3,)
    assert torch.isfinite(m.a.grad).all()


def test_no_state_leaks_between_multistep_batches():
    m = LIF()
    x1, x2 = torch.randn(5, 2, 4) + 1, torch.randn(5, 2, 4) + 1
    first = m(x2)
    m(x1)
    assert torch.equal(m(x2), first)


def test_single_step_carries_state_until_reset():
    m = LIF(step_mode="s")
    x = torch.full((1, 1), 0.6)
    assert [m(x).item() for _ in range(3)] == [0.0, 0.0, 1.0]
    reset(torch.nn.Sequential(torch.nn.Identity(), m))
    assert m(x).item() == 0.0  # fresh state: H = 0.6 again


def test_single_step_shape_change_requires_reset():
    m = LIF(step_mode="s")
    m(torch.ones(2, 3))
    with pytest.raises(InputError, match="reset"):
        m(torch.ones(4, 3))


def test_spikes_keep_dtype_and_shape():
    for dtype in (torch.float32, torch.float64, torch.bfloat16):
        x = torch.randn(3, 2, 4, 5).to(dtype)
        s = PLIF()(x)
        assert s.dtype == dtype and s.shape == x.shape


def test_no_grad_path_matches_training_path():
    x = torch.randn(6, 3, 8) + 0.8
    m = DALIF()
    with torch.no_grad():
        s_inf = m(x)
    assert torch.equal(s_inf, m(x).detach())


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: LIF(tau=1.0), "tau"),
        (lambda: LIF(tau=float("nan")), "tau"),
        (lambda: PLIF(tau=0.5), "tau"),
        (lambda: LIF(surrogate="triangle"), "unknown surrogate"),
        (lambda: LIF(surrogate="sigmoid", surrogate_alpha=-1.0), "alpha"),
        (lambda: LIF(reset="zero"), "reset"),
        (lambda: LIF(v_reset=-0.1), "v_reset"),
        (lambda: LIF(v_threshold=0.0), "v_threshold"),
        (lambda: LIF(step_mode="x"), "step_mode"),
        (lambda: LIF(backend="triton"), "backend"),
        (lambda: DALIF(channels=0), "channels"),
        (lambda: DALIF(reset="hard", v_reset=0.5), "v_reset"),
    ],
)
def test_bad_configuration_is_a_config_error(make, match):
    with pytest.raises(ConfigError, match=match) as info:
        make()
    assert info.value.hint


@pytest.mark.parametrize(
    ("x", "match"),
    [
        (torch.ones(3, dtype=torch.int64), "floating point"),
        (torch.ones(5), r"\[T, B, \.\.\.\]"),
        (torch.tensor([[1.0, float("nan")]]), "NaN or Inf"),
        (torch.tensor([[1.0, float("inf")]]), "NaN or Inf"),
        ([[1.0]], "torch.Tensor"),
    ],
)
def test_bad_input_is_an_input_error(x, match):
    with pytest.raises(InputError, match=match):
        LIF()(x)


def test_dalif_per_channel_shape_mismatch():
    with pytest.raises(InputError, match="channels"):
        DALIF(channels=4)(torch.ones(2, 1, 3, 5))


def test_reset_clears_every_neuron():
    model = torch.nn.Sequential(LIF(step_mode="s"), torch.nn.Sequential(PLIF(step_mode="s")))
    model(torch.ones(2, 3))
    reset(model)
    assert all(m._state is None for m in model.modules() if hasattr(m, "_state"))
