"""Component attributes: numbers that must be sizes, and names nobody reads.

* `check_sizes(spec)`: a size attribute (`depth`, `width`, `datawidth`, `meshX`...)
  that is a number must be finite, whole and at most 2**128 (`nan`, `inf`, `2.5`,
  `1e300`, `factorial(2000)` are errors, located).
* `warn_unknown_attributes(spec, diags)`: an attribute of a component that no
  part of loopnest reads (the IR lowering, the built-in energy estimators, the
  spec's compound classes) and that is one edit away from a name that is read
  (`detph` -> `depth`, `widht` -> `width`) is a misspelling: a warning naming
  the attribute and the known name. Conservative on purpose: a name with no
  known name close to it may be a custom attribute and is not flagged; names a
  container or `variables` defines, names a compound class declares or uses
  anywhere, and components of classes loopnest does not price are never flagged.
"""
from __future__ import annotations

import math
import re
from functools import lru_cache
from importlib import resources
from typing import Any, Iterator

from loopnest.checks.diagnostics import Diagnostics
from loopnest.errors import ValidationError
from loopnest.spec.hints import typo_of
from loopnest.spec.located import where

SIZE_KEYS = ("depth", "memory_depth", "data_storage_depth", "width", "memory_width",
             "data_storage_width", "datawidth", "word_bits", "word_width", "block_size",
             "n_words", "cluster_size", "entries", "meshX", "meshY", "instances", "n_banks",
             "num_banks", "n_rw_ports", "num_ports", "n_ports")
MAX_SIZE = 2 ** 128

# What the IR lowering, the TL-native front end, Timeloop and Accelergy read from a
# component's attributes (the estimators' own names are added from their sources).
LOWERING_NAMES = frozenset("""
    word_bits datawidth word_width width memory_width data_storage_width block_size n_words
    cluster_size depth memory_depth data_storage_depth entries sizeKB technology instances
    meshX meshY read_bandwidth write_bandwidth shared_bandwidth bandwidth
    per_dataspace_bandwidth_consumption_scale reduction_supported num_banks n_banks num_ports
    n_ports n_rd_ports n_wr_ports n_rdwr_ports n_rw_ports network_fill_latency
    network_drain_latency network_read network_fill network_update network_drain
    power_gated_at has_power_gating allow_overbooking vector_access_energy multiple_buffering
    min_utilization global_cycle_seconds cycle_seconds latency version n_instances
    metadata_storage_depth metadata_storage_width metadata_datawidth metadata_block_size
    metadata_width metadata_depth metadata_counter_width concordant_layout
    decompression_supported compression_supported action_latency_cycles cycle_period
    energy_scale area_scale block_size_bits word_bits_metadata ag_datawidth
    data_storage_width_bits tech_node voltage n_buffets n_sectors metadata_word_bits
    metadata_storage_word_bits metadata_read_width concordant_compressed_tile_traversal
    tile_partition_supported decompression_rate compression_rate
""".split())
MAX_TYPO_CHECKS = 500  # unknown attribute names looked at per run (bounded work)
LOWERING_CLASSES = ("DRAM", "SRAM", "regfile", "smartbuffer", "storage", "mac", "compute",
                    "dummy")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_QUOTED = re.compile(r"[\"']([A-Za-z_][A-Za-z0-9_]*)[\"']")


# ---------------------------------------------------------------------------- sizes
def check_component_count(spec: Any) -> None:
    """At most `max_components` component declarations (each is priced and modelled)."""
    from loopnest.spec.limits import LimitError, current

    limit = current().max_components
    n = 0
    for comp in _all_nodes(spec.get("architecture")):
        n += 1
        if n > limit:
            file, line, path = where(comp)
            raise LimitError(f"the architecture declares more than {limit} components "
                             "(component limit)", file=file, line=line, path=path,
                             hint="describe repeated hardware with name[1..N] ranges or "
                                  "meshX/meshY instead of one component each")


