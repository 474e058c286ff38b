"""ILIF's ``membrane_inhibition`` k ≠ 1 means the same thing everywhere (docs/neurons.md §5).

c and k stand where the official code has its literals 0.03 and 1, each multiplying its
whole bracket:

    I[t] = c·(I[t−1] + X[t−1]·s[t−1])
    M[t] = k·(M[t−1] + s[t]·V′[t])
    V[t] = V′[t] − s[t]·sigmoid(M[t])

A hand-computed trajectory pins this form; then the torch functional step (the spec),
the fused CPU Function and the numpy reference simulator of the IR node are compared
with each other for k ∈ {0.5, 0.9} and c ∈ {0.03, −0.4} (c < 0 drives I below the
clamp). The CUDA kernels (host emulation) are compared in
``tests/neurons/kernels/test_emulation_ilif_inhibition.py`` and the ONNX lowering in
``backends/onnx/tests/test_onnx_ilif_inhibition.py``.
"""

from __future__ import annotations

import math

import nir
import numpy as np
import pytest
import torch

from snncompile import ir
from snncompile.neurons.cpu import ilif_multistep
from snncompile.neurons.cpu.ilif import ilif_forward
from snncompile.neurons.functional.common import SpikeConfig
from snncompile.neurons.functional.ilif import ILIFParams, ilif_initial_state, ilif_step
from snncompile.neurons.surrogate import ATan, Rectangle, Sigmoid
from snncompile.reference import simulate

#: (c, k): current inhibition and membrane inhibition
CASES = [(c, k) for c in (0.03, -0.4) for k in (0.5, 0.9)]
STATES = ("h", "v", "i", "m")
#: functional state -> recorded state of the reference simulator
REFERENCE_STATES = {"h": "v_pre", "v": "v", "i": "inhibition", "m": "inhibitory_memory"}


def _loop(x: torch.Tensor, params: ILIFParams) -> dict[str, torch.Tensor]:
    """The functional step looped over t: s, H, V, I and M stacked to [T, ...]."""
    state = ilif_initial_state(x[0])
    out: dict[str, list[torch.Tensor]] = {key: [] for key in ("s", *STATES)}
    for t in range(x.shape[0]):
        s, state = ilif_step(x[t], state, params)
        out["s"].append(s)
        for key in STATES:
            out[key].append(getattr(state, key))
    return {key: torch.stack(values) for key, values in out.items()}


def _fused_states(x: torch.Tensor, tau: float, cfg: SpikeConfig, c: float, k: float):
    fwd = ilif_forward(x.detach().contiguous(), tau, cfg, c, k, save=False, record=True)
    return {"s": fwd.spikes, "h": fwd.h, "v": fwd.v, "i": fwd.i, "m": fwd.m}


def _reference(x: np.ndarray, tau: float, c: float, k: float) -> dict[str, np.ndarray]:
    """The IR node ``ILIF(τ, θ = 1, c, k)`` run by the numpy reference simulator."""
    n = x.shape[-1]
    node = ir.ILIF(np.full(n, tau), np.ones(n), current_inhibition=c, membrane_inhibition=k)
    graph = ir.sequential(
        ("in", nir.Input(np.array([n]))), ("n", node), ("out", nir.Output(np.array([n])))
    )
    out = simulate(graph, x, dtype=x.dtype.type, record=["n"])
    return {"s": out["out"], **{key: out[f"n:{name}"] for key, name in REFERENCE_STATES.items()}}


def _input(dtype: torch.dtype, seed: int, shape: tuple[int, ...] = (12, 3, 40)) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return (torch.randn(shape, generator=gen, dtype=dtype) * 0.8 + 0.6).requires_grad_()


def _sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# ---------------------------------------------------------------- the decided form


