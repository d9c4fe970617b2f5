"""loopnest from Python: load a design, change it, evaluate a mapping, map a layer or a
whole network, and get the figures as plain records.

    from loopnest import api

    design = api.load_design(["arch.yaml.jinja2", "layer.yaml"], variables={"pe_rows": 8})
    design = design.set("architecture.nodes.global_buffer.attributes.depth", 8192)
    best = api.map_layer(design, evaluations=2000)       # the mapper
    again = api.evaluate(design, best.mapping)           # the model on a given mapping
    best.energy_pj, best.cycles, best.utilization, best.edp, best.pj_per_mac
    best.records()        # one dict per level x data space (and compute, leakage, networks)
    best.breakdown()      # {level: {data space or part: pJ}}
    best.to_dataframe()   # the records as a pandas DataFrame
    best.write("out/")    # timeloop-mapper.* files, as `loopnest mapper -o out/` writes them

    run = api.map_network(["arch.yaml"], "resnet18", evaluations=500, jobs=2)
    run.totals.energy_pj, run.to_dataframe()

Every function runs the same front end and checks as the command line (a mistake is
a located `loopnest.errors.LoopnestError`); nothing here parses arguments or prints
beyond the front end's warnings on stderr. See docs/api.md.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from loopnest.errors import LoopnestError, MapperError

__all__ = ["Design", "Result", "NetworkResult", "load_design", "evaluate", "map_layer",
           "map_network", "literal"]

PathLike = str | os.PathLike


class literal(str):
    """A string value that is a literal, not an expression (like a quoted YAML string):
    `design.set("...attributes.technology", literal("22nm"))`."""


# --------------------------------------------------------------------------- design

@dataclass(frozen=True)
class Design:
    """A loaded, checked and priced design: what `loopnest model` / `mapper` work on.

    Made by `load_design`; change it with `set` / `with_variables` (each returns a new
    Design, re-run through the front end). The lowered pieces are `workload`,
    `architecture`, `mapping` (None when the files give none) and `constraints`;
    `ir` is the whole lowered `loopnest.ir.design.Design`.
    """

    files: tuple[str, ...]
    variables: dict[str, Any]
    overrides: tuple[tuple[str, Any], ...]
    energy_models: str
    ir: Any = field(repr=False)
    spec: Any = field(repr=False)  # the evaluated spec (located dicts)
    cycle_seconds: float = 1e-9
    warnings: tuple[str, ...] = ()

    @property
    def workload(self):
        return self.ir.workload

    @property
    def architecture(self):
        return self.ir.architecture

    @property
    def mapping(self):
        return self.ir.mapping

    @property
    def constraints(self):
        return self.ir.constraints

    @property
    def macs(self) -> int:
        return self.ir.workload.macs

    @property
    def mapper_options(self) -> dict[str, Any]:
        return dict(self.ir.mapper_options or {})

    def set(self, path: str, value: Any) -> "Design":
        """A new Design with one setting overridden, as `--set path=value` does: after
        the files are merged, before expressions are evaluated (so expressions using it
        see the new value). `path` is dot-separated keys; `[i]` indexes a list and a
        name picks the list item with that `name`, e.g.
        `"architecture.nodes.global_buffer.attributes.depth"`, `"mapper.search_size"`,
        `"problem.instance.P"`, `"variables.global_cycle_seconds"`. A str value is an
        expression (like an unquoted YAML value); wrap a literal string in `literal()`.
        """
        return self.with_overrides({path: value})

    def with_overrides(self, overrides: dict[str, Any]) -> "Design":
        """Several `set`s at once (in order), one reload."""
        return _load(self.files, self.variables, self.overrides + tuple(overrides.items()),
                     self.energy_models)

    def with_variables(self, **variables: Any) -> "Design":
        """A new Design with Jinja2 template data changed (as `--var k=v`)."""
        return _load(self.files, {**self.variables, **variables}, self.overrides,
                     self.energy_models)

    def attribute(self, component: str, name: str) -> Any:
        """The evaluated value of attribute `name` of architecture component `component`
        (None when absent)."""
        node = _find_named(self.spec.get("architecture"), component)
        if node is None:
            raise LoopnestError(f"no architecture component named '{component}'",
                                hint="names: " + ", ".join(_all_names(
                                    self.spec.get("architecture"))))
        attrs = node.get("attributes") or {}
        return _plain(attrs.get(name))


def _find_named(tree: Any, name: str) -> Any:
    if isinstance(tree, dict):
        if str(tree.get("name")) == name:
            return tree
        for key in ("nodes", "subtree", "local"):
            hit = _find_named(tree.get(key), name)
            if hit is not None:
                return hit
    elif isinstance(tree, list):
        for it in tree:
            hit = _find_named(it, name)
            if hit is not None:
                return hit
    return None


def _all_names(tree: Any) -> list[str]:
    out: list[str] = []
    if isinstance(tree, dict):
        if tree.get("name") is not None:
            out.append(str(tree["name"]))
        for key in ("nodes", "subtree", "local"):
            out += _all_names(tree.get(key))
    elif isinstance(tree, list):
        for it in tree:
            out += _all_names(it)
    return out


def _plain(value: Any) -> Any:
    from loopnest.spec.located import to_plain

    return to_plain(value)


def _files_of(files: PathLike | Iterable[PathLike], arch: str | None) -> tuple[str, ...]:
    if isinstance(files, (str, os.PathLike)):
        files = [files]
    out = [os.fspath(f) for f in (files or [])]
    if arch:
        from loopnest.archlib import get_design

        out = [str(f) for f in get_design(arch).files] + out
    if not out:
        raise LoopnestError("no design files given",
                            hint="give the architecture, problem, mapping... files, or "
                                 "arch='NAME' for a bundled accelerator (`loopnest arch list`)")
    return tuple(out)


def _override_triples(overrides: Sequence[tuple[str, Any]]) -> list:
    from loopnest.spec.located import QuotedStr
    from loopnest.spec.overrides import parse_path

    out = []
    for path, value in overrides:
        if isinstance(value, literal):
            value = QuotedStr(str(value))
        out.append((f"{path}={value!r}", parse_path(path), value))
    return out


def _design_from_spec(spec: Any, *, files: tuple[str, ...], variables: dict,
                      overrides: tuple, energy_models: str, strict: bool = False,
                      ignore_constraints: bool = False, purpose: str | None = None) -> Design:
    """The front end's checks on an evaluated spec -> a priced Design. A spec with a
    `mapping:` gets `loopnest model`'s checks, one without `loopnest mapper`'s
    (or `purpose` "model" / "mapper")."""
    import contextlib
    import io
    import sys

    from loopnest.checks import check_loaded
    from loopnest.network.task import clock_of

    if purpose is None:
        purpose = "model" if "mapping" in spec else "mapper"
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        checked = check_loaded(spec, purpose, models=energy_models, strict=strict,
                               ignore_constraints=ignore_constraints,
                               require_mapping=purpose == "model")
    warnings = tuple(ln for ln in err.getvalue().splitlines() if ln.strip())
    if warnings:  # shown as the command line shows them, and kept on the Design
        print("\n".join(warnings), file=sys.stderr)
    ir = checked.design
    if ir is None:
        raise LoopnestError("these files give no architecture and problem to model",
                            hint="give an architecture (architecture:) and a layer (problem:)")
    return Design(files=files, variables=dict(variables), overrides=tuple(overrides),
                  energy_models=energy_models, ir=ir, spec=spec,
                  cycle_seconds=clock_of(ir, spec), warnings=warnings)


def _load(files: tuple[str, ...], variables: dict, overrides: tuple, energy_models: str,
          strict: bool = False, ignore_constraints: bool = False) -> Design:
    from loopnest.spec.evaluate import evaluate_spec
    from loopnest.spec.limits import spec_budget
    from loopnest.spec.load import load_files
    from loopnest.spec.overrides import apply_sets

    with spec_budget():
        spec = load_files(list(files), dict(variables))
        apply_sets(spec, _override_triples(overrides))
        evaluate_spec(spec)
    return _design_from_spec(spec, files=files, variables=variables, overrides=overrides,
                             energy_models=energy_models, strict=strict,
                             ignore_constraints=ignore_constraints)


def load_design(files: PathLike | Iterable[PathLike] = (), variables: dict[str, Any] | None = None,
                sets: dict[str, Any] | Iterable[str] | None = None,
                energy_models: str = "accelergy2024", *, arch: str | None = None,
                strict: bool = False, ignore_constraints: bool = False) -> Design:
    """Load FILES (YAML and Jinja2, globs allowed) as the command line does.

    variables: Jinja2 template data (`--var k=v`).
    sets: overrides, `{"mapper.search_size": 2000}` or `["mapper.search_size=2000"]`
        (`--set`; see `Design.set`).
    energy_models: "accelergy2024" (default) or "hwcomponents" (`--energy-models`).
    arch: a bundled accelerator (`loopnest arch list`); its files come first.
    strict: front-end warnings are errors (`--strict`).
    ignore_constraints: evaluate a given mapping even if it breaks the architecture
        constraints (`loopnest model --ignore-constraints`).
    """
    if energy_models not in ("accelergy2024", "hwcomponents"):
        raise LoopnestError(f"energy_models must be 'accelergy2024' or 'hwcomponents', "
                            f"got {energy_models!r}")
    if arch and variables:
        from loopnest.archlib import check_variables, get_design

        check_variables(get_design(arch), list(variables))
    overrides: list[tuple[str, Any]] = []
    if isinstance(sets, dict):
        overrides = list(sets.items())
    elif sets:
        from loopnest.spec.overrides import parse_set_args

        overrides = [(text, value) for text, _, value in parse_set_args(list(sets))]
    return _load(_files_of(files, arch), dict(variables or {}), tuple(overrides),
                 energy_models, strict, ignore_constraints)


# --------------------------------------------------------------------------- results

@dataclass
class Result:
    """One evaluated mapping: the model's figures, from `evaluate` or `map_layer`.

    Energies in pJ, area in um^2. `stats` is the model's full result
    (`loopnest.model.result.Result`, what timeloop-model.stats.txt prints);
    `search` the mapper's outcome (None for `evaluate`).
    """

    kind: str  # "model" or "mapper"
    design: Design = field(repr=False)
    mapping: Any = field(repr=False)
    stats: Any = field(repr=False)
    search: Any = field(default=None, repr=False)
    options: Any = field(default=None, repr=False)  # the mapper's SearchOptions

    @property
    def energy_pj(self) -> float:
        return float(self.stats.energy)

    @property
    def cycles(self) -> int:
        return int(self.stats.cycles)

    @property
    def utilization(self) -> float:
        return float(self.stats.utilization)

    @property
    def edp(self) -> float:
        """Energy (J) x cycles, as Timeloop's `EDP(J*cycle)`."""
        return float(self.stats.edp)

    @property
    def macs(self) -> int:
        return int(self.stats.computes)

    @property
    def pj_per_mac(self) -> float:
        return float(self.stats.pj_per_compute)

    @property
    def area_um2(self) -> float:
        return float(self.stats.area or 0.0)

    @property
    def cycle_seconds(self) -> float:
        return self.design.cycle_seconds

    @property
    def latency_s(self) -> float:
        """Cycles at the architecture's clock (`global_cycle_seconds`, default 1 ns)."""
        return self.cycles * self.cycle_seconds

    @property
    def gap(self) -> float | None:
        """The mapper's optimality gap (None for `evaluate` or without a bound)."""
        return None if self.search is None else self.search.gap

    def summary(self) -> dict[str, Any]:
        """The headline figures as one plain dict."""
        out = {"energy_pj": self.energy_pj, "cycles": self.cycles,
               "utilization": self.utilization, "edp": self.edp, "macs": self.macs,
               "pj_per_mac": self.pj_per_mac, "area_um2": self.area_um2,
               "latency_s": self.latency_s}
        if self.search is not None:
            out.update(gap=self.search.gap, search_status=self.search.status,
                       evaluated=self.search.evaluated, search_s=self.search.elapsed)
        return out

    def records(self) -> list[dict[str, Any]]:
        """Plain dicts, one per storage level x kept data space (`kind` "storage"), plus
        the arithmetic ("compute"), each level's leakage ("leakage") and the networks
        ("network"). `energy_pj` of all records sums to `energy_pj` of the result.

        Storage counts: `reads`, `fills`, `updates` (and `writes` = fills + updates) are
        totals over the utilized instances; the `*_per_instance` fields are what
        timeloop-model.stats.txt prints. `energy_pj` of a storage record includes its
        temporal-reduction and address-generation energy (also given apart)."""
        r = self.stats
        rows: list[dict[str, Any]] = []
        base = {"level": None, "level_index": None, "dataspace": None, "kind": None,
                "instances": 0, "utilized_instances": 0, "reads": 0, "fills": 0,
                "updates": 0, "writes": 0, "reads_per_instance": 0, "fills_per_instance": 0,
                "updates_per_instance": 0, "computes": 0, "utilized_capacity": 0,
                "size": None, "access_energy_pj": 0.0, "reduction_energy_pj": 0.0,
                "addr_gen_energy_pj": 0.0, "energy_pj": 0.0}
        if r.compute is not None:
            c = r.compute
            rows.append({**base, "level": c.name, "level_index": 0, "kind": "compute",
                         "instances": c.instances, "utilized_instances": c.utilized_instances,
                         "computes": r.computes, "access_energy_pj": float(c.energy_total),
                         "energy_pj": float(c.energy_total)})
        for lv in r.storage:
            for ds in lv.dataspaces:
                n = ds.utilized_instances
                e = ds.energy_total + ds.tr_energy_total + ds.addr_gen_energy_total
                rows.append({**base, "level": lv.name, "level_index": lv.index,
                             "dataspace": ds.name, "kind": "storage",
                             "instances": lv.instances, "utilized_instances": n,
                             "reads": ds.reads * n, "fills": ds.fills * n,
                             "updates": ds.updates * n, "writes": (ds.fills + ds.updates) * n,
                             "reads_per_instance": ds.reads, "fills_per_instance": ds.fills,
                             "updates_per_instance": ds.updates,
                             "utilized_capacity": ds.utilized_capacity, "size": lv.size,
                             "access_energy_pj": float(ds.energy_total),
                             "reduction_energy_pj": float(ds.tr_energy_total),
                             "addr_gen_energy_pj": float(ds.addr_gen_energy_total),
                             "energy_pj": float(e)})
            if lv.leakage_energy_total:
                rows.append({**base, "level": lv.name, "level_index": lv.index,
                             "kind": "leakage", "instances": lv.instances, "size": lv.size,
                             "energy_pj": float(lv.leakage_energy_total)})
        for net in r.networks:
            if net.energy_total:
                rows.append({**base, "level": net.name, "kind": "network",
                             "energy_pj": float(net.energy_total)})
        return rows

    def breakdown(self) -> dict[str, dict[str, float]]:
        """pJ per component (arithmetic, storage inner -> outer, networks), split into
        data spaces and the parts that belong to none (`compute`, `leakage`,
        `reduction/addr-gen`, `network`): the split `loopnest network`'s CSV and
        charts use. The values sum to `energy_pj`."""
        from loopnest.report.plots import energy_breakdown

        return {name: {k: float(v) for k, v in parts.items()}
                for name, parts in energy_breakdown(self.stats)}

    def energy_by_level(self) -> dict[str, float]:
        """pJ per component (the stats file's fJ/Compute rows x computes)."""
        return {lvl: sum(parts.values()) for lvl, parts in self.breakdown().items()}

    def energy_by_dataspace(self) -> dict[str, float]:
        """pJ per data space over all levels (`compute` etc. as their own keys)."""
        out: dict[str, float] = {}
        for parts in self.breakdown().values():
            for k, v in parts.items():
                out[k] = out.get(k, 0.0) + v
        return out

    def to_dataframe(self):
        """`records()` as a pandas DataFrame (needs pandas)."""
        return _dataframe(self.records())

    def files(self) -> dict[str, str]:
        """The output files' texts by name, as `write` writes them."""
        from loopnest.commands.common import echo_files
        from loopnest.report.maptxt import format_map_txt
        from loopnest.report.mapyaml import format_map_yaml

        ir = self.design.ir
        if self.kind == "mapper":
            from loopnest.mapper.outputs import format_summary, mapper_files

            files = {f"timeloop-mapper.{k}": v for k, v in
                     mapper_files(ir.workload, ir.architecture, self.search, ir.tables).items()}
            files.update({f"timeloop-mapper.{k}": v for k, v in echo_files(ir).items()})
            o = self.options
            files["loopnest-mapper.summary.yaml"] = format_summary(
                self.search, o.metrics, o.seed, o.threads, o.timeout)
            return files
        files = {"stats.txt": self.stats_text, "map.txt": format_map_txt(self.stats),
                 "map.yaml": format_map_yaml(ir.workload, ir.architecture, self.mapping)}
        files.update(echo_files(ir))
        return {f"timeloop-model.{k}": v for k, v in files.items()}

    @property
    def stats_text(self) -> str:
        """timeloop-*.stats.txt as text (Sparseloop's layout for a sparse design)."""
        from loopnest.report.stats import format_stats

        ir = self.design.ir
        sparse = _sparse_of(ir)
        if sparse is not None and self.mapping is not None:
            from loopnest.model.sparse.evaluate import evaluate_sparse
            from loopnest.report.sparse_stats import format_sparse_stats

            return format_sparse_stats(evaluate_sparse(ir.workload, ir.architecture,
                                                       self.mapping, ir.tables, sparse))
        return format_stats(self.stats)

    @property
    def map_text(self) -> str:
        """timeloop-*.map.txt as text (the loop nest)."""
        from loopnest.report.maptxt import format_map_txt

        return format_map_txt(self.stats)

    def write(self, outdir: PathLike) -> list[Path]:
        """Write the usual files into `outdir`: `timeloop-model.*` for `evaluate`,
        `timeloop-mapper.*` and `loopnest-mapper.summary.yaml` for `map_layer` (one set:
        all new or all old). Returns the paths written."""
        from loopnest.report.files import check_outdir, write_output_set

        check_outdir(outdir)
        files = self.files()
        write_output_set(outdir, files)
        return [Path(outdir) / name for name in files]


