"""Time on a neuromorphic chip: per-step latency, latency per inference, throughput.

A chip's cores run in parallel and meet at a barrier at the end of every time step
(Davies et al. 2018), so with the work of each layer spread evenly over its cores
(:mod:`snncompile.energy.resources`)::

    t_core   = synops per step per core × t_synop + neuron updates per step per core
               × t_neuron_update
    t_step   = max over cores of t_core + t_barrier
    latency  = (T + D) × t_step       D = synaptic stages (each delays spikes one step)
    throughput = 1 / (T × t_step)     inferences per second, back to back (no host I/O)

synops per step = (Effective_ACs + Effective_MACs + Graded_SynOps) ÷ T of the layers
feeding the population (the mean step: a burst step is slower); every compartment is
updated every step. The per-operation times are the profile's ``timing`` block: Loihi 1
figures (Davies et al. 2018, Table 2, pre-silicon) and for Loihi 2, which has none
published, the same figures down to a tenth of them (Intel 2021: "up to 10×" faster).
So the model gives a **range** (fast end, slow end); the profile's measured ``t_step``
(PilotNet LIF on Loihi 2: 153 µs, host I/O included) is shown beside it, not mixed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from snncompile.energy.counts import NetworkCounts
from snncompile.energy.profile import HardwareProfile
from snncompile.energy.resources import ResourceEstimate

#: The synaptic-operation metrics one step's synaptic time is charged for.
SYNOP_METRICS = ("Effective_ACs", "Effective_MACs", "Graded_SynOps")


@dataclass(frozen=True)
class Timing:
    """Modelled time of one network on one chip (fast end, slow end), in seconds."""

    profile: str
    timesteps: int
    depth: int
    t_step_s: tuple[float, float]
    bottleneck: str
    sources: tuple[str, ...]

    @property
    def latency_s(self) -> tuple[float, float]:
        """(T + depth) × t_step: input of step 0 to the output of step T − 1."""
        n = self.timesteps + self.depth
        return n * self.t_step_s[0], n * self.t_step_s[1]

    @property
    def throughput_per_s(self) -> tuple[float, float]:
        """Inferences per second back to back, slow end first: 1 / (T × t_step)."""
        fast, slow = self.t_step_s
        return 1 / (self.timesteps * slow), 1 / (self.timesteps * fast)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (ranges as [fast, slow] or [low, high])."""
        return {
            "profile": self.profile,
            "timesteps": self.timesteps,
            "depth": self.depth,
            "t_step_s": list(self.t_step_s),
            "latency_s": list(self.latency_s),
            "throughput_per_s": list(self.throughput_per_s),
            "bottleneck": self.bottleneck,
            "sources": list(self.sources),
            "label": "estimate",
        }


def estimate_timing(
    counts: NetworkCounts, resources: ResourceEstimate, profile: HardwareProfile
) -> Timing | None:
    """The latency model of the module docstring; None when ``profile`` has no ``timing``."""
    synop, update, barrier = (
        profile.timing(k) for k in ("t_synop", "t_neuron_update", "t_barrier")
    )
    if synop is None or update is None or barrier is None:
        return None
    by_name = {layer.name: layer for layer in counts.layers}
    steps = max(counts.timesteps, 1)
    worst = [0.0, 0.0]
    bottleneck = ""
    for p in resources.placements:
        ops = sum(by_name[s].per_sample(m) for s in p.synaptic_layers for m in SYNOP_METRICS)
        per_core_ops = ops / steps / p.cores
        per_core_updates = p.neurons / p.cores
        fast = per_core_ops * synop[0] + per_core_updates * update[0]
        slow = per_core_ops * synop[1] + per_core_updates * update[1]
        if slow > worst[1]:
            bottleneck = p.layer
        worst = [max(worst[0], fast), max(worst[1], slow)]
    t_step = (worst[0] + barrier[0], worst[1] + barrier[1])
    sources = tuple(
        f"{key}: {const.note} ({const.basis}) [{const.cite_id}]"
        for key, (_, _, const) in (
            ("t_synop", synop),
            ("t_neuron_update", update),
            ("t_barrier", barrier),
        )
    )
    return Timing(
        profile.name, counts.timesteps, len(resources.placements), t_step, bottleneck, sources
    )
