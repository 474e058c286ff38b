"""The bad-input catalogue: one test per way a user can feed snncompile something wrong.

Every case must end with exit code 1, an ``error:`` line and a ``hint:`` line on stderr,
no traceback, and no partial output: neither the output path nor a ``.<name>.*`` staging
entry next to it.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from snncompile.cli import main

REPO = Path(__file__).resolve().parents[2]


def assert_user_error(result, *fragments: str) -> None:
    """Exit 1, ``error:`` and ``hint:`` lines, the fragments, no traceback."""
    assert result.code == 1, (result.code, result.err)
    lines = result.err.splitlines()
    assert any(line.startswith("error: ") for line in lines), result.err
    assert any(line.startswith("hint: ") for line in lines), result.err
    assert "Traceback" not in result.err, result.err
    assert "internal error" not in result.err, result.err
    for fragment in fragments:
        assert fragment in result.err, (fragment, result.err)


def assert_nothing_written(output: Path) -> None:
    """Neither ``output`` nor any staging leftover ``.<name>.*`` next to it."""
    assert not output.exists(), f"partial artefact left at {output}"
    leftovers = sorted(p.name for p in output.parent.glob(f".{output.name}.*"))
    assert not leftovers, f"staging leftovers: {leftovers}"


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def _damaged(tmp_path: Path, source: Path, kind: str) -> Path:
    """An empty, truncated or garbage copy of ``source`` (same suffix)."""
    path = tmp_path / f"{kind}{source.suffix}"
    data = source.read_bytes()
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        path.write_bytes(data[: len(data) // 2])
    else:
        path.write_bytes(np.random.default_rng(1).bytes(2048))
    return path


# ------------------------------------------------------------------------ model files


def test_missing_model_file(cli, tmp_path, out):
    target = out / "m.nir"
    assert_user_error(
        cli("export", tmp_path / "nope.pt", "--target", "nir", "-o", target), "does not exist"
    )
    assert_nothing_written(target)


def test_directory_instead_of_model_file(cli, tmp_path, out):
    (tmp_path / "model_dir").mkdir()
    target = out / "m.nir"
    assert_user_error(
        cli("export", tmp_path / "model_dir", "--target", "nir", "-o", target), "directory"
    )
    assert_nothing_written(target)


@pytest.mark.parametrize("kind", ["empty", "truncated", "garbage"])
def test_damaged_checkpoint(cli, assets, tmp_path, out, kind):
    target = out / "m.nir"
    model = _damaged(tmp_path, assets.checkpoint, kind)
    expected = {"empty": "empty (0 bytes)", "truncated": "truncated or corrupted"}
    result = cli("export", model, "--target", "nir", "-o", target)
    assert_user_error(result, expected.get(kind, "not a torch file"))
    assert_nothing_written(target)


@pytest.mark.parametrize("kind", ["empty", "truncated", "garbage"])
def test_damaged_nir_file(cli, assets, tmp_path, out, kind):
    target = out / "m.onnx"
    model = _damaged(tmp_path, assets.nir, kind)
    result = cli("export", model, "--target", "onnx", "-o", target)
    assert_user_error(result, "empty (0 bytes)" if kind == "empty" else "as a NIR graph")
    assert_nothing_written(target)


@pytest.mark.parametrize("kind", ["empty", "truncated", "garbage"])
def test_damaged_onnx_file(cli, assets, tmp_path, out, kind):
    target = out / "outputs.npz"
    artifact = _damaged(tmp_path, assets.onnx, kind)
    result = cli("simulate", artifact, "--input", assets.inputs, "--steps", 4, "-o", target)
    assert_user_error(result, str(artifact.name), "export it again")
    assert_nothing_written(target)


@pytest.mark.parametrize("kind", ["empty", "truncated", "garbage"])
def test_damaged_npz_file(cli, assets, tmp_path, out, kind):
    target = out / "outputs.npz"
    data = _damaged(tmp_path, assets.inputs, kind)
    result = cli("simulate", assets.onnx, "--input", data, "--steps", 4, "-o", target)
    expected = {"empty": "empty (0 bytes)", "truncated": "truncated or corrupted"}
    assert_user_error(result, expected.get(kind, "not a NumPy .npz or .npy file"))
    assert_nothing_written(target)


def test_pickled_checkpoint_without_opt_in(cli, tmp_path, out):
    import torch
    from torch import nn

    model = tmp_path / "pickled.pt"
    torch.save(nn.Sequential(nn.Flatten(2), nn.Linear(64, 10)), model)
    target = out / "m.nir"
    result = cli("export", model, "--target", "nir", "-o", target)
    assert_user_error(result, "arbitrary code", "--allow-pickle")
    assert_nothing_written(target)


def test_pickled_module_without_input_shape(cli, tmp_path, out):
    import torch
    from torch import nn

    import snncompile.neurons as sn

    model = tmp_path / "pickled.pt"
    torch.save(nn.Sequential(nn.Flatten(2), nn.Linear(64, 10), sn.LIF()), model)
    target = out / "m.nir"
    result = cli("export", model, "--allow-pickle", "--target", "nir", "-o", target)
    assert_user_error(result, "stores no example input", "--input-shape")
    assert_nothing_written(target)


def _checkpoint_with(tmp_path: Path, source: Path, edit) -> Path:
    """A copy of a checkpoint with its dict edited (weight hash recomputed)."""
    import torch

    from snncompile.checkpoint import weights_sha256

    obj = torch.load(source, weights_only=True)
    edit(obj)
    obj["weights_sha256"] = weights_sha256(obj["state_dict"])
    path = tmp_path / "edited.pt"
    torch.save(obj, path)
    return path


def test_nan_weights_in_checkpoint(cli, assets, tmp_path, out):
    def poison(obj):
        obj["state_dict"]["1.weight"][3, 5] = float("nan")

    model = _checkpoint_with(tmp_path, assets.checkpoint, poison)
    target = out / "m.onnx"
    result = cli("export", model, "--target", "onnx", "-o", target)
    # the IR verifier rejects it, naming the layer (module path '1', an Affine)
    assert_user_error(result, "node '1' (Affine)", "'weight'", "non-finite")
    assert_nothing_written(target)


def test_inf_weights_in_nir_file(cli, assets, tmp_path, out):
    import h5py

    model = tmp_path / "inf.nir"
    model.write_bytes(assets.nir.read_bytes())
    with h5py.File(model, "r+") as f:
        weight = np.array(f["node/nodes/1/weight"][()])
        weight[0, 0] = np.inf
        del f["node/nodes/1/weight"]
        f["node/nodes/1/weight"] = weight
    target = out / "m.onnx"
    result = cli("export", model, "--target", "onnx", "-o", target)
    assert_user_error(result, "node '1'", "non-finite")
    assert_nothing_written(target)


def test_unsupported_layer_in_checkpoint(cli, assets, tmp_path, out):
    def gelu(obj):
        obj["architecture"]["modules"]["2"]["type"] = "GELU"

    model = _checkpoint_with(tmp_path, assets.checkpoint, gelu)
    target = out / "m.nir"
    result = cli("export", model, "--target", "nir", "-o", target)
    assert_user_error(result, "module at '2'", "'GELU'", "LIF, Linear")
    assert_nothing_written(target)


def test_unsupported_layer_in_traced_module(cli, tmp_path, out):
    import torch
    from torch import nn

    import snncompile.neurons as sn

    model = tmp_path / "pickled.pt"
    torch.save(nn.Sequential(nn.Flatten(2), nn.Linear(64, 10), nn.GELU(), sn.LIF()), model)
    target = out / "m.nir"
    argv = ["export", model, "--allow-pickle", "--input-shape", "4,1,1,8,8"]
    result = cli(*argv, "--target", "nir", "-o", target)
    assert_user_error(result, "unsupported module at '2'", "GELU", "supported: ", "Linear")
    assert_nothing_written(target)


# ------------------------------------------------------------------------ input data


def test_missing_input_file(cli, assets, tmp_path, out):
    target = out / "outputs.npz"
    result = cli("simulate", assets.onnx, "--input", tmp_path / "none.npz", "-o", target)
    assert_user_error(result, "does not exist")
    assert_nothing_written(target)


def _simulate_with(cli, assets, tmp_path, out, **arrays):
    data = tmp_path / "data.npz"
    np.savez(data, **arrays)
    target = out / "outputs.npz"
    result = cli("simulate", assets.onnx, "--input", data, "--steps", 4, "-o", target)
    assert_nothing_written(target)
    return result


def test_input_shape_does_not_fit(cli, assets, tmp_path, out):
    result = _simulate_with(cli, assets, tmp_path, out, inputs=np.zeros((3, 1, 7, 8), np.float32))
    assert_user_error(result, "[3, 1, 7, 8]", "[T, B, 1, 8, 8]", "[B, 1, 8, 8]")


def test_input_rank_does_not_fit(cli, assets, tmp_path, out):
    result = _simulate_with(cli, assets, tmp_path, out, inputs=np.zeros(5, np.float32))
    assert_user_error(result, "[5]", "do not fit the model input", "[1, 8, 8] per step")


def test_input_dtype_does_not_fit(cli, assets, tmp_path, out):
    result = _simulate_with(cli, assets, tmp_path, out, inputs=np.full((3, 1, 8, 8), "a"))
    assert_user_error(result, "dtype <U1", "expected numbers")


def test_nan_in_inputs(cli, assets, tmp_path, out):
    x = np.zeros((3, 1, 8, 8), np.float32)
    x[1, 0, 2, 2] = np.nan
    result = _simulate_with(cli, assets, tmp_path, out, inputs=x)
    assert_user_error(result, "NaN or Inf", "(1, 0, 2, 2)")


def test_inf_in_inputs(cli, assets, tmp_path, out):
    x = np.zeros((3, 1, 8, 8), np.float32)
    x[2, 0, 0, 1] = -np.inf
    result = _simulate_with(cli, assets, tmp_path, out, inputs=x)
    assert_user_error(result, "NaN or Inf", "(2, 0, 0, 1)")


def test_labels_do_not_fit(cli, assets, tmp_path, out):
    x = np.zeros((3, 1, 8, 8), np.float32)
    result = _simulate_with(cli, assets, tmp_path, out, inputs=x, labels=np.arange(5))
    assert_user_error(result, "labels of shape (5,)", "3 samples")


def test_report_on_a_model_without_input_data(cli, assets, out):
    target = out / "report.html"
    assert_user_error(cli("report", assets.nir, "-o", target), "needs --input")
    assert_nothing_written(target)


# ----------------------------------------------------------------------- options


def test_unknown_target(cli, assets, out):
    target = out / "m.x"
    result = cli("export", assets.nir, "--target", "tpu", "-o", target)
    assert_user_error(result, "unknown target 'tpu'", "onnx")
    assert_nothing_written(target)


def test_unknown_profile(cli, assets, out):
    target = out / "report.html"
    argv = ["report", assets.nir, "--input", assets.inputs, "--steps", 2]
    result = cli(*argv, "--profile", "tpu-v9", "-o", target)
    assert_user_error(result, "unknown energy profile 'tpu-v9'", "loihi2")
    assert_nothing_written(target)


def test_unknown_artifact_type(cli, assets, tmp_path):
    artifact = tmp_path / "model.txt"
    artifact.write_text("hello")
    result = cli("simulate", artifact, "--input", assets.inputs, "--steps", 2)
    assert_user_error(result, "unknown artefact type '.txt'")


# ------------------------------------------------------------------------- outputs


def test_output_exists_without_force(cli, assets, out):
    target = out / "m.nir"
    target.write_bytes(b"keep me")
    result = cli("export", assets.nir, "--target", "nir", "-o", target)
    assert_user_error(result, "already exists", "--force")
    assert target.read_bytes() == b"keep me"
    assert not list(out.glob(".m.nir.*"))


def test_simulate_output_exists_without_force(cli, assets, out):
    target = out / "outputs.npz"
    target.write_bytes(b"keep me")
    result = cli("simulate", assets.onnx, "--input", assets.inputs, "--steps", 2, "-o", target)
    assert_user_error(result, "already exists", "--force")
    assert target.read_bytes() == b"keep me"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into a 0o500 directory")
def test_unwritable_output_directory_permissions(cli, assets, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        target = locked / "m.nir"
        result = cli("export", assets.nir, "--target", "nir", "-o", target)
        assert_user_error(result, "not writable")
        assert_nothing_written(target)
    finally:
        locked.chmod(0o700)


def test_output_path_under_a_regular_file(cli, assets, tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a directory")
    target = blocker / "m.nir"
    result = cli("export", assets.nir, "--target", "nir", "-o", target)
    assert_user_error(result, "is a file, not a directory")
    assert blocker.read_text() == "not a directory"


def test_unwritable_output_directory_in_process(cli, assets, out, monkeypatch):
    import snncompile.outputs

    def denied(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied", str(dst))

    monkeypatch.setattr(snncompile.outputs.os, "replace", denied)
    target = out / "m.nir"
    result = cli("export", assets.nir, "--target", "nir", "-o", target)
    assert_user_error(result, f"cannot write '{target}'", "Permission denied", "writable")
    assert_nothing_written(target)


def test_disk_full_during_export(cli, assets, out, monkeypatch):
    from snncompile.targets import NirBackend

    def full_disk(self, graph, out_dir):
        (Path(out_dir) / "model.nir").write_bytes(b"\x89HDF\r\n half a file")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(NirBackend, "emit", full_disk)
    target = out / "m.nir"
    result = cli("export", assets.nir, "--target", "nir", "-o", target)
    assert_user_error(result, "No space left on device", "disk is full")
    assert_nothing_written(target)


def test_disk_full_while_writing_the_report(cli, assets, out, monkeypatch):
    write_text = Path.write_text

    def full_disk(self, data, *args, **kwargs):  # the report's text stops half-way
        write_text(self, data[: len(data) // 2], *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full_disk)
    target = out / "report.html"
    argv = ["report", assets.nir, "--input", assets.inputs, "--steps", 2, "-o", target]
    result = cli(*argv)
    assert_user_error(result, "No space left on device", str(target))
    assert_nothing_written(target)


def test_dump_ir_directory_is_a_file(cli, assets, tmp_path, out):
    blocker = tmp_path / "dump"
    blocker.write_text("a file")
    target = out / "m.nir"
    result = cli("export", assets.nir, "--target", "nir", "-o", target, "--dump-ir", blocker)
    assert_user_error(result, "cannot write")
    assert_nothing_written(target)


# ------------------------------------------------------------------- interruptions


def test_keyboard_interrupt_during_export(cli, assets, out, monkeypatch):
    from snncompile.targets import NirBackend

    def interrupted(self, graph, out_dir):
        (Path(out_dir) / "model.nir").write_bytes(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(NirBackend, "emit", interrupted)
    target = out / "m.nir"
    result = cli("export", assets.nir, "--target", "nir", "-o", target)
    assert_user_error(result, "error: interrupted")
    assert_nothing_written(target)


# The child takes Ctrl-C as a terminal's foreground job does, whatever it inherits: a
# SIGINT ignored or blocked by its parent (a background job, a test runner's worker).
_SLOW_EXPORT = """
import signal, sys, time
from pathlib import Path
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
signal.signal(signal.SIGINT, signal.default_int_handler)
from snncompile.cli import main
from snncompile.targets import NirBackend

