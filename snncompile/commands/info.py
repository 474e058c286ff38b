"""``snncompile list-backends`` and ``snncompile inspect``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from snncompile.commands.common import EXIT_OK, add_allow_pickle, add_command, print_json, say
from snncompile.commands.nir_options import add_nir_options, nir_kwargs
from snncompile.errors import SnnCompileError


def add_info_commands(sub: Any) -> None:
    """Register ``list-backends`` and ``inspect`` on an argparse subparsers object."""
    p = add_command(
        sub,
        "list-backends",
        handler=run_list_backends,
        help="show installed and known backends",
        description="List the backends found through the 'snncompile.backends' entry points "
        "and the known ones that are not installed, with their install command.",
        epilog="examples:\n  snncompile list-backends\n  snncompile list-backends --json",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = add_command(
        sub,
        "inspect",
        handler=run_inspect,
        help="summarise a checkpoint (.pt), a NIR file (.nir) or an exported artefact",
        description="For a .nir file: its IR nodes, shapes, parameter counts, neuron types "
        "and how each node lowers to NIR primitives. For an exported artefact (.onnx, .net, "
        "a Lava directory): its target, the IR graph it stores and what the target adds "
        "(a netx file: its layers as written, checked against that graph). For a "
        "checkpoint written by "
        "snncompile.save: load it (without running code from it), show its format, input "
        "and output shapes, layers, parameter count and metadata, then trace it with its "
        "stored example input shape and show the same IR description.",
        epilog="examples:\n  snncompile inspect examples/models/digits_lif.pt\n"
        "  snncompile inspect model.nir --json\n"
        "  snncompile inspect model.net   # a netx file: layers, checked against its IR\n"
        "  snncompile inspect snntorch.nir --dialect snntorch --set dt=1e-3\n"
        "  snncompile --quiet inspect model.pt   # validate only: the exit code tells",
    )
    p.add_argument(
        "checkpoint",
        metavar="MODEL",
        help="the .pt checkpoint, .nir file, or an artefact written by export",
    )
    add_allow_pickle(p, also=True)
    p.add_argument(
        "--target",
        default=None,
        help="also run the target's quantisation stage and list the precisions it chose "
        "per node and field (e.g. --target lava)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    add_nir_options(p)


def run_list_backends(args: argparse.Namespace) -> int:
    from snncompile.backend import list_backends

    rows = list_backends()
    if args.json:
        print_json([row.__dict__ for row in rows])
        return EXIT_OK
    if not rows:
        say(args, "no backends installed")
    for row in rows:
        if row.installed:
            say(args, f"{row.name:<10} installed      {row.source}")
        else:
            say(args, f"{row.name:<10} not installed  {row.install_hint}")
    return EXIT_OK


#: Files read as checkpoints; any other file or a directory is an exported artefact.
CHECKPOINT_SUFFIXES = (".pt", ".pth")


def run_inspect(args: argparse.Namespace) -> int:
    """Describe a ``.nir`` file, an artefact, or a checkpoint plus the IR traced from it.

    Only checkpoints load torch: ``.nir`` files and artefacts are read without it."""
    from snncompile.inspection import describe, ir_summary

    nir = nir_kwargs(args, args.checkpoint)
    path = Path(args.checkpoint)
    if path.suffix.lower() == ".nir":
        from snncompile.api import load_graph

        graph = load_graph(args.checkpoint, **nir)
        if not args.json:
            say(args, f"file: {args.checkpoint}\n" + describe(graph))
            _say_precisions(args)
            return EXIT_OK
        out = {"path": args.checkpoint, "format": "NIR", "ir": ir_summary(graph)}
        print_json(out | _precisions_json(args))
        return EXIT_OK
    if path.is_dir() or (path.exists() and path.suffix.lower() not in CHECKPOINT_SUFFIXES):
        return _inspect_artifact(args, path)
    from snncompile.checkpoint.summary import summarize
    from snncompile.frontend.describe import trace_from_spec

    summary = summarize(args.checkpoint, allow_pickle=args.allow_pickle)
    graph = None
    try:  # a checkpoint that cannot be traced is still described, with the reason
        import snncompile

        model = snncompile.load(args.checkpoint, allow_pickle=args.allow_pickle)
        graph = trace_from_spec(model, summary.get("inputs") or [])
        summary["ir"] = ir_summary(graph)
    except SnnCompileError as exc:
        summary["ir"] = {"error": exc.message, "hint": exc.hint}
    if args.json:
        print_json(summary | _precisions_json(args))
        return EXIT_OK
    say(args, _checkpoint_text(summary, graph))
    _say_precisions(args)
    return EXIT_OK


def _inspect_artifact(args: argparse.Namespace, path: Path) -> int:
    """An exported artefact: its target, stored IR graph and the target's own lines."""
    from snncompile.backend import artifact_target, load_backend_class
    from snncompile.inspection import describe, ir_summary

    target = artifact_target(path)
    cls = load_backend_class(target)
    graph = cls.read_graph(path)
    extra = cls.describe_artifact(path)
    if args.json:
        out = {"path": str(path), "format": "artifact", "target": target, "ir": ir_summary(graph)}
        print_json(out | {"artifact": extra} | _precisions_json(args))
        return EXIT_OK
    lines = [f"file: {path}", f"artefact: target {target}"]
    if extra:
        lines.append(extra.rstrip("\n"))
    say(args, "\n".join(lines) + "\n" + describe(graph))
    _say_precisions(args)
    return EXIT_OK


