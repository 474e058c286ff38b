"""snncompile's own reader of netx HDF5 files, and their run on Lava (no lava-dl, no torch).

:func:`read_netx` parses the layout :func:`snncompile_lava.netx.write_netx` writes
(docs/lava.md §10) into a :class:`NetxFile`: the input shape and, per layer, the
connection (``dense`` [out, in] or ``conv`` OIHW with (H, W) geometry), the integer
weights and biases and the CUBA neuron (``iDecay``, ``vDecay``, ``vThMant``), exactly as
written. :func:`netx_spec` turns them into a network spec for snncompile's torch-free
Lava worker, one Lava built-in LIF per layer with the file's integers:

    fixed_pt:    du = iDecay − 1, dv = vDecay, vth = vThMant, bias_mant = bias, bias_exp = 6
                 (Lava: u ← u·(4096 − du) >> 12 + (a << 6); v ← v·(4096 − dv) >> 12 + u
                 + (bias << 6); spike and v ← 0 where v > vth << 6)
    floating_pt: the same equations in real numbers, in units of 2⁶: du/4096, dv/4096,
                 vth, bias (no truncation of the decays)

The last layer is the readout when its neuron can never fire (``vThMant`` = 2¹⁷ − 1,
``du`` = ``dv`` = 4095, the writer's readout): its ``v`` is read and divided by the root
attribute ``readout_unit`` (fixed; float: ``v``·2⁶ / unit), giving the trained model's
output. Otherwise the last layer's spikes are the output.

Fixed mode equals :func:`snncompile_loihi.reference.simulate_fixed` of the quantised
graph bit for bit (``NetxBackend.reference_run``). :func:`check_agrees` checks the file
against the IR graph stored beside it (``snncompile_ir_graph``): the same layers, names,
kinds, shapes, conv geometry, spiking/readout role, and integer weights whose signs and
zeros are those of the float weights they were quantised from (a file edited after the
export, or spliced with another model's graph, is refused).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from snncompile.errors import CheckpointError

#: Lava's built-in LIF: 12-bit decays (4096 = 1.0) and the 2⁶ scaling of a_in, bias, vth.
DECAY_ONE = 4096
ACT_SHIFT = 6
#: The writer's readout neuron: it never fires (vThMant is the 17-bit maximum).
READOUT_VTH = 2**17 - 1
READOUT_DECAY = 4095
NETX_BIAS_EXP = 6
REEXPORT = "export it again with `snncompile export MODEL --target netx`"


@dataclass(frozen=True)
class NetxLayer:
    """One netx layer as written: a connection and its CUBA population.

    Attributes:
        key: the group name under ``layer/`` (its index in the file).
        name: the ``name`` attribute (the snncompile layer name), else ``layer<key>``.
        kind: ``"dense"`` or ``"conv"``.
        in_shape, shape: input and population shapes ([N] or [C, H, W]).
        weight: float64 integers, dense [out, in] (input flattened in C order) or conv OIHW.
        bias: float64 integers per neuron (population shape; zeros when absent).
        geometry: conv stride, padding, dilation as (H, W) pairs and groups; {} for dense.
        du, dv, vth: the Lava LIF parameters (du = iDecay − 1, dv = vDecay, vth = vThMant).
    """

    key: str
    name: str
    kind: str
    in_shape: tuple[int, ...]
    shape: tuple[int, ...]
    weight: np.ndarray
    bias: np.ndarray
    geometry: Mapping[str, Any] = field(default_factory=dict)
    du: int = 0
    dv: int = 0
    vth: int = 0

    @property
    def readout(self) -> bool:
        """True for the writer's never-firing readout population (read through ``v``)."""
        return self.vth == READOUT_VTH and self.du == READOUT_DECAY and self.dv == READOUT_DECAY


@dataclass(frozen=True)
class NetxFile:
    """A parsed netx file: its input shape, layers and readout unit (None: not written)."""

    path: Path
    input_shape: tuple[int, ...]
    layers: tuple[NetxLayer, ...]
    readout_unit: float | None
    producer: str | None

    @property
    def output(self) -> NetxLayer:
        return self.layers[-1]


