"""CLIF (docs/neurons.md §4): golden parity, hand-computed trajectories, fused backward."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from snncompile.errors import InputError
from snncompile.neurons.cpu import _common, clif_multistep
from snncompile.neurons.cpu._common import surrogate_grad_into
from snncompile.neurons.cpu.clif import clif_forward
from snncompile.neurons.functional.clif import CLIFParams, clif_initial_state, clif_step
from snncompile.neurons.functional.common import SpikeConfig
from snncompile.neurons.surrogate import ATan, Rectangle, Sigmoid, Surrogate
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
GOLDEN_CFG = SpikeConfig(surrogate=Rectangle(alpha=1.0))  # CLIF train.py defaults, τ = 2
STATE_KEYS = (("h", "v_pre_fire"), ("v", "v_post_reset"), ("m", "state_m"))


@pytest.fixture(scope="module")
def golden() -> dict[str, np.ndarray]:
    return load_golden("clif")


def _loop(x: torch.Tensor, params: CLIFParams) -> dict[str, torch.Tensor]:
    """The functional reference over time: s, H, V and m stacked to [T, ...]."""
    return step_trace(clif_step, clif_initial_state(x[0]), x, params, ("h", "v", "m"), "s")


def _cfg(surrogate: Surrogate, reset: str, detach: bool = False, smooth: bool = False):
    v_reset = -0.1 if reset == "hard" else 0.0
    return SpikeConfig(
        surrogate=surrogate, reset=reset, v_reset=v_reset, detach_reset=detach, smooth=smooth
    )


# --------------------------------------------------------------------------- golden


@pytest.mark.parametrize(("suffix", "dtype", "state_tol", "grad_rtol"), DTYPES)
@pytest.mark.parametrize("path", ["functional", "fused"])
def test_clif_matches_golden(golden, suffix, dtype, state_tol, grad_rtol, path):
    x, w = golden_leaves(golden, suffix, dtype)
    if path == "functional":
        rec = _loop(x, CLIFParams(tau=2.0, config=GOLDEN_CFG))
        s = rec["s"]
        states = {name: rec[key].detach() for key, name in STATE_KEYS}
    else:
        s = clif_multistep(x, 2.0, GOLDEN_CFG)
        fwd = clif_forward(x.detach(), 2.0, GOLDEN_CFG, save=False, record=True)
        np.testing.assert_array_equal(fwd.spikes.numpy(), s.detach().numpy())
        states = {name: getattr(fwd, key) for key, name in STATE_KEYS}
    assert_golden(golden, suffix, (x, w), s, states, (state_tol, grad_rtol))


# ---------------------------------------------------------------- hand-computed values


@pytest.mark.parametrize("path", ["functional", "fused"])
def test_clif_hand_computed_trajectory(path):
    """τ = 2 (β = 0.5), θ = 1, soft reset, X = [1.5, 0.2, 1.0]; σ is the logistic:

    t = 0: H = 1.5 → s = 1; m = 0·σ(0.75) + 1 = 1; V = 1.5 − 1 − σ(1) = −0.2310585786300049
    t = 1: H = 0.5·V + 0.2 = 0.08447071068499756 → s = 0; m = 1·σ(H/2) = 0.5105572695219598;
           V = H
    t = 2: H = 0.5·0.08447071068499756 + 1 = 1.042235355342499 → s = 1;
           m = 0.5105572695219598·σ(0.5211176776712494) + 1 = 1.320328266539341;
           V = H − 1 − σ(m) = −0.747000960992948
    """
    x = torch.tensor([[1.5], [0.2], [1.0]], dtype=torch.float64)
    cfg = SpikeConfig(surrogate=Rectangle())
    if path == "functional":
        rec = _loop(x, CLIFParams(2.0, cfg))
        s, h, v, m = rec["s"], rec["h"], rec["v"], rec["m"]
    else:
        s, h, m, v = clif_forward(x, 2.0, cfg, save=False, record=True)
    assert s.flatten().tolist() == [1.0, 0.0, 1.0]
    np.testing.assert_allclose(
        h.flatten(), [1.5, 0.08447071068499756, 1.042235355342499], atol=1e-14
    )
    np.testing.assert_allclose(
        m.flatten(), [1.0, 0.5105572695219598, 1.320328266539341], atol=1e-14
    )
    expected_v = [-0.2310585786300049, 0.08447071068499756, -0.747000960992948]
    np.testing.assert_allclose(v.flatten(), expected_v, atol=1e-14)


@pytest.mark.parametrize("path", ["functional", "fused"])
@pytest.mark.parametrize(
    ("reset", "detach", "expected_dx0"),
    [
        # dV0/dH0 = 1 + σ'_0·(−θ − σ(m0)) − s0·σ(1)(1 − σ(1))·dm0/dH0, with m0 = s0,
        # σ'_0 = 1 (H0 − θ = 0.2 is in the window): 1 − 1 − 0.7310585786 − 0.1966119332
        ("soft", False, -0.4638352559357434),
        # detach: the reset terms give nothing, m0 = s0 still does: 1 − 0.1966119332
        ("soft", True, 0.4016940333792591),
        # hard to v_r = −0.1: H0 = 1.2 − 0.05 = 1.15; dV0/dH0 = (1 − s0)
        #   + σ'_0·(−(H0 − v_r) − σ(1)) − σ(1)(1 − σ(1)) = −1.25 − 0.7310585786 − 0.1966119332
        ("hard", False, -1.0888352559357433),
    ],
)
def test_clif_hand_computed_gradient(path, reset, detach, expected_dx0):
    """X = [1.2, 1.0], loss = s[1], Rectangle(1): ∂loss/∂X[1] = σ'_1 = 1 (H[1] is in the
    window: 0.7344707 soft, 0.5344707 hard), ∂loss/∂X[0] = σ'_1·β·dV[0]/dH[0], β = 0.5."""
    x = torch.tensor([[1.2], [1.0]], dtype=torch.float64, requires_grad=True)
    cfg = _cfg(Rectangle(), reset, detach)
    s = _loop(x, CLIFParams(2.0, cfg))["s"] if path == "functional" else clif_multistep(x, 2.0, cfg)
    assert s.flatten().tolist() == [1.0, 0.0]
    (grad,) = torch.autograd.grad(s[1].sum(), x)
    np.testing.assert_allclose(grad.flatten(), [expected_dx0, 1.0], rtol=1e-14, atol=0)


