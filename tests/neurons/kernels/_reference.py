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
from tests.neurons._trace import step_trace


def clif_reference(x: torch.Tensor, tau: float, cfg: SpikeConfig) -> dict[str, torch.Tensor]:
    """Spikes, H, m and V of the functional CLIF step looped over t (autograd-aware)."""
    params = CLIFParams(tau=tau, config=cfg)
    return step_trace(clif_step, clif_initial_state(x[0]), x, params, ("h", "m", "v"))


def ilif_reference(
    x: torch.Tensor, tau: float, cfg: SpikeConfig, ci: float = 0.03, gain: float = 1.0
) -> dict[str, torch.Tensor]:
    """Spikes, H, M, V and I of the functional ILIF step looped over t (autograd-aware)."""
    params = ILIFParams(tau=tau, config=cfg, current_inhibition=ci, membrane_inhibition=gain)
    return step_trace(ilif_step, ilif_initial_state(x[0]), x, params, ("h", "m", "v", "i"))
