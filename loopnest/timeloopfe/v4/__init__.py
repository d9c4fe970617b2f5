"""TimeloopFE v4's interface on loopnest: `import loopnest.timeloopfe.v4 as tl` in place of
`import pytimeloop.timeloopfe.v4 as tl` (or `import timeloopfe.v4 as tl`).

Supported: `Specification.from_yaml_files(*paths, jinja_parse_data=...)`; reading and
writing any key as an item or attribute (`spec.mapper.search_size`,
`spec.problem.instance["P"]`, `spec.variables["X"]`,
`spec.architecture.find("buffer").attributes["depth"]`, `.spatial.meshX`, `.enabled`,
`.name`); `find` / `name2leaf` / `get_nodes_of_type(tl.arch.Storage)`; `process()` /
`parse_expressions()`; `call_mapper`, `call_model`, `call_accelergy_verbose` returning
TimeloopFE's `OutputStats` (energies in J) and writing the usual files. Anything else
raises `Unsupported` naming it (see docs/api.md).
"""
from typing import Any

from loopnest.timeloopfe.common import ProcessorError, Unsupported
from loopnest.timeloopfe.v4 import arch, output_parsing
from loopnest.timeloopfe.v4.backend_calls import (call_accelergy_verbose, call_mapper,
                                                  call_model, call_stop)
from loopnest.timeloopfe.v4.nodes import DictNode, ListNode, Node
from loopnest.timeloopfe.v4.output_parsing import OutputStats, OutputStatsList
from loopnest.timeloopfe.v4.specification import Specification

__all__ = ["Specification", "call_mapper", "call_model", "call_accelergy_verbose",
           "call_stop", "OutputStats", "OutputStatsList", "ProcessorError", "Unsupported",
           "DictNode", "ListNode", "Node", "arch", "output_parsing"]


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    raise Unsupported(f"{__name__}.{name}",
                      hint="supported here: " + ", ".join(__all__) + " (docs/api.md, "
                           "'Coming from pytimeloop')")
