"""Import an ONNX model as a network: Conv, Gemm and MatMul nodes become problem files.

    import_onnx("model.onnx", dims={"seq": 128}) -> OnnxImport(entries, skipped, notes)
    onnx_network_files(result) -> {file name: text}      (problem files + network.yaml)

Shapes come from `onnx.shape_inference` after symbolic input dimensions are fixed
(`dims`; a symbolic first dimension of a graph input — the batch — defaults to 1).
Conv maps to conv2d / depthwise_conv2d / grouped_conv2d (1-D convs as height 1),
Gemm to matmul, MatMul to matmul or, when both operands carry batch dimensions,
batched_matmul. Every other node is listed in `skipped` with the reason. Needs the
optional `onnx` package (`pip install 'loopnest[onnx]'`).
"""
from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from loopnest.errors import LoopnestError, SpecError, ValidationError
from loopnest.network.export import Entry, network_files
from loopnest.network.problems import Problem, conv, matmul, out_size

Dim = int | str | None  # a known size, a symbolic name, or unknown
SUPPORTED = ("Conv", "Gemm", "MatMul")


@dataclass(frozen=True)
class Skipped:
    """A node that is not imported, and why."""

    name: str
    op_type: str
    reason: str


@dataclass(frozen=True)
class OnnxImport:
    """The imported layers in graph order, the skipped nodes and facts for the manifest."""

    name: str
    source: str
    entries: tuple[Entry, ...]
    skipped: tuple[Skipped, ...]
    assumed: dict[str, int] = field(default_factory=dict)  # symbolic dims set by default
    description: str = ""


def require_onnx() -> Any:
    """The `onnx` module, or a one-line error saying how to install it."""
    try:
        import onnx
    except ImportError:
        raise LoopnestError("ONNX import needs the 'onnx' package",
                            hint="pip install 'loopnest[onnx]' (or: pip install onnx)") from None
    return onnx


def load_model(path: str | os.PathLike[str]) -> Any:
    """Read an ONNX file (graph and shapes only: external weight data is not loaded)."""
    onnx = require_onnx()
    p = Path(path)
    if not p.is_file():
        raise SpecError("ONNX model not found", file=str(p), hint="check the path")
    try:
        return onnx.load(str(p), load_external_data=False)
    except Exception as e:  # protobuf DecodeError and friends: not an ONNX file
        raise SpecError(f"cannot read the ONNX model: {type(e).__name__}: {e}", file=str(p),
                        hint="give a .onnx file (an ONNX ModelProto)") from None


def import_onnx(model: Any, dims: Mapping[str, int] | None = None,
                name: str | None = None) -> OnnxImport:
    """Convert a model (path or ModelProto) into entries for `network_files`."""
    onnx = require_onnx()
    path = None
    if not isinstance(model, onnx.ModelProto):
        path = Path(model)
        model = load_model(path)
    model, assumed = fix_symbolic_dims(model, dict(dims or {}))
    try:
        model = onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    except Exception as e:
        raise SpecError(f"ONNX shape inference failed: {e}", file=str(path) if path else None,
                        hint="check the model with onnx.checker.check_model") from None
    shapes = value_shapes(model.graph)
    entries: list[Entry] = []
    skipped: list[Skipped] = []
    used: Counter[str] = Counter()
    for i, node in enumerate(model.graph.node):
        label = node.name or f"{node.op_type}_{i}"
        if node.op_type not in SUPPORTED or node.domain not in ("", "ai.onnx"):
            reason = ("control flow: subgraphs are not imported" if node.op_type in
                      ("If", "Loop", "Scan") else "not a Conv, Gemm or MatMul")
            skipped.append(Skipped(label, node.op_type, reason))
            continue
        try:
            problem = node_problem(node, shapes)
        except ValidationError as e:
            skipped.append(Skipped(label, node.op_type, e.message))
            continue
        used[label] += 1
        lname = label if used[label] == 1 else f"{label}_{used[label]}"
        entries.append(Entry(lname, problem, comment=None))
    gname = name or (path.stem if path else (model.graph.name or "onnx_model"))
    producer = " ".join(x for x in (model.producer_name, model.producer_version) if x)
    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)
    src = (f"imported from {path.name if path else 'an ONNX model'} by loopnest import "
           f"(ONNX opset {opset}" + (f", producer {producer}" if producer else "") + ")")
    desc = model.graph.doc_string or model.doc_string or f"ONNX graph '{model.graph.name}'"
    return OnnxImport(gname, src, tuple(entries), tuple(skipped), assumed, desc.strip())


