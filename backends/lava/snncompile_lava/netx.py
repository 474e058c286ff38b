"""``NetxBackend``: the ``netx`` target, a lava-dl netx HDF5 file written with h5py only.

``emit`` writes ``out_dir/model.net`` in the layout read by lava-dl's
``netx.hdf5.Network`` (docs/lava.md §12): ``layer/0`` is the input layer, then one
``dense`` layer per population. lava-dl is **not** a dependency; ``simulate`` raises
:class:`~snncompile.errors.BackendUnavailableError` (run netx files with lava-dl, or use
``--target lava`` to simulate the same network in snncompile's own Lava worker).

Representable graphs: a chain Input → (Affine/Linear → hard-reset LIF)* → [Affine/Linear
readout] → Output, where the LIF is SoftLIF with ``reset="hard"`` and v_reset 0 or DA-LIF
with ``reset="hard"`` (α is folded into the weights by the quantiser). Every other layer
(soft reset: SoftLIF/PLIF/DA-LIF soft; CLIF; ILIF; Conv2d; a neuron without a synapse)
is refused with one :class:`~snncompile.errors.UnsupportedNodeError` naming all of them.

Scaling conventions (the values are :func:`~snncompile.quant.loihi.quantize_loihi`'s
integers, never re-quantised). For a layer with weight mantissas ``w_int``, weight
exponent ``e``, state unit U, ``vth``, ``dv`` and bias in state units:

- ``weight`` = w_int·2^e, integer-valued float64, shape (out, in): the slayer "×64, step
  2" convention in which netx's own ``optimize_weight_bits`` re-derives mantissa and
  ``weight_exp`` (it accepts integers in [−256, 255]). Then netx's Dense delivers exactly
  the quantiser's a_in = (Σ w_int·x)·2^e. When w_int·2^e is not an integer in that range,
  ``weight`` = w_int and the threshold and bias are divided by 2^e (rounded): states
  then run at U/2^e, which is **not** bit-exact (a warning is issued and the layer noted
  in :attr:`NetxBackend.last_notes`).
- ``neuron/``: ``type`` CUBA, ``iDecay`` 4096 (netx writes du = iDecay − 1 = 4095: u is
  this step's input only, lava.md §5.2), ``vDecay`` = dv = round((1 − β)·4096),
  ``vThMant`` = vth, ``refDelay`` 0, ``gradedSpike`` False.
- Threshold tie: Lava's LIF fires on v > vThMant·64; the quantiser chose vth so that
  64·vth + 1 is the quantised threshold of snncompile's v ≥ θ (lava.md §9), so the
  ``≥`` of the trained model is kept exactly.
- ``bias`` (only written when non-zero): netx uses bias_exp = 6, i.e. the bias in weight
  units = bias_state / 64, rounded to an integer (netx casts it with ``astype(int)``);
  exact when bias_state is a multiple of 64, otherwise warned and noted.
- Readout: the final Affine/Linear feeding the Output is written as a ``dense`` layer
  **without** ``neuron/``, i.e. netx's default accumulator (iDecay 0 → du = −1, vDecay
  4096, vThMant 2^17): u integrates every input, v = u, and it practically never spikes.
  Read it through v: v[t] = Σ_{τ≤t} X[τ] (cumulative), whereas snncompile's readout is
  the per-step X[t]; differences of consecutive steps recover X[t].
- Input: ``layer/0`` has ``type`` input and ``shape`` [N]; spikes (binary calibration
  data) are exact. Graded input uses the quantiser's payload scale S_in (recorded as the
  root attribute ``input_scale``); feed netx the integer payloads round(x·S_in).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from snncompile.backend import Backend, Capabilities
from snncompile.errors import BackendUnavailableError, ConfigError, UnsupportedNodeError
from snncompile.ir.graph import Graph
from snncompile.quant.loihi import quantize_loihi
from snncompile.quant.loihi_chain import Chain, ChainLayer, extract_chain
from snncompile.quant.loihi_qgraph import QuantizedGraph, QuantizedLayer

ARTIFACT_NAME = "model.net"
I_DECAY_PASS_THROUGH = 4096
WEIGHT_RANGE = (-256, 255)
HINT = "use --target lava, which lowers every snncompile neuron model with custom processes"


def _why(layer: ChainLayer) -> str | None:
    """Why ``layer`` is not netx-representable (None when it is)."""
    if layer.connection == "conv":
        return "Conv2d connections are not implemented by the netx export"
    if layer.connection == "identity":
        return "a neuron without a dense connection before it"
    if layer.neuron == "soft_lif":
        return "soft reset (netx's CUBA LIF resets hard to 0)"
    if layer.neuron in ("clif", "ilif"):
        return f"{layer.neuron.upper()} neurons have no netx neuron type"
    return None


def check_netx(chain: Chain) -> None:
    """Raise one UnsupportedNodeError naming every layer netx cannot represent."""
    bad = [(lay.neuron_node or lay.synapse or lay.name, _why(lay)) for lay in chain.layers]
    bad = [(name, why) for name, why in bad if why is not None]
    if bad:
        listed = "; ".join(f"{name!r}: {why}" for name, why in bad)
        raise UnsupportedNodeError(
            f"target 'netx' cannot represent {len(bad)} layer(s): {listed}",
            node=bad[0][0],
            hint=HINT,
        )


def _layer_values(q: QuantizedLayer) -> tuple[np.ndarray, int | None, np.ndarray, list[str]]:
    """(weight, vThMant or None for the readout, bias in weight units, notes)."""
    notes: list[str] = []
    assert q.weights is not None  # identity layers are refused by check_netx
    w_int = np.asarray(q.weights, dtype=np.int64)
    e = int(q.scale.weight_exp)
    w = w_int * 2.0**e
    lo, hi = WEIGHT_RANGE
    shift = 0
    if not (np.array_equal(w, np.round(w)) and w.min() >= lo and w.max() <= hi):
        w, shift = w_int.astype(np.float64), e
        notes.append(
            f"layer {q.name!r}: weights w_int·2^{e} do not fit netx's integer range; "
            f"threshold and bias divided by 2^{e} (not bit-exact)"
        )
    params = q.neuron_params
    vth: int | None = None
    if q.neuron == "readout":
        bias_state = np.asarray(params["bias"], dtype=np.float64)
    else:
        bias_state = np.asarray(params["bias_mant"], dtype=np.float64) * 2.0 ** int(
            params["bias_exp"]
        )
        vth = int(params["vth"])
        if shift:
            vth = round(vth / 2.0**shift)
    bias = bias_state / 64.0 / 2.0**shift
    rounded = np.round(bias)
    if not np.array_equal(rounded, bias):
        notes.append(f"layer {q.name!r}: bias rounded to netx's weight units (bias_exp 6)")
    return w, vth, rounded, notes


def write_netx(qgraph: QuantizedGraph, path: Path) -> list[str]:
    """Write ``qgraph`` as a netx HDF5 file at ``path``; returns the lossy-mapping notes."""
    import h5py

    notes: list[str] = []
    with h5py.File(path, "w") as f:
        f.attrs["producer"] = "snncompile"
        f.attrs["input_scale"] = int(qgraph.input_scale)
        f.attrs["input_graded"] = bool(qgraph.input_graded)
        layers = f.create_group("layer")
        first = layers.create_group("0")
        first.create_dataset("type", data=np.array([b"input"], dtype="S10"))
        first.create_dataset("shape", data=np.array([int(np.prod(qgraph.input_shape))]))
        for index, q in enumerate(qgraph.layers, start=1):
            w, vth, bias, more = _layer_values(q)
            notes += more
            n_out, n_in = w.shape
            g = layers.create_group(str(index))
            g.attrs["name"] = q.name
            g.create_dataset("type", data=np.array([b"dense"], dtype="S10"))
            g.create_dataset("shape", data=np.array([n_out]))
            g.create_dataset("inFeatures", data=n_in)
            g.create_dataset("outFeatures", data=n_out)
            g.create_dataset("weight", data=w.astype(np.float64))
            if np.any(bias != 0):
                g.create_dataset("bias", data=bias.reshape(-1).astype(np.float64))
            if vth is None:
                continue  # readout: netx's default accumulator neuron (module docstring)
            n = g.create_group("neuron")
            n.create_dataset("type", data=np.array([b"CUBA"], dtype="S10"))
            n.create_dataset("iDecay", data=I_DECAY_PASS_THROUGH)
            n.create_dataset("vDecay", data=int(q.neuron_params["dv"]))
            n.create_dataset("vThMant", data=vth)
            n.create_dataset("refDelay", data=0)
            n.create_dataset("gradedSpike", data=False)
    return notes


class NetxBackend(Backend):
    """lava-dl netx HDF5 export (hard-reset CUBA LIF MLPs); see the module docstring.

    Args:
        calibration: time-major sample inputs [T, B, ...] for the Loihi quantiser.
        allow_clamp: clamp unrepresentable values with a warning.
        steps: accepted for CLI symmetry; unused (a netx file has no fixed T).
        quantize: None or ``"loihi"``.
        search: search the per-layer weight clip factor on the calibration data.
    """

    name: ClassVar[str] = "netx"
    capabilities: ClassVar[Capabilities] = Capabilities(
        node_types=frozenset(
            {"Input", "Output", "Flatten", "Affine", "Linear", "SoftLIF", "DALIF"}
        ),
        weight_bits=8,
        state_bits=24,
        synapse_delay_steps=1,
        notes=MappingProxyType(
            {
                "format": "lava-dl netx HDF5 (docs/lava.md §12), written with h5py only",
                "neurons": "hard-reset LIF only (CUBA, du 4095); readout: netx accumulator",
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
    ) -> None:
        if quantize not in (None, "loihi"):
            raise ConfigError(
                f"netx: quantize={quantize!r} is not supported",
                hint="the netx target always quantises to Loihi fixed point; drop --quantize",
            )
        self.calibration = calibration
        self.allow_clamp = allow_clamp
        self.steps = steps
        self.search = search
        self.last_quantization: QuantizedGraph | None = None
        self.last_notes: list[str] = []

    def emit(self, graph: Graph, out_dir: Path) -> Path:
        """Check, quantise and write ``out_dir/model.net``; returns its path."""
        check_netx(extract_chain(graph))
        calibration = None
        if self.calibration is not None:
            calibration = np.asarray(self.calibration, dtype=np.float64)
        qgraph = quantize_loihi(
            graph, calibration, allow_clamp=self.allow_clamp, search=self.search
        )
        self.last_quantization = qgraph
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        path = out / ARTIFACT_NAME
        self.last_notes = write_netx(qgraph, path)
        for note in self.last_notes:
            warnings.warn(f"netx: {note}", stacklevel=2)
        return path

    def simulate(
        self, artifact: Path, inputs: Any, steps: int | None = None
    ) -> dict[str, np.ndarray]:
        """Not supported: running netx files needs lava-dl, which snncompile does not use."""
        raise BackendUnavailableError(
            "the netx target only exports: running a .net file needs lava-dl "
            "(netx.hdf5.Network), which snncompile does not depend on",
            hint="simulate with --target lava (same quantiser), or load the file with lava-dl",
        )
