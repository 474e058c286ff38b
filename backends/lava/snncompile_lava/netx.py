"""``NetxBackend``: the ``netx`` target, a lava-dl netx HDF5 file written with h5py only.

``emit`` writes ``out_dir/model.net`` in the layout read by lava-dl's
``netx.hdf5.Network`` (docs/lava.md §10): ``layer/0`` is the input layer, then one
layer per population. lava-dl is **not** a dependency: ``simulate`` reads the file with
snncompile's own reader (:mod:`snncompile_lava.netx_reader`) and runs what its layers say
on Lava in snncompile's torch-free worker, after checking them against the IR graph the
file stores.

Representable graphs: a chain Input → (Affine/Linear/Conv2d → hard-reset LIF)* →
[Affine/Linear/Conv2d readout] → Output, where the LIF is SoftLIF with ``reset="hard"``
and v_reset 0 or DA-LIF with ``reset="hard"`` (α is folded into the weights by the
quantiser); pooling is folded into the next connection as for ``--target lava``, and max
pooling of spikes becomes, as there, a relay layer (:mod:`snncompile_loihi.max_pool`): a
grouped all-ones ``conv`` layer with a hard-reset CUBA LIF (β = 0, θ = 0.5) that netx
runs like any other layer; max pooling of other values is refused naming the pool. Every
other layer (soft reset: SoftLIF/PLIF/DA-LIF soft; CLIF; ILIF; a neuron without a
synapse) is refused with one :class:`~snncompile.errors.UnsupportedNodeError` naming all
of them.

Exactness. The graph is quantised with ``quantize_loihi(..., target="netx")``, which
keeps only what a netx file stores exactly: weight exponent 0 (the file holds the integer
mantissas, from which netx's ``optimize_weight_bits`` re-derives an equivalent shifted
form), biases on the 64-unit grid (netx fixes bias_exp = 6) and a readout that is a
Lava LIF. lava-dl then builds, per layer, Lava's own Dense and LIF with the quantiser's
integers, so a netx run matches :func:`snncompile_loihi.quantize.run_fixed_chain` spike
for spike (backends/lava/tests/test_netx_lava_dl.py runs the files with lava-dl 0.6.0).

File layout (docs/lava.md §10), values from the :class:`LoihiProgram`:

- ``layer/0``: ``input`` without a neuron, so netx connects its input port straight to
  the first layer: ``shape`` [N] before a dense layer, [C, H, W] before a conv (feed
  netx (W, H, C)-ordered spikes then, its layout for every conv population).
- one ``dense`` or ``conv`` layer per population (a ``flatten`` entry between a conv and
  a dense layer): ``weight`` = w_int, (out, in) or OIHW, as integer-valued float64;
  conv geometry as (H, W) pairs, which netx reverses to Lava's (W, H); ``bias`` =
  bias_mant (only when non-zero; per channel for conv), and ``neuron/`` CUBA with
  ``iDecay`` = du + 1 (netx writes du = iDecay − 1), ``vDecay`` = dv, ``vThMant`` = vth,
  ``refDelay`` 0, ``gradedSpike`` False. Lava fires on v > vThMant·64; the quantiser
  chose vth so that this is the trained model's v ≥ θ (docs/lava.md §21).
- the readout (the Affine/Linear feeding the Output): the same with du = dv = 4095 and
  vThMant = 2¹⁷ − 1, above every v it can reach: read ``v`` of the last layer, in state
  units; divide by the layer's ``unit`` (root attribute ``readout_unit``) for the
  trained model's output.

Running a file: ``netx.hdf5.Network(net_config=path, reset_interval=T, reset_offset=1)``
for samples of T steps back to back: layer k (1 for the first layer) then zeroes its state
at Lava step k + 1 + b·T, when the response to sample b reaches it, and a sink on it holds
the response to input step t of sample b at index b·T + t + k.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np
from snncompile_loihi.chain import Chain, ChainLayer, extract_chain
from snncompile_loihi.limits import PRECISION_LIMITS
from snncompile_loihi.max_pool import relay_max_pools
from snncompile_loihi.models import LIF_ACCUMULATOR, LIF_BUILTIN
from snncompile_loihi.nir_neurons import native_nir_neurons
from snncompile_loihi.params import NETX_BIAS_EXP
from snncompile_loihi.qgraph import LoihiProgram, QuantizedLayer

from snncompile.backend import Capabilities, graph_from_bytes, graph_to_bytes, node_classes
from snncompile.errors import (
    CheckpointError,
    ConfigError,
    UnsupportedNodeError,
)
from snncompile.ir.graph import Graph
from snncompile.ir.native_neurons import CLIF, ILIF
from snncompile.quant.stage import QuantizedGraph
from snncompile_lava.backend import LoihiExportFlags
from snncompile_lava.quantizing import QuantizingBackend

GRAPH_DATASET = "snncompile_ir_graph"
ARTIFACT_NAME = "model.net"
HINT = "use --target lava, which lowers every snncompile neuron model with custom processes"


def _why(layer: ChainLayer) -> str | None:
    """Why ``layer`` is not netx-representable (None when it is)."""
    if layer.connection == "identity":
        return "a neuron without a dense or conv connection before it"
    if layer.recurrent is not None:
        return "a recurrent connection (the netx export writes feed-forward layers only)"
    if layer.neuron in (CLIF, ILIF):
        return f"{layer.neuron.__name__} neurons have no netx neuron type"
    if layer.spiking and not layer.model.hard_reset:
        return "soft reset (netx's CUBA LIF resets hard to 0)"
    return None


def _why_topology(layer: ChainLayer, previous: ChainLayer | None) -> str | None:
    """Why ``layer``'s place in the graph is not netx-representable (None when it is):
    a netx file is a sequence of layers, each reading the one before, and lava-dl's
    netx loader implements no skip, add or concat layer (docs/lava.md §24)."""
    if layer.branches:
        froms = ", ".join(repr(b.source or "input") for b in layer.branches)
        return (
            f"a summed fan-in (residual/skip/SEW) from {froms}: netx files are "
            "sequential and its loader has no add layer"
        )
    expected = None if previous is None else previous.neuron_node
    if layer.source != expected:
        return (
            f"reads {layer.source or 'the input'!r}, not the previous layer "
            "(fan-out): netx files are sequential"
        )
    return None


def check_netx(chain: Chain) -> None:
    """Raise one UnsupportedNodeError naming every layer netx cannot represent."""
    bad = []
    for k, lay in enumerate(chain.layers):
        why = _why_topology(lay, chain.layers[k - 1] if k else None) or _why(lay)
        bad.append((lay.neuron_node or lay.synapse or lay.name, why))
    bad = [(name, why) for name, why in bad if why is not None]
    if bad:
        listed = "; ".join(f"{name!r}: {why}" for name, why in bad)
        raise UnsupportedNodeError(
            f"target 'netx' cannot represent {len(bad)} layer(s): {listed}",
            node=bad[0][0],
            hint=HINT,
        )


def _neuron_group(group: Any, i_decay: int, v_decay: int, v_th: int) -> None:
    n = group.create_group("neuron")
    n.create_dataset("type", data=np.array([b"CUBA"], dtype="S10"))
    n.create_dataset("iDecay", data=int(i_decay))
    n.create_dataset("vDecay", data=int(v_decay))
    n.create_dataset("vThMant", data=int(v_th))
    n.create_dataset("refDelay", data=0)
    n.create_dataset("gradedSpike", data=False)


def _check_quantized(q: QuantizedLayer) -> None:
    """The invariants of ``target="netx"`` that the file format relies on."""
    p = q.neuron_params
    if q.fixed not in (LIF_BUILTIN, LIF_ACCUMULATOR) or q.weights is None:
        raise ConfigError(f"netx: layer {q.name!r} cannot be written (model {q.neuron!r})")
    if q.scale.weight_exp != 0 or np.any(np.asarray(p["bias_exp"]) != NETX_BIAS_EXP):
        raise ConfigError(
            f"netx: layer {q.name!r} was not quantised for netx",
            hint='quantise with quantize_loihi(..., target="netx")',
        )


def _dense(g: Any, q: QuantizedLayer) -> None:
    n_out, n_in = q.weights.shape  # type: ignore[union-attr]
    g.create_dataset("type", data=np.array([b"dense"], dtype="S10"))
    g.create_dataset("shape", data=np.array([n_out]))
    g.create_dataset("inFeatures", data=n_in)
    g.create_dataset("outFeatures", data=n_out)


def _conv(g: Any, q: QuantizedLayer) -> None:
    """OIHW cross-correlation kernels; netx flips and transposes them for Lava's Conv."""
    geo = q.source.geometry
    c_out, _, kh, kw = q.weights.shape  # type: ignore[union-attr]
    g.create_dataset("type", data=np.array([b"conv"], dtype="S10"))
    g.create_dataset("shape", data=np.array(q.source.shape))
    g.create_dataset("inChannels", data=int(q.source.in_shape[0]))
    g.create_dataset("outChannels", data=c_out)
    g.create_dataset("kernelSize", data=np.array([kh, kw]))
    for key in ("stride", "padding", "dilation"):  # (H, W); netx reverses them to (W, H)
        g.create_dataset(key, data=np.array(geo[key]))
    g.create_dataset("groups", data=int(geo["groups"]))