def _all_nodes(arch: Any) -> Iterator[Any]:
    """Every node / component declaration of an architecture (any form)."""
    if not isinstance(arch, dict):
        return
    stack = [arch.get("nodes"), arch.get("subtree")]
    while stack:
        items = stack.pop()
        for n in items if isinstance(items, list) else []:
            if isinstance(n, dict):
                yield n
                stack += [n.get("nodes"), n.get("subtree"), n.get("local")]


def check_sizes(spec: Any) -> None:
    """Size attributes of every component and container: finite, whole, <= 2**128."""
    for attrs, _ in _attribute_blocks(spec.get("architecture"), components_only=False):
        for k in SIZE_KEYS:
            if k in attrs:
                _check_size(attrs, k)


def _check_size(attrs: Any, key: str) -> None:
    v = attrs[key]
    if isinstance(v, str):  # a quoted number ("2048.5") is read as the number later on
        try:
            v = float(v.strip().replace("_", "")) if v.strip() else v
        except ValueError:
            return
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return
    file, line, path = where(attrs, key)
    if isinstance(v, float) and not math.isfinite(v):
        raise ValidationError(f"'{key}' must be a finite number, got {v}", file=file,
                              line=line, path=path, hint="give a whole positive number")
    if v != int(v):
        raise ValidationError(f"'{key}' must be a whole number, got {v}", file=file,
                              line=line, path=path, hint="sizes count words, bits or instances")
    if abs(v) > MAX_SIZE:
        raise ValidationError(f"'{key}' is {_short(v)}, above 2**128 (size limit)", file=file,
                              line=line, path=path, hint="no hardware is that large; check the "
                              "expression")


def _short(v: Any) -> str:
    text = f"{v:.3e}" if isinstance(v, float) or abs(v) > 10 ** 12 else str(v)
    return text


# ------------------------------------------------------------------------ known names
@lru_cache(maxsize=None)
def estimator_names() -> frozenset[str]:
    """Every single-word string of the built-in estimators' sources and tables: the
    attribute names they read (and some harmless other words)."""
    names: set[str] = set()
    pkg = resources.files("loopnest.energy")
    texts = []
    for sub in (pkg / "estimators").iterdir():
        if sub.name.endswith(".py"):
            texts.append(sub.read_text(encoding="utf-8"))
    for name in ("engine.py", "plugin.py", "flatten.py", "units.py", "scaling.py",
                 "classes.py", "accelergy.py"):
        p = pkg / name
        if p.is_file():
            texts.append(p.read_text(encoding="utf-8"))
    for text in texts:
        names.update(_QUOTED.findall(text))
    try:
        import json

        lib = json.loads((pkg / "data" / "accelergy2024" / "library.json").read_text())
        for row in lib.get("entries", []):
            if isinstance(row, dict):
                for col in row:
                    names.update(x for x in str(col).split("|") if _IDENT.fullmatch(x))
    except (OSError, ValueError):
        pass
    return frozenset(names)


@lru_cache(maxsize=None)
def _builtin_classes_check() -> Any:
    from loopnest.energy.estimators import builtin_estimators

    ests = [e for m in ("accelergy2024", "hwcomponents") for e in builtin_estimators(m)]

    def priced(cls: str) -> bool:
        for e in ests:
            try:
                if e.supports(cls):
                    return True
            except Exception:  # noqa: BLE001 - a plug-in's own failure: not ours to judge
                continue
        return False

    return priced


def compound_names(spec: Any) -> tuple[set[str], set[str]]:
    """(compound class names, every identifier a compound class declares or uses)."""
    classes: set[str] = set()
    words: set[str] = set()
    for key in ("compound_components", "components"):
        block = spec.get(key)
        items = block.get("classes") if isinstance(block, dict) else block
        for c in items if isinstance(items, list) else []:
            if isinstance(c, dict):
                classes.add(str(c.get("name")))
                _words(c, words)
    return classes, words


