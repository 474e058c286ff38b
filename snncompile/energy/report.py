"""The energy report: counts first, then priced estimates per profile, labelled as such.

:func:`build_report` prices one :class:`NetworkCounts` with several profiles (at least
fp32 45 nm, int8 45 nm and a neuromorphic chip by default, docs/energy.md §6), adds the
ANN-equivalent estimates and the Loihi resource estimate, and returns an
:class:`EnergyReport`, which renders to JSON (``snncompile.energy-report/1``), Markdown
and a self-contained HTML page. Output is deterministic for the same inputs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from snncompile.energy import fmt
from snncompile.energy.activity import ActivityRecord
from snncompile.energy.ann_equivalent import price_ann_equivalent
from snncompile.energy.counter import CountOptions, count_activity
from snncompile.energy.counts import METRICS, NetworkCounts, pick
from snncompile.energy.pricing import Estimate, PricingOptions, price
from snncompile.energy.profile import HardwareProfile, load_profile, load_profiles
from snncompile.energy.report_schema import REPORT_SCHEMA, REPORT_SCHEMA_ID
from snncompile.energy.resources import ResourceEstimate, estimate_resources
from snncompile.energy.summary import hardware_summary, mapping_markdown, summary_markdown
from snncompile.errors import ConfigError, InputError
from snncompile.outputs import atomic_file, check_output, naming

LABEL = (
    "Counts are measured from recorded activity. Energies are estimates: operation counts "
    "priced with per-operation constants, each tagged with its source and basis; terms a "
    "profile cannot price are listed, not guessed."
)
_KEY_METRICS = (
    "Effective_ACs",
    "Effective_MACs",
    "Graded_SynOps",
    "Dense",
    "RateDense_Ops",
    "NeuronUpdates",
    "Spikes",
    "SpikeMessages",
    "NeuronOperations",
    "NeuronMACs",
    "WeightReads",
    "StateReads",
)


@dataclass(frozen=True)
class EnergyReport:
    """Counts, per-profile estimates, ANN equivalents and the Loihi resource estimate."""

    counts: NetworkCounts
    profiles: tuple[HardwareProfile, ...]
    estimates: tuple[Estimate, ...]
    ann_equivalent: tuple[Estimate, ...]
    resources: ResourceEstimate | None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    #: Frame rate for the summary's energy per inference (None: back to back).
    fps: float | None = None
    #: layer name -> ``module`` (the torch module path), ``folded`` (nodes folded into
    #: it) and, when quantised, ``precision`` (field -> integer format).
    layers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: what was counted: ``target`` (None: no target), ``engine``, ``passes``, ``notes``.
    deployment: Mapping[str, Any] = field(default_factory=dict)

    def estimate(self, profile: str) -> Estimate:
        """The SNN estimate of ``profile``."""
        by_profile = {est.profile: est for est in self.estimates}
        missing = f"no estimate for profile {profile!r} in this report"
        return pick(by_profile, profile, missing, "profiles")

    def to_dict(self) -> dict[str, Any]:
        """The ``snncompile.energy-report/1`` document."""
        return {
            "schema": REPORT_SCHEMA_ID,
            "generator": "snncompile.energy",
            "label": LABEL,
            "metadata": dict(self.metadata),
            "metrics": {k: {"unit": u, "definition": d} for k, (u, d) in METRICS.items()},
            "counts": self.counts.to_dict(),
            "estimates": [self._scoped(e) for e in self.estimates],
            "ann_equivalent": [self._scoped(e) for e in self.ann_equivalent],
            "resources": self.resources.to_dict() if self.resources else None,
            "profiles": [p.to_dict() for p in self.profiles],
            "summary": {
                "fps": self.fps,
                "profiles": [r.to_dict() for r in hardware_summary(self, self.fps)],
            },
            "deployment": dict(self.deployment),
            "layers": self.layer_table(),
        }

    def layer_table(self) -> list[dict[str, Any]]:
        """Per layer, in execution order: ``name``, ``module``, ``kind``, ``folded``,
        ``precision`` (None when not quantised), the per-sample operation counts
        (``ops``: ACs, MACs, graded ops, neuron updates, spikes) and, per profile, the
        dynamic energy per sample (``energy[profile].dynamic_j``: the layer's priced
        terms) and what that profile could not price for this layer, with its size
        (``energy[profile].not_priced``). Static energy is per chip, not per layer:
        ``static_per_chip`` below."""
        priced = {
            e.profile: _per_layer_unpriced(self.counts, e, self.profiles) for e in self.estimates
        }
        rows = []
        for layer in self.counts.layers:
            info = self.layers.get(layer.name, {})
            rows.append(
                {
                    "name": layer.name,
                    "module": str(info.get("module", layer.name)),
                    "kind": layer.kind,
                    "folded": list(info.get("folded", ())),
                    "precision": dict(info["precision"]) if info.get("precision") else None,
                    "ops": {m: layer.per_sample(m) for m in LAYER_OPS},
                    "energy": {
                        e.profile: {
                            "dynamic_j": float(e.per_layer_j.get(layer.name, 0.0)),
                            "not_priced": priced[e.profile].get(layer.name, []),
                        }
                        for e in self.estimates
                    },
                }
            )
        return rows

    def static_per_chip(self) -> dict[str, dict[str, Any]]:
        """Per profile: the static energy per sample (J, all chips), the chips powered
        and the static energy per chip; profiles without a priced static term: None J."""
        out = {}
        for e in self.estimates:
            static = [t for t in e.terms if t.category == "static"]
            chips = int(e.options.get("chips", 1) or 1)
            total = float(sum(t.energy_j for t in static)) if static else None
            out[e.profile] = {
                "static_j": total,
                "chips": chips,
                "static_per_chip_j": None if total is None else total / chips,
            }
        return out

    def _scoped(self, est: Estimate) -> dict[str, Any]:
        """``est.to_dict()`` with its scope named: ``per_sample_j`` (= the schema/1
        ``total_j``, kept for old readers) and ``per_step_j`` = per_sample_j / T."""
        doc = est.to_dict()
        doc["per_sample_j"] = est.total_j
        doc["per_step_j"] = est.total_j / max(self.counts.timesteps, 1)
        return doc

    def energy_summary(self) -> list[dict[str, Any]]:
        """Per profile: ``per_sample_j``, ``per_step_j`` (per_sample_j / T) and ``total_j``
        (per_sample_j × B, the whole batch), all estimates in joules; and per sample apart,
        ``dynamic_per_sample_j`` (None when no dynamic term is priced) and
        ``static_per_sample_j`` (None when the profile prices no static term)."""
        samples, steps = self.counts.samples, max(self.counts.timesteps, 1)
        split = {r.profile: r for r in hardware_summary(self, None)}
        return [
            {
                "profile": e.profile,
                "basis": e.basis,
                "per_sample_j": e.total_j,
                "per_step_j": e.total_j / steps,
                "total_j": e.total_j * samples,
                "dynamic_per_sample_j": (
                    split[e.profile].dynamic_j if split[e.profile].dynamic_priced else None
                ),
                "static_per_sample_j": split[e.profile].static_j,
                "partial": e.partial,
                "label": "estimate",
            }
            for e in self.estimates
        ]

    def at_fps(self, fps: float | None) -> EnergyReport:
        """This report with the summary's energy per inference taken at ``fps`` frames/s.

        Raises:
            ConfigError: ``fps`` is not positive.
        """
        if fps is not None and not fps > 0:
            raise ConfigError(f"fps={fps} is not a positive frame rate", hint="e.g. --fps 30")
        return replace(self, fps=fps)

    def to_json(self, indent: int = 2) -> str:
        """The JSON document (keys in a fixed order; ends with a newline)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False) + "\n"

    def to_markdown(self) -> str:
        """Markdown tables: run, counts, estimates, ANN equivalent, resources, sources."""
        return "\n".join(_markdown(self)) + "\n"

    def to_html(self) -> str:
        """A self-contained HTML page with embedded PNG plots (needs matplotlib)."""
        from snncompile.energy.html import render_html

        return render_html(self)

    def save(self, path: str | Path, *, force: bool = False) -> Path:
        """Write JSON, Markdown or HTML, chosen by the suffix (.json, .md, .html).

        The path is checked before the text is rendered (:func:`check_report_path`);
        the text goes to a temporary sibling first and is renamed into place: a failed
        write never leaves a partial report.

        Raises:
            ConfigError: an unknown suffix, or ``path`` exists and ``force`` is false.
            OutputError: the folder is missing or not writable, the disk is full, ...
        """
        path = check_report_path(path, force=force)
        text = _WRITERS[path.suffix.lower()](self)
        with naming(path), atomic_file(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
        return path

    def __repr__(self) -> str:
        """One line: model, layers, workload and each profile's per-sample estimate
        (``*``: partial, some terms not priced); never the counts themselves."""
        c = self.counts
        model = self.metadata.get("model") or self.metadata.get("source")
        if model is not None and len(str(model)) > 40:
            model = str(model)[:39] + "…"
        totals = ", ".join(
            f"{e.profile}={fmt.energy(e.total_j)}{'*' if e.partial else ''}" for e in self.estimates
        )
        return (
            f"EnergyReport(model={model if model is None else str(model)!r}, "
            f"layers={len(c.layers)}, samples={c.samples}, T={c.timesteps}, "
            f"per-sample estimates: {totals})"
        )


_WRITERS = {
    ".json": EnergyReport.to_json,
    ".md": EnergyReport.to_markdown,
    ".html": EnergyReport.to_html,
}


def check_report_path(path: str | Path, *, force: bool = False) -> Path:
    """Check that a report may be written to ``path``: known suffix, not existing unless
    ``force``, writable folder. Call it before the work that produces the report.

    Raises:
        ConfigError: an unknown suffix, or ``path`` exists and ``force`` is false.
        OutputError: the folder is missing or not writable.
    """
    path = Path(path)
    if path.suffix.lower() not in _WRITERS:
        raise ConfigError(
            f"cannot write a report to '{path}': unknown suffix {path.suffix!r}",
            hint="use .json, .md or .html (activity records are written with ActivityRecord.save)",
        )
    check_output(path, force=force)
    return path


def build_report(
    counts: NetworkCounts,
    profiles: Sequence[str | HardwareProfile] | None = None,
    *,
    pricing: PricingOptions | None = None,
    chip: str | None = "loihi2",
    weight_bits: int = 8,
    groups: Mapping[str, Sequence[str]] | None = None,
    metadata: Mapping[str, Any] | None = None,
    fps: float | None = None,
    layers: Mapping[str, Mapping[str, Any]] | None = None,
    deployment: Mapping[str, Any] | None = None,
) -> EnergyReport:
    """Price ``counts`` with ``profiles`` (names, files or loaded profiles).

    Args:
        counts: the counts of one network.
        profiles: default :data:`~snncompile.energy.profile.DEFAULT_PROFILES`.
        pricing: pricing options for every profile. The static term of the profile named
            like ``chip`` is charged for the number of chips the resource estimate needs.
        chip: ``"loihi"``, ``"loihi2"`` or None (no resource estimate).
        weight_bits: synaptic weight width for the resource estimate.
        groups: neuron layer -> the synaptic layers feeding it, for the resource estimate
            (default: execution order).
        metadata: free JSON-friendly information (model name, data set, …).
        fps: frame rate for the summary's energy per inference (None: back to back).
        layers: per-layer information (:attr:`EnergyReport.layers`).
        deployment: what was counted (:attr:`EnergyReport.deployment`).
    """
    if fps is not None and not fps > 0:
        raise ConfigError(f"fps={fps} is not a positive frame rate", hint="e.g. --fps 30")
    loaded = tuple(
        p if isinstance(p, HardwareProfile) else load_profile(p) for p in (profiles or [])
    ) or tuple(load_profiles())
    names = [p.name for p in loaded]
    if len(set(names)) != len(names):
        raise ConfigError(f"profiles named twice: {names}", hint="name each profile once")
    options = pricing or PricingOptions()
    resources = (
        estimate_resources(counts, chip, weight_bits=weight_bits, groups=groups) if chip else None
    )
    estimates = []
    for profile in loaded:
        opts = options
        if resources is not None and profile.name == resources.chip.name:
            opts = PricingOptions(**{**options.to_dict(), "chips": resources.chips})
        estimates.append(price(counts, profile, opts))
    ann = tuple(e for e in (price_ann_equivalent(counts, p) for p in loaded) if e is not None)
    return EnergyReport(
        counts,
        loaded,
        tuple(estimates),
        ann,
        resources,
        dict(metadata or {}),
        fps,
        {k: dict(v) for k, v in (layers or {}).items()},
        dict(deployment or {}),
    )


#: Per-layer operation counts in :meth:`EnergyReport.layer_table` (per sample).
LAYER_OPS = (
    "Effective_ACs",
    "Effective_MACs",
    "Graded_SynOps",
    "NeuronUpdates",
    "SpikeMessages",
)


def _per_layer_unpriced(
    counts: NetworkCounts, est: Estimate, profiles: Sequence[HardwareProfile]
) -> dict[str, list[dict[str, Any]]]:
    """Layer -> the terms ``est``'s profile could not price for it, each with its size
    (name, count, unit, reason, included): the layer priced alone, without the static
    term, under the estimate's options."""
    profile = next(p for p in profiles if p.name == est.profile)
    options = PricingOptions(**{**dict(est.options), "static": False})
    out: dict[str, list[dict[str, Any]]] = {}
    for layer in counts.layers:
        alone = price(NetworkCounts((layer,), counts.options), profile, options)
        if alone.unpriced:
            out[layer.name] = [
                {
                    "name": u.name,
                    "count": u.count,
                    "unit": u.unit,
                    "reason": u.reason,
                    "included": u.included,
                }
                for u in alone.unpriced
            ]
    return out


def report_from_record(
    record: ActivityRecord | str | Path,
    profiles: Sequence[str | HardwareProfile] | None = None,
    *,
    options: CountOptions | None = None,
    pricing: PricingOptions | None = None,
    chip: str | None = "loihi2",
    weight_bits: int = 8,
    metadata: Mapping[str, Any] | None = None,
    fps: float | None = None,
) -> EnergyReport:
    """Count and price an activity record (or the ``.npz`` it was saved to).

    The record's ``groups`` feed the resource estimate and its ``metadata`` the report's
    (``metadata`` given here wins), so a record written by ``snncompile simulate
    --record`` prices as ``snncompile report MODEL`` does on the same inputs.

    Raises:
        InputError: the file is missing, damaged or not an activity record, or its
            arrays do not fit its layers.
    """
    if not isinstance(record, ActivityRecord):
        path = Path(record)
        if not path.exists():
            raise InputError(f"activity record '{path}' does not exist", hint="check the path")
        record = ActivityRecord.load(path)
    counts = count_activity(record, options)
    return build_report(
        counts,
        profiles,
        pricing=pricing,
        chip=chip,
        weight_bits=weight_bits,
        groups=record.groups if chip else None,
        metadata={**record.metadata, **dict(metadata or {})},
        fps=fps,
    )


def validate_report(document: Mapping[str, Any]) -> None:
    """Validate a report document against ``snncompile.energy-report/1``.

    Raises:
        ConfigError: naming the first failing field.
    """
    from snncompile.energy.profile import _jsonschema

    validator = _jsonschema().Draft202012Validator(REPORT_SCHEMA)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(top level)"
        raise ConfigError(
            f"energy report: field '{where}' is invalid: {errors[0].message}",
            hint=f"the document must follow {REPORT_SCHEMA_ID}",
        )


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


#: Columns of the "Run" table (Markdown and HTML).
RUN_HEADER = ("samples", "time steps T", "neurons", "network firing rate", "ActivationSparsity")


def run_row(c: NetworkCounts) -> list[str]:
    """The "Run" table's one row: samples, T, neurons, firing rate, ActivationSparsity."""
    return [
        str(c.samples),
        str(c.timesteps),
        fmt.count(c.neurons),
        fmt.rate(c.firing_rate),
        f"{c.neurobench()['ActivationSparsity']:.4f}",
    ]


def layer_label(report: EnergyReport, name: str) -> str:
    """How a layer is named in tables and plots: its module path (``layer1.conv``), with
    the layer's own name in front when the two differ."""
    module = str(report.layers.get(name, {}).get("module", name))
    return module if module == name else f"{name} ({module})"


def precision_text(precision: Mapping[str, Any] | None) -> str:
    """A layer's integer formats, ``field format`` joined by ``;`` (the format only, e.g.
    ``s9/2``: the JSON keeps the rounding, overflow, range and scale too), or ``–`` when
    the layer is not quantised."""
    return (
        "; ".join(f"{k} {str(v).split(',')[0].split()[0]}" for k, v in (precision or {}).items())
        or "–"
    )


#: What the precision column's notation means (Markdown and HTML captions).
PRECISION_NOTE = (
    "precision: s/u = signed/unsigned integer of that many bits, .f = f of them fraction "
    "bits, /k = multiples of k only (rounding, overflow rule and range: the JSON's "
    "layers[].precision); – = float, not quantised"
)


def layer_rows(report: EnergyReport) -> list[list[str]]:
    """Per-layer rows (per sample, summed over T), shared by Markdown and HTML: the
    layer's module, type, what was folded into it, its precision when quantised, then
    its operation counts (:data:`LAYER_HEADER`)."""
    rows = []
    for layer in report.counts.layers:
        info = report.layers.get(layer.name, {})
        neurons = layer.static.get("neurons")
        rows.append(
            [
                layer_label(report, layer.name),
                str(layer.describe.get("model", layer.describe.get("type", layer.kind))),
                ", ".join(str(n) for n in info.get("folded", ())) or "–",
                precision_text(info.get("precision")),
                fmt.count(neurons) if neurons else "–",
                fmt.count(layer.per_sample("Spikes")) if layer.kind == "neuron" else "–",
                fmt.rate(layer.firing_rate),
                fmt.count(layer.per_sample("Effective_ACs")),
                fmt.count(layer.per_sample("Effective_MACs")),
                fmt.count(layer.per_sample("Graded_SynOps")),
                fmt.count(layer.per_sample("Dense")),
                fmt.count(layer.per_sample("NeuronUpdates")),
            ]
        )
    return rows


LAYER_HEADER = (
    "layer (module)",
    "type",
    "folded in",
    "precision",
    "neurons",
    "spikes",
    "firing rate",
    "ACs",
    "MACs",
    "graded ops",
    "Dense",
    "updates",
)
TERM_HEADER = (
    "term",
    "count",
    "constant",
    "unit price",
    "energy (estimate)",
    "basis",
    "source",
    "note",
)


def term_rows(est: Estimate) -> list[list[str]]:
    """Rows of one estimate's priced terms."""
    return [
        [
            t.name,
            f"{fmt.count(t.count)} {t.unit}",
            t.constant,
            fmt.price(t.price, t.price_unit),
            fmt.energy(t.energy_j),
            t.basis,
            f"[{t.cite}]",
            t.note,
        ]
        for t in est.terms
    ]


def summary_rows(report: EnergyReport) -> list[list[str]]:
    """One row per profile: total estimate, basis, unpriced terms."""
    rows = []
    for est in report.estimates:
        missing = ", ".join(
            f"{u.name} ({fmt.count(u.count)} {u.unit})" for u in est.unpriced if not u.included
        )
        inside = ", ".join(dict.fromkeys(u.category for u in est.unpriced if u.included))
        unpriced = (missing or "none") + (
            f" (included in other figures: {inside})" if inside else ""
        )
        rows.append(
            [
                est.profile,
                est.basis,
                fmt.energy(est.total_j) + (" (partial)" if est.partial else ""),
                fmt.energy(est.total_j / max(report.counts.timesteps, 1)),
                unpriced,
            ]
        )
    return rows


def _markdown(report: EnergyReport) -> list[str]:
    c = report.counts
    out = ["# snncompile energy report", "", f"> {LABEL}", ""]
    out += summary_markdown(report, report.fps)
    if report.metadata:
        out += _table(("field", "value"), [[str(k), str(v)] for k, v in report.metadata.items()])
    out += deployment_lines(report)
    out += ["## Run", ""]
    out += _table(RUN_HEADER, [run_row(c)])
    out += ["## Counts per layer (per sample, summed over T)", ""]
    rows = layer_rows(report)
    out += _table(LAYER_HEADER, rows)
    if any(row[3] != "–" for row in rows):
        out += [f"{PRECISION_NOTE}.", ""]
    out += ["## Dynamic energy per layer (estimates per sample; static power is per chip)", ""]
    out += _table(layer_energy_header(report), layer_energy_rows(report))
    out += ["## Totals", ""]
    totals = c.totals()
    out += _table(
        ("metric", "per sample", "per time step", "definition"),
        [
            [k, fmt.count(totals[k]), fmt.count(totals[k] / max(c.timesteps, 1)), METRICS[k][1]]
            for k in _KEY_METRICS
        ],
    )
    out += ["NeuroBench-named results (dense and conv layers, as NeuroBench hooks them):", ""]
    out += _table(
        ("result", "value"),
        [
            [k, fmt.count(v) if k != "ActivationSparsity" else f"{v:.4f}"]
            for k, v in c.neurobench().items()
        ],
    )
    out += ["## Energy estimates per sample (estimates, not measurements)", ""]
    out += _table(
        ("profile", "basis", "estimate per sample", "per time step", "not priced"),
        summary_rows(report),
    )
    for est in report.estimates:
        out += [f"### {est.profile}: {est.title}", "", f"Basis: **{est.basis}**. {est.trust}", ""]
        out += (
            _table(TERM_HEADER, term_rows(est)) if est.terms else ["No term could be priced.", ""]
        )
        for u in est.unpriced:
            out.append(f"- not priced: **{u.name}** ({fmt.count(u.count)} {u.unit}): {u.reason}")
        out += [""] if est.unpriced else []
    if report.ann_equivalent:
        out += ["## SNN versus the same network as an ANN (one dense forward pass)", ""]
        snn = {e.profile: e.total_j for e in report.estimates}
        out += _table(
            ("profile", "SNN estimate", "ANN-equivalent estimate", "ratio ANN/SNN"),
            [
                [
                    e.profile,
                    fmt.energy(snn[e.profile]),
                    fmt.energy(e.total_j),
                    f"{e.total_j / snn[e.profile]:.3g}" if snn[e.profile] else "–",
                ]
                for e in report.ann_equivalent
            ],
        )
    if report.resources is not None:
        out += mapping_markdown(report.resources)
    out += ["## Sources", ""]
    for profile in report.profiles:
        for entry in profile.data["citations"]:
            out.append(f"- {profile.name} [{entry['id']}]: {profile.citation(entry['id'])}")
    return out


def deployment_rows(report: EnergyReport) -> list[list[str]]:
    """What was counted, as (field, value) rows shared by Markdown and HTML: the target
    and its network, the engine that produced the activity, the passes and the notes
    (each fold);
    empty for a report without deployment information (a recorded run)."""
    dep = report.deployment
    if not dep:
        return []
    target = dep.get("target")
    rows = [
        [
            "counted",
            f"the network target {target} runs (after its passes)"
            if target
            else "the float network after the generic passes (no target)",
        ],
        ["activity from", str(dep.get("engine"))],
    ]
    if dep.get("passes"):
        rows.append(["passes", ", ".join(str(p) for p in dep["passes"])])
    rows += [["note", str(note)] for note in dep.get("notes", ())]
    return rows


def deployment_lines(report: EnergyReport) -> list[str]:
    """The Markdown "Deployed network" section (:func:`deployment_rows`)."""
    rows = deployment_rows(report)
    return ["## Deployed network", "", *_table(("what", "value"), rows)] if rows else []


def layer_energy_header(report: EnergyReport) -> list[str]:
    """Columns of the per-layer energy table: the layer (module), then one dynamic-energy
    column per profile."""
    return ["layer (module)", *(f"{e.profile} dynamic" for e in report.estimates)]


def layer_energy_rows(report: EnergyReport) -> list[list[str]]:
    """Rows of the per-layer energy table (dynamic energy per sample), then one row of
    static energy per chip. A layer a profile cannot fully price shows what is missing
    with its size; a profile that prices nothing of it shows only that."""
    rows = []
    for row in report.layer_table():
        cells = [layer_label(report, row["name"])]
        for energy in row["energy"].values():
            missing = [u for u in energy["not_priced"] if not u["included"]]
            inside = [u["name"] for u in energy["not_priced"] if u["included"]]
            sizes = ", ".join(f"{u['name']} {fmt.count(u['count'])} {u['unit']}" for u in missing)
            if missing and not energy["dynamic_j"]:
                cells.append(f"not priced: {sizes}")
            elif missing:
                cells.append(f"{fmt.energy(energy['dynamic_j'])} + not priced: {sizes}")
            elif inside and not energy["dynamic_j"]:
                cells.append(f"in other terms ({', '.join(inside)})")
            else:
                cells.append(fmt.energy(energy["dynamic_j"]))
        rows.append(cells)
    static = report.static_per_chip()
    rows.append(
        [
            "static power, per chip (not per layer)",
            *(_static_cell(e, static[e.profile]) for e in report.estimates),
        ]
    )
    return rows


def _static_cell(est: Estimate, static: Mapping[str, Any]) -> str:
    """The static row's cell of one profile: per chip × chips, or why there is none."""
    if static["static_per_chip_j"] is not None:
        return f"{fmt.energy(static['static_per_chip_j'])} × {static['chips']} chip(s)"
    if not est.options.get("static", True):
        return "excluded (pricing options)"
    missing = [u for u in est.unpriced if u.category == "static"]
    return f"not priced ({missing[0].reason})" if missing else "none (no static term)"
