"""Run exported models with onnxruntime: sessions, input checks and the step-mode loop.

Inputs are always time-major ``[T, B, *shape]`` float32 arrays, whatever the mode; the
result is ``{output name: [T, B, *shape]}``. In ``step`` mode the time loop runs here:
every state starts at zero and ``state.<node>.<var>.next`` feeds ``state.<node>.<var>``
of the next call.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from snncompile.errors import CheckpointError, ConfigError, InputError
from snncompile_onnx.metadata import read_metadata

ModelSource = str | os.PathLike[str] | bytes


def session_options(threads: int | None = None, *, optimize: bool = True) -> ort.SessionOptions:
    """CPU session options: full graph optimisation, ``threads`` intra-op threads."""
    options = ort.SessionOptions()
    options.graph_optimization_level = (
        ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if optimize
        else ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    )
    if threads is not None:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only; no unused-initializer chatter
    return options


def make_session(
    model: ModelSource, threads: int | None = None, *, optimize: bool = True
) -> ort.InferenceSession:
    """An onnxruntime CPU session for a model file or serialized bytes."""
    source = model if isinstance(model, bytes) else str(Path(model))
    try:
        return ort.InferenceSession(
            source, sess_options=session_options(threads, optimize=optimize),
            providers=["CPUExecutionProvider"],
        )  # fmt: skip
    except Exception as exc:  # onnxruntime's Fail/InvalidProtobuf/InvalidGraph/NoSuchFile
        where = "the model bytes" if isinstance(model, bytes) else f"'{model}'"
        reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
        raise CheckpointError(
            f"onnxruntime cannot load {where}: {type(exc).__name__}: {reason}",
            hint="the file is damaged or not a valid ONNX model; export it again with "
            "`snncompile export MODEL --target onnx`",
        ) from exc


def _dims(shape: Sequence[Any]) -> list[str]:
    return [str(d) if isinstance(d, int) else (d or "?") for d in shape]


def _as_feeds(session: ort.InferenceSession, inputs: Any, names: Sequence[str]) -> dict:
    if not isinstance(inputs, Mapping):
        if len(names) != 1:
            raise InputError(
                f"the model has {len(names)} inputs {list(names)} but one array was given",
                hint="pass a dict {input name: [T, B, *shape] float32 array}",
            )
        inputs = {names[0]: inputs}
    missing, extra = sorted(set(names) - set(inputs)), sorted(set(inputs) - set(names))
    if missing or extra:
        raise InputError(
            f"inputs do not match the model's inputs {list(names)}: missing {missing}, "
            f"unknown {extra}",
            hint="give exactly one array per model input, keyed by its name",
        )
    return {name: inputs[name] for name in names}


def check_inputs(
    session: ort.InferenceSession, inputs: Any, names: Sequence[str], time_major_step: bool
) -> dict[str, np.ndarray]:
    """Validate dtype and shape of every input against the model; return the feeds.

    ``time_major_step``: the model takes ``[batch, ...]`` and the caller gives
    ``[T, batch, ...]`` (step mode), so the expectation gets a leading T.
    """
    declared = {i.name: i for i in session.get_inputs()}
    feeds = _as_feeds(session, inputs, names)
    lead: set[tuple[int, int]] = set()
    for name, value in feeds.items():
        expected = list(declared[name].shape)
        if time_major_step:
            expected = ["T", *expected]
        array = np.asarray(value)
        if array.dtype != np.float32:
            raise InputError(
                f"input {name!r} has dtype {array.dtype}, expected float32 "
                f"(shape [{', '.join(_dims(expected))}])",
                node=name,
                hint="convert it with x.astype(np.float32)",
            )
        fixed = [d if isinstance(d, int) else None for d in expected]
        ok = array.ndim == len(expected) and all(
            f is None or f == a for f, a in zip(fixed, array.shape, strict=False)
        )
        if not ok:
            raise InputError(
                f"input {name!r} has shape {list(array.shape)}, expected "
                f"[{', '.join(_dims(expected))}] (time-major)",
                node=name,
                hint="pass [T, batch, *shape]; an unrolled model needs exactly its T steps",
            )
        if array.shape[0] < 1:
            raise InputError(
                f"input {name!r} has shape {list(array.shape)}: no time steps",
                node=name,
                hint="pass at least one step, [T >= 1, batch, *shape]",
            )
        lead.add(tuple(array.shape[:2]))
        feeds[name] = array
    if len(lead) != 1:
        raise InputError(
            f"inputs disagree on [T, B]: {sorted(lead)}",
            hint="every input must have the same number of steps and batch size",
        )
    return feeds


def simulate_onnx(
    path: ModelSource,
    inputs: np.ndarray | Mapping[str, np.ndarray],
    *,
    threads: int | None = None,
    states: bool = False,
    session: ort.InferenceSession | None = None,
) -> dict[str, np.ndarray]:
    """Run an exported model on time-major float32 ``inputs``.

    Args:
        path: the ``.onnx`` file (or its bytes) written by :func:`export_onnx`.
        inputs: ``[T, B, *shape]`` float32 for a one-input model, else ``{name: array}``.
        threads: onnxruntime intra-op threads (None: onnxruntime's default).
        states: step mode only: also return every state trace ``{state name: [T, B, ...]}``.
        session: reuse an existing session for ``path`` (benchmarks).

    Returns:
        ``{output name: [T, B, *shape]}`` (plus state traces when asked).

    Raises:
        InputError: missing inputs, wrong dtype (not float32) or shape.
        ConfigError: the file was not written by snncompile's ONNX backend.
    """
    sess = session if session is not None else make_session(path, threads)
    meta = _metadata(sess, path)
    mode = meta.get("mode")
    if mode not in ("step", "unrolled", "loop"):
        raise ConfigError(
            f"{path if not isinstance(path, bytes) else 'model'} has no snncompile ONNX "
            "metadata (snncompile.mode)",
            hint="simulate models written by snncompile_onnx.export_onnx, or run them with "
            "onnxruntime directly",
        )
    state_rows = meta.get("states", [])
    state_names = {row["name"] for row in state_rows}
    names = [i.name for i in sess.get_inputs() if i.name not in state_names]
    outputs = [o.name for o in sess.get_outputs() if not o.name.startswith("state.")]
    feeds = check_inputs(sess, inputs, names, time_major_step=mode == "step")
    if mode != "step":
        if states:
            raise ConfigError("states=True needs a step-mode model", hint="export mode='step'")
        results = sess.run(outputs, feeds)
        return dict(zip(outputs, results, strict=True))
    return _run_steps(sess, feeds, outputs, state_rows, record_states=states)


def _metadata(sess: ort.InferenceSession, path: ModelSource) -> dict[str, Any]:
    """The snncompile metadata of a session's model, checked enough to run it."""
    try:
        meta = read_metadata(sess.get_modelmeta().custom_metadata_map)
        for row in meta.get("states", []):
            if not (isinstance(row["name"], str) and isinstance(row["next"], str)):
                raise TypeError("state names must be strings")
            if any(int(d) < 0 for d in row["shape"]):
                raise ValueError(f"state {row['name']!r} has a negative dimension")
    except (ValueError, KeyError, TypeError) as exc:
        where = "the model" if isinstance(path, bytes) else f"'{path}'"
        raise CheckpointError(
            f"{where} has malformed snncompile ONNX metadata ({type(exc).__name__}: {exc})",
            hint="the file is damaged; export it again with `snncompile export MODEL --target "
            "onnx`",
        ) from exc
    return meta


def _run_steps(
    sess: ort.InferenceSession,
    feeds: Mapping[str, np.ndarray],
    outputs: Sequence[str],
    state_rows: Sequence[Mapping[str, Any]],
    *,
    record_states: bool,
) -> dict[str, np.ndarray]:
    steps, batch = next(iter(feeds.values())).shape[:2]
    current = {
        row["name"]: np.zeros((batch, *row["shape"]), dtype=np.float32) for row in state_rows
    }
    fetch = [*outputs, *(row["next"] for row in state_rows)]
    traces: dict[str, list[np.ndarray]] = {name: [] for name in outputs}
    if record_states:
        traces.update({row["name"]: [] for row in state_rows})
    for t in range(steps):
        step_feeds = {name: value[t] for name, value in feeds.items()}
        step_feeds.update(current)
        results = sess.run(fetch, step_feeds)
        for name, value in zip(outputs, results, strict=False):
            traces[name].append(value)
        current = {
            row["name"]: value
            for row, value in zip(state_rows, results[len(outputs) :], strict=True)
        }
        if record_states:
            for name, value in current.items():
                traces[name].append(value)
    return {name: np.stack(values) for name, values in traces.items()}
