"""The ten-second summary of an energy report: per profile, energy per inference (dynamic
and static apart), its spread across sources, chips and cores, latency, throughput and
the energy-delay product; and the core-mapping table.

Definitions (every figure an estimate, per inference = per sample):

- **dynamic** = the priced non-static terms. When a profile prices none of them (Loihi 2
  publishes no per-op energies), dynamic is *not priced* and the summary says so with
  the size of what is missing: a static-only figure never stands for the whole.
- **static** = ``static_power`` × chips × the time the chip is powered per inference:
  T × ``t_step`` back to back (the priced static term), or 1 / fps at a given frame rate
  (``--fps``: the chip idles, powered, between frames).
- **per inference** = dynamic + static.
- **range** = the lowest and highest per-inference estimate over this profile and its
  ``alternatives`` (other published figures of the same chip, e.g. SpiNNaker 2 in 2019
  and 2021): where the sources disagree, the spread is the uncertainty.
- **EDP** = per-inference energy × latency per inference (J·s), fast and slow ends of
  the latency model (:mod:`snncompile.energy.timing`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from snncompile.energy import fmt
from snncompile.energy.estimate import Estimate, PricingOptions
from snncompile.energy.pricing import price
from snncompile.energy.profile import HardwareProfile, load_profile
from snncompile.energy.resources import ResourceEstimate, estimate_resources
from snncompile.energy.timing import Timing, estimate_timing
from snncompile.errors import ConfigError

if TYPE_CHECKING:
    from snncompile.energy.report import EnergyReport


@dataclass(frozen=True)
class ProfileSummary:
    """One profile's line of the summary (J, s, W; ranges as (low, high))."""

    profile: str
    basis: str
    dynamic_j: float
    dynamic_priced: bool
    dynamic_unpriced: tuple[str, ...]
    static_note: str
    static_j: float | None
    static_power_w: float | None
    per_inference_j: float
    fps: float | None
    range_j: tuple[float, float] | None
    range_profiles: tuple[str, ...]
    chips: int | None
    cores: int | None
    mapping_error: str | None
    timing: Timing | None
    sustains_fps: bool | None

    @property
    def partial(self) -> bool:
        """True when a dynamic term is missing from ``per_inference_j``."""
        return bool(self.dynamic_unpriced)

    @property
    def edp_js(self) -> tuple[float, float] | None:
        """Energy-delay product (fast end, slow end) in J·s; None without a latency."""
        if self.timing is None:
            return None
        fast, slow = self.timing.latency_s
        return self.per_inference_j * fast, self.per_inference_j * slow

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form; every energy per inference (one sample)."""
        return {
            "profile": self.profile,
            "basis": self.basis,
            "dynamic_j": self.dynamic_j if self.dynamic_priced else None,
            "dynamic_priced": self.dynamic_priced,
            "dynamic_not_priced": list(self.dynamic_unpriced),
            "static_j": self.static_j,
            "static_power_w": self.static_power_w,
            "per_inference_j": self.per_inference_j,
            "partial": self.partial,
            "fps": self.fps,
            "range_j": list(self.range_j) if self.range_j else None,
            "range_profiles": list(self.range_profiles),
            "chips": self.chips,
            "cores": self.cores,
            "mapping_error": self.mapping_error,
            "timing": self.timing.to_dict() if self.timing else None,
            "edp_js": list(self.edp_js) if self.edp_js else None,
            "sustains_fps": self.sustains_fps,
            "label": "estimate",
        }


def _split(est: Estimate) -> tuple[float, float | None, bool, tuple[str, ...]]:
    """(dynamic J, static J or None, any dynamic term priced, unpriced dynamic terms)."""
    by = est.by_category()
    dynamic = sum(v for k, v in by.items() if k != "static")
    static = by["static"] if any(t.category == "static" for t in est.terms) else None
    priced = any(t.category != "static" and t.energy_j > 0 for t in est.terms)
    missing = tuple(
        f"{u.name} ({fmt.count(u.count)} {u.unit})"
        for u in est.unpriced
        if u.category != "static" and not u.included
    )
    return dynamic, static, priced, missing


def _per_inference(
    est: Estimate, profile: HardwareProfile, fps: float | None
) -> tuple[float, float | None, float | None]:
    """(per-inference J, static J, static power W × chips) at ``fps`` (None: back to back)."""
    dynamic, static, _, _ = _split(est)
    power = profile.constant("static_power")
    chips = int(est.options.get("chips", 1))
    watts = power.value * chips if power is not None else None
    if fps is not None and watts is not None:
        static = watts / fps
    return dynamic + (static or 0.0), static, watts


def _mapping(
    report: EnergyReport, profile: HardwareProfile
) -> tuple[ResourceEstimate | None, str | None]:
    res = report.resources
    if res is not None and res.chip.name == profile.name:
        return res, None
    if not profile.has_chip_limits:
        return None, None
    try:
        return estimate_resources(report.counts, profile), None
    except ConfigError as exc:
        return None, exc.message


def hardware_summary(report: EnergyReport, fps: float | None = None) -> list[ProfileSummary]:
    """One :class:`ProfileSummary` per estimate of ``report`` (module docstring)."""
    if fps is not None and not fps > 0:
        raise ConfigError(f"fps={fps} is not a positive frame rate", hint="e.g. --fps 30")
    profiles = {p.name: p for p in report.profiles}
    rows = []
    for est in report.estimates:
        profile = profiles[est.profile]
        dynamic, _, priced, missing = _split(est)
        energy, static, watts = _per_inference(est, profile, fps)
        totals, names = [energy], [profile.name]
        options = PricingOptions(**{**est.options, "chips": 1})
        for alt in profile.alternatives:
            other = load_profile(alt)
            other_est = price(report.counts, other, options)
            totals.append(_per_inference(other_est, other, fps)[0])
            names.append(alt)
        res, error = _mapping(report, profile)
        timing = estimate_timing(report.counts, res, profile) if res is not None else None
        sustains = None
        if fps is not None and timing is not None:
            sustains = report.counts.timesteps * timing.t_step_s[1] <= 1 / fps
        rows.append(
            ProfileSummary(
                profile=profile.name,
                basis=est.basis,
                dynamic_j=dynamic,
                dynamic_priced=priced,
                dynamic_unpriced=missing,
                static_note=next((x.note for x in est.terms if x.category == "static"), ""),
                static_j=static,
                static_power_w=watts,
                per_inference_j=energy,
                fps=fps,
                range_j=(min(totals), max(totals)) if len(totals) > 1 else None,
                range_profiles=tuple(names) if len(names) > 1 else (),
                chips=res.chips if res else None,
                cores=res.cores if res else None,
                mapping_error=error,
                timing=timing,
                sustains_fps=sustains,
            )
        )
    return rows


def _seconds(value: float) -> str:
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value / 1e-12:.3g} ps"


def _span(pair: tuple[float, float], unit: Any) -> str:
    low, high = pair
    return unit(low) if unit(low) == unit(high) else f"{unit(low)} – {unit(high)}"


#: Columns of the summary table (Markdown and HTML).
SUMMARY_HEADER = (
    "profile",
    "energy per inference",
    "dynamic",
    "static",
    "range across sources",
    "chips / cores",
    "latency per inference",
    "throughput",
    "energy × delay",
)


def summary_table_rows(rows: Sequence[ProfileSummary]) -> list[list[str]]:
    """The summary table, one row per profile."""
    out = []
    for r in rows:
        dynamic = fmt.energy(r.dynamic_j) if r.dynamic_priced else "not priced"
        if r.dynamic_priced and r.partial:
            dynamic += " (partial)"
        if r.static_j is None:
            static = "not priced" if r.static_power_w is None else "–"
        else:
            static = fmt.energy(r.static_j)
            if r.static_power_w is not None:
                static += f" ({r.static_power_w:g} W)"
        energy = fmt.energy(r.per_inference_j)
        if r.partial:
            energy += " + dynamic not priced" if not r.dynamic_priced else " (partial)"
        spread = "–"
        if r.range_j:
            spread = f"{_span(r.range_j, fmt.energy)} ({', '.join(r.range_profiles)})"
        hw = f"{r.chips} / {r.cores}" if r.chips is not None else "–"
        if r.mapping_error:
            hw = "does not fit"
        latency = throughput = edp = "–"
        if r.timing is not None:
            latency = _span(r.timing.latency_s, _seconds)
            throughput = _span(r.timing.throughput_per_s, lambda v: f"{v:,.0f}") + " /s"
            if r.sustains_fps is False:
                throughput += f" (< {r.fps:g} fps at the slow end)"
            assert r.edp_js is not None
            edp = _span(r.edp_js, lambda v: f"{v:.3g} J·s")
        out.append([r.profile, energy, dynamic, static, spread, hw, latency, throughput, edp])
    return out


def summary_caption(rows: Sequence[ProfileSummary], fps: float | None) -> str:
    """One paragraph under the summary table: the scope and what is missing."""
    scope = (
        f"Per inference at {fps:g} frames/s: static = static power × chips / fps."
        if fps
        else "Per inference back to back: static = static power × chips × T × t_step."
    )
    missing = [
        f"{r.profile}: dynamic not priced ({'; '.join(r.dynamic_unpriced)})"
        for r in rows
        if r.partial and not r.dynamic_priced
    ]
    text = (
        f"{scope} Every figure is an estimate. Latency = (T + stages) × modelled step "
        "time, fast–slow ends (docs/energy.md §9)."
    )
    if missing:
        text += " " + " ".join(m + "." for m in missing)
    if not fps:
        text += "".join(f" {r.profile} static: {r.static_note}." for r in rows if r.static_note)
    return text


#: Columns of the core-mapping table.
MAPPING_HEADER = (
    "layer",
    "synapses from",
    "cores",
    "chip",
    "neurons",
    "neurons / core",
    "synapses",
    "memory / core",
    "fan-in / core",
    "limited by",
)


def mapping_rows(res: ResourceEstimate) -> list[list[str]]:
    """The core-mapping table: where every layer goes and its fullest core's figures."""
    c = res.chip
    rows = []
    for p in res.placements:
        fan = f"{p.fan_in_per_core:,}" + (f" / {c.fan_in_per_core:,}" if c.fan_in_per_core else "")
        rows.append(
            [
                p.layer + (" (readout)" if p.readout else ""),
                ", ".join(p.synaptic_layers) or "–",
                f"{p.cores} ({p.core_range})",
                p.chip_range,
                fmt.count(p.neurons),
                f"{p.neurons_per_core:,} / {c.neurons_per_core:,}",
                fmt.count(p.synapses),
                f"{p.memory_per_core_bytes / 1024:.1f} / {c.memory_per_core_bytes / 1024:.0f} KB",
                fan,
                p.limited_by,
            ]
        )
    return rows


