"""A calibrated Loihi quantisation draws one bar over its layers (CLI on a terminal)."""

from __future__ import annotations

import nir
import numpy as np
from snncompile_loihi.quantize import quantize_loihi

from snncompile.ir import SoftLIF, sequential
from snncompile.passes.pipeline import run_pipeline
from snncompile.reference.progress import reporting


def test_calibrated_quantisation_draws_one_bar_over_its_layers() -> None:
    rng = np.random.default_rng(0)
    graph = run_pipeline(
        sequential(
            ("input", nir.Input(input_type={"input": np.array([10])})),
            ("fc1", nir.Affine(weight=rng.normal(0, 1, (12, 10)), bias=np.zeros(12))),
            ("lif1", SoftLIF(beta=np.full(12, 0.8), v_threshold=np.ones(12))),
            ("fc2", nir.Affine(weight=rng.normal(0, 1, (3, 12)), bias=np.zeros(3))),
            ("output", nir.Output(output_type={"output": np.array([3])})),
        )
    )
    x = rng.random((4, 3, 10))
    bars: dict[str, list[tuple[int, int]]] = {}

    def factory(description: str, unit: str = "step"):
        calls = bars.setdefault(description, [])
        return lambda done, total: calls.append((done, total))

    with reporting(factory):
        quantize_loihi(graph, x)
        quantize_loihi(graph, None)  # weights only: instant, no bar
    assert list(bars) == ["quantise (loihi)"]  # the simulations inside draw none
    calls = bars["quantise (loihi)"]
    assert calls[0] == (0, 3) and calls[-1] == (3, 3)  # 2 layers + the comparison
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
