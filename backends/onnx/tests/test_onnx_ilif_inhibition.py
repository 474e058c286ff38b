"""ILIF with k = ``membrane_inhibition`` ≠ 1: M[t] = k·(M[t−1] + s[t]·V′[t]) in ONNX too.

The lowering follows the float32 reference stepper op for op (only the logistic function
differs by an ulp or two), so spikes are exact and states agree to float32 rounding; the
spikes also equal those of the torch functional step (the spec) on the same input.
"""

from __future__ import annotations

import nir
import numpy as np
import pytest
from onnx_testlib import reference
from snncompile_onnx import build_model, simulate_onnx

from snncompile import ir

CASES = [(c, k) for c in (0.03, -0.4) for k in (0.5, 0.9)]
N = 64


def _graph(c: float, k: float) -> ir.Graph:
    node = ir.ILIF(np.full(N, 2.0), np.ones(N), current_inhibition=c, membrane_inhibition=k)
    return ir.sequential(
        ("in", nir.Input(np.array([N]))), ("n", node), ("out", nir.Output(np.array([N])))
    )


def _input(steps: int = 40, batch: int = 8) -> np.ndarray:
    rng = np.random.default_rng(5)
    return rng.normal(0.6, 0.8, (steps, batch, N)).astype(np.float32)


def _functional_spikes(x: np.ndarray, c: float, k: float) -> np.ndarray:
    """Spikes of the torch functional step in float32 (imported lazily: torch side)."""
    import torch

    from snncompile.neurons.functional.ilif import ILIFParams, ilif_initial_state, ilif_step

    xt = torch.from_numpy(x)
    params = ILIFParams(2.0, current_inhibition=c, membrane_inhibition=k)
    state, out = ilif_initial_state(xt[0]), []
    for t in range(xt.shape[0]):
        s, state = ilif_step(xt[t], state, params)
        out.append(s)
    return torch.stack(out).numpy()


@pytest.mark.parametrize(("c", "k"), CASES)
def test_states_and_spikes_match_reference_and_functional(c: float, k: float) -> None:
    graph, x = _graph(c, k), _input()
    want = reference(graph, x, record=["n"])
    got = simulate_onnx(build_model(graph).model.SerializeToString(), x, states=True)
    np.testing.assert_array_equal(got["out"], want["out"])
    assert 0.1 < want["out"].mean() < 0.6
    for state in ("v", "inhibition", "inhibitory_memory"):
        np.testing.assert_allclose(
            got[f"state.n.{state}"], want[f"n:{state}"], rtol=0, atol=1e-5, err_msg=state
        )
    if c < 0:
        assert (want["n:inhibition"] < 0).any()  # the clamp is exercised
    np.testing.assert_array_equal(got["out"], _functional_spikes(x, c, k))


@pytest.mark.parametrize("mode", ["unrolled", "loop"])
def test_other_modes_are_spike_exact(mode: str) -> None:
    graph, x = _graph(-0.4, 0.9), _input()
    model = build_model(graph, mode, x.shape[0] if mode == "unrolled" else None)
    got = simulate_onnx(model.model.SerializeToString(), x)
    np.testing.assert_array_equal(got["out"], reference(graph, x)["out"])
