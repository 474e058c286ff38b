"""Report plots as PNG bytes (matplotlib's object API, no pyplot, no global state).

PNGs are deterministic for the same inputs and matplotlib version: the ``Software``
metadata entry (which carries the matplotlib version) is removed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from snncompile.energy.pricing import CATEGORIES
from snncompile.errors import BackendUnavailableError

if TYPE_CHECKING:
    from snncompile.energy.report import EnergyReport
    from snncompile.energy.summary import ProfileSummary

_COLOURS = {
    "synaptic": "#4477aa",
    "macs": "#ee6677",
    "graded": "#aa3377",
    "neuron": "#228833",
    "spikes": "#ccbb44",
    "memory": "#66ccee",
    "static": "#bbbbbb",
}


def _figure(width: float, height: float) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise BackendUnavailableError(
            "the HTML energy report needs matplotlib", hint="pip install matplotlib"
        ) from exc
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def firing_rate_png(report: EnergyReport) -> bytes:
    """Bar chart: firing rate of every neuron layer (spikes ÷ (neurons × T)), by module."""
    from snncompile.energy.report import layer_label

    layers = [x for x in report.counts.layers if x.kind == "neuron"]
    fig = _figure(8, 3.2)
    ax = fig.subplots()
    names = [layer_label(report, x.name) for x in layers]
    rates = [100 * (x.firing_rate or 0.0) for x in layers]
    bars = ax.bar(names, rates, color="#4477aa")
    ax.bar_label(bars, labels=[f"{r:.1f} %" for r in rates], fontsize=8)
    ax.set_ylabel("firing rate (%)")
    ax.set_title("Measured firing rate per neuron layer (spikes / (neurons × T))")
    ax.set_ylim(0, max([*rates, 1.0]) * 1.2)
    ax.tick_params(axis="x", labelrotation=30)
    return _png(fig)


def energy_breakdown_png(report: EnergyReport) -> bytes:
    """Left: each profile's estimate split by term (shares). Right: totals, log scale."""
    estimates = list(report.estimates)
    fig = _figure(11, 0.5 * len(estimates) + 1.8)
    share_ax, total_ax = fig.subplots(1, 2, width_ratios=(3, 2))
    names = [e.profile for e in estimates]
    left = [0.0] * len(estimates)
    for category in CATEGORIES:
        values = [e.by_category()[category] for e in estimates]
        shares = [
            100 * v / e.total_j if e.total_j else 0.0
            for v, e in zip(values, estimates, strict=True)
        ]
        if any(shares):
            share_ax.barh(names, shares, left=left, color=_COLOURS[category], label=category)
            left = [a + b for a, b in zip(left, shares, strict=True)]
    share_ax.set_xlim(0, 100)
    share_ax.invert_yaxis()
    share_ax.set_xlabel("share of the priced estimate (%)")
    share_ax.set_title("Estimated energy per sample, by term")
    share_ax.legend(
        loc="lower center", bbox_to_anchor=(0.5, 1.08), ncols=4, fontsize=8, frameon=False
    )
    totals = [e.total_j for e in estimates]
    bars = total_ax.barh(names, [t if t > 0 else float("nan") for t in totals], color="#555555")
    labels = [_joules(e.total_j) + (" (partial)" if e.partial else "") for e in estimates]
    total_ax.bar_label(bars, labels=labels, fontsize=8, padding=2)
    total_ax.set_xscale("log")
    total_ax.invert_yaxis()
    total_ax.set_yticklabels([])
    total_ax.set_xlabel("J per sample (estimate, log scale)")
    total_ax.set_title("Priced total (partial: terms missing)")
    positive = [t for t in totals if t > 0]
    if positive:
        total_ax.set_xlim(min(positive) / 3, max(positive) * 300)
    return _png(fig)