def test_clif_hard_reset_trajectory():
    """Hard reset to v_r = −0.1, τ = 2: H = 0.5·V + v_r/τ + X (official charge) from V[−1] = 0.
    X = [1.2, 1.0]: H0 = 1.15 → s = 1, m0 = 1, V0 = v_r − σ(1) = −0.8310585786300049;
    H1 = 0.5·V0 − 0.05 + 1 = 0.5344707106849975 → s = 0, m1 = σ(H1/2) = 0.5664140632479638."""
    x = torch.tensor([[1.2], [1.0]], dtype=torch.float64)
    cfg = _cfg(Rectangle(), "hard")
    rec = _loop(x, CLIFParams(2.0, cfg))
    fwd = clif_forward(x, 2.0, cfg, save=False, record=True)
    for h, v, m in ((rec["h"], rec["v"], rec["m"]), (fwd.h, fwd.v, fwd.m)):
        np.testing.assert_allclose(h.flatten(), [1.15, 0.5344707106849975], atol=1e-14)
        np.testing.assert_allclose(
            v.flatten(), [-0.8310585786300049, 0.5344707106849975], atol=1e-14
        )
        np.testing.assert_allclose(m.flatten(), [1.0, 0.5664140632479638], atol=1e-14)


def test_threshold_tie_fires():
    """Θ is inclusive: H = θ exactly fires, in both paths."""
    x = torch.tensor([[1.0], [0.0]], dtype=torch.float64)
    assert _loop(x, CLIFParams(2.0))["s"].flatten().tolist() == [1.0, 0.0]
    assert clif_multistep(x, 2.0, SpikeConfig()).flatten().tolist() == [1.0, 0.0]


