"""Recorded activity: per layer, its static description plus the arrays a run produced.

Any run can fill an :class:`ActivityRecord`: a torch model (forward hooks), the
reference simulator (:func:`snncompile.energy.from_ir.activity_from_run`), a Lava or an
ONNX run. Arrays are **time-major**, ``[T, B, *shape]`` (T time steps, B samples), and are
what was *measured*, never assumed rates.

- ``DenseSpec``/``ConvSpec``/``PoolSpec``/``ScaleSpec`` need ``inputs``: what arrived at
  the layer at every step.
- ``NeuronSpec`` needs ``outputs``: spikes (binary, or graded values). Optional:
  ``inputs`` (the summed synaptic input X[t], for active/inactive updates) and ``state``
  (the membrane V[t] after the update, for NeuroBench's ``MembraneUpdates``).

Records can be saved to and loaded from ``.npz`` (:meth:`ActivityRecord.save`), so a run
in another process or environment can hand its activity to the report. A record may also
carry ``groups`` (neuron layer -> the synaptic layers feeding it, for the chip resource
estimate, as :func:`snncompile.energy.from_ir.synapse_groups` gives them) and free
``metadata`` (the model, the input file, the engine that ran it); both travel in the file.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from snncompile.energy.layers import (
    ConvSpec,
    DenseSpec,
    LayerSpec,
    NeuronSpec,
    PoolSpec,
    ScaleSpec,
)
from snncompile.errors import ConfigError, InputError
from snncompile.outputs import check_output, write_atomic

_SPEC_TYPES: dict[str, type] = {
    "DenseSpec": DenseSpec,
    "ConvSpec": ConvSpec,
    "PoolSpec": PoolSpec,
    "ScaleSpec": ScaleSpec,
    "NeuronSpec": NeuronSpec,
}
_ARRAY_FIELDS = {"DenseSpec": ("weight",), "ConvSpec": ("weight",), "ScaleSpec": ("scale",)}


@dataclass(frozen=True, eq=False)
class LayerActivity:
    """One layer: its static description and its recorded arrays (``[T, B, ...]``)."""

    name: str
    spec: LayerSpec
    inputs: np.ndarray | None = None
    outputs: np.ndarray | None = None
    state: np.ndarray | None = None

    @property
    def timesteps(self) -> int:
        """T of the recorded arrays."""
        return int(self._first.shape[0])

    @property
    def samples(self) -> int:
        """B of the recorded arrays."""
        return int(self._first.shape[1])

    @property
    def _first(self) -> np.ndarray:
        for array in (self.inputs, self.outputs, self.state):
            if array is not None:
                return array
        raise AssertionError("LayerActivity without arrays")  # prevented by ActivityRecord.add


class ActivityRecord:
    """An ordered collection of :class:`LayerActivity` sharing one T and one B.

    ``groups`` (neuron layer -> synaptic layers, or None: execution order) and
    ``metadata`` (JSON-friendly) are saved with the arrays.
    """

    def __init__(
        self,
        *,
        groups: Mapping[str, Sequence[str]] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self._layers: dict[str, LayerActivity] = {}
        self.groups: dict[str, list[str]] | None = (
            None if groups is None else {k: list(v) for k, v in groups.items()}
        )
        self.metadata: dict[str, Any] = dict(metadata or {})

    def add(
        self,
        name: str,
        spec: LayerSpec,
        *,
        inputs: Any = None,
        outputs: Any = None,
        state: Any = None,
    ) -> LayerActivity:
        """Add one layer's description and recorded arrays (time-major ``[T, B, ...]``).

        Raises:
            ConfigError: a duplicate name or a spec that is not a layer spec.
            InputError: missing arrays, wrong rank, T or B differing from other layers,
                or NaN/Inf values.
        """
        if name in self._layers:
            raise ConfigError(f"activity record: layer {name!r} added twice", node=name)
        if type(spec).__name__ not in _SPEC_TYPES:
            raise ConfigError(
                f"activity record: layer {name!r} has spec type {type(spec).__name__}",
                node=name,
                hint=f"use one of {sorted(_SPEC_TYPES)}",
            )
        arrays = {k: _as_array(v, name, k) for k, v in (("inputs", inputs), ("outputs", outputs))}
        arrays["state"] = _as_array(state, name, "state")
        needed = "outputs" if isinstance(spec, NeuronSpec) else "inputs"
        if arrays[needed] is None:
            raise InputError(
                f"activity record: layer {name!r} ({type(spec).__name__}) has no recorded {needed}",
                node=name,
                hint=f"pass {needed}= as a [T, B, ...] array",
            )
        layer = LayerActivity(name, spec, **arrays)
        self._check_tb(layer)
        self._layers[name] = layer
        return layer

    def _check_tb(self, layer: LayerActivity) -> None:
        shapes = {
            k: a.shape[:2]
            for k, a in (
                ("inputs", layer.inputs),
                ("outputs", layer.outputs),
                ("state", layer.state),
            )
            if a is not None
        }
        reference = next(iter(self._layers.values()), layer)
        expected = (reference.timesteps, reference.samples)
        for key, tb in shapes.items():
            if tuple(tb) != expected:
                raise InputError(
                    f"activity record: {layer.name}.{key} has [T, B] = {list(tb)}, but the "
                    f"record has {list(expected)}",
                    node=layer.name,
                    hint="record every layer over the same time steps and samples, "
                    "time-major [T, B, ...]",
                )

    def __iter__(self) -> Iterator[LayerActivity]:
        return iter(self._layers.values())

    def __len__(self) -> int:
        return len(self._layers)

    def __getitem__(self, name: str) -> LayerActivity:
        return self._layers[name]

    @property
    def timesteps(self) -> int:
        """T (0 for an empty record)."""
        return next(iter(self), None).timesteps if self._layers else 0  # type: ignore[union-attr]

    @property
    def samples(self) -> int:
        """B (0 for an empty record)."""
        return next(iter(self), None).samples if self._layers else 0  # type: ignore[union-attr]

    def save(self, path: str | Path, *, force: bool = False) -> Path:
        """Write the record to a compressed ``.npz`` (specs as JSON, arrays as arrays).

        The path is checked first; the bytes go to a temporary sibling that is renamed
        into place, so a failed write never leaves a partial record.

        Raises:
            ConfigError: the suffix is not ``.npz``, the record is empty, or ``path``
                exists and ``force`` is false.
            OutputError: the folder is missing or not writable, the disk is full, ...
        """
        path = check_activity_path(path, force=force)
        if not self._layers:
            raise ConfigError(
                "cannot save an empty activity record", hint="add layers with record.add()"
            )
        payload: dict[str, Any] = {}
        index = []
        for i, layer in enumerate(self):
            spec_type = type(layer.spec).__name__
            fields = {
                k: v
                for k, v in vars(layer.spec).items()
                if k not in _ARRAY_FIELDS.get(spec_type, ())
            }
            index.append({"name": layer.name, "type": spec_type, "fields": fields})
            for key in _ARRAY_FIELDS.get(spec_type, ()):
                payload[f"{i}.spec.{key}"] = getattr(layer.spec, key)
            for key in ("inputs", "outputs", "state"):
                array = getattr(layer, key)
                if array is not None:
                    payload[f"{i}.{key}"] = array
        payload["index"] = np.array(json.dumps(index, default=_json_default))
        extra = {"format": FORMAT_ID, "groups": self.groups, "metadata": self.metadata}
        payload["meta"] = np.array(json.dumps(extra, default=_json_default))

        def write(tmp: Path) -> None:
            with tmp.open("wb") as fh:  # a file object: numpy adds no second ".npz"
                np.savez_compressed(fh, **payload)

        return write_atomic(path, write, force=force)

    @classmethod
    def load(cls, path: str | Path) -> ActivityRecord:
        """Read a record written by :meth:`save`.

        Raises:
            InputError: the file is not an activity record.
        """
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = dict(data)
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
            raise InputError(
                f"cannot read activity record {str(path)!r}: {type(exc).__name__}: {exc}",
                hint="write it with ActivityRecord.save()",
            ) from exc
        if "index" not in arrays:
            raise InputError(
                f"{str(path)!r} is not an activity record (no 'index' entry)",
                hint="write it with ActivityRecord.save()",
            )
        try:
            return cls._from_arrays(arrays)
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
            # InputError/ConfigError (a ValueError subclass or not) keep their own message
            if isinstance(exc, (InputError, ConfigError)):
                raise InputError(
                    f"{str(path)!r} is not a valid activity record: {exc.message}",
                    node=getattr(exc, "node", None),
                    hint="write it with ActivityRecord.save() from one run",
                ) from exc
            raise InputError(
                f"{str(path)!r} is not a valid activity record: {type(exc).__name__}: {exc}",
                hint="write it with ActivityRecord.save()",
            ) from exc

    @classmethod
    def _from_arrays(cls, arrays: dict[str, np.ndarray]) -> ActivityRecord:
        meta = json.loads(str(arrays["meta"])) if "meta" in arrays else {}
        if not isinstance(meta, dict):
            raise TypeError("the 'meta' entry is not a JSON object")
        groups = meta.get("groups")
        if groups is not None and not (
            isinstance(groups, dict)
            and all(
                isinstance(v, list) and all(isinstance(n, str) for n in v) for v in groups.values()
            )
        ):
            raise TypeError("'groups' must map neuron layers to lists of layer names")
        record = cls(groups=groups, metadata=meta.get("metadata") or {})
        for i, entry in enumerate(json.loads(str(arrays["index"]))):
            spec_type = _SPEC_TYPES[entry["type"]]
            fields = dict(entry["fields"])
            for key in _ARRAY_FIELDS.get(entry["type"], ()):
                fields[key] = arrays[f"{i}.spec.{key}"]
            for key, value in list(fields.items()):
                if isinstance(value, list) and key in ("shape", "input_shape"):
                    fields[key] = tuple(value)
            record.add(
                entry["name"],
                spec_type(**fields),
                **{k: arrays.get(f"{i}.{k}") for k in ("inputs", "outputs", "state")},
            )
        if not record._layers:
            raise ValueError("it holds no layers")
        for neuron, synapses in (record.groups or {}).items():
            named = synapses if neuron == _UNASSIGNED else [neuron, *synapses]
            unknown = [n for n in named if n not in record._layers]
            if unknown:
                raise ValueError(f"its groups name layers it does not hold: {unknown}")
        return record


#: The ``format`` written in a record's ``meta`` entry.
FORMAT_ID = "snncompile.activity/1"
_UNASSIGNED = "(unassigned synapses)"  # synapse_groups' key for synapses feeding no neuron


def check_activity_path(path: str | Path, *, force: bool = False) -> Path:
    """Check that an activity record may be written to ``path`` (suffix ``.npz``, not
    existing unless ``force``, writable folder). Call it before the run that fills it.

    Raises:
        ConfigError: another suffix, or ``path`` exists and ``force`` is false.
        OutputError: the folder is missing or not writable.
    """
    path = Path(path)
    if path.suffix.lower() != ".npz":
        raise ConfigError(
            f"cannot write an activity record to '{path}': its suffix is not .npz",
            hint="name it e.g. activity.npz (reports are .json, .md or .html)",
        )
    check_output(path, force=force)
    return path


def _as_array(value: Any, name: str, key: str) -> np.ndarray | None:
    if value is None:
        return None
    array = np.asarray(value)
    if array.dtype == bool:
        array = array.astype(np.uint8)
    if array.dtype.kind not in "biuf":
        raise InputError(
            f"activity record: {name}.{key} has dtype {array.dtype}, expected numbers",
            node=name,
            hint="pass numpy arrays (call .detach().cpu().numpy() on torch tensors)",
        )
    if array.ndim < 2:
        raise InputError(
            f"activity record: {name}.{key} has shape {list(array.shape)}; expected "
            "time-major [T, B, ...]",
            node=name,
            hint="add the time and batch axes, e.g. x[:, None] for one sample",
        )
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise InputError(
            f"activity record: {name}.{key} contains NaN or Inf", node=name, hint="check the run"
        )
    return array


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
