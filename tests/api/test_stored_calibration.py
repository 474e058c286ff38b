"""Checkpoints keep their example input, and the Loihi targets calibrate on it.

A trained-like conv layer with BatchNorm (27 equal-magnitude weights per output) cannot
be quantised from its weights alone (the state bound leaves too few weight mantissa
steps); calibrated on the stored example input it can. The quantiser's hints name the
options in the caller's spelling: Python keywords from the API, flags from the CLI.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import snncompile
import snncompile.neurons as sn
from snncompile.api import PER_STEP_CALIBRATION_STEPS, stored_calibration
from snncompile.checkpoint.reader import stored_example
from snncompile.checkpoint.writer import MAX_EXAMPLE_BYTES
from snncompile.cli import main
from snncompile.errors import QuantizationError

pytest.importorskip("snncompile_loihi")


def conv_bn_net() -> nn.Module:
    """conv(3→4, 3x3) + BN → CLIF → readout; every conv weight ±0.5 (flat rows)."""
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 4, 3, padding=1, bias=False)
    bn = nn.BatchNorm2d(4)
    with torch.no_grad():
        signs = torch.where(torch.rand_like(conv.weight) < 0.3, -1.0, 1.0)
        conv.weight.copy_(0.5 * signs)
        bn.running_mean.fill_(0.2)
        bn.running_var.fill_(1.5)
        bn.weight.fill_(0.8)
    return nn.Sequential(
        sn.TimeDistributed(nn.Sequential(conv, bn)),
        sn.CLIF(),
        nn.Flatten(2),
        nn.Linear(4 * 6 * 6, 3),
    ).eval()


def digits_like(batch: int) -> torch.Tensor:
    """Time-major [4, batch, 3, 6, 6] inputs on a 1/16 grid in [0, 1]."""
    gen = torch.Generator().manual_seed(1)
    x = torch.randint(0, 17, (batch, 3, 6, 6), generator=gen).float() / 16
    return x.expand(4, -1, -1, -1, -1).contiguous()


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Path, Path]:
    """(checkpoint with data as example, checkpoint with a zero example)."""
    model = conv_bn_net()
    with_data, zeros = tmp_path / "data.pt", tmp_path / "zeros.pt"
    snncompile.save(model, with_data, example_input=digits_like(16))
    snncompile.save(model, zeros, example_input=torch.zeros(4, 1, 3, 6, 6))
    return with_data, zeros


def test_checkpoint_stores_the_example_values(saved: tuple[Path, Path]) -> None:
    with_data, _ = saved
    (stored,) = stored_example(with_data)
    np.testing.assert_array_equal(stored, digits_like(16).numpy())


def test_large_example_is_not_stored(tmp_path: Path) -> None:
    model = nn.Sequential(nn.Flatten(2), nn.Linear(4096, 2))
    steps = MAX_EXAMPLE_BYTES // (4 * 4096) + 1  # one step more than the cap holds
    snncompile.save(model, tmp_path / "big.pt", example_input=torch.ones(steps, 1, 4096))
    assert stored_example(tmp_path / "big.pt") is None


def test_lava_calibrates_on_the_stored_example(saved: tuple[Path, Path]) -> None:
    with_data, _ = saved
    artifact = snncompile.compile(with_data, "lava")
    info = artifact.staged.view.calibration
    assert (info["method"], info["samples"], info["steps"]) == ("search", 16, 4)
    assert "2^-4 grid" in info["input_rule"]  # the stored pixels are exact multiples of 1/16


def test_explicit_calibration_wins(saved: tuple[Path, Path]) -> None:
    with_data, _ = saved
    artifact = snncompile.compile(with_data, "lava", calibration=digits_like(5).numpy())
    assert artifact.staged.view.calibration["samples"] == 5


def test_zero_example_is_no_calibration(saved: tuple[Path, Path]) -> None:
    _, zeros = saved
    graph = snncompile.compile(zeros, "nir").graph
    assert stored_calibration(zeros, graph) is None
    assert stored_calibration(conv_bn_net(), graph) is None  # modules: the caller's data


def test_weights_only_failure_names_python_options(saved: tuple[Path, Path]) -> None:
    _, zeros = saved
    with pytest.raises(QuantizationError, match="mantissa steps") as info:
        snncompile.compile(zeros, "lava")
    hint = info.value.hint or ""
    assert "allow_clamp=True" in hint and "calibration=" in hint
    assert "--" not in hint
    assert "--allow-clamp" in (info.value.cli_hint or "")


def test_cli_failure_names_flags(saved: tuple[Path, Path], tmp_path: Path, capsys) -> None:
    _, zeros = saved
    code = main(["export", str(zeros), "--target", "lava", "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1
    assert "mantissa steps" in err
    assert "--allow-clamp" in err and "--calibration FILE" in err
    assert "allow_clamp=True" not in err


def test_cli_export_uses_stored_example(saved: tuple[Path, Path], tmp_path: Path) -> None:
    with_data, _ = saved
    code = main(["export", str(with_data), "--target", "lava", "-o", str(tmp_path / "out")])
    assert code == 0
    assert (tmp_path / "out").is_dir()


def test_netx_ignores_a_graded_stored_example(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(2), nn.Linear(36, 5), sn.LIF(reset="hard"))
    path = tmp_path / "lif.pt"  # graded example: netx takes spikes only, so it is unused
    snncompile.save(model, path, example_input=torch.rand(4, 2, 1, 6, 6))
    assert stored_example(path) is not None
    artifact = snncompile.compile(path, "netx")
    assert artifact.staged.view.calibration["method"] == "weights-only"


def test_check_calibrates_on_the_stored_example_as_compile_does(
    saved: tuple[Path, Path],
) -> None:
    """``check`` answers what ``compile`` does: deployable with the stored example, and
    the same quantisation problem for the zero placeholder."""
    with_data, zeros = saved
    assert snncompile.check(with_data, target="lava")
    result = snncompile.check(zeros, target="lava")
    assert not result
    (problem,) = result.problems
    assert problem.stage == "quantize"
    assert main(["-q", "check", str(with_data), "--target", "lava"]) == 0


def test_a_per_step_checkpoint_calibrates_on_its_one_step_example(tmp_path: Path) -> None:
    """The snnTorch-style twin of conv_bn_net stores a one-step example [B, ...]; the
    Loihi targets hold it for PER_STEP_CALIBRATION_STEPS steps (direct encoding), so it
    quantises where its zero placeholder cannot."""
    time_major = conv_bn_net()
    conv_bn = time_major[0].module
    per_step = nn.Sequential(conv_bn, sn.CLIF(step_mode="s"), nn.Flatten(), time_major[3]).eval()
    frame = digits_like(16)[0]
    with_data, zeros = tmp_path / "per_step.pt", tmp_path / "per_step_zeros.pt"
    snncompile.save(per_step, with_data, example_input=frame)
    snncompile.save(per_step, zeros, example_input=torch.zeros_like(frame))
    artifact = snncompile.compile(with_data, "lava")
    info = artifact.staged.view.calibration
    assert (info["samples"], info["steps"]) == (16, PER_STEP_CALIBRATION_STEPS)
    stored = stored_calibration(with_data, artifact.graph)
    assert stored is not None and stored.shape == (PER_STEP_CALIBRATION_STEPS, 16, 3, 6, 6)
    np.testing.assert_array_equal(stored[-1], frame.numpy())
    with pytest.raises(QuantizationError, match="mantissa steps"):
        snncompile.compile(zeros, "lava")


def test_cli_report_counts_what_export_deploys(saved: tuple[Path, Path], tmp_path: Path) -> None:
    """``report model.pt --target lava`` calibrates on the stored example, as export
    does (without it the quantiser refuses this model, as ``test_cli_failure_names_flags``
    shows): it counts the exported program, whose own report is given that example."""
    import json

    with_data, _ = saved
    data, stored = tmp_path / "x.npz", tmp_path / "stored.npz"
    np.savez(data, inputs=digits_like(3).numpy())
    np.savez(stored, inputs=digits_like(16).numpy())  # what the checkpoint stores
    art = tmp_path / "art"
    assert main(["export", str(with_data), "--target", "lava", "-o", str(art)]) == 0
    docs = []
    for source, extra in ((with_data, ["--target", "lava"]), (art, ["--calibration", stored])):
        out = tmp_path / f"{Path(source).stem}.json"
        argv = ["report", str(source), "--input", str(data), "--profile", "loihi"]
        assert main([*argv, *map(str, extra), "-o", str(out)]) == 0
        docs.append(json.loads(out.read_text()))
    assert docs[0]["counts"] == docs[1]["counts"]
    assert docs[0]["metadata"]["calibration"] == "the checkpoint's stored example input"
