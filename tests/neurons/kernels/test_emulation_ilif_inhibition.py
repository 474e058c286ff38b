"""ILIF kernels (host emulation) with k = ``membrane_inhibition`` ≠ 1 (docs/neurons.md §5).

The kernels compute M[t] = k·(M[t−1] + s[t]·V′[t]) and V[t] = V′[t] − s[t]·sigmoid(M[t]),
as the functional step and the fused CPU Function do
(``tests/neurons/test_ilif_membrane_inhibition.py`` pins the form by hand): spikes are
identical and states and input gradients agree to round-off (1e-12 in float64, relative
to the largest magnitude).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from snncompile.neurons.cpu import ilif_multistep as cpu_ilif
from snncompile.neurons.kernels import ilif_multistep
from snncompile.neurons.kernels.ilif import ilif_states
from tests.neurons.kernels._cases import make_cfg
from tests.neurons.kernels._reference import ilif_reference

CASES = [(c, k) for c in (0.03, -0.4) for k in (0.5, 0.9)]
TOL = {torch.float32: (1e-5, 1e-6), torch.float64: (1e-12, 1e-12)}


def _close(actual: torch.Tensor, expected: torch.Tensor, dtype: torch.dtype, what: str) -> None:
    rtol, atol = TOL[dtype]
    ref = expected.detach().double().numpy()
    bound = atol * max(1.0, float(np.abs(ref).max(initial=0.0)))
    np.testing.assert_allclose(actual.double().numpy(), ref, rtol=rtol, atol=bound, err_msg=what)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("surrogate", ["sigmoid", "rect"])
@pytest.mark.parametrize(("c", "k"), CASES)
def test_kernel_equals_functional_and_fused_cpu(emu, c, k, surrogate, dtype):
    cfg = make_cfg("soft", surrogate)
    gen = torch.Generator().manual_seed(21)
    x0 = (0.6 + 0.8 * torch.randn((9, 3, 67), generator=gen)).to(dtype)
    w = torch.randn(x0.shape, generator=gen).to(dtype)
    x_ref, x_k, x_c = (x0.clone().requires_grad_() for _ in range(3))
    ref = ilif_reference(x_ref, 2.0, cfg, c, k)
    (ref["spikes"] * w).sum().backward()
    if c < 0:
        assert bool((ref["i"] < 0).any()), "the input should drive I below zero somewhere"
    st = ilif_states(x0, 2.0, cfg, c, k)
    assert torch.equal(st["spikes"], ref["spikes"].detach()), "recorded spikes differ"
    for name in ("h", "m", "v", "i"):
        _close(st[name], ref[name], dtype, name)
    s_k, s_c = ilif_multistep(x_k, 2.0, cfg, c, k), cpu_ilif(x_c, 2.0, cfg, c, k)
    assert torch.equal(s_k.detach(), ref["spikes"].detach()), "spikes differ"
    assert torch.equal(s_c.detach(), s_k.detach()), "fused CPU spikes differ"
    (s_k * w).sum().backward()
    (s_c * w).sum().backward()
    _close(x_k.grad, x_ref.grad, dtype, "grad_x vs functional")
    _close(x_k.grad, x_c.grad, dtype, "grad_x vs fused CPU")
