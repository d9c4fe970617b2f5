"""`loopnest import MODEL.onnx`: small real models built with onnx.helper.

Checks the dimensions and MACs of the imported Conv (grouped, depthwise, dilated,
auto_pad, 1-D), Gemm and MatMul (shared-weight and batched) layers, the list of
skipped operators, symbolic dimensions, and that identical shapes share one file.
Skipped when the optional `onnx` package is not installed.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from loopnest.cli import main  # noqa: E402
from loopnest.errors import LoopnestError, ValidationError  # noqa: E402
from loopnest.network import network_stats, resolve_network, total_macs  # noqa: E402
from loopnest.network.onnx_import import import_onnx, onnx_network_files  # noqa: E402


def _init(name: str, *shape: int):
    return numpy_helper.from_array(np.zeros(shape, np.float32), name)


def _save(tmp_path: Path, name: str, nodes: list, inputs: list, outputs: list, inits: list) -> Path:
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, str(path))
    return path


def cnn(tmp_path: Path) -> Path:
    """x[batch,8,32,32] -> grouped conv /2 -> Relu -> 2 identical dilated depthwise convs ->
    MaxPool -> SAME_UPPER conv /2 -> Flatten -> Gemm (transB)."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8, 32, 32])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 10])
    nodes = [
        helper.make_node("Conv", ["x", "wg"], ["a"], name="gconv", group=2, strides=[2, 2],
                         pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["a"], ["b"], name="relu"),
        helper.make_node("Conv", ["b", "wd1"], ["c"], name="dw1", group=16, dilations=[2, 2],
                         pads=[2, 2, 2, 2]),
        helper.make_node("Conv", ["c", "wd2"], ["d"], name="dw2", group=16, dilations=[2, 2],
                         pads=[2, 2, 2, 2]),
        helper.make_node("MaxPool", ["d"], ["e"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["e", "ws"], ["f"], name="same", strides=[2, 2],
                         auto_pad="SAME_UPPER"),
        helper.make_node("Flatten", ["f"], ["g"], name="flatten"),
        helper.make_node("Gemm", ["g", "wf", "bias"], ["y"], name="fc", transB=1),
    ]
    inits = [_init("wg", 16, 4, 3, 3), _init("wd1", 16, 1, 3, 3), _init("wd2", 16, 1, 3, 3),
             _init("ws", 32, 16, 3, 3), _init("wf", 10, 512), _init("bias", 10)]
    return _save(tmp_path, "cnn", nodes, [x], [y], inits)


def attention(tmp_path: Path) -> Path:
    """Projection with shared weights, then QK^T and AV batched over 4 heads, Softmax between."""
    vi = helper.make_tensor_value_info
    inputs = [vi("x", TensorProto.FLOAT, ["batch", "seq", 64]),
              vi("q", TensorProto.FLOAT, ["batch", 4, "seq", 16]),
              vi("kt", TensorProto.FLOAT, ["batch", 4, 16, "seq"]),
              vi("v", TensorProto.FLOAT, ["batch", 4, "seq", 16])]
    outputs = [vi("proj", TensorProto.FLOAT, None), vi("ctx", TensorProto.FLOAT, None)]
    nodes = [
        helper.make_node("MatMul", ["x", "wq"], ["proj"], name="q_proj"),
        helper.make_node("MatMul", ["q", "kt"], ["s"], name="qk"),
        helper.make_node("Softmax", ["s"], ["p"], name="softmax", axis=-1),
        helper.make_node("MatMul", ["p", "v"], ["ctx"], name="av"),
    ]
    graph = helper.make_graph(nodes, "attention", inputs, outputs,
                              initializer=[_init("wq", 64, 64)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = tmp_path / "attention.onnx"
    onnx.save(model, str(path))
    return path


def test_cli_import_cnn(tmp_path: Path, capsys) -> None:
    out = tmp_path / "cnn_net"
    assert main(["import", str(cnn(tmp_path)), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "imported 5 layers (4 distinct problem files)" in printed
    assert "skipped: Relu x1, MaxPool x1, Flatten x1" in printed
    assert "assumed: batch=1" in printed
    net = resolve_network(out)
    assert net.name == "cnn"
    assert [x.name for x in net.layers] == ["gconv", "dw1", "dw2", "same", "fc"]
    assert net.layers[1].problem == net.layers[2].problem  # identical shapes stored once
    assert net.notes["omitted"] == ["Relu x1", "MaxPool x1", "Flatten x1"]
    st = {s.name: s for s in network_stats(net)}

    g = st["gconv"]  # 8 -> 16 channels in 2 groups, 3x3 /2, pad 1: 32 -> 16
    assert g.shape == "grouped_conv2d"
    assert g.bounds == {"G": 2, "C": 4, "M": 8, "R": 3, "S": 3, "N": 1, "P": 16, "Q": 16}
    assert g.macs == 16 * 4 * 9 * 16 * 16
    assert g.footprints["Inputs"] == 8 * 33 * 33  # (16-1)*2 + 3 = 33

    d = st["dw1"]  # depthwise 3x3, dilation 2, pad 2: 16 -> 16
    assert d.shape == "depthwise_conv2d"
    assert d.bounds == {"C": 16, "R": 3, "S": 3, "N": 1, "P": 16, "Q": 16}
    assert d.macs == 16 * 9 * 16 * 16 and d.footprints["Inputs"] == 16 * 20 * 20  # 15 + 2*2 + 1

    s = st["same"]  # SAME_UPPER 3x3 /2 on 8x8: 4x4, pads 0 before / 1 after
    assert s.shape == "conv2d" and (s.bounds["P"], s.bounds["Q"]) == (4, 4)
    assert s.macs == 32 * 16 * 9 * 4 * 4
    text = net.layers[3].problem.read_text()
    assert "Hstride: 2" in text and "Wstride: 2" in text
    assert "pads top/left/bottom/right 0/0/1/1" in text

    fc = st["fc"]  # Gemm with transB: [1 x 512] x [512 x 10]
    assert fc.shape == "matmul" and fc.bounds == {"C": 512, "M": 10, "N": 1} and fc.macs == 5120

    text = (out / "gconv3x3_s2_g2_c4_m8_16x16.yaml").read_text()
    assert "    Wstride: 2\n    Hstride: 2\n    Wdilation: 1\n    Hdilation: 1\n" in text
    assert "    Hpad: 1\n    Wpad: 1\n" in text

    # a second import into the same folder is refused unless --force
    assert main(["import", str(tmp_path / "cnn.onnx"), "-o", str(out)]) == 2
    assert "already there" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "cnn.onnx"), "-o", str(out), "--force",
                 "--name", "renamed"]) == 0
    assert resolve_network(out).name == "renamed"


def test_batched_matmul_and_symbolic_dims(tmp_path: Path) -> None:
    path = attention(tmp_path)
    res = import_onnx(path, dims={"seq": 32})
    assert [e.name for e in res.entries] == ["q_proj", "qk", "av"]
    assert [(s.name, s.op_type) for s in res.skipped] == [("softmax", "Softmax")]
    files = onnx_network_files(res)
    out = tmp_path / "att"
    out.mkdir()
    for name, text in files.items():
        (out / name).write_text(text)
    st = {s.name: s for s in network_stats(resolve_network(out))}
    # x[1,32,64] @ W[64,64]: the weights are shared, so the batch folds into the rows
    assert st["q_proj"].shape == "matmul" and st["q_proj"].bounds == {"C": 64, "M": 64, "N": 32}
    # [1,4,32,16] @ [1,4,16,32]: 4 heads of [32 x 16] x [16 x 32]
    assert st["qk"].shape == "batched_matmul"
    assert st["qk"].bounds == {"B": 4, "C": 16, "M": 32, "N": 32}
    assert st["av"].bounds == {"B": 4, "C": 32, "M": 16, "N": 32}
    assert st["qk"].footprints == {"Weights": 4 * 16 * 32, "Inputs": 4 * 32 * 16,
                                   "Outputs": 4 * 32 * 32}
    assert total_macs(list(st.values())) == 32 * 64 * 64 + 2 * 4 * 32 * 16 * 32


def test_unknown_symbolic_dims_skip_the_node_with_a_reason(tmp_path: Path) -> None:
    res = import_onnx(attention(tmp_path))  # `seq` not given
    assert res.entries == () and res.assumed == {"batch": 1}
    reasons = {s.name: s.reason for s in res.skipped}
    assert "symbolic dimensions (seq)" in reasons["qk"]
    with pytest.raises(ValidationError, match="no Conv, Gemm or MatMul node"):
        onnx_network_files(res)


def test_conv1d_is_a_conv2d_of_height_one(tmp_path: Path) -> None:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4, 100])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 8, 50])
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="c1d", strides=[2], pads=[2, 2])
    res = import_onnx(_save(tmp_path, "c1d", [node], [x], [y], [_init("w", 8, 4, 5)]))
    (entry,) = res.entries
    inst = dict(entry.problem.instance)
    assert entry.problem.shape == "conv2d"
    assert {k: inst[k] for k in "CMRSNPQ"} == {"C": 4, "M": 8, "R": 5, "S": 1, "N": 2, "P": 50,
                                               "Q": 1}
    assert (inst["Wstride"], inst["Hstride"], inst["Wpad"], inst["Hpad"]) == (2, 1, 2, 0)


def test_non_onnx_file_is_a_located_error(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\xff\xfenot a protobuf at all")
    with pytest.raises(LoopnestError) as e:
        import_onnx(bad)
    assert e.value.file == str(bad) and "cannot read the ONNX model" in e.value.message
    assert main(["import", str(tmp_path / "missing.onnx"), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "missing.onnx: ONNX model not found" in err and "Traceback" not in err
    assert main(["import", str(bad), "-o", str(tmp_path / "o"), "--dim", "seq"]) == 2
    assert "--dim 'seq' is not NAME=POSITIVE_INT" in capsys.readouterr().err
