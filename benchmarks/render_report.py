"""Render an example energy report to HTML and screenshot it with headless Chromium.

The network is the issue-15 example, a small conv SNN built in torch with fixed seeds:
direct-encoded 1×16×16 pixels → ``layer1`` (Conv2d 1→8, 3×3, padding 1 → BatchNorm →
LIF) → ``pool`` (AvgPool 2×2) → ``layer2`` (Conv2d 8→16, 3×3, stride 2, padding 1 →
BatchNorm → LIF) → ``fc`` (Linear 256→10), T = 8, 4 samples. It is reported as the
``lava`` target deploys it (``snncompile.api.energy_report(..., target="lava")``):
BatchNorm folded into the convs, the pooling folded into ``layer2.conv``, Loihi 2 fixed
point calibrated on the same inputs, the activity from the integer reference (bit-exact
with a Lava run; lava-nc is not needed). Every layer is named after its torch module.

Usage::

    python benchmarks/render_report.py [--out DIR] [--force] [--screenshot PATH] [--no-screenshot]

Writes ``DIR/energy_report.{html,json,md}`` (default DIR: a temporary directory; existing
reports there are replaced only with ``--force``, checked before the run) and,
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

from snncompile.energy import EnergyReport  # noqa: E402
from snncompile.energy.report import check_report_path  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
T, B = 8, 4
PROFILES = [
    "cmos45-fp32",
    "cmos45-int8",
    "ann-gpu",
    "loihi",
    "loihi-sanafe",
    "loihi2",
    "truenorth",
    "spinnaker2-2019",
]


def example_model() -> tuple[object, np.ndarray]:
    """The example network (eval mode, fixed seeds) and its inputs [T, B, 1, 16, 16]."""
    import torch
    from torch import nn

    from snncompile import neurons as sn

    class Block(nn.Module):
        """conv → BatchNorm → LIF, per time step."""

        def __init__(self, c_in: int, c_out: int, stride: int) -> None:
            super().__init__()
            self.conv = sn.TimeDistributed(nn.Conv2d(c_in, c_out, 3, stride, padding=1))
            self.bn = sn.TimeDistributed(nn.BatchNorm2d(c_out))
            self.lif = sn.LIF(tau=2.0)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.lif(self.bn(self.conv(x)))

    class ConvNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer1 = Block(1, 8, 1)
            self.pool = sn.TimeDistributed(nn.AvgPool2d(2))
            self.layer2 = Block(8, 16, 2)
            self.flat = nn.Flatten(start_dim=2)
            self.fc = nn.Linear(16 * 4 * 4, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(self.flat(self.layer2(self.pool(self.layer1(x)))))

    torch.manual_seed(7)
    model = ConvNet().eval()
    with torch.no_grad():  # trained-looking statistics, and enough drive to spike
        for block, gain in ((model.layer1, 2.0), (model.layer2, 6.0)):
            bn = block.bn.module
            bn.running_mean.uniform_(-0.2, 0.2)
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.uniform_(0.8, 2.0)
            block.conv.module.weight.mul_(gain)
    rng = np.random.default_rng(7)
    image = rng.random((B, 1, 16, 16)).astype(np.float32)
    image[image < 0.3] = 0.0
    return model, np.broadcast_to(image, (T, *image.shape)).copy()


def example_report() -> EnergyReport:
    """The example network's report as the lava target deploys it."""
    import torch

    import snncompile
    from snncompile.api import energy_report

    model, x = example_model()
    graph = snncompile.trace(model, torch.from_numpy(x))
    return energy_report(
        graph,
        x,
        PROFILES,
        target="lava",
        target_options={"calibration": x},
        metadata={"model": "conv SNN example (benchmarks/render_report.py)", "T": T},
    )


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
    report = example_report()
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