# ------------------------------------------------------------------- fused backward


@pytest.mark.parametrize("surrogate", [Sigmoid(), ATan()], ids=["sigmoid", "atan"])
@pytest.mark.parametrize("reset", ["soft", "hard"])
@pytest.mark.parametrize("tau", [2.0, 1.7])
def test_fused_gradcheck_smooth(surrogate, reset, tau):
    """float64 finite differences against the hand-written backward (smooth mode)."""
    cfg = _cfg(surrogate, reset, smooth=True)
    x = random_input((6, 2, 3), torch.float64, seed=1)
    assert torch.autograd.gradcheck(lambda x: clif_multistep(x, tau, cfg), (x,))


@pytest.mark.parametrize("surrogate", [Rectangle(), Sigmoid()], ids=["rectangle", "sigmoid"])
@pytest.mark.parametrize("reset", ["soft", "hard"])
@pytest.mark.parametrize("detach", [False, True])
@pytest.mark.parametrize("tau", [2.0, 1.7])
def test_fused_backward_equals_autograd_through_loop(surrogate, reset, detach, tau):
    """Spiking mode, float64 to 1e-12; float32 bit for bit (the fused backward rounds in
    autograd's order, which the float32 golden gradients need at rtol 1e-5)."""
    cfg = _cfg(surrogate, reset, detach)
    for dtype in (torch.float64, torch.float32):
        x = random_input((10, 3, 40), dtype, seed=2)
        w = torch.randn(x.shape, generator=torch.Generator().manual_seed(3), dtype=dtype)
        s_ref = _loop(x, CLIFParams(tau, cfg))["s"]
        (g_ref,) = torch.autograd.grad((s_ref * w).sum(), x)
        s = clif_multistep(x, tau, cfg)
        (g,) = torch.autograd.grad((s * w).sum(), x)
        assert torch.equal(s, s_ref)
        assert 0.1 < s.mean().item() < 0.6  # the test exercises both branches
        if dtype == torch.float64:
            np.testing.assert_allclose(g.numpy(), g_ref.numpy(), rtol=0, atol=1e-12)
        else:
            assert torch.equal(g, g_ref), (g - g_ref).abs().max()


@pytest.mark.parametrize("steps", [1, 2])
def test_short_sequences(steps):
    """T = 1 runs only the last-step shortcut; T = 2 the first and last steps."""
    cfg = _cfg(Sigmoid(), "soft")
    x = random_input((steps, 5), torch.float64, seed=4)
    s_ref = _loop(x, CLIFParams(2.0, cfg))["s"]
    (g_ref,) = torch.autograd.grad(s_ref.sum(), x)
    s = clif_multistep(x, 2.0, cfg)
    (g,) = torch.autograd.grad(s.sum(), x)
    assert torch.equal(s, s_ref)
    np.testing.assert_allclose(g.numpy(), g_ref.numpy(), rtol=0, atol=1e-12)


def test_bad_rank_is_an_input_error():
    with pytest.raises(InputError, match="time-major"):
        clif_multistep(torch.tensor(1.0), 2.0, SpikeConfig())


