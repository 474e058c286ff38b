"""The worker subprocess: results, delay compensation, torch isolation, timeouts, crashes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from lava_testlib import cmdline, descendants, session_members, simulate_spec
from snncompile_lava.errors import LavaWorkerError, LavaWorkerTimeout
from snncompile_lava.spec import FORMAT, save_spec
from snncompile_lava.worker import run_in_worker
from snncompile_loihi import fixed_neurons as fxn

pytestmark = pytest.mark.lava


def _two_layer_spec() -> dict:
    """20 inputs → dense → soft-reset LIF (bias) → dense → ILIF; both layers recorded."""
    rng = np.random.default_rng(4)
    w1 = rng.integers(-40, 90, (16, 20)) * 2
    w2 = rng.integers(-60, 100, (6, 16)) * 2
    b1 = rng.integers(-400, 600, 16)
    unit = 4096
    m_mult, m_shift = fxn.sigmoid_input_scale(1 / unit)
    return {
        "format": FORMAT,
        "version": 1,
        "input": {"shape": [20]},
        "layers": [
            {"name": "hidden", "record": ["spikes", "v"],
             "connection": {"type": "dense", "fixed_pt": {"weights": w1},
                            "floating_pt": {"weights": w1 / 64.0}},
             "neuron": {"type": "soft_lif",
                        "fixed_pt": {"dv": 1024, "theta": unit, "bias": b1},
                        "floating_pt": {"beta": 0.75, "theta": 1.0, "bias": b1 / unit}}},
            {"name": "out", "record": ["spikes", "v", "m_inh"],
             "connection": {"type": "dense", "fixed_pt": {"weights": w2, "weight_exp": 1},
                            "floating_pt": {"weights": w2 / 32.0}},
             "neuron": {"type": "ilif",
                        "fixed_pt": {"dv": 2048, "theta": unit, "unit": unit,
                                     "m_mult": m_mult, "m_shift": m_shift},
                        "floating_pt": {"beta": 0.5, "theta": 1.0}}},
        ],
    }  # fmt: skip


def _leftovers(before: set[int]) -> list[int]:
    """Descendants of this test process that were not there before (waits up to 5 s)."""
    deadline = time.monotonic() + 5
    while True:
        extra = [p for p in descendants(os.getpid()) if p not in before]
        if not extra or time.monotonic() > deadline:
            return extra
        time.sleep(0.05)


@pytest.mark.parametrize("tag", ["fixed_pt", "floating_pt"])
def test_two_layer_network_in_the_worker_matches_numpy(tmp_path, tag):
    spec = _two_layer_spec()
    save_spec(spec, tmp_path)
    x = (np.random.default_rng(9).random((25, 20)) < 0.3).astype(np.uint8)
    before = set(descendants(os.getpid()))
    meta: dict = {}
    got = run_in_worker(tmp_path, x, tag=tag, timeout=120, meta=meta)
    ref = simulate_spec(spec, x, tag)
    assert sorted(got) == sorted(ref)
    for key in ref:  # output[t] belongs to input[t]: the two Dense delays are compensated
        if key.endswith("/spikes") or tag == "fixed_pt":
            np.testing.assert_array_equal(got[key], ref[key].astype(got[key].dtype), err_msg=key)
        else:
            np.testing.assert_allclose(got[key], ref[key], rtol=0, atol=1e-12, err_msg=key)
    assert got["hidden/spikes"].shape == (25, 16) and got["out/spikes"].sum() > 0
    assert meta["timings"]["lava_steps"] == 27  # T + 2 padding steps
    assert meta["torch_imported"] is False and meta["start_method"] == "fork"
    assert not _leftovers(before)


def test_worker_blocks_torch_imports():
    code = (
        "import sys; from snncompile_lava.worker import _BlockTorch;"
        "sys.meta_path.insert(0, _BlockTorch())\n"
        "try:\n    import torch\nexcept ImportError as e:\n    print('blocked:', e)"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "blocked: torch must not be imported in the Lava worker" in res.stdout


def test_worker_error_carries_stderr(tmp_path):
    save_spec(_two_layer_spec(), tmp_path)
    with pytest.raises(LavaWorkerError) as info:
        run_in_worker(tmp_path, np.zeros((5, 21)), timeout=120)
    err = info.value
    assert err.returncode == 1
    assert "error: inputs have shape (5, 21)" in err.stderr and "hint:" in err.stderr
    assert "inputs have shape" in str(err)  # the message quotes the worker's stderr
    assert not session_members(err.pid)


def _long_run(tmp_path) -> np.ndarray:
    spec = _two_layer_spec()
    spec["layers"] = spec["layers"][:1]
    save_spec(spec, tmp_path)
    return np.zeros((100_000, 20), dtype=np.uint8)  # ~100 s of Lava


class _Watcher(threading.Thread):
    """Records the worker and its Lava children; optionally kills the worker once Lava runs."""

    def __init__(self, kill_worker: bool) -> None:
        super().__init__(daemon=True)
        self.kill_worker, self.seen, self.done = kill_worker, set(), threading.Event()
        self.before = set(descendants(os.getpid()))

    def run(self) -> None:
        while not self.done.is_set():
            new = [p for p in descendants(os.getpid()) if p not in self.before]
            self.seen.update(new)
            workers = [p for p in new if "snncompile_lava.worker" in cmdline(p)]
            lava = descendants(workers[0]) if self.kill_worker and workers else []
            # record what the kill decision saw: children may appear between the two scans
            self.seen.update(lava)
            if len(lava) >= 4:
                time.sleep(0.3)  # let Lava start stepping
                os.kill(workers[0], signal.SIGKILL)  # a crash: the Lava children survive
                self.kill_worker = False
            time.sleep(0.05)


def _watched_failure(
    tmp_path, *, kill_worker: bool, expected: type[LavaWorkerError], timeout: float
) -> tuple[LavaWorkerError, _Watcher]:
    """Run a long worker under a :class:`_Watcher`; the error it must raise, and the watcher."""
    x = _long_run(tmp_path)
    watcher = _Watcher(kill_worker=kill_worker)
    watcher.start()
    with pytest.raises(expected) as info:
        run_in_worker(tmp_path, x, timeout=timeout)
    watcher.done.set()
    return info.value, watcher


def test_timeout_kills_the_whole_process_group(tmp_path):
    err, watcher = _watched_failure(
        tmp_path, kill_worker=False, expected=LavaWorkerTimeout, timeout=8
    )
    assert err.returncode is None and "timeout" in str(err) and isinstance(err.stderr, str)
    assert len(watcher.seen) >= 4, "Lava had not started its processes before the timeout"
    assert not _leftovers(watcher.before)
    assert not session_members(err.pid)


def test_crashed_worker_leaves_no_orphans(tmp_path):
    err, watcher = _watched_failure(
        tmp_path, kill_worker=True, expected=LavaWorkerError, timeout=60
    )
    assert err.returncode == -signal.SIGKILL
    assert len(watcher.seen) >= 4
    assert not _leftovers(watcher.before)
    assert not session_members(err.pid)
