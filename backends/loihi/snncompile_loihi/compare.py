"""Float-versus-quantised comparison, per layer: what the user sees after quantising.

For a spiking layer, with float spikes s_f and quantised spikes s_q, both [T, B, *shape]:

    spike_agreement    = mean(s_f == s_q)                  over every step, sample, neuron
    rate_float/fixed   = mean(s_f), mean(s_q)              spikes per neuron per step
    rate_drift         = rate_fixed − rate_float
    first_divergence   = min t such that s_f[t] != s_q[t] anywhere (None: identical)
    diverged_samples   = fraction of samples with any differing spike (None for the readout)

For the analog readout y (the output values per step):

    max_abs_error      = max |y_q − y_f|;   rel_error = mean|y_q − y_f| / mean|y_f|
    output_agreement   = mean(argmax Σ_t y_f == argmax Σ_t y_q) over samples (classes)

Both runs propagate their *own* spikes (end to end), so a divergence in one layer shows
up in the layers after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class LayerComparison:
    """The comparison of one layer (module docstring for the definitions)."""

    layer: str
    spiking: bool
    spike_agreement: float | None = None
    rate_float: float | None = None
    rate_fixed: float | None = None
    first_divergence: int | None = None
    diverged_samples: float | None = None
    max_abs_error: float | None = None
    rel_error: float | None = None

    @property
    def rate_drift(self) -> float | None:
        """rate_fixed − rate_float (spikes per neuron per step)."""
        if self.rate_float is None or self.rate_fixed is None:
            return None
        return self.rate_fixed - self.rate_float


@dataclass(frozen=True)
class QuantizationComparison:
    """Per-layer comparison plus the output (class) agreement."""

    layers: tuple[LayerComparison, ...]
    samples: int
    steps: int
    output_agreement: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (rate_drift included)."""
        rows = []
        for lay in self.layers:
            row = asdict(lay)
            row["rate_drift"] = lay.rate_drift
            rows.append(row)
        return {
            "samples": self.samples,
            "steps": self.steps,
            "output_agreement": self.output_agreement,
            "layers": rows,
        }

    def to_markdown(self) -> str:
        """A table: one row per layer."""
        lines = [
            f"Float vs fixed point on {self.samples} samples × {self.steps} steps"
            + (
                f"; output class agreement {self.output_agreement:.4f}"
                if self.output_agreement is not None
                else ""
            ),
            "",
            "| layer | spike agreement | rate float | rate fixed | drift | first diverging "
            "step | samples diverged | max abs err | rel err |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for c in self.layers:
            lines.append(
                f"| {c.layer} | {_f(c.spike_agreement, 5)} | {_f(c.rate_float)} | "
                f"{_f(c.rate_fixed)} | {_f(c.rate_drift, 4, signed=True)} | "
                f"{'—' if c.first_divergence is None else c.first_divergence} | "
                f"{_f(c.diverged_samples, 3)} | {_f(c.max_abs_error, 3, sci=True)} | "
                f"{_f(c.rel_error, 3, sci=True)} |"
            )
        return "\n".join(lines) + "\n"


def _f(value: float | None, digits: int = 4, *, signed: bool = False, sci: bool = False) -> str:
    if value is None:
        return "—"
    if sci:
        return f"{value:.{digits}g}"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def compare_spikes(layer: str, s_float: np.ndarray, s_fixed: np.ndarray) -> LayerComparison:
    """Compare two spike trains [T, B, ...] of one layer."""
    f = np.asarray(s_float) != 0
    q = np.asarray(s_fixed) != 0
    diff = f != q
    per_step = diff.reshape(diff.shape[0], -1).any(axis=1)
    per_sample = diff.reshape(diff.shape[0], diff.shape[1], -1).any(axis=(0, 2))
    first = int(np.argmax(per_step)) if per_step.any() else None
    return LayerComparison(
        layer=layer,
        spiking=True,
        spike_agreement=float(1.0 - diff.mean()) if diff.size else 1.0,
        rate_float=float(f.mean()) if f.size else 0.0,
        rate_fixed=float(q.mean()) if q.size else 0.0,
        first_divergence=first,
        diverged_samples=float(per_sample.mean()) if per_sample.size else 0.0,
    )


def compare_values(layer: str, y_float: np.ndarray, y_fixed: np.ndarray) -> LayerComparison:
    """Compare two analog traces [T, B, ...] of one layer (the readout)."""
    yf = np.asarray(y_float, dtype=np.float64)
    yq = np.asarray(y_fixed, dtype=np.float64)
    err = np.abs(yq - yf)
    scale = float(np.abs(yf).mean()) if yf.size else 0.0
    return LayerComparison(
        layer=layer,
        spiking=False,
        max_abs_error=float(err.max()) if err.size else 0.0,
        rel_error=float(err.mean() / scale) if scale > 0 else float(err.mean() if err.size else 0),
    )


def class_agreement(y_float: np.ndarray, y_fixed: np.ndarray) -> float:
    """Fraction of samples whose argmax over the time-summed outputs agree."""
    batch = np.asarray(y_float).shape[1]
    f = np.asarray(y_float).sum(axis=0).reshape(batch, -1).argmax(axis=1)
    q = np.asarray(y_fixed).sum(axis=0).reshape(batch, -1).argmax(axis=1)
    return float((f == q).mean())


def compare_runs(
    float_out: Mapping[str, np.ndarray],
    fixed_out: Mapping[str, np.ndarray],
    spiking: Mapping[str, bool],
) -> QuantizationComparison:
    """Build the comparison from per-layer outputs (spikes, or values for analog layers).

    Args:
        float_out, fixed_out: layer name → [T, B, *shape] output of the float and the
            quantised run (values in float units for analog layers).
        spiking: layer name → True for spiking layers, in layer order.
    """
    rows = []
    shape = (0, 0)
    for name, is_spiking in spiking.items():
        f, q = float_out[name], fixed_out[name]
        shape = f.shape[:2]
        rows.append(compare_spikes(name, f, q) if is_spiking else compare_values(name, f, q))
    last = list(spiking)[-1]
    agreement = None
    if not spiking[last]:
        agreement = class_agreement(float_out[last], fixed_out[last])
    return QuantizationComparison(tuple(rows), int(shape[1]), int(shape[0]), agreement)
