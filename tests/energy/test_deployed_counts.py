"""Issue 15: the report counts the network a deployment runs.

- A conv-BN-LIF / avg-pool / conv-BN-LIF / linear net counts the same from its
  checkpoint, its NIR export and its Lava artefact, with and without ``--target``
  (BatchNorm is always folded; on Loihi the pooling is folded into the next conv and the
  activity is the fixed-point run's).
- Hand-computed counts on a small conv net with BatchNorm and pooling, before and after
  the Loihi pooling fold.
- Every layer carries its module path, counts, per-profile energy and precision; a term
  a profile cannot price is listed per layer with its size.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
from pathlib import Path

import nir
import numpy as np
import pytest
import torch
from torch import nn

import snncompile
from snncompile import neurons as sn
from snncompile.api import energy_report, load_graph
from snncompile.cli import main
from snncompile.energy.report import validate_report
from snncompile.errors import ConfigError
from snncompile.ir.graph import Graph

T, B = 4, 3


class Block(nn.Module):
    """conv → BatchNorm → LIF, per time step."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv = sn.TimeDistributed(nn.Conv2d(c_in, c_out, 3, padding=1))
        self.bn = sn.TimeDistributed(nn.BatchNorm2d(c_out))
        self.lif = sn.LIF(tau=2.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lif(self.bn(self.conv(x)))


class ConvBNNet(nn.Module):
    """The issue's network: conv-BN-LIF / avg-pool / conv-BN-LIF / linear."""

    def __init__(self) -> None:
        super().__init__()
        self.layer1 = Block(1, 4)
        self.pool = sn.TimeDistributed(nn.AvgPool2d(2))
        self.layer2 = Block(4, 8)
        self.flat = nn.Flatten(start_dim=2)
        self.fc = nn.Linear(8 * 4 * 4, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.flat(self.layer2(self.pool(self.layer1(x)))))


def _inputs() -> np.ndarray:
    rng = np.random.default_rng(3)
    return (rng.random((T, B, 1, 8, 8)) < 0.5).astype(np.float32)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same model as a checkpoint, its NIR export and its Lava artefact."""
    torch.manual_seed(0)
    model = ConvBNNet().eval()
    with torch.no_grad():
        for block, gain in ((model.layer1, 4.0), (model.layer2, 16.0)):
            bn = block.bn.module
            bn.running_mean.uniform_(-0.2, 0.2)
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.uniform_(0.8, 2.0)
            block.conv.module.weight.mul_(gain)
    tmp = tmp_path_factory.mktemp("deployed")
    ckpt = tmp / "net.pt"
    snncompile.save(model, ckpt, example_input=torch.from_numpy(_inputs()))
    out = {"ckpt": ckpt}
    out["nir"] = snncompile.compile(ckpt, "nir").save(tmp / "net.nir")
    out["lava"] = snncompile.compile(ckpt, "lava", calibration=_inputs()).save(tmp / "net_lava")
    np.savez(tmp / "data.npz", inputs=_inputs())
    out["data"] = tmp / "data.npz"
    return out


def _graph(files: dict[str, Path], kind: str) -> object:
    if kind == "lava":
        return snncompile.open(files["lava"]).graph
    return load_graph(files[kind])


def _report(graph: object, profiles: list[str], target: str | None = None) -> object:
    """The report of ``graph`` on the test inputs; a quantising target is calibrated on
    them, as the artefact was exported."""
    options = {"calibration": _inputs()} if target else None
    return energy_report(graph, _inputs(), profiles, target=target, target_options=options)


@pytest.mark.parametrize("target", [None, "lava"])
def test_checkpoint_nir_and_lava_artefact_count_the_same(files, target):
    docs = {}
    for kind in ("ckpt", "nir", "lava"):
        report = _report(_graph(files, kind), ["cmos45-fp32"], target)
        docs[kind] = report.counts.to_dict()
    assert docs["ckpt"] == docs["nir"] == docs["lava"]
    names = [layer["name"] for layer in docs["ckpt"]["layers"]]
    # BatchNorm is folded in every case: no scale layer, the convs keep their module names
    assert not any(layer["kind"] == "scale" for layer in docs["ckpt"]["layers"])
    assert "layer1.conv" in names and "layer2.conv" in names and "fc" in names
    # the pooling is its own layer in float, folded into layer2.conv on Loihi
    assert ("pool" in names) is (target is None)


def test_loihi_counts_are_spike_driven_after_the_pool_fold(files):
    """On Loihi the conv after the pooling reads spikes: ACs, no MACs; the fixed-point
    run's spikes are counted (they match the Lava run bit for bit)."""
    report = _report(load_graph(files["ckpt"]), ["loihi"], "lava")
    conv2 = report.counts.layer("layer2.conv")
    assert conv2.get("Effective_MACs") == 0
    assert conv2.get("Effective_ACs") > 0
    assert report.deployment["target"] == "lava"
    assert "fixed point" in report.deployment["engine"]
    row = {r["name"]: r for r in report.layer_table()}["layer2.conv"]
    assert row["folded"] == ["layer2.bn", "pool"]
    assert row["module"] == "layer2.conv"
    assert set(row["precision"]) >= {"weight", "weight_exp"}
    assert row["energy"]["loihi"]["dynamic_j"] > 0


def test_cli_reports_the_same_counts_from_every_file(files, tmp_path, capsys):
    docs = []
    for kind in ("ckpt", "nir", "lava"):
        out = tmp_path / f"{kind}.json"
        data = str(files["data"])
        argv = ["report", str(files[kind]), "--input", data, "--calibration", data]
        assert main([*argv, "-o", str(out), "--target", "lava", "--profile", "loihi"]) == 0
        doc = json.loads(out.read_text())
        validate_report(doc)
        docs.append(doc["counts"])
        assert doc["deployment"]["target"] == "lava"
    assert docs[0] == docs[1] == docs[2]


def test_without_target_batchnorm_is_folded_and_said(files):
    report = _report(load_graph(files["ckpt"]), ["cmos45-fp32"])
    assert report.deployment["target"] is None
    assert any("BatchNorm" in note for note in report.deployment["notes"])
    rows = {r["name"]: r for r in report.layer_table()}
    assert rows["layer1.conv"]["folded"] == ["layer1.bn"]
    assert rows["layer1.conv"]["precision"] is None
    text = report.to_markdown()
    assert "## Deployed network" in text and "layer1.bn folded into layer1.conv" in text


def test_unpriced_term_is_listed_per_layer_with_its_size(files):
    """Float run on Loihi: the conv after the average pooling gets real-valued inputs
    (MACs), which the loihi profile does not price: the layer says so, with the count."""
    report = _report(load_graph(files["ckpt"]), ["loihi"])
    macs = report.counts.layer("layer2.conv").per_sample("Effective_MACs")
    assert macs > 0
    row = {r["name"]: r for r in report.layer_table()}["layer2.conv"]
    missing = {u["name"]: u for u in row["energy"]["loihi"]["not_priced"]}
    assert missing["MACs"]["count"] == pytest.approx(macs)
    assert missing["MACs"]["unit"] == "ops"
    assert "not priced: MACs" in report.to_markdown()


# --------------------------------------------------------------------- by hand


def _hand_graph() -> Graph:
    """input [1, 4, 4] → conv1 (1×1, w = 1) → bn1 (×2) → lif1 (β = 0, θ = 1)
    → pool (2×2 sum, stride 2) → conv2 (1×1, w = 1) → lif2 (β = 0, θ = 1) → output.

    With β = 0 and 2·x ≥ θ, lif1 spikes exactly where the input spikes; the sum pooling
    then carries spike counts 0..4 per window.
    """
    from snncompile.ir.native_layers import BatchNorm
    from snncompile.ir.native_neurons import SoftLIF

    def lif(shape: tuple[int, ...]) -> SoftLIF:
        return SoftLIF(beta=np.zeros(shape), v_threshold=np.ones(shape))

    def conv(size: int) -> nir.Conv2d:
        return nir.Conv2d((size, size), np.ones((1, 1, 1, 1)), 1, 0, 1, 1, np.zeros(1))

    nodes = {
        "input": nir.Input({"input": np.array([1, 4, 4])}),
        "conv1": conv(4),
        "bn1": BatchNorm(np.array([2.0]), np.zeros(1), np.zeros(1), np.ones(1), eps=1e-6),
        "lif1": lif((1, 4, 4)),
        "pool": nir.SumPool2d(np.array([2, 2]), np.array([2, 2]), np.array([0, 0])),
        "conv2": conv(2),
        "lif2": lif((1, 2, 2)),
        "output": nir.Output({"output": np.array([1, 2, 2])}),
    }
    return Graph(nodes, tuple(itertools.pairwise(nodes)))


def _hand_inputs() -> np.ndarray:
    """[T=2, B=1, 1, 4, 4] spikes: step 0 has 3 spikes in the top-left window and 1 in
    the bottom-right one; step 1 has 1 spike in each of the four windows."""
    x = np.zeros((2, 1, 1, 4, 4), dtype=np.float32)
    x[0, 0, 0, 0, 0] = x[0, 0, 0, 0, 1] = x[0, 0, 0, 1, 0] = x[0, 0, 0, 3, 3] = 1
    x[1, 0, 0, 0, 0] = x[1, 0, 0, 0, 2] = x[1, 0, 0, 2, 0] = x[1, 0, 0, 2, 2] = 1
    return x


def _ops(report: object) -> dict[str, dict[str, float]]:
    keys = ("Effective_ACs", "Effective_MACs", "Graded_SynOps", "NeuronUpdates", "Spikes")
    return {
        layer.name: {k: layer.get(k) for k in keys if layer.get(k)}
        for layer in report.counts.layers  # type: ignore[attr-defined]
    }


def test_hand_counts_before_and_after_folding():
    x = _hand_inputs()
    floating = energy_report(_hand_graph(), x, ["cmos45-fp32"])
    # float, BatchNorm folded into conv1 (w = 2): 8 input spikes × fan-out 1; lif1 copies
    # them; the pooling adds each spike into one window (8 ACs); conv2 reads window sums
    # [3, 0, 0, 1] (graded: 2 non-zero × 1 synapse) then [1, 1, 1, 1] (spikes: 4 ACs);
    # lif2 spikes wherever its window had a spike (2 + 4)
    assert _ops(floating) == {
        "conv1": {"Effective_ACs": 8},
        "lif1": {"NeuronUpdates": 32, "Spikes": 8},
        "pool": {"Effective_ACs": 8},
        "conv2": {"Effective_ACs": 4, "Graded_SynOps": 2},
        "lif2": {"NeuronUpdates": 8, "Spikes": 6},
    }
    assert {r["name"]: r["folded"] for r in floating.layer_table()}["conv1"] == ["bn1"]
    # on Loihi the pooling is folded into conv2 (a 2×2 stride-2 conv on lif1's spikes):
    # each of lif1's 8 spikes reaches one synapse, spike-driven; calibrated on these
    # spikes, the input layer takes binary spikes too
    options = {"calibration": x}
    loihi = energy_report(_hand_graph(), x, ["loihi"], target="lava", target_options=options)
    assert _ops(loihi) == {
        "conv1": {"Effective_ACs": 8},
        "lif1": {"NeuronUpdates": 32, "Spikes": 8},
        "conv2": {"Effective_ACs": 8},
        "lif2": {"NeuronUpdates": 8, "Spikes": 6},
    }
    rows = {r["name"]: r for r in loihi.layer_table()}
    assert rows["conv2"]["folded"] == ["pool"]
    assert rows["conv1"]["folded"] == ["bn1"]
    assert loihi.counts.layer("conv2").describe["weight_shape"] == [1, 1, 2, 2]
    # uncalibrated, the Loihi input layer sends graded payloads: the same 8 events, as
    # graded synaptic ops
    graded = energy_report(_hand_graph(), x, ["loihi"], target="lava")
    assert _ops(graded)["conv1"] == {"Graded_SynOps": 8}


# --------------------------------------------------------------------- --engine lava


@pytest.mark.lava
@pytest.mark.skipif(importlib.util.find_spec("lava") is None, reason="lava-nc not installed")
def test_lava_engine_counts_equal_the_integer_reference(files):
    """engine="lava" counts the Lava fixed-point run itself; it is bit-exact with the
    integer reference, so every layer's counts are equal, and the report says which ran."""
    graph = load_graph(files["ckpt"])
    options = {"calibration": _inputs()}
    reports = {
        engine: energy_report(
            graph, _inputs(), ["loihi"], target="lava", target_options=options, engine=engine
        )
        for engine in (None, "lava")
    }
    reference, lava = reports[None], reports["lava"]
    assert reference.counts.totals()["Spikes"] > 0
    assert lava.counts.to_dict() == reference.counts.to_dict()
    assert reference.deployment["count_engine"] == "reference"
    assert lava.deployment["count_engine"] == "lava"
    assert "Lava fixed point" in lava.deployment["engine"]
    assert "integer reference" in reference.deployment["engine"]
    validate_report(json.loads(lava.to_json()))


@pytest.mark.lava
@pytest.mark.skipif(importlib.util.find_spec("lava") is None, reason="lava-nc not installed")
def test_cli_engine_lava_on_a_lava_artefact(files, tmp_path, capsys):
    data = str(files["data"])
    argv = ["report", str(files["lava"]), "--input", data, "--calibration", data]
    assert main([*argv, "--engine", "lava", "--profile", "loihi", "--json"]) == 0
    lava = json.loads(capsys.readouterr().out)
    assert main([*argv, "--profile", "loihi", "--json"]) == 0
    reference = json.loads(capsys.readouterr().out)
    assert lava["deployment"]["count_engine"] == "lava"
    assert reference["deployment"]["count_engine"] == "reference"
    assert lava["estimates"] == reference["estimates"]
    assert lava["firing_rate"] == reference["firing_rate"]


@pytest.mark.parametrize("target", [None, "nir", "netx"])
def test_engine_lava_without_a_lava_run_is_refused(files, target):
    with pytest.raises(ConfigError) as info:
        energy_report(load_graph(files["ckpt"]), _inputs(), ["loihi"], target=target, engine="lava")
    err = info.value
    assert "lava" in err.message and "target='lava'" in (err.hint or "")
    assert "--target lava" in (err.cli_hint or "")
    if target is not None:
        assert repr(target) in err.message and "reference" in err.message


def test_cli_engine_lava_refused_for_another_target(files, capsys):
    data = str(files["data"])
    argv = ["report", str(files["ckpt"]), "--input", data, "--target", "nir"]
    assert main([*argv, "--engine", "lava"]) == 1
    err = capsys.readouterr().err
    assert "engine 'lava'" in err and "hint:" in err and "--target lava" in err


# --------------------------------------------------------------------- HTML and Markdown


def test_html_shows_the_deployed_network_and_the_layer_tables(files):
    """The HTML page carries, after the summary, what was counted and the per-layer
    tables the Markdown has (the same rows): module names, folds, precision, counts,
    dynamic energy per profile with what is not priced and its size, static per chip."""
    from html import escape

    from snncompile.energy.report import deployment_rows, layer_energy_rows, layer_rows

    report = _report(load_graph(files["ckpt"]), ["loihi", "loihi2"], "lava")
    html, md = report.to_html(), report.to_markdown()
    summary = html.index("Summary: estimates per inference")
    deployed = html.index("<h2>Deployed network</h2>")
    counts = html.index("Counts per layer")
    energy = html.index("Dynamic energy per layer")
    assert summary < deployed < counts < energy < html.index("core mapping")
    for rows in (deployment_rows(report), layer_rows(report), layer_energy_rows(report)):
        for row in rows:
            for cell in row:
                assert escape(cell) in html, cell
                assert cell in md, cell
    conv2 = next(r for r in layer_rows(report) if r[0] == "layer2.conv")
    assert conv2[2] == "layer2.bn, pool" and "weight s" in conv2[3]
    energy_rows = {r[0]: r for r in layer_energy_rows(report)}
    # loihi2 prices static power only: each layer says what is missing, with its size
    assert energy_rows["layer2.conv"][2].startswith("not priced: synaptic ops (ACs) ")
    assert energy_rows["static power, per chip (not per layer)"][2].endswith("× 1 chip(s)")
    assert "layer2.bn, pool folded into layer2.conv" in html
    assert "integer reference" in html


def test_record_report_without_deployment_has_no_deployed_section(files):
    """A report of a recorded run says nothing it does not know: no deployment section,
    no precision (float), layers named as recorded."""
    from snncompile.energy.report import build_report, layer_rows

    counts = _report(load_graph(files["ckpt"]), ["loihi"]).counts
    report = build_report(counts, ["loihi"], chip=None)
    assert "Deployed network" not in report.to_html()
    assert "Deployed network" not in report.to_markdown()
    assert all(row[3] == "–" for row in layer_rows(report))


def test_cli_engine_lava_refused_for_a_recorded_run(files, tmp_path, capsys):
    saved = tmp_path / "saved.json"
    data = str(files["data"])
    assert main(["report", str(files["ckpt"]), "--input", data, "-o", str(saved)]) == 0
    capsys.readouterr()
    assert main(["report", str(saved), "--engine", "lava"]) == 1
    err = capsys.readouterr().err
    assert "recorded run" in err and "hint:" in err and "--target lava" in err
