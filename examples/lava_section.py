"""The Lava part of ``make demo``: export a digits model to Lava and run it in fixed point.

export   snncompile export MODEL --target lava -o DIR --calibration train.npz --steps T
         (256 training images; prints the per-layer scales and float-vs-fixed table)
run      snncompile simulate DIR --input test.npz --mode fixed -o out.npz
         (both called in-process through snncompile.cli.main: the CLI's own code path)
compare  float reference (numpy float64) vs integer reference vs Lava fixed_pt:
         accuracy, per-layer spike agreement, bit-exactness; energy summary
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from digits_common import load_split
from snncompile_loihi.reference import compare_quantized, simulate_fixed
from snncompile_loihi.stage import program_of

from snncompile.api import compile as compile_model
from snncompile.api import energy_report
from snncompile.checkpoint import load_info
from snncompile.cli import main as cli_main
from snncompile.energy.report import summary_rows
from snncompile.errors import BackendUnavailableError
from snncompile.reference import simulate

CALIBRATION_IMAGES = 256


def _lava_installed() -> bool:
    try:
        return importlib.util.find_spec("lava") is not None
    except (ImportError, ValueError):
        return False


def direct_frames(images: np.ndarray, steps: int) -> np.ndarray:
    """Static images [N, 8, 8] → direct-encoded time-major inputs [T, N, 1, 8, 8]."""
    return np.broadcast_to(images[None, :, None], (steps, *images.shape[:1], 1, 8, 8)).astype(
        np.float32
    )


def _cli(*argv: str) -> str:
    """``snncompile ARGV`` in-process (the CLI's own code path); returns its stdout."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        status = cli_main(list(argv))
    if status != 0:
        raise RuntimeError(f"snncompile {argv[0]} exited with status {status}")
    return buffer.getvalue()


def _simulate_cli(artifact: Path, x: np.ndarray, y: np.ndarray, tmp: Path) -> tuple[dict, dict]:
    """``snncompile simulate ARTIFACT --input … --mode fixed -o … --json``."""
    data, out = tmp / "test_inputs.npz", tmp / "lava_outputs.npz"
    np.savez(data, inputs=x, labels=y)
    summary = _cli("simulate", str(artifact), "--input", str(data), "--mode", "fixed",
                   "-o", str(out), "--json")  # fmt: skip
    with np.load(out) as arrays:
        outputs = {k: arrays[k] for k in arrays.files}
    return json.loads(summary), outputs


def accuracy(scores: np.ndarray, y: np.ndarray) -> float:
    return float((scores.sum(axis=0).argmax(axis=1) == y).mean())


def lava_demo(model: Path, *, samples: int = 450) -> int:
    """Export ``model`` to Lava, run ``samples`` test images in fixed point, print results."""
    steps = int(load_info(model)["inputs"][0]["shape"][0])
    x_tr, x_te, _, y_te = load_split()
    x, y = direct_frames(x_te[:samples], steps), y_te[:samples]
    print(f"\nLava deployment of {model.name}: Loihi 2 fixed point on lava-nc 0.10.0 (CPU)\n")
    try:  # the same graph and quantisation in-process, for the integer reference below
        same = compile_model(
            model, "lava", calibration=direct_frames(x_tr[:CALIBRATION_IMAGES], steps)
        )
    except BackendUnavailableError as exc:  # snncompile-lava itself is not installed
        print(f"skipping the Lava part: {exc}")
        return 0
    with tempfile.TemporaryDirectory(prefix="snncompile-demo-") as tmp_name:
        tmp = Path(tmp_name)
        calibration, out_dir = tmp / "train_images.npz", tmp / "digits_lif_lava"
        np.savez(calibration, inputs=x_tr[:CALIBRATION_IMAGES, None])  # static [N, 1, 8, 8]
        argv = ["export", str(model), "--target", "lava", "-o", str(out_dir),
                "--calibration", str(calibration), "--steps", str(steps)]  # fmt: skip
        shown = " ".join(argv).replace(str(tmp), "$TMP").replace(f"{Path.cwd()}/", "")
        print(f"$ snncompile {shown}")
        start = time.perf_counter()
        print(_cli(*argv).replace(str(tmp) + "/", ""))
        files = ", ".join(sorted(p.name for p in out_dir.iterdir()))
        print(f"(exported in {time.perf_counter() - start:.1f} s: {files})")
        # deterministic: the bit-exact check against the Lava run below would catch a
        # quantisation that differed from the export's
        graph, qgraph = same.graph, program_of(same.staged)
        float_out = simulate(graph, x, dtype=np.float64)["output"]
        fixed_ref = simulate_fixed(qgraph, x)["output"]
        rows = [
            ("float reference (numpy float64)", accuracy(float_out, y), "—"),
            ("fixed point, integer reference (numpy)", accuracy(fixed_ref, y), "—"),
        ]
        if _lava_installed():
            start = time.perf_counter()
            summary, lava = _simulate_cli(out_dir, x, y, tmp)
            exact = np.array_equal(lava[qgraph.output_name], fixed_ref)
            rows.append(
                (
                    f"fixed point, Lava fixed_pt via `snncompile simulate` "
                    f"({time.perf_counter() - start:.1f} s)",
                    float(summary["accuracy"]),
                    "bit-exact" if exact else "MISMATCH",
                )
            )
        else:
            from snncompile_lava._compat import INSTALL_COMMAND

            print(f"\nlava-nc is not installed: skipping the Lava run ({INSTALL_COMMAND})")
    print(f"\ntest images: {samples} of 450, T = {steps}\n")
    print(f"| {'run':<62} | accuracy | vs integer reference |")
    print(f"|{'-' * 64}|----------|----------------------|")
    for name, acc, note in rows:
        print(f"| {name:<62} | {acc:>8.4f} | {note:<20} |")
    print(f"\nTest images: {compare_quantized(qgraph, x).to_markdown()}")
    report = energy_report(graph, x)
    print("Energy per sample (estimates from the measured activity, `snncompile report`):\n")
    print("| profile | basis | per sample | per step |\n|---|---|---|---|")
    for profile, basis, total, per_step, _ in summary_rows(report):
        print(f"| {profile} | {basis} | {total} | {per_step} |")
    return 0 if all(note != "MISMATCH" for _, _, note in rows) else 1