def mapping_verdict(res: ResourceEstimate) -> str:
    """One sentence: cores, chips, synapses, weight width."""
    verdict = "fits one chip" if res.fits_one_chip else f"needs {res.chips} chips"
    return (
        f"{res.cores} cores on {res.chips} chip(s) ({verdict}): {fmt.count(res.neurons)} "
        f"neurons and all {fmt.count(res.synapses)} synapses placed, at {res.weight_bits}-bit "
        f"weights, {res.chip.cores_per_chip} cores per chip."
    )


def limit_lines(res: ResourceEstimate) -> list[str]:
    """The per-core limits used, each with its basis and citation id."""
    return [f"{key}: {text}" for key, text in res.chip.sources.items()]


def summary_markdown(report: EnergyReport, fps: float | None) -> list[str]:
    """The summary section (Markdown lines)."""
    rows = hardware_summary(report, fps)
    out = ["## Summary (estimates per inference)", ""]
    out += _md_table(SUMMARY_HEADER, summary_table_rows(rows))
    out += [summary_caption(rows, fps), ""]
    return out


def mapping_markdown(res: ResourceEstimate) -> list[str]:
    """The core-mapping section (Markdown lines)."""
    out = [f"## {res.chip.name} core mapping (estimate)", "", mapping_verdict(res), ""]
    out += _md_table(MAPPING_HEADER, mapping_rows(res))
    out += ["Per-core limits (from the chip's energy profile):", ""]
    out += [f"- {line}" for line in limit_lines(res)]
    out += [
        "",
        "Model and uncertainty: docs/energy.md §9 (conv weights are not shared: "
        "conservative; neuron state memory is not charged).",
        "",
    ]
    return out


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]
