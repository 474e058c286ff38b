"""The ``report`` subcommand on activity records and saved reports."""

from __future__ import annotations

import json

import numpy as np
import pytest

from snncompile.cli import build_parser
from snncompile.energy import ActivityRecord, DenseSpec, NeuronSpec
from snncompile.errors import ConfigError, InputError


def _parse(argv):
    return build_parser().parse_args(argv)


@pytest.fixture
def activity(tmp_path):
    record = ActivityRecord()
    record.add("fc", DenseSpec(np.eye(3)), inputs=np.ones((2, 1, 3)))
    record.add("lif", NeuronSpec("LIF", (3,)), outputs=np.ones((2, 1, 3)))
    path = tmp_path / "activity.npz"
    record.save(path)
    return path


def test_report_from_activity_then_reprice_the_json(activity, tmp_path, capsys):
    out = tmp_path / "r.json"
    args = _parse(["report", str(activity), "-o", str(out), "--profile", "cmos45-fp32"])
    assert args.handler(args) == 0
    doc = json.loads(out.read_text())
    assert doc["counts"]["totals_per_sample"]["Effective_ACs"] == 6
    args = _parse(["report", str(out), "--profile", "loihi", "--paper"])
    assert args.handler(args) == 0
    assert "### loihi" in capsys.readouterr().out


def test_list_profiles(capsys):
    args = _parse(["report", "--list-profiles"])
    assert args.handler(args) == 0
    assert "spinnaker2-2021" in capsys.readouterr().out


def test_user_errors(tmp_path, activity):
    args = _parse(["report"])
    with pytest.raises(ConfigError, match="no activity record"):
        args.handler(args)
    args = _parse(["report", str(tmp_path / "none.npz")])
    with pytest.raises(InputError, match="does not exist"):
        args.handler(args)
    args = _parse(["report", str(activity), "--profile", "nope"])
    with pytest.raises(ConfigError, match="unknown energy profile 'nope'"):
        args.handler(args)
