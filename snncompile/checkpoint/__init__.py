"""Code-free checkpoints: ``snncompile.save(model, path, example_input=x)`` and
``snncompile.load(path)``.

File format (version 1): a ``torch.save`` of one plain dict that
``torch.load(path, weights_only=True)`` opens (tensors, strings, numbers, lists, dicts,
tuples; no pickled classes or functions):

| key | content |
|---|---|
| ``format`` | ``"snncompile.checkpoint"`` |
| ``format_version`` | ``1``; a reader refuses newer versions |
| ``snncompile_version``, ``torch_version`` | versions that wrote the file |
| ``model_class`` | class name of the saved model (the rebuilt GraphModule's name) |
| ``step_mode`` | ``"m"`` time-major, ``"s"`` per-step (example one step ``[B, ...]``) |
| ``architecture`` | the model's structure as plain data, see below |
| ``inputs`` | ``[{name, shape, dtype}]`` of the example input |
| ``output`` | shape and dtype of the model's output on it |
| ``example_data`` | the example input's tensors (None above 4 MiB; older files lack it) |
| ``state_dict`` | CPU tensors, keys as in the original model |
| ``weights_sha256`` | sha256 over sorted keys, dtypes, shapes and raw bytes |
| ``metadata`` | the caller's JSON-able dict (training command, accuracy, ...) |

``architecture`` holds:

- ``graph``: the fx nodes in order, each ``{name, op, target, args, kwargs}``; functions
  are stored by name from a fixed table (``"operator.add"``), node references as
  ``{"node": name}``;
- ``modules``: ``{dotted path: {type, config[, children]}}`` for every called leaf
  module: neurons via ``get_config()``, torch layers via their constructor arguments,
  ``TimeDistributed`` and ``Sequential`` with their children described recursively;
- ``attributes``: the tensors read by ``get_attr`` nodes (parameter or buffer);
- ``containers``: class names of the traced-through modules (the nested structure, for
  readers; loading does not need them).

``step_mode`` (absent in older files) must equal the rebuilt neurons' mode: a per-step
model has every neuron in ``step_mode="s"`` (:mod:`snncompile.frontend.step_mode`), so the
loaded model takes the layout the saved one took.

Supported layers: see :func:`snncompile.checkpoint.specs.checkpoint_specs`; supported
functions and tensor methods: :mod:`snncompile.frontend.ops`.
"""

from __future__ import annotations

from snncompile.checkpoint.file_io import weights_sha256
from snncompile.checkpoint.reader import load, load_info
from snncompile.checkpoint.writer import FORMAT_TAG, FORMAT_VERSION, build_checkpoint, save

__all__ = [
    "FORMAT_TAG",
    "FORMAT_VERSION",
    "build_checkpoint",
    "load",
    "load_info",
    "save",
    "weights_sha256",
]