def _bad(path: Path, where: str, what: str, hint: str | None = None) -> CheckpointError:
    return CheckpointError(
        f"netx file '{path}', {where}: {what}",
        hint=hint or f"the file is not a netx network snncompile can run; {REEXPORT}",
    )


def _text(value: Any) -> str:
    """An HDF5 string dataset (``[b"dense"]``, ``b"dense"`` or ``"dense"``) as str."""
    arr = np.asarray(value)
    item = arr.reshape(-1)[0] if arr.size else ""
    return item.decode() if isinstance(item, bytes) else str(item)


def _ints(path: Path, where: str, value: Any, size: int | None = None) -> tuple[int, ...]:
    arr = np.asarray(value).reshape(-1)
    if arr.dtype.kind not in "iuf" or not np.all(arr == np.round(arr)):
        raise _bad(path, where, f"{arr.tolist()} are not integers")
    if size is not None and arr.size != size:
        raise _bad(path, where, f"{arr.tolist()} has {arr.size} values, not {size}")
    return tuple(int(v) for v in arr)


def _int(path: Path, where: str, value: Any) -> int:
    return _ints(path, where, value, 1)[0]


def _neuron(path: Path, group: Any, where: str) -> tuple[int, int, int]:
    """(du, dv, vth) of a layer's ``neuron`` group (CUBA, no refractory, binary spikes)."""
    if "neuron" not in group:
        raise _bad(path, where, "no 'neuron' group")
    n = group["neuron"]
    missing = [k for k in ("type", "iDecay", "vDecay", "vThMant") if k not in n]
    if missing:
        raise _bad(path, f"{where}/neuron", f"missing {missing}")
    kind = _text(n["type"][()])
    if kind != "CUBA":
        raise _bad(path, f"{where}/neuron", f"neuron type {kind!r}; snncompile runs CUBA only")
    if "refDelay" in n and _int(path, f"{where}/neuron/refDelay", n["refDelay"][()]) > 1:
        raise _bad(path, f"{where}/neuron", "a refractory delay (snncompile writes refDelay 0)")
    if "gradedSpike" in n and bool(np.asarray(n["gradedSpike"][()]).reshape(-1)[0]):
        raise _bad(path, f"{where}/neuron", "graded spikes (snncompile writes binary spikes)")
    i_decay = _int(path, f"{where}/neuron/iDecay", n["iDecay"][()])
    dv = _int(path, f"{where}/neuron/vDecay", n["vDecay"][()])
    vth = _int(path, f"{where}/neuron/vThMant", n["vThMant"][()])
    du = i_decay - 1  # netx's convention: du = iDecay - 1
    for label, value, top in (
        ("iDecay - 1", du, 4095),
        ("vDecay", dv, 4095),
        ("vThMant", vth, 2**17 - 1),
    ):
        if not 0 <= value <= top:
            raise _bad(path, f"{where}/neuron", f"{label} = {value} is outside [0, {top}]")
    return du, dv, vth


def _weights(path: Path, group: Any, where: str, ndim: int) -> np.ndarray:
    if "weight" not in group:
        raise _bad(path, where, "no 'weight' dataset")
    w = np.asarray(group["weight"][()], dtype=np.float64)
    if w.ndim != ndim:
        raise _bad(path, where, f"weight of shape {list(w.shape)} is not {ndim}-D")
    if not np.all(np.isfinite(w)) or not np.array_equal(w, np.round(w)):
        raise _bad(path, where, "weights are not integers (snncompile writes 8-bit mantissas)")
    if w.size and (w.min() < -256 or w.max() > 255):
        raise _bad(path, where, f"weights span [{w.min():g}, {w.max():g}], outside 8 bits")
    return w


