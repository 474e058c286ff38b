"""Backend conformance: every installed backend × every graph of the zoo.

The backends are the entry points of the group ``snncompile.backends`` (a backend joins
by registering, not by copying tests), each under its default options plus the variants
of :data:`VARIANTS`. For each (backend, graph) pair the suite goes through the public API
and records exactly one of three outcomes, each asserted:

- **pass**: ``snncompile.compile(graph, target=...)`` and ``Artifact.save`` succeed, and
  ``Artifact.run`` on T = 8, B = 2 graded inputs equals ``backend.reference_run`` (the
  run the backend declares it must equal: the float32 reference simulator by default, an
  integer reference for fixed-point targets): spiking outputs element for element;
  analog outputs to float32 rounding (rtol = atol = 1e-5) when the reference is float32,
  to 1e-9 when it is float64 (one LSB of an integer readout is far above that).
- **refusal**: compile or save raises ``UnsupportedNodeError``/``ConfigError`` naming a
  node of the graph, and nothing is written. A refusal is expected, and then required,
  when the graph holds a node type missing from ``backend.capabilities.node_types``, or
  when :data:`REFUSALS` lists the pair (a structural limit within declared node types,
  with the node the error must name). Any other refusal fails, and so does accepting a
  graph that is expected to be refused.
- **quantisation limit**: a fixed-point target raises ``QuantizationError`` naming the
  layer that :data:`QUANT_LIMITS` lists for the pair (the graph fits no 24-bit program
  at the suite's graded inputs without calibration), and nothing is written.
- **export only**: for the backends of :data:`EXPORT_ONLY` ``Artifact.run`` must raise
  ``BackendUnavailableError`` with a hint; their bit-exactness is checked where their
  runtime is (see the table). No installed backend is export-only today: ``netx`` files
  run on Lava through snncompile's own reader (fed 0/1 spikes: :data:`SPIKE_INPUTS`).

Lava runs take seconds each (a worker process per run): those cases carry the ``lava``
marker.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import snncompile
from snncompile.backend import ENTRY_POINT_GROUP, Backend, get_backend
from snncompile.errors import (
    BackendUnavailableError,
    ConfigError,
    QuantizationError,
    UnsupportedNodeError,
)
from snncompile.ir import Graph
from snncompile.passes.pipeline import run_pipeline
from tests.conformance.zoo import ZOO, graded_inputs

STEPS, BATCH = 8, 2

#: Backend options run besides the defaults (a backend not listed runs its defaults only).
VARIANTS: Mapping[str, tuple[Mapping[str, Any], ...]] = {
    "onnx": ({"mode": "loop"}, {"mode": "unrolled", "steps": STEPS}, {"quantize": "int8"}),
    "lava": ({"mode": "float"},),
}

#: Structural refusals within declared node types: (backend, graph) -> (node, why).
REFUSALS: Mapping[tuple[str, str], tuple[str, str]] = {
    ("netx", "mlp_softlif"): ("lif2", "hard reset to v_reset != 0"),
    ("netx", "conv_dalif"): ("dalif_c", "beta varies across the population"),
    ("netx", "soft_recurrent"): ("lif", "beta varies across the population"),
    ("netx", "skip"): ("n1", "soft reset (and a summed fan-in)"),
    ("netx", "resnet_block"): ("n0", "soft reset (and a residual fan-in)"),
    ("netx", "sew_block"): ("n0", "soft reset (and a spike addition)"),
    ("netx", "shortcut_1x1"): ("n0", "soft reset (and a 1x1 shortcut)"),
    ("netx", "pool_branch"): ("n0", "soft reset (and pooled shortcuts)"),
    ("netx", "recurrent_chain"): ("lif", "a recurrent connection"),
    ("netx", "plif_dalif"): ("plif", "soft reset"),
    ("netx", "clif_ilif"): ("clif", "CLIF has no netx neuron type"),
    ("netx", "mlp"): ("lif1", "soft reset"),
    ("netx", "cnn_bn_pool"): ("lif", "soft reset"),
    ("netx", "neuron_softlif"): ("n1", "soft reset"),
    ("netx", "neuron_plif"): ("n1", "soft reset"),
    ("netx", "neuron_dalif"): ("n1", "soft reset"),
    ("netx", "neuron_clif"): ("n1", "CLIF has no netx neuron type"),
    ("netx", "neuron_ilif"): ("n1", "ILIF has no netx neuron type"),
    ("nir", "maxpool_analog"): ("mp", "max pooling of values that are not spikes"),
    ("lava", "maxpool_analog"): ("mp", "max pooling of values that are not spikes"),
    ("lava", "batchnorm"): ("conv", "a synapse right after a synapse (bn_in)"),
    ("lava", "recurrent"): ("lif", "a self-loop back edge lif -> lif"),
    ("netx", "batchnorm"): ("conv", "a synapse right after a synapse (bn_in)"),
    ("netx", "recurrent"): ("lif", "a self-loop back edge lif -> lif"),
    ("netx", "maxpool_analog"): ("mp", "max pooling of values that are not spikes"),
    ("netx", "nir_next_subtract"): ("lif", "a subtract reset on the next step"),
    ("netx", "nir_leak_reset"): ("lif", "a leak toward v_leak != 0"),
}

#: Graphs a fixed-point target cannot quantise without calibration data: (backend, graph)
#: -> (layer, why). conv_dalif's first conv reads graded inputs into a DA-LIF with
#: β = 0.9 (a 10x state bound): Lava's Conv has no weight exponent, so 24-bit states
#: leave its weights fewer than 16 mantissa steps (the quantiser's floor).
QUANT_LIMITS: Mapping[tuple[str, str], tuple[str, str]] = {
    ("lava", "conv_dalif"): ("dalif_c", "mantissa steps"),
}

#: Backends that export without running: why, and where their runs are checked.
EXPORT_ONLY: Mapping[str, str] = {}

#: Backends whose artefacts take 0/1 input spikes (a netx input layer): the suite's
#: graded inputs are thresholded at 0.5 for them.
SPIKE_INPUTS = frozenset({"netx"})

#: Marks per backend: cases that start a Lava worker are slow.
MARKS: Mapping[str, tuple[pytest.MarkDecorator, ...]] = {
    "lava": (pytest.mark.lava,),
    "netx": (pytest.mark.lava,),
}


def installed_backends() -> list[str]:
    """The names registered under ``snncompile.backends`` in this environment."""
    return sorted({ep.name for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)})


def _cases() -> list[Any]:
    cases = []
    for name in installed_backends():
        for options in ({}, *VARIANTS.get(name, ())):
            label = ",".join(f"{k}={v}" for k, v in options.items())
            case_id = f"{name}[{label}]" if label else name
            cases.append(pytest.param(name, dict(options), id=case_id, marks=MARKS.get(name, ())))
    return cases


def _type_declared(backend: Backend, node: Any) -> bool:
    declared = backend.capabilities.node_types
    return type(node).__name__ in declared or type(node) in declared


def _names_a_node(exc: Exception, graph: Graph) -> str | None:
    """The node of ``graph`` the error names (its ``node``, else one quoted in the text)."""
    node = getattr(exc, "node", None)
    if node in graph.nodes:
        return node
    return next((name for name in graph.nodes if f"'{name}'" in str(exc)), None)


def _is_spiking(values: np.ndarray) -> bool:
    """Spike trains or spike counts (multi-spike modes emit up to a few per step)."""
    return bool(np.all(values == np.round(values)) and values.min() >= 0 and values.max() <= 8)


def assert_conforms(
    got: Mapping[str, np.ndarray], want: Mapping[str, np.ndarray], where: str
) -> None:
    """``got`` equals the reference ``want`` output for output (module docstring)."""
    assert set(got) >= set(want), f"{where}: outputs {sorted(got)} lack {sorted(want)}"
    for name, ref in want.items():
        out = np.asarray(got[name])
        assert out.shape == ref.shape, f"{where}: {name} shape {out.shape} != {ref.shape}"
        if _is_spiking(ref):
            mismatch = int(np.sum(out != ref))
            assert mismatch == 0, f"{where}: {name}: {mismatch} of {ref.size} spikes differ"
        else:
            tol = 1e-5 if ref.dtype == np.float32 else 1e-9
            np.testing.assert_allclose(out, ref, rtol=tol, atol=tol, err_msg=f"{where}: {name}")


def test_every_installed_backend_is_in_the_suite() -> None:
    """The parametrisation is the entry points: the core's own target is among them."""
    names = installed_backends()
    assert "nir" in names
    for name in names:
        assert isinstance(get_backend(name), Backend)


