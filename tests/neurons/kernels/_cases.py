"""Test matrices of the kernel tests, and the kernel specialisations each one needs.

The emulation library is compiled once per session with exactly :func:`emulation_specs`
(the union over every case below); :func:`nvcc_specs` is a smaller matrix in which every
template-argument value of every kernel occurs, compiled by nvcc for sm_80 and sm_90.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import torch

from snncompile.neurons.functional.common import SpikeConfig
from snncompile.neurons.kernels import clif as kclif
from snncompile.neurons.kernels import ilif as kilif
from snncompile.neurons.kernels import linear_lif as klin
from snncompile.neurons.kernels._common import P_CHANNEL, P_CONST, P_LAYER, ParamLayout
from snncompile.neurons.kernels._common import prepare_param as _prepare
from snncompile.neurons.kernels._source import KernelSpec
from snncompile.neurons.surrogate import ATan, Rectangle, Sigmoid, Surrogate

SURROGATES: dict[str, Surrogate] = {
    "rect": Rectangle(1.0),
    "rect08": Rectangle(0.8),
    "sigmoid": Sigmoid(4.0),
    "atan": ATan(2.0),
}
#: name -> (reset, v_reset); "hardv" also exercises the hard-reset leak (1 − β)·v_reset
RESETS = {"soft": ("soft", 0.0), "hard0": ("hard", 0.0), "hardv": ("hard", -0.1)}
F32, F64 = torch.float32, torch.float64
HALVES = (torch.float16, torch.bfloat16)

#: host emulation against the references: (rtol, atol relative to max |reference|) per dtype
TOL = {torch.float32: (1e-5, 1e-6), torch.float64: (1e-10, 1e-12)}
SHAPES = [(6, 3, 167), (1, 201), (13, 2, 5, 9)]  # 2 blocks, T = 1, 4-D


def assert_close(
    actual: torch.Tensor, expected: torch.Tensor, dtype: torch.dtype, what: str, scale: float = 1.0
) -> None:
    """``actual`` ≈ ``expected`` within :data:`TOL` of ``dtype``, the atol scaled by
    ``scale`` and by max(1, max |expected|)."""
    rtol, atol = TOL[dtype]
    ref = expected.detach().double().numpy()
    bound = atol * scale * max(1.0, float(np.abs(ref).max(initial=0.0)))
    np.testing.assert_allclose(actual.double().numpy(), ref, rtol=rtol, atol=bound, err_msg=what)


def make_cfg(reset: str, surrogate: str, detach: bool = False, smooth: bool = False) -> SpikeConfig:
    mode, v_reset = RESETS[reset]
    return SpikeConfig(
        surrogate=SURROGATES[surrogate],
        reset=mode,  # type: ignore[arg-type]
        v_reset=v_reset,
        detach_reset=detach,
        smooth=smooth,
    )


#: every reset / surrogate / detach / smooth combination (LIF family and CLIF)
COMBOS = list(itertools.product(RESETS, ("rect", "sigmoid", "atan"), (False, True), (False, True)))
#: ILIF is soft-reset only; it varies the membrane-inhibition gain instead
ILIF_COMBOS = list(itertools.product(("rect", "sigmoid", "atan"), (False, True), (False, True)))
ILIF_GAINS = (1.0, 0.7)


@dataclass(frozen=True)
class ParamCase:
    """A linear-LIF parameter setup: x shape; α, β as float, ("layer", v) or ("channel", shape)."""

    name: str
    shape: tuple[int, ...]
    alpha: object
    beta: object
    x_grad: bool = True


PARAM_CASES = [
    ParamCase("lif", (7, 3, 37), 1.0, 0.75),
    ParamCase("plif", (5, 2, 45), 1.0, ("layer", 0.8)),
    ParamCase("dalif_layer", (6, 301), ("layer", 0.7616), ("layer", 0.7616)),
    ParamCase("conv_per_channel", (5, 2, 3, 4, 5), ("channel", (3, 1, 1)), ("channel", (3, 1, 1))),
    ParamCase("linear_per_channel", (4, 6, 93), ("channel", (93,)), 0.6),
    ParamCase("layer_one_alpha_channel_beta", (5, 2, 3, 11), ("layer", 1.0), ("channel", (3, 1))),
    ParamCase("noncontiguous_dims", (3, 4, 5, 6), 1.0, ("channel", (4, 1, 6))),
    ParamCase("middle_dims", (6, 2, 5, 7), ("channel", (5, 1)), ("channel", (1, 5, 1))),
    ParamCase("inner_beyond_block", (3, 2, 4, 300), ("channel", (4, 1)), ("layer", 0.9)),
    ParamCase("T1_odd", (1, 257), ("layer", 0.5), ("layer", 0.3)),
    ParamCase("x_without_grad", (4, 5, 13), ("channel", (13,)), ("layer", 0.7), x_grad=False),
]
PARAM_CFGS = [("soft", "rect", False, False), ("hardv", "sigmoid", False, False)]


def param_values(spec: object, seed: int) -> float | torch.Tensor:
    """A float, or a leaf tensor with values in (0.2, 1) for a ("layer"|"channel", …) spec."""
    if not isinstance(spec, tuple):
        return float(spec)  # type: ignore[arg-type]
    kind, arg = spec
    gen = torch.Generator().manual_seed(seed)
    if kind == "layer":
        return torch.tensor(float(arg), dtype=torch.float64)
    return 0.2 + 0.8 * torch.rand(arg, generator=gen, dtype=torch.float64)


def layouts(case: ParamCase, dtype: torch.dtype) -> tuple[ParamLayout, ParamLayout]:
    x = torch.empty(case.shape, dtype=dtype)
    a = _prepare(param_values(case.alpha, 0), x, "alpha")[1]
    b = _prepare(param_values(case.beta, 1), x, "beta")[1]
    return a, b


def linear_specs(
    dtype: torch.dtype, cfg: SpikeConfig, a: ParamLayout, b: ParamLayout, grads: tuple[bool, ...]
) -> list[KernelSpec]:
    g = (grads[0], grads[1] and a.mode != P_CONST, grads[2] and b.mode != P_CONST)
    return [klin.fwd_spec(dtype, cfg, a, b, True), klin.bwd_spec(dtype, cfg, a, b, g)]


LAYER = ParamLayout(P_LAYER)
CONST = ParamLayout(P_CONST, value=1.0)
CHANNEL = ParamLayout(P_CHANNEL, inner=3, channels=5)


def emulation_specs() -> set[KernelSpec]:
    """Every specialisation the emulation tests launch."""
    specs: set[KernelSpec] = set()
    for dtype in (F32, F64):
        for combo in COMBOS:
            cfg = make_cfg(*combo)
            specs.update(linear_specs(dtype, cfg, LAYER, LAYER, (True, True, True)))
            specs.update([kclif.fwd_spec(dtype, cfg, True), kclif.bwd_spec(dtype, cfg)])
            specs.add(kclif.fwd_spec(dtype, cfg, True, record=True))
        for (sg, detach, smooth), gain in itertools.product(ILIF_COMBOS, ILIF_GAINS):
            cfg = make_cfg("soft", sg, detach, smooth)
            specs.update([kilif.fwd_spec(dtype, cfg, gain, True), kilif.bwd_spec(dtype, cfg, gain)])
            specs.add(kilif.fwd_spec(dtype, cfg, gain, True, record=True))
        for case, combo in itertools.product(PARAM_CASES, PARAM_CFGS):
            a, b = layouts(case, dtype)
            specs.update(linear_specs(dtype, make_cfg(*combo), a, b, (case.x_grad, True, True)))
        # golden files (record mode) and inference (no_grad) forwards
        cfg_lif, cfg_ilif = make_cfg("soft", "rect"), make_cfg("soft", "sigmoid")
        specs.update(
            [
                klin.fwd_spec(dtype, cfg_lif, CONST, CONST, True, True),
                klin.bwd_spec(dtype, cfg_lif, CONST, CONST, (True, False, False)),
                klin.fwd_spec(dtype, cfg_lif, LAYER, LAYER, True, True),
                kclif.fwd_spec(dtype, cfg_lif, True, True),
                kilif.fwd_spec(dtype, cfg_ilif, 1.0, True, True),
            ]
        )
        for combo in (("soft", "rect"), ("hardv", "sigmoid")):
            cfg = make_cfg(*combo)
            specs.update([klin.fwd_spec(dtype, cfg, CONST, LAYER, False)])
            specs.update([kclif.fwd_spec(dtype, cfg, False)])
        specs.add(kilif.fwd_spec(dtype, cfg_ilif, 1.0, False))
    for combo in (("soft", "sigmoid"), ("hard0", "sigmoid")):  # benchmarks/kernels_gpu.py
        cfg = make_cfg(*combo)
        specs.add(klin.fwd_spec(F32, cfg, CONST, CONST, False))
        specs.update(linear_specs(F32, cfg, CONST, CONST, (True, False, False)))
        specs.update(linear_specs(F32, cfg, CONST, LAYER, (True, False, True)))
        specs.add(klin.fwd_spec(F32, cfg, CONST, LAYER, False))
    specs.add(klin.fwd_spec(F32, make_cfg("soft", "rect"), LAYER, LAYER, False))
    specs.update(half_specs())
    return specs


HALF_CFGS = [("soft", "rect"), ("hardv", "sigmoid")]


def half_specs() -> set[KernelSpec]:
    specs: set[KernelSpec] = set()
    for dtype, combo in itertools.product(HALVES, HALF_CFGS):
        cfg = make_cfg(*combo)
        specs.update(linear_specs(dtype, cfg, CONST, CONST, (True, False, False)))
        specs.update(linear_specs(dtype, cfg, LAYER, LAYER, (True, True, True)))
        specs.update([kclif.fwd_spec(dtype, cfg, True), kclif.bwd_spec(dtype, cfg)])
    for dtype in HALVES:
        cfg = make_cfg("soft", "sigmoid")
        specs.update([kilif.fwd_spec(dtype, cfg, 1.0, True), kilif.bwd_spec(dtype, cfg, 1.0)])
    return specs


def nvcc_specs() -> list[KernelSpec]:
    """Every template-argument value of every kernel at least once, every dtype everywhere.

    Per kernel: the default configuration in all four dtypes; every reset / surrogate /
    detach / smooth / flag value in float32; every pair of parameter modes of the LIF
    family in float32, per-channel gradients in float64 (double atomicAdd); inference
    and record forwards.
    """
    specs: set[KernelSpec] = set()
    base = make_cfg("soft", "rect")
    for dtype in (F32, F64, *HALVES):
        specs.update(linear_specs(dtype, base, CONST, CONST, (True, False, False)))
        specs.update(linear_specs(dtype, base, LAYER, CHANNEL, (True, True, True)))
        specs.update([kclif.fwd_spec(dtype, base, True), kclif.bwd_spec(dtype, base)])
        specs.update([kilif.fwd_spec(dtype, base, 1.0, True), kilif.bwd_spec(dtype, base, 1.0)])
    for reset, sg in itertools.product(RESETS, ("rect", "sigmoid", "atan")):
        for detach, smooth in ((False, False), (True, True)):
            cfg = make_cfg(reset, sg, detach, smooth)
            specs.update(linear_specs(F32, cfg, LAYER, LAYER, (True, True, True)))
            specs.update([kclif.fwd_spec(F32, cfg, True), kclif.bwd_spec(F32, cfg)])
            if reset == "soft":
                for gain in ILIF_GAINS:
                    specs.add(kilif.fwd_spec(F32, cfg, gain, True))
                    specs.add(kilif.bwd_spec(F32, cfg, gain))
    for a, b in itertools.product((CONST, LAYER, CHANNEL), repeat=2):
        specs.update(linear_specs(F32, base, a, b, (True, True, True)))
    specs.update(linear_specs(F32, base, LAYER, CHANNEL, (False, True, True)))
    specs.update(linear_specs(F64, base, CHANNEL, CHANNEL, (True, True, True)))
    for dtype in (F32, F64):  # inference and record forwards
        specs.add(klin.fwd_spec(dtype, base, CONST, CONST, False))
        specs.add(klin.fwd_spec(dtype, base, CONST, CONST, True, True))
        specs.add(kclif.fwd_spec(dtype, base, False, True))
        specs.add(kilif.fwd_spec(dtype, base, 1.0, False, True))
    return sorted(specs, key=lambda s: s.symbol)
