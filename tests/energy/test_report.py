"""The report: JSON schema stability, Markdown, HTML with embedded plots, determinism."""

from __future__ import annotations

import json

import numpy as np
import pytest

from snncompile.energy import (
    REPORT_SCHEMA,
    REPORT_SCHEMA_ID,
    ActivityRecord,
    DenseSpec,
    NeuronSpec,
    build_report,
    count_activity,
    validate_report,
)
from snncompile.errors import ConfigError


@pytest.fixture(scope="module")
def report():
    rng = np.random.default_rng(1)
    steps, batch = 4, 2
    x = rng.normal(size=(steps, batch, 8))
    s1 = (rng.random((steps, batch, 16)) < 0.25).astype(float)
    s2 = (rng.random((steps, batch, 4)) < 0.25).astype(float)
    record = ActivityRecord()
    record.add("fc1", DenseSpec(rng.normal(size=(16, 8))), inputs=x)
    record.add("lif1", NeuronSpec("LIF", (16,)), outputs=s1)
    record.add("fc2", DenseSpec(rng.normal(size=(4, 16))), inputs=s1)
    record.add("clif2", NeuronSpec("CLIF", (4,)), outputs=s2)
    return build_report(count_activity(record), metadata={"model": "test"})


def test_json_follows_the_versioned_schema(report):
    doc = json.loads(report.to_json())
    assert doc["schema"] == REPORT_SCHEMA_ID == "snncompile.energy-report/1"
    validate_report(doc)
    # the required keys, then the optional ones added in place (issue 15)
    assert list(doc) == [*REPORT_SCHEMA["required"], "summary", "deployment", "layers"]
    assert [e["profile"] for e in doc["estimates"]] == [
        "cmos45-fp32",
        "cmos45-int8",
        "ann-gpu",
        "loihi",
        "loihi-sanafe",
        "loihi2",
    ]
    assert all(e["label"] == "estimate" for e in doc["estimates"])
    assert doc["counts"]["layers"][0]["kind"] == "dense"
    with pytest.raises(ConfigError, match="field 'schema'"):
        validate_report({**doc, "schema": "snncompile.energy-report/0"})


def test_counts_come_first_and_estimates_are_labelled(report):
    md = report.to_markdown()
    assert md.index("Counts per layer") < md.index("Energy estimates")
    assert "estimates, not measurements" in md
    assert "not priced: **synaptic ops (ACs)**" in md  # loihi2 cannot price synaptic ops
    assert "| clif2 | CLIF |" in md


def test_loihi2_prices_only_the_static_term(report):
    est = report.estimate("loihi2")
    assert [t.name for t in est.terms] == ["static"]
    assert est.total_j == pytest.approx(0.23 * 4 * 153e-6)
    assert {u.name for u in est.unpriced} >= {"synaptic ops (ACs)", "neuron updates"}
    assert est.partial and not report.estimate("ann-gpu").partial  # GPU figure is all-in


def test_html_is_self_contained_with_five_plots(report):
    html = report.to_html()
    assert html.startswith("<!DOCTYPE html>")
    # summary, firing rate, energy by term, energy per layer, SNN versus ANN
    assert html.count('src="data:image/png;base64,') == 5
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "https://" not in html
    assert html == report.to_html()  # deterministic, PNGs included


def test_save_by_suffix_and_rejects_unknown(report, tmp_path):
    for suffix in ("json", "md", "html"):
        assert report.save(tmp_path / f"r.{suffix}").stat().st_size > 0
    with pytest.raises(ConfigError, match="unknown suffix"):
        report.save(tmp_path / "r.pdf")


def test_ann_equivalent_prices_one_dense_pass(report):
    ann = {e.profile: e for e in report.ann_equivalent}
    assert set(ann) == {"cmos45-fp32", "cmos45-int8", "ann-gpu"}
    macs = next(t for t in ann["cmos45-fp32"].terms if t.name == "ANN MACs (one pass)")
    assert macs.count == 8 * 16 + 16 * 4  # Dense / T
