"""GPU throughput of snncompile's fused CuPy kernels versus same-run peers (docs/performance.md §4).

Workloads: time-major contiguous [T, N] float32 (plus one float16 point), T ∈ {4, 8, 16,
32}, N ∈ {2^16, 2^20, 2^22, 2^24}. Neurons:

- ``lif_hard``: docs/performance.md §3's LIF (τ = 2 with decay_input: α = β = 1/2; hard reset to 0;
  Sigmoid(4)), the configuration SpikingJelly's ``LIFNode`` defaults to;
- ``lif_soft``: the same with a soft reset (SpikingJelly ``v_reset=None``);
- ``plif``: β = 1 − sigmoid(w), learnable per layer (peer: ``ParametricLIFNode``);
- ``dalif``: α = tanh(a), β = tanh(b), learnable per layer (nearest peer: PLIF);
- ``clif``, ``ilif``: τ = 2 / 1.1 (against the torch eager reference only).

Implementations, same process, same inputs: ``snncompile`` (the CuPy kernels), ``eager``
(the functional step in a Python loop, autograd through it) and ``sj_cupy``
(SpikingJelly 0.0.0.0.14 ``step_mode='m', backend='cupy'`` in ``train()`` mode, also under
``no_grad``, since its ``eval()`` runs TorchScript; ``reset()`` before every call), when
importable. A ``y.copy_(x)`` probe on a [T, N] float32 tensor measures the copy bandwidth
(read + write) of every size in the same run.

Timing: CUDA events around each call, 25 warm-up and 100 timed calls (``--quick``: 5 and
20), the median; L2 flushed before every timed call by writing a 256 MiB buffer (outside
the events). Slow implementations get fewer calls (at least 5) to bound the run time.
Forward under ``no_grad``; forward + backward is ``s.backward(g)`` with a precomputed g.
Peak memory: the rise of ``max_memory_allocated`` over one forward + backward.
First-call times include NVRTC compilation: CuPy's disk cache is pointed at a fresh
temporary directory unless ``--keep-cache``.

Correctness gate (N = 2^16, every T): spikes and input gradients of our float32 kernels
against the eager functional step run in float64 on the GPU, same parameters (spike
mismatches ≤ 1e-6 of all elements, counted; gradients ``allclose(rtol=1e-5, atol=1e-6)``).

Roofline fraction = (ideal bytes per neuron-step of §1 × T·N / time) / copy GB/s of the
same size; the kernels' own traffic (what they actually move) is reported beside it.

Usage:
    python benchmarks/kernels_gpu.py [--quick] [--out results/kernels_gpu.json]
        [--neurons lif_hard,clif] [--T 4,8] [--N 16,20] [--no-flush] [--keep-cache]
Exit status: 0 on success, 2 without a usable GPU (with the reason), 1 if the
correctness gate failed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import torch  # noqa: E402

NEURONS = ("lif_hard", "lif_soft", "plif", "dalif", "clif", "ilif")
#: ideal bytes per neuron-step, docs/performance.md §1 (fp32, fp32 spikes)
IDEAL_BYTES = {
    "fwd": {n: 8.0 for n in NEURONS},
    "fwd_bwd": {"lif_hard": 24.0, "lif_soft": 24.0, "plif": 24.0, "dalif": 28.0}
    | {"clif": 32.0, "ilif": 32.0},
}


def own_bytes(neuron: str, mode: str, T: int, itemsize: int = 4) -> float:
    """Bytes per neuron-step the snncompile kernels move (states in float32)."""
    io = float(itemsize)
    if mode == "fwd":  # x in, spikes out; nothing stored
        return 2 * io
    if neuron in ("lif_hard", "lif_soft", "plif"):  # fwd: x, s, H; bwd: g_s, H, g_x
        return (2 * io + 4) + (2 * io + 4)
    if neuron == "dalif":  # the backward also reads x for the gradient of α
        return (2 * io + 4) + (3 * io + 4)
    if neuron == "clif":  # H and m[0..T−2] written, then read back
        return (2 * io + 8 - 4 / T) + (2 * io + 8 - 4 / T)
    # ilif: H, M[0..T−2], mask bits (4 B per 32 steps); the backward also reads x
    return (2 * io + 8 - 4 / T + 4 / T) + (3 * io + 8 - 4 / T + 4 / T)


@dataclass
class Impl:
    """One implementation of one neuron: ``run(x) -> spikes`` plus its own state."""

    name: str
    run: Callable[[torch.Tensor], torch.Tensor]
    before: Callable[[], None] = lambda: None
    params: list[torch.Tensor] = field(default_factory=list)


def _cfg(neuron: str) -> Any:
    from snncompile.neurons.functional.common import SpikeConfig
    from snncompile.neurons.surrogate import Rectangle, Sigmoid

    if neuron == "lif_hard":
        return SpikeConfig(surrogate=Sigmoid(4.0), reset="hard", v_reset=0.0)
    if neuron in ("lif_soft", "plif", "ilif"):
        return SpikeConfig(surrogate=Sigmoid(4.0))
    return SpikeConfig(surrogate=Rectangle(1.0))


def _ours(neuron: str, device: torch.device) -> Impl:
    from snncompile.neurons import kernels

    cfg = _cfg(neuron)
    if neuron in ("lif_hard", "lif_soft"):
        a = 0.5 if neuron == "lif_hard" else 1.0  # decay_input for the §3 LIF
        return Impl("snncompile", lambda x: kernels.linear_lif_multistep(x, a, 0.5, cfg))
    if neuron == "plif":
        w = torch.zeros((), device=device, requires_grad=True)
        fn = lambda x: kernels.linear_lif_multistep(x, 1.0, 1 - torch.sigmoid(w), cfg)  # noqa: E731
        return Impl("snncompile", fn, params=[w])
    if neuron == "dalif":
        a_raw = torch.ones((), device=device, requires_grad=True)
        b_raw = torch.ones((), device=device, requires_grad=True)

        def dalif(x: torch.Tensor) -> torch.Tensor:
            return kernels.linear_lif_multistep(x, torch.tanh(a_raw), torch.tanh(b_raw), cfg)

        return Impl("snncompile", dalif, params=[a_raw, b_raw])
    if neuron == "clif":
        return Impl("snncompile", lambda x: kernels.clif_multistep(x, 2.0, cfg))
    return Impl("snncompile", lambda x: kernels.ilif_multistep(x, 1.1, cfg))


def _eager(neuron: str, device: torch.device) -> Impl:
    """The functional step in a Python loop (autograd through the loop)."""
    from snncompile.neurons.functional import clif, ilif, lif

    cfg = _cfg(neuron)
    params: list[torch.Tensor] = []
    if neuron in ("clif", "ilif"):
        mod = clif if neuron == "clif" else ilif
        p = (
            clif.CLIFParams(tau=2.0, config=cfg)
            if neuron == "clif"
            else ilif.ILIFParams(tau=1.1, config=cfg)
        )
        init, step = getattr(mod, f"{neuron}_initial_state"), getattr(mod, f"{neuron}_step")
    else:
        init, step = lif.lif_initial_state, lif.lif_step
        if neuron == "plif":
            w = torch.zeros((), device=device, requires_grad=True)
            params = [w]
        elif neuron == "dalif":
            params = [torch.ones((), device=device, requires_grad=True) for _ in range(2)]
        p = None

    def run(x: torch.Tensor) -> torch.Tensor:
        q = p
        if q is None:
            if neuron == "plif":
                q = lif.LIFParams(beta=1 - torch.sigmoid(params[0]), config=cfg)
            elif neuron == "dalif":
                q = lif.LIFParams(torch.tanh(params[1]), torch.tanh(params[0]), cfg)
            else:
                q = lif.LIFParams(beta=0.5, alpha=0.5 if neuron == "lif_hard" else 1.0, config=cfg)
        state, out = init(x[0]), []
        for t in range(x.shape[0]):
            s, state = step(x[t], state, q)
            out.append(s)
        return torch.stack(out)

    return Impl("eager", run, params=params)


def _spikingjelly(neuron: str, dtype: torch.dtype) -> Impl | None:
    """SpikingJelly 0.0.0.0.14's CuPy LIF / PLIF, or None when not importable."""
    if neuron not in ("lif_hard", "lif_soft", "plif", "dalif"):
        return None
    try:
        from spikingjelly.activation_based import neuron as sj_neuron
        from spikingjelly.activation_based import surrogate as sj_surrogate
    except Exception:
        return None
    v_reset = 0.0 if neuron == "lif_hard" else None
    common = {"v_reset": v_reset, "surrogate_function": sj_surrogate.Sigmoid(alpha=4.0)}
    if neuron.startswith("lif"):
        node = sj_neuron.LIFNode(tau=2.0, decay_input=True, step_mode="m", backend="cupy", **common)
    else:
        node = sj_neuron.ParametricLIFNode(
            init_tau=2.0, decay_input=False, step_mode="m", backend="cupy", **common
        )
    node = node.cuda().to(dtype).train()  # eval() would run TorchScript, not CuPy
    return Impl("sj_cupy", node, before=node.reset, params=list(node.parameters()))