def _dataframe(records: list[dict[str, Any]]):
    try:
        import pandas as pd
    except ImportError:
        raise LoopnestError("to_dataframe() needs pandas, which is not installed",
                            hint="pip install pandas; records() gives the same rows as "
                                 "plain dicts") from None
    return pd.DataFrame.from_records(records)


# --------------------------------------------------------------------------- model

def _sparse_of(ir: Any):
    """The lowered design's SparseSpec (None for a dense design)."""
    from loopnest.model.sparse.spec import design_sparse

    return design_sparse(ir.native, ir.workload, ir.architecture)


def evaluate(design: Design, mapping: Any = None, *, ignore_constraints: bool = False,
             link_transfers: bool = True, new_stride_rule: bool = False) -> Result:
    """The model on one mapping: `loopnest model`'s numbers.

    mapping: None (the design's own `mapping:`), a `loopnest.ir.mapping.Mapping`, a
        `Result` (its mapping, e.g. from `map_layer` on another design), or a mapping
        file (loaded with the design's files).
    A mapping that breaks the architecture constraints is refused unless
    `ignore_constraints`; one whose tiles do not fit is refused with the level and
    data space (a `MappingError`), as `loopnest model` refuses it.
    """
    from loopnest.checks import mapping_failure
    from loopnest.model.evaluate import ModelOptions, evaluate as model

    if isinstance(mapping, (str, os.PathLike)):
        design = _load(design.files + (os.fspath(mapping),), design.variables,
                       design.overrides, design.energy_models,
                       ignore_constraints=ignore_constraints)
        mapping = None
    if isinstance(mapping, Result):
        mapping = mapping.mapping
    ir = design.ir
    if mapping is None:
        mapping = ir.mapping
        if mapping is None:
            raise LoopnestError("this design has no mapping to evaluate",
                                hint="give mapping= (a mapping file, or a Result of "
                                     "map_layer), or search one with map_layer()")
    elif not ignore_constraints:
        from loopnest.ir.checker import check_mapping

        bad = check_mapping(ir.workload, ir.architecture, mapping, ir.constraints)
        if bad:
            from loopnest.errors import MappingError

            raise MappingError(f"the mapping breaks this design's constraints: {bad[0]}",
                               hint="pass ignore_constraints=True to evaluate it anyway")
    opts = ModelOptions(link_transfers=link_transfers, new_stride_rule=new_stride_rule)
    sparse = _sparse_of(ir)
    if sparse is not None:  # Sparseloop's model, as `loopnest model` runs it
        from loopnest.model.sparse.evaluate import sparse_result

        stats = sparse_result(ir.workload, ir.architecture, mapping, ir.tables, sparse, opts)
    else:
        stats = model(ir.workload, ir.architecture, mapping, ir.tables, opts)
    if not stats.valid:
        raise mapping_failure(dataclasses.replace(ir, mapping=mapping),
                              stats.failure or "invalid mapping")
    return Result(kind="model", design=design, mapping=mapping, stats=stats)


