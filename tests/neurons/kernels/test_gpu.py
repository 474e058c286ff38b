"""The CuPy kernels on a real GPU against the CPU references (``-m gpu``; skipped here).

Reference: the CPU autograd Function for the LIF family (whose operation order the
kernels mirror) and the functional steps under autograd for CLIF and ILIF. Spikes must be
identical in float32; gradients agree within 1e-5 relative (atol 1e-6 of the largest
entry, for entries that cancel to ~0). float16 runs compute in float32 registers, so
their spikes equal the float32 reference on the upcast input.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from snncompile.neurons.cpu import linear_lif_multistep as cpu_linear_lif
from snncompile.neurons.functional.common import SpikeConfig
from snncompile.neurons.kernels import (
    clif_multistep,
    cupy_unavailable_reason,
    ilif_multistep,
    linear_lif_multistep,
)
from snncompile.neurons.surrogate import Sigmoid
from tests.neurons.kernels._cases import COMBOS, ILIF_COMBOS, make_cfg
from tests.neurons.kernels._reference import clif_reference, ilif_reference

pytestmark = pytest.mark.gpu

#: [T, ...] shapes: odd sizes, T = 1, T = 256, several blocks, one partial block
SHAPES = [(1, 7), (8, 3, 1001), (256, 333), (5, 2, 3, 17, 17), (32, 4099)]


@pytest.fixture(scope="module", autouse=True)
def _need_gpu() -> None:
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    reason = cupy_unavailable_reason(torch.zeros(1, device="cuda"))
    if reason is not None:
        pytest.skip(reason)


def _close(actual: torch.Tensor, expected: torch.Tensor, what: str, rtol: float = 1e-5) -> None:
    ref = expected.detach().double().cpu().numpy()
    atol = 1e-6 * max(1.0, float(np.abs(ref).max(initial=0.0)))
    got = actual.detach().double().cpu().numpy()
    np.testing.assert_allclose(got, ref, rtol=rtol, atol=atol, err_msg=what)


def _assert_matches(
    smooth: bool, got: tuple[torch.Tensor, torch.Tensor], ref: tuple[torch.Tensor, torch.Tensor]
) -> None:
    """GPU (spikes, grad_x) against the reference's: spikes equal (close when graded)."""
    if smooth:
        _close(got[0], ref[0], "graded spikes")
    else:
        assert torch.equal(got[0], ref[0])
    _close(got[1], ref[1], "grad_x")


def _data(shape, seed, dtype=torch.float32):
    gen = torch.Generator().manual_seed(seed)
    x = 0.7 + 0.9 * torch.randn(shape, generator=gen)
    return x.to(dtype), torch.randn(shape, generator=gen).to(dtype)


def _run(fn, x0, w, *args, device="cpu"):
    x = x0.to(device).requires_grad_()
    params = [a.to(device).requires_grad_() if isinstance(a, torch.Tensor) else a for a in args]
    spikes = fn(x, *params)
    (spikes * w.to(device)).sum().backward()
    grads = [p.grad for p in params if isinstance(p, torch.Tensor)]
    return spikes.detach().cpu(), x.grad.cpu(), [g.cpu() for g in grads]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("reset", "surrogate", "detach", "smooth"), COMBOS)
def test_linear_lif_family(shape, reset, surrogate, detach, smooth):
    cfg = make_cfg(reset, surrogate, detach, smooth)
    x0, w = _data(shape, COMBOS.index((reset, surrogate, detach, smooth)) + SHAPES.index(shape))
    c = shape[-1]
    for alpha, beta in [
        (1.0, 0.5),  # LIF
        (1.0, torch.tensor(0.8)),  # PLIF
        (torch.tensor(0.76), torch.tensor(0.76)),  # DA-LIF per layer
        (0.2 + torch.rand(c), 0.2 + 0.7 * torch.rand(c)),  # DA-LIF per channel (last dim)
    ]:
        fn = lambda x, a, b: linear_lif_multistep(x, a, b, cfg)  # noqa: E731
        ref = lambda x, a, b: cpu_linear_lif(x, a, b, cfg)  # noqa: E731
        s_g, gx_g, gp_g = _run(fn, x0, w, alpha, beta, device="cuda")
        s_c, gx_c, gp_c = _run(ref, x0, w, alpha, beta)
        _assert_matches(smooth, (s_g, gx_g), (s_c, gx_c))
        for g, r in zip(gp_g, gp_c, strict=True):
            _close(g, r, "parameter grad", rtol=1e-4)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("reset", "surrogate", "detach", "smooth"), COMBOS)
