"""The fused CPU path of LIF / PLIF / DA-LIF (``cpu/linear_lif.py``): blocking, storage,
degenerate shapes.

Golden parity and the comparison with autograd through the functional step are in
``test_lif_family.py`` and ``test_modules.py``; the CUDA kernels are compared with this
path in ``kernels/test_emulation_linear.py``.
"""

from __future__ import annotations

import pytest
import torch

from snncompile.errors import InputError
from snncompile.neurons.cpu import _common, linear_lif_multistep
from snncompile.neurons.functional.common import SpikeConfig
from snncompile.neurons.functional.lif import LIFParams, lif_initial_state, lif_step
from snncompile.neurons.surrogate import Rectangle, Sigmoid
from tests.neurons._trace import saved_tensors

SHAPE = (6, 3, 5, 13)  # x[t]: [B=3, C=5, 13]: 195 neurons, 3 full blocks of 64 and 3 left
CONFIGS = [
    SpikeConfig(surrogate=Rectangle()),
    SpikeConfig(surrogate=Sigmoid(), detach_reset=True),
    SpikeConfig(surrogate=Sigmoid(), reset="hard", v_reset=-0.1),
    SpikeConfig(surrogate=Rectangle(0.8), reset="hard"),
]


def _params(kind: str, dtype: torch.dtype) -> tuple[float | torch.Tensor, float | torch.Tensor]:
    """α, β: LIF floats, per-layer 0-dim tensors, or per-channel (C, 1) tensors."""
    gen = torch.Generator().manual_seed(7)
    if kind == "float":
        return 1.0, 0.5
    if kind == "layer":
        return torch.tensor(0.9, dtype=dtype), torch.tensor(0.6, dtype=dtype)
    return tuple(  # type: ignore[return-value]
        (0.2 + 0.8 * torch.rand((5, 1), generator=gen, dtype=torch.float64)).to(dtype)
        for _ in range(2)
    )


def _run(x0, w, alpha, beta, fn):
    """Spikes and the gradients of x, α, β (None where not a tensor) on fresh leaves."""
    x = x0.clone().requires_grad_()
    params = [
        p.clone().requires_grad_() if isinstance(p, torch.Tensor) else p for p in (alpha, beta)
    ]
    s = fn(x, *params)
    (s * w).sum().backward()
    return [s.detach(), x.grad] + [p.grad if isinstance(p, torch.Tensor) else None for p in params]


def _loop(cfg: SpikeConfig):
    """The functional step looped over t, as a (x, α, β) -> spikes function."""

    def run(x, alpha, beta):
        state, out = lif_initial_state(x[0]), []
        params = LIFParams(beta=beta, alpha=alpha, config=cfg)
        for t in range(x.shape[0]):
            s, state = lif_step(x[t], state, params)
            out.append(s)
        return torch.stack(out)

    return run


def _data(dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(SHAPE, generator=gen, dtype=torch.float64) * 0.9 + 0.7
    return x.to(dtype), torch.randn(SHAPE, generator=gen, dtype=torch.float64).to(dtype)


@pytest.mark.parametrize("kind", ["float", "layer", "channel"])
@pytest.mark.parametrize(
    "cfg", CONFIGS, ids=["soft-rect", "soft-sig-detach", "hardv-sig", "hard-rect08"]
)
def test_blocks_are_bit_identical_to_one_block(monkeypatch, cfg, kind):
    """195 neurons in blocks of 64 (per-channel α/β sliced per block) give exactly the
    single-block results: spikes, grad_x and the α/β gradients, float32 and float64."""
    fn = lambda x, a, b: linear_lif_multistep(x, a, b, cfg)  # noqa: E731
    for dtype in (torch.float32, torch.float64):
        x0, w = _data(dtype)
        alpha, beta = _params(kind, dtype)
        whole = _run(x0, w, alpha, beta, fn)
        monkeypatch.setattr(_common, "BLOCK", 64)
        blocked = _run(x0, w, alpha, beta, fn)
        monkeypatch.setattr(_common, "BLOCK", None)
        assert 0.1 < whole[0].mean().item() < 0.7
        for name, a, b in zip(("spikes", "x", "alpha", "beta"), whole, blocked, strict=True):
            assert (a is None) == (b is None), name
            if a is not None:
                assert torch.equal(a, b), name


@pytest.mark.parametrize("kind", ["layer", "channel"])
@pytest.mark.parametrize(
    "cfg", CONFIGS, ids=["soft-rect", "soft-sig-detach", "hardv-sig", "hard-rect08"]
)
def test_blocked_path_equals_functional_reference(monkeypatch, cfg, kind):
    """float64, blocks of 64: identical spikes, gradients of x, α, β to 1e-12."""
    monkeypatch.setattr(_common, "BLOCK", 64)
    x0, w = _data(torch.float64)
    alpha, beta = _params(kind, torch.float64)
    got = _run(x0, w, alpha, beta, lambda x, a, b: linear_lif_multistep(x, a, b, cfg))
    want = _run(x0, w, alpha, beta, _loop(cfg))
    assert torch.equal(got[0], want[0])
    for name, a, b in zip(("x", "alpha", "beta"), got[1:], want[1:], strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12, msg=name)


def test_training_saves_h_and_the_parameters_only():
    """docs/neurons.md §8: H[0..T−1] (plus the 0-dim α, β); X only when α needs a gradient."""
    x = torch.randn(5, 2, 3, requires_grad=True)
    cfg = SpikeConfig()
    _, saved = saved_tensors(linear_lif_multistep, x, 1.0, 0.5, cfg)
    assert saved == [((5, 2, 3), torch.float32), ((), torch.float32), ((), torch.float32)]
    alpha = torch.tensor(0.9, requires_grad=True)
    _, saved = saved_tensors(linear_lif_multistep, x, alpha, 0.5, cfg)
    assert saved[:2] == [((5, 2, 3), torch.float32)] * 2  # H, and X by reference


def test_no_grad_stores_nothing_and_gives_the_same_spikes():
    x = torch.randn(6, 4, 7, requires_grad=True) + 0.8
    beta = torch.tensor(0.6, requires_grad=True)
    s_train = linear_lif_multistep(x, 1.0, beta, SpikeConfig())
    with torch.no_grad():
        s_eval, saved = saved_tensors(linear_lif_multistep, x, 1.0, beta, SpikeConfig())
    assert saved == [] and s_eval.grad_fn is None
    assert torch.equal(s_eval, s_train)
    s_frozen, saved = saved_tensors(linear_lif_multistep, x.detach(), 1.0, 0.6, SpikeConfig())
    assert saved == [] and s_frozen.grad_fn is None
    assert torch.equal(s_frozen, s_train)


def test_degenerate_shapes():
    """No steps, no neurons, no neuron axis; a 0-dim input is an InputError."""
    for shape in ((0, 5), (3, 0), (2, 0, 4), (3,)):
        x = torch.full(shape, 1.2, requires_grad=True)
        beta = torch.tensor(0.5, requires_grad=True)
        s = linear_lif_multistep(x, 1.0, beta, SpikeConfig())
        s.sum().backward()
        assert s.shape == x.grad.shape == x.shape
        assert beta.grad is not None and beta.grad.shape == ()
    s = linear_lif_multistep(torch.tensor([1.2, 0.0]), 1.0, 0.5, SpikeConfig())
    assert s.tolist() == [1.0, 0.0]
    with pytest.raises(InputError, match="0-dim"):
        linear_lif_multistep(torch.tensor(1.0), 1.0, 0.5, SpikeConfig())
