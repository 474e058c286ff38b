"""Native nodes as NIR primitive subgraphs (docs/neurons.md §9), exact where possible.

All neuron lowerings use forward Euler at the node's dt with unit input gain, and pin
that convention (plus ``>=`` and a same-step reset) with per-node profile overrides, so
the lowered subgraph means the same under any graph profile. With a = 1 − β::

    hard reset (SoftLIF, DA-LIF):  LIF  τ = dt/a, r = g/a, v_leak = v_reset
    soft reset (SoftLIF, PLIF, DA-LIF):
        entry LI (τ = dt/a, r = g/a) -> Threshold(θ) -> Scale(−β·θ/g) --back edge--> LI
        i.e. H[t] = β·H[t−1] + g·X[t] − β·θ·s[t−1], which equals the native update.
    β = 1 (no leak): I (r = g/dt) or IF (r = g/dt) instead of LI / LIF.

g is the input gain: α for DA-LIF, 1 otherwise. "Exact" means equal in real arithmetic;
in floating point τ and r round, so potentials agree to a few ulps and spikes agree
except on exact threshold ties. CLIF and ILIF have no exact form: their approximation
(:data:`APPROXIMATION`: soft-reset LIF, extra state dropped) is produced only on request
(``allow_inexact``). The forms are the table :data:`NIR_FORMS`, keyed by IR class.
BatchNorm becomes a diagonal Affine (1-D samples) or a dense 1×1 Conv (C, ...).
MaxPool2d of binary spikes becomes ``SumPool2d`` (member ``sum``) then ``Threshold(0.5)``
(the group's own name, pinned to binary spikes): the window holds a spike iff its sum is
>= 1 (:mod:`snncompile.ir.max_pool`); of other values it has no NIR form. A form's
``precondition`` states such a graph-dependent limit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import nir
import numpy as np

from snncompile.errors import UnsupportedNodeError
from snncompile.ir.export_checks import check_dalif_exportable
from snncompile.ir.max_pool import SPIKE_THRESHOLD, require_spike_input
from snncompile.ir.native_layers import BatchNorm, MaxPool2d
from snncompile.ir.native_neurons import CLIF, DALIF, ILIF, PLIF, SoftLIF
from snncompile.ir.nodes import kind_of, type_name
from snncompile.ir.profile import ExecutionProfile
from snncompile.ir.shapes import Shape, pool_output

if TYPE_CHECKING:
    from snncompile.ir.graph import Graph

#: Profile fields the lowered primitives rely on (applied as per-node overrides).
NEURON_PIN: dict[str, Any] = {
    "integrator": "euler",
    "input_gain": "nir",
    "tau_scale": 1.0,
    "compare": ">=",
    "reset": "to_value",
    "reset_timing": "same_step",
    "spike_mode": "binary",
    "refractory": 0,
}
THRESHOLD_PIN: dict[str, Any] = {"compare": ">=", "spike_mode": "binary"}


@dataclass(frozen=True)
class Lowering:
    """A node rewritten as primitives. Suffix "" names the single node of a 1-node form.

    Attributes:
        nodes: suffix -> NIR node; the full name is ``f"{name}.{suffix}"`` (or ``name``).
        edges: internal edges between suffixes (the feedback edge is a back edge).
        entry: suffix that receives the node's inputs.
        exit: suffix that produces the node's output.
        pins: suffix -> profile fields the primitive needs.
        exact: False for an approximation.
        note: one line describing the form.
    """

    nodes: dict[str, Any]
    edges: tuple[tuple[str, str], ...] = ()
    entry: str = ""
    exit: str = ""
    pins: dict[str, dict[str, Any]] = field(default_factory=dict)
    exact: bool = True
    note: str = ""

    def full_name(self, name: str, suffix: str) -> str:
        """The graph name of member ``suffix`` of lowered node ``name``."""
        return f"{name}.{suffix}" if suffix else name


#: The one description of the CLIF/ILIF approximation, used by the NIR export message,
#: ``inspect`` and the docs (docs/extending.md): the LIF with the same leak and threshold
#: and a soft reset by θ; the extra state and its state-dependent reset are dropped.
APPROXIMATION = "soft-reset LIF with the same tau and theta"

#: What each approximated model loses (named in the lowering's note).
_DROPPED: dict[type, str] = {CLIF: "complementary state m", ILIF: "inhibition I and M"}

Lower = Callable[[str, Any, ExecutionProfile, "Shape | None"], Lowering]


@dataclass(frozen=True)
class NirForm:
    """How one native IR class is written with NIR primitives.

    Attributes:
        lower: ``lower(name, node, profile, in_shape)`` -> the primitive form.
        exact: False when the form is an approximation (written only on request).
        describe: node -> one line naming the form, for reports (``inspect``).
        precondition: ``precondition(graph, name)`` raises UnsupportedNodeError when the
            form does not apply to that node of that graph (MaxPool2d of non-spike
            values); None: it always applies.
    """

    lower: Lower
    exact: bool
    describe: Callable[[Any], str]
    precondition: Callable[[Graph, str], None] | None = None


def _lower_dalif(name: str, node: Any, profile: ExecutionProfile, in_shape: Any) -> Lowering:
    check_dalif_exportable(name, node)
    pop = node.v_threshold.shape
    alpha = np.broadcast_to(_channel(node.alpha, pop), pop)
    beta = np.broadcast_to(_channel(node.beta, pop), pop)
    dt = float(profile.dt)
    return lif_form(name, node, beta, alpha, node.v_threshold, None, node.reset, dt)


def _lower_softlif(name: str, node: Any, profile: ExecutionProfile, in_shape: Any) -> Lowering:
    v_reset = node.v_reset_or_zero if node.reset == "hard" else None
    dt = float(profile.dt)
    return lif_form(name, node, node.beta, None, node.v_threshold, v_reset, node.reset, dt)


def _lower_plif(name: str, node: Any, profile: ExecutionProfile, in_shape: Any) -> Lowering:
    dt = float(profile.dt)
    return lif_form(name, node, node.beta, None, node.v_threshold, None, "soft", dt)


def approximate_as_lif(name: str, node: Any, profile: ExecutionProfile, in_shape: Any) -> Lowering:
    """The CLIF/ILIF approximation (:data:`APPROXIMATION`): β = 1 − 1/τ, soft reset by θ."""
    beta = 1.0 - 1.0 / node.tau
    low = lif_form(name, node, beta, None, node.v_threshold, None, "soft", float(profile.dt))
    return Lowering(
        low.nodes,
        low.edges,
        low.entry,
        low.exit,
        low.pins,
        exact=False,
        note=f"approximation: {APPROXIMATION} (drops {_DROPPED[type(node)]})",
    )


def _lower_bn(name: str, node: Any, profile: ExecutionProfile, in_shape: Any) -> Lowering:
    return _lower_batchnorm(node, in_shape)


def _lower_max_pool(name: str, node: Any, profile: ExecutionProfile, in_shape: Any) -> Lowering:
    if in_shape is None:
        raise UnsupportedNodeError(
            f"MaxPool2d {name!r}: its input shape is unknown, so the threshold population "
            "of its primitive form cannot be sized",
            node=name,
            hint="run the infer_shapes pass first",
        )
    window = nir.SumPool2d(
        np.array(node.kernel_size), np.array(node.stride), np.array(node.padding)
    )
    out = pool_output(node, tuple(in_shape))
    threshold = nir.Threshold(threshold=np.full(out, SPIKE_THRESHOLD, dtype=np.float32))
    return Lowering(
        {"sum": window, "": threshold},
        (("sum", ""),),
        entry="sum",
        exit="",
        pins={"": THRESHOLD_PIN},
        note="SumPool2d + Threshold(0.5) on spikes",
    )


def _nir_max_pool_applies(graph: Graph, name: str) -> None:
    require_spike_input(graph, name, "nir")


def _describe_lif(node: Any) -> str:
    if getattr(node, "reset", "soft") == "hard":
        return "LIF (Euler, v_leak = v_reset)"
    return "LI + Threshold + Scale feedback"


#: Native IR class -> its NIR form. NIR classes (``NodeKind.native`` False) need no entry:
#: they are written as they are. A new native node type adds its entry here
#: (docs/extending.md); a coverage test checks that every native NODE_TYPES class has one.
NIR_FORMS: dict[type, NirForm] = {
    BatchNorm: NirForm(_lower_bn, True, lambda n: "diagonal Affine / 1x1 Conv (or folded)"),
    SoftLIF: NirForm(_lower_softlif, True, _describe_lif),
    PLIF: NirForm(_lower_plif, True, _describe_lif),
    DALIF: NirForm(_lower_dalif, True, _describe_lif),
    CLIF: NirForm(approximate_as_lif, False, lambda n: f"approximation: {APPROXIMATION}"),
    ILIF: NirForm(approximate_as_lif, False, lambda n: f"approximation: {APPROXIMATION}"),
    MaxPool2d: NirForm(
        _lower_max_pool,
        True,
        lambda n: "SumPool2d + Threshold(0.5) (spike input only)",
        _nir_max_pool_applies,
    ),
}


def lowering_status(node: Any) -> tuple[str, str]:
    """(status, form) for reports: status is "primitive", "exact", "native-only" (only
    the approximation exists: NIR export writes it with a LossyConversionWarning) or
    "unknown"."""
    entry = NIR_FORMS.get(type(node))
    if entry is not None:
        form = entry.describe(node)
        if entry.exact:
            return "exact", form
        return "native-only", f"no exact NIR form; NIR files get the {form}"
    kind = kind_of(node)
    if kind is not None and not kind.native:
        return "primitive", type_name(node)
    return "unknown", type_name(node)


def check_form_applies(graph: Graph, name: str) -> None:
    """Raise when the NIR form of node ``name`` does not apply in ``graph`` (its
    :attr:`NirForm.precondition`); NIR primitives and unconditional forms always apply.

    Raises:
        UnsupportedNodeError: naming the node and the fix.
    """
    entry = NIR_FORMS.get(type(graph.nodes[name]))
    if entry is not None and entry.precondition is not None:
        entry.precondition(graph, name)


def lower_native(
    name: str,
    node: Any,
    profile: ExecutionProfile,
    in_shape: Shape | None = None,
    *,
    allow_inexact: bool = False,
) -> Lowering | None:
    """The primitive form of native ``node`` (from :data:`NIR_FORMS`), or None when it is
    already a NIR primitive.

    Raises:
        UnsupportedNodeError: no exact form exists (CLIF/ILIF without ``allow_inexact``,
            DA-LIF outside its export range, β mixing 1 and < 1 in one population), or
            a native node type has no NIR form at all.
    """
    entry = NIR_FORMS.get(type(node))
    if entry is None:
        kind = kind_of(node)
        if kind is not None and not kind.native:
            return None
        raise UnsupportedNodeError(
            f"node {name!r} ({type_name(node)}) has no NIR form",
            node=name,
            hint="keep it on a target with native support, or add its entry to "
            "snncompile.ir.lowering.NIR_FORMS (docs/extending.md)",
        )
    if not entry.exact and not allow_inexact:
        shape = list(node.v_threshold.shape) if hasattr(node, "v_threshold") else "?"
        raise UnsupportedNodeError(
            f"node {name!r} ({type_name(node)}, population {shape}) has no "
            "exact form in NIR primitives (second state, state-dependent reset)",
            node=name,
            hint="keep it native (targets with a custom neuron), or opt in to the "
            "approximate soft-reset LIF form",
        )
    return entry.lower(name, node, profile, in_shape)


def _channel(value: np.ndarray, pop: tuple[int, ...]) -> np.ndarray:
    """A per-neuron, per-channel (C,) or per-layer (1,) array broadcastable to ``pop``."""
    if value.shape == pop or value.shape == (1,):
        return value
    return value.reshape((value.shape[0],) + (1,) * (len(pop) - 1))


def lif_form(
    name: str,
    node: Any,
    beta: np.ndarray,
    gain: np.ndarray | None,
    theta: np.ndarray,
    v_reset: np.ndarray | None,
    reset: str,
    dt: float,
) -> Lowering:
    """The exact NIR form of H = β·V + g·X, s = [H >= θ], soft (V = H − θ·s) or hard
    (V = v_r after a spike, charging toward v_r) reset: see the module docstring.
    Neuron forms of :data:`NIR_FORMS` build on it (``gain`` None means g = 1).

    Raises:
        UnsupportedNodeError: β mixes 1 and < 1 in one population.
    """
    dtype = np.result_type(theta.dtype, np.asarray(beta).dtype)
    b = np.asarray(beta, dtype=np.float64)
    g = np.ones_like(b) if gain is None else np.asarray(gain, dtype=np.float64)
    leaky = b < 1
    if np.any(leaky) and not np.all(leaky):
        raise UnsupportedNodeError(
            f"node {name!r} ({type_name(node)}) mixes beta == 1 (no leak) and beta < 1 in one "
            f"population {list(theta.shape)}; NIR has no single neuron type for both",
            node=name,
            hint="split the layer, or keep it native",
        )
    cast = lambda x: np.asarray(x, dtype=dtype)  # noqa: E731
    theta64 = theta.astype(np.float64)
    if reset == "hard":
        vr = (np.zeros_like(theta64) if v_reset is None else v_reset).astype(np.float64)
        if np.all(leaky):
            a = 1.0 - b
            lif = nir.LIF(
                tau=cast(dt / a),
                r=cast(g / a),
                v_leak=cast(vr),
                v_threshold=cast(theta64),
                v_reset=cast(vr),
            )
            return Lowering({"": lif}, pins={"": NEURON_PIN}, note="LIF")
        neuron = nir.IF(r=cast(g / dt), v_threshold=cast(theta64), v_reset=cast(vr))
        return Lowering({"": neuron}, pins={"": NEURON_PIN}, note="IF")
    if np.all(leaky):
        a = 1.0 - b
        entry, integrator = "li", nir.LI(tau=cast(dt / a), r=cast(g / a), v_leak=cast(0 * b))
    else:
        entry, integrator = "i", nir.I(r=cast(g / dt))
    members = {
        entry: integrator,
        "threshold": nir.Threshold(threshold=cast(theta64)),
        "reset": nir.Scale(scale=cast(-b * theta64 / g)),
    }
    edges = ((entry, "threshold"), ("threshold", "reset"), ("reset", entry))
    pins = {entry: NEURON_PIN, "threshold": THRESHOLD_PIN}
    form = "LI" if entry == "li" else "I"
    return Lowering(members, edges, entry, "threshold", pins, note=f"{form}+Threshold+Scale")


def _lower_batchnorm(node: BatchNorm, in_shape: Shape | None) -> Lowering:
    if in_shape is None:
        raise UnsupportedNodeError(
            "BatchNorm input shape is unknown, so its primitive form cannot be chosen",
            hint="run the infer_shapes pass first",
        )
    scale, shift = node.scale_shift()
    channels = scale.shape[0]
    if len(in_shape) == 1:
        prim: Any = nir.Affine(weight=np.diag(scale), bias=shift)
    else:
        spatial = in_shape[1:]
        weight = np.zeros((channels, channels) + (1,) * len(spatial), dtype=scale.dtype)
        weight[(np.arange(channels), np.arange(channels)) + (0,) * len(spatial)] = scale
        conv = nir.Conv1d if len(spatial) == 1 else nir.Conv2d
        if len(spatial) > 2:
            raise UnsupportedNodeError(
                f"BatchNorm over a {len(in_shape)}-D sample {list(in_shape)} has no NIR form",
                hint="fold it into the preceding convolution (fold_batchnorm)",
            )
        shape_arg = spatial[0] if len(spatial) == 1 else tuple(spatial)
        prim = conv(shape_arg, weight, 1, 0, 1, 1, shift)
    return Lowering({"": prim}, note="diagonal Affine / 1x1 Conv")
