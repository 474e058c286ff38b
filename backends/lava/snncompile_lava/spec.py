"""The network spec: a feed-forward network for the Lava runtime, as plain data.

A spec is a JSON-able dict whose array values are numpy arrays; on disk it is
``spec.json`` (arrays replaced by ``{"$array": "<key>"}``) plus ``params.npz``. It
carries **already quantised** parameters: one parameter set per Lava tag
(``floating_pt``, ``fixed_pt``), so nothing here rounds or rescales. Layout::

    {"format": "snncompile-lava-network", "version": 1,
     "input": {"shape": [784], "graded": false},          # [N] or [C, H, W]
     "layers": [
       {"name": "fc1",
        "connection": {"type": "dense",                    # dense | sparse | conv | identity
                       "floating_pt": {"weights": W},       # [N_out, N_in], float
                       "fixed_pt": {"weights": Wq,          # int, 8-bit range
                                    "weight_exp": 0, "num_weight_bits": 8,
                                    "sign_mode": null}},    # null: inferred as Lava does
        "neuron": {"type": "soft_lif",  # lif_builtin | soft_lif | hard_lif | cuba_lif |
                                        # multi_spike_lif | clif | ilif
                   "floating_pt": {"beta": 0.5, "theta": 1.0},
                   "fixed_pt": {"dv": 2048, "theta": 4096}},
        "record": ["spikes", "v"]}]}

**Graphs.** A layer reads the previous layer's spikes (the input for the first) unless it
names its ``"source"`` (an earlier layer's name, or null for the input). It may add
``"branches": [{"source": name | null, "connection": {...}}, ...]``: further
connections summed into the same population input (residual and SEW graphs). Every
connection may carry ``"delay": k`` (extra steps, k ≥ 0, realised by the runtime), and
the plan checks that all connections into a population arrive at the same step:
depth(layer) = depth(source) + hop + delay for each, hop = 1 except for ``identity``
(0; depth(input) = 0). A ``"scale"`` connection is a one-to-one weighted connection
(one scalar weight for the whole population: floating_pt ``{"weights": w}``, fixed_pt
``{"weights": w_int, "weight_exp": e, ...}``), shape preserving, one hop.

A layer may add ``"recurrent": {"floating_pt": {"weights": R}, "fixed_pt": {"weights":
Rq, "weight_exp": …, "num_weight_bits": 8, "sign_mode": …}}``: a Dense [N, N] from the
population's spikes (flattened) back into its own input, one step later.

A ``multi_spike_lif`` population sends spike counts (0, 1, 2, …: graded payloads), so
every connection reading it is graded (``num_message_bits`` > 0), as the connections
reading a graded input; its ``max_spikes`` caps the count (float: 0 for no cap; fixed:
1 … 2²³ − 1) and ``floor`` 1 floors V at −θ.

Conv connections add ``stride``, ``padding``, ``dilation`` (ints or [H, W]) and
``groups``; their weights are [C_out, C_in/groups, kH, kW] (PyTorch/NIR layout,
cross-correlation) and activations are [C, H, W]. The runtime converts both to Lava's
(C_out, kW, kH, C_in) true-convolution kernel and (W, H, C) activations. Parameter names
per neuron type are listed in :data:`NEURON_PARAMS`; fixed-point ranges are checked with
the dataclasses of :mod:`snncompile_loihi.fixed_neurons`.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from snncompile_loihi import fixed_neurons as fxn
from snncompile_loihi.fixed_synapses import SIGN_MODES, infer_sign_mode
from snncompile_loihi.limits import WEIGHT_EXP_MAX, WEIGHT_EXP_MIN

from snncompile.errors import ConfigError, QuantizationError
from snncompile.ir.shapes import window_output

FORMAT = "snncompile-lava-network"
VERSION = 1
TAGS = ("floating_pt", "fixed_pt")
CONNECTIONS = ("dense", "sparse", "conv", "identity", "scale")
SPEC_FILE, PARAMS_FILE = "spec.json", "params.npz"
FLOAT_DTYPES = ("float64", "float32")

#: {neuron type: {tag: (required, optional)}}
NEURON_PARAMS: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "lif_builtin": {
        "floating_pt": (("du", "dv", "vth"), ("bias_mant",)),
        "fixed_pt": (("du", "dv", "vth"), ("bias_mant", "bias_exp")),
    },
    "soft_lif": {
        "floating_pt": (("beta", "theta"), ("bias", "float_dtype")),
        "fixed_pt": (("dv", "theta"), ("bias",)),
    },
    "hard_lif": {
        "floating_pt": (("beta", "theta"), ("bias", "v_reset", "bias_v", "float_dtype")),
        "fixed_pt": (("dv", "theta"), ("bias", "v_reset", "bias_v")),
    },
    "cuba_lif": {
        "floating_pt": (
            ("alpha", "beta", "theta"),
            ("bias", "bias_v", "refractory", "next_subtract", "float_dtype"),
        ),
        "fixed_pt": (("du", "dv", "theta"), ("bias", "bias_v", "refractory", "next_subtract")),
    },
    "multi_spike_lif": {
        "floating_pt": (("beta", "theta"), ("bias", "max_spikes", "floor", "float_dtype")),
        "fixed_pt": (("dv", "theta"), ("bias", "max_spikes", "floor")),
    },
    "clif": {
        "floating_pt": (("beta", "tau", "theta"), ("bias", "float_dtype")),
        "fixed_pt": (("dv", "theta", "unit", "h_mult", "h_shift"), ("bias",)),
    },
    "ilif": {
        "floating_pt": (("beta", "theta"), ("c", "k_m", "bias", "float_dtype")),
        "fixed_pt": (("dv", "theta", "unit", "m_mult", "m_shift"), ("c12", "km12", "bias")),
    },
}
#: States each neuron type can record besides "spikes" (Lava Var names).
RECORDABLE: dict[str, tuple[str, ...]] = {
    "lif_builtin": ("u", "v"),
    "soft_lif": ("v",),
    "hard_lif": ("v",),
    "cuba_lif": ("u", "v", "k"),
    "multi_spike_lif": ("v",),
    "clif": ("v", "m"),
    "ilif": ("v", "i_inh", "m_inh", "x_prev", "s_prev"),
}
#: Neuron types whose spikes are counts (graded payloads): every connection reading them
#: is graded (``ConnPlan.graded_in``, Lava's ``num_message_bits`` > 0).
GRADED_NEURONS: frozenset[str] = frozenset({"multi_spike_lif"})
_CONN_FIXED_OPTIONAL = ("weight_exp", "num_weight_bits", "sign_mode")
_FIXED_CHECK = {
    "lif_builtin": fxn.LoihiLIFParams,
    "soft_lif": fxn.SoftLIFParams,
    "hard_lif": fxn.HardLIFParams,
    "cuba_lif": fxn.CubaLIFParams,
    "multi_spike_lif": fxn.MultiSpikeLIFParams,
    "clif": fxn.CLIFFixedParams,
    "ilif": fxn.ILIFFixedParams,
}


@dataclass(frozen=True)
class ConnPlan:
    """One validated branch connection: its source (None: the input), type, input shape,
    graded input flag and extra ``delay`` steps."""

    source: str | None
    connection: str
    in_shape: tuple[int, ...]
    graded_in: bool
    delay: int = 0


@dataclass(frozen=True)
class LayerPlan:
    """One validated layer: shapes in spec order ([N] or [C, H, W]) and its delay.

    ``depth`` counts the delaying steps (connections other than identity, plus the
    explicit ``delay`` of each) from the input up to this layer along any path: the
    population sees input sample k at Lava step k + depth + 1. ``source`` and ``delay``
    belong to the layer's own connection, ``branches`` are the further ones.
    """

    index: int
    name: str
    connection: str
    neuron: str
    in_shape: tuple[int, ...]
    shape: tuple[int, ...]
    depth: int
    graded_in: bool
    record: tuple[str, ...]
    recurrent: bool = False
    source: str | None = None
    delay: int = 0
    branches: tuple[ConnPlan, ...] = ()

    @property
    def connections(self) -> tuple[ConnPlan, ...]:
        """The own connection, then the branches."""
        own = ConnPlan(self.source, self.connection, self.in_shape, self.graded_in, self.delay)
        return (own, *self.branches)


@dataclass(frozen=True)
class NetworkPlan:
    """The validated spec: input shape and the layers in order."""

    input_shape: tuple[int, ...]
    graded: bool
    layers: tuple[LayerPlan, ...]

    @property
    def delay(self) -> int:
        """Steps to pad: the largest depth among the recorded layers."""
        return max((lay.depth for lay in self.layers if lay.record), default=0)

    @property
    def input_spatial(self) -> bool:
        """True when the source sends [C, H, W] (Lava (W, H, C)) activations: a
        [C, H, W] input read by a conv, identity or scale connection; dense readers
        then flatten it."""
        return len(self.input_shape) == 3 and any(
            c.source is None and c.connection in ("conv", "identity", "scale")
            for lay in self.layers
            for c in lay.connections
        )


def _err(where: str, what: str, hint: str) -> ConfigError:
    return ConfigError(f"network spec, {where}: {what}", node=where, hint=hint)


def _pair(value: Any, where: str, name: str) -> tuple[int, int]:
    vals = [value, value] if isinstance(value, int | np.integer) else list(value)
    if len(vals) != 2 or not all(isinstance(v, int | np.integer) and v >= 0 for v in vals):
        raise _err(
            where,
            f"{name}={value!r} is not an int or an [H, W] pair of ints >= 0",
            f"give {name} as an int or [H, W]",
        )
    return int(vals[0]), int(vals[1])


def conv_geometry(conn: Mapping[str, Any], where: str = "conv") -> dict[str, Any]:
    """stride, padding, dilation as (H, W) pairs and groups, with defaults."""
    geo = {
        "stride": _pair(conn.get("stride", 1), where, "stride"),
        "padding": _pair(conn.get("padding", 0), where, "padding"),
        "dilation": _pair(conn.get("dilation", 1), where, "dilation"),
        "groups": int(conn.get("groups", 1)),
    }
    if 0 in geo["stride"] or 0 in geo["dilation"] or geo["groups"] < 1:
        raise _err(where, "stride, dilation and groups must be >= 1", "fix the conv geometry")
    return geo


def _conv_out_shape(
    in_shape: tuple[int, ...], w_shape: tuple[int, ...], geo: dict[str, Any], where: str
) -> tuple[int, int, int]:
    c_out, c_in_g, kh, kw = w_shape
    if len(in_shape) != 3 or in_shape[0] != c_in_g * geo["groups"] or c_out % geo["groups"]:
        raise _err(
            where,
            f"conv weights {w_shape} (groups={geo['groups']}) do not fit the "
            f"input {list(in_shape)}",
            "conv needs a [C, H, W] input with C = C_in",
        )
    pads = [(p, p) for p in geo["padding"]]
    out = window_output(in_shape[1:], (kh, kw), geo["stride"], pads, geo["dilation"])
    if min(out) < 1:
        raise _err(where, f"conv output would be empty ({out})", "check kernel and padding")
    return (c_out, out[0], out[1])


def _check_keys(
    where: str, params: Mapping[str, Any], req: tuple[str, ...], opt: tuple[str, ...]
) -> None:
    missing = [k for k in req if k not in params]
    unknown = [k for k in params if k not in req + opt]
    if missing or unknown:
        raise _err(
            where,
            f"missing {missing}, unknown {unknown}",
            f"required: {list(req)}; optional: {list(opt)}",
        )


def _weights(where: str, params: Mapping[str, Any], tag: str) -> np.ndarray:
    if "weights" not in params:
        raise _err(where, "no 'weights'", "every dense/sparse/conv tag needs its weights")
    w = np.asarray(params["weights"])
    if not np.all(np.isfinite(w)):
        raise _err(where, "weights contain NaN or Inf", "quantise finite weights")
    if tag == "fixed_pt":
        if not np.array_equal(w, np.round(w)):
            raise QuantizationError(
                f"network spec, {where}: fixed_pt weights are not integers",
                node=where,
                hint="quantise the weights to 8-bit integers",
            )
        if w.size and (w.min() < -256 or w.max() > 255):
            raise QuantizationError(
                f"network spec, {where}: weights span [{w.min()}, {w.max()}], outside the "
                "8-bit synapse range [-256, 255]",
                node=where,
                hint="rescale the layer and move the scale into weight_exp",
            )
    return w


def _check_connection(
    lay: Mapping[str, Any], where: str, in_shape: tuple[int, ...], tags: tuple[str, ...]
) -> tuple[int, ...]:
    conn = lay.get("connection") or {}
    kind = conn.get("type")
    if kind not in CONNECTIONS:
        raise _err(where, f"connection type {kind!r}", f"use one of {CONNECTIONS}")
    if kind == "identity":
        return in_shape
    shapes = set()
    for tag in tags:
        params = conn.get(tag)
        if not isinstance(params, Mapping):
            raise _err(where, f"connection has no {tag!r} parameters", f"add connection.{tag}")
        opt = _CONN_FIXED_OPTIONAL if tag == "fixed_pt" else ()
        _check_keys(f"{where}.connection.{tag}", params, ("weights",), opt)
        w = _weights(f"{where}.connection.{tag}", params, tag)
        if tag == "fixed_pt":
            _check_fixed_connection(f"{where}.connection.fixed_pt", params, w, kind)
        shapes.add(w.shape)
    if len(shapes) != 1:
        raise _err(
            where,
            f"weight shapes differ between tags: {sorted(shapes)}",
            "both tags describe the same connection",
        )
    (w_shape,) = shapes
    if kind == "scale":
        if w_shape != ():
            raise _err(where, f"scale weights have shape {w_shape}", "use one scalar weight")
        exp = conn.get("fixed_pt", {}).get("weight_exp", 0) if "fixed_pt" in tags else 0
        if len(in_shape) == 3 and exp < 0:
            raise QuantizationError(
                f"network spec, {where}: a [C, H, W] scale connection with weight_exp={exp}",
                node=where,
                hint="it runs as a depthwise 1x1 Conv, which ignores weight_exp: use >= 0",
            )
        return in_shape
    if kind == "conv":
        if len(w_shape) != 4:
            raise _err(where, f"conv weights have shape {w_shape}", "use [C_out, C_in, kH, kW]")
        return _conv_out_shape(in_shape, w_shape, conv_geometry(conn, where), where)
    n_in = int(np.prod(in_shape))
    if len(w_shape) != 2 or w_shape[1] != n_in:
        raise _err(
            where,
            f"{kind} weights {w_shape} do not take {n_in} inputs",
            f"use [N_out, {n_in}] (inputs flattened in C-order of {list(in_shape)})",
        )
    return (w_shape[0],)


def _check_fixed_connection(
    where: str, params: Mapping[str, Any], w: np.ndarray, kind: str
) -> None:
    mode = params.get("sign_mode")
    if mode is not None and mode not in SIGN_MODES:
        raise _err(where, f"sign_mode {mode!r}", f"use null or one of {SIGN_MODES}")
    exp = params.get("weight_exp", 0)
    if not isinstance(exp, int | np.integer) or not WEIGHT_EXP_MIN <= int(exp) <= WEIGHT_EXP_MAX:
        raise _err(
            where,
            f"weight_exp={exp!r}",
            f"use an int in [{WEIGHT_EXP_MIN}, {WEIGHT_EXP_MAX}] (Loihi's 4-bit weight exponent)",
        )
    if kind == "conv" and exp < 0:
        raise QuantizationError(
            f"network spec, {where}: conv weight_exp={exp} < 0",
            node=where,
            hint="Lava's Conv ignores weight_exp; use weight_exp >= 0",
        )
    if (mode or infer_sign_mode(w)) == "mixed" and np.any(w.astype(np.int64) % 2):
        warnings.warn(
            f"{where}: mixed-sign weights have odd values; Lava drops their LSB "
            "(rounding toward -inf to even numbers)",
            stacklevel=4,
        )


def _check_recurrent(
    lay: Mapping[str, Any], where: str, shape: tuple[int, ...], tags: tuple[str, ...]
) -> bool:
    """Validate the optional recurrent Dense: [N, N] over the flattened population."""
    loop = lay.get("recurrent")
    if loop is None:
        return False
    n = int(np.prod(shape))
    out = _check_connection(
        {"connection": {"type": "dense", **loop}}, f"{where}.recurrent", (n,), tags
    )
    if out != (n,):
        raise _err(where, f"recurrent weights give {list(out)} outputs, not {n}", "use [N, N]")
    return True


def _check_neuron(lay: Mapping[str, Any], where: str, tags: tuple[str, ...]) -> str:
    neuron = lay.get("neuron") or {}
    kind = neuron.get("type")
    if kind not in NEURON_PARAMS:
        raise _err(where, f"neuron type {kind!r}", f"use one of {tuple(NEURON_PARAMS)}")
    for tag in tags:
        params = neuron.get(tag)
        if not isinstance(params, Mapping):
            raise _err(where, f"neuron has no {tag!r} parameters", f"add neuron.{tag}")
        req, opt = NEURON_PARAMS[kind][tag]
        _check_keys(f"{where}.neuron.{tag}", params, req, opt)
        if params.get("float_dtype", "float64") not in FLOAT_DTYPES:
            raise _err(where, f"float_dtype {params['float_dtype']!r}", f"use {FLOAT_DTYPES}")
        if tag == "fixed_pt":
            _FIXED_CHECK[kind](**params)  # raises QuantizationError with the range
    return str(kind)


def plan_network(spec: Mapping[str, Any], tags: tuple[str, ...] = TAGS) -> NetworkPlan:
    """Validate ``spec`` for ``tags`` and compute shapes and per-layer delays.

    Raises:
        ConfigError: malformed structure, unknown names or shapes that do not fit.
        QuantizationError: a fixed-point value outside its hardware range.
    """
    if spec.get("format") != FORMAT or spec.get("version") != VERSION:
        raise _err(
            "header",
            f"format {spec.get('format')!r} version {spec.get('version')!r}",
            f'set "format": "{FORMAT}", "version": {VERSION}',
        )
    inp = spec.get("input") or {}
    shape = tuple(int(n) for n in inp.get("shape", ()))
    if len(shape) not in (1, 3) or min(shape, default=0) < 1:
        raise _err("input", f"shape {list(shape)}", "use [N] or [C, H, W]")
    graded, layers, names = bool(inp.get("graded", False)), [], {}
    previous: str | None = None
    for index, lay in enumerate(spec.get("layers") or ()):
        name = str(lay.get("name", ""))
        where = f"layers[{index}] {name!r}"
        if not name or name in names or "/" in name:
            raise _err(
                where, "layer names must be unique, non-empty and without '/'", "rename the layer"
            )
        conns = [(lay.get("source") if "source" in lay else previous, lay)]
        for k, branch in enumerate(lay.get("branches") or ()):
            if not isinstance(branch, Mapping) or "source" not in branch:
                raise _err(where, f"branch {k} has no 'source'", "give each branch a source")
            conns.append((branch["source"], branch))
        planned: list[ConnPlan] = []
        out_shape: tuple[int, ...] | None = None
        arrivals = []
        for k, (src, holder) in enumerate(conns):
            cwhere = where if k == 0 else f"{where}.branches[{k - 1}]"
            if src is not None and src not in names:
                raise _err(
                    cwhere,
                    f"source {src!r} is not an earlier layer",
                    "name an earlier layer, or null for the input",
                )
            in_shape = shape if src is None else names[src].shape
            conn_shape = _check_connection(holder, cwhere, in_shape, tags)
            if out_shape is not None and conn_shape != out_shape:
                raise _err(
                    cwhere,
                    f"gives {list(conn_shape)}, but the population is {list(out_shape)}",
                    "every connection into a population has the population's shape",
                )
            out_shape = conn_shape
            conn = holder.get("connection") or {}
            delay = conn.get("delay", 0)
            if not isinstance(delay, int | np.integer) or delay < 0:
                raise _err(cwhere, f"delay={delay!r}", "use an int >= 0")
            kind = conn.get("type")
            base = 0 if src is None else names[src].depth
            arrivals.append(base + (kind != "identity") + int(delay))
            graded_in = graded if src is None else names[src].neuron in GRADED_NEURONS
            planned.append(ConnPlan(src, kind, in_shape, graded_in, int(delay)))
        if len(set(arrivals)) != 1:
            raise _err(
                where,
                f"its connections arrive at different steps {arrivals} (depth of the source "
                "+ 1 per non-identity hop + delay)",
                "set each connection's 'delay' so that all arrive together",
            )
        neuron = _check_neuron(lay, where, tags)
        record = tuple(lay.get("record", ("spikes",)))
        allowed = ("spikes", *RECORDABLE[neuron])
        if any(r not in allowed for r in record):
            raise _err(where, f"record {list(record)}", f"{neuron} can record {list(allowed)}")
        recurrent = _check_recurrent(lay, where, conn_shape, tags)
        own = planned[0]
        plan = LayerPlan(
            index,
            name,
            own.connection,
            neuron,
            own.in_shape,
            conn_shape,
            arrivals[0],
            own.graded_in,
            record,
            recurrent,
            own.source,
            own.delay,
            tuple(planned[1:]),
        )
        layers.append(plan)
        names[name] = plan
        previous = name
    if not layers:
        raise _err("layers", "no layers", "add at least one layer")
    return NetworkPlan(tuple(int(n) for n in inp["shape"]), graded, tuple(layers))


# ------------------------------------------------------------------- save / load


def _split(node: Any, path: str, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(node, np.ndarray):
        arrays[path] = node
        return {"$array": path}
    if isinstance(node, np.generic):
        return node.item()
    if isinstance(node, Mapping):
        return {
            str(k): _split(v, f"{path}.{k}" if path else str(k), arrays) for k, v in node.items()
        }
    if isinstance(node, list | tuple):
        return [_split(v, f"{path}.{i}", arrays) for i, v in enumerate(node)]
    return node


def _join(node: Any, arrays: Mapping[str, np.ndarray]) -> Any:
    if isinstance(node, dict):
        if set(node) == {"$array"}:
            return arrays[node["$array"]]
        return {k: _join(v, arrays) for k, v in node.items()}
    if isinstance(node, list):
        return [_join(v, arrays) for v in node]
    return node


def save_spec(spec: Mapping[str, Any], directory: str | Path) -> Path:
    """Write ``spec.json`` and ``params.npz`` into ``directory``; returns the directory."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    doc = _split(spec, "", arrays)
    (out / SPEC_FILE).write_text(json.dumps(doc, indent=1) + "\n")
    np.savez(out / PARAMS_FILE, **arrays)  # type: ignore[arg-type]
    return out


def load_spec(directory: str | Path) -> dict[str, Any]:
    """Read a spec written by :func:`save_spec` (arrays back as numpy arrays)."""
    src = Path(directory)
    try:
        doc = json.loads((src / SPEC_FILE).read_text())
        with np.load(src / PARAMS_FILE, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot read the network spec in {src}: {exc}",
            hint=f"the directory needs {SPEC_FILE} and {PARAMS_FILE} "
            "(snncompile_lava.spec.save_spec)",
        ) from exc
    result: dict[str, Any] = _join(doc, arrays)
    return result
