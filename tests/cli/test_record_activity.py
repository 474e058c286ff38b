"""``simulate --record activity.npz`` then ``report activity.npz`` (issue 15, item 5):
the same figures as ``report MODEL`` on the same inputs, the overwrite rule, the
``--json`` units and the errors of a record that is not one."""

from __future__ import annotations

import json

import numpy as np
import pytest

from snncompile.energy import ActivityRecord, DenseSpec, NeuronSpec, report_from_record
from snncompile.errors import ConfigError, InputError


def _report_doc(cli, source, out, *extra):
    result = cli("report", source, *extra, "-o", out)
    assert result.code == 0, result.err
    return json.loads(out.read_text())


@pytest.mark.parametrize("artefact", ["onnx", "nir"])
def test_recorded_activity_prices_like_the_model(cli, assets, tmp_path, artefact):
    record = tmp_path / "activity.npz"
    result = cli(
        "simulate", getattr(assets, artefact), "--input", assets.inputs, "--steps", 4,
        "--record", record, "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    assert summary["activity"] == str(record)
    assert "reference simulator" in summary["activity_engine"]  # the engine is named
    from_record = _report_doc(cli, record, tmp_path / "a.json")
    model = assets.checkpoint if artefact == "onnx" else assets.nir
    direct = _report_doc(cli, model, tmp_path / "m.json", "--input", assets.inputs, "--steps", 4)
    assert from_record["counts"] == direct["counts"]
    assert from_record["counts"]["samples"] == 6 and from_record["counts"]["timesteps"] == 4
    assert from_record["counts"]["totals_per_sample"]["Spikes"] > 0
    assert from_record["resources"] == direct["resources"]
    for ours, theirs in zip(from_record["estimates"], direct["estimates"], strict=True):
        assert ours["profile"] == theirs["profile"]
        assert ours["per_sample_j"] == pytest.approx(theirs["per_sample_j"], rel=1e-12)
        assert ours["terms"] == theirs["terms"]
    assert from_record["metadata"]["target"] == artefact
    assert "reference simulator" in from_record["metadata"]["engine"]
    # the API prices the same file to the same figures
    api = report_from_record(record)
    assert json.loads(json.dumps(api.counts.to_dict())) == from_record["counts"]
    assert [e.total_j for e in api.estimates] == pytest.approx(
        [e["per_sample_j"] for e in from_record["estimates"]], rel=1e-12
    )


def test_human_output_names_the_activity_engine(cli, assets, tmp_path):
    record = tmp_path / "act.npz"
    argv = ["simulate", assets.onnx, "--input", assets.inputs, "--steps", 2]
    result = cli(*argv, "--record", record)
    assert result.code == 0, result.err
    assert str(record) in result.out and "reference simulator" in result.out


def test_existing_record_is_refused_before_the_run(cli, assets, tmp_path):
    record = tmp_path / "activity.npz"
    record.write_bytes(b"keep me")
    outputs = tmp_path / "outputs.npz"
    missing = tmp_path / "no-such-input.npz"  # the run would fail on it: we never get there
    result = cli("simulate", assets.onnx, "--input", missing, "--record", record, "-o", outputs)
    assert result.code != 0
    assert "already exists" in result.err and "activity.npz" in result.err
    assert "no-such-input" not in result.err
    assert record.read_bytes() == b"keep me" and not outputs.exists()
    result = cli(
        "simulate", assets.onnx, "--input", assets.inputs, "--steps", 2, "--record", record,
        "--force",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert len(ActivityRecord.load(record)) == 2  # Linear and LIF


def test_record_path_must_be_npz_and_not_the_output(cli, assets, tmp_path):
    result = cli("simulate", assets.onnx, "--input", assets.inputs, "--record", tmp_path / "a.json")
    assert result.code != 0 and "not .npz" in result.err
    same = tmp_path / "same.npz"
    result = cli("simulate", assets.onnx, "--input", assets.inputs, "--record", same, "-o", same)
    assert result.code != 0 and "same file" in result.err and not same.exists()


def test_json_names_units_and_scopes(cli, assets, tmp_path):
    argv = ["report", assets.nir, "--input", assets.inputs, "--steps", 4, "--json"]
    result = cli(*argv, "--profile", "cmos45-fp32", "--profile", "loihi")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert set(doc["units"]) == {"per_sample_j", "per_step_j", "total_j"}
    assert "batch" in doc["units"]["total_j"] and "per sample" in doc["units"]["per_sample_j"]
    for est in doc["estimates"]:
        assert est["per_sample_j"] > 0
        assert est["per_step_j"] == pytest.approx(est["per_sample_j"] / 4)
        assert est["total_j"] == pytest.approx(est["per_sample_j"] * 6)  # 6 samples


def _small_record(**kwargs) -> ActivityRecord:
    record = ActivityRecord(**kwargs)
    record.add("fc", DenseSpec(np.eye(3)), inputs=np.ones((2, 1, 3)))
    record.add("lif", NeuronSpec("LIF", (3,)), outputs=np.ones((2, 1, 3)))
    return record


def test_save_follows_the_overwrite_rule(tmp_path):
    path = tmp_path / "activity.npz"
    record = _small_record(groups={"lif": ["fc"]}, metadata={"model": "m"})
    assert record.save(path) == path
    with pytest.raises(ConfigError, match="already exists"):
        record.save(path)
    record.save(path, force=True)
    loaded = ActivityRecord.load(path)
    assert loaded.groups == {"lif": ["fc"]} and loaded.metadata == {"model": "m"}
    with pytest.raises(ConfigError, match=r"not \.npz"):
        record.save(tmp_path / "activity")  # numpy would silently append .npz
    with pytest.raises(ConfigError, match="empty"):
        ActivityRecord().save(tmp_path / "empty.npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["activity.npz"]  # no leftovers


def test_bad_activity_files_are_named_errors(cli, assets, tmp_path):
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, inputs=np.zeros((2, 1, 3)))
    damaged = tmp_path / "damaged.npz"
    _small_record().save(damaged)
    damaged.write_bytes(damaged.read_bytes()[:40])
    wrong_groups = tmp_path / "groups.npz"
    _small_record(groups={"conv9": ["fc"]}).save(wrong_groups)
    mismatch = tmp_path / "mismatch.npz"  # a 3-input layer recorded with 5 inputs
    bad = ActivityRecord()
    bad.add("fc", DenseSpec(np.eye(3)), inputs=np.ones((2, 1, 5)))
    bad.save(mismatch)
    for path, message in [
        (foreign, "not an activity record"),
        (damaged, "cannot read activity record"),
        (wrong_groups, "conv9"),
        (mismatch, "expects 3"),
        (tmp_path / "missing.npz", "does not exist"),
    ]:
        result = cli("report", path)
        assert result.code != 0, path
        assert message in result.err, (path, result.err)
        with pytest.raises(InputError, match=message):
            report_from_record(path)
    # a record already holds its run: new inputs are refused, not ignored
    good = tmp_path / "good.npz"
    _small_record().save(good)
    result = cli("report", good, "--input", assets.inputs)
    assert result.code != 0 and "--input/--steps apply to models" in result.err


def test_conv_bn_pool_record_matches_the_artefact_report(cli, tmp_path):
    """Several neuron layers, BatchNorm and pooling: the record keeps the synapse groups,
    so the Loihi 2 resource estimate (and the chip's static term) match too."""
    import warnings

    import torch
    from torch import nn

    import snncompile
    import snncompile.neurons as sn

    torch.manual_seed(1)
    conv = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4))
    model = nn.Sequential(
        sn.TimeDistributed(conv),
        sn.LIF(),
        sn.TimeDistributed(nn.AvgPool2d(2)),
        nn.Flatten(2),
        nn.Linear(64, 10),
        sn.LIF(),
    ).eval()
    checkpoint = tmp_path / "net.pt"
    snncompile.save(model, checkpoint, example_input=torch.rand(3, 2, 1, 8, 8))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snncompile.compile(checkpoint, "onnx").save(tmp_path / "net.onnx")
    data = tmp_path / "x.npz"
    np.savez(data, inputs=np.random.default_rng(2).random((4, 1, 8, 8), dtype=np.float32))
    record = tmp_path / "activity.npz"
    steps = ("--input", data, "--steps", 3)
    result = cli("simulate", tmp_path / "net.onnx", *steps, "--record", record)
    assert result.code == 0, result.err
    assert "groups" not in ActivityRecord.load(record).metadata
    from snncompile.energy.from_ir import synapse_groups

    groups = ActivityRecord.load(record).groups
    assert groups == synapse_groups(snncompile.open(tmp_path / "net.onnx").graph)
    assert {"1", "5"} <= set(groups)  # the two LIF layers
    from_record = _report_doc(cli, record, tmp_path / "a.json", "--chip", "loihi2")
    # the artefact's own graph (BatchNorm folded by export) on the same inputs, priced
    # directly through the API: the record describes the deployed network
    x = np.repeat(np.load(data)["inputs"][None], 3, axis=0)
    direct = json.loads(snncompile.open(tmp_path / "net.onnx").report(x).to_json())
    assert from_record["counts"] == direct["counts"]
    assert len(from_record["counts"]["layers"]) == 5  # conv(+BN), LIF, pool, dense, LIF
    assert from_record["resources"] == direct["resources"] is not None
    assert [e["terms"] for e in from_record["estimates"]] == [
        e["terms"] for e in direct["estimates"]
    ]
    # --model: the artefact it came from matches, and so does its checkpoint: both are
    # compared after the pass pipeline, BatchNorm folded as every deployment folds it
    # (issue 15); another model is refused (next test)
    result = cli("report", record, "--model", tmp_path / "net.onnx", "--json")
    assert result.code == 0, result.err
    result = cli("report", record, "--model", checkpoint, "--json")
    assert result.code == 0, result.err


def test_model_option_refuses_a_record_of_another_model(cli, assets, tmp_path):
    import warnings

    import torch
    from torch import nn

    import snncompile
    import snncompile.neurons as sn

    record = tmp_path / "activity.npz"
    result = cli(
        "simulate", assets.onnx, "--input", assets.inputs, "--steps", 2, "--record", record
    )  # fmt: skip
    assert result.code == 0, result.err
    assert cli("report", record, "--model", assets.checkpoint).code == 0
    assert cli("report", record, "--model", assets.nir).code == 0
    torch.manual_seed(7)  # the same architecture, other weights
    other = tmp_path / "other.pt"
    model = nn.Sequential(nn.Flatten(2), nn.Linear(64, 10), sn.LIF())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snncompile.save(model, other, example_input=torch.rand(4, 2, 1, 8, 8))
    result = cli("report", record, "--model", other)
    assert result.code != 0
    assert "does not match" in result.err and "layer '1' differs" in result.err
    result = cli("report", assets.checkpoint, "--input", assets.inputs, "--model", other)
    assert result.code != 0 and "checks an activity record" in result.err
