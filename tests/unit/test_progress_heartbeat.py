"""Bars move at least once a second while work blocks (heartbeat), and show its phase."""

from __future__ import annotations

import io
import itertools
import time

from snncompile.reference.progress import HEARTBEAT_S, TqdmBar, heartbeat


class Recorder:
    """A hook with a phase, recording (time, done, total, phase) of every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, int, int, str | None]] = []
        self.current: str | None = None

    def phase(self, text: str | None) -> None:
        self.current = text

    def __call__(self, done: int, total: int) -> None:
        self.calls.append((time.monotonic(), done, total, self.current))


def test_heartbeat_repeats_the_last_report_while_the_block_runs() -> None:
    hook = Recorder()
    start = time.monotonic()
    with heartbeat(hook, 2, 5, "waiting"):
        time.sleep(1.6)
    assert HEARTBEAT_S <= 0.5
    times = [start] + [t for t, *_ in hook.calls] + [time.monotonic()]
    assert max(b - a for a, b in itertools.pairwise(times)) < 1.0  # every second
    assert len(hook.calls) >= 3
    assert {(d, n, p) for _, d, n, p in hook.calls} == {(2, 5, "waiting")}
    assert hook.current is None  # the phase is cleared afterwards
    calls = len(hook.calls)
    time.sleep(2 * HEARTBEAT_S)
    assert len(hook.calls) == calls  # the thread stopped with the block


def test_heartbeat_without_a_hook_does_nothing_and_errors_pass_through() -> None:
    with heartbeat(None, 0, 1):
        pass
    hook = Recorder()
    try:
        with heartbeat(hook, 0, 1, "failing"):
            raise KeyError("x")
    except KeyError:
        pass
    calls = len(hook.calls)
    time.sleep(2 * HEARTBEAT_S)
    assert len(hook.calls) == calls and hook.current is None


def test_a_tqdm_bar_redraws_its_elapsed_time_and_shows_the_phase() -> None:
    stream = io.StringIO()
    bar = TqdmBar("simulate (lava)", unit="sample", stream=stream)
    with heartbeat(bar, 0, 3, "Lava worker"):
        time.sleep(1.2)
    drawn = stream.getvalue()
    assert "Lava worker" in drawn
    assert "00:01" in drawn  # the elapsed time moved while no sample finished
    assert drawn.count("0/3") >= 3
    bar(3, 3)
    assert not bar.is_open