def test_refusal_table_names_graphs_of_the_zoo() -> None:
    assert {graph for _, graph in (*REFUSALS, *QUANT_LIMITS)} <= set(ZOO)


def test_one_flipped_spike_or_one_readout_lsb_fails() -> None:
    """The comparison can fail: a spike, a float32 ulp-scale drift beyond 1e-5, an
    integer readout's LSB (2⁻²⁰ here) and a shape all count."""
    spikes = np.zeros((8, 2, 3), np.float32)
    spikes[::2, :, 1] = 1
    flipped = spikes.copy()
    flipped[3, 1, 2] = 1
    readout = np.arange(48, dtype=np.float64).reshape(8, 2, 3) / 2**20 - 1.0 / 3
    assert_conforms({"o": spikes.copy()}, {"o": spikes}, "same")
    for got, want in (
        (flipped, spikes),
        (readout + 2.0**-20, readout),
        (readout.astype(np.float32) + 1e-4, readout.astype(np.float32)),
        (spikes[:4], spikes),
    ):
        with pytest.raises(AssertionError):
            assert_conforms({"o": got}, {"o": want}, "mutated")


@pytest.mark.parametrize("graph_name", sorted(ZOO))
@pytest.mark.parametrize(("target", "options"), _cases())
def test_backend_conforms(target: str, options: dict, graph_name: str, tmp_path: Path) -> None:
    graph = ZOO[graph_name]()
    where = f"{target}{options or ''} on {graph_name}"
    backend = get_backend(target, **options)
    lowered = run_pipeline(graph)
    undeclared = sorted(n for n, node in lowered.nodes.items() if not _type_declared(backend, node))
    structural = REFUSALS.get((target, graph_name))
    out = tmp_path / "artifact"
    limit = QUANT_LIMITS.get((target, graph_name))
    try:
        artifact = snncompile.compile(graph, target=target, options=options)
        artifact.save(out)
    except QuantizationError as exc:
        assert limit is not None, f"{where}: quantisation failed, QUANT_LIMITS lists none: {exc}"
        assert f"'{limit[0]}'" in str(exc) and limit[1] in str(exc), f"{where}: {exc}"
        assert not out.exists(), f"{where}: a refused save left {out}"
        return
    except (UnsupportedNodeError, ConfigError) as exc:
        assert undeclared or structural, (
            f"{where}: refused although every node type is declared supported "
            f"and the suite's REFUSALS table does not list it: {exc}"
        )
        named = _names_a_node(exc, lowered) or _names_a_node(exc, graph)
        assert named is not None, f"{where}: the refusal names no node of the graph: {exc}"
        if structural and not undeclared:
            node, why = structural
            assert named == node or f"'{node}'" in str(exc), (
                f"{where}: expected the refusal to name {node!r} ({why}): {exc}"
            )
        assert not out.exists(), f"{where}: a refused save left {out}"
        return
    assert not undeclared, (
        f"{where}: accepted node types it does not declare ({undeclared}): "
        "add them to the backend's capabilities.node_types"
    )
    assert limit is None, f"{where}: quantised, but QUANT_LIMITS says it cannot: update it"
    assert structural is None, (
        f"{where}: accepted, but REFUSALS says it refuses {structural}: update the table"
    )
    inputs = graded_inputs(graph, STEPS, BATCH)
    if target in SPIKE_INPUTS:
        inputs = {k: (v > 0.5).astype(np.float32) for k, v in inputs.items()}
    # Run an unsaved artefact (Artifact.run emits it to a temporary directory): whether
    # a run after ``save`` to any path works is the API's own test (tests/cli, issue 12 §7).
    artifact = snncompile.compile(graph, target=target, options=options)
    if target in EXPORT_ONLY:
        with pytest.raises(BackendUnavailableError) as info:
            artifact.run(inputs)
        assert info.value.hint, f"{where}: an export-only backend must say how to run it"
        return
    want = artifact.backend.reference_run(artifact.graph, inputs)
    assert set(want) == set(artifact.graph.outputs), f"{where}: reference outputs {sorted(want)}"
    assert any(np.ptp(v) > 0 for v in want.values()), f"{where}: trivial reference run"
    assert_conforms(artifact.run(inputs), want, where)
