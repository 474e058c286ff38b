"""Train a small spiking MLP on scikit-learn's 8x8 digits and save it with snncompile.

    python examples/train_digits.py --neuron lif --out digits_lif.pt
    python examples/train_digits.py --neuron ilif --encoding events --epochs 40 --out none
    torchrun --standalone --nproc_per_node 2 examples/train_digits.py --ddp --neuron clif \
        --out digits_clif.pt

The checkpoint goes to the path given with ``--out`` (``none``: not saved); an existing
file is refused before training unless ``--force`` is given, so the shipped models in
``examples/models/`` are never replaced by accident.

Data, encodings (``direct`` or tonic ``events``), model and loss are described in
``digits_common.py``. Training follows the official CLIF/ILIF conventions
(docs/neurons.md §1): per-step logits, loss (1 − λ)·CE + λ·MSE averaged over steps
(λ = 0.05), accuracy on the logits summed over steps; the optimiser is Adam with a
cosine schedule (the official scripts use SGD for 200+ epochs on CIFAR; Adam converges
within a few seconds here). Every neuron uses its module defaults (τ = 2, Rectangle
surrogate).

``--ddp`` runs data-parallel under ``torchrun`` (gloo on CPU, nccl on GPU): each rank
trains on its DistributedSampler shard and gradients are averaged; only rank 0 logs,
evaluates and saves.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, RandomSampler, TensorDataset
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent))

from digits_common import NEURONS, build_model, evaluate, load_data, official_loss, script_exit

import snncompile
from snncompile.outputs import check_output

MODELS = Path(__file__).resolve().parent / "models"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--neuron", choices=sorted(NEURONS), default="lif")
    p.add_argument("--encoding", choices=("direct", "events"), default="direct")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--T", type=int, default=4, help="time steps per sample")
    p.add_argument("--seed", type=int, default=0, help="model init, shuffling and event seed")
    p.add_argument("--batch-size", type=int, default=32, help="per process")
    p.add_argument("--lr", type=float, default=5e-3)
    p.add_argument("--hidden", default="128", help="hidden widths, comma-separated")
    p.add_argument(
        "--events-per-step",
        type=float,
        default=4.0,
        help="mean events per step of a white pixel (--encoding events)",
    )
    p.add_argument(
        "--mse-target",
        choices=("one-hot", "means"),
        default="means",
        help="MSE term against the constant 1.0 (the official scripts' default loss_means) "
        "or against one-hot labels (their -mse_n_reg option)",
    )
    p.add_argument("--limit", type=int, default=None, help="use only N training images")
    p.add_argument(
        "--out",
        type=Path,
        required=True,
        help="checkpoint path to write, e.g. digits_lif.pt; 'none' to skip saving",
    )
    p.add_argument("--force", action="store_true", help="replace an existing --out file")
    p.add_argument(
        "--summary",
        type=Path,
        default=None,
        help="JSON file to record this run in (a .md table is written next to it)",
    )
    p.add_argument("--ddp", action="store_true", help="data-parallel under torchrun")
    p.add_argument(
        "--rank-weights",
        type=Path,
        default=None,
        help="write every rank's final state_dict to DIR/rank<r>.pt (checks replicas)",
    )
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads per process")
    p.add_argument("--no-progress", action="store_true", help="no tqdm bar")
    p.add_argument("--quiet", action="store_true", help="no per-epoch log lines")
    return p.parse_args(argv)


def setup_distributed(args: argparse.Namespace) -> tuple[int, int, torch.device]:
    """(rank, world size, device); initialises the process group under --ddp."""
    if not args.ddp:
        return 0, 1, torch.device("cpu")
    if "RANK" not in os.environ:
        raise SystemExit(
            "--ddp needs torchrun: torchrun --standalone --nproc_per_node 2 "
            "examples/train_digits.py --ddp ..."
        )
    cuda = torch.cuda.is_available()
    dist.init_process_group(backend="nccl" if cuda else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    if cuda:
        local = int(os.environ.get("LOCAL_RANK", 0))
        torch.cuda.set_device(local)
        return rank, world, torch.device("cuda", local)
    return rank, world, torch.device("cpu")


def make_loader(
    dataset: TensorDataset, args: argparse.Namespace, rank: int, world: int
) -> tuple[DataLoader, DistributedSampler | None]:
    if world > 1:
        sampler: Any = DistributedSampler(
            dataset, num_replicas=world, rank=rank, shuffle=True, seed=args.seed
        )
        return DataLoader(dataset, batch_size=args.batch_size, sampler=sampler), sampler
    gen = torch.Generator().manual_seed(args.seed)
    return DataLoader(
        dataset, batch_size=args.batch_size, sampler=RandomSampler(dataset, generator=gen)
    ), None


def log(rank: int, message: str) -> None:
    if rank == 0:
        tqdm.write(message)


def run_epoch(
    net: nn.Module,
    loader: DataLoader,
    opt: torch.optim.Optimizer,
    sched: torch.optim.lr_scheduler.LRScheduler,
    args: argparse.Namespace,
    device: torch.device,
    desc: str,
    show: bool,
) -> tuple[float, int, int]:
    """One training epoch: (summed loss, correct, seen) over this process's shard."""
    net.train()
    loss_sum, correct, seen = 0.0, 0, 0
    bar = tqdm(loader, desc=desc, leave=False, disable=not show)
    for xb, yb in bar:
        xb, yb = xb.to(device).transpose(0, 1), yb.to(device)  # [T, B, 1, 8, 8]
        logits = net(xb)
        loss = official_loss(logits, yb, mse_target=args.mse_target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        loss_sum += float(loss.detach()) * len(yb)
        correct += int((logits.detach().sum(0).argmax(1) == yb).sum())
        seen += len(yb)
        bar.set_postfix(loss=f"{loss_sum / seen:.3f}", acc=f"{correct / seen:.3f}")
    return loss_sum, correct, seen


def train(args: argparse.Namespace) -> dict[str, Any]:
    """Train, evaluate and save; returns the run record (empty on ranks other than 0).

    Raises:
        ConfigError: ``--out`` exists and ``--force`` is not given (before training).
    """
    if saves_checkpoint(args):  # every rank checks, so none waits for a failed rank 0
        check_output(args.out, force=args.force)
    rank, world, device = setup_distributed(args)
    threads = args.threads or max(1, (os.cpu_count() or 1) // world)
    torch.set_num_threads(threads)
    torch.manual_seed(args.seed)
    data = load_data(args.encoding, args.T, seed=args.seed, events_per_step=args.events_per_step)
    x_train, y_train = data.x_train[: args.limit], data.y_train[: args.limit]
    loader, sampler = make_loader(TensorDataset(x_train, y_train), args, rank, world)
    hidden = [int(h) for h in args.hidden.split(",")]
    model: nn.Module = build_model(args.neuron, hidden).to(device)
    net = DistributedDataParallel(model) if world > 1 else model
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs * len(loader))
    log(
        rank,
        f"digits: {len(x_train)} train / {len(data.x_test)} test, {args.encoding} "
        f"encoding, T={args.T}, neuron={args.neuron}, hidden={hidden}, world={world}, "
        f"threads/process={threads}",
    )
    start, eval_time = time.perf_counter(), 0.0
    history: list[dict[str, Any]] = []
    for epoch in range(args.epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)
        totals = torch.tensor(
            run_epoch(
                net,
                loader,
                opt,
                sched,
                args,
                device,
                f"epoch {epoch + 1}/{args.epochs}",
                show=not args.no_progress and rank == 0,
            ),
            dtype=torch.float64,
            device=device,
        )
        if world > 1:  # log the whole epoch, not rank 0's shard
            dist.all_reduce(totals)
        loss, acc = float(totals[0] / totals[2]), float(totals[1] / totals[2])
        if rank == 0 and not args.quiet:
            eval_start = time.perf_counter()
            res = evaluate(
                model, data.x_test.to(device), data.y_test.to(device), mse_target=args.mse_target
            )
            rates = ", ".join(f"{k}: {v:.3f}" for k, v in res.rates.items())
            log(
                rank,
                f"epoch {epoch + 1:3d}  train loss {loss:.4f} acc {acc:.4f}  "
                f"test acc {res.accuracy:.4f}  firing rates [{rates}]",
            )
            history.append(
                {
                    "epoch": epoch + 1,
                    "train_loss": loss,
                    "train_accuracy": acc,
                    "test_accuracy": res.accuracy,
                    "rates": res.rates,
                }
            )
            eval_time += time.perf_counter() - eval_start
    train_time = time.perf_counter() - start - eval_time  # per-epoch evaluation excluded
    record = finish(args, model, data, rank, world, train_time, history)
    if args.rank_weights is not None:
        args.rank_weights.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), args.rank_weights / f"rank{rank}.pt")
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return record


