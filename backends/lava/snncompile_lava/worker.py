"""The torch-free Lava worker process and its parent-side launcher.

Worker (child)::

    python -m snncompile_lava.worker SPEC_DIR INPUT.npz OUTPUT.npz --tag fixed_pt --steps T

It installs the import shim and a torch import blocker first, lets Lava's import fix the
``fork`` start method in a fresh interpreter, runs :func:`snncompile_lava.network.run`
and writes the recorded arrays plus a ``__meta__`` JSON entry (timings, pid) to
OUTPUT.npz. Before writing, it checks that ``torch`` is not in ``sys.modules``: a
forked Lava child touching torch's thread pool deadlocks (docs/lava.md §15).

Parent: :func:`run_in_worker` launches the worker in its own session, enforces a
timeout, kills the whole process group (the worker and every Lava child it forked) on
timeout, failure or interrupt, and raises :class:`~snncompile_lava.errors.LavaWorkerError`
carrying the worker's stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.abc
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from snncompile.errors import SnnCompileError
from snncompile_lava.errors import LavaRunError, LavaWorkerError, LavaWorkerTimeout

__all__ = ["main", "run_in_worker"]

INPUT_KEY, META_KEY = "input", "__meta__"
EXIT_ERROR, EXIT_TORCH = 1, 3
_STDERR_TAIL = 4000
_KILL_GRACE_S = 2.0


class _BlockTorch(importlib.abc.MetaPathFinder):
    """Refuse ``import torch`` in the worker: optional users fall back, hard users fail loud."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        if fullname == "torch" or fullname.startswith("torch."):
            raise ImportError(
                f"{fullname} must not be imported in the Lava worker "
                "(fork + torch threads deadlock, docs/lava.md §15)",
                name=fullname,
            )
        return None


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m snncompile_lava.worker",
        description="Run a network spec on Lava (no torch).",
    )
    parser.add_argument("spec_dir", type=Path, help="directory with spec.json + params.npz")
    parser.add_argument("input", type=Path, help=f"npz with key {INPUT_KEY!r}: [T, *shape]")
    parser.add_argument("output", type=Path, help="npz to write the recorded arrays to")
    parser.add_argument("--tag", choices=("fixed_pt", "floating_pt"), default="fixed_pt")
    parser.add_argument("--steps", type=int, default=None, help="samples to run (default T)")
    parser.add_argument(
        "--reset-interval",
        type=int,
        default=0,
        help="zero every state at the start of each sample of this many steps (0: never)",
    )
    return parser.parse_args(argv)