def _staged_precisions(args: argparse.Namespace) -> Any:
    """The quantisation stage of ``--target`` (None without it, or for a float target)."""
    if getattr(args, "target", None) is None:
        return None
    from snncompile.api import compile as compile_model
    from snncompile.quant.stage import QuantizedGraph

    artifact = compile_model(
        args.checkpoint,
        args.target,
        allow_pickle=args.allow_pickle,
        **nir_kwargs(args, args.checkpoint),
    )
    return artifact.staged if isinstance(artifact.staged, QuantizedGraph) else None


def _say_precisions(args: argparse.Namespace) -> None:
    staged = _staged_precisions(args)
    if staged is not None:
        say(args, "\n" + staged.describe().rstrip("\n"))
    elif getattr(args, "target", None) is not None:
        say(args, f"\ntarget {args.target!r}: float target, nothing quantised")


def _precisions_json(args: argparse.Namespace) -> dict[str, Any]:
    staged = _staged_precisions(args)
    if getattr(args, "target", None) is None:
        return {}
    return {"precisions": None if staged is None else staged.precisions()}


def _checkpoint_text(summary: dict[str, Any], graph: Any) -> str:
    from snncompile.inspection import describe

    lines = [
        f"{'file':<12}{summary['path']}",
        f"{'format':<12}{summary['format']}",
        f"{'model':<12}{summary['model_class']}, {summary['parameters']:,} parameters "
        "(the torch module's trainable values)",
    ]
    for item in summary.get("inputs", []):
        lines.append(f"{'input':<12}{item['name']}: {item['shape']} {item['dtype']}")
    output = summary.get("output")
    if isinstance(output, dict) and "shape" in output:
        lines.append(f"{'output':<12}{output['shape']} {output['dtype']}")
    if "weights_sha256" in summary:
        lines.append(f"{'sha256':<12}{summary['weights_sha256']}")
    lines.append("layers")
    lines += [f"  {row['path']:<20}{row['layer']}" for row in summary["layers"]]
    if summary.get("metadata"):
        lines.append(f"{'metadata':<12}{', '.join(summary['metadata'])}")
    if graph is None:
        lines.append(f"{'ir':<12}not traceable: {summary['ir']['error']}")
        if summary["ir"].get("hint"):
            lines.append(f"{'':<12}hint: {summary['ir']['hint']}")
        return "\n".join(lines)
    lines.append("ir (traced with the stored example input shape)")
    return "\n".join(lines) + "\n" + describe(graph)