def finish(
    args: argparse.Namespace,
    model: nn.Module,
    data: Any,
    rank: int,
    world: int,
    train_time: float,
    history: list[dict[str, Any]],
) -> dict[str, Any]:
    """Rank 0: final evaluation, checkpoint and summary."""
    if rank != 0:
        return {}
    model = model.cpu()
    res = evaluate(model, data.x_test, data.y_test, mse_target=args.mse_target)
    command = "python " + shlex.join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]])
    record = {
        "neuron": args.neuron,
        "encoding": args.encoding,
        "T": args.T,
        "epochs": args.epochs,
        "seed": args.seed,
        "events_per_step": args.events_per_step,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "hidden": args.hidden,
        "world_size": world,
        "test_accuracy": res.accuracy,
        "firing_rates": res.rates,
        "spikes_per_sample": res.total_spikes_per_sample,
        "train_time_s": round(train_time, 2),
        "command": command if world == 1 else f"torchrun --nproc_per_node {world} {command}",
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
    }
    log(
        rank,
        f"done in {train_time:.1f} s: test accuracy {res.accuracy:.4f}, "
        f"{res.total_spikes_per_sample:.1f} spikes/sample",
    )
    out = args.out
    if saves_checkpoint(args):
        snncompile.save(
            model,
            out,
            example_input=data.x_test[:1].transpose(0, 1),
            metadata={"training": record, "history": history},
            force=args.force,
        )
        record["checkpoint"] = repo_relative(out)
        log(rank, f"saved {out}")
    if args.summary is not None:
        write_summary(args.summary, record)
    return record


