"""Render an example energy report to HTML and screenshot it with headless Chromium.

The network is a small convolutional SNN simulated here in numpy (no torch), so the
report is built from *recorded* activity: direct-encoded 1×16×16 input → Conv2d 1→8, 3×3,
padding 1 → LIF → SumPool 2×2 → Conv2d 8→16, 3×3, stride 2 → LIF → Dense 256→10 → LIF,
T = 8, 4 samples, fixed seeds. The first conv sees analog pixels, so it is counted as
MACs; every later layer as ACs.

Usage::

    python benchmarks/render_report.py [--out DIR] [--force] [--screenshot PATH] [--no-screenshot]

Writes ``DIR/energy_report.{html,json,md}`` (default DIR: a temporary directory; existing
reports there are replaced only with ``--force``, checked before the simulation) and,
when ``/usr/bin/chromium`` (Debian: ``apt-get install chromium``) exists, a 1280×2000
PNG screenshot (default ``docs/images/energy_report.png``).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from snncompile.energy import (  # noqa: E402
    ActivityRecord,
    ConvSpec,
    DenseSpec,
    NeuronSpec,
    PoolSpec,
    build_report,
    count_activity,
)
from snncompile.energy.report import check_report_path  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
T, B = 8, 4


def conv2d(x: np.ndarray, w: np.ndarray, stride: int, pad: int) -> np.ndarray:
    """Cross-correlation of x [N, C, H, W] with w [O, C, k, k] (PyTorch semantics)."""
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    k = w.shape[-1]
    win = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))
    win = win[:, :, ::stride, ::stride]
    return np.einsum("nchwij,ocij->nohw", win, w)


def lif(currents: np.ndarray, beta: float = 0.5, theta: float = 1.0) -> np.ndarray:
    """Soft-reset LIF over [T, B, ...] currents; returns spikes [T, B, ...]."""
    v = np.zeros(currents.shape[1:])
    spikes = np.zeros_like(currents)
    for t in range(currents.shape[0]):
        h = beta * v + currents[t]
        spikes[t] = (h >= theta).astype(float)
        v = h - theta * spikes[t]
    return spikes


def simulate() -> ActivityRecord:
    """Run the example network and record every layer's activity."""
    rng = np.random.default_rng(7)
    image = rng.random((B, 1, 16, 16))
    image[image < 0.3] = 0.0  # some zero pixels: MACs count non-zero pixels only
    x = np.broadcast_to(image, (T, *image.shape)).copy()
    w1 = rng.normal(0, 0.9, (8, 1, 3, 3))
    w2 = rng.normal(0, 0.45, (16, 8, 3, 3))
    w2[rng.random(w2.shape) < 0.3] = 0.0  # pruned weights reduce the effective ACs
    w3 = rng.normal(0, 0.35, (10, 256))

    c1 = np.stack([conv2d(x[t], w1, 1, 1) for t in range(T)])
    s1 = lif(c1)
    p1 = s1.reshape(T, B, 8, 8, 2, 8, 2).sum(axis=(4, 6))
    c2 = np.stack([conv2d(p1[t], w2, 2, 1) for t in range(T)])
    s2 = lif(c2)
    c3 = s2.reshape(T, B, -1) @ w3.T
    s3 = lif(c3)

    record = ActivityRecord()
    record.add("conv1", ConvSpec(w1, stride=1, padding=1), inputs=x)
    record.add("lif1", NeuronSpec("LIF", (8, 16, 16)), inputs=c1, outputs=s1)
    record.add("pool1", PoolSpec(2, mode="sum"), inputs=s1)
    record.add("conv2", ConvSpec(w2, stride=2, padding=1), inputs=p1)
    record.add("lif2", NeuronSpec("LIF", (16, 4, 4)), inputs=c2, outputs=s2)
    record.add("fc3", DenseSpec(w3), inputs=s2.reshape(T, B, -1))
    record.add("lif3", NeuronSpec("LIF", (10,)), inputs=c3, outputs=s3)
    return record


def screenshot(html: Path, png: Path) -> None:
    """Screenshot ``html`` with headless Chromium (1280×2000)."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={profile}",
                f"--screenshot={png}",
                "--window-size=1280,2000",
                html.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="output directory (default: a temp dir)")
    parser.add_argument(
        "--screenshot", type=Path, default=REPO / "docs" / "images" / "energy_report.png"
    )
    parser.add_argument("--no-screenshot", action="store_true")
    parser.add_argument("--force", action="store_true", help="replace existing reports in --out")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="snncompile-report-"))
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"energy_report.{suffix}" for suffix in ("html", "json", "md")]
    for path in paths:  # before the simulation
        check_report_path(path, force=args.force)
    counts = count_activity(simulate())
    report = build_report(
        counts,
        [
            "cmos45-fp32",
            "cmos45-int8",
            "ann-gpu",
            "loihi",
            "loihi-sanafe",
            "loihi2",
            "truenorth",
            "spinnaker2-2019",
        ],
        metadata={"model": "conv SNN example (benchmarks/render_report.py)", "T": T},
    )
    for path in paths:
        report.save(path, force=args.force)
    print(f"wrote {out}/energy_report.{{html,json,md}}")
    if args.no_screenshot:
        return 0
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        print("no /usr/bin/chromium: screenshot skipped (apt-get install chromium)")
        return 0
    args.screenshot.parent.mkdir(parents=True, exist_ok=True)
    screenshot(out / "energy_report.html", args.screenshot)
    print(f"wrote {args.screenshot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
