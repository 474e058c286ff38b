"""Hypothesis-driven fuzzing of the readers of untrusted files (2,000 cases in all).

Readers: the NIR reader (``read_nir``, and ``load_graph`` on ``.nir``), the checkpoint
reader (``snncompile.load``) and the input-data reader (``read_input_data``). Each case
is a byte-level mutation of a valid file (bit flips, byte overwrites, truncations,
splices, insertions, deletions, zeroed blocks, damaged zip members) or a structurally
generated one; every failure must be an :class:`SnnCompileError`, within a per-case
timeout. ``benchmarks/fuzz_readers.py --count N`` runs the same cases for longer.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz import readers_fuzz as F

#: cases per test; the sum is the suite's total (at least 2,000)
CASES = {
    "npz_mutated": 700,
    "npz_generated": 350,
    "checkpoint_mutated": 400,
    "checkpoint_generated": 200,
    "nir_mutated": 120,  # each parsed in a forked child: the slowest kind
    "nir_generated": 200,
    "nir_load_graph": 40,
}
assert sum(CASES.values()) >= 2000


def _settings(name: str) -> settings:
    return settings(
        max_examples=CASES[name],
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def seeds() -> dict[str, list[bytes]]:
    return {"nir": F.nir_seeds(), "checkpoint": F.checkpoint_seeds(), "npz": F.npz_seeds()}


@contextlib.contextmanager
def _env(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class Runner:
    """Writes each case to a file, runs the reader under the oracle, counts outcomes."""

    def __init__(self, workdir: Path, suffix: str, read: Callable[[Path], object]) -> None:
        self.workdir, self.suffix, self.read = workdir, suffix, read
        self.counter = itertools.count()
        self.outcomes: dict[str, int] = {}

    def path(self) -> Path:
        return self.workdir / f"case{next(self.counter)}{self.suffix}"

    def check(self, path: Path) -> None:
        outcome = F.check_reader(self.read, path, timeout=30)
        path.unlink(missing_ok=True)
        self.outcomes[outcome.kind] = self.outcomes.get(outcome.kind, 0) + 1
        assert outcome.kind != "bug", f"{self.read.__name__}: {outcome.detail}"

    def assert_ran(self, expected: int) -> None:
        total = sum(self.outcomes.values())
        assert total >= expected * 0.95, (total, self.outcomes)
        assert self.outcomes.get("error", 0) > 0, self.outcomes  # damage is detected


_mutation = st.sampled_from(F.MUTATIONS)
_index = st.integers(min_value=0, max_value=1000)


def _mutated_case(runner: Runner, pool: list[bytes], name: str) -> None:
    @_settings(name)
    @given(kind=_mutation, a=_index, b=_index, rnd=st.randoms(use_true_random=False))
    def case(kind: str, a: int, b: int, rnd: random.Random) -> None:
        path = runner.path()
        path.write_bytes(F.mutate(pool[a % len(pool)], pool[b % len(pool)], rnd, kind))
        runner.check(path)

    case()
    runner.assert_ran(CASES[name])


def test_npz_reader_on_mutated_files(workdir, seeds):
    _mutated_case(Runner(workdir, ".npz", F.read_npz), seeds["npz"], "npz_mutated")


def test_npz_reader_on_generated_files(workdir):
    runner = Runner(workdir, ".npz", F.read_npz)

    @_settings("npz_generated")
    @given(rnd=st.randoms(use_true_random=False))
    def case(rnd: random.Random) -> None:
        path = runner.path()
        path.write_bytes(F.random_npz(rnd))
        runner.check(path)

    case()
    runner.assert_ran(CASES["npz_generated"])


def test_checkpoint_reader_on_mutated_files(workdir, seeds):
    runner = Runner(workdir, ".pt", F.load_checkpoint)
    _mutated_case(runner, seeds["checkpoint"], "checkpoint_mutated")


def _damaged_case(
    runner: Runner, pool: list[Any], name: str, damage: Callable[[Any, Path, random.Random], None]
) -> Callable[[], None]:
    """The hypothesis case ``name``: ``damage`` writes a damaged copy of a seed file from
    ``pool`` to a fresh path, which the runner then reads."""

    @_settings(name)
    @given(a=_index, rnd=st.randoms(use_true_random=False))
    def case(a: int, rnd: random.Random) -> None:
        path = runner.path()
        damage(pool[a % len(pool)], path, rnd)
        runner.check(path)

    return case


def test_checkpoint_reader_on_damaged_structures(workdir, seeds):
    runner = Runner(workdir, ".pt", F.load_checkpoint)

    def damage(seed: bytes, path: Path, rnd: random.Random) -> None:
        path.write_bytes(F.random_checkpoint(seed, rnd))

    _damaged_case(runner, seeds["checkpoint"], "checkpoint_generated", damage)()
    runner.assert_ran(CASES["checkpoint_generated"])


def test_nir_reader_on_mutated_files(workdir, seeds):
    # byte damage can make libhdf5 loop forever: the isolated reader's timeout must fire
    with _env(**{F.NIR_TIMEOUT_ENV: "3", F.NIR_IN_PROCESS_ENV: "0"}):
        _mutated_case(Runner(workdir, ".nir", F.read_nir_file), seeds["nir"], "nir_mutated")


def _in_process(case: Callable[[], None], runner: Runner, key: str) -> None:
    """Run the NIR ``case`` parsing in-process, then check it ran its ``CASES[key]`` examples.

    Valid HDF5 written by h5py parses in-process (fast), so the conversion code is fuzzed.
    """
    with _env(**{F.NIR_IN_PROCESS_ENV: "1"}):
        case()
    runner.assert_ran(CASES[key])


def test_nir_reader_on_damaged_structures(workdir, seeds):
    runner = Runner(workdir, ".nir", F.read_nir_file)
    pool = seeds["nir"]

    @_settings("nir_generated")
    @given(a=_index, generate=st.booleans(), rnd=st.randoms(use_true_random=False))
    def case(a: int, generate: bool, rnd: random.Random) -> None:
        path = runner.path()
        if generate:
            F.random_nir_file(path, rnd)
        else:
            F.mutate_nir_structure(pool[a % len(pool)], path, rnd)
        runner.check(path)

    _in_process(case, runner, "nir_generated")


def test_load_graph_on_damaged_nir_files(workdir, seeds):
    runner = Runner(workdir, ".nir", F.load_graph_nir)
    case = _damaged_case(runner, seeds["nir"], "nir_load_graph", F.mutate_nir_structure)
    _in_process(case, runner, "nir_load_graph")


def test_isolated_nir_reader_survives_a_hanging_parser(tmp_path, monkeypatch):
    """A parser that never returns is killed after the timeout: an error, not a hang."""
    import time

    from snncompile.errors import CheckpointError
    from snncompile.ir import nir_isolated
    from snncompile.ir.nir_isolated import read_nir_graph

    path = tmp_path / "hang.nir"
    path.write_bytes(b"\x89HDF\r\n\x1a\n")
    monkeypatch.setattr(nir_isolated, "read_untyped", lambda *a, **k: time.sleep(60))
    start = time.monotonic()
    with pytest.raises(CheckpointError, match=r"did not finish within 0\.5 s"):
        read_nir_graph(path, timeout=0.5)
    assert time.monotonic() - start < 10


def test_isolated_nir_reader_survives_a_crashing_parser(tmp_path, monkeypatch):
    """A parser that kills its process (as a libhdf5 segfault would): an error."""
    import signal

    from snncompile.errors import CheckpointError
    from snncompile.ir import nir_isolated
    from snncompile.ir.nir_isolated import read_nir_graph

    path = tmp_path / "crash.nir"
    path.write_bytes(b"\x89HDF\r\n\x1a\n")
    monkeypatch.setattr(
        nir_isolated, "read_untyped", lambda *a, **k: os.kill(os.getpid(), signal.SIGSEGV)
    )
    with pytest.raises(CheckpointError, match="crashed"):
        read_nir_graph(path, timeout=30)