def saves_checkpoint(args: argparse.Namespace) -> bool:
    """Whether ``--out`` names a file (``none`` skips saving)."""
    return str(args.out) != "none"


def repo_relative(path: Path) -> str:
    """``path`` relative to the repository when inside it (portable summaries)."""
    try:
        return path.resolve().relative_to(MODELS.parents[1]).as_posix()
    except ValueError:
        return path.as_posix()


def write_summary(path: Path, record: dict[str, Any]) -> None:
    """Merge ``record`` into the JSON summary (keyed by neuron) and rewrite the .md table."""
    runs = json.loads(path.read_text()) if path.exists() else {}
    runs[record["neuron"]] = record
    path.write_text(json.dumps(runs, indent=2, sort_keys=True) + "\n")
    lines = [
        "# Shipped digits checkpoints",
        "",
        f"Written by `examples/train_digits.py --summary {path.name}`; numbers are "
        "measured, on the machine and thread count listed.",
        "",
        "| neuron | test acc. | spikes/sample | firing rates | train time (s) | threads "
        "| command |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in sorted(runs):
        r = runs[name]
        rates = ", ".join(f"{v:.3f}" for v in r["firing_rates"].values())
        lines.append(
            f"| {name} | {r['test_accuracy']:.4f} | {r['spikes_per_sample']:.1f} | "
            f"{rates} | {r['train_time_s']} | {r['torch_threads']} | "
            f"`{r['command']}` |"
        )
    path.with_suffix(".md").write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    train(parse_args(argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(script_exit(main))