# --------------------------------------------------------------------------- mapper

def search_options(design: Design, timeout: float | None = None,
                   evaluations: int | None = None, seed: int = 0,
                   threads: int | None = None, metrics: Sequence[str] | None = None):
    """The mapper's SearchOptions as `loopnest mapper` builds them: arguments first,
    then the design's `mapper:` section (`search_size`, `timeout` in seconds when
    0 < timeout <= 3600, `num_threads`, `victory_condition`, `optimization_metrics`),
    then 60 s and every core (never more processes than cores). A candidate budget (`evaluations` / `search_size`) or a
    victory condition makes the search repeat exactly for a seed."""
    from loopnest.mapper.objective import parse_metrics
    from loopnest.mapper.search import SearchOptions

    mo = design.ir.mapper_options or {}
    if timeout is not None and not timeout > 0:
        raise MapperError(f"timeout must be > 0 seconds, got {timeout:g}")
    if evaluations is not None and evaluations <= 0:
        raise MapperError(f"evaluations must be > 0, got {evaluations}")
    if timeout is None:
        t = mo.get("timeout")
        timeout = float(t) if isinstance(t, (int, float)) and 0 < t <= 3600 else 60.0
    from loopnest.mapper.parallel import resolve_threads

    threads = resolve_threads(threads if threads is not None
                              else int(mo.get("num_threads") or 0))
    size = int(evaluations if evaluations is not None else (mo.get("search_size") or 0))
    victory = int(mo.get("victory_condition") or 0)
    if metrics is not None:
        mo = {**mo, "optimization_metrics": list(metrics)}
    return SearchOptions(metrics=parse_metrics(mo), timeout=float(timeout),
                         threads=threads, seed=int(seed),
                         victory_condition=victory, search_size=size,
                         log_oaves=bool(mo.get("log_oaves") or False), quiet=True,
                         deterministic=bool(size or victory))


