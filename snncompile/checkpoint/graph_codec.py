"""fx graph ⇄ plain data (the ``architecture`` entry of a checkpoint).

Encoding, one record per fx node in order::

    {"name": "conv1", "op": "call_module", "target": "conv1",
     "args": [{"node": "x"}], "kwargs": {}}

Argument values are None, bool, int, float, str, lists, and single-key tagged dicts:
``{"node": name}`` (an earlier node's output), ``{"tuple": [...]}``, ``{"dict": {...}}``.
``call_function`` targets are stored by name (``"operator.add"``) from a fixed table,
``call_method`` targets by method name; modules are described by their spec (type name,
config, children). Decoding validates every name before fx generates code from it, so a
crafted file cannot inject code through node names or targets.
"""

from __future__ import annotations

import keyword
from typing import Any

import torch
from torch import fx, nn

from snncompile.errors import CheckpointError, TraceError
from snncompile.frontend import (
    SUPPORTED_FUNCTIONS,
    SUPPORTED_METHODS,
    SpecTable,
    function_name,
    module_from_spec,
    module_hint,
    module_to_spec,
    stack_hint,
)
from snncompile.frontend.ops import describe_target

_OPS = ("placeholder", "get_attr", "call_function", "call_method", "call_module", "output")


# -- encoding ------------------------------------------------------------------------


def _encode_value(value: Any, where: str) -> Any:
    if isinstance(value, fx.Node):
        return {"node": value.name}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, tuple):
        return {"tuple": [_encode_value(v, where) for v in value]}
    if isinstance(value, list):
        return [_encode_value(v, where) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"dict": {k: _encode_value(v, where) for k, v in value.items()}}
    raise TraceError(
        f"{where}: argument {value!r} of type {type(value).__name__} is not supported",
        node=where,
        hint="pass only tensors, numbers, strings and lists/tuples of them between layers",
    )


def _unsupported_op(node: fx.Node, what: str, supported: str) -> TraceError:
    return TraceError(
        f"unsupported {what} at node '{node.name}'{module_hint(node)}{stack_hint(node)}; "
        f"supported: {supported}",
        node=node.name,
        hint="express it with supported layers and operations (e.g. nn.Flatten instead of "
        "a view on computed shapes)",
    )


def _encode_target(node: fx.Node) -> str:
    if node.op == "call_function":
        name = function_name(node.target)
        if name is None:
            raise _unsupported_op(
                node, f"function {describe_target(node.target)}", ", ".join(SUPPORTED_FUNCTIONS)
            )
        return name
    if node.op == "call_method" and node.target not in SUPPORTED_METHODS:
        raise _unsupported_op(
            node,
            f"tensor method .{node.target}()",
            ", ".join(f".{m}()" for m in sorted(SUPPORTED_METHODS)),
        )
    return str(node.target)


def _attribute_record(gm: fx.GraphModule, target: str) -> dict[str, Any]:
    """Parameter or buffer read by a ``get_attr`` node (its value is in the state_dict)."""
    owner_path, _, name = target.rpartition(".")
    owner = gm.get_submodule(owner_path)
    value = owner._parameters.get(name, owner._buffers.get(name))
    if not isinstance(value, torch.Tensor):  # fx copies plain tensors in as buffers
        raise TraceError(
            f"forward reads '{target}', which is not a tensor parameter or buffer",
            node=target,
            hint="register tensors with nn.Parameter or register_buffer",
        )
    return {
        "kind": "parameter" if name in owner._parameters else "buffer",
        "requires_grad": bool(value.requires_grad),
    }


def encode_graph(gm: fx.GraphModule, model: nn.Module, specs: SpecTable) -> dict[str, Any]:
    """The ``architecture`` record of a traced model.

    Raises:
        TraceError: a leaf module not in ``specs``, or an unsupported function, method
            or argument value; the message names the node or module path.
    """
    nodes: list[dict[str, Any]] = []
    modules: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    for node in gm.graph.nodes:
        where = f"node '{node.name}'"
        target = _encode_target(node)
        if node.op == "call_module" and target not in modules:
            modules[target] = module_to_spec(gm.get_submodule(target), target, specs)
        elif node.op == "get_attr":
            attributes[target] = _attribute_record(gm, target)
        nodes.append(
            {
                "name": node.name,
                "op": node.op,
                "target": target,
                "args": [_encode_value(a, where) for a in node.args],
                "kwargs": {k: _encode_value(v, where) for k, v in node.kwargs.items()},
            }
        )
    return {
        "graph": nodes,
        "modules": modules,
        "attributes": attributes,
        "containers": _containers(model, modules),
    }


def _containers(model: nn.Module, modules: dict[str, Any]) -> dict[str, str]:
    """Class names of the traced-through modules above each leaf (for readers)."""
    found = {"": type(model).__name__}
    for path in modules:
        parts = path.split(".")
        for i in range(1, len(parts)):
            prefix = ".".join(parts[:i])
            found.setdefault(prefix, type(model.get_submodule(prefix)).__name__)
    return found