def write_netx(qgraph: LoihiProgram, path: Path) -> None:
    """Write ``qgraph`` (quantised with ``target="netx"``) as a netx HDF5 file at ``path``."""
    import h5py

    for q in qgraph.layers:
        _check_quantized(q)
    first_conv = qgraph.layers[0].source.connection == "conv"
    with h5py.File(path, "w") as f:
        f.attrs["producer"] = "snncompile"
        f.attrs["readout_unit"] = int(qgraph.layers[-1].scale.unit)
        layers = f.create_group("layer")
        entry = layers.create_group("0")
        entry.create_dataset("type", data=np.array([b"input"], dtype="S10"))
        in_shape = list(qgraph.input_shape) if first_conv else [int(np.prod(qgraph.input_shape))]
        entry.create_dataset("shape", data=np.array(in_shape))
        index, spatial = 1, first_conv
        for q in qgraph.layers:
            conv = q.source.connection == "conv"
            if spatial and not conv:  # netx flattens conv outputs (WHC) in CHW order
                layers.create_group(str(index)).create_dataset(
                    "type", data=np.array([b"flatten"], dtype="S10")
                )
                index += 1
            g = layers.create_group(str(index))
            g.attrs["name"] = q.name
            (_conv if conv else _dense)(g, q)
            g.create_dataset("weight", data=np.asarray(q.weights, dtype=np.float64))
            p = q.neuron_params
            bias = np.broadcast_to(np.asarray(p["bias_mant"], dtype=np.float64), q.source.shape)
            if np.any(bias != 0):
                # conv: one bias per channel (constant over H, W by construction)
                g.create_dataset("bias", data=bias[:, 0, 0] if conv else bias.reshape(-1))
            _neuron_group(g, i_decay=int(p["du"]) + 1, v_decay=int(p["dv"]), v_th=int(p["vth"]))
            index, spatial = index + 1, conv