def map_layer(design: Design, timeout: float | None = None, evaluations: int | None = None,
              seed: int = 0, threads: int | None = 1,
              metrics: Sequence[str] | None = None) -> Result:
    """Search mappings for the design's layer: `loopnest mapper`'s search and numbers.

    timeout: seconds of search (default: `mapper.timeout` of the files, else 60).
    evaluations: candidates to score (default: `mapper.search_size`); with a budget in
        candidates the result is the same on every run for a seed and one thread.
    threads: search workers (None: `mapper.num_threads` of the files).
    metrics: e.g. ["energy"] or ["delay", "energy"] (default: the files'
        `optimization_metrics`, else EDP).
    A `mapping:` in the design is not used (the mapper finds one).
    """
    from loopnest.checks.design import (check_mapper_limits, check_mapper_options,
                                        check_min_capacity)
    from loopnest.mapper.design_search import search_design

    ir = design.ir
    check_mapper_limits(ir)
    check_min_capacity(ir)
    check_mapper_options(ir)
    opts = search_options(design, timeout, evaluations, seed, threads, metrics)
    outcome = search_design(ir, opts, "no valid mappings found within the search criteria",
                            "raise the timeout or evaluations, or relax the constraints",
                            interrupted_raises=True)
    return Result(kind="mapper", design=design, mapping=outcome.mapping, stats=outcome.result,
                  search=outcome, options=opts)


