"""ILIF, the inhibitory LIF (docs/neurons.md §5): golden parity, hand-computed values, fused
backward, storage."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from snncompile.errors import ConfigError
from snncompile.neurons.cpu import _common, ilif_multistep
from snncompile.neurons.cpu.ilif import ilif_forward
from snncompile.neurons.functional.common import SpikeConfig
from snncompile.neurons.functional.ilif import ILIFParams, ilif_initial_state, ilif_step
from snncompile.neurons.surrogate import ATan, Rectangle, Sigmoid
from tests.conftest import load_golden
from tests.neurons._trace import (
    assert_golden,
    golden_leaves,
    random_input,
    saved_tensors,
    step_trace,
)

# (key suffix, dtype, state tolerance, grad rtol) from docs/neurons.md §10
DTYPES = [("", torch.float32, 1e-6, 1e-5), ("_f64", torch.float64, 1e-12, 1e-9)]
GOLDEN_CFG = SpikeConfig(surrogate=Sigmoid(alpha=4.0))  # ILIF train.py defaults, τ = 1.1
STATE_KEYS = (
    ("h", "v_pre_fire"),
    ("v", "v_post_reset"),
    ("i", "state_inhibition"),
    ("m", "state_inhibitory_memory"),
)


@pytest.fixture(scope="module")
def golden() -> dict[str, np.ndarray]:
    return load_golden("ilif")


def _loop(x: torch.Tensor, params: ILIFParams) -> dict[str, torch.Tensor]:
    """The functional reference over time: s, H, V, I and M stacked to [T, ...]."""
    states = ("h", "v", "i", "m")
    return step_trace(ilif_step, ilif_initial_state(x[0]), x, params, states, "s")


# --------------------------------------------------------------------------- golden


@pytest.mark.parametrize(("suffix", "dtype", "state_tol", "grad_rtol"), DTYPES)
@pytest.mark.parametrize("path", ["functional", "fused"])
def test_ilif_matches_golden(golden, suffix, dtype, state_tol, grad_rtol, path):
    x, w = golden_leaves(golden, suffix, dtype)
    if path == "functional":
        rec = _loop(x, ILIFParams(tau=1.1, config=GOLDEN_CFG))
        s = rec["s"]
        states = {name: rec[key].detach() for key, name in STATE_KEYS}
    else:
        s = ilif_multistep(x, 1.1, GOLDEN_CFG)
        fwd = ilif_forward(x.detach(), 1.1, GOLDEN_CFG, save=False, record=True)
        np.testing.assert_array_equal(fwd.spikes.numpy(), s.detach().numpy())
        states = {name: getattr(fwd, key) for key, name in STATE_KEYS}
    assert_golden(golden, suffix, (x, w), s, states, (state_tol, grad_rtol))


def test_golden_exercises_the_inhibition(golden):
    """Guard for the parity test above: I is non-trivial (max 0.093) and sits at exactly 0,
    the clamp's kink, after t = 0. The golden input never drives I below 0 (every firing
    input is positive); the c < 0 and hand-computed tests below cover that branch."""
    i = golden["state_inhibition_f64"]
    assert i.max() > 0.05 and (i[1:] == 0).any() and i.min() == 0


# ---------------------------------------------------------------- hand-computed values


def _both_paths(x: torch.Tensor, params: ILIFParams) -> list[dict[str, torch.Tensor]]:
    fwd = ilif_forward(x, params.tau, params.config, save=False, record=True)
    fused = {"s": fwd.spikes, "h": fwd.h, "v": fwd.v, "i": fwd.i, "m": fwd.m}
    return [_loop(x, params), fused]


def test_ilif_hand_computed_trajectory():
    """τ = 2 (β = 0.5), θ = 1, c = 0.03, X = [1.5, 0.4, 1.2]; σ is the logistic:

    t = 0: I = 0; H = 1.5 → s = 1; V′ = 0.5; M = 0.5; V = 0.5 − σ(0.5) = −0.1224593312018546
    t = 1: I = 0.03·(0 + 1.5·1) = 0.045; H = 0.5·V + 0.4 − 0.045 = 0.2937703343990727 → s = 0;
           M = 0.5; V = H
    t = 2: I = 0.03·(0.045 + 0.4·0) = 0.00135; H = 0.5·0.2937703343990727 + 1.2 − 0.00135
           = 1.345535167199536 → s = 1; V′ = 0.345535167199536; M = 0.8455351671995364;
           V = V′ − σ(M) = −0.3540945367832786
    """
    x = torch.tensor([[1.5], [0.4], [1.2]], dtype=torch.float64)
    for rec in _both_paths(x, ILIFParams(2.0, SpikeConfig(surrogate=Rectangle()))):
        assert rec["s"].flatten().tolist() == [1.0, 0.0, 1.0]
        np.testing.assert_allclose(rec["i"].flatten(), [0.0, 0.045, 0.00135], atol=1e-15)
        expected_h = [1.5, 0.2937703343990727, 1.345535167199536]
        np.testing.assert_allclose(rec["h"].flatten(), expected_h, atol=1e-14)
        np.testing.assert_allclose(rec["m"].flatten(), [0.5, 0.5, 0.8455351671995364], atol=1e-14)
        expected_v = [-0.1224593312018546, 0.2937703343990727, -0.3540945367832786]
        np.testing.assert_allclose(rec["v"].flatten(), expected_v, atol=1e-14)


def test_negative_inhibition_is_clamped_in_the_charge():
    """X = [5, −0.2, 0.3], τ = 2, c = 0.03: a spike on a negative input makes I negative.

    t = 0: H = 5 → s = 1; V′ = 4; M = 4; V = 4 − σ(4) = 3.017986209962092
    t = 1: I = 0.03·5 = 0.15; H = 0.5·3.017986209962092 − 0.2 − 0.15 = 1.158993104981046 → s = 1;
           M = 4 + 0.158993104981046; V = 0.158993104981046 − σ(M) = −0.8256239461451903
    t = 2: I = 0.03·(0.15 − 0.2·1) = −0.0015, clamped to 0 in the charge:
           H = 0.5·(−0.8256239461451903) + 0.3 = −0.1128119730725952 (not H − 0.0015)
    """
    x = torch.tensor([[5.0], [-0.2], [0.3]], dtype=torch.float64)
    for rec in _both_paths(x, ILIFParams(2.0, SpikeConfig(surrogate=Rectangle()))):
        assert rec["s"].flatten().tolist() == [1.0, 1.0, 0.0]
        np.testing.assert_allclose(rec["i"].flatten(), [0.0, 0.15, -0.0015], atol=1e-15)
        expected_h = [5.0, 1.158993104981046, -0.1128119730725952]
        np.testing.assert_allclose(rec["h"].flatten(), expected_h, atol=1e-14)
        np.testing.assert_allclose(rec["v"][1].item(), -0.8256239461451903, atol=1e-14)


@pytest.mark.parametrize("path", ["functional", "fused"])
@pytest.mark.parametrize(
    ("detach", "expected_dx0"),
    [
        # dH1/dX0 = β·dV0/dX0 − dI1/dX0 = 0.5·(1 − 1.5·σ'_0) − 0.03·X0·σ'_0 = 0.17871962866527
        (False, 0.08702168997510483),
        # detach: V0 = V′0 − s0·σ(M0) has no s-gradient: dV0/dX0 = 1 (M0 = s0·V′0 and
        # s0 = 0 contribute nothing); dH1/dX0 = 0.5 − 0.03·0.5·σ'_0
        (True, 0.24039128860164014),
    ],
)
def test_clamp_passes_gradient_at_exactly_zero(path, detach, expected_dx0):
    """X = [0.5, 0.3], τ = 2, Sigmoid(4), loss = s[1]. s0 = 0, so I1 = 0.03·(0 + 0.5·0) = 0
    exactly, where torch's clamp(min=0) passes the gradient (docs/neurons.md §5).

    σ'_0 = σ'(0.5 − 1) = 0.419974341614026; dV0/dH0 = 1 − σ'_0·(θ + σ(M0 = 0)) = 1 − 1.5·σ'_0.
    H1 = 0.5·0.5 + 0.3 = 0.55, σ'_1 = σ'(−0.45) = 0.48691736114834167;
    ∂loss/∂X[0] = σ'_1·dH1/dX0 (a clamp that blocked at 0 would give 0.0900890819476355)."""
    x = torch.tensor([[0.5], [0.3]], dtype=torch.float64, requires_grad=True)
    cfg = SpikeConfig(surrogate=Sigmoid(4.0), detach_reset=detach)
    params = ILIFParams(2.0, cfg)
    s = _loop(x, params)["s"] if path == "functional" else ilif_multistep(x, 2.0, cfg)
    assert s.flatten().tolist() == [0.0, 0.0]
    (grad,) = torch.autograd.grad(s[1].sum(), x)
    np.testing.assert_allclose(grad.flatten(), [expected_dx0, 0.48691736114834167], rtol=1e-14)


