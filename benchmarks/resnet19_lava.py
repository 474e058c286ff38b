"""A ResNet-19-sized spiking network exported for Lava, with its Loihi 2 resource estimate.

    python benchmarks/resnet19_lava.py [--rounds 3] [--json out.json]

Model: ``ResNet19`` of ``benchmarks/ir_passes.py`` (tdBN ResNet-19, LIF, BatchNorm,
≈ 12.6 M parameters, input [T=4, B=1, 3, 32, 32]). Timed, per round, in one process
after a warm-up round: ``trace`` (``snncompile.trace``), ``compile`` (the pass pipeline
and the Loihi quantiser, calibrated on one random input sample) and ``write``
(``Artifact.save``: lowering to the Lava spec and writing it). The stage 3 convolutions
have a fan-in of 512·3·3 = 4608, above a Loihi neurocore's 4096 input axons, so the
quantiser needs ``allow_clamp=True`` (the Lava CPU simulation runs them; a chip would
split those layers). Then, untimed, the Loihi 2 resource estimate of the deployed
network (``snncompile.api.energy_report(..., target="lava", chip="loihi2")``: cores,
chips, the layer that binds, or the layer no core can hold). The target is an export in
<= 30 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import torch
from ir_passes import ResNet19

import snncompile
from snncompile.api import energy_report
from snncompile.errors import ConfigError

TARGET_S = 30.0
OPTIONS = {"allow_clamp": True}


def _once(model: torch.nn.Module, x: torch.Tensor, out: Path) -> dict[str, float]:
    start = time.perf_counter()
    graph = snncompile.trace(model, x)
    traced = time.perf_counter()
    artifact = snncompile.compile(graph, "lava", calibration=x.numpy(), options=OPTIONS)
    compiled = time.perf_counter()
    artifact.save(out, force=True)
    written = time.perf_counter()
    return {
        "trace_s": traced - start,
        "compile_s": compiled - traced,
        "write_s": written - compiled,
        "total_s": written - start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    torch.set_num_threads(2)
    warnings.simplefilter("ignore")  # the quantiser's per-layer notes
    torch.manual_seed(0)
    model = ResNet19().eval()
    params = sum(p.numel() for p in model.parameters())
    x = torch.rand(4, 1, 3, 32, 32)
    with tempfile.TemporaryDirectory(prefix="resnet19-lava-") as tmp:
        out = Path(tmp) / "resnet19"
        _once(model, x, out)  # warm-up: imports, fx code generation
        runs = [_once(model, x, out) for _ in range(args.rounds)]
    graph = snncompile.trace(model, x)
    try:
        report = energy_report(
            graph,
            x.numpy(),
            ["loihi2"],
            target="lava",
            target_options={"calibration": x.numpy(), **OPTIONS},
            chip="loihi2",
        )
        res, refusal = report.resources, None
    except ConfigError as exc:  # a layer no core can hold: the estimate names it
        res, refusal = None, str(exc)
    medians = {k: round(statistics.median(r[k] for r in runs), 3) for k in runs[0]}
    result: dict[str, Any] = {
        "model": "ResNet-19 (tdBN), LIF, BatchNorm",
        "parameters": params,
        "rounds": args.rounds,
        **medians,
        "target_s": TARGET_S,
        "loihi2": {"refused": refusal}
        if res is None
        else {
            "cores": res.cores,
            "chips": res.chips,
            "neurons": res.neurons,
            "synapses": res.synapses,
            "fits_one_chip": res.fits_one_chip,
        },
        "machine": f"{platform.machine()}, {os.cpu_count()} logical cores, "
        f"load average {os.getloadavg()[0]:.2f} at the end",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "torch": torch.__version__,
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    verdict = "within" if medians["total_s"] <= TARGET_S else "OVER"
    print(f"export {medians['total_s']:.1f} s ({verdict} the {TARGET_S:.0f} s target)")


if __name__ == "__main__":
    main()
