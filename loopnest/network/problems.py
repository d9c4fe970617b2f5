"""Build Timeloop v0.4 problem files for the standard layer shapes.

The shapes themselves are data (`loopnest/network/shapes/*.yaml`: conv2d,
grouped_conv2d, depthwise_conv2d, matmul, batched_matmul); this module fills in an
instance from layer parameters, names the file after the shape and renders the YAML
text. Used by the ONNX importer, and the way the bundled `workloads/` were written.
"""
from __future__ import annotations

import importlib.resources
from dataclasses import dataclass
from functools import lru_cache

from loopnest.errors import ValidationError

SHAPES = ("conv2d", "grouped_conv2d", "depthwise_conv2d", "matmul", "batched_matmul")
INFO_NOTE = ("# H, W: input height, width before padding; Hpad, Wpad: zero padding per side.",
             "# Informational only: they are not dimensions and Timeloop ignores them.")
Pair = tuple[int, int]


@dataclass(frozen=True)
class Problem:
    """A standard shape with its instance (ordered `key: int` pairs) and a one-line title."""

    shape: str
    instance: tuple[tuple[str, int], ...]
    title: str
    stem: str  # file name without `.yaml`, derived from the parameters


@lru_cache(maxsize=None)
def shape_text(name: str) -> tuple[tuple[str, ...], str]:
    """(comment lines, YAML body) of a standard shape file."""
    if name not in SHAPES:
        raise ValidationError(f"unknown standard shape '{name}'",
                              hint="standard shapes: " + ", ".join(SHAPES))
    text = (importlib.resources.files("loopnest.network") / "shapes" / f"{name}.yaml"
            ).read_text(encoding="utf-8")
    lines = text.splitlines()
    comments = tuple(ln for ln in lines if ln.startswith("#"))
    body = "\n".join(ln for ln in lines if ln.strip() and not ln.startswith("#"))
    return comments, body


def _pair(v: int | Pair) -> Pair:
    return (int(v), int(v)) if isinstance(v, int) else (int(v[0]), int(v[1]))


def _hw(p: Pair, sep: str = "x") -> str:
    return str(p[0]) if p[0] == p[1] else f"{p[0]}{sep}{p[1]}"


def out_size(size: int, kernel: int, stride: int, dilation: int, pad_total: int) -> int:
    """Output length of a convolution along one axis (floor division, as in every framework)."""
    return (size + pad_total - dilation * (kernel - 1) - 1) // stride + 1


