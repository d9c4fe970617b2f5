"""The `loopnest` command and the drop-in aliases (timeloop-model, timeloop-mapper, accelergy).

Each subcommand lives in `loopnest.commands.<name>` with `add_arguments(parser)`
and `run(args) -> int`; this module only dispatches, and turns every
`LoopnestError` into a short message and exit status 2 (no traceback unless
`--debug`). Heavy imports (numpy, ortools) stay inside the commands.
"""
from __future__ import annotations

import argparse
import importlib
import keyword
import sys

from loopnest import __version__

COMMANDS = {
    "model": "evaluate the mapping in FILES (Timeloop-layout outputs)",
    "mapper": "search mappings with the CP-SAT mapper, then evaluate the best",
    "energy": "price components: ERT/ART (+ energy_estimation.yaml with action counts)",
    "validate": "schema + semantic checks; --show-ir prints the lowered design",
    "render": "print the rendered YAML of a Jinja2 top file",
    "import": "turn an ONNX model into problem files and a network.yaml (needs onnx)",
    "arch": "the bundled accelerators: list, show NAME, files NAME",
    "network": "map every layer of a network (resnet50, a manifest...) and total it",
    "sweep": "a design-space sweep of a Jinja2 design over a network, locally or on Dask",
}


def _build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="loopnest",
        description="Timeloop/Accelergy-compatible accelerator modelling in pure Python.",
    )
    p.add_argument("--version", action="version", version=f"loopnest {__version__}")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks on errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name, helptext in COMMANDS.items():
        sp = sub.add_parser(name, help=helptext, description=helptext)
        sp.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show Python tracebacks on errors")
        sp.set_defaults(_module=name)
        _command_module(name).add_arguments(sp)
        _add_input_arguments(sp)
    return p


def _add_input_arguments(sp: argparse.ArgumentParser) -> None:
    """Every command that loads spec files takes --allow-path, --max-file-size,
    --spec-time-limit and --strict (added here when the command did not)."""
    dests = {a.dest for a in sp._actions}
    if "files" in dests and "allow_paths" not in dests:
        from loopnest.commands.common import add_input_arguments

        add_input_arguments(sp)


def _command_module(name: str):
    module = f"{name}_" if keyword.iskeyword(name) else name  # `import` lives in import_.py
    return importlib.import_module(f"loopnest.commands.{module}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of `loopnest`."""
    parser = _build_parser()
    # Files may come before and after options (`FILES --var k=v MORE_FILES`), as with
    # Timeloop's tools: leftover bare words are more input files.
    args, extra = parser.parse_known_args(argv)
    if extra:
        bad = [x for x in extra if x.startswith("-")]
        if bad or not hasattr(args, "files"):
            parser.error(f"unrecognized arguments: {' '.join(bad or extra)}")
        args.files = list(args.files or []) + extra
    if not getattr(args, "command", None):
        parser.print_help()
        return 0
    import contextvars

    # limits and allowed folders are context variables: one command's stay its own
    return contextvars.copy_context().run(_run, args)


def _run(args: argparse.Namespace) -> int:
    from loopnest.errors import LoopnestError

    try:
        from loopnest.commands.common import apply_input_options

        apply_input_options(args)
        rc = int(_command_module(args._module).run(args) or 0)
        sys.stdout.flush()  # a closed pipe (`| head`) shows here, not at interpreter exit
        return rc
    except LoopnestError as e:
        if getattr(args, "debug", False):
            raise
        print(e.format(), file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `loopnest validate ... | head`: the reader left; not an error
        _silence_stdout()
        return 0
    except (RecursionError, MemoryError) as e:  # an input too deep or too large
        if getattr(args, "debug", False):
            raise
        print(f"error: the input is too {'deeply nested' if isinstance(e, RecursionError) else 'large'}"
              " to process", file=sys.stderr)
        return 2
    except Exception as e:  # a bug in loopnest, not an input mistake
        if getattr(args, "debug", False):
            raise
        print(f"internal error: {type(e).__name__}: {e}\n  hint: rerun with --debug for a "
              "traceback and report it", file=sys.stderr)
        return 3


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _alias(command: str) -> int:
    return main([command] + sys.argv[1:])


def timeloop_model() -> int:
    """`timeloop-model FILES... [-o DIR]` = `loopnest model`."""
    return _alias("model")


def timeloop_mapper() -> int:
    """`timeloop-mapper FILES... [-o DIR]` = `loopnest mapper`."""
    return _alias("mapper")


def accelergy() -> int:
    """`accelergy FILES... [-o DIR]` = `loopnest energy`."""
    return _alias("energy")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
