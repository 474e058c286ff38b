"""train_digits.py (single process and DDP), demo.py and compare_neurons.py."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import compare_neurons
import demo
import pytest
import torch
import train_digits
from digits_common import build_model, evaluate, load_data

import snncompile
from snncompile.checkpoint import load_info
from tests.examples.conftest import EXAMPLES

REPO = EXAMPLES.parent


def test_training_smoke_saves_a_loadable_checkpoint(tmp_path):
    out, summary = tmp_path / "digits_lif.pt", tmp_path / "runs.json"
    code = train_digits.main(
        [
            "--neuron",
            "lif",
            "--epochs",
            "3",
            "--limit",
            "256",
            "--out",
            str(out),
            "--summary",
            str(summary),
            "--no-progress",
        ]
    )
    assert code == 0
    record = load_info(out)["metadata"]["training"]
    assert record["neuron"] == "lif" and record["epochs"] == 3
    assert record["test_accuracy"] > 0.3  # chance is 0.1
    data = load_data("direct", 4)
    res = evaluate(snncompile.load(out), data.x_test, data.y_test)
    assert res.accuracy == record["test_accuracy"]
    assert res.rates == pytest.approx(record["firing_rates"])
    assert json.loads(summary.read_text())["lif"]["checkpoint"] == out.as_posix()
    assert "| lif |" in summary.with_suffix(".md").read_text()


def test_events_encoding_smoke(tmp_path):
    record = train_digits.train(
        train_digits.parse_args(
            [
                "--neuron",
                "ilif",
                "--encoding",
                "events",
                "--epochs",
                "1",
                "--limit",
                "64",
                "--out",
                "none",
                "--no-progress",
                "--quiet",
            ]
        )
    )
    assert record["encoding"] == "events" and 0.0 <= record["test_accuracy"] <= 1.0
    assert "checkpoint" not in record


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("torchrun", path=str(Path(sys.executable).parent)) is None,
    reason="torchrun not installed next to the interpreter",
)
def test_ddp_two_ranks_end_with_identical_weights(tmp_path):
    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [
        torchrun,
        "--standalone",
        "--nproc_per_node",
        "2",
        str(EXAMPLES / "train_digits.py"),
        "--ddp",
        "--epochs",
        "2",
        "--limit",
        "96",
        "--batch-size",
        "16",
        "--no-progress",
        "--out",
        str(tmp_path / "ddp.pt"),
        "--rank-weights",
        str(tmp_path / "ranks"),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rank0 = torch.load(tmp_path / "ranks" / "rank0.pt")
    rank1 = torch.load(tmp_path / "ranks" / "rank1.pt")
    assert rank0.keys() == rank1.keys()
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), key
    torch.manual_seed(0)
    init = build_model("lif").state_dict()
    assert not torch.equal(init["fc1.weight"], rank0["fc1.weight"])  # it trained
    assert load_info(tmp_path / "ddp.pt")["metadata"]["training"]["world_size"] == 2
    assert proc.stdout.count("saved ") == 1  # only rank 0 saves and logs


def test_demo_evaluates_the_shipped_checkpoints(capsys):
    shipped = sorted((EXAMPLES / "models").glob("digits_*.pt"))
    assert {p.stem for p in shipped} >= {
        f"digits_{n}" for n in ("lif", "plif", "ilif", "clif", "dalif")
    }
    assert demo.main([]) == 0
    out = capsys.readouterr().out
    rows = [
        line.split()
        for line in out.splitlines()
        if line.split()[:1] and line.split()[0] in ("lif", "plif", "ilif", "clif", "dalif")
    ]
    assert len(rows) == 5
    for row in rows:
        assert float(row[3]) >= 0.95, row  # accuracy column
        assert float(row[3]) == pytest.approx(float(row[4]))  # equals the training record
    # the Lava part: `snncompile export` prints its quantisation, Lava equals the reference
    assert re.search(r"\$ snncompile export \S*digits_lif.pt --target lava", out)
    assert "| sn1 | soft_lif |" in out and "Float vs fixed point on 256 samples" in out
    assert "| bit-exact " in out and "MISMATCH" not in out


def test_compare_neurons_writes_a_report(tmp_path):
    out = tmp_path / "results.md"
    code = compare_neurons.main(
        [
            "--seeds",
            "0",
            "1",
            "--neurons",
            "lif",
            "ilif",
            "--encodings",
            "direct",
            "--out",
            str(out),
            "--",
            "--epochs",
            "1",
            "--limit",
            "64",
        ]
    )
    assert code == 0
    text = out.read_text()
    assert "## direct encoding" in text and "| ILIF fires less than LIF |" in text
    assert text.count("| direct | LIF |") == 2 and text.count("| direct | ILIF |") == 2
    assert "## Reading" in text and "CLIF" not in text.split("## Reading")[1].split("These")[0]