def _conv_layer(path: Path, g: Any, where: str, in_shape: tuple[int, ...]) -> tuple[Any, ...]:
    from snncompile.ir.shapes import window_output

    if len(in_shape) != 3:
        raise _bad(path, where, f"a conv layer after the flat shape {list(in_shape)}")
    w = _weights(path, g, where, 4)
    geo: dict[str, Any] = {}
    for key, default in (("stride", 1), ("padding", 0), ("dilation", 1)):
        value = g[key][()] if key in g else [default, default]
        pair = _ints(path, f"{where}/{key}", value)
        geo[key] = pair * 2 if len(pair) == 1 else pair
        if len(geo[key]) != 2:
            raise _bad(path, f"{where}/{key}", f"{list(pair)} is not an (H, W) pair")
    geo["groups"] = _int(path, f"{where}/groups", g["groups"][()]) if "groups" in g else 1
    c_out, c_in_g, kh, kw = w.shape
    if in_shape[0] != c_in_g * geo["groups"] or c_out % geo["groups"]:
        raise _bad(path, where, f"kernels {list(w.shape)} do not fit the input {list(in_shape)}")
    pads = [(p, p) for p in geo["padding"]]
    hw = window_output(in_shape[1:], (kh, kw), geo["stride"], pads, geo["dilation"])
    shape = (int(c_out), int(hw[0]), int(hw[1]))
    if "shape" in g and _ints(path, f"{where}/shape", g["shape"][()]) != shape:
        raise _bad(
            path, where, f"shape {list(g['shape'][()])} is not the conv output {list(shape)}"
        )
    bias = np.zeros(shape)
    if "bias" in g:
        b = np.asarray(g["bias"][()], dtype=np.float64).reshape(-1)
        if b.size != c_out:
            raise _bad(path, where, f"{b.size} biases for {c_out} channels")
        bias = np.broadcast_to(b[:, None, None], shape).copy()
    return "conv", shape, w, bias, geo


def _dense_layer(path: Path, g: Any, where: str, in_shape: tuple[int, ...]) -> tuple[Any, ...]:
    w = _weights(path, g, where, 2)
    n_in = int(np.prod(in_shape))
    if w.shape[1] != n_in:
        raise _bad(path, where, f"weight {list(w.shape)} does not take {n_in} inputs")
    shape = (int(w.shape[0]),)
    bias = np.zeros(shape)
    if "bias" in g:
        bias = np.asarray(g["bias"][()], dtype=np.float64).reshape(-1)
        if bias.shape != shape:
            raise _bad(path, where, f"{bias.size} biases for {shape[0]} neurons")
    return "dense", shape, w, bias, {}


def _parse(where: Path, f: Any) -> tuple[tuple[int, ...], list[NetxLayer], Any, Any]:
    """(input shape, layers, readout_unit, producer) of an open netx file."""
    if "layer" not in f:
        raise _bad(where, "root", "no 'layer' group")
    group = f["layer"]
    keys = sorted(group, key=lambda k: int(k) if k.isdigit() else -1)
    if not keys or any(not k.isdigit() for k in keys) or keys != [str(i) for i in range(len(keys))]:
        raise _bad(where, "layer/", f"entries {keys} are not 0, 1, 2, …")
    entry = group["0"]
    if _text(entry["type"][()]) != "input" or "neuron" in entry:
        raise _bad(where, "layer/0", "not an input layer without a neuron")
    input_shape = _ints(where, "layer/0/shape", entry["shape"][()])
    shape, layers = input_shape, []
    for key in keys[1:]:
        g, at = group[key], f"layer/{key}"
        kind = _text(g["type"][()]) if "type" in g else "?"
        if kind == "flatten":
            shape = (int(np.prod(shape)),)
            continue
        if kind == "conv":
            kind, out, w, bias, geo = _conv_layer(where, g, at, shape)
        elif kind == "dense":
            kind, out, w, bias, geo = _dense_layer(where, g, at, shape)
        else:
            raise _bad(where, at, f"layer type {kind!r}; snncompile runs dense, conv, flatten")
        if not np.array_equal(bias, np.round(bias)) or np.abs(bias).max(initial=0) > 4096:
            raise _bad(where, at, "biases are not 13-bit integers")
        du, dv, vth = _neuron(where, g, at)
        name = g.attrs.get("name", f"layer{key}")
        name = name.decode() if isinstance(name, bytes) else str(name)
        layers.append(NetxLayer(key, name, kind, shape, out, w, bias, geo, du, dv, vth))
        shape = out
    if not layers:
        raise _bad(where, "layer/", "no layers after the input")
    unit = f.attrs.get("readout_unit")
    producer = f.attrs.get("producer")
    return input_shape, layers, unit, producer