def _flush_buffer(enabled: bool) -> torch.Tensor | None:
    return torch.empty(256 << 20, dtype=torch.uint8, device="cuda") if enabled else None


def time_calls(
    fn: Callable[[], Any],
    before: Callable[[], None],
    warmup: int,
    iters: int,
    flush: torch.Tensor | None,
    budget_s: float = 3.0,
) -> float:
    """Median µs of ``fn`` over CUDA-event-timed calls (``before`` and the L2 flush run
    outside the events); slow functions get fewer calls, at least 5."""
    before()
    fn()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    before()
    fn()
    torch.cuda.synchronize()
    single = time.perf_counter() - t0
    iters = max(5, min(iters, int(budget_s / max(single, 1e-6))))
    for _ in range(min(warmup, iters)):
        before()
        fn()
    events: list[tuple[torch.cuda.Event, torch.cuda.Event]] = []
    for _ in range(iters):
        before()
        if flush is not None:
            flush.zero_()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        events.append((start, end))
    torch.cuda.synchronize()
    return statistics.median(s.elapsed_time(e) for s, e in events) * 1000.0


def copy_bandwidth(
    T: int, N: int, warmup: int, iters: int, flush: torch.Tensor | None, device: str = "cuda"
) -> float:
    """GB/s of ``y.copy_(x)`` on a [T, N] float32 tensor, counting read + write."""
    x = torch.randn(T, N, device=device)
    y = torch.empty_like(x)
    us = time_calls(lambda: y.copy_(x), lambda: None, warmup, iters, flush)
    return 2 * x.numel() * 4 / (us * 1e-6) / 1e9


