"""CPU throughput and peak memory of snncompile's neurons against same-run peers.

Workload (docs/performance.md §3): T = 8, B = 32, N = 32768 (8,388,608 neuron-steps per
call), float32, 2 threads. For every model: forward under ``no_grad`` and
forward + backward (``s.backward(g)`` with a precomputed g), the median of interleaved
rounds in one process. Peers measured in the same run:

- ``autograd-loop``: a plain LIF stepped in a Python loop with autograd through it
  (a spike Function with the same Rectangle surrogate);
- ``spikingjelly-2.0``: SpikingJelly 2.0.0 ``LIFNode(step_mode='m')`` with the same
  dynamics (τ = 2, ``decay_input=False``, soft reset, Rectangle-equivalent surrogate is
  not available there, so its default Sigmoid is used — noted in the output), imported
  from ``--peers DIR`` (``make bench`` installs it there with ``pip --target``, so the
  project's own environment never contains it).

Peak memory is measured in a fresh subprocess per (variant, mode): the rise of the
maximum RSS above the RSS after the inputs were allocated.

Usage: ``python benchmarks/neurons_cpu.py [--peers .bench-peers] [--rounds 21] [--json out.json]``
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from _cli import cpu_parser, parse_pinned

T, B, N = 8, 32, 32768


def _make_variant(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """A function x -> spikes for one variant (modules built once)."""
    import snncompile.neurons as sn

    if name == "autograd-loop":
        from snncompile.neurons.functional.lif import LIFParams, lif_initial_state, lif_step

        params = LIFParams(beta=0.5)

        def loop(x: torch.Tensor) -> torch.Tensor:
            state, out = lif_initial_state(x[0]), []
            for t in range(x.shape[0]):
                s, state = lif_step(x[t], state, params)
                out.append(s)
            return torch.stack(out)

        return loop
    if name == "spikingjelly-2.0":
        from spikingjelly.activation_based import functional, neuron

        node = neuron.LIFNode(tau=2.0, decay_input=False, v_reset=None, step_mode="m")

        def sj(x: torch.Tensor) -> torch.Tensor:
            functional.reset_net(node)
            return node(x)

        return sj
    if name == "LIF-sigmoid":  # the surrogate SpikingJelly's LIFNode uses by default
        return sn.LIF(surrogate="sigmoid", surrogate_alpha=4.0)
    return getattr(sn, name)()


def available_variants(peers: bool) -> list[str]:
    import snncompile.neurons as sn

    names = [n for n in ("LIF", "PLIF", "DALIF", "CLIF", "ILIF") if hasattr(sn, n)]
    names += ["LIF-sigmoid", "autograd-loop"]
    if peers:
        names.append("spikingjelly-2.0")
    return names


def _run(
    fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, g: torch.Tensor, mode: str
) -> None:
    if mode == "fwd":
        with torch.no_grad():
            fn(x)
    else:
        xg = x.detach().requires_grad_()
        fn(xg).backward(g)


def time_all(names: list[str], rounds: int) -> dict[str, dict[str, float]]:
    torch.manual_seed(0)
    x = torch.randn(T, B, N) * 0.8 + 0.6
    g = torch.randn(T, B, N)
    fns = {n: _make_variant(n) for n in names}
    times: dict[tuple[str, str], list[float]] = {
        (n, m): [] for n in names for m in ("fwd", "fwd+bwd")
    }
    for n in names:  # warm-up
        for m in ("fwd", "fwd+bwd"):
            _run(fns[n], x, g, m)
    for _ in range(rounds):  # interleaved rounds: noise hits every variant alike
        for n in names:
            for m in ("fwd", "fwd+bwd"):
                t0 = time.perf_counter()
                _run(fns[n], x, g, m)
                times[(n, m)].append(time.perf_counter() - t0)
    return {n: {m: statistics.median(times[(n, m)]) for m in ("fwd", "fwd+bwd")} for n in names}


def peak_memory_mib(name: str, mode: str, peers: str | None) -> float:
    """Peak RSS rise (MiB) of one call, measured in a fresh process.

    Reads VmHWM (this process's own high-water mark) from /proc: ``ru_maxrss`` is
    inherited across fork/exec on Linux, so a large parent would hide the child's peak.
    """
    code = (
        "import sys, torch\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})\n"
        + (f"sys.path.insert(0, {peers!r})\n" if peers else "")
        + "import neurons_cpu as b\n"
        "def hwm():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmHWM:'):\n"
        "            return int(line.split()[1])\n"
        "torch.set_num_threads(2)\n"
        "x = torch.randn(b.T, b.B, b.N); g = torch.randn(b.T, b.B, b.N)\n"
        f"fn = b._make_variant({name!r})\n"
        "with torch.no_grad(): fn(x[:, :1, :8])\n"
        "base = hwm()\n"
        f"b._run(fn, x, g, {mode!r})\n"
        "print((hwm() - base) / 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = cpu_parser(__doc__, rounds=21, json_help="write the results here")
    parser.add_argument(
        "--peers", help="directory with spikingjelly==2.0.0 installed (pip --target)"
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    args = parse_pinned(parser)
    have_peers = False
    if args.peers:
        sys.path.insert(0, str(Path(args.peers).resolve()))
        try:
            import spikingjelly.activation_based.neuron  # noqa: F401

            have_peers = True
        except ImportError as exc:
            print(f"SpikingJelly 2.0 not importable from {args.peers}: {exc}", file=sys.stderr)
    names = available_variants(have_peers)
    times = time_all(names, args.rounds)
    steps = T * B * N
    rows = []
    for n in names:
        row = {"variant": n, **{f"{m}_ms": times[n][m] * 1e3 for m in ("fwd", "fwd+bwd")}}
        row |= {f"{m}_Gsteps": steps / times[n][m] / 1e9 for m in ("fwd", "fwd+bwd")}
        if not args.no_memory:
            peers = str(Path(args.peers).resolve()) if have_peers else None
            row |= {f"{m}_peak_MiB": peak_memory_mib(n, m, peers) for m in ("fwd", "fwd+bwd")}
        rows.append(row)
    ref = {r["variant"]: r for r in rows}
    print(
        f"T={T} B={B} N={N} float32, {args.threads} threads, median of {args.rounds} "
        f"interleaved rounds; torch {torch.__version__}; {platform.machine()}"
    )
    print(
        f"{'variant':<18}{'fwd ms':>9}{'fwd+bwd ms':>12}{'G/s f+b':>9}"
        f"{'x loop':>8}{'x SJ2':>8}{'peak MiB f / f+b':>18}"
    )
    for r in rows:
        vs_loop = ref["autograd-loop"]["fwd+bwd_ms"] / r["fwd+bwd_ms"]
        vs_sj = (
            (ref["spikingjelly-2.0"]["fwd+bwd_ms"] / r["fwd+bwd_ms"])
            if have_peers
            else float("nan")
        )
        mem = (
            f"{r['fwd_peak_MiB']:.0f} / {r['fwd+bwd_peak_MiB']:.0f}" if "fwd_peak_MiB" in r else "-"
        )
        print(
            f"{r['variant']:<18}{r['fwd_ms']:>9.1f}{r['fwd+bwd_ms']:>12.1f}"
            f"{r['fwd+bwd_Gsteps']:>9.3f}{vs_loop:>8.2f}{vs_sj:>8.2f}{mem:>18}"
        )
    if have_peers:
        print(
            "note: spikingjelly-2.0 uses its default Sigmoid(4) surrogate; compare it with "
            "LIF-sigmoid (same dynamics and surrogate)"
        )
    if args.json:
        meta = {
            "T": T,
            "B": B,
            "N": N,
            "threads": args.threads,
            "rounds": args.rounds,
            "torch": torch.__version__,
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "date": time.strftime("%Y-%m-%d"),
            "loadavg": os.getloadavg(),
        }
        Path(args.json).write_text(json.dumps({"meta": meta, "results": rows}, indent=2))


if __name__ == "__main__":
    main()
