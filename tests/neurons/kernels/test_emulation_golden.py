"""The CUDA kernel sources, run by host emulation, reproduce docs/neurons.md §10's golden files.

Tolerances of docs/neurons.md §10: spikes identical; H, V and states within 1e-6 (float32) or
1e-12 (float64); grad_input within rtol 1e-5 / 1e-9 with atol = 0, so entries that are
zero in the reference (outside the Rectangle window) must come out exactly zero.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from snncompile.neurons.cpu import linear_lif_multistep as cpu_linear_lif
from snncompile.neurons.functional.common import SpikeConfig
from snncompile.neurons.kernels import clif_multistep, ilif_multistep, linear_lif_multistep
from snncompile.neurons.kernels.clif import clif_states
from snncompile.neurons.kernels.ilif import ilif_states
from snncompile.neurons.kernels.linear_lif import linear_lif_states
from snncompile.neurons.surrogate import Sigmoid
from tests.conftest import load_golden

DTYPES = [("", torch.float32, 1e-6, 1e-5), ("_f64", torch.float64, 1e-12, 1e-9)]


def _inputs(g: dict[str, np.ndarray], suffix: str) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.tensor(g["input" + suffix], requires_grad=True)
    return x, torch.tensor(g["weights" + suffix])


def _check_spikes_and_grad(
    spikes: torch.Tensor,
    x: torch.Tensor,
    w: torch.Tensor,
    g: dict[str, np.ndarray],
    suffix: str,
    rtol: float,
) -> None:
    """The golden spikes, and the golden gradient of Σ spikes·w with respect to the leaf x."""
    np.testing.assert_array_equal(spikes.detach().numpy(), g["spikes" + suffix])
    (spikes * w).sum().backward()
    assert x.grad is not None
    np.testing.assert_allclose(x.grad.numpy(), g["grad_input" + suffix], rtol=rtol, atol=0)


def _check_state(value: torch.Tensor, g: dict[str, np.ndarray], key: str, tol: float) -> None:
    np.testing.assert_allclose(value.numpy(), g[key], atol=tol, rtol=0, err_msg=key)


@pytest.mark.parametrize(("suffix", "dtype", "tol", "rtol"), DTYPES)
def test_lif_golden(emu, suffix, dtype, tol, rtol):
    g = load_golden("lif")
    x, w = _inputs(g, suffix)
    s, h, v = linear_lif_states(x.detach(), 1.0, 0.5, SpikeConfig())
    np.testing.assert_array_equal(s.numpy(), g["spikes" + suffix])
    _check_state(h, g, "v_pre_fire" + suffix, tol)
    _check_state(v, g, "v_post_reset" + suffix, tol)
    spikes = linear_lif_multistep(x, 1.0, 0.5, SpikeConfig())
    assert spikes.dtype == dtype
    _check_spikes_and_grad(spikes, x, w, g, suffix, rtol)


@pytest.mark.parametrize(("suffix", "dtype", "tol", "rtol"), DTYPES)
def test_dalif_layer_parameters_on_golden_lif(emu, suffix, dtype, tol, rtol):
    """docs/neurons.md §6: α = 1, β = 0.5 injected as learnable per-layer tensors is the LIF."""
    g = load_golden("lif")
    grads = {}
    for path in ("kernel", "cpu"):
        x, w = _inputs(g, suffix)
        alpha = torch.tensor(1.0, dtype=dtype, requires_grad=True)
        beta = torch.tensor(0.5, dtype=dtype, requires_grad=True)
        fn = linear_lif_multistep if path == "kernel" else cpu_linear_lif
        spikes = fn(x, alpha, beta, SpikeConfig())
        _check_spikes_and_grad(spikes, x, w, g, suffix, rtol)
        grads[path] = (alpha.grad, beta.grad)
    for k, c in zip(grads["kernel"], grads["cpu"], strict=True):
        np.testing.assert_allclose(k.numpy(), c.numpy(), rtol=rtol * 10)


@pytest.mark.parametrize(("suffix", "dtype", "tol", "rtol"), DTYPES)
def test_clif_golden(emu, suffix, dtype, tol, rtol):
    g = load_golden("clif")
    x, w = _inputs(g, suffix)
    s, h, m, v = clif_states(x.detach(), 2.0, SpikeConfig())
    np.testing.assert_array_equal(s.numpy(), g["spikes" + suffix])
    _check_state(h, g, "v_pre_fire" + suffix, tol)
    _check_state(v, g, "v_post_reset" + suffix, tol)
    _check_state(m, g, "state_m" + suffix, tol)
    spikes = clif_multistep(x, 2.0, SpikeConfig())
    _check_spikes_and_grad(spikes, x, w, g, suffix, rtol)


@pytest.mark.parametrize(("suffix", "dtype", "tol", "rtol"), DTYPES)
def test_ilif_golden(emu, suffix, dtype, tol, rtol):
    g = load_golden("ilif")
    cfg = SpikeConfig(surrogate=Sigmoid(4.0))
    x, w = _inputs(g, suffix)
    st = ilif_states(x.detach(), 1.1, cfg)
    np.testing.assert_array_equal(st["spikes"].numpy(), g["spikes" + suffix])
    _check_state(st["h"], g, "v_pre_fire" + suffix, tol)
    _check_state(st["v"], g, "v_post_reset" + suffix, tol)
    _check_state(st["i"], g, "state_inhibition" + suffix, tol)
    _check_state(st["m"], g, "state_inhibitory_memory" + suffix, tol)
    spikes = ilif_multistep(x, 1.1, cfg)
    _check_spikes_and_grad(spikes, x, w, g, suffix, rtol)


def test_float32_golden_runs_are_bit_identical_to_the_references(emu):
    """Stronger than §10: on the golden inputs the float32 kernels reproduce the CPU /
    functional references' H, states and gradients to the last bit (same roundings,
    same FMAs, and SLEEF's expf inside sigmoid, as torch's CPU sigmoid)."""
    from tests.neurons.kernels._reference import clif_reference, ilif_reference

    g = load_golden("clif")
    x, w = _inputs(g, "")
    ref = clif_reference(x, 2.0, SpikeConfig())
    (ref["spikes"] * w).sum().backward()
    _, h, m, _ = clif_states(x.detach(), 2.0, SpikeConfig())
    assert torch.equal(h, ref["h"].detach()) and torch.equal(m, ref["m"].detach())
    xk = x.detach().clone().requires_grad_()
    (clif_multistep(xk, 2.0, SpikeConfig()) * w).sum().backward()
    assert torch.equal(xk.grad, x.grad)

    g = load_golden("ilif")
    cfg = SpikeConfig(surrogate=Sigmoid(4.0))
    x, w = _inputs(g, "")
    ref = ilif_reference(x, 1.1, cfg)
    (ref["spikes"] * w).sum().backward()
    st = ilif_states(x.detach(), 1.1, cfg)
    for key in ("h", "m", "v", "i"):
        assert torch.equal(st[key], ref[key].detach()), key
    xk = x.detach().clone().requires_grad_()
    (ilif_multistep(xk, 1.1, cfg) * w).sum().backward()
    assert torch.equal(xk.grad, x.grad)