def _fwd_bwd(impl: Impl, x: torch.Tensor, g: torch.Tensor) -> Callable[[], None]:
    def step() -> None:
        x.grad = None
        for p in impl.params:
            p.grad = None
        impl.run(x).backward(g)

    return step


def peak_memory(impl: Impl, x: torch.Tensor, g: torch.Tensor) -> int:
    """Bytes allocated above the inputs during one forward + backward."""
    step = _fwd_bwd(impl, x, g)
    impl.before()
    torch.cuda.synchronize()
    base = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    step()
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated() - base


def gate(neuron: str, T: int, N: int, device: str = "cuda") -> dict[str, Any]:
    """Our float32 kernels against the eager functional step in float64 (same parameters)."""
    gen = torch.Generator(device=device).manual_seed(T)
    x0 = 0.7 + 0.9 * torch.randn(T, N, device=device, generator=gen)
    g = torch.randn(T, N, device=device, generator=gen)
    results = []
    dev = torch.device(device)
    for impl, dtype in ((_ours(neuron, dev), torch.float32), (_eager(neuron, dev), torch.float64)):
        x = x0.to(dtype).detach().requires_grad_()
        s = impl.run(x)
        s.backward(g.to(dtype))
        results.append((s.detach().double(), x.grad.double()))
    (s_k, g_k), (s_r, g_r) = results
    mismatches = int((s_k != s_r).sum())
    grad_ok = bool(torch.allclose(g_k, g_r, rtol=1e-5, atol=1e-6))
    max_rel = float(((g_k - g_r).abs() / g_r.abs().clamp_min(1e-6)).max())
    return {
        "neuron": neuron,
        "T": T,
        "N": N,
        "spike_mismatches": mismatches,
        "elements": s_k.numel(),
        "grad_allclose": grad_ok,
        "grad_max_rel": max_rel,
        "ok": mismatches <= 1e-6 * s_k.numel() and grad_ok,
    }