# --------------------------------------------------------------------------- networks

@dataclass
class NetworkResult:
    """A whole network mapped on one design (`loopnest network`'s outputs in memory).

    `rows`: one `loopnest.network.results.NetworkRow` per manifest entry, in network
    order, each with its layer's `record` (LayerRecord: energy_pj, cycles, utilization,
    energy_parts, ...); `totals` (Totals: energy_pj, cycles, latency_s, tops, tops_per_w,
    energy_by_level, energy_by_dataspace...) with every layer counted as often as it
    occurs; `run` the pipeline's NetworkRun; `outdir` where the files went (None when
    the run used a temporary folder)."""

    name: str
    run: Any = field(repr=False)
    outdir: Path | None = None

    @property
    def rows(self):
        return self.run.rows

    @property
    def totals(self):
        return self.run.totals

    @property
    def failed(self) -> list[str]:
        return [r.name for r in self.run.failed]

    @property
    def warnings(self) -> list[str]:
        return self.run.warnings

    def records(self) -> list[dict[str, Any]]:
        """One plain dict per layer in network order: name, count, problem, status,
        error, MACs, energy, cycles, EDP, utilization, pJ/MAC, area, gap, candidates,
        whether the layer's second search did better (`second_search`) and the sibling
        whose refitted mapping it started from (`seeded_from`), and
        `energy.<level>_pJ` / `energy.<data space>_pJ` per occurrence."""
        out = []
        for row in self.run.rows:
            rec = row.record
            d: dict[str, Any] = {
                "name": row.name, "count": row.count, "group": row.group,
                "problem": row.problem, "status": rec.status, "error": rec.error,
                "shape": rec.shape, "macs": rec.macs, "energy_pj": rec.energy_pj,
                "cycles": rec.cycles, "edp": rec.edp, "utilization": rec.utilization,
                "pj_per_mac": rec.pj_per_mac, "area_um2": rec.area_um2, "gap": rec.gap,
                "evaluated": rec.evaluated, "second_search": rec.second,
                "seeded_from": rec.seeded_from,
                "cached": rec.cached}
            d.update({f"energy.{k}_pJ": v for k, v in rec.energy_by_level.items()})
            d.update({f"energy.{k}_pJ": v for k, v in rec.energy_by_dataspace.items()
                      if k not in rec.energy_by_level})
            out.append(d)
        return out

    def breakdown(self) -> dict[str, dict[str, float]]:
        """The network's pJ per component x data space (layer counts applied)."""
        return {k: dict(v) for k, v in self.totals.energy_parts.items()}

    def to_dataframe(self):
        """`records()` as a pandas DataFrame (needs pandas)."""
        return _dataframe(self.records())