def read_netx(path: str | Path) -> NetxFile:
    """Parse the netx HDF5 file at ``path`` (see the module docstring).

    Raises:
        CheckpointError: not an HDF5 file, or a layout, layer type or value snncompile
            does not run (the message names the layer and the field).
    """
    import h5py

    where = Path(path)
    try:
        f = h5py.File(where, "r")
    except OSError as exc:
        raise CheckpointError(
            f"cannot read '{where}' as a netx HDF5 file: {exc}",
            hint=f"the file is damaged or not a netx file; {REEXPORT}",
        ) from exc
    with f:
        try:
            input_shape, layers, unit, producer = _parse(where, f)
        except (KeyError, ValueError, TypeError) as exc:  # a missing or malformed entry
            raise _bad(where, "layout", f"{type(exc).__name__}: {exc}") from exc
    names = [lay.name for lay in layers]
    if len(set(names)) != len(names) or any("/" in n or not n for n in names):
        raise _bad(where, "layer names", f"{names} are not unique names without '/'")
    if any(lay.readout for lay in layers[:-1]):
        raise _bad(where, "layers", "a never-firing (readout) population before the last layer")
    if layers[-1].readout and (unit is None or float(unit) <= 0):
        raise _bad(where, "root", "a readout layer but no positive 'readout_unit' attribute")
    return NetxFile(
        path=where,
        input_shape=input_shape,
        layers=tuple(layers),
        readout_unit=None if unit is None else float(unit),
        producer=None if producer is None else str(producer),
    )


def netx_spec(net: NetxFile) -> dict[str, Any]:
    """The Lava network spec of ``net`` (both tags; see the module docstring)."""
    from snncompile_lava.spec import FORMAT, VERSION

    layers = []
    for index, lay in enumerate(net.layers):
        last = index == len(net.layers) - 1
        conn: dict[str, Any] = {
            "type": lay.kind,
            "floating_pt": {"weights": lay.weight.copy()},
            "fixed_pt": {
                "weights": lay.weight.astype(np.int64),
                "weight_exp": 0,
                "num_weight_bits": 8,
                "sign_mode": None,  # inferred from the weights, as Lava and netx do
            },
        }
        conn.update({k: list(v) if isinstance(v, tuple) else v for k, v in lay.geometry.items()})
        neuron = {
            "type": "lif_builtin",
            "fixed_pt": {
                "du": lay.du,
                "dv": lay.dv,
                "vth": lay.vth,
                "bias_mant": lay.bias.astype(np.int64),
                "bias_exp": NETX_BIAS_EXP,
            },
            "floating_pt": {
                "du": lay.du / DECAY_ONE,
                "dv": lay.dv / DECAY_ONE,
                "vth": float(lay.vth),
                "bias_mant": lay.bias.copy(),
            },
        }
        record = ["v" if lay.readout else "spikes"] if last else []
        layers.append({"name": lay.name, "connection": conn, "neuron": neuron, "record": record})
    return {
        "format": FORMAT,
        "version": VERSION,
        "input": {"shape": list(net.input_shape), "graded": False},
        "layers": layers,
    }


def decode_output(net: NetxFile, raw: np.ndarray, tag: str) -> np.ndarray:
    """The model output from the last layer's recording: spikes as they are; the
    readout's ``v`` divided by ``readout_unit`` (float mode: ``v``·2⁶ first)."""
    out = raw.astype(np.float64)
    if not net.output.readout:
        return out
    scale = 1.0 if tag == "fixed_pt" else float(2**ACT_SHIFT)
    return out * scale / float(net.readout_unit)  # type: ignore[arg-type]