def environment() -> dict[str, Any]:
    import cupy

    info: dict[str, Any] = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_cuda": torch.version.cuda,
        "cupy": cupy.__version__,
        "cuda_runtime": cupy.cuda.runtime.runtimeGetVersion(),
        "cuda_driver": cupy.cuda.runtime.driverGetVersion(),
        "device": torch.cuda.get_device_name(),
        "capability": ".".join(map(str, torch.cuda.get_device_capability())),
    }
    try:
        info["nvrtc"] = ".".join(map(str, cupy.cuda.nvrtc.getVersion()))
    except Exception as exc:
        info["nvrtc"] = f"unavailable: {exc}"
    try:
        import spikingjelly

        info["spikingjelly"] = getattr(spikingjelly, "__version__", "installed")
    except Exception as exc:
        info["spikingjelly"] = f"not importable: {type(exc).__name__}: {exc}"
    return info


def bench_point(
    neuron: str, T: int, N: int, dtype: torch.dtype, args: argparse.Namespace, flush: Any
) -> list[dict[str, Any]]:
    """Every implementation of ``neuron`` at one size: fwd and fwd+bwd rows."""
    device = torch.device(args.device)
    x = 0.7 + 0.9 * torch.randn(T, N, device=device, dtype=dtype)
    g = torch.randn(T, N, device=device, dtype=dtype)
    impls = [_ours(neuron, device)]
    if not (args.eager_max_n and args.eager_max_n < N):
        impls.append(_eager(neuron, device))
    sj = None if args.no_sj else _spikingjelly(neuron, dtype)
    if sj is not None:
        impls.append(sj)
    rows = []
    for impl in impls:
        for mode in ("fwd", "fwd_bwd"):
            row = {"neuron": neuron, "impl": impl.name, "T": T, "N": N, "mode": mode}
            row["dtype"] = str(dtype).removeprefix("torch.")
            try:
                xr = x.detach().requires_grad_(mode == "fwd_bwd")
                if mode == "fwd":

                    def call(impl: Impl = impl, xr: torch.Tensor = xr) -> None:
                        with torch.no_grad():
                            impl.run(xr)

                else:
                    call = _fwd_bwd(impl, xr, g)
                t0 = time.perf_counter()
                impl.before()
                call()
                torch.cuda.synchronize()
                row["first_call_s"] = time.perf_counter() - t0
                us = time_calls(call, impl.before, args.warmup, args.iters, flush)
                row["median_us"] = us
                row["neuron_steps_per_s"] = T * N / (us * 1e-6)
                if mode == "fwd_bwd":
                    row["peak_mem_bytes"] = peak_memory(impl, xr, g)
                    row["peak_mem_over_ideal"] = row["peak_mem_bytes"] / (3 * T * N * 4)
            except torch.cuda.OutOfMemoryError:
                row["error"] = "out of memory"
                torch.cuda.empty_cache()
            rows.append(row)
    return rows


def annotate(rows: list[dict[str, Any]], copy_gbs: dict[tuple[int, int], float]) -> None:
    """Roofline fractions and speedups, in place."""
    by_key = {(r["neuron"], r["impl"], r["T"], r["N"], r["mode"], r["dtype"]): r for r in rows}
    for r in rows:
        if "median_us" not in r:
            continue
        bw = copy_gbs[(r["T"], r["N"])]
        steps_s = r["neuron_steps_per_s"]
        r["copy_GBps"] = bw
        if r["dtype"] == "float32":
            r["roofline_fraction"] = IDEAL_BYTES[r["mode"]][r["neuron"]] * steps_s / 1e9 / bw
        if r["impl"] == "snncompile":
            item = 2 if r["dtype"] in ("float16", "bfloat16") else 4
            r["own_bytes_per_step"] = own_bytes(r["neuron"], r["mode"], r["T"], item)
            r["own_bandwidth_fraction"] = r["own_bytes_per_step"] * steps_s / 1e9 / bw
            for peer in ("sj_cupy", "eager"):
                other = by_key.get((r["neuron"], peer, r["T"], r["N"], r["mode"], r["dtype"]))
                if other and "median_us" in other:
                    r[f"speedup_vs_{peer}"] = other["median_us"] / r["median_us"]


