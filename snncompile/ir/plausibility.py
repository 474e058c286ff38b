"""Plausibility checks of a foreign NIR graph under the preset it is read with.

A file read with the wrong preset usually still runs, silently wrong: Norse files read
without Norse's ``tau_scale`` leak in one step, files that store the true τ read with it
never leak and never fire (docs/nir.md §5). These checks name the probable mix-up:

- a true time constant τ·tau_scale shorter than dt (the euler state overshoots: β < 0;
  the exact one forgets itself every step);
- under ``input_gain="nir"``, an input gain (dt/τ)·r below :data:`SMALL_GAIN` (the
  neuron integrates too little to reach its threshold in a realistic run);
- a threshold that is zero or negative (the neuron fires on every step);
- a run in which no spiking node ever spikes (:func:`silent_run_note`).
"""

from __future__ import annotations

from collections.abc import Mapping

import nir
import numpy as np

from snncompile.ir.graph import Graph

#: An input gain (dt/τ)·r below this leaves a state that hardly moves.
SMALL_GAIN = 1e-3

#: The time-constant fields of each NIR neuron, with the gain field each one scales.
_TAUS: Mapping[type, dict[str, str]] = {
    nir.LI: {"tau": "r"},
    nir.LIF: {"tau": "r"},
    nir.CubaLI: {"tau_mem": "r", "tau_syn": "w_in"},
    nir.CubaLIF: {"tau_mem": "r", "tau_syn": "w_in"},
}
_THRESHOLDED = (nir.IF, nir.LIF, nir.CubaLIF, nir.Threshold)

_PRESET_HINT = (
    "read it with the preset of the framework that wrote it (--dialect NAME; "
    "`snncompile dialects` lists them)"
)


def _input_gain(node: nir.NIRNode, field: str, tau: np.ndarray, dt: float) -> float:
    """The largest input gain (dt/τ)·r of the state with time constant ``field``."""
    factor = np.asarray(getattr(node, _TAUS[type(node)][field]), dtype=np.float64)
    return float(np.max(np.abs(np.broadcast_to(factor, tau.shape)) * dt / tau))


def _too_fast(integrator: str) -> str:
    if integrator == "euler":
        return "the state overshoots every step (beta = 1 - dt/tau < 0)"
    return "the state forgets almost all of itself every step (beta = exp(-dt/tau) < 0.37)"


def plausibility_notes(graph: Graph, dialect: str) -> list[str]:
    """Warnings about parameters that look written for another preset than ``dialect``."""
    notes: list[str] = []
    for name, node in graph.nodes.items():
        profile = graph.node_profile(name)
        dt = float(profile.dt)
        unit = profile.time_unit
        for field in _TAUS.get(type(node), {}):
            tau = np.asarray(getattr(node, field), dtype=np.float64) * float(profile.tau_scale)
            if tau.size == 0:
                continue
            shortest, longest = float(tau.min()), float(tau.max())
            scale = f" (file value x tau_scale {profile.tau_scale:g})"
            if shortest < dt:
                notes.append(
                    f"{dialect} dialect: node {name!r} {field} = {shortest:g} {unit}{scale} is "
                    f"shorter than dt = {dt:g} {unit}, so {_too_fast(profile.integrator)}; "
                    "Norse files store dt*tau (--dialect norse), sinabs files tau in steps "
                    f"(--dialect sinabs); otherwise {_PRESET_HINT}"
                )
                continue
            gain = _input_gain(node, field, tau, dt) if profile.input_gain == "nir" else None
            if gain is not None and gain < SMALL_GAIN:
                notes.append(
                    f"{dialect} dialect: node {name!r} {field} = {longest:g} {unit}{scale} is "
                    f"{longest / dt:.3g} steps of dt = {dt:g} {unit}, so it integrates its "
                    f"input at a gain of at most {gain:.3g} and hardly fires; if the file "
                    "stores the true time constant (older Norse files such as the NIR "
                    f"paper's lif_norse.nir) add --set tau_scale=1; otherwise {_PRESET_HINT}"
                )
        if isinstance(node, _THRESHOLDED):
            field = "threshold" if isinstance(node, nir.Threshold) else "v_threshold"
            theta = np.asarray(getattr(node, field), dtype=np.float64)
            if theta.size and float(theta.min()) <= 0:
                notes.append(
                    f"{dialect} dialect: node {name!r} {field} = {float(theta.min()):g} <= 0, "
                    "so it fires on every step whatever its input; check that the file was "
                    f"exported as intended, or {_PRESET_HINT}"
                )
    return notes


def silent_run_note(spike_counts: Mapping[str, float], dialect: str | None) -> str | None:
    """A warning when no spiking node spiked in a run (None when one did or none exists).

    Args:
        spike_counts: total spikes per spiking node over the run.
        dialect: the preset the graph was read with (None: snncompile's own file).
    """
    if not spike_counts or any(count > 0 for count in spike_counts.values()):
        return None
    preset = f"the {dialect!r} preset" if dialect else "the file's own profile"
    return (
        f"no layer spiked in this run ({len(spike_counts)} spiking node(s), 0 spikes) under "
        f"{preset}: a foreign file read with another framework's preset often integrates "
        f"at the wrong gain or time scale; {_PRESET_HINT}, or check the input scale"
    )
