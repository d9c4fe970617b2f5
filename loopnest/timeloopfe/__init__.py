"""A stand-in for `pytimeloop.timeloopfe`: scripts and notebooks written for
TimeloopFE's v4 interface run on loopnest with only the import changed.

    import loopnest.timeloopfe.v4 as tl        # was: import pytimeloop.timeloopfe.v4 as tl
    spec = tl.Specification.from_yaml_files("top.yaml.jinja")
    spec.architecture.find("buffer").attributes["depth"] *= 2
    stats = tl.call_mapper(spec, output_dir="outputs")
    stats.per_compute("energy") * 1e12         # pJ/MAC

What is supported, and what raises `loopnest.timeloopfe.Unsupported`, is listed in
docs/api.md ("Coming from pytimeloop").
"""
from loopnest.timeloopfe.common import Unsupported

from loopnest.timeloopfe import v4

__all__ = ["v4", "Unsupported"]