def _ints(text: str, power: bool = False) -> list[int]:
    values = [int(v) for v in text.split(",") if v.strip()]
    return [1 << v for v in values] if power else values


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="T=8, N=2^16,2^20, 20 timed calls")
    p.add_argument("--neurons", default=",".join(NEURONS))
    p.add_argument("--T", default="4,8,16,32", help="comma-separated time steps")
    p.add_argument("--N", default="16,20,22,24", help="comma-separated log2 of N")
    p.add_argument("--warmup", type=int, default=25)
    p.add_argument("--iters", type=int, default=100)
    p.add_argument("--eager-max-n", type=int, default=1 << 22, help="skip eager above this N")
    p.add_argument("--no-sj", action="store_true", help="skip SpikingJelly even if present")
    p.add_argument("--no-flush", action="store_true", help="do not flush L2 between calls")
    p.add_argument("--keep-cache", action="store_true", help="reuse CuPy's kernel disk cache")
    p.add_argument("--out", type=Path, default=REPO / "benchmarks/results/kernels_gpu.json")
    p.set_defaults(device="cuda")  # the tests run the measuring code on CPU tensors
    args = p.parse_args(argv)
    if args.quick:
        args.T, args.N, args.warmup, args.iters = "8", "16,20", 5, 20
    unknown = set(args.neurons.split(",")) - set(NEURONS)
    if unknown:
        p.error(f"unknown neurons {sorted(unknown)}; choose from {NEURONS}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.keep_cache:  # must happen before CuPy is imported
        os.environ["CUPY_CACHE_DIR"] = tempfile.mkdtemp(prefix="snn-cupy-cache-")
    if not torch.cuda.is_available():
        print("kernels_gpu: no CUDA device visible to torch; nothing to measure.", file=sys.stderr)
        return 2
    from snncompile.neurons.kernels import cupy_unavailable_reason

    reason = cupy_unavailable_reason(torch.zeros(1, device="cuda"))
    if reason is not None:
        print(f"kernels_gpu: the CuPy kernels cannot run: {reason}", file=sys.stderr)
        return 2
    flush = _flush_buffer(not args.no_flush)
    Ts, Ns = _ints(args.T), _ints(args.N, power=True)
    neurons = args.neurons.split(",")
    report: dict[str, Any] = {
        "environment": environment(),
        "args": vars(args) | {"out": str(args.out)},
    }
    print(json.dumps(report["environment"], indent=1))
    report["gate"] = [gate(n, T, 1 << 16) for n in neurons for T in Ts]
    for row in report["gate"]:
        print(
            f"gate {row['neuron']:9s} T={row['T']:3d}: ok={row['ok']} "
            f"mismatches={row['spike_mismatches']} grad_max_rel={row['grad_max_rel']:.2e}"
        )
    copy_gbs = {
        (T, N): copy_bandwidth(T, N, args.warmup, args.iters, flush) for T in Ts for N in Ns
    }
    report["copy_GBps"] = [{"T": T, "N": N, "GBps": v} for (T, N), v in copy_gbs.items()]
    rows: list[dict[str, Any]] = []
    points = [(n, T, N, torch.float32) for n in neurons for T in Ts for N in Ns]
    if "lif_hard" in neurons:  # one half-precision point (SpikingJelly's half2 path)
        points.append(("lif_hard", 8, Ns[-1], torch.float16))
        copy_gbs.setdefault((8, Ns[-1]), copy_bandwidth(8, Ns[-1], args.warmup, args.iters, flush))
    for neuron, T, N, dtype in points:
        new = bench_point(neuron, T, N, dtype, args, flush)
        for r in new:
            speed = f"{r['neuron_steps_per_s'] / 1e9:8.2f} G/s" if "median_us" in r else r["error"]
            print(
                f"{neuron:9s} {r['impl']:10s} {r['dtype']:8s} T={T:3d} N=2^{N.bit_length() - 1:<3d}"
                f" {r['mode']:8s} {speed}"
            )
        rows += new
    annotate(rows, copy_gbs)
    report["results"] = rows
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    print(f"wrote {args.out}")
    return 0 if all(r["ok"] for r in report["gate"]) else 1


if __name__ == "__main__":
    sys.exit(main())
