"""benchmarks/kernels_gpu.py without a GPU: it parses, exits cleanly, and its neuron
configurations compute the same spikes as its eager reference (run through the emulation)."""

from __future__ import annotations

import functools
import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "kernels_gpu.py"


@functools.cache
def _module():
    spec = importlib.util.spec_from_file_location("kernels_gpu_bench", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU exit path")
def test_exits_with_a_clear_message_without_gpu():
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert "no CUDA device" in proc.stderr


def test_arguments_and_byte_model():
    mod = _module()
    args = mod.parse_args(["--quick", "--neurons", "lif_hard,clif"])
    assert (args.T, args.N, args.iters) == ("8", "16,20", 20)
    assert mod._ints("16,20", power=True) == [1 << 16, 1 << 20]
    assert mod.own_bytes("lif_hard", "fwd_bwd", 8) == 24.0  # docs/performance.md §1
    assert mod.own_bytes("dalif", "fwd_bwd", 8) == 28.0
    assert mod.own_bytes("clif", "fwd_bwd", 4) == 30.0  # 32 − 8/T: m[T−1] never stored
    assert mod.own_bytes("ilif", "fwd_bwd", 8) == 36.0  # + the backward's read of x
    assert mod.own_bytes("lif_soft", "fwd", 8) == 8.0
    with pytest.raises(SystemExit):
        mod.parse_args(["--neurons", "nope"])


@pytest.mark.parametrize("neuron", ["lif_hard", "lif_soft", "plif", "dalif", "clif", "ilif"])
def test_benchmarked_configurations_agree_with_the_eager_reference(emu, neuron):
    mod = _module()
    device = torch.device("cpu")
    x = 0.7 + 0.9 * torch.randn(6, 500, generator=torch.Generator().manual_seed(1))
    ours, eager = mod._ours(neuron, device), mod._eager(neuron, device)
    s_k, s_e = ours.run(x), eager.run(x)
    # the LIF family's functional step rounds β·V and α·X separately where the fused
    # path uses one FMA: a spike may flip only for H within an ulp of θ
    assert int((s_k != s_e).sum()) <= 1


@pytest.mark.parametrize("neuron", ["lif_hard", "lif_soft", "plif", "dalif", "clif", "ilif"])
def test_correctness_gate_logic(emu, neuron):
    """The benchmark's gate (float32 kernels vs float64 eager) passes on the emulation."""
    row = _module().gate(neuron, 8, 300, device="cpu")
    assert row["ok"], row


class _FakeEvent:
    """torch.cuda.Event stand-in: wall-clock timestamps in milliseconds."""

    def __init__(self, enable_timing: bool = False) -> None:
        self.t = 0.0

    def record(self) -> None:
        self.t = time.perf_counter()

    def elapsed_time(self, end: _FakeEvent) -> float:
        return (end.t - self.t) * 1000.0


def test_measuring_code_runs_end_to_end_on_cpu(emu, monkeypatch):
    """bench_point / annotate / copy_bandwidth with the CUDA timing calls stubbed out."""
    mod = _module()
    monkeypatch.setattr(torch.cuda, "Event", _FakeEvent)
    for name in ("synchronize", "reset_peak_memory_stats", "empty_cache"):
        monkeypatch.setattr(torch.cuda, name, lambda *a, **k: None)
    monkeypatch.setattr(torch.cuda, "memory_allocated", lambda *a, **k: 0)
    monkeypatch.setattr(torch.cuda, "max_memory_allocated", lambda *a, **k: 4096)
    args = mod.parse_args(["--quick", "--no-sj", "--warmup", "1", "--iters", "5"])
    args.device, args.warmup, args.iters = "cpu", 1, 5
    rows = []
    for neuron in mod.NEURONS:
        rows += mod.bench_point(neuron, 4, 300, torch.float32, args, None)
    gbs = mod.copy_bandwidth(4, 300, 1, 5, None, device="cpu")
    mod.annotate(rows, {(4, 300): gbs})
    assert len(rows) == 2 * 2 * len(mod.NEURONS)  # (ours, eager) x (fwd, fwd_bwd)
    assert all(r["median_us"] > 0 and r["roofline_fraction"] > 0 for r in rows)
    ours = [r for r in rows if r["impl"] == "snncompile"]
    assert all("speedup_vs_eager" in r and "own_bytes_per_step" in r for r in ours)
    assert all("peak_mem_bytes" in r for r in rows if r["mode"] == "fwd_bwd")