class NetxBackend(LoihiExportFlags, QuantizingBackend):
    """lava-dl netx HDF5 export (hard-reset CUBA LIF MLPs); see the module docstring.

    Args:
        calibration: time-major sample inputs [T, B, ...] for the Loihi quantiser.
        allow_clamp: clamp unrepresentable values with a warning.
        steps: accepted for CLI symmetry; unused (a netx file has no fixed T).
        quantize: None or ``"loihi"``.
        search: search the per-layer weight clip factor on the calibration data.
        mode: :meth:`simulate` in ``"fixed"`` (the file's integers, Lava ``fixed_pt``) or
            ``"float"`` (the same equations in ``floating_pt``).
        timeout: seconds per Lava worker call.
        progress: None or a hook ``progress(samples done, samples)`` for :meth:`simulate`.
    """

    name: ClassVar[str] = "netx"
    quantize_target: ClassVar[str] = "netx"
    artifact_suffix: ClassVar[str | None] = ".net"
    capabilities: ClassVar[Capabilities] = Capabilities(
        node_types=node_classes(
            {
                "Input",
                "Output",
                "Flatten",
                "Affine",
                "Linear",
                "Conv2d",
                "SumPool2d",
                "AvgPool2d",
                "MaxPool2d",
                "SoftLIF",
                "DALIF",
                "LIF",
                "IF",
            }
        ),
        weight_bits=8,
        state_bits=24,
        synapse_delay_steps=1,
        # lava-dl's netx loader reads a chain of layers: no add, skip or recurrent layer
        topologies=frozenset({"chain", "maxpool_spikes"}),
        precisions=PRECISION_LIMITS,
        notes=MappingProxyType(
            {
                "format": "lava-dl netx HDF5 (docs/lava.md §10), written with h5py only",
                "neurons": "hard-reset LIF (CUBA, du 4095), one decay and threshold per "
                "layer (a per-channel DA-LIF beta is refused); readout: LIF read through v",
                "input": "0/1 spikes",
            }
        ),
    )

    def __init__(
        self,
        calibration: Any = None,
        allow_clamp: bool = False,
        steps: int | None = None,
        quantize: str | None = None,
        search: bool = True,
        mode: str = "fixed",
        timeout: float = 600.0,
        progress: Any = None,
    ) -> None:
        if quantize not in (None, "loihi"):
            raise ConfigError(
                f"netx: quantize={quantize!r} is not supported",
                hint="the netx target always quantises to Loihi fixed point; drop --quantize",
            )
        if mode not in ("fixed", "float"):
            raise ConfigError(
                f"netx: mode {mode!r} is not 'fixed' or 'float'",
                hint="use mode='fixed' (the file's integers) or mode='float'",
            )
        if progress is not None and not callable(progress):
            raise ConfigError(
                f"netx: progress={progress!r} is not a callable",
                hint="pass None or a hook progress(done, total)",
            )
        self.mode = mode
        self.timeout = float(timeout)
        self.progress = progress
        self.calibration = calibration
        self.allow_clamp = allow_clamp
        self.steps = steps
        self.search = search

    def check_graph(self, graph: Graph) -> None:
        """Every layer is netx-representable (before quantising); max pools become relays."""
        graph = relay_max_pools(native_nir_neurons(graph, self.name), self.name)
        check_netx(extract_chain(graph, self.name))

    def emit(self, graph: Graph | QuantizedGraph, out_dir: Path) -> Path:
        """Write the quantisation stage's output as ``out_dir/model.net``; returns its path."""
        float_graph, qgraph = self.staged_program(graph)
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        path = out / ARTIFACT_NAME
        write_netx(qgraph, path)
        import h5py

        with h5py.File(path, "a") as f:  # netx reads only layer/: the IR rides along
            f.create_dataset(GRAPH_DATASET, data=np.void(graph_to_bytes(float_graph)))
        return path

    def reference_run(
        self, graph: Graph, inputs: Any, steps: int | None = None
    ) -> dict[str, np.ndarray]:
        """What a run of the netx file must equal, bit for bit: the integer reference of
        the graph :meth:`emit` quantises (``target="netx"``), the readout in float units
        (netx's last-layer ``v`` divided by ``readout_unit``)."""
        from snncompile_loihi.reference import simulate_fixed
        from snncompile_loihi.stage import program_of

        x = np.asarray(next(iter(inputs.values())) if isinstance(inputs, Mapping) else inputs)
        qgraph = program_of(self.quantize(graph))
        ref = simulate_fixed(qgraph, x[:steps] if steps is not None else x)
        return {qgraph.output_name: ref[qgraph.output_name]}

    @classmethod
    def read_graph(cls, path: Path) -> Graph:
        """The IR graph stored in the file's ``snncompile_ir_graph`` dataset."""
        import h5py

        try:
            with h5py.File(path, "r") as f:
                if GRAPH_DATASET not in f:
                    raise CheckpointError(
                        f"the netx file '{path}' stores no snncompile IR graph (written by "
                        "another tool or an older snncompile)",
                        hint="export it again with `snncompile export MODEL --target netx`",
                    )
                data = f[GRAPH_DATASET][()].tobytes()
        except OSError as exc:
            raise CheckpointError(
                f"cannot read '{path}' as a netx HDF5 file: {exc}",
                hint="the file is damaged; export it again with "
                "`snncompile export MODEL --target netx`",
            ) from exc
        return graph_from_bytes(data, path)

    @classmethod
    def input_shape(cls, path: Path) -> tuple[int, ...] | None:
        """The per-step input shape of the stored IR graph (else of the input layer)."""
        from snncompile.backend import graph_input_shape
        from snncompile.errors import SnnCompileError
        from snncompile_lava.netx_reader import read_netx, stored_graph

        try:
            graph = stored_graph(path)
            shape = graph_input_shape(graph) if graph is not None else None
            return shape if shape is not None else read_netx(path).input_shape
        except (SnnCompileError, OSError):
            return None

    @classmethod
    def describe_artifact(cls, path: Path) -> str | None:
        """The file's own layers (as written) and their agreement with the stored IR."""
        from snncompile_lava.netx_reader import describe_netx

        return describe_netx(path)

    @classmethod
    def add_simulate_options(cls, group: Any) -> None:
        group.add_argument("--mode", choices=("float", "fixed"), help="Lava: numeric mode")

    @classmethod
    def options_from_args(cls, args: Any) -> dict[str, Any]:
        """export: as :class:`LoihiExportFlags`; simulate: ``--mode``."""
        options = super().options_from_args(args)
        if getattr(args, "command", None) == "simulate" and getattr(args, "mode", None):
            options["mode"] = args.mode
        return options

    def simulate(
        self, artifact: Path, inputs: Any, steps: int | None = None
    ) -> dict[str, np.ndarray]:
        """Run the netx file on Lava (snncompile's reader and torch-free worker, no
        lava-dl): ``{output name: [T, B, *shape]}``, the readout in the trained model's
        units. Fixed mode equals :meth:`reference_run` bit for bit.

        Raises:
            CheckpointError: the file is not a netx network snncompile runs, or its
                layers disagree with its stored IR graph.
            BackendUnavailableError: lava-nc is not installed.
        """
        from snncompile_lava.backend import LavaBackend
        from snncompile_lava.netx_reader import run_netx

        LavaBackend._require_lava()
        if isinstance(inputs, Mapping):
            inputs = next(iter(inputs.values()))
        return run_netx(
            artifact,
            inputs,
            mode=self.mode,
            steps=steps if steps is not None else self.steps,
            timeout=self.timeout,
            progress=self.progress,
        )