def slow_emit(self, graph, out_dir):
    (Path(out_dir) / "model.nir").write_bytes(b"partial")
    print("emitting", flush=True)
    time.sleep(60)

NirBackend.emit = slow_emit
sys.exit(main(sys.argv[1:]))
"""


def test_sigint_during_export_subprocess(assets, out):
    target = out / "m.nir"
    argv = ["export", str(assets.nir), "--target", "nir", "-o", str(target)]
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_SLOW_EXPORT), *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "emitting"
        assert list(out.glob(".m.nir.*")), "the export should be staging when interrupted"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        proc.wait()
    assert_user_error(SimpleNamespace(code=proc.returncode, err=err), "error: interrupted")
    assert_nothing_written(target)


# ---------------------------------------------------------------------- Lava worker


def _run_in_worker():
    from snncompile_lava.worker import run_in_worker  # installed by `make install`

    return run_in_worker


def _fake_interpreter(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "fake-python"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return script


def _simulate_through_worker(cli, assets, out, monkeypatch, python: Path, timeout: float):
    """``snncompile simulate`` whose backend runs the Lava worker with ``python``."""
    import snncompile.backend

    run_in_worker = _run_in_worker()

    class WorkerBackend:
        def simulate(self, artifact, inputs, steps=None):
            return run_in_worker(out, inputs[:, :, 0, 0], python=str(python), timeout=timeout)

    monkeypatch.setattr(snncompile.backend, "get_backend", lambda name, **kw: WorkerBackend())
    target = out / "outputs.npz"
    # an .onnx artefact: its target's runtime is the (faked) backend; .nir files run on
    # the reference simulator
    argv = ["simulate", assets.onnx, "--input", assets.inputs, "--steps", 2, "-o", target]
    result = cli(*argv)
    assert_nothing_written(target)
    return result


def test_lava_worker_crash(cli, assets, tmp_path, out, monkeypatch):
    python = _fake_interpreter(tmp_path, "echo 'Segmentation fault in lava' >&2\nkill -SEGV $$")
    result = _simulate_through_worker(cli, assets, out, monkeypatch, python, timeout=30)
    assert_user_error(result, "Lava worker", "failed with exit status -11", "Segmentation fault")


def test_lava_worker_timeout(cli, assets, tmp_path, out, monkeypatch):
    python = _fake_interpreter(tmp_path, "exec sleep 30")
    start = time.monotonic()
    result = _simulate_through_worker(cli, assets, out, monkeypatch, python, timeout=0.5)
    assert_user_error(result, "exceeded its 0.5 s timeout", "raise the timeout")
    assert time.monotonic() - start < 20


# -------------------------------------------------------------------------- --debug


def test_debug_shows_the_traceback(assets, tmp_path):
    from snncompile.errors import CheckpointError

    with pytest.raises(CheckpointError, match="does not exist"):
        main(["export", str(tmp_path / "nope.pt"), "--target", "nir", "-o", "x", "--debug"])