# ------------------------------------------------------------------- fused backward

INHIBITIONS = [(0.03, 1.0), (-0.4, 0.6)]  # (c, g); c < 0 drives I below 0, into the clamp


@pytest.mark.parametrize("surrogate", [Sigmoid(), ATan()], ids=["sigmoid", "atan"])
@pytest.mark.parametrize(("c", "g"), INHIBITIONS)
@pytest.mark.parametrize("tau", [2.0, 1.1])
def test_fused_gradcheck_smooth(surrogate, c, g, tau):
    """float64 finite differences against the hand-written backward (smooth mode)."""
    cfg = SpikeConfig(surrogate=surrogate, smooth=True)
    x = random_input((6, 2, 3), torch.float64, seed=1)
    assert torch.autograd.gradcheck(lambda x: ilif_multistep(x, tau, cfg, c, g), (x,))


@pytest.mark.parametrize("surrogate", [Rectangle(), Sigmoid()], ids=["rectangle", "sigmoid"])
@pytest.mark.parametrize("detach", [False, True])
@pytest.mark.parametrize(("c", "g"), INHIBITIONS)
@pytest.mark.parametrize("tau", [2.0, 1.1])
def test_fused_backward_equals_autograd_through_loop(surrogate, detach, c, g, tau):
    """Spiking mode, float64 to 1e-12; float32 bit for bit (the fused backward rounds in
    autograd's order, which the float32 golden gradients need at rtol 1e-5)."""
    cfg = SpikeConfig(surrogate=surrogate, detach_reset=detach)
    params = ILIFParams(tau, cfg, current_inhibition=c, membrane_inhibition=g)
    for dtype in (torch.float64, torch.float32):
        x = random_input((10, 3, 40), dtype, seed=2)
        w = torch.randn(x.shape, generator=torch.Generator().manual_seed(3), dtype=dtype)
        rec = _loop(x, params)
        (g_ref,) = torch.autograd.grad((rec["s"] * w).sum(), x)
        s = ilif_multistep(x, tau, cfg, c, g)
        (grad,) = torch.autograd.grad((s * w).sum(), x)
        assert torch.equal(s, rec["s"])
        assert 0.1 < s.mean().item() < 0.6  # the test exercises both branches
        if c < 0:
            assert (rec["i"] < 0).any()  # ... and the clamp
        if dtype == torch.float64:
            np.testing.assert_allclose(grad.numpy(), g_ref.numpy(), rtol=0, atol=1e-12)
        else:
            assert torch.equal(grad, g_ref), (grad - g_ref).abs().max()