def _words(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            out.add(str(k))
            _words(v, out)
    elif isinstance(node, list):
        for v in node:
            _words(v, out)
    elif isinstance(node, str):
        out.update(_IDENT.findall(node))


def _attribute_blocks(arch: Any, components_only: bool = True
                      ) -> Iterator[tuple[Any, tuple[set[str], Any]]]:
    """(attributes mapping, (names inherited from containers, component)) of every
    component (and, unless `components_only`, every container) of an architecture."""
    if not isinstance(arch, dict):
        return
    if isinstance(arch.get("nodes"), list):
        yield from _v4_blocks(arch["nodes"], set(), components_only)
    subtree = arch.get("subtree")
    for st in subtree if isinstance(subtree, list) else []:
        yield from _tree_blocks(st, set(), components_only)


def _v4_blocks(nodes: list, inherited: set[str], components_only: bool) -> Iterator:
    inherited = set(inherited)
    for n in nodes:
        if not isinstance(n, dict):
            continue
        if isinstance(n.get("nodes"), list):
            yield from _v4_blocks(n["nodes"], inherited, components_only)
            continue
        attrs = n.get("attributes")
        container = getattr(n, "tag", None) == "!Container" or "class" not in n
        if isinstance(attrs, dict):
            if container:
                inherited |= {str(k) for k in attrs}
                if not components_only:
                    yield attrs, (set(inherited), n)
            else:
                yield attrs, (set(inherited), n)


def _tree_blocks(node: Any, inherited: set[str], components_only: bool) -> Iterator:
    if not isinstance(node, dict):
        return
    attrs = node.get("attributes")
    inner = set(inherited)
    if isinstance(attrs, dict):
        inner |= {str(k) for k in attrs}
        if not components_only:
            yield attrs, (set(inner), node)
    local, subtree = node.get("local"), node.get("subtree")
    for comp in local if isinstance(local, list) else []:
        if isinstance(comp, dict) and isinstance(comp.get("attributes"), dict):
            yield comp["attributes"], (set(inner), comp)
    for st in subtree if isinstance(subtree, list) else []:
        yield from _tree_blocks(st, inner, components_only)


def warn_unknown_attributes(spec: Any, diags: Diagnostics) -> None:
    """Warn about component attributes nothing reads, naming the closest known one."""
    arch = spec.get("architecture")
    if not isinstance(arch, dict):
        return
    classes, compound_words = compound_names(spec)
    variables = spec.get("variables")
    var_names = {str(k) for k in variables} if isinstance(variables, dict) else set()
    base = LOWERING_NAMES | estimator_names() | compound_words | var_names
    priced = _builtin_classes_check()
    budget = MAX_TYPO_CHECKS  # a design with thousands of unknown names is no typo
    for attrs, (inherited, comp) in _attribute_blocks(arch):
        cls = str(comp.get("class", ""))
        if not (cls in classes or priced(cls) or any(c.lower() in cls.lower()
                                                     for c in LOWERING_CLASSES)):
            continue  # a class loopnest does not price itself: its names are not ours
        known = base | inherited
        for k in attrs:
            name = str(k)
            if name in known or name.startswith("_") or budget <= 0:
                continue
            budget -= 1
            near = typo_of(name, sorted(known))  # sorted: the same suggestion every run
            if near:
                diags.warn(attrs, k, f"unknown attribute '{name}' of '{comp.get('name')}' "
                           f"(class {cls}) is ignored", near)
    _warn_container_attributes(arch, base, diags)


def _warn_container_attributes(arch: Any, base: set[str], diags: Diagnostics) -> None:
    """A container's attributes are inherited by its components; a name none of them
    reads that is one letter off a known one (`global_cycle_second`) is a likely typo."""
    known = sorted(base)
    for attrs, (_, node) in _attribute_blocks(arch, components_only=False):
        if "class" in node and getattr(node, "tag", None) != "!Container":
            continue  # a component: checked above
        for k in attrs:
            name = str(k)
            if name in base or name.startswith("_"):
                continue
            near = typo_of(name, known)
            if near:
                diags.warn(attrs, k, f"unknown attribute '{name}' of container "
                           f"'{node.get('name')}' is read by none of its components", near)