def _work(args: argparse.Namespace) -> int:
    import multiprocessing

    from snncompile_lava._compat import load_lava

    load_lava()  # first Lava import of this fresh interpreter: it sets 'fork' itself
    if multiprocessing.get_start_method() != "fork":  # pragma: no cover - defensive
        raise LavaRunError(
            f"start method is {multiprocessing.get_start_method()!r}, not 'fork'",
            hint="something in the worker set it before Lava",
        )
    from snncompile_lava.network import run
    from snncompile_lava.spec import load_spec

    spec = load_spec(args.spec_dir)
    with np.load(args.input, allow_pickle=False) as data:
        inputs = data[INPUT_KEY]
    timings: dict[str, float] = {}
    out = run(
        spec,
        inputs,
        tag=args.tag,
        steps=args.steps,
        timings=timings,
        reset_interval=args.reset_interval,
    )
    if "torch" in sys.modules:
        print("error: torch was imported in the Lava worker", file=sys.stderr)
        return EXIT_TORCH
    meta = {
        "timings": timings,
        "pid": os.getpid(),
        "torch_imported": False,
        "start_method": multiprocessing.get_start_method(),
        "python": sys.version,
    }
    tmp = args.output.with_name(args.output.name + ".part.npz")
    np.savez(tmp, **out, **{META_KEY: np.array(json.dumps(meta))})
    os.replace(tmp, args.output)  # the parent never sees a half-written file
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Worker entry point; returns the exit status (0 ok, 1 error, 3 torch imported)."""
    args = _parse(argv)
    from snncompile_lava import _compat

    _compat.install()  # before anything can import lava
    sys.meta_path.insert(0, _BlockTorch())
    try:
        return _work(args)
    except SnnCompileError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        if exc.__cause__ is not None:
            import traceback

            traceback.print_exception(exc.__cause__, file=sys.stderr)
        return EXIT_ERROR


# ------------------------------------------------------------------------ parent side


def _live_members(pgid: int) -> list[int]:
    """Pids of the non-zombie processes in process group ``pgid`` (Linux /proc)."""
    proc_dir = Path("/proc")
    if not proc_dir.is_dir():  # pragma: no cover - Lava itself is Linux only
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return []
        return [pgid]
    members = []
    for entry in proc_dir.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # exited meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # state ppid pgrp session …
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Terminate the worker's process group and reap the worker.

    SIGTERM first and a short grace period: Lava's processes die, and multiprocessing's
    resource tracker (which ignores SIGTERM) then unlinks any shared memory a killed run
    leaked and exits by itself. Whatever is still alive after that gets SIGKILL.
    """
    pgid = proc.pid
    if proc.poll() is None or _live_members(pgid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=_KILL_GRACE_S)
        deadline = time.monotonic() + _KILL_GRACE_S
        while _live_members(pgid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if _live_members(pgid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
    proc.wait()


def _tail(text: str) -> str:
    return text if len(text) <= _STDERR_TAIL else "…" + text[-_STDERR_TAIL:]


def _child_env() -> dict[str, str]:
    """Our environment, with the source roots of snncompile(-lava) on PYTHONPATH."""
    import snncompile
    import snncompile_lava

    roots = {
        str(Path(m.__file__).resolve().parents[1])
        for m in (snncompile, snncompile_lava)
        if m.__file__
    }
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*sorted(roots), env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep
    )
    return env


def run_in_worker(
    spec_dir: str | Path,
    inputs: np.ndarray,
    *,
    tag: str = "fixed_pt",
    steps: int | None = None,
    timeout: float = 300.0,
    python: str | None = None,
    meta: dict[str, Any] | None = None,
    reset_interval: int = 0,
) -> dict[str, np.ndarray]:
    """Run the spec in ``spec_dir`` on Lava in a torch-free subprocess.

    Args:
        spec_dir: directory written by :func:`snncompile_lava.spec.save_spec`.
        inputs: [T, *input_shape] input samples.
        tag: "fixed_pt" or "floating_pt".
        steps: samples to simulate (default T).
        timeout: seconds before the worker and all its Lava processes are killed.
        python: interpreter for the worker (default: this one); it may be a separate,
            torch-free environment with lava-nc and snncompile-lava installed.
        meta: if given, filled with the worker's metadata (timings, pid, start method).
        reset_interval: samples of this many steps back to back, each population
            reset at the start of each (0: one sample, no reset).

    Returns:
        The aligned recorded arrays of :func:`snncompile_lava.network.run`.

    Raises:
        LavaWorkerTimeout: the worker ran past ``timeout``.
        LavaWorkerError: the worker exited with an error; ``.stderr`` holds its output.
    """
    with tempfile.TemporaryDirectory(prefix="snncompile-lava-") as tmp:
        in_path, out_path = Path(tmp, "input.npz"), Path(tmp, "output.npz")
        np.savez(in_path, **{INPUT_KEY: np.asarray(inputs)})
        cmd = [
            python or sys.executable,
            "-m",
            "snncompile_lava.worker",
            str(spec_dir),
            str(in_path),
            str(out_path),
            "--tag",
            tag,
        ]
        if steps is not None:
            cmd += ["--steps", str(int(steps))]
        if reset_interval:
            cmd += ["--reset-interval", str(int(reset_interval))]
        start = time.perf_counter()
        # stderr goes to a file, not a pipe: a Lava child that outlives a crashed worker
        # would hold a pipe open, and waiting for its EOF would look like a timeout.
        err_path = Path(tmp, "stderr.txt")
        with err_path.open("wb") as err_file:
            # Own session = own process group: killpg reaches every Lava child it forks.
            proc = subprocess.Popen(
                cmd,
                stdout=subprocess.DEVNULL,
                stderr=err_file,
                start_new_session=True,
                env=_child_env(),
            )
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _kill_group(proc)  # stragglers after an exit, everything after timeout/interrupt
        stderr = err_path.read_text(errors="replace")
        if timed_out:
            raise LavaWorkerTimeout(
                f"Lava worker (pid {proc.pid}) exceeded its {timeout:g} s timeout and was "
                f"killed with its process group; stderr:\n{_tail(stderr)}",
                returncode=None,
                stderr=stderr,
                pid=proc.pid,
                hint="raise the timeout, or run fewer steps (Lava needs ~1 ms per step and layer)",
            )
        if proc.returncode != 0:
            raise LavaWorkerError(
                f"Lava worker (pid {proc.pid}) failed with exit status {proc.returncode}; "
                f"stderr:\n{_tail(stderr)}",
                returncode=proc.returncode,
                stderr=stderr,
                pid=proc.pid,
                hint="the worker's error is above; a negative status is the killing signal",
            )
        with np.load(out_path, allow_pickle=False) as data:
            result = {k: data[k] for k in data.files}
    info = json.loads(str(result.pop(META_KEY)))
    info["wall_s"] = time.perf_counter() - start
    if meta is not None:
        meta.update(info)
    return result


if __name__ == "__main__":
    sys.exit(main())