@pytest.mark.parametrize("steps", [1, 2])
def test_short_sequences(steps):
    """T = 1 runs only the last-step shortcut; T = 2 the first and last steps."""
    x = random_input((steps, 5), torch.float64, seed=4)
    s_ref = _loop(x, ILIFParams(2.0, GOLDEN_CFG))["s"]
    (g_ref,) = torch.autograd.grad(s_ref.sum(), x)
    s = ilif_multistep(x, 2.0, GOLDEN_CFG)
    (grad,) = torch.autograd.grad(s.sum(), x)
    assert torch.equal(s, s_ref)
    np.testing.assert_allclose(grad.numpy(), g_ref.numpy(), rtol=0, atol=1e-12)


def test_multidimensional_and_non_contiguousrandom_input():
    """[T, B, C, H, W] and a permuted (non-contiguous) view give the reference's results."""
    base = random_input((4, 2, 6, 5, 3), torch.float64, seed=5)
    x = base.detach().permute(0, 1, 4, 2, 3).requires_grad_()  # [T, B, C, H, W], strided
    assert not x.is_contiguous()
    w = torch.randn(x.shape, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    s_ref = _loop(x, ILIFParams(1.1, GOLDEN_CFG))["s"]
    (g_ref,) = torch.autograd.grad((s_ref * w).sum(), x)
    s = ilif_multistep(x, 1.1, GOLDEN_CFG)
    (grad,) = torch.autograd.grad((s * w).sum(), x)
    assert s.shape == x.shape == grad.shape
    assert torch.equal(s, s_ref)
    np.testing.assert_allclose(grad.numpy(), g_ref.numpy(), rtol=0, atol=1e-12)


def test_blocked_execution_matches_reference(monkeypatch):
    """Neurons run in blocks of ``_common.BLOCK``; 120 neurons in blocks of 64 (a full
    and a short one) give the reference's states, spikes and gradients bit for bit."""
    monkeypatch.setattr(_common, "BLOCK", 64)
    params = ILIFParams(1.1, GOLDEN_CFG, current_inhibition=-0.4, membrane_inhibition=0.6)
    for dtype in (torch.float64, torch.float32):
        x = random_input((6, 3, 40), dtype, seed=8)
        w = torch.randn(x.shape, generator=torch.Generator().manual_seed(9), dtype=dtype)
        rec = _loop(x, params)
        (g_ref,) = torch.autograd.grad((rec["s"] * w).sum(), x)
        fwd = ilif_forward(x.detach(), 1.1, GOLDEN_CFG, -0.4, 0.6, save=False, record=True)
        for key, _ in STATE_KEYS:
            assert torch.equal(getattr(fwd, key), rec[key].detach()), key
        s = ilif_multistep(x, 1.1, GOLDEN_CFG, -0.4, 0.6)
        (grad,) = torch.autograd.grad((s * w).sum(), x)
        assert torch.equal(s, rec["s"]) and torch.equal(grad, g_ref)


# ----------------------------------------------------------------- storage, no_grad


def test_training_saves_x_h_m_and_a_bool_mask():
    """docs/neurons.md §8: H[0..T−1], M[0..T−2], the clamp mask k[1..T−1] as bool, and the
    input itself (saved by reference, for the gradient through I)."""
    x = random_input((5, 2, 3), torch.float32)
    _, saved = saved_tensors(ilif_multistep, x, 1.1, GOLDEN_CFG)
    assert saved == [
        ((5, 2, 3), torch.float32),  # x
        ((5, 2, 3), torch.float32),  # H
        ((4, 2, 3), torch.float32),  # M
        ((4, 2, 3), torch.bool),  # clamp mask
    ]


def test_no_grad_stores_nothing_and_gives_the_same_spikes():
    x = random_input((6, 4, 7), torch.float32)
    s_train = ilif_multistep(x, 1.1, GOLDEN_CFG)
    with torch.no_grad():
        s_eval, saved = saved_tensors(ilif_multistep, x, 1.1, GOLDEN_CFG)
    assert saved == [] and s_eval.grad_fn is None
    assert torch.equal(s_eval, s_train)
    s_frozen, saved = saved_tensors(ilif_multistep, x.detach(), 1.1, GOLDEN_CFG)
    assert saved == [] and s_frozen.grad_fn is None
    assert torch.equal(s_frozen, s_train)
    out = ilif_forward(x.detach(), 1.1, GOLDEN_CFG, save=False)
    assert out.h is None and out.m is None and out.mask is None


# ----------------------------------------------------------------------- validation


def _hard() -> SpikeConfig:
    return SpikeConfig(surrogate=Rectangle(), reset="hard")


def test_hard_reset_is_rejected_everywhere():
    """ILIF is soft-reset only; ConfigError is a ValueError with a hint."""
    x = torch.zeros(2, 3)
    for call in (
        lambda: ILIFParams(2.0, _hard()),
        lambda: ilif_multistep(x, 2.0, _hard()),
        lambda: ilif_forward(x, 2.0, _hard(), save=False),
    ):
        with pytest.raises(ValueError, match="soft reset") as info:
            call()
        assert isinstance(info.value, ConfigError) and info.value.hint
