"""CLIF and ILIF kernels (host emulation) against the functional steps under autograd.

The kernels round every operation as the functional steps (and autograd's backward of
them) do, and evaluate sigmoid with SLEEF's expf as torch's CPU sigmoid does, so float32
results agree to round-off (bit for bit on these inputs, except the smooth ATan
primitive, whose atanf differs from torch's by an ulp).
"""

from __future__ import annotations

import pytest
import torch

from snncompile.neurons.functional.common import SpikeConfig
from snncompile.neurons.kernels import clif_multistep, ilif_multistep
from snncompile.neurons.kernels.clif import clif_states
from snncompile.neurons.kernels.ilif import ilif_states
from snncompile.neurons.surrogate import Sigmoid
from tests.neurons.kernels._cases import (
    COMBOS,
    HALF_CFGS,
    HALVES,
    ILIF_COMBOS,
    ILIF_GAINS,
    SHAPES,
    assert_close,
    make_cfg,
)
from tests.neurons.kernels._reference import clif_reference, ilif_reference

TAUS = [2.0, 1.7, 3.3]


def _spikes(actual, expected, cfg, dtype):
    if cfg.smooth:
        assert_close(actual, expected, dtype, "graded spikes")
    else:
        assert torch.equal(actual, expected.detach()), "spikes differ"


def _data(shape, dtype, seed, mean=0.7, std=0.9):
    gen = torch.Generator().manual_seed(seed)
    x0 = (mean + std * torch.randn(shape, generator=gen)).to(dtype)
    return x0, torch.randn(shape, generator=gen).to(dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("reset", "surrogate", "detach", "smooth"), COMBOS)
def test_clif_every_combination(emu, reset, surrogate, detach, smooth, dtype):
    index = COMBOS.index((reset, surrogate, detach, smooth))
    cfg = make_cfg(reset, surrogate, detach, smooth)
    tau = TAUS[index % len(TAUS)]
    x0, w = _data(SHAPES[index % len(SHAPES)], dtype, index)
    x_ref, x_k = x0.clone().requires_grad_(), x0.clone().requires_grad_()
    ref = clif_reference(x_ref, tau, cfg)
    (ref["spikes"] * w).sum().backward()
    s, h, m, v = clif_states(x0, tau, cfg)
    _spikes(s, ref["spikes"], cfg, dtype)
    for name, got in (("h", h), ("m", m), ("v", v)):
        assert_close(got, ref[name], dtype, name)
    spikes = clif_multistep(x_k, tau, cfg)
    _spikes(spikes.detach(), ref["spikes"], cfg, dtype)
    (spikes * w).sum().backward()
    assert_close(x_k.grad, x_ref.grad, dtype, "grad_x")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("gain", ILIF_GAINS)
@pytest.mark.parametrize(("surrogate", "detach", "smooth"), ILIF_COMBOS)
def test_ilif_every_combination(emu, surrogate, detach, smooth, gain, dtype):
    index = ILIF_COMBOS.index((surrogate, detach, smooth)) + 7 * ILIF_GAINS.index(gain)
    cfg = make_cfg("soft", surrogate, detach, smooth)
    tau, ci = TAUS[index % len(TAUS)], (0.03, 0.2)[index % 2]
    x0, w = _data(SHAPES[index % len(SHAPES)], dtype, 100 + index)
    x_ref, x_k = x0.clone().requires_grad_(), x0.clone().requires_grad_()
    ref = ilif_reference(x_ref, tau, cfg, ci, gain)
    (ref["spikes"] * w).sum().backward()
    st = ilif_states(x0, tau, cfg, ci, gain)
    _spikes(st["spikes"], ref["spikes"], cfg, dtype)
    for name in ("h", "m", "v", "i"):
        assert_close(st[name], ref[name], dtype, name)
    spikes = ilif_multistep(x_k, tau, cfg, ci, gain)
    _spikes(spikes.detach(), ref["spikes"], cfg, dtype)
    (spikes * w).sum().backward()
    assert_close(x_k.grad, x_ref.grad, dtype, "grad_x")


