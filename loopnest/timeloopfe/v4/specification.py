"""`Specification`: the loaded input files, editable from Python (TimeloopFE v4)."""
from __future__ import annotations

import os
from typing import Any, Iterable

from loopnest.timeloopfe.common import Unsupported
from loopnest.timeloopfe.v4.nodes import Architecture, ArchNode, DictNode, Node


class Specification(DictNode):
    """The merged specification: `architecture`, `problem`, `mapper`, `variables`,
    `constraints`, `components`... as attributes or items.

    Values read are as the files give them (numbers, or expression text) until
    `process()` evaluates the expressions in place, as in TimeloopFE. `call_mapper` and
    `call_model` evaluate a copy, so edits made before them are always seen.
    """

    _lazy = {"architecture": Architecture, "mapper": DictNode, "problem": DictNode,
             "variables": DictNode, "constraints": DictNode, "components": DictNode,
             "globals": DictNode, "mapspace": DictNode, "sparse_optimizations": DictNode}

    def __init__(self, tree: Any, files: tuple[str, ...] = (),
                 jinja_parse_data: dict | None = None,
                 energy_models: str = "accelergy2024") -> None:
        Node.__init__(self, self, [])
        object.__setattr__(self, "_tree", tree)
        object.__setattr__(self, "_files", tuple(files))
        object.__setattr__(self, "_jinja", dict(jinja_parse_data or {}))
        object.__setattr__(self, "_parsed", False)
        object.__setattr__(self, "_energy_models", energy_models)

    @classmethod
    def from_yaml_files(cls, *paths: Any, jinja_parse_data: dict | None = None,
                        processors: Iterable | None = None,
                        energy_models: str = "accelergy2024", **kwargs: Any
                        ) -> "Specification":
        """Load and merge YAML / Jinja2 files (globs allowed; lists of paths too).
        `jinja_parse_data` is the Jinja2 template data (loopnest's `--var`)."""
        from loopnest.spec.limits import spec_budget
        from loopnest.spec.load import load_files

        if processors:
            raise Unsupported("processors=", hint="loopnest runs no TimeloopFE processors; "
                              "edit the specification from Python before call_mapper instead")
        if kwargs:
            raise Unsupported(f"Specification.from_yaml_files({', '.join(kwargs)}=...)")
        files: list[str] = []
        for p in paths:
            if isinstance(p, (list, tuple)):
                files += [os.fspath(x) for x in p]
            else:
                files.append(os.fspath(p))
        with spec_budget():
            tree = load_files(files, dict(jinja_parse_data or {}))
        return cls(tree, tuple(files), jinja_parse_data, energy_models)

    # -- TimeloopFE's processing
    def parse_expressions(self, symbol_table: Any = None, parsed_ids: Any = None) -> None:
        """Evaluate `variables` and every expression in place (once)."""
        from loopnest.spec.evaluate import evaluate_spec
        from loopnest.spec.limits import spec_budget

        if symbol_table or parsed_ids:
            raise Unsupported("parse_expressions(symbol_table=...)")
        if self._parsed:
            return
        with spec_budget():
            evaluate_spec(self._tree)
        object.__setattr__(self, "_parsed", True)

    def process(self, with_processors: Any = None, check_types: bool = False,
                check_types_ignore_empty: bool = True, reprocess: bool = True) -> None:
        """Evaluate the expressions in place (TimeloopFE's `process()` with its required
        processors; other processors are not supported). Later edits are not
        evaluated, as in TimeloopFE."""
        if with_processors:
            raise Unsupported("process(with_processors=...)",
                              hint="loopnest runs no TimeloopFE processors")
        self.parse_expressions()

    def get_nodes_of_type(self, node_type: type) -> list:
        """Architecture nodes of a type (tl.arch.Storage, Compute, Container...)."""
        return ArchNode.get_nodes_of_type(self.architecture, node_type)

    def to_yaml(self) -> str:
        """The specification as one YAML text (what call_mapper writes as
        parsed-processed-input.yaml; `loopnest mapper` reads it back)."""
        from loopnest.spec.dump import dump_yaml

        return dump_yaml(self._tree)

    def to_diagram(self, *args: Any, **kwargs: Any) -> Any:
        raise Unsupported("Specification.to_diagram()")