def test_clif(shape, reset, surrogate, detach, smooth):
    cfg = make_cfg(reset, surrogate, detach, smooth)
    x0, w = _data(shape, 7)
    s_g, gx_g, _ = _run(lambda x: clif_multistep(x, 2.0, cfg), x0, w, device="cuda")
    s_c, gx_c, _ = _run(lambda x: clif_reference(x, 2.0, cfg)["spikes"], x0, w)
    _assert_matches(smooth, (s_g, gx_g), (s_c, gx_c))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("surrogate", "detach", "smooth"), ILIF_COMBOS)
@pytest.mark.parametrize("gain", [1.0, 0.7])
def test_ilif(shape, surrogate, detach, smooth, gain):
    cfg = make_cfg("soft", surrogate, detach, smooth)
    x0, w = _data(shape, 8)
    s_g, gx_g, _ = _run(lambda x: ilif_multistep(x, 1.1, cfg, 0.03, gain), x0, w, device="cuda")
    s_c, gx_c, _ = _run(lambda x: ilif_reference(x, 1.1, cfg, 0.03, gain)["spikes"], x0, w)
    _assert_matches(smooth, (s_g, gx_g), (s_c, gx_c))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision(shape, dtype):
    cfg = SpikeConfig()
    x0, w = _data(shape, 9, dtype)
    cases = [
        (
            lambda x: linear_lif_multistep(x, 1.0, 0.5, cfg),
            lambda x: cpu_linear_lif(x, 1.0, 0.5, cfg),
        ),
        (lambda x: clif_multistep(x, 2.0, cfg), lambda x: clif_reference(x, 2.0, cfg)["spikes"]),
        (
            lambda x: ilif_multistep(x, 1.1, SpikeConfig(surrogate=Sigmoid(4.0))),
            lambda x: ilif_reference(x, 1.1, SpikeConfig(surrogate=Sigmoid(4.0)))["spikes"],
        ),
    ]
    for kernel, reference in cases:
        s_g, gx_g, _ = _run(kernel, x0, w, device="cuda")
        s_c, gx_c, _ = _run(reference, x0.float(), w.float())
        assert s_g.dtype == dtype and gx_g.dtype == dtype
        assert torch.equal(s_g.float(), s_c)
        _close(gx_g, gx_c, "grad_x", rtol=1e-2 if dtype == torch.bfloat16 else 1e-3)


def test_parameter_gradients_are_deterministic_per_layer():
    x0, w = _data((16, 1 << 18), 10)
    grads = []
    for _ in range(2):
        beta = torch.tensor(0.8, device="cuda", requires_grad=True)
        x = x0.cuda().requires_grad_()
        (linear_lif_multistep(x, 1.0, beta, SpikeConfig()) * w.cuda()).sum().backward()
        grads.append(beta.grad.item())
    assert grads[0] == grads[1]


def test_large_per_channel_reduction_against_float64():
    shape = (8, 4, 64, 32, 32)  # 2^18 neurons, channel runs of 1024 across blocks
    x0, w = _data(shape, 11)
    a = 0.5 + 0.5 * torch.rand(64, 1, 1)
    b = 0.2 + 0.7 * torch.rand(64, 1, 1)
    cfg = SpikeConfig(surrogate=Sigmoid(4.0))
    _, _, gp_g = _run(
        lambda x, p, q: linear_lif_multistep(x, p, q, cfg), x0, w, a, b, device="cuda"
    )
    _, _, gp_c = _run(
        lambda x, p, q: cpu_linear_lif(x, p, q, cfg),
        x0.double(),
        w.double(),
        a.double(),
        b.double(),
    )
    for g, r in zip(gp_g, gp_c, strict=True):
        _close(g, r, "per-channel grad", rtol=1e-4)


def test_runs_on_torch_current_stream():
    x0, _ = _data((32, 1 << 20), 12)
    expected = linear_lif_multistep(x0.cuda(), 1.0, 0.5, SpikeConfig())
    stream = torch.cuda.Stream()
    with torch.cuda.stream(stream):
        x = x0.cuda(non_blocking=True) * 1.0  # queued on `stream`; the kernel must follow it
        got = linear_lif_multistep(x, 1.0, 0.5, SpikeConfig())
    stream.synchronize()
    assert torch.equal(got, expected)


def test_inference_allocates_only_the_spikes():
    x = torch.randn(16, 1 << 20, device="cuda")
    torch.cuda.synchronize()
    before = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    with torch.no_grad():
        s = clif_multistep(x, 2.0, SpikeConfig())
    torch.cuda.synchronize()
    assert torch.cuda.max_memory_allocated() - before <= s.numel() * s.element_size() + (1 << 20)