# -- decoding ------------------------------------------------------------------------


def _damaged(message: str) -> CheckpointError:
    return CheckpointError(
        f"the checkpoint's architecture is invalid: {message}",
        hint="the file is damaged or was not written by snncompile.save; save the model again",
    )


def _check_name(name: Any, what: str) -> str:
    """A Python identifier that is neither a keyword nor a ``__dunder__`` name."""
    if not (
        isinstance(name, str)
        and name.isidentifier()
        and not keyword.iskeyword(name)
        and not (name.startswith("__") and name.endswith("__"))
    ):
        raise _damaged(f"{what} {name!r} is not a valid name (identifiers, no __dunder__)")
    return name


def _check_path(path: Any, what: str) -> str:
    if not isinstance(path, str):
        raise _damaged(f"{what} {path!r} is not a string")
    for part in path.split("."):
        if not part.isdigit():
            _check_name(part, what)
    return path


def _decode_value(value: Any, env: dict[str, fx.Node]) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [_decode_value(v, env) for v in value]
    if isinstance(value, dict) and len(value) == 1:
        ((tag, inner),) = value.items()
        if tag == "node":
            if inner not in env:
                raise _damaged(f"reference to unknown or later node {inner!r}")
            return env[inner]
        if tag == "tuple" and isinstance(inner, list):
            return tuple(_decode_value(v, env) for v in inner)
        if tag == "dict" and isinstance(inner, dict):
            return {_check_name(k, "keyword"): _decode_value(v, env) for k, v in inner.items()}
    raise _damaged(f"unreadable argument {value!r}")


def _decode_target(op: str, target: Any) -> Any:
    if op == "call_function":
        if target not in SUPPORTED_FUNCTIONS:
            raise _damaged(f"unknown function {target!r}")
        return SUPPORTED_FUNCTIONS[target]
    if op == "call_method":
        if target not in SUPPORTED_METHODS:
            raise _damaged(f"unknown tensor method {target!r}")
        return target
    if op in ("call_module", "get_attr"):
        return _check_path(target, f"{op} target")
    return _check_name(target, f"{op} target")


def _decode_nodes(records: Any) -> fx.Graph:
    if not isinstance(records, list) or not records:
        raise _damaged("the node list is missing or empty")
    graph = fx.Graph()
    env: dict[str, fx.Node] = {}
    for rec in records:
        if not isinstance(rec, dict) or rec.get("op") not in _OPS:
            raise _damaged(f"bad node record {rec!r}")
        op, name = rec["op"], _check_name(rec.get("name"), "node name")
        args, kwargs = rec.get("args"), rec.get("kwargs")
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise _damaged(f"node {name!r} has malformed args/kwargs")
        dec_args = tuple(_decode_value(a, env) for a in args)
        dec_kwargs = {_check_name(k, "keyword"): _decode_value(v, env) for k, v in kwargs.items()}
        if op == "output":
            if rec is not records[-1] or len(dec_args) != 1:
                raise _damaged("the output node must be the last node and have one argument")
            graph.output(dec_args[0])
            graph.lint()
            return graph
        node = graph.create_node(
            op, _decode_target(op, rec.get("target")), dec_args, dec_kwargs, name=name
        )
        env[name] = node
    raise _damaged("the graph has no output node")


def decode_graph(
    architecture: Any, state_dict: dict[str, torch.Tensor], specs: SpecTable, class_name: str
) -> fx.GraphModule:
    """Rebuild a GraphModule (fresh modules; load the state_dict afterwards).

    Raises:
        CheckpointError: malformed records, unknown module types or functions.
        ConfigError: a module config its layer rejects (from :func:`module_from_spec`).
    """
    if not isinstance(architecture, dict):
        raise _damaged("'architecture' is not a mapping")
    graph = _decode_nodes(architecture.get("graph"))
    modules, attributes = architecture.get("modules"), architecture.get("attributes")
    if not isinstance(modules, dict) or not isinstance(attributes, dict):
        raise _damaged("'modules' or 'attributes' is not a mapping")
    root: dict[str, Any] = {}
    for path, described in modules.items():
        root[_check_path(path, "module path")] = module_from_spec(described, path, specs)
    for path, rec in attributes.items():
        if _check_path(path, "attribute path") not in state_dict or not isinstance(rec, dict):
            raise _damaged(f"attribute {path!r} has no tensor in the state_dict")
        tensor = state_dict[path]
        root[path] = (
            nn.Parameter(tensor, requires_grad=bool(rec.get("requires_grad")))
            if rec.get("kind") == "parameter"
            else tensor
        )
    try:
        return fx.GraphModule(root, graph, class_name=_check_name(class_name, "model class"))
    except RuntimeError as exc:  # a target missing from root
        raise _damaged(str(exc)) from exc
