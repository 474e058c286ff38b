"""The self-contained HTML report: inline CSS, plots as base64 PNG, no external resources."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from snncompile.energy import fmt, plots
from snncompile.energy.counts import METRICS
from snncompile.energy.summary import (
    MAPPING_HEADER,
    SUMMARY_HEADER,
    hardware_summary,
    limit_lines,
    mapping_rows,
    mapping_verdict,
    summary_caption,
    summary_table_rows,
)

if TYPE_CHECKING:
    from snncompile.energy.report import EnergyReport

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:1200px;
color:#222;padding:0 1em}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #ccc}
h3{font-size:1.05em}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.85em}
th,td{border:1px solid #ccc;padding:.25em .55em;text-align:right}
th{background:#f0f0f0}td.t,th.t{text-align:left}
.note{background:#fff8e1;border-left:4px solid #f0b400;padding:.6em 1em}
.trust{color:#555;font-size:.9em}.unpriced{color:#8a3b00;font-size:.9em}
img{max-width:100%;border:1px solid #ddd;margin:.5em 0}
.summary{border:2px solid #4477aa;border-radius:6px;padding:.2em 1em 1em;margin:1em 0}
.summary h2{border:none;margin-top:.5em}.summary table{font-size:.95em}
.caption{color:#444;font-size:.88em;max-width:70em}.label{color:#555;font-size:.85em}
"""


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    # a column of mostly numbers is right-aligned, header and "–" cells included
    filled = [
        [row[i] for row in rows if i < len(row) and row[i] not in _EMPTY]
        for i in range(len(header))
    ]
    right = [2 * sum(map(_numeric, cells)) >= len(cells) for cells in filled]
    head = "".join(
        f"<th>{escape(h)}</th>" if right[i] else f'<th class="t">{escape(h)}</th>'
        for i, h in enumerate(header)
    )
    body = "".join(
        "<tr>" + "".join(_cell(cell, right[i]) for i, cell in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_EMPTY = ("–", "none")


def _numeric(text: str) -> bool:
    return text[:1].isdigit()


def _cell(text: str, right: bool) -> str:
    if "not priced" in text:  # a term a profile cannot price, with its size
        return f'<td class="t unpriced">{escape(text)}</td>'
    return f"<td>{escape(text)}</td>" if right else f'<td class="t">{escape(text)}</td>'


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def render_html(report: EnergyReport) -> str:
    """The whole page as a string: the summary, what was counted, the per-layer tables
    and plots, the core mapping, then the run, the estimates term by term and sources."""
    from snncompile.energy.report import (
        LABEL,
        LAYER_HEADER,
        PRECISION_NOTE,
        RUN_HEADER,
        TERM_HEADER,
        deployment_rows,
        layer_energy_header,
        layer_energy_rows,
        layer_rows,
        run_row,
        summary_rows,
        term_rows,
    )

    c = report.counts
    model = report.metadata.get("model") or report.metadata.get("source") or "network"
    rows = hardware_summary(report, report.fps)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>snncompile energy report</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>snncompile energy report: {escape(str(model))}</h1>",
        f'<p class="label">{c.samples} sample(s), T = {c.timesteps} steps, '
        f"{fmt.count(c.neurons)} neurons, firing rate {fmt.rate(c.firing_rate)}. "
        f"{escape(LABEL)}</p>",
        '<div class="summary"><h2>Summary: estimates per inference</h2>',
        _table(SUMMARY_HEADER, summary_table_rows(rows)),
        f'<p class="caption">{escape(summary_caption(rows, report.fps))}</p>',
        _img(plots.summary_png(rows), "energy per inference per profile, dynamic and static"),
        "</div>",
    ]
    deployed = deployment_rows(report)
    if deployed:
        parts += ["<h2>Deployed network</h2>", _table(("what", "value"), deployed)]
    layers = layer_rows(report)
    parts += [
        "<h2>Counts per layer (per sample, summed over T)</h2>",
        _table(LAYER_HEADER, layers),
    ]
    if any(row[3] != "–" for row in layers):
        parts.append(f'<p class="caption">{escape(PRECISION_NOTE)}.</p>')
    parts += [
        "<h2>Dynamic energy per layer (estimates per sample; static power is per chip)</h2>",
        _table(layer_energy_header(report), layer_energy_rows(report)),
        _img(plots.layer_energy_png(report), "dynamic energy per layer and profile"),
        '<p class="caption">A profile that prices no dynamic term of a layer has no bar '
        "there: the table above lists what it could not price, with its size.</p>",
        _img(plots.firing_rate_png(report), "firing rate per layer"),
    ]
    if report.resources is not None:
        res = report.resources
        parts += [
            f"<h2>{escape(res.chip.name)} core mapping (estimate)</h2>",
            f"<p>{escape(mapping_verdict(res))}</p>",
            _table(MAPPING_HEADER, mapping_rows(res)),
            '<p class="caption">Per-core limits, from the chip\'s energy profile: '
            + "; ".join(escape(line) for line in limit_lines(res))
            + ". Model and uncertainty: docs/energy.md §9.</p>",
        ]
    parts.append("<h2>Run</h2>")
    if report.metadata:
        parts.append(
            _table(("field", "value"), [[str(k), str(v)] for k, v in report.metadata.items()])
        )
    nb = c.neurobench()
    parts += [
        _table(RUN_HEADER, [run_row(c)]),
        "<h3>NeuroBench-named results</h3>",
        _table(
            ("result", "value"),
            [[k, fmt.count(v) if k != "ActivationSparsity" else f"{v:.4f}"] for k, v in nb.items()],
        ),
        "<h2>Energy estimates per sample (estimates, not measurements)</h2>",
        _table(
            ("profile", "basis", "estimate per sample", "per time step", "not priced"),
            summary_rows(report),
        ),
        _img(plots.energy_breakdown_png(report), "energy per profile by term"),
    ]
    if report.ann_equivalent:
        parts += [
            "<h2>SNN versus ANN-equivalent</h2>",
            _img(plots.snn_vs_ann_png(report), "SNN versus ANN"),
        ]
    for est in report.estimates:
        parts += [
            f"<h3>{escape(est.profile)}: {escape(est.title)}</h3>",
            f'<p class="trust">Basis: <b>{escape(est.basis)}</b>. {escape(est.trust)}</p>',
            _table(TERM_HEADER, term_rows(est)) if est.terms else "<p>No term could be priced.</p>",
        ]
        parts += [
            f'<p class="unpriced">not priced: <b>{escape(u.name)}</b> '
            f"({escape(fmt.count(u.count))} {escape(u.unit)}): {escape(u.reason)}</p>"
            for u in est.unpriced
        ]
    parts += [
        "<h2>Definitions</h2>",
        _table(("metric", "unit", "definition"), [[k, u, d] for k, (u, d) in METRICS.items()]),
        "<h2>Sources</h2><ul>",
    ]
    for profile in report.profiles:
        for entry in profile.data["citations"]:
            parts.append(
                f"<li>{escape(profile.name)} [{escape(entry['id'])}]: "
                f"{escape(profile.citation(entry['id']))}</li>"
            )
    parts += ["</ul></body></html>", ""]
    return "\n".join(parts)