def onnx_network_files(result: OnnxImport) -> dict[str, str]:
    """Problem files and manifest for an import (raises when nothing was imported)."""
    if not result.entries:
        ops = ", ".join(skipped_summary(result.skipped)) or "none"
        raise ValidationError("the model has no Conv, Gemm or MatMul node to import "
                              f"(skipped: {ops})")
    notes: dict[str, Any] = {}
    if result.assumed:
        notes["comments"] = ["symbolic dimensions set by default: " + ", ".join(
            f"{k}={v}" for k, v in result.assumed.items())]
    notes["omitted"] = skipped_summary(result.skipped) or ["nothing"]
    return network_files(result.name, result.source, list(result.entries),
                         description=result.description, notes=notes,
                         header=[f"Written by `loopnest import`: {len(result.entries)} layers."])


def skipped_summary(skipped: tuple[Skipped, ...] | list[Skipped]) -> list[str]:
    """`Relu x3`-style lines per op type, with the reason when a supported op was skipped."""
    counts: Counter[tuple[str, str]] = Counter()
    for s in skipped:
        reason = s.reason if s.op_type in SUPPORTED else ""
        counts[(s.op_type, reason)] += 1
    out = []
    for (op, reason), n in counts.items():
        out.append(f"{op} x{n}" + (f" ({reason})" if reason else ""))
    return out


# ----------------------------------------------------------------------------- shapes

def fix_symbolic_dims(model: Any, dims: dict[str, int]) -> tuple[Any, dict[str, int]]:
    """Copy of `model` whose graph inputs have `dims` (and batch = 1 by default) filled in."""
    onnx = require_onnx()
    m = onnx.ModelProto()
    m.CopyFrom(model)
    inits = {t.name for t in m.graph.initializer}
    assumed: dict[str, int] = {}
    for vi in m.graph.input:
        if vi.name in inits or not vi.type.HasField("tensor_type"):
            continue
        for k, d in enumerate(vi.type.tensor_type.shape.dim):
            if d.HasField("dim_value"):
                continue
            sym = d.dim_param
            if sym and sym in dims:
                d.dim_value = int(dims[sym])
            elif k == 0:
                assumed[sym or f"{vi.name}[0]"] = 1
                d.dim_value = 1
    return m, assumed


def value_shapes(graph: Any) -> dict[str, list[Dim]]:
    """Shape of every named value the graph knows (inputs, outputs, value_info, initializers)."""
    out: dict[str, list[Dim]] = {}
    for vi in list(graph.input) + list(graph.value_info) + list(graph.output):
        t = vi.type.tensor_type if vi.type.HasField("tensor_type") else None
        if t is None or not t.HasField("shape"):
            continue
        out[vi.name] = [d.dim_value if d.HasField("dim_value") else (d.dim_param or None)
                        for d in t.shape.dim]
    for init in graph.initializer:
        out[init.name] = [int(x) for x in init.dims]
    return out


def _known(shape: list[Dim] | None, what: str) -> list[int]:
    """The shape as ints, or a ValidationError naming what is unknown."""
    if shape is None:
        raise ValidationError(f"shape of {what} is unknown", hint="give --dim NAME=VALUE for "
                              "the model's symbolic input dimensions")
    sym = [d for d in shape if not isinstance(d, int) or d <= 0]
    if sym:
        names = ", ".join(sorted({str(d) for d in sym if isinstance(d, str)})) or "unknown"
        raise ValidationError(f"shape of {what} has symbolic dimensions ({names})",
                              hint="give --dim NAME=VALUE for each")
    return [int(d) for d in shape]


def _attrs(node: Any) -> dict[str, Any]:
    onnx = require_onnx()
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def node_problem(node: Any, shapes: dict[str, list[Dim]]) -> Problem:
    """The problem of one Conv / Gemm / MatMul node (ValidationError when it cannot be built)."""
    if node.op_type == "Conv":
        return conv_problem(node, shapes)
    if node.op_type == "Gemm":
        return gemm_problem(node, shapes)
    return matmul_problem(node, shapes)