def check_agrees(net: NetxFile, graph: Any) -> None:
    """Refuse a file whose layers are not those of the IR ``graph`` stored beside them.

    Compares, layer by layer (:func:`snncompile_loihi.chain.extract_chain` of ``graph``):
    name, connection kind, input and population shapes, conv geometry, readout vs
    spiking role, and that every integer weight has the sign of its float weight and is
    zero where that is zero (quantising scales by a positive factor and rounds).

    Raises:
        CheckpointError: naming the first layer and field that differ.
    """
    from snncompile_loihi.chain import extract_chain
    from snncompile_loihi.params import effective_float

    from snncompile.errors import SnnCompileError

    try:
        chain = extract_chain(graph)
    except SnnCompileError as exc:
        raise _bad(net.path, "snncompile_ir_graph", f"not a Loihi chain ({exc.message})") from exc
    path = net.path

    def differ(where: str, what: str) -> CheckpointError:
        return _bad(
            path,
            where,
            f"the netx layers and the stored IR graph disagree: {what}",
            hint=f"the file was changed after the export or mixes two models; {REEXPORT}",
        )

    if len(chain.layers) != len(net.layers):
        raise differ("layers", f"{len(net.layers)} netx layers, {len(chain.layers)} IR layers")
    flat_in = (int(np.prod(chain.input_shape)),)
    if net.input_shape not in (tuple(chain.input_shape), flat_in):
        raise differ("layer/0", f"input {list(net.input_shape)} vs IR {list(chain.input_shape)}")
    for lay, ir in zip(net.layers, chain.layers, strict=True):
        at = f"layer/{lay.key} {lay.name!r}"
        if lay.name != ir.name:
            raise differ(at, f"name {lay.name!r} vs IR layer {ir.name!r}")
        if lay.kind != ir.connection:
            raise differ(at, f"a {lay.kind} connection vs IR {ir.connection}")
        if lay.shape != tuple(ir.shape) and lay.shape != (int(np.prod(ir.shape)),):
            raise differ(at, f"shape {list(lay.shape)} vs IR {list(ir.shape)}")
        if lay.readout == ir.spiking:
            role = "readout" if lay.readout else "spiking"
            raise differ(at, f"a {role} population vs the IR's")
        if lay.kind == "conv":
            ir_geo = {
                k: tuple(v) if isinstance(v, (list, tuple)) else v for k, v in ir.geometry.items()
            }
            if dict(lay.geometry) != ir_geo:
                raise differ(at, f"conv geometry {dict(lay.geometry)} vs IR {ir_geo}")
        w_float, _ = effective_float(ir)
        if w_float is None or w_float.shape != lay.weight.shape:
            got = None if w_float is None else list(w_float.shape)
            raise differ(at, f"weight shape {list(lay.weight.shape)} vs IR {got}")
        if np.any(lay.weight * w_float < 0) or np.any((w_float == 0) & (lay.weight != 0)):
            raise differ(at, "integer weights whose signs are not those of the IR weights")


def stored_graph(path: str | Path) -> Any:
    """The IR graph stored in the file's ``snncompile_ir_graph`` dataset (None: none)."""
    import h5py

    from snncompile_lava.netx import GRAPH_DATASET

    with h5py.File(path, "r") as f:
        if GRAPH_DATASET not in f:
            return None
        data = f[GRAPH_DATASET][()].tobytes()
    from snncompile.backend import graph_from_bytes

    return graph_from_bytes(data, path)


