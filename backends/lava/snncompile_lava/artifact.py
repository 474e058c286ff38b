"""Write a self-contained Lava artefact directory from a quantised graph.

Files:

- ``manifest.json``: target, versions, source hash (sha256 of ``snncompile.ir.dump``),
  execution profile, input/output, layers with their delays, quantisation (per-layer
  scales and precisions), float-vs-fixed comparison on the calibration data;
- ``spec.json`` + ``params.npz``: the network spec with a ``floating_pt`` and a
  ``fixed_pt`` parameter set;
- ``loader.py``: ``python loader.py --input data.npz [--mode fixed]`` rebuilds and runs
  the network without torch (``snncompile_lava.load``);
- ``quantization.md``: the per-layer scales and the comparison table, for people.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from pathlib import Path
from typing import Any

from snncompile_loihi.qgraph import LoihiProgram

import snncompile
from snncompile.ir.graph import Graph
from snncompile.ir.text import dump
from snncompile_lava.load import ARTIFACT_FORMAT, MANIFEST
from snncompile_lava.lower import SPARSE_DENSITY, lower_to_spec, output_record
from snncompile_lava.spec import PARAMS_FILE, SPEC_FILE, plan_network, save_spec

LOADER_FILE = "loader.py"
REPORT_FILE = "quantization.md"
ARTIFACT_VERSION = 1

LOADER = '''"""Run this snncompile Lava artefact without torch.

    python loader.py --input data.npz [--mode fixed|float] [--steps T] [-o outputs.npz]

Inputs: static [B, ...] data are repeated over --steps T time steps; time-major
[T, B, ...] data are taken as they are (--steps T keeps the first T); the artefact's
per-step input shape (manifest.json) tells the two apart.
Needs lava-nc 0.10.0 and the torch-free package snncompile-lava
(pip install -e backends/lava; see its README for the Lava install line).
From Python: snncompile_lava.load.run_artifact(DIR, inputs, mode="fixed") runs it, and
snncompile_lava.load.build_lava_network(DIR, one_sample) rebuilds the Lava processes.
"""

import sys
from pathlib import Path

from snncompile_lava.load import main

if __name__ == "__main__":
    sys.exit(main([str(Path(__file__).resolve().parent), *sys.argv[1:]]))
'''


def source_hash(graph: Graph) -> str:
    """sha256 of the graph's stable text dump."""
    return "sha256:" + hashlib.sha256(dump(graph).encode("utf-8")).hexdigest()


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _profile(graph: Graph) -> dict[str, Any]:
    fields = graph.profile.graph_fields()
    fields["overrides"] = {k: dict(v) for k, v in graph.profile.overrides.items()}
    return fields


def _connections(layer: dict[str, Any]) -> list[dict[str, Any]]:
    """A spec layer's own connection, then its branches' (each may carry ``delay``)."""
    return [layer["connection"], *(b["connection"] for b in layer.get("branches", ()))]


def build_manifest(
    graph: Graph, qgraph: LoihiProgram, spec: dict[str, Any], options: dict[str, Any]
) -> dict[str, Any]:
    """The manifest dict (see the module docstring)."""
    plan = plan_network(spec)
    last = qgraph.output_layer
    depths = {lay.name: lay.depth for lay in plan.layers}
    return {
        "format": ARTIFACT_FORMAT,
        "version": ARTIFACT_VERSION,
        "target": "lava",
        "snncompile_version": snncompile.__version__,
        "snncompile_lava_version": _version("snncompile-lava"),
        "runtime": "lava-nc 0.10.0, Loihi2SimCfg (CPU), torch-free worker process",
        "source_hash": source_hash(graph),
        "execution_profile": _profile(graph),
        "modes": {"fixed": "fixed_pt", "float": "floating_pt"},
        "default_mode": options.get("mode", "fixed"),
        "input": {
            "name": qgraph.input_name,
            "shape": list(qgraph.input_shape),
            "graded": qgraph.input_graded,
            "scale": qgraph.input_scale,
        },
        "output": {
            "name": qgraph.output_name,
            "shape": list(qgraph.output_shape),
            "layer": last.name,
            "kind": "spikes" if last.fixed.spiking else "readout",
            "record": output_record(last),
            "unit": last.scale.unit,
        },
        "layers": [
            {
                "name": lay.name,
                "connection": lay.source.connection,
                "neuron": lay.neuron,
                "ir_nodes": [n for n in (lay.source.synapse, lay.source.neuron_node) if n],
                "shape": list(lay.source.shape),
                "depth": depths[lay.name],
                "source": lay.source.source,
                "branches": [
                    {
                        "source": qb.branch.source,
                        "connection": qb.branch.connection,
                        "ir_nodes": [n for n in (qb.branch.synapse, *qb.branch.folded) if n],
                    }
                    for qb in lay.branches
                ],
            }
            for lay in qgraph.layers
        ],
        "delays": {
            "per_hop": 1,
            "layers": depths,
            "total": plan.delay,
            "handling": "Lava delivers one step late per connection; the runtime feeds "
            "total zero steps after the data and reads each population from its depth, "
            "so output[t] belongs to input[t]; populations start (and reset per sample) "
            "when sample data first reaches them; shorter paths into a population wait "
            "in relay populations (or a delayed input source) so every path arrives "
            "together (docs/lava.md §2a)",
            "aligned": {
                lay["name"]: [c.get("delay", 0) for c in _connections(lay)]
                for lay in spec["layers"]
                if any(c.get("delay", 0) for c in _connections(lay))
            },
        },
        "quantization": qgraph.to_dict(),
        "options": {k: v for k, v in options.items() if k != "calibration"},
        "files": {
            "spec": SPEC_FILE,
            "params": PARAMS_FILE,
            "loader": LOADER_FILE,
            "report": REPORT_FILE,
        },
    }


def write_artifact(
    graph: Graph, qgraph: LoihiProgram, out_dir: Path, options: dict[str, Any]
) -> Path:
    """Write the artefact files into ``out_dir`` (created) and return it."""
    out = Path(out_dir)
    spec = lower_to_spec(qgraph, sparse_density=options.get("sparse_density", SPARSE_DENSITY))
    save_spec(spec, out)
    manifest = build_manifest(graph, qgraph, spec, options)
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1, default=_json) + "\n")
    (out / LOADER_FILE).write_text(LOADER)
    (out / REPORT_FILE).write_text(qgraph.to_markdown())
    return out


def _json(value: Any) -> Any:
    """numpy scalars and other stragglers → JSON."""
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)