def conv(*, c: int, m: int, kernel: int | Pair, out: int | Pair, n: int = 1,
         stride: int | Pair = 1, dilation: int | Pair = 1, groups: int = 1,
         inp: int | Pair | None = None, pad: int | Pair | tuple[int, int, int, int] | None = None,
         ) -> Problem:
    """A 2-D convolution as conv2d, depthwise_conv2d (groups == c == m) or grouped_conv2d.

    `c`, `m` are the layer's total input/output channels; pairs are (height, width);
    `pad` is per side, or ONNX's (top, left, bottom, right). With `inp` and `pad` the
    output size is checked. H/W and symmetric padding are written as informational keys.
    """
    kh, kw = _pair(kernel)
    oh, ow = _pair(out)
    sh, sw = _pair(stride)
    dh, dw = _pair(dilation)
    pads: tuple[int, int, int, int] | None = None
    if pad is not None:
        pads = ((int(pad[0]), int(pad[1]), int(pad[2]), int(pad[3])) if not isinstance(pad, int)
                and len(pad) == 4 else (*_pair(pad), *_pair(pad)))  # type: ignore[arg-type]
    if min(c, m, kh, kw, oh, ow, n, sh, sw, dh, dw, groups) < 1:
        raise ValidationError(f"conv sizes must be positive (c={c} m={m} kernel={kh}x{kw} "
                              f"out={oh}x{ow} n={n} stride={sh}x{sw} groups={groups})")
    if c % groups or m % groups:
        raise ValidationError(f"{groups} groups do not divide {c} input and {m} output channels")
    if inp is not None and pads is not None:
        ih, iw = _pair(inp)
        want = (out_size(ih, kh, sh, dh, pads[0] + pads[2]),
                out_size(iw, kw, sw, dw, pads[1] + pads[3]))
        if want != (oh, ow):
            raise ValidationError(f"conv output {oh}x{ow} does not follow from input {ih}x{iw}, "
                                  f"kernel {kh}x{kw}, stride {sh}x{sw}, dilation {dh}x{dw}, "
                                  f"pads {pads}: expected {want[0]}x{want[1]}")
    if groups == 1:
        shape, dims = "conv2d", [("C", c), ("M", m)]
        what = f"conv2d {kh}x{kw}, {c} -> {m} channels"
        stem = f"conv{kh}x{kw}_s{_hw((sh, sw))}_c{c}_m{m}"
    elif groups == c == m:
        shape, dims = "depthwise_conv2d", [("C", c)]
        what = f"depthwise conv2d {kh}x{kw}, {c} channels"
        stem = f"dw{kh}x{kw}_s{_hw((sh, sw))}_c{c}"
    else:
        shape, dims = "grouped_conv2d", [("G", groups), ("C", c // groups), ("M", m // groups)]
        what = (f"grouped conv2d {kh}x{kw}, {groups} groups of {c // groups} -> {m // groups} "
                f"channels ({c} -> {m})")
        stem = f"gconv{kh}x{kw}_s{_hw((sh, sw))}_g{groups}_c{c // groups}_m{m // groups}"
    if (dh, dw) != (1, 1):
        stem += f"_d{_hw((dh, dw))}"
    stem += f"_{oh}x{ow}" + (f"_n{n}" if n != 1 else "")
    inst = dims + [("R", kw), ("S", kh), ("N", n), ("P", ow), ("Q", oh), ("Wstride", sw),
                   ("Hstride", sh), ("Wdilation", dw), ("Hdilation", dh)]
    where = f"stride {_hw((sh, sw))}"
    if (dh, dw) != (1, 1):
        where += f", dilation {_hw((dh, dw))}"
    io = f"output {oh}x{ow}"
    if inp is not None:
        ih, iw = _pair(inp)
        inst += [("H", ih), ("W", iw)]
        io = f"input {ih}x{iw} -> " + io
    if pads is not None:
        if pads[0] == pads[2] and pads[1] == pads[3]:
            inst += [("Hpad", pads[0]), ("Wpad", pads[1])]
            where += f", pad {_hw((pads[0], pads[1]))}"
        else:
            where += f", pads top/left/bottom/right {pads[0]}/{pads[1]}/{pads[2]}/{pads[3]}"
    title = f"{what}, {where}, {io}" + (f", batch {n}" if n != 1 else "")
    return Problem(shape, tuple(inst), title, stem)


def matmul(*, n: int, c: int, m: int, b: int | None = None) -> Problem:
    """Outputs[N][M] += Inputs[N][C] * Weights[C][M]; with `b`, B such products (batched)."""
    if min(n, c, m, b or 1) < 1:
        raise ValidationError(f"matmul sizes must be positive (b={b} n={n} c={c} m={m})")
    if b is None:
        return Problem("matmul", (("C", c), ("M", m), ("N", n)),
                       f"matmul [{n} x {c}] x [{c} x {m}] (rows N, reduction C, columns M)",
                       f"mm_n{n}_c{c}_m{m}")
    return Problem("batched_matmul", (("B", b), ("C", c), ("M", m), ("N", n)),
                   f"batched matmul {b} x [{n} x {c}] x [{c} x {m}] (batch B, rows N, "
                   "reduction C, columns M)", f"bmm_b{b}_n{n}_c{c}_m{m}")


def problem_body(problem: Problem) -> str:
    """The YAML of the problem without comments: two problems are identical when this is."""
    _, shape = shape_text(problem.shape)
    lines = ["problem:", "  version: 0.4", "  shape:"]
    lines += ["    " + ln for ln in shape.splitlines()]
    lines.append("  instance:")
    lines += [f"    {k}: {v}" for k, v in problem.instance]
    return "\n".join(lines) + "\n"


def render_problem(problem: Problem, used_by: list[str] | tuple[str, ...] = ()) -> str:
    """The problem file's text: a header (title, users, the shape's Einsum) and the body."""
    comments, _ = shape_text(problem.shape)
    head = [f"# {problem.title}"]
    if used_by:
        more = f", ... ({len(used_by)} in all)" if len(used_by) > 8 else ""
        shown = ", ".join(used_by[:8]) + more
        head.append(f"# Used by: {shown}")
    head += ["#", *comments]
    body = problem_body(problem)
    if any(k == "H" for k, _ in problem.instance):
        note = "".join(f"\n    {ln}" for ln in INFO_NOTE)
        body = body.replace("\n    H: ", f"{note}\n    H: ", 1)
    return "\n".join(head) + "\n" + body
