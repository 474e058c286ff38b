"""Progress hooks of the reference simulator: called, never change results."""

from __future__ import annotations

import numpy as np

from snncompile.reference import simulate
from snncompile.reference.progress import reporting
from tests.roundtrip.graph_zoo import recurrent


def _inputs(graph, steps=5, batch=3):
    shape = tuple(int(d) for d in graph.nodes[graph.inputs[0]].input_type["input"])
    return np.random.default_rng(0).random((steps, batch, *shape))


def test_simulate_reports_every_step_and_keeps_results():
    graph = recurrent()
    x = _inputs(graph)
    calls: list[tuple[int, int]] = []
    with_hook = simulate(graph, x, record="all", progress=lambda d, t: calls.append((d, t)))
    without = simulate(graph, x, record="all")
    assert calls == [(t, 5) for t in range(6)]
    assert with_hook.keys() == without.keys()
    for key in without:
        np.testing.assert_array_equal(with_hook[key], without[key], err_msg=key)


def test_the_context_factory_applies_to_runs_without_a_hook():
    graph = recurrent()
    seen: list[tuple[str, int, int]] = []

    def factory(description, unit="step"):
        assert unit == "step"
        return lambda done, total: seen.append((description, done, total))

    with reporting(factory):
        simulate(graph, _inputs(graph, steps=2))
    simulate(graph, _inputs(graph, steps=2))  # outside: nothing reported
    assert seen == [("simulate", 0, 2), ("simulate", 1, 2), ("simulate", 2, 2)]
