"""The Loihi quantiser of the core's quantisation stage (``snncompile.quant.stage``).

:func:`quantize_for_loihi` is a :data:`~snncompile.quant.stage.Quantizer`: it runs
:func:`~snncompile_loihi.quantize.quantize_loihi` and returns the core's
:class:`~snncompile.quant.stage.QuantizedGraph`, whose fields carry every integer
parameter with its FixedPoint, keyed by IR node name:

- Input: ``payload`` (graded input only: 24-bit payloads, scale 1/S_in);
- synapse (Affine/Linear/Conv2d, recurrent ones too): ``weight`` (mantissas, scale
  1/S_w) and ``weight_exp``;
- neuron (for the readout: its synapse): ``decay``, ``threshold`` and ``bias`` (scale
  1/U), or the built-in LIF's ``vth`` and ``bias_mant``; ILIF's ``c`` and ``k_m``; and
  the formats of the states (``state``, ``state_u``, ``state_v``, ``sigmoid_in/out``).

The per-layer :class:`~snncompile_loihi.qgraph.LoihiProgram` the Lava lowering reads is
attached as ``view``: derived from the same quantisation, not a second quantised type.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from snncompile.errors import ConfigError
from snncompile.ir.graph import Graph
from snncompile.quant.stage import QuantizationRequest, QuantizedField, QuantizedGraph
from snncompile_loihi.limits import GRADED_PAYLOAD, WEIGHT_EXP
from snncompile_loihi.params import WEIGHT_FORMATS
from snncompile_loihi.qgraph import LoihiProgram, QuantizedLayer
from snncompile_loihi.quantize import TARGETS, quantize_loihi

#: The scheme name of Loihi requests.
SCHEME = "loihi"
#: neuron parameter → the precision key its value is recorded under in ``precisions``.
PARAM_FIELDS: dict[str, str] = {
    "dv": "decay",
    "du": "decay",
    "theta": "threshold",
    "bias": "bias",
    "vth": "vth",
    "bias_mant": "bias_mant",
    "c12": "c",
    "km12": "k_m",
}
#: precision keys recorded as formats only (states and table ports: no values).
STATE_FIELDS = ("state", "state_u", "state_v", "sigmoid_in", "sigmoid_out")
OPTIONS = ("target", "allow_clamp", "search")


def request(target: str = "lava", **options: Any) -> QuantizationRequest:
    """A Loihi request: ``target`` ("lava" or "netx"), ``allow_clamp``, ``search``."""
    return QuantizationRequest(SCHEME, {"target": target, **options})


def _layer_fields(lay: QuantizedLayer) -> dict[str, dict[str, QuantizedField]]:
    src, out = lay.source, {}
    if src.synapse is not None and lay.weights is not None:
        out[src.synapse] = {
            "weight": QuantizedField(
                lay.precisions["weights"], lay.weights.astype(np.int64), 1 / lay.scale.weight_scale
            ),
            "weight_exp": QuantizedField(WEIGHT_EXP, np.array(lay.scale.weight_exp, np.int64)),
        }
    if lay.recurrent is not None and src.recurrent_synapse is not None:
        r = lay.recurrent
        out[src.recurrent_synapse] = {
            "weight": QuantizedField(WEIGHT_FORMATS[r.sign_mode], r.weights.astype(np.int64), None),
            "weight_exp": QuantizedField(WEIGHT_EXP, np.array(r.weight_exp, np.int64)),
        }
    for qb in lay.branches:  # a shortcut's synapse (an identity branch has no node)
        if qb.branch.synapse is not None and qb.branch.synapse not in out:
            out[qb.branch.synapse] = {
                "weight": QuantizedField(
                    WEIGHT_FORMATS[qb.sign_mode], qb.weights.astype(np.int64), 1 / qb.weight_scale
                ),
                "weight_exp": QuantizedField(WEIGHT_EXP, np.array(qb.weight_exp, np.int64)),
            }
    node = src.neuron_node or src.synapse or lay.name
    unit = 1.0 / lay.scale.unit
    fields = out.setdefault(node, {})
    for param, key in PARAM_FIELDS.items():
        if param in lay.neuron_params and key in lay.precisions:
            scale = unit if key in ("threshold", "bias") else None
            values = np.asarray(lay.neuron_params[param], dtype=np.int64)
            fields[key] = QuantizedField(lay.precisions[key], values, scale)
    for key in STATE_FIELDS:
        if key in lay.precisions:
            fields[key] = QuantizedField(lay.precisions[key])
    return out


def to_stage(program: LoihiProgram, req: QuantizationRequest) -> QuantizedGraph:
    """The core QuantizedGraph of a Loihi program (fields per IR node; ``view`` = it)."""
    return QuantizedGraph(
        graph=program.graph,
        fields=fields_of(program),
        request=req,
        summary=program.to_markdown(),
        view=program,
    )


def check_program(program: LoihiProgram) -> None:
    """Every integer of ``program`` lies in its declared FixedPoint.

    Raises:
        QuantizationError: naming the IR node and the field.
    """
    QuantizedGraph(program.graph, fields_of(program), request()).check()


def fields_of(program: LoihiProgram) -> dict[str, dict[str, QuantizedField]]:
    """node → field → QuantizedField of every integer parameter and state format."""
    fields: dict[str, dict[str, QuantizedField]] = {}
    if program.input_graded:
        fields[program.input_name] = {
            "payload": QuantizedField(GRADED_PAYLOAD, None, 1 / program.input_scale)
        }
    for lay in program.layers:
        for node, f in _layer_fields(lay).items():
            fields.setdefault(node, {}).update(f)
    return fields


def quantize_for_loihi(
    graph: Graph, req: QuantizationRequest, calibration: np.ndarray | None = None
) -> QuantizedGraph:
    """The Loihi quantiser (:data:`snncompile.quant.stage.Quantizer`).

    Raises:
        ConfigError: another scheme, an unknown option or target.
        UnsupportedNodeError, QuantizationError, InputError: as ``quantize_loihi``.
    """
    if req.scheme != SCHEME:
        raise ConfigError(
            f"the Loihi quantiser got a request for scheme {req.scheme!r}",
            hint=f"request scheme {SCHEME!r}",
        )
    unknown = sorted(set(req.options) - set(OPTIONS))
    if unknown:
        raise ConfigError(
            f"unknown Loihi quantisation options {unknown}", hint=f"use {list(OPTIONS)}"
        )
    target = str(req.options.get("target", "lava"))
    if target not in TARGETS:
        raise ConfigError(f"unknown quantisation target {target!r}", hint=f"use one of {TARGETS}")
    data = None if calibration is None else np.asarray(calibration, dtype=np.float64)
    program = quantize_loihi(
        graph,
        data,
        allow_clamp=bool(req.options.get("allow_clamp", False)),
        search=bool(req.options.get("search", True)),
        target=target,
    )
    return to_stage(program, req)


def program_of(staged: Any) -> LoihiProgram:
    """The Loihi program of a stage output (the ``view`` of a Loihi QuantizedGraph).

    Raises:
        ConfigError: ``staged`` is not a Loihi QuantizedGraph (e.g. a float graph).
    """
    if isinstance(staged, QuantizedGraph) and isinstance(staged.view, LoihiProgram):
        return staged.view
    raise ConfigError(
        f"expected a Loihi QuantizedGraph, got {type(staged).__name__}",
        hint="pass the output of the backend's quantize(graph, calibration) stage to emit",
    )
