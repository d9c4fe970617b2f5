"""`call_mapper`, `call_model`, `call_accelergy_verbose`: TimeloopFE's calls, run by
loopnest in this process (no Timeloop or Accelergy binaries)."""
from __future__ import annotations

import copy
import os
from typing import Any

from loopnest.timeloopfe.common import Unsupported
from loopnest.timeloopfe.v4.output_parsing import OutputStats

INPUT_NAME = "parsed-processed-input.yaml"


def _check_options(environment: Any, extra_args: Any, return_proc: bool) -> bool:
    """The call options loopnest honours; returns link_transfers."""
    if return_proc:
        raise Unsupported("return_proc=True",
                          hint="loopnest runs in this process; use joblib or "
                               "concurrent.futures to run several calls at once")
    if extra_args:
        raise Unsupported(f"extra_args={list(extra_args)!r}")
    link = True
    for k, v in (environment or {}).items():
        if k == "TIMELOOP_DISABLE_LINK_TRANSFERS":
            link = str(v).strip().lower() in ("", "0", "false", "no")
        else:
            raise Unsupported(f"environment variable {k}",
                              hint="only TIMELOOP_DISABLE_LINK_TRANSFERS is honoured")
    return link


def _tree(spec: Any, extra_input_files: Any) -> tuple[Any, str]:
    """A copy of the specification's tree (extra files merged) and its YAML text."""
    from loopnest.spec.dump import dump_yaml
    from loopnest.spec.limits import spec_budget
    from loopnest.spec.load import load_files, merge_top

    tree = copy.deepcopy(spec._tree)
    if extra_input_files:
        with spec_budget():
            extra = load_files([os.fspath(f) for f in extra_input_files], dict(spec._jinja))
        merge_top(tree, extra)
    return tree, dump_yaml(tree)


def _design(spec: Any, purpose: str, extra_input_files: Any) -> tuple[Any, str]:
    from loopnest.api import _design_from_spec
    from loopnest.spec.evaluate import evaluate_spec
    from loopnest.spec.limits import spec_budget

    tree, text = _tree(spec, extra_input_files)
    if not spec._parsed or extra_input_files:
        with spec_budget():
            evaluate_spec(tree)
    design = _design_from_spec(tree, files=spec._files, variables=spec._jinja, overrides=(),
                               energy_models=spec._energy_models, purpose=purpose)
    return design, text


def _log(log_to: Any, text: str) -> None:
    if log_to is None:
        print(text)
    elif isinstance(log_to, (str, os.PathLike)):
        d = os.path.dirname(os.fspath(log_to))
        if d:
            os.makedirs(d, exist_ok=True)
        with open(log_to, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    else:
        log_to.write(text + "\n")


def _write(output_dir: Any, files: dict[str, str], text: str, dump_to: Any) -> None:
    from loopnest.report.files import check_outdir, write_output_set

    check_outdir(output_dir)
    write_output_set(output_dir, {**files, INPUT_NAME: text})
    if dump_to:
        with open(dump_to, "w", encoding="utf-8") as f:
            f.write(text)


def call_mapper(specification: Any, output_dir: str, environment: dict | None = None,
                extra_input_files: list | None = None, dump_intermediate_to: str | None = None,
                log_to: Any = None, extra_args: Any = (), return_proc: bool = False
                ) -> OutputStats:
    """Search mappings as `loopnest mapper` does on the same files (the `mapper:`
    settings of the specification: search_size, victory_condition, num_threads,
    optimization_metrics; timeout in seconds when <= 3600, else 60 s) and write
    `timeloop-mapper.*`, `loopnest-mapper.summary.yaml` and
    `parsed-processed-input.yaml` into `output_dir`. Returns the best mapping's
    OutputStats; a failure raises a located loopnest error."""
    from loopnest.api import map_layer

    _check_options(environment, extra_args, return_proc)
    design, text = _design(specification, "mapper", extra_input_files)
    result = map_layer(design, threads=None, seed=0)
    _write(output_dir, result.files(), text, dump_intermediate_to)
    r = result.stats
    gap = f"{result.gap * 100:.2f}%" if result.gap is not None else "n/a"
    _log(log_to, "Summary stats for best mapping found by mapper:\n"
         f"  Utilization = {r.utilization:.2f} | pJ/Compute = {r.pj_per_compute:8.3f} | "
         f"Cycles = {r.cycles} | EDP = {r.edp:.3e} J*cycle | gap = {gap} "
         f"({result.search.status}); {result.search.evaluated} candidates in "
         f"{result.search.elapsed:.1f} s")
    return OutputStats.from_result(result)


def call_model(specification: Any, output_dir: str, environment: dict | None = None,
               extra_input_files: list | None = None, dump_intermediate_to: str | None = None,
               log_to: Any = None, extra_args: Any = (), return_proc: bool = False
               ) -> OutputStats:
    """Evaluate the specification's `mapping:` as `loopnest model` does and write
    `timeloop-model.*` and `parsed-processed-input.yaml` into `output_dir`."""
    from loopnest.api import evaluate
    from loopnest.report.summary import one_line

    link = _check_options(environment, extra_args, return_proc)
    design, text = _design(specification, "model", extra_input_files)
    result = evaluate(design, link_transfers=link)
    _write(output_dir, result.files(), text, dump_intermediate_to)
    _log(log_to, one_line(result.stats))
    return OutputStats.from_result(result)


def call_accelergy_verbose(specification: Any, output_dir: str,
                           environment: dict | None = None,
                           extra_input_files: list | None = None,
                           dump_intermediate_to: str | None = None, log_to: Any = None,
                           extra_args: Any = (), return_proc: bool = False) -> int:
    """Accelergy's outputs as `loopnest energy` writes them (ERT.yaml, ART.yaml, their
    summaries, flattened_architecture.yaml) into `output_dir`. Returns 0."""
    from loopnest.checks import check_loaded
    from loopnest.energy.accelergy import build_documents, registry_for
    from loopnest.energy.writer import write_documents
    from loopnest.errors import LoopnestError
    from loopnest.report.files import check_outdir
    from loopnest.spec.evaluate import evaluate_spec
    from loopnest.spec.limits import spec_budget

    _check_options(environment, extra_args, return_proc)
    check_outdir(output_dir)
    tree, text = _tree(specification, extra_input_files)
    if not specification._parsed or extra_input_files:
        with spec_budget():
            evaluate_spec(tree)
    native = check_loaded(tree, "energy").native
    models = specification._energy_models
    try:
        docs = build_documents(native, registry_for(native, models=models))
    except LoopnestError as e:
        raise e.located(native) from None
    os.makedirs(output_dir, exist_ok=True)
    with open(os.path.join(output_dir, INPUT_NAME), "w", encoding="utf-8") as f:
        f.write(text)
    if dump_intermediate_to:
        with open(dump_intermediate_to, "w", encoding="utf-8") as f:
            f.write(text)
    paths = write_documents(output_dir, docs)
    _log(log_to, "\n".join(f"wrote {p}" for p in paths))
    return 0


def call_stop(*args: Any, **kwargs: Any) -> None:
    raise Unsupported("call_stop()", hint="loopnest runs no Timeloop subprocesses")
