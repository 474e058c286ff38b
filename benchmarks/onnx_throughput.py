"""Inference throughput: onnxruntime (step and loop modes) against torch eager, on CPU.

Models, in one run:

- ``digits-<neuron>``: the shipped digits checkpoints ``examples/models/digits_*.pt``
  (``Flatten → Linear(64, 128) → neuron → Linear(128, 10)``), loaded with
  ``snncompile.load``; a fresh 64-128-10 LIF MLP if none is present. Input
  [T=4, B, 1, 8, 8] (the training default T).
- ``cifar-cnn``: a CIFAR-sized spiking CNN built here (3 × [Conv3x3 → LIF → AvgPool2],
  Flatten, Linear(2048, 10); random init), input [T=4, B, 3, 32, 32].

Each model is traced with ``snncompile.trace`` and exported with ``export_onnx`` in
``step`` (a Python loop of T ``session.run`` calls feeding the states back) and
``loop`` (one ``Scan``) modes. Before timing, both ONNX outputs are checked against the
torch output (max |difference| printed). Timing: ``--rounds`` interleaved rounds (torch,
step, loop in turn, so machine load hits all engines alike), the median per engine;
throughput = B / median seconds per batch. torch runs in ``eval()`` under
``torch.no_grad()`` with ``torch.set_num_threads(threads)``; onnxruntime with
``ORT_ENABLE_ALL``, ``intra_op_num_threads = threads``, one inter-op thread.

Usage: ``python benchmarks/onnx_throughput.py [--batch 64] [--threads 2] [--rounds 15]
[--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from snncompile_onnx import export_onnx, read_metadata
from torch import nn

import snncompile
import snncompile.neurons as sn

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / "examples" / "models"
STEPS = 4


def digits_models() -> dict[str, tuple[nn.Module, tuple[int, ...]]]:
    """The shipped digits checkpoints (or a fresh LIF MLP), with their sample shape."""
    found = {}
    for path in sorted(MODELS.glob("digits_*.pt")):
        found[f"digits-{path.stem.removeprefix('digits_')}"] = (snncompile.load(path), (1, 8, 8))
    if not found:
        torch.manual_seed(0)
        mlp = nn.Sequential(
            OrderedDict(
                flatten=nn.Flatten(2),
                fc1=nn.Linear(64, 128),
                sn1=sn.LIF(),
                readout=nn.Linear(128, 10),
            )
        )
        found["digits-mlp-lif (fresh)"] = (mlp, (1, 8, 8))
    return found


def cifar_cnn() -> nn.Module:
    """3 × [Conv3x3 → LIF → AvgPool2] → Flatten → Linear(2048, 10), per-step layers."""
    torch.manual_seed(0)
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    width = 3
    for i, channels in enumerate((32, 64, 128), start=1):
        layers[f"conv{i}"] = sn.TimeDistributed(nn.Conv2d(width, channels, 3, padding=1))
        layers[f"sn{i}"] = sn.LIF()
        layers[f"pool{i}"] = sn.TimeDistributed(nn.AvgPool2d(2))
        width = channels
    layers["flatten"] = nn.Flatten(2)
    layers["fc"] = nn.Linear(128 * 4 * 4, 10)
    return nn.Sequential(layers)


def make_session(path: Path, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def step_runner(sess: ort.InferenceSession, x: np.ndarray) -> Callable[[], np.ndarray]:
    """T ``run`` calls, states fed back (what ``simulate_onnx`` does, without checks)."""
    meta = read_metadata(sess.get_modelmeta().custom_metadata_map)
    rows = meta["states"]
    name = next(i.name for i in sess.get_inputs() if not i.name.startswith("state."))
    out = next(o.name for o in sess.get_outputs() if not o.name.startswith("state."))
    fetch = [out, *(row["next"] for row in rows)]
    zeros = {row["name"]: np.zeros((x.shape[1], *row["shape"]), np.float32) for row in rows}

    def run() -> np.ndarray:
        states, frames = dict(zeros), []
        for t in range(x.shape[0]):
            results = sess.run(fetch, {name: x[t], **states})
            frames.append(results[0])
            states = {row["name"]: value for row, value in zip(rows, results[1:], strict=True)}
        return np.stack(frames)

    return run


def loop_runner(sess: ort.InferenceSession, x: np.ndarray) -> Callable[[], np.ndarray]:
    name = sess.get_inputs()[0].name
    return lambda: sess.run(None, {name: x})[0]


def torch_runner(model: nn.Module, x: torch.Tensor) -> Callable[[], np.ndarray]:
    def run() -> np.ndarray:
        with torch.no_grad():
            return model(x).numpy()

    return run


def bench_model(
    name: str, model: nn.Module, sample: tuple[int, ...], args: argparse.Namespace, folder: Path
) -> dict:
    model.eval()
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (STEPS, args.batch, *sample)).astype(np.float32)
    graph = snncompile.trace(model, torch.from_numpy(x))
    runners = {"torch-eager": torch_runner(model, torch.from_numpy(x))}
    for mode in ("step", "loop"):
        path = export_onnx(graph, folder / f"{name}.{mode}.onnx", mode)
        sess = make_session(path, args.threads)
        runners[f"onnx-{mode}"] = (step_runner if mode == "step" else loop_runner)(sess, x)
    want = runners["torch-eager"]()
    deviation = {k: float(np.abs(run() - want).max()) for k, run in runners.items()}
    times: dict[str, list[float]] = {k: [] for k in runners}
    for _ in range(args.warmup):
        for run in runners.values():
            run()
    for _ in range(args.rounds):
        for key, run in runners.items():
            start = time.perf_counter()
            run()
            times[key].append(time.perf_counter() - start)
    medians = {k: statistics.median(v) for k, v in times.items()}
    base = medians["torch-eager"]
    rows = {
        k: {
            "median_ms": 1e3 * m,
            "samples_per_s": args.batch / m,
            "speedup_vs_torch": base / m,
            "max_abs_diff_vs_torch": deviation[k],
        }
        for k, m in medians.items()
    }
    return {"input": [STEPS, args.batch, *sample], "nodes": len(graph.nodes), "engines": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--only", default=None, help="comma-separated model names to run")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    models = digits_models()
    models["cifar-cnn"] = (cifar_cnn(), (3, 32, 32))
    if args.only:
        keep = set(args.only.split(","))
        models = {k: v for k, v in models.items() if k in keep}
    load_before = os.getloadavg()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (model, sample) in models.items():
            results[name] = bench_model(name, model, sample, args, Path(tmp))
            for engine, row in results[name]["engines"].items():
                print(
                    f"{name:<16} {engine:<12} {row['median_ms']:9.2f} ms/batch "
                    f"{row['samples_per_s']:10.0f} samples/s  x{row['speedup_vs_torch']:.2f} "
                    f"vs torch  (max|diff| {row['max_abs_diff_vs_torch']:.1e})"
                )
    report = {
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "loadavg_before": load_before,
            "loadavg_after": os.getloadavg(),
            "torch": torch.__version__,
            "onnxruntime": ort.__version__,
        },
        "settings": {"batch": args.batch, "threads": args.threads, "rounds": args.rounds},
        "models": results,
    }
    print(f"load average before/after: {load_before} / {report['machine']['loadavg_after']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
