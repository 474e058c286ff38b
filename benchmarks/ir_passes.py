"""Trace + pass pipeline time for a ResNet-19-sized spiking network (CIFAR-sized input).

Model: ResNet-19 as in the tdBN paper (Zheng et al., AAAI 2021): conv3x3(3→128)+BN+LIF,
three stages of spiking basic blocks (3 × 128, 3 × 256, 2 × 512 channels, stride 2 at
the start of stages 2 and 3, 1x1-conv+BN shortcuts there), global average pool,
FC 512→256 + LIF, FC 256→10; every conv/BN inside ``TimeDistributed``; ≈ 12.6 M
parameters. Example input [T=4, B=1, 3, 32, 32] (only its sample shape is used).

Measured: ``snncompile.trace`` (fx trace, weights copied to numpy, IR built and verified)
and ``run_pipeline(graph, PIPELINE)`` (infer_shapes, remove_dead_nodes, fold_batchnorm,
fold_dalif_alpha) — the median of ``--rounds`` runs after one warm-up, in one process.
``--verify`` additionally runs ``verify`` after every pass (``SNNCOMPILE_VERIFY=1``).
The target is <= 5 s on 2 cores. Model construction is not timed.

Usage: ``python benchmarks/ir_passes.py [--rounds 5] [--threads 2] [--verify] [--json out.json]``
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time

import torch
from _cli import cpu_parser, parse_pinned
from torch import nn

import snncompile
import snncompile.neurons as sn
from snncompile.passes import PIPELINE, run_pipeline

TARGET_S = 5.0


def _conv_bn(c_in: int, c_out: int, k: int, stride: int) -> sn.TimeDistributed:
    conv = nn.Conv2d(c_in, c_out, k, stride=stride, padding=k // 2, bias=False)
    return sn.TimeDistributed(nn.Sequential(conv, nn.BatchNorm2d(c_out)))


class Block(nn.Module):
    """LIF(bn2(conv2(LIF(bn1(conv1(x))))) + shortcut(x))."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.conv1 = _conv_bn(c_in, c_out, 3, stride)
        self.sn1 = sn.LIF()
        self.conv2 = _conv_bn(c_out, c_out, 3, 1)
        self.shortcut = (
            _conv_bn(c_in, c_out, 1, stride) if stride != 1 or c_in != c_out else nn.Identity()
        )
        self.sn2 = sn.LIF()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.sn2(self.conv2(self.sn1(self.conv1(x))) + self.shortcut(x))


class ResNet19(nn.Module):
    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.stem = _conv_bn(3, 128, 3, 1)
        self.sn0 = sn.LIF()
        blocks, c_in = [], 128
        for c_out, count, stride in ((128, 3, 1), (256, 3, 2), (512, 2, 2)):
            for i in range(count):
                blocks.append(Block(c_in, c_out, stride if i == 0 else 1))
                c_in = c_out
        self.layers = nn.Sequential(*blocks)
        self.pool = sn.TimeDistributed(nn.AdaptiveAvgPool2d(1))
        self.flatten = nn.Flatten(2)
        self.fc1 = nn.Linear(512, 256)
        self.sn_fc = sn.LIF()
        self.fc2 = nn.Linear(256, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layers(self.sn0(self.stem(x)))
        return self.fc2(self.sn_fc(self.fc1(self.flatten(self.pool(x)))))


def _once(model: nn.Module, x: torch.Tensor) -> tuple[float, float, int]:
    start = time.perf_counter()
    graph = snncompile.trace(model, x)
    traced = time.perf_counter()
    out = run_pipeline(graph, PIPELINE)
    done = time.perf_counter()
    return traced - start, done - traced, len(out.nodes)


def main() -> None:
    parser = cpu_parser(__doc__, rounds=5, json_help="also write the results here")
    parser.add_argument("--verify", action="store_true", help="verify after every pass")
    args = parse_pinned(parser)
    if args.verify:
        os.environ["SNNCOMPILE_VERIFY"] = "1"
    torch.manual_seed(0)
    model = ResNet19().eval()
    params = sum(p.numel() for p in model.parameters())
    x = torch.zeros(4, 1, 3, 32, 32)
    _once(model, x)  # warm-up: imports, fx code generation
    runs = [_once(model, x) for _ in range(args.rounds)]
    trace_s = statistics.median(r[0] for r in runs)
    passes_s = statistics.median(r[1] for r in runs)
    total_s = statistics.median(r[0] + r[1] for r in runs)
    result = {
        "model": "ResNet-19 (tdBN), LIF, BatchNorm",
        "parameters": params,
        "input": [4, 1, 3, 32, 32],
        "nodes_after_pipeline": runs[0][2],
        "rounds": args.rounds,
        "threads": args.threads,
        "verify_every_pass": args.verify,
        "trace_median_s": round(trace_s, 4),
        "pipeline_median_s": round(passes_s, 4),
        "total_median_s": round(total_s, 4),
        "total_runs_s": [round(r[0] + r[1], 4) for r in runs],
        "target_s": TARGET_S,
        "machine": f"{platform.machine()}, {os.cpu_count()} logical cores, "
        f"load average {os.getloadavg()[0]:.2f}",
        "torch": torch.__version__,
    }
    print(
        f"ResNet-19: {params / 1e6:.2f} M parameters, {runs[0][2]} IR nodes after the pipeline; "
        f"median of {args.rounds} runs ({args.threads} threads"
        f"{', verify after every pass' if args.verify else ''}):"
    )
    print(f"  trace     {trace_s:7.3f} s")
    print(f"  pipeline  {passes_s:7.3f} s")
    verdict = "within" if total_s <= TARGET_S else "OVER"
    print(f"  total     {total_s:7.3f} s  ({verdict} the {TARGET_S:.0f} s target)")
    print(f"  machine   {result['machine']}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(result, fh, indent=2)


if __name__ == "__main__":
    main()