def _mask_bits(mask: torch.Tensor, steps: int) -> torch.Tensor:
    """[T, N] bool clamp mask unpacked from the kernel's [ceil(T/32), N] int32 words."""
    words = mask.to(torch.int64) & 0xFFFFFFFF
    t = torch.arange(steps)
    return ((words[t // 32] >> (t % 32)[:, None]) & 1).bool()


@pytest.mark.parametrize("steps", [33, 64, 70])
def test_ilif_negative_inhibition_and_long_sequences(emu, steps):
    """τ = 5 and heavy-tailed inputs make I[t] < 0 (κ = 0, the clamp blocks the
    gradient); T > 32 spreads the bit-packed mask over several words."""
    cfg = SpikeConfig(surrogate=Sigmoid(4.0))
    x0, w = _data((steps, 2, 97), torch.float32, steps, mean=0.5, std=2.5)
    st = ilif_states(x0, 5.0, cfg, 0.1)
    kappa = _mask_bits(st["mask"], steps).reshape(steps, 2, 97)
    x_ref, x_k = x0.clone().requires_grad_(), x0.clone().requires_grad_()
    ref = ilif_reference(x_ref, 5.0, cfg, 0.1)
    assert torch.equal(kappa, ref["i"].detach() >= 0)
    assert not bool(kappa.all()), "the input should drive I below zero somewhere"
    (ref["spikes"] * w).sum().backward()
    spikes = ilif_multistep(x_k, 5.0, cfg, 0.1)
    assert torch.equal(spikes.detach(), ref["spikes"].detach())
    (spikes * w).sum().backward()
    assert_close(x_k.grad, x_ref.grad, torch.float32, "grad_x")


def _half_precision(dtype, seed, reference, kernel):
    """``reference`` in float32 and ``kernel`` in ``dtype`` on the same input, each then
    backwarded through Σ spikes·w: (spikes, grad_x, reference spikes, reference grad_x)."""
    x0, w = _data((5, 3, 29), dtype, seed)
    x_ref = x0.float().requires_grad_()
    ref = reference(x_ref)
    (ref["spikes"] * w.float()).sum().backward()
    x_k = x0.clone().requires_grad_()
    spikes = kernel(x_k)
    (spikes * w).sum().backward()
    return spikes.detach(), x_k.grad, ref["spikes"].detach(), x_ref.grad


@pytest.mark.parametrize("combo", HALF_CFGS)
@pytest.mark.parametrize("dtype", HALVES)
def test_clif_half_precision(emu, dtype, combo):
    cfg = make_cfg(*combo)
    spikes, grad, ref_spikes, ref_grad = _half_precision(
        dtype, 5, lambda x: clif_reference(x, 2.0, cfg), lambda x: clif_multistep(x, 2.0, cfg)
    )
    assert spikes.dtype == dtype
    assert torch.equal(spikes.float(), ref_spikes)
    assert torch.equal(grad, ref_grad.to(dtype))


@pytest.mark.parametrize("dtype", HALVES)
def test_ilif_half_precision(emu, dtype):
    cfg = SpikeConfig(surrogate=Sigmoid(4.0))
    spikes, grad, ref_spikes, ref_grad = _half_precision(
        dtype, 6, lambda x: ilif_reference(x, 1.1, cfg), lambda x: ilif_multistep(x, 1.1, cfg)
    )
    assert torch.equal(spikes.float(), ref_spikes)
    assert torch.equal(grad, ref_grad.to(dtype))


def test_inference_paths_store_nothing(emu):
    x = 0.7 + torch.randn(5, 3, 41, generator=torch.Generator().manual_seed(9))
    for combo in (("soft", "rect"), ("hardv", "sigmoid")):
        cfg = make_cfg(*combo)
        ref = clif_reference(x, 2.0, cfg)["spikes"]
        assert torch.equal(clif_multistep(x, 2.0, cfg), ref)
        assert emu.launched[-1].kernel == "clif_fwd" and emu.launched[-1].targs[5] == 0
    cfg = SpikeConfig(surrogate=Sigmoid(4.0))
    with torch.no_grad():
        s = ilif_multistep(x.requires_grad_(), 1.1, cfg)
    assert torch.equal(s, ilif_reference(x.detach(), 1.1, cfg)["spikes"])
    assert emu.launched[-1].kernel == "ilif_fwd" and emu.launched[-1].targs[4] == 0


def test_clif_and_ilif_reject_what_they_do_not_support(emu):
    from snncompile.errors import ConfigError, InputError

    x = torch.zeros(3, 4)
    with pytest.raises(ConfigError, match="soft reset"):
        ilif_multistep(x, 2.0, SpikeConfig(reset="hard"))
    with pytest.raises(ConfigError, match="tau"):
        clif_multistep(x, 0.0, SpikeConfig())
    with pytest.raises(InputError, match="0-dim"):
        clif_multistep(torch.tensor(1.0), 2.0, SpikeConfig())
    with pytest.raises(InputError, match="dtype"):
        ilif_multistep(torch.zeros(3, 4, dtype=torch.int32), 2.0, SpikeConfig())


@pytest.mark.parametrize(("reset", "surrogate", "detach", "smooth"), COMBOS)
def test_clif_matches_the_cpu_function(emu, reset, surrogate, detach, smooth):
    """The CuPy kernels' twin, ``snncompile.neurons.cpu.clif_multistep``."""
    from snncompile.neurons.cpu import clif_multistep as cpu_clif

    cfg = make_cfg(reset, surrogate, detach, smooth)
    x0, w = _data((7, 2, 131), torch.float32, 3)
    x_c, x_k = x0.clone().requires_grad_(), x0.clone().requires_grad_()
    s_c, s_k = cpu_clif(x_c, 1.7, cfg), clif_multistep(x_k, 1.7, cfg)
    _spikes(s_k.detach(), s_c, cfg, torch.float32)
    (s_c * w).sum().backward()
    (s_k * w).sum().backward()
    assert_close(x_k.grad, x_c.grad, torch.float32, "grad_x")


@pytest.mark.parametrize("gain", ILIF_GAINS)
@pytest.mark.parametrize(("surrogate", "detach", "smooth"), ILIF_COMBOS)
def test_ilif_matches_the_cpu_function(emu, surrogate, detach, smooth, gain):
    """The CuPy kernels' twin, ``snncompile.neurons.cpu.ilif_multistep``."""
    from snncompile.neurons.cpu import ilif_multistep as cpu_ilif

    cfg = make_cfg("soft", surrogate, detach, smooth)
    x0, w = _data((7, 2, 131), torch.float32, 4, std=1.5)
    x_c, x_k = x0.clone().requires_grad_(), x0.clone().requires_grad_()
    s_c, s_k = cpu_ilif(x_c, 3.3, cfg, 0.1, gain), ilif_multistep(x_k, 3.3, cfg, 0.1, gain)
    _spikes(s_k.detach(), s_c, cfg, torch.float32)
    (s_c * w).sum().backward()
    (s_k * w).sum().backward()
    assert_close(x_k.grad, x_c.grad, torch.float32, "grad_x")