def conv_problem(node: Any, shapes: dict[str, list[Dim]]) -> Problem:
    """Conv (1-D or 2-D; groups, depthwise, strides, dilations, pads, auto_pad)."""
    a = _attrs(node)
    x = _known(shapes.get(node.input[0]), f"input '{node.input[0]}'")
    w = _known(shapes.get(node.input[1]), f"weight '{node.input[1]}'")
    nsp = len(w) - 2
    if nsp not in (1, 2) or len(x) != nsp + 2:
        raise ValidationError(f"{nsp}-D convolution: only 1-D and 2-D are modelled")
    groups = int(a.get("group", 1))
    kernel = [int(k) for k in a.get("kernel_shape", w[2:])]
    strides = [int(s) for s in a.get("strides", [1] * nsp)]
    dil = [int(d) for d in a.get("dilations", [1] * nsp)]
    pads = [int(p) for p in a.get("pads", [0] * (2 * nsp))]
    auto = a.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else str(auto)
    spatial = x[2:]
    if auto in ("SAME_UPPER", "SAME_LOWER", "VALID"):
        pads = [0] * (2 * nsp)
        if auto != "VALID":
            for i in range(nsp):
                o = -(-spatial[i] // strides[i])
                total = max(0, (o - 1) * strides[i] + (kernel[i] - 1) * dil[i] + 1 - spatial[i])
                small = total // 2
                pads[i], pads[i + nsp] = (small, total - small) if auto == "SAME_UPPER" \
                    else (total - small, small)
    out = [out_size(spatial[i], kernel[i], strides[i], dil[i], pads[i] + pads[i + nsp])
           for i in range(nsp)]
    y = shapes.get(node.output[0])
    if y is not None and all(isinstance(d, int) and d > 0 for d in y) and list(y[2:]) != out:
        raise ValidationError(f"inferred output {y[2:]} differs from the computed {out}")
    if nsp == 1:  # a 1-D conv is a 2-D one of height 1
        kernel, strides, dil = [1, *kernel], [1, *strides], [1, *dil]
        out, spatial = [1, *out], [1, *spatial]
        pads = [0, pads[0], 0, pads[1]]
    m = int(w[0])
    if w[1] * groups != x[1]:
        raise ValidationError(f"weight {w} with {groups} groups does not fit input channels {x[1]}")
    return conv(c=int(x[1]), m=m, kernel=(kernel[0], kernel[1]), out=(out[0], out[1]), n=int(x[0]),
                stride=(strides[0], strides[1]), dilation=(dil[0], dil[1]), groups=groups,
                inp=(spatial[0], spatial[1]), pad=(pads[0], pads[1], pads[2], pads[3]))


def gemm_problem(node: Any, shapes: dict[str, list[Dim]]) -> Problem:
    """Gemm: Y = A' B' (+ C, a bias add that is not a MAC); A' = A or A^T, B' = B or B^T."""
    a = _attrs(node)
    sa = _known(shapes.get(node.input[0]), f"input A '{node.input[0]}'")
    sb = _known(shapes.get(node.input[1]), f"input B '{node.input[1]}'")
    if len(sa) != 2 or len(sb) != 2:
        raise ValidationError(f"Gemm operands must be 2-D, got {sa} and {sb}")
    rows, k = (sa[1], sa[0]) if a.get("transA", 0) else (sa[0], sa[1])
    k2, cols = (sb[1], sb[0]) if a.get("transB", 0) else (sb[0], sb[1])
    if k != k2:
        raise ValidationError(f"Gemm reduction sizes differ ({k} and {k2})")
    return matmul(n=rows, c=k, m=cols)


def matmul_problem(node: Any, shapes: dict[str, list[Dim]]) -> Problem:
    """MatMul with numpy semantics: shared weights fold the batch into rows, else batched."""
    sa = _known(shapes.get(node.input[0]), f"input A '{node.input[0]}'")
    sb = _known(shapes.get(node.input[1]), f"input B '{node.input[1]}'")
    if not sa or not sb:
        raise ValidationError("MatMul of a scalar")
    sa = [1, *sa] if len(sa) == 1 else sa
    sb = [*sb, 1] if len(sb) == 1 else sb
    n, k = sa[-2], sa[-1]
    k2, m = sb[-2], sb[-1]
    if k != k2:
        raise ValidationError(f"MatMul reduction sizes differ ({k} and {k2})")
    batch_a, batch_b = math.prod(sa[:-2]), math.prod(sb[:-2])
    if batch_b == 1:  # B shared by every batch element: one matmul over all rows
        return matmul(n=batch_a * n, c=k, m=m)
    ba, bb = sa[:-2], sb[:-2]
    width = max(len(ba), len(bb))
    ba, bb = [1] * (width - len(ba)) + ba, [1] * (width - len(bb)) + bb
    if any(x != y and 1 not in (x, y) for x, y in zip(ba, bb)):
        raise ValidationError(f"MatMul batch dimensions {sa[:-2]} and {sb[:-2]} do not broadcast")
    return matmul(b=math.prod(max(x, y) for x, y in zip(ba, bb)), n=n, c=k, m=m)
