"""The example scripts follow the one overwrite rule: they write to a path the user
gives, refuse an existing one before any training or simulation unless ``--force``, and
never touch the shipped files in ``examples/models`` and ``examples/data``."""

from __future__ import annotations

import hashlib

import compare_neurons
import lava_digits_table
import make_digits_data
import numpy as np
import pytest
import train_digits

from snncompile.checkpoint import load_info
from snncompile.errors import ConfigError
from tests.examples.conftest import EXAMPLES

SHIPPED = sorted([*(EXAMPLES / "models").iterdir(), *(EXAMPLES / "data").iterdir()])


@pytest.fixture(autouse=True)
def shipped_files_unchanged():
    """Every test here leaves the shipped models and data byte for byte as they were."""
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in SHIPPED}
    yield
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in SHIPPED} == before


def _no_work(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"{name} ran before the output was checked")

    monkeypatch.setattr(module, name, forbidden)


def test_train_digits_needs_an_output_path(capsys):
    with pytest.raises(SystemExit) as excinfo:
        train_digits.parse_args(["--neuron", "lif"])
    assert excinfo.value.code == 2 and "--out" in capsys.readouterr().err


def test_train_digits_refuses_an_existing_checkpoint_before_training(tmp_path, monkeypatch):
    out = tmp_path / "digits_lif.pt"
    out.write_bytes(b"keep")
    _no_work(monkeypatch, train_digits, "load_data")
    with pytest.raises(ConfigError) as excinfo:
        train_digits.main(["--neuron", "lif", "--out", str(out), "--no-progress"])
    assert f"'{out}' already exists" in excinfo.value.message
    assert out.read_bytes() == b"keep"


def test_train_digits_refuses_the_shipped_checkpoint(monkeypatch):
    shipped = EXAMPLES / "models" / "digits_lif.pt"
    _no_work(monkeypatch, train_digits, "load_data")
    with pytest.raises(ConfigError, match="already exists"):
        train_digits.main(["--neuron", "lif", "--out", str(shipped), "--no-progress"])


def test_train_digits_force_replaces(tmp_path):
    out = tmp_path / "digits_lif.pt"
    out.write_bytes(b"old")
    argv = ["--neuron", "lif", "--epochs", "1", "--limit", "32", "--out", str(out)]
    assert train_digits.main([*argv, "--force", "--no-progress", "--quiet"]) == 0
    assert load_info(out)["metadata"]["training"]["epochs"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["digits_lif.pt"]


def test_compare_neurons_refuses_an_existing_report_before_training(tmp_path, monkeypatch):
    out = tmp_path / "results.md"
    out.write_text("keep")
    _no_work(monkeypatch, compare_neurons, "train")
    with pytest.raises(ConfigError, match="already exists"):
        compare_neurons.main(["--seeds", "0", "--neurons", "lif", "--out", str(out)])
    assert out.read_text() == "keep"


def test_compare_neurons_needs_an_output_path(capsys):
    with pytest.raises(SystemExit) as excinfo:
        compare_neurons.main(["--seeds", "0", "--neurons", "lif"])
    assert excinfo.value.code == 2 and "--out" in capsys.readouterr().err


def test_make_digits_data_writes_the_given_path_once(tmp_path):
    out = tmp_path / "digits_test.npz"
    assert make_digits_data.main([str(out)]) == 0
    with np.load(out) as fresh, np.load(EXAMPLES / "data" / "digits_test.npz") as shipped:
        assert np.array_equal(fresh["inputs"], shipped["inputs"])
        assert np.array_equal(fresh["labels"], shipped["labels"])
    first = out.read_bytes()
    with pytest.raises(ConfigError, match="already exists"):
        make_digits_data.main([str(out)])
    assert make_digits_data.main([str(out), "--force"]) == 0
    assert out.read_bytes() == first  # same data, and nothing else left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["digits_test.npz"]


def test_lava_digits_table_refuses_an_existing_table_before_running(tmp_path, monkeypatch):
    out = tmp_path / "table.md"
    out.write_text("keep")
    _no_work(monkeypatch, lava_digits_table, "model_row")
    with pytest.raises(ConfigError, match="already exists"):
        lava_digits_table.main(["--neurons", "lif", "--samples", "2", "--out", str(out)])
    assert out.read_text() == "keep"


def test_a_script_reports_an_existing_output_as_a_user_error(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "digits_test.npz"
    out.write_bytes(b"keep")
    script = EXAMPLES / "make_digits_data.py"
    proc = subprocess.run(
        [sys.executable, str(script), str(out)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 1, proc.stderr
    assert f"error: output '{out}' already exists" in proc.stderr
    assert "hint: " in proc.stderr and "--force" in proc.stderr
    assert "Traceback" not in proc.stderr and out.read_bytes() == b"keep"
