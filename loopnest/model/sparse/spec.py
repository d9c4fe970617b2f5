"""Sparse front end: densities, `sparse_optimizations` and metadata attributes as data.

Reads the TL-native spec (v0.4 transpiled, or native / v0.3 with a separate
`sparse_optimizations` file merged at the top level) into frozen dataclasses, with
Timeloop's rules and alternative names (`fixed` = `fixed_structured`, `gating` =
`gate_on_zero_operand`, `metadata_word_bits` = `metadata_datawidth`, the flat
`target`/`condition_on` action syntax next to the `options` list). Mistakes are
`ValidationError`s that name the file, line and YAML path.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loopnest.errors import ValidationError
from loopnest.ir.architecture import Architecture
from loopnest.ir.workload import Workload

DISTRIBUTIONS = {"fixed": "fixed_structured", "fixed_structured": "fixed_structured",
                 "hypergeometric": "hypergeometric", "banded": "banded", "diagonal": "banded"}
FORMATS = ("UOP", "CP", "B", "RLE", "UB")
COMPRESSED_FORMATS = ("CP", "B", "RLE")
ACTION_KINDS = ("gating", "skipping", "skipping_spatial")
COMPUTE_KINDS = {"gating": "gating", "gate_on_zero_operand": "gating",
                 "skipping": "skipping", "skip_on_not_aligned_operands": "skipping"}


@dataclass(frozen=True)
class DensitySpec:
    """A tensor's density model (Timeloop's density-distribution factory)."""

    distribution: str = "fixed_structured"   # fixed_structured | hypergeometric | banded
    density: float = 1.0
    workload_tensor_size: int | None = None
    band_width: int | None = None


@dataclass(frozen=True)
class RankFormat:
    """One rank of a representation format (ranks are stored inner rank first)."""

    format: str                               # UOP | CP | B | RLE | UB
    metadata_word_bits: int | None = None     # None = the level's default
    payload_word_bits: int | None = None
    flattened_rank_ids: tuple[tuple[str, ...], ...] = ()

    @property
    def compressed(self) -> bool:
        return self.format in COMPRESSED_FORMATS


@dataclass(frozen=True)
class TensorFormat:
    """A data space's representation format at one level."""

    data_space: str
    ranks: tuple[RankFormat, ...]             # inner rank first (Timeloop's order)
    inner_to_outer: bool = False

    @property
    def compressed(self) -> bool:
        return any(r.compressed for r in self.ranks)

    @property
    def name(self) -> str:
        """`uop cp b ` as Timeloop prints it (outer rank first, trailing space)."""
        return "".join(r.format.lower() + " " for r in reversed(self.ranks))


@dataclass(frozen=True)
class ActionOption:
    """`target` is gated/skipped when every tensor in `condition_on` is zero."""

    target: str
    condition_on: tuple[str, ...]


@dataclass(frozen=True)
class ActionOptimization:
    kind: str                                 # gating | skipping | skipping_spatial
    options: tuple[ActionOption, ...]


@dataclass(frozen=True)
class LevelSparse:
    """Everything sparse about one storage level."""

    name: str
    formats: dict = field(default_factory=dict)          # data space -> TensorFormat
    actions: tuple[ActionOptimization, ...] = ()


@dataclass(frozen=True)
class MetadataAttrs:
    """A storage level's metadata attributes (with Timeloop's alternative names)."""

    storage_width: int = 0
    word_bits: int = 0
    storage_depth: int | None = None
    block_size: int = 1
    compression_supported: bool = False
    decompression_supported: bool = False


@dataclass(frozen=True)
class SparseSpec:
    """The sparse part of a design. `present`: the input has `sparse_optimizations`."""

    densities: dict                                      # data space -> DensitySpec
    levels: dict = field(default_factory=dict)           # storage index -> LevelSparse
    metadata: tuple[MetadataAttrs, ...] = ()             # per storage level
    compute_gating: bool = False
    compute_skipping: bool = False
    present: bool = False

    @property
    def any_optimization(self) -> bool:
        """Timeloop runs its sparse analysis only when some optimization is given."""
        return bool(self.levels) or self.compute_gating or self.compute_skipping

    def format_of(self, level: int, ds: str) -> TensorFormat | None:
        lv = self.levels.get(level)
        return lv.formats.get(ds) if lv else None