def map_network(files: PathLike | Iterable[PathLike], network: str,
                outdir: PathLike | None = None, *, jobs: int | None = None,
                evaluations: int | None = None, timeout: float | None = None,
                variables: dict[str, Any] | None = None,
                sets: dict[str, Any] | Iterable[str] | None = None, seed: int = 0,
                cache: bool | PathLike = False, plots: bool = False, quiet: bool = True,
                energy_models: str = "accelergy2024", arch: str | None = None,
                strict: bool = False) -> NetworkResult:
    """Map every distinct layer of `network` on the design in FILES: `loopnest network`.

    network: a bundled network name (`resnet50`...), a `network.yaml` manifest, a folder
        of problem files, or one problem file.
    outdir: where the per-layer folders, network.csv and network.summary.yaml go (None:
        a temporary folder, removed after; the figures stay in the result).
    jobs: worker processes (default: the cores this process may use).
    evaluations / timeout: budget per layer (default: `mapper.search_size` of the files,
        else `loopnest.network.pipeline.DEFAULT_EVALUATIONS` candidates).
    cache: True for the default result cache (~/.cache/loopnest/layers), a folder, or
        False (default) for none.
    plots: also draw the charts (needs matplotlib).
    """
    import tempfile

    from loopnest.network.pipeline import NetworkRequest, run_network
    from loopnest.network.runner import default_jobs

    for name, v in (("jobs", jobs), ("evaluations", evaluations), ("timeout", timeout)):
        if v is not None and v <= 0:
            raise LoopnestError(f"{name} must be positive, got {v}")
    set_texts: list[str] = []
    if isinstance(sets, dict):
        set_texts = [f"{k}={_yaml_value(v)}" for k, v in sets.items()]
    elif sets:
        set_texts = list(sets)
    if cache is True:
        from loopnest.network.cache import default_cache_dir

        cache_dir: Path | None = Path(default_cache_dir()).expanduser()
    elif cache:
        cache_dir = Path(os.fspath(cache)).expanduser()
    else:
        cache_dir = None
    tmp = None
    if outdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="loopnest-network-")
        out = tmp.name
    else:
        out = os.fspath(outdir)
    try:
        req = NetworkRequest(files=list(_files_of(files, arch)), network=str(network),
                             outdir=out, variables=dict(variables or {}), sets=set_texts,
                             jobs=jobs or default_jobs(), evaluations=evaluations,
                             timeout=timeout, seed=seed, cache_dir=cache_dir,
                             energy_models=energy_models, plots=plots, quiet=quiet,
                             strict=strict)
        run = run_network(req)
    finally:
        if tmp is not None:
            tmp.cleanup()
    return NetworkResult(name=run.name, run=run, outdir=None if tmp else Path(out))


def _yaml_value(v: Any) -> str:
    """A Python value as the YAML text `--set` parses back to it."""
    import json

    if isinstance(v, literal):
        return json.dumps(str(v))
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, str)):
        return str(v)
    return json.dumps(v)