def snn_vs_ann_png(report: EnergyReport) -> bytes:
    """Grouped bars: SNN estimate versus the ANN-equivalent estimate per profile (log)."""
    snn = {e.profile: e.total_j for e in report.estimates}
    ann = list(report.ann_equivalent)
    fig = _figure(8, 3.4)
    ax = fig.subplots()
    xs = list(range(len(ann)))
    snn_bars = ax.bar(
        [x - 0.2 for x in xs],
        [snn[e.profile] for e in ann],
        0.4,
        label="SNN (measured activity)",
        color="#4477aa",
    )
    ann_bars = ax.bar(
        [x + 0.2 for x in xs],
        [e.total_j for e in ann],
        0.4,
        label="same network as ANN, one pass",
        color="#ee6677",
    )
    for bars in (snn_bars, ann_bars):
        ax.bar_label(bars, labels=[_joules(b.get_height()) for b in bars], fontsize=7, padding=1)
    ax.set_xticks(xs, [e.profile for e in ann])
    ax.set_yscale("log")
    ax.set_ylabel("J per sample (estimate)")
    ax.set_title("SNN versus ANN-equivalent (profiles with a MAC price)")
    ax.legend(fontsize=8)
    return _png(fig)


def _joules(value: float) -> str:
    from snncompile.energy.fmt import energy

    return energy(value)


def summary_png(rows: Sequence[ProfileSummary]) -> bytes:
    """Per profile, energy per inference (log scale): dynamic and static as separate bars,
    the spread across sources as a whisker, and "dynamic not priced" written out where a
    profile prices no dynamic term (so a static-only bar never reads as the whole)."""
    fig = _figure(10, 0.55 * len(rows) + 1.6)
    ax = fig.subplots()
    ys = list(range(len(rows)))
    dynamic = [r.dynamic_j if r.dynamic_priced and r.dynamic_j > 0 else float("nan") for r in rows]
    static = [r.static_j if r.static_j else float("nan") for r in rows]
    ax.barh([y - 0.2 for y in ys], dynamic, 0.4, color=_COLOURS["synaptic"], label="dynamic")
    ax.barh([y + 0.2 for y in ys], static, 0.4, color=_COLOURS["static"], label="static")
    values = [v for v in (*dynamic, *static) if v == v]
    for r in rows:
        if r.range_j:
            values += list(r.range_j)
    low, high = (min(values), max(values)) if values else (1e-9, 1e-6)
    for y, r in zip(ys, rows, strict=True):
        if r.range_j:
            ax.plot(r.range_j, [y, y], color="#222222", lw=1.5, marker="|", markersize=12)
        if not r.dynamic_priced:
            ax.text(
                low / 2.5, y - 0.2, "dynamic not priced", va="center", fontsize=8, color="#8a3b00"
            )
        label = _joules(r.per_inference_j) + (" + ?" if r.partial else "")
        ax.text(high * 2, y, label, va="center", fontsize=8)
    ax.set_xscale("log")
    ax.set_xlim(low / 3, high * 30)
    ax.set_yticks(ys, [r.profile for r in rows])
    ax.invert_yaxis()
    ax.set_xlabel("J per inference (estimate, log scale); whisker: range across sources")
    ax.set_title("Energy per inference: dynamic and static apart (right: total)")
    ax.legend(fontsize=8, loc="lower right")
    return _png(fig)


def layer_energy_png(report: EnergyReport) -> bytes:
    """Grouped bars (log scale): each layer's dynamic energy per profile, by module."""
    from snncompile.energy.report import layer_label

    layers = [x.name for x in report.counts.layers]
    estimates = [e for e in report.estimates if any(e.per_layer_j.get(n) for n in layers)]
    layers = [n for n in layers if any(e.per_layer_j.get(n) for e in estimates)]
    fig = _figure(10, 3.6)
    ax = fig.subplots()
    width = 0.8 / max(len(estimates), 1)
    palette = ("#4477aa", "#ee6677", "#228833", "#ccbb44", "#66ccee", "#aa3377", "#bbbbbb")
    for i, est in enumerate(estimates):
        xs = [j + (i - (len(estimates) - 1) / 2) * width for j in range(len(layers))]
        heights = [est.per_layer_j.get(n) or float("nan") for n in layers]
        ax.bar(xs, heights, width, label=est.profile, color=palette[i % len(palette)])
    ax.set_xticks(range(len(layers)), [layer_label(report, n) for n in layers])
    ax.tick_params(axis="x", labelrotation=30)
    ax.set_yscale("log")
    ax.set_ylabel("J per sample (estimate)")
    ax.set_title("Dynamic energy per layer (static power is per chip, not per layer)")
    if estimates:
        ax.legend(fontsize=7, ncols=min(len(estimates), 4))
    return _png(fig)
