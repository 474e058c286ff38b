"""References for the kernel tests: the functional steps looped over time (the spec).

The LIF family is also compared with ``snncompile.neurons.cpu.linear_lif_multistep``,
whose operation order the kernels mirror bit for bit; CLIF and ILIF with the functional
steps under autograd, whose rounding order the kernels' backwards mirror.
"""

from __future__ import annotations

import torch

from snncompile.neurons.functional.clif import CLIFParams, clif_initial_state, clif_step
from snncompile.neurons.functional.common import SpikeConfig
from snncompile.neurons.functional.ilif import ILIFParams, ilif_initial_state, ilif_step


def clif_reference(x: torch.Tensor, tau: float, cfg: SpikeConfig) -> dict[str, torch.Tensor]:
    """Spikes, H, m and V of the functional CLIF step looped over t (autograd-aware)."""
    state, params = clif_initial_state(x[0]), CLIFParams(tau=tau, config=cfg)
    out: dict[str, list[torch.Tensor]] = {"spikes": [], "h": [], "m": [], "v": []}
    for t in range(x.shape[0]):
        s, state = clif_step(x[t], state, params)
        for key, value in (("spikes", s), ("h", state.h), ("m", state.m), ("v", state.v)):
            out[key].append(value)
    return {k: torch.stack(v) for k, v in out.items()}


def ilif_reference(
    x: torch.Tensor, tau: float, cfg: SpikeConfig, ci: float = 0.03, gain: float = 1.0
) -> dict[str, torch.Tensor]:
    """Spikes, H, M, V and I of the functional ILIF step looped over t (autograd-aware)."""
    state = ilif_initial_state(x[0])
    params = ILIFParams(tau=tau, config=cfg, current_inhibition=ci, membrane_inhibition=gain)
    out: dict[str, list[torch.Tensor]] = {"spikes": [], "h": [], "m": [], "v": [], "i": []}
    for t in range(x.shape[0]):
        s, state = ilif_step(x[t], state, params)
        pairs = (("spikes", s), ("h", state.h), ("m", state.m), ("v", state.v), ("i", state.i))
        for key, value in pairs:
            out[key].append(value)
    return {k: torch.stack(v) for k, v in out.items()}
