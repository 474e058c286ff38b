"""Time and energy per inference (issue 15 item 4): the latency model by hand, static and
dynamic apart in JSON, Markdown and HTML, energy at a frame rate, energy × delay, and
the spread across sources."""

from __future__ import annotations

import json

import numpy as np
import pytest

from snncompile.energy import ActivityRecord, DenseSpec, NeuronSpec, build_report, count_activity
from snncompile.energy.summary import hardware_summary
from snncompile.energy.timing import estimate_timing
from snncompile.errors import ConfigError

T = 2


def _counts():
    """fc 20→32 (all weights non-zero) → LIF, every input spiking at both steps, 1 sample:
    640 ACs per step, 32 neuron updates per step, one core."""
    record = ActivityRecord()
    record.add("body.fc", DenseSpec(np.ones((32, 20))), inputs=np.ones((T, 1, 20), np.uint8))
    record.add("body.lif", NeuronSpec("LIF", (32,)), outputs=np.zeros((T, 1, 32), np.uint8))
    return count_activity(record)


def _row(report, profile):
    return next(r for r in hardware_summary(report, report.fps) if r.profile == profile)


def test_loihi2_step_time_by_hand():
    report = build_report(_counts(), ["loihi2"])
    res = report.resources
    assert res.cores == 1 and res.placements[0].neurons == 32
    timing = estimate_timing(report.counts, res, report.profiles[0])
    # slow end: Loihi 1 figures; fast end: a tenth of them, barrier 113 ns (docs/energy.md §9)
    slow = 640 * 3.5e-9 + 32 * 8.4e-9 + 465e-9
    fast = 640 * 0.35e-9 + 32 * 0.53e-9 + 113e-9
    assert timing.t_step_s == pytest.approx((fast, slow))
    assert timing.depth == 1 and timing.bottleneck == "body.lif"
    assert timing.latency_s == pytest.approx(((T + 1) * fast, (T + 1) * slow))
    assert timing.throughput_per_s == pytest.approx((1 / (T * slow), 1 / (T * fast)))
    assert any("[davies2018]" in s for s in timing.sources)


def test_profiles_without_timing_have_no_latency():
    report = build_report(_counts(), ["cmos45-fp32", "loihi2"])
    assert _row(report, "cmos45-fp32").timing is None
    assert _row(report, "cmos45-fp32").chips is None
    assert _row(report, "loihi2").chips == 1 and _row(report, "loihi2").cores == 1


def test_static_only_profile_never_hides_the_dynamic_part():
    report = build_report(_counts(), ["cmos45-fp32", "loihi2"])
    row = _row(report, "loihi2")
    static = 0.23 * T * 153e-6
    assert row.static_j == pytest.approx(static)
    assert not row.dynamic_priced and row.partial
    assert any(s.startswith("synaptic ops (ACs) (1,280 ops)") for s in row.dynamic_unpriced)
    fp32 = _row(report, "cmos45-fp32")
    assert fp32.dynamic_priced and fp32.static_j is None and not fp32.partial

    doc = json.loads(report.to_json())
    summary = {r["profile"]: r for r in doc["summary"]["profiles"]}
    assert summary["loihi2"]["dynamic_j"] is None and summary["loihi2"]["dynamic_priced"] is False
    assert summary["loihi2"]["static_j"] == pytest.approx(static)
    assert summary["cmos45-fp32"]["static_j"] is None
    assert summary["cmos45-fp32"]["dynamic_j"] == pytest.approx(report.estimates[0].total_j)
    scoped = {e["profile"]: e for e in report.energy_summary()}
    assert scoped["loihi2"]["dynamic_per_sample_j"] is None
    assert scoped["loihi2"]["static_per_sample_j"] == pytest.approx(static)

    md = report.to_markdown()
    head = md.split("## Run")[0]  # the summary leads
    assert "## Summary (estimates per inference)" in head
    line = next(x for x in head.splitlines() if x.startswith("| loihi2 |"))
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[1] == "70.38 µJ + dynamic not priced"
    assert cells[2] == "not priced" and cells[3] == "70.38 µJ (0.23 W)"
    assert "loihi2: dynamic not priced (synaptic ops (ACs) (1,280 ops)" in head

    pytest.importorskip("matplotlib")
    html = report.to_html()
    top = html.split("<h2>Run</h2>")[0]
    assert "Summary: estimates per inference" in top and "dynamic not priced" in top


def test_energy_per_inference_at_a_frame_rate_and_energy_delay():
    report = build_report(_counts(), ["loihi2"], fps=100)
    row = _row(report, "loihi2")
    # at 100 frames/s the chip is powered for 10 ms per inference: 0.23 W × 1 chip / 100
    assert row.static_j == pytest.approx(0.23 / 100)
    assert row.per_inference_j == pytest.approx(0.23 / 100)
    fast, slow = row.timing.latency_s
    assert row.edp_js == pytest.approx((0.0023 * fast, 0.0023 * slow))
    assert row.sustains_fps is True
    assert json.loads(report.to_json())["summary"]["fps"] == 100
    assert "Per inference at 100 frames/s" in report.to_markdown()
    # a frame rate the slow end cannot reach is flagged
    fast_fps = 1 / (T * row.timing.t_step_s[1]) * 2
    assert _row(report.at_fps(fast_fps), "loihi2").sustains_fps is False
    with pytest.raises(ConfigError, match="fps=0"):
        report.at_fps(0)
    with pytest.raises(ConfigError, match="fps=-1"):
        build_report(_counts(), ["loihi2"], fps=-1)


def test_range_across_two_published_spinnaker2_figures():
    report = build_report(_counts(), ["spinnaker2-2019"], chip=None)
    row = _row(report, "spinnaker2-2019")
    # 1280 ACs at 450 pJ + 64 updates at 2.19 nJ (2019) against 1280 ACs at 10 pJ (2021)
    high = 1280 * 450e-12 + 64 * 2190e-12
    low = 1280 * 10e-12
    assert row.range_j == pytest.approx((low, high))
    assert row.range_profiles == ("spinnaker2-2019", "spinnaker2-2021")
    line = next(x for x in report.to_markdown().splitlines() if x.startswith("| spinnaker2"))
    assert "12.8 nJ – 716.2 nJ (spinnaker2-2019, spinnaker2-2021)" in line


def test_cli_fps_reaches_the_report_and_json_splits_static(tmp_path, capsys):
    from snncompile.cli import build_parser

    record = ActivityRecord()
    record.add("fc", DenseSpec(np.eye(3)), inputs=np.ones((2, 1, 3)))
    record.add("lif", NeuronSpec("LIF", (3,)), outputs=np.ones((2, 1, 3)))
    path = record.save(tmp_path / "activity.npz")
    out = tmp_path / "r.json"
    argv = ["report", str(path), "-o", str(out), "--profile", "loihi2", "--fps", "50", "--json"]
    args = build_parser().parse_args(argv)
    assert args.handler(args) == 0
    printed = json.loads(capsys.readouterr().out)
    (estimate,) = printed["estimates"]
    assert estimate["dynamic_per_sample_j"] is None
    assert estimate["static_per_sample_j"] == pytest.approx(0.23 * 2 * 153e-6)
    (row,) = json.loads(out.read_text())["summary"]["profiles"]
    assert row["fps"] == 50 and row["static_j"] == pytest.approx(0.23 / 50)
    bad = build_parser().parse_args(["report", str(path), "--fps", "0"])
    with pytest.raises(ConfigError, match="fps=0"):
        bad.handler(bad)