def run_netx(
    path: str | Path,
    inputs: Any,
    *,
    mode: str = "fixed",
    steps: int | None = None,
    timeout: float = 600.0,
    progress: Any = None,
    check: bool = True,
) -> dict[str, np.ndarray]:
    """Run the netx file at ``path`` on Lava, in snncompile's torch-free worker.

    Args:
        path: the ``.net`` file.
        inputs: 0/1 spikes, time-major [T, B, *S] or static [B, *S] repeated over
            ``steps`` (:func:`snncompile.backend.time_major`); S is the stored IR
            graph's input shape (else the file's), reshaped to the file's input layer.
        mode: ``"fixed"`` (the file's integers in Lava ``fixed_pt``, bit-exact with the
            integer reference) or ``"float"`` (the same equations in ``floating_pt``).
        steps: T of static inputs; the first ``steps`` of time-major ones.
        timeout: seconds per worker call.
        progress: a hook ``progress(samples done, samples)``.
        check: refuse a file that disagrees with its stored IR graph (:func:`check_agrees`).

    Returns:
        ``{output name: [T, B, *output shape] float64}``: the readout in the trained
        model's units, or the last layer's spikes.
    """
    from snncompile.backend import graph_input_shape, time_major
    from snncompile.errors import ConfigError, InputError
    from snncompile_lava.load import MODES, run_batches
    from snncompile_lava.spec import save_spec

    if mode not in MODES:
        raise ConfigError(f"netx: mode {mode!r} is not 'fixed' or 'float'", hint="use --mode fixed")
    net = read_netx(path)
    graph = stored_graph(path)
    if graph is not None and check:
        check_agrees(net, graph)
    per_step = graph_input_shape(graph) if graph is not None else None
    per_step = per_step if per_step is not None else net.input_shape
    x = time_major(np.asarray(inputs), per_step, steps)
    if int(np.prod(x.shape[2:])) != int(np.prod(net.input_shape)):
        raise InputError(
            f"inputs of shape {list(x.shape)} do not fit the netx input layer "
            f"{list(net.input_shape)} (per step)",
            hint="pass [T, B, ...] spikes of the model's input shape",
        )
    x = np.asarray(x, dtype=np.float64).reshape(*x.shape[:2], *net.input_shape)
    if not np.all((x == 0) | (x == 1)):
        raise InputError(
            "a netx file takes binary input spikes, but the inputs are not all 0/1",
            hint="binarise (spike-encode) the input data",
        )
    tag = MODES[mode]
    with tempfile.TemporaryDirectory(prefix="snncompile-netx-") as tmp:
        spec_dir = save_spec(netx_spec(net), Path(tmp) / "spec")
        merged = run_batches(spec_dir, x, tag=tag, timeout=timeout, progress=progress)
    last = net.output
    raw = merged[f"{last.name}/{'v' if last.readout else 'spikes'}"]
    name, shape = "output", last.shape
    if graph is not None:
        from snncompile_loihi.chain import extract_chain

        chain = extract_chain(graph)
        name, shape = chain.output_name, tuple(chain.output_shape)
    value = decode_output(net, raw, tag)
    return {name: value.reshape(*value.shape[:2], *shape)}


def describe_netx(path: str | Path) -> str:
    """``snncompile inspect``'s lines for a netx file: its layers as written and whether
    they agree with the stored IR graph.

    Raises:
        CheckpointError: the file cannot be read, or it disagrees with its IR graph.
    """
    net = read_netx(path)
    graph = stored_graph(path)
    lines = [f"netx layers (as written; input {list(net.input_shape)}, 0/1 spikes)"]
    for lay in net.layers:
        role = "readout (v)" if lay.readout else "spikes"
        nonzero = int(np.count_nonzero(lay.bias))
        lines.append(
            f"  layer/{lay.key:<3} {lay.name:<12} {lay.kind:<6} {list(lay.shape)!s:<14} "
            f"weights {lay.weight.size:,} in [{lay.weight.min():g}, {lay.weight.max():g}], "
            f"bias {nonzero} non-zero, du {lay.du}, dv {lay.dv}, vth {lay.vth}: {role}"
        )
    if net.readout_unit is not None and net.output.readout:
        lines.append(f"  readout unit {net.readout_unit:g} (output = v / unit)")
    if graph is None:
        lines.append("stored IR graph: none (the file runs from its layers alone)")
    else:
        check_agrees(net, graph)
        lines.append("stored IR graph: agrees with the layers (names, shapes, weight signs)")
    return "\n".join(lines)