def test_multidimensional_and_non_contiguousrandom_input():
    """[T, B, C, H, W] and a permuted (non-contiguous) view give the reference's results."""
    cfg = _cfg(Sigmoid(), "soft")
    base = random_input((4, 2, 6, 5, 3), torch.float64, seed=5)
    x = base.detach().permute(0, 1, 4, 2, 3).requires_grad_()  # [T, B, C, H, W], strided
    assert not x.is_contiguous()
    w = torch.randn(x.shape, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    s_ref = _loop(x, CLIFParams(2.0, cfg))["s"]
    (g_ref,) = torch.autograd.grad((s_ref * w).sum(), x)
    s = clif_multistep(x, 2.0, cfg)
    (g,) = torch.autograd.grad((s * w).sum(), x)
    assert s.shape == x.shape == g.shape
    assert torch.equal(s, s_ref)
    np.testing.assert_allclose(g.numpy(), g_ref.numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("reset", ["soft", "hard"])
def test_blocked_execution_matches_reference(monkeypatch, reset):
    """Neurons run in blocks of ``_common.BLOCK``; 120 neurons in blocks of 64 (a full
    and a short one) give the reference's states, spikes and gradients bit for bit."""
    monkeypatch.setattr(_common, "BLOCK", 64)
    cfg = _cfg(Sigmoid(), reset)
    for dtype in (torch.float64, torch.float32):
        x = random_input((6, 3, 40), dtype, seed=8)
        w = torch.randn(x.shape, generator=torch.Generator().manual_seed(9), dtype=dtype)
        rec = _loop(x, CLIFParams(1.7, cfg))
        (g_ref,) = torch.autograd.grad((rec["s"] * w).sum(), x)
        fwd = clif_forward(x.detach(), 1.7, cfg, save=False, record=True)
        for key in ("h", "v", "m"):
            assert torch.equal(getattr(fwd, key), rec[key].detach()), key
        s = clif_multistep(x, 1.7, cfg)
        (g,) = torch.autograd.grad((s * w).sum(), x)
        assert torch.equal(s, rec["s"]) and torch.equal(g, g_ref)


# ----------------------------------------------------------------- storage, no_grad


def test_training_saves_only_h_and_m():
    """docs/neurons.md §8: H[0..T−1] and m[0..T−2] (m[T−1] is never read back)."""
    x = random_input((5, 2, 3), torch.float32)
    _, saved = saved_tensors(clif_multistep, x, 2.0, GOLDEN_CFG)
    assert saved == [((5, 2, 3), torch.float32), ((4, 2, 3), torch.float32)]


def test_no_grad_stores_nothing_and_gives_the_same_spikes():
    x = random_input((6, 4, 7), torch.float32)
    s_train = clif_multistep(x, 2.0, GOLDEN_CFG)
    with torch.no_grad():
        s_eval, saved = saved_tensors(clif_multistep, x, 2.0, GOLDEN_CFG)
    assert saved == [] and s_eval.grad_fn is None
    assert torch.equal(s_eval, s_train)
    s_frozen, saved = saved_tensors(clif_multistep, x.detach(), 2.0, GOLDEN_CFG)
    assert saved == [] and s_frozen.grad_fn is None
    assert torch.equal(s_frozen, s_train)
    out = clif_forward(x.detach(), 2.0, GOLDEN_CFG, save=False)
    assert out.h is None and out.m is None and out.v is None


# ------------------------------------------------------------------ surrogate helper


@pytest.mark.parametrize(
    "surrogate",
    [Rectangle(), Rectangle(0.5), Rectangle(0.7), Sigmoid(), Sigmoid(2.5), ATan()],
    ids=repr,
)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_in_place_surrogate_matches_derivative_bit_for_bit(surrogate, dtype):
    """The allocation-free surrogate of the fused backwards equals ``derivative(H − θ)``,
    including the closed window edges θ ± α/2."""
    gen = torch.Generator().manual_seed(7)
    h = torch.cat(
        [
            torch.randn(4096, generator=gen, dtype=dtype) + 1.0,
            torch.tensor([1.0, 1.0 + surrogate.alpha / 2, 1.0 - surrogate.alpha / 2], dtype=dtype),
        ]
    )
    cfg = SpikeConfig(surrogate=surrogate)
    out = torch.empty_like(h)
    surrogate_grad_into(out, h, cfg, torch.empty_like(h))
    assert torch.equal(out, surrogate.derivative(h - 1.0))