# ------------------------------------------------------------------------ helpers
def _err(msg: str, node: Any, key: Any = None, hint: str | None = None) -> ValidationError:
    return ValidationError(msg, hint=hint).located(node, key)


def _int(v: Any, node: Any, key: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or int(v) != v or v < 0:
        raise _err(f"'{key}' must be a non-negative integer, got {v!r}", node, key)
    return int(v)


def _bool(v: Any) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes")
    return bool(v)


# ------------------------------------------------------------------------ densities
def parse_density(v: Any, node: Any, key: str) -> DensitySpec:
    """A number (fixed-structured) or a `{distribution, density, ...}` map."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        d = float(v)
        if not 0.0 <= d <= 1.0:
            raise _err(f"density of {key} must lie in [0, 1], got {d}", node, key)
        return DensitySpec(density=d)
    if not isinstance(v, dict):
        raise _err(f"density of {key} must be a number or a map with 'distribution' and "
                   f"'density'", node, key)
    dist = str(v.get("distribution", "fixed_structured"))
    if dist not in DISTRIBUTIONS:
        raise _err(f"unknown density distribution '{dist}'", v, "distribution",
                   hint="one of fixed_structured (fixed), hypergeometric, banded")
    if "density" not in v and DISTRIBUTIONS[dist] != "banded":
        raise _err(f"missing density value for the {dist} distribution of {key}", v)
    d = float(v.get("density", 1.0))
    if not 0.0 <= d <= 1.0:
        raise _err(f"density of {key} must lie in [0, 1], got {d}", v, "density")
    wts = v.get("workload_tensor_size")
    bw = v.get("band_width")
    if DISTRIBUTIONS[dist] == "banded" and bw is None:
        raise _err(f"the banded distribution of {key} needs 'band_width'", v)
    return DensitySpec(distribution=DISTRIBUTIONS[dist], density=d,
                       workload_tensor_size=_int(wts, v, "workload_tensor_size") if wts else None,
                       band_width=_int(bw, v, "band_width") if bw is not None else None)


def parse_densities(instance: Any, workload: Workload) -> dict:
    """Per data space density (fixed-structured 1.0 where none is given)."""
    out = {ds: DensitySpec() for ds in workload.ds_names}
    if not isinstance(instance, dict):
        return out
    common = instance.get("commonDensity")
    if common is not None:
        spec = parse_density(common, instance, "commonDensity")
        return {ds: spec for ds in workload.ds_names}
    dens = instance.get("densities")
    if not isinstance(dens, dict):
        return out
    for k, v in dens.items():
        if str(k) not in out:
            raise _err(f"density given for unknown data space '{k}'", dens, k,
                       hint=f"data spaces: {', '.join(workload.ds_names)}")
        out[str(k)] = parse_density(v, dens, str(k))
    return out


# ------------------------------------------------------------------------ metadata attrs
def metadata_attrs(arch: Architecture) -> tuple[MetadataAttrs, ...]:
    """Metadata attributes of every storage level (Timeloop's BufferLevel::ParseSpecs)."""
    out = []
    for lv in arch.storage:
        a = dict(lv.attributes)

        def first(*keys: str, default: Any = None) -> Any:
            for k in keys:
                if a.get(k) is not None:
                    return a[k]
            return default
        bs = int(first("metadata_block_size", default=1) or 1)
        wb = int(first("metadata_datawidth", "metadata_word_bits", default=0) or 0)
        width = int(first("metadata_storage_width", "metadata_width", default=0) or 0)
        depth = first("metadata_storage_depth", "metadata_depth")
        if width and wb and width % (wb * bs):
            raise ValidationError(
                f"{lv.name}: metadata_storage_width {width} is not a multiple of "
                f"metadata_datawidth x metadata_block_size = {wb * bs}",
                hint="Timeloop asserts this; make the metadata width a multiple")
        out.append(MetadataAttrs(storage_width=width, word_bits=wb,
                                 storage_depth=int(depth) if depth is not None else None,
                                 block_size=bs,
                                 compression_supported=_bool(a.get("compression_supported",
                                                                   False)),
                                 decompression_supported=_bool(a.get("decompression_supported",
                                                                     False))))
    return tuple(out)


# ------------------------------------------------------------------------ targets
def _word_bits(spec: Any, key: str, md: MetadataAttrs, level: str, fmt: str) -> int:
    """Timeloop's AdjustFormatWordBits: default, or bumped so the width divides evenly.
    B's metadata defaults to 1 bit; UB ignores given word bits."""
    v = spec.get(key) if fmt != "UB" else None
    if v is None and fmt == "B" and key == "metadata_word_bits":
        v = 1
    if v is None:
        bits = md.word_bits
    else:
        bits = _int(v, spec, key)
        if bits and md.storage_width % bits:
            adj = bits
            while adj < bits * 2 and md.storage_width % adj:
                adj += 1
            bits = adj
    if bits > md.storage_width:
        raise _err(f"{level}: format word bits {bits} exceed metadata_storage_width "
                   f"{md.storage_width}", spec, key if key in spec else None,
                   hint="give the level a wider metadata_storage_width")
    return bits


def _parse_formats(node: Any, level: str, md: MetadataAttrs, workload: Workload) -> dict:
    rf = node["representation_format"]
    out = {}
    dss = rf.get("data_spaces") if isinstance(rf, dict) else None
    if dss is None:
        return out
    if not isinstance(dss, list):
        raise _err("representation_format.data_spaces must be a list", rf, "data_spaces")
    for ent in dss:
        name = str(ent.get("name"))
        if name not in workload.ds_names:
            raise _err(f"representation format for unknown data space '{name}'", ent, "name",
                       hint=f"data spaces: {', '.join(workload.ds_names)}")
        ranks_in = ent.get("ranks")
        if not isinstance(ranks_in, list):
            raise _err(f"keyword 'ranks' missing in the representation format of {name} at "
                       f"{level}", ent)
        order = ent.get("rank_application_order", "outer_to_inner")
        if order not in ("inner_to_outer", "outer_to_inner"):
            raise _err(f"rank_application_order not recognized: {order}", ent,
                       "rank_application_order", hint="inner_to_outer or outer_to_inner")
        ranks = []
        for r in reversed(ranks_in):             # Timeloop stores the inner rank first
            if not isinstance(r, dict) or "format" not in r:
                raise _err("keyword 'format' missing in a rank", r if isinstance(r, dict)
                           else ent)
            f = str(r["format"]).upper()
            if f not in FORMATS:
                raise _err(f"unknown rank format '{r['format']}'", r, "format",
                           hint="one of UOP, CP, B, RLE, UB")
            key = "flattened_rankIDs" if "flattened_rankIDs" in r else "flattened_rank_ids"
            flat = tuple(tuple(str(x) for x in ids) for ids in (r.get(key) or []))
            unknown = [d for ids in flat for d in ids if d not in workload.dimensions]
            if unknown:
                raise _err(f"{key} names unknown dimension(s) {', '.join(unknown)}", r, key,
                           hint=f"dimensions: {', '.join(workload.dimensions)}")
            ranks.append(RankFormat(
                format=f, metadata_word_bits=_word_bits(r, "metadata_word_bits", md, level, f),
                payload_word_bits=_word_bits(r, "payload_word_bits", md, level, f),
                flattened_rank_ids=flat))
        lower_unc = not ranks[0].compressed if ranks else False
        for rk in ranks[1:]:
            if lower_unc and rk.compressed:
                raise _err(f"{level}: format of {name} not supported: an uncompressed rank "
                           f"below a compressed one ({rk.format})", ent, "ranks")
            if not rk.compressed:
                lower_unc = True
        out[name] = TensorFormat(data_space=name, ranks=tuple(ranks),
                                 inner_to_outer=order == "inner_to_outer")
    return out


def _parse_option(o: Any, level: str, workload: Workload) -> ActionOption:
    if not (isinstance(o, dict) and "target" in o and "condition_on" in o):
        raise _err(f"{level}: storage action optimization choice not recognized", o,
                   hint="give 'target' and 'condition_on' (a list of data spaces)")
    t = str(o["target"])
    if t not in workload.ds_names:
        raise _err(f"unknown target data space '{t}'", o, "target")
    cond = o["condition_on"]
    if not isinstance(cond, list):
        raise _err("conditioned-on data space(s) must be given as a list", o, "condition_on")
    for c in cond:
        if str(c) not in workload.ds_names:
            raise _err(f"unknown condition_on data space '{c}'", o, "condition_on")
    return ActionOption(target=t, condition_on=tuple(str(c) for c in cond))


def _parse_actions(node: Any, level: str, workload: Workload) -> tuple:
    out = []
    lst = node["action_optimization"]
    if not isinstance(lst, list):
        raise _err("action_optimization must be a list", node, "action_optimization")
    for ent in lst:
        kind = str(ent.get("type"))
        if kind not in ACTION_KINDS:
            raise _err(f"{level}: storage action optimization type '{kind}' not recognized",
                       ent, "type", hint="gating, skipping or skipping_spatial")
        if "options" in ent:
            opts = tuple(_parse_option(o, level, workload) for o in ent["options"])
        else:
            opts = (_parse_option(ent, level, workload),)
        out.append(ActionOptimization(kind=kind, options=opts))
    return tuple(out)


def parse_sparse(native: Any, workload: Workload, arch: Architecture) -> SparseSpec:
    """The design's SparseSpec (no sparse_optimizations: `present` is False)."""
    native = native or {}
    prob = native.get("problem") or {}
    densities = parse_densities(prob.get("instance") if isinstance(prob, dict) else None,
                                workload)
    md = metadata_attrs(arch)
    so = native.get("sparse_optimizations")
    if so is None:
        return SparseSpec(densities=densities, metadata=md, present=False)
    targets = so.get("targets") if isinstance(so, dict) else None
    targets = targets or []
    if not isinstance(targets, list):
        raise _err("sparse_optimizations.targets must be a list", so, "targets")
    names = [lv.name for lv in arch.storage]
    levels: dict = {}
    gating = skipping = False
    for t in targets:
        if not isinstance(t, dict):
            raise _err("a sparse optimization target must be a map", targets)
        name = str(t.get("name"))
        known = [k for k in ("action_optimization", "representation_format",
                             "compute_optimization") if k in t]
        if not known:
            continue                                      # Timeloop warns and ignores
        if "compute_optimization" in t:
            if name != arch.compute.name:
                raise _err(f"compute_optimization target '{name}' is not the arithmetic "
                           f"level '{arch.compute.name}'", t, "name")
            for c in t["compute_optimization"] or []:
                kind = COMPUTE_KINDS.get(str(c.get("type")))
                if kind is None:
                    raise _err(f"compute optimization type not recognized: {c.get('type')}",
                               c, "type", hint="gating (gate_on_zero_operand) or skipping "
                               "(skip_on_not_aligned_operands)")
                gating |= kind == "gating"
                skipping |= kind == "skipping"
        if "action_optimization" in t or "representation_format" in t:
            if name not in names:
                raise _err(f"sparse optimization target storage level not found: {name}", t,
                           "name", hint=f"storage levels: {', '.join(names)}")
            i = names.index(name)
            prev = levels.get(i, LevelSparse(name=name))
            formats = dict(prev.formats)
            actions = prev.actions
            if "representation_format" in t:
                formats.update(_parse_formats(t, name, md[i], workload))
            if "action_optimization" in t:
                actions = actions + _parse_actions(t, name, workload)
            levels[i] = LevelSparse(name=name, formats=formats, actions=actions)
    return SparseSpec(densities=densities, levels=levels, metadata=md, compute_gating=gating,
                      compute_skipping=skipping, present=True)


def design_sparse(native: Any, workload: Workload, arch: Architecture) -> SparseSpec | None:
    """The SparseSpec of a design with `sparse_optimizations` (None for a dense design,
    which keeps the dense model and report byte for byte)."""
    if not isinstance(native, dict) or native.get("sparse_optimizations") is None:
        return None
    return parse_sparse(native, workload, arch)