def test_hand_computed_trajectory_with_k_half():
    """τ = 2 (β = 0.5), θ = 1, c = 0.03, k = 0.5, X = [1.5, 0.4, 1.2]:

    t = 0: H = 1.5 → s = 1; V′ = 0.5; M = 0.5·(0 + 0.5) = 0.25; V = 0.5 − σ(0.25)
           = −0.06217650088579807
    t = 1: I = 0.045; H = 0.5·V + (0.4 − 0.045) = 0.323911749557101 → s = 0;
           M = 0.5·(0.25 + 0) = 0.125 (k decays M); V = H
    t = 2: I = 0.00135; H = 0.5·0.323911749557101 + (1.2 − 0.00135) = 1.3606058747785506
           → s = 1; V′ = 0.3606058747785506; M = 0.5·(0.125 + V′) = 0.24280293738927528;
           V = V′ − σ(M) = −0.19979839830194668   (no k on the extra reset)

    The rejected forms differ: M = M + k·s·V′ keeps M[1] = 0.25, and
    V = V′ − k·s·σ(M) gives V[0] = 0.5 − 0.5·σ(0.5).
    """
    k = 0.5
    m0 = k * (0.0 + 0.5)
    v0 = 0.5 - _sig(m0)
    h1 = 0.5 * v0 + (0.4 - 0.045)
    m1 = k * (m0 + 0.0)
    h2 = 0.5 * h1 + (1.2 - 0.00135)
    m2 = k * (m1 + (h2 - 1.0))
    expected = {
        "h": [1.5, h1, h2],
        "m": [m0, m1, m2],
        "v": [v0, h1, (h2 - 1.0) - _sig(m2)],
        "i": [0.0, 0.045, 0.00135],
    }
    np.testing.assert_allclose(expected["m"], [0.25, 0.125, 0.24280293738927528], atol=1e-15)
    np.testing.assert_allclose(expected["v"][2], -0.19979839830194668, atol=1e-15)
    x = torch.tensor([[1.5], [0.4], [1.2]], dtype=torch.float64)
    cfg = SpikeConfig(surrogate=Rectangle())
    runs = {
        "functional": _loop(x, ILIFParams(2.0, cfg, 0.03, k)),
        "fused": _fused_states(x, 2.0, cfg, 0.03, k),
        "reference": {
            key: torch.from_numpy(v)
            for key, v in _reference(x.numpy()[:, None], 2.0, 0.03, k).items()
        },
    }
    for name, rec in runs.items():
        assert rec["s"].flatten().tolist() == [1.0, 0.0, 1.0], name
        for key, values in expected.items():
            np.testing.assert_allclose(rec[key].flatten(), values, atol=1e-14, err_msg=name + key)


# --------------------------------------------------- functional == fused CPU path


@pytest.mark.parametrize(("c", "k"), CASES)
@pytest.mark.parametrize(
    ("surrogate", "detach"),
    [(Sigmoid(), False), (Rectangle(), True)],
    ids=["sigmoid", "rect-detach"],
)
def test_fused_cpu_equals_functional(c, k, surrogate, detach):
    """Spikes and states identical, input gradients to 1e-12 in float64; in float32 the
    fused backward reproduces autograd's rounding, so everything is bit-identical."""
    cfg = SpikeConfig(surrogate=surrogate, detach_reset=detach)
    params = ILIFParams(2.0, cfg, current_inhibition=c, membrane_inhibition=k)
    for dtype in (torch.float64, torch.float32):
        x = _input(dtype, seed=11)
        w = torch.randn(x.shape, generator=torch.Generator().manual_seed(12), dtype=dtype)
        rec = _loop(x, params)
        (g_ref,) = torch.autograd.grad((rec["s"] * w).sum(), x)
        fused = _fused_states(x, 2.0, cfg, c, k)
        s = ilif_multistep(x, 2.0, cfg, c, k)
        (grad,) = torch.autograd.grad((s * w).sum(), x)
        assert torch.equal(s, rec["s"]) and torch.equal(fused["s"], rec["s"])
        assert 0.1 < s.mean().item() < 0.6  # both branches are exercised
        if c < 0:
            assert (rec["i"] < 0).any()  # ... and the clamp
        for key in STATES:
            assert torch.equal(fused[key], rec[key].detach()), key
        if dtype == torch.float64:
            np.testing.assert_allclose(grad.numpy(), g_ref.numpy(), rtol=0, atol=1e-12)
        else:
            assert torch.equal(grad, g_ref), (grad - g_ref).abs().max()


@pytest.mark.parametrize("surrogate", [Sigmoid(), ATan()], ids=["sigmoid", "atan"])
@pytest.mark.parametrize(("c", "k"), CASES)
def test_fused_gradcheck_smooth(c, k, surrogate):
    """float64 finite differences against the hand-written backward (smooth mode)."""
    cfg = SpikeConfig(surrogate=surrogate, smooth=True)
    x = _input(torch.float64, seed=13, shape=(6, 2, 3))
    assert torch.autograd.gradcheck(lambda x: ilif_multistep(x, 2.0, cfg, c, k), (x,))


# ------------------------------------------------- functional == reference simulator


@pytest.mark.parametrize("tau", [2.0, 1.1])
@pytest.mark.parametrize(("c", "k"), CASES)
def test_reference_simulator_equals_functional(c, k, tau):
    """The IR node's numpy stepper in float64: identical spikes, states to 1e-12."""
    x = _input(torch.float64, seed=14).detach()
    rec = _loop(x, ILIFParams(tau, SpikeConfig(), current_inhibition=c, membrane_inhibition=k))
    ref = _reference(x.numpy(), tau, c, k)
    np.testing.assert_array_equal(ref["s"], rec["s"].numpy())
    assert 0.1 < ref["s"].mean() < 0.6
    for key in STATES:
        np.testing.assert_allclose(ref[key], rec[key].numpy(), rtol=0, atol=1e-12, err_msg=key)
