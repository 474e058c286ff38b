"""LIF / PLIF / DA-LIF kernels (host emulation) against the CPU autograd Function.

The kernels mirror ``snncompile.neurons.cpu.linear_lif_multistep``'s operation order, so
float32 spikes are identical and H-dependent gradients agree to round-off; parameter
gradients differ only by the order of the final sum over neurons (block partials here,
``sum_to_size`` there). float64 runs are held to 1e-10.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from snncompile.neurons.cpu import linear_lif_multistep as cpu_linear_lif
from snncompile.neurons.functional.common import SpikeConfig
from snncompile.neurons.kernels import linear_lif_multistep
from tests.neurons.kernels._cases import (
    COMBOS,
    HALF_CFGS,
    HALVES,
    PARAM_CASES,
    PARAM_CFGS,
    SHAPES,
    ParamCase,
    assert_close,
    make_cfg,
    param_values,
)


def _run(fn, x0, w, alpha, beta, cfg, x_grad=True):
    """Spikes, grad_x and parameter grads of ``fn`` on fresh leaves."""
    x = x0.clone().requires_grad_(x_grad)
    params = [
        p.clone().requires_grad_() if isinstance(p, torch.Tensor) else p for p in (alpha, beta)
    ]
    spikes = fn(x, *params, cfg)
    (spikes * w).sum().backward()
    grads = [p.grad if isinstance(p, torch.Tensor) else None for p in params]
    return spikes.detach(), x.grad, grads


def _compare(x0, w, alpha, beta, cfg, dtype, x_grad=True):
    s_k, gx_k, gp_k = _run(linear_lif_multistep, x0, w, alpha, beta, cfg, x_grad)
    s_c, gx_c, gp_c = _run(cpu_linear_lif, x0, w, alpha, beta, cfg, x_grad)
    assert s_k.dtype == dtype and s_k.shape == x0.shape
    if cfg.smooth:
        assert_close(s_k, s_c, dtype, "graded spikes")
    else:
        assert torch.equal(s_k, s_c), "spikes differ"
    if x_grad:
        assert_close(gx_k, gx_c, dtype, "grad_x")
    else:
        assert gx_k is None
    terms = float(x0.numel())  # the parameter sums run over every neuron-step
    for k, c, name in zip(gp_k, gp_c, ("alpha", "beta"), strict=True):
        if c is None:
            assert k is None
            continue
        assert k.shape == c.shape and k.dtype == c.dtype, name
        assert_close(k, c, dtype, f"grad_{name}", scale=terms)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("reset", "surrogate", "detach", "smooth"), COMBOS)
def test_every_combination_matches_cpu(emu, reset, surrogate, detach, smooth, dtype):
    """Per-layer α and β with gradients (DA-LIF) under every reset / surrogate / flag."""
    index = COMBOS.index((reset, surrogate, detach, smooth))
    gen = torch.Generator().manual_seed(index)
    shape = SHAPES[index % len(SHAPES)]
    x0 = (0.7 + 0.9 * torch.randn(shape, generator=gen)).to(dtype)
    w = torch.randn(shape, generator=gen).to(dtype)
    alpha = torch.tensor(0.9, dtype=dtype)
    beta = torch.tensor(0.6, dtype=dtype)
    _compare(x0, w, alpha, beta, make_cfg(reset, surrogate, detach, smooth), dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("combo", PARAM_CFGS, ids=lambda c: "-".join(map(str, c)))
@pytest.mark.parametrize("case", PARAM_CASES, ids=lambda c: c.name)
def test_parameter_layouts_match_cpu(emu, case: ParamCase, combo, dtype):
    """Constant, per-layer and per-channel α/β, incl. channel runs crossing blocks."""
    gen = torch.Generator().manual_seed(len(case.name))
    x0 = (0.6 + torch.randn(case.shape, generator=gen)).to(dtype)
    w = torch.randn(case.shape, generator=gen).to(dtype)
    alpha, beta = param_values(case.alpha, 0), param_values(case.beta, 1)
    alpha, beta = (p.to(dtype) if isinstance(p, torch.Tensor) else p for p in (alpha, beta))
    _compare(x0, w, alpha, beta, make_cfg(*combo), dtype, x_grad=case.x_grad)


@pytest.mark.parametrize("combo", [("soft", "rect"), ("hardv", "sigmoid")])
def test_inference_stores_nothing_and_matches(emu, combo):
    cfg = make_cfg(*combo)
    x = 0.7 + torch.randn(5, 3, 41, generator=torch.Generator().manual_seed(3))
    beta = torch.tensor(0.8, requires_grad=True)
    with torch.no_grad():
        s = linear_lif_multistep(x, 1.0, beta, cfg)
        s_ref = cpu_linear_lif(x, 1.0, beta, cfg)
    assert torch.equal(s, s_ref)
    spec = emu.launched[-1]
    assert spec.kernel == "linear_lif_fwd" and spec.targs[7] == 0  # TRAIN = 0: no H written


@pytest.mark.parametrize("combo", HALF_CFGS)
@pytest.mark.parametrize("dtype", HALVES)
@pytest.mark.parametrize("learn", [False, True])
def test_half_precision_computes_in_float32(emu, dtype, combo, learn):
    """float16 / bfloat16 I/O, float32 registers and saved H: spikes equal the float32
    CPU run on the upcast input, grad_x is its float32 gradient rounded once."""
    cfg = make_cfg(*combo)
    gen = torch.Generator().manual_seed(11)
    x0 = (0.7 + torch.randn(4, 3, 33, generator=gen)).to(dtype)
    w = torch.randn(4, 3, 33, generator=gen).to(dtype)
    alpha: float | torch.Tensor = torch.tensor(0.9) if learn else 1.0
    beta: float | torch.Tensor = torch.tensor(0.6) if learn else 0.5
    s_k, gx_k, gp_k = _run(linear_lif_multistep, x0, w, alpha, beta, cfg)
    s_c, gx_c, gp_c = _run(cpu_linear_lif, x0.float(), w.float(), alpha, beta, cfg)
    assert s_k.dtype == dtype and gx_k.dtype == dtype
    assert torch.equal(s_k.float(), s_c)
    assert torch.equal(gx_k, gx_c.to(dtype))
    for k, c in zip(gp_k, gp_c, strict=True):
        if c is not None:
            np.testing.assert_allclose(k.numpy(), c.numpy(), rtol=1e-5, atol=1e-6 * x0.numel())


def test_empty_and_zero_size_inputs(emu):
    cfg = SpikeConfig()
    for shape in [(0, 5), (3, 0), (2, 0, 4)]:
        x = torch.zeros(shape, requires_grad=True)
        beta = torch.tensor(0.5, requires_grad=True)
        s = linear_lif_multistep(x, 1.0, beta, cfg)
        assert s.shape == x.shape
        s.sum().backward()
        assert x.grad is not None and x.grad.shape == x.shape
        assert beta.grad is not None and float(beta.grad) == 0.0
