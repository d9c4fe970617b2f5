"""Bundled networks (workloads/<net>/), the network.yaml manifest and its loader.

MAC totals are checked against published figures (reference and tolerance beside
each); stride-2 Input footprints against hand derivations; every problem file is
loaded, lowered and checked against an architecture; manifest mistakes must be
located errors. Needs nothing outside this repository.
"""
from __future__ import annotations

import importlib.resources
import shutil
import sys
from pathlib import Path

import pytest

from loopnest.errors import LoopnestError, SpecError, ValidationError
from loopnest.network import (bundled_names, bundled_root, load_workload, network_stats,
                              read_manifest, resolve_network, total_macs)
from loopnest.network.problems import out_size, problem_body
from loopnest.network.stats import footprints

REPO = Path(__file__).resolve().parents[1]
ARCH = REPO / "arch_library" / "simple_pe_array" / "arch.yaml"
NETWORKS = ["alexnet", "vgg16", "resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3",
            "bert_base", "gpt2_small", "vit_b16", "llama_block"]
ALL_FILES = sorted(p for net in NETWORKS for p in (REPO / "workloads" / net).glob("*.yaml")
                   if p.name != "network.yaml")

# name -> (published MACs, relative tolerance, reference). "GFLOPS" in torchvision's model
# docs counts multiply-accumulates.
PUBLISHED = {
    "alexnet": (724e6, 0.01, "Sze et al., Efficient Processing of DNNs, Proc. IEEE 2017: "
                "AlexNet 724M MACs (666M conv + 58.6M FC), the two-tower Caffe model"),
    "vgg16": (15.47e9, 0.01, "torchvision vgg16 docs: 15.47 GFLOPS (Sze et al. 2017: 15.5G)"),
    "resnet18": (1.81e9, 0.01, "torchvision resnet18 docs: 1.81 GFLOPS (He et al. 2016: 1.8e9)"),
    "resnet50": (4.09e9, 0.01, "torchvision resnet50 (v1.5) docs: 4.09 GFLOPS"),
    "mobilenet_v2": (300e6, 0.01, "Sandler et al. 2018, Table 3: 300M multiply-adds"),
    "mobilenet_v3": (219e6, 0.02, "Howard et al. 2019, Table 3: Large 1.0, 219M MAdds "
                     "(torchvision: 0.22 GFLOPS)"),
    "vit_b16": (17.56e9, 0.01, "torchvision vit_b_16 docs: 17.56 GFLOPS (DeiT-B: 17.6G)"),
    "bert_base": (11.25e9, 0.02, "Sun et al., MobileBERT, ACL 2020, Table 4: BERT-Base 22.5 "
                  "GFLOPs at sequence length 128 = 11.25 GMACs"),
}


@pytest.fixture(scope="module")
def stats() -> dict:
    return {n: network_stats(resolve_network(n)) for n in NETWORKS}


# ------------------------------------------------------------------------ MAC totals

@pytest.mark.parametrize("net", sorted(PUBLISHED))
def test_total_macs_match_published_figures(stats: dict, net: str) -> None:
    ref, tol, _cite = PUBLISHED[net]
    got = total_macs(stats[net])
    assert abs(got - ref) / ref <= tol, f"{net}: {got / 1e9:.4f} G vs {ref / 1e9:.4f} G"


def _by_kind(st: list, group: str | None = None) -> tuple[int, int]:
    """(MACs of weight matmuls, MACs of batched attention matmuls), all occurrences."""
    mm = sum(s.total_macs for s in st if s.shape == "matmul" and s.group == group)
    bmm = sum(s.total_macs for s in st if s.shape == "batched_matmul" and s.group == group)
    return mm, bmm


def test_gpt2_small_prefill_and_decode(stats: dict) -> None:
    # Kaplan et al. 2020, Table 1: the forward pass costs 2N FLOPs (N MACs) per token for
    # the non-embedding weights, N = 2 d_model n_layer (2 d_attn + d_ff) = 84,934,656 for
    # GPT-2 small; the attention matmuls add 2 n_layer n_ctx d MACs per token (dense QK^T, AV).
    d, layers, n_ctx, vocab = 768, 12, 1024, 50257
    n_params = 2 * d * layers * (2 * d + 4 * d)
    st = stats["gpt2_small"]
    lm_head = d * vocab
    mm, bmm = _by_kind(st, "prefill")
    assert mm == n_ctx * n_params + lm_head  # LM head on the last position only
    assert bmm == layers * 2 * n_ctx * n_ctx * d
    mm, bmm = _by_kind(st, "decode")
    assert mm == n_params + lm_head and bmm == layers * 2 * n_ctx * d  # 1 token, 1024 keys
    net = resolve_network("gpt2_small")
    assert net.groups == ("prefill", "decode")
    assert net.notes["sequence_length"] == 1024 and net.notes["kv_cache_length"] == 1024


def test_llama_block_dimensions(stats: dict) -> None:
    # Touvron et al. 2023, Table 2: LLaMA-7B has 6.7B parameters = 32 blocks of weight
    # matmuls (one token through them costs one MAC per weight) + 2 x 32000 x 4096 embedding
    # and LM head (+ 0.3M norm weights).
    st = stats["llama_block"]
    seq, d = 2048, 4096
    mm, bmm = _by_kind(st)
    per_token = mm // seq
    assert per_token == 4 * d * d + 3 * d * 11008
    params = 32 * per_token + 2 * 32000 * d
    assert abs(params - 6.7e9) / 6.7e9 < 0.01
    assert bmm == 2 * 32 * seq * seq * 128
    weights = sum(s.footprints["Weights"] for s in st if s.shape == "matmul")
    assert weights == per_token


def test_transformer_layer_structure(stats: dict) -> None:
    for net, n, heads in (("bert_base", 128, 12), ("vit_b16", 197, 12)):
        st = {s.name: s for s in stats[net]}
        qk, av = st["encoder.attn.qk"], st["encoder.attn.av"]
        assert qk.bounds == {"B": heads, "C": 64, "M": n, "N": n} and qk.count == 12
        assert av.bounds == {"B": heads, "C": n, "M": 64, "N": n}
        for proj in ("q", "k", "v", "o"):
            assert st[f"encoder.attn.{proj}_proj"].bounds == {"C": 768, "M": 768, "N": n}
        assert st["encoder.ffn.fc1"].bounds == {"C": 768, "M": 3072, "N": n}
        assert st["encoder.ffn.fc2"].bounds == {"C": 3072, "M": 768, "N": n}
    patch = {s.name: s for s in stats["vit_b16"]}["conv_proj"]
    assert patch.bounds["P"] * patch.bounds["Q"] == 196  # + class token = 197 tokens


def test_alexnet_grouped_layers(stats: dict) -> None:
    st = {s.name: s for s in stats["alexnet"]}
    assert st["conv2"].shape == "grouped_conv2d" and st["conv2"].bounds["G"] == 2
    assert (st["conv2"].bounds["C"], st["conv2"].bounds["M"]) == (48, 128)
    assert st["conv3"].shape == "conv2d"  # conv3 sees both towers
    assert {st[k].bounds["G"] for k in ("conv4", "conv5")} == {2}
    conv = sum(s.total_macs for s in stats["alexnet"] if "conv" in s.shape)
    assert abs(conv - 666e6) / 666e6 < 0.005  # Sze et al. 2017: 666M conv MACs


# ------------------------------------------------------------ stride-2 footprints

@pytest.mark.parametrize("net,layer,inputs", [
    # 7x7/2 -> 112: a row spans (112-1)*2 + 7 = 229 input pixels (of 224 + 2*3 padded)
    ("resnet50", "conv1", 3 * 229 * 229),
    # 1x1/2 shortcut, 56 -> 28: (28-1)*2 + 1 = 55; the box includes the skipped pixels
    ("resnet50", "layer2.0.downsample", 256 * 55 * 55),
    # 3x3/2 on the v1.5 bottleneck, 56 -> 28: (28-1)*2 + 3 = 57
    ("resnet50", "layer2.0.conv2", 128 * 57 * 57),
    # ResNet-18's strided 3x3 on 28x28 (pad 1) -> 14: (14-1)*2 + 3 = 29
    ("resnet18", "layer3.0.conv1", 128 * 29 * 29),
    # MobileNetV2 depthwise 3x3/2, 96 channels, 112 -> 56: (56-1)*2 + 3 = 113
    ("mobilenet_v2", "bneck2.dw", 96 * 113 * 113),
    # MobileNetV3 depthwise 5x5/2, 72 channels, 56 -> 28: (28-1)*2 + 5 = 59
    ("mobilenet_v3", "bneck4.dw", 72 * 59 * 59),
    # AlexNet conv1 11x11/4 -> 55: (55-1)*4 + 11 = 227, the whole crop
    ("alexnet", "conv1", 3 * 227 * 227),
    # ViT patch embedding 16x16/16 -> 14: (14-1)*16 + 16 = 224
    ("vit_b16", "conv_proj", 3 * 224 * 224),
])
def test_stride2_input_footprints(stats: dict, net: str, layer: str, inputs: int) -> None:
    s = {x.name: x for x in stats[net]}[layer]
    assert s.footprints["Inputs"] == inputs
    b = s.bounds
    assert s.footprints["Outputs"] == b["N"] * b.get("M", b["C"]) * b.get("G", 1) * b["P"] * b["Q"]


def test_footprint_of_weights_and_outputs(stats: dict) -> None:
    s = {x.name: x for x in stats["resnet50"]}["layer2.0.conv2"]
    assert s.footprints["Weights"] == 128 * 128 * 3 * 3
    assert s.footprints["Outputs"] == 128 * 28 * 28
    assert s.macs == 128 * 128 * 9 * 28 * 28


# ------------------------------------------------------------ every file, every manifest

@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_problem_file_loads_lowers_and_is_consistent(path: Path) -> None:
    from loopnest.commands.validate import check

    w = load_workload(path)
    assert w.name in ("conv2d", "grouped_conv2d", "depthwise_conv2d", "matmul", "batched_matmul")
    assert [d.name for d in w.data_spaces] == ["Weights", "Inputs", "Outputs"]
    _native, design = check([str(ARCH), str(path)], [])  # `loopnest validate ARCH FILE`
    assert design is not None and design.workload == w
    if w.name.endswith("conv2d"):
        from loopnest.spec.load import load_spec

        inst = load_spec([str(path)])["problem"]["instance"]
        co = dict(w.coefficients)
        # the output size follows from the documented input size, padding and stride
        assert inst["P"] == out_size(inst["W"], inst["R"], co["Wstride"], co["Wdilation"],
                                     2 * inst["Wpad"])
        assert inst["Q"] == out_size(inst["H"], inst["S"], co["Hstride"], co["Hdilation"],
                                     2 * inst["Hpad"])
        assert set(co) == {"Wstride", "Hstride", "Wdilation", "Hdilation"}


@pytest.mark.parametrize("net", NETWORKS)
def test_manifest_is_complete_and_deduplicated(net: str) -> None:
    n = resolve_network(net)
    folder = REPO / "workloads" / net
    assert n.name == net and n.source and n.description and n.manifest == folder / "network.yaml"
    assert n.notes.get("batch_size") == 1 and n.notes.get("omitted")
    on_disk = {p.resolve() for p in folder.glob("*.yaml") if p.name != "network.yaml"}
    assert set(n.problem_files) == on_disk  # no orphan problem files
    from loopnest.spec.load import load_spec
    from loopnest.spec.located import to_plain

    bodies = [repr(to_plain(load_spec([str(p)])["problem"])) for p in on_disk]
    assert len(bodies) == len(set(bodies))  # identical shapes are stored once


def test_sequence_lengths_are_stated() -> None:
    assert resolve_network("bert_base").notes["sequence_length"] == 128
    assert resolve_network("vit_b16").notes["sequence_length"] == 197
    assert resolve_network("llama_block").notes["sequence_length"] == 2048
    assert resolve_network("mobilenet_v3").notes["variant"] == "large"


# ------------------------------------------------------------------- resolution

def test_bundled_names_and_root() -> None:
    assert set(NETWORKS) <= set(bundled_names())
    root = Path(str(importlib.resources.files("loopnest") / "workloads"))
    assert bundled_root() == root and (root / "resnet50" / "network.yaml").is_file()


def test_resolve_by_name_manifest_and_folder() -> None:
    folder = REPO / "workloads" / "resnet18"
    by_name = resolve_network("resnet18")
    assert resolve_network(folder / "network.yaml") == by_name
    assert resolve_network(str(folder)) == by_name
    assert by_name.layers[0].name == "conv1" and by_name.layers[-1].name == "fc"


def test_folder_without_manifest_is_one_layer_per_file(tmp_path: Path) -> None:
    src = REPO / "workloads" / "bert_base"
    for f in ("mm_n128_c768_m768.yaml", "bmm_b12_n128_c64_m128.yaml"):
        shutil.copy(src / f, tmp_path / f)
    (tmp_path / "notes.txt").write_text("not a problem")
    n = resolve_network(tmp_path)
    assert n.manifest is None and n.name == tmp_path.name
    assert [layer.name for layer in n.layers] == ["bmm_b12_n128_c64_m128", "mm_n128_c768_m768"]
    assert all(layer.count == 1 for layer in n.layers)
    st = network_stats(n)
    assert total_macs(st) == 12 * 128 * 64 * 128 + 128 * 768 * 768


def test_local_path_wins_over_bundled_name(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "resnet50").mkdir()
    shutil.copy(REPO / "workloads" / "bert_base" / "mm_n128_c768_m768.yaml", tmp_path / "resnet50")
    monkeypatch.chdir(tmp_path)
    assert [x.name for x in resolve_network("resnet50").layers] == ["mm_n128_c768_m768"]


def test_unknown_name_has_a_hint(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError) as e:
        resolve_network("resnet-50")
    assert "no network 'resnet-50'" in e.value.message and "resnet50" in e.value.hint
    with pytest.raises(SpecError) as e:
        resolve_network(tmp_path)  # an empty folder
    assert "no network.yaml and no problem files" in e.value.message


# --------------------------------------------------------------- manifest errors

GOOD = """\
network:
  name: tiny
  source: test
layers:
- {name: a, problem: mm.yaml}
- name: b
  problem: mm.yaml
  count: 2
"""


def _manifest(tmp_path: Path, text: str) -> Path:
    shutil.copy(REPO / "workloads" / "bert_base" / "mm_n128_c768_m768.yaml", tmp_path / "mm.yaml")
    p = tmp_path / "network.yaml"
    p.write_text(text)
    return p


def test_good_manifest(tmp_path: Path) -> None:
    n = read_manifest(_manifest(tmp_path, GOOD))
    assert [(x.name, x.count) for x in n.layers] == [("a", 1), ("b", 2)]
    assert total_macs(network_stats(n)) == 3 * 128 * 768 * 768


@pytest.mark.parametrize("old,new,line,path,words,hint", [
    ("  count: 2", "  count: 0", 8, "layers[1].count", "must be >= 1", "positive"),
    ("  count: 2", "  count: two", 8, "layers[1].count", "expected integer", "integer"),
    ("  problem: mm.yaml\n", "  problme: mm.yaml\n", 7, "layers[1].problme", "unknown key",
     "did you mean 'problem'"),
    ("  problem: mm.yaml\n", "  problem: mmm.yaml\n", 7, "layers[1].problem",
     "problem file not found: mmm.yaml", "did you mean 'mm.yaml'"),
    ("- name: b", "- name: a", 6, "layers[1].name", "'a' is used twice", "count"),
    ("  source: test\n", "", 2, "network", "missing required key 'source'", "source"),
    ("layers:", "layer:", 4, "layer", "unknown key 'layer'", "did you mean 'layers'"),
    ("- {name: a, problem: mm.yaml}", "- {name: a, problem: mm.yaml", 6, None,
     "invalid YAML", "indentation"),
])
def test_manifest_errors_are_located(tmp_path: Path, old: str, new: str, line: int,
                                     path: str | None, words: str, hint: str) -> None:
    assert old in GOOD
    p = _manifest(tmp_path, GOOD.replace(old, new))
    with pytest.raises(LoopnestError) as e:
        read_manifest(p)
    err = e.value
    assert err.file == str(p) and err.line == line, err.format()
    if path is not None:
        assert err.path == path, err.format()
    assert words in err.message and hint in (err.hint or ""), err.format()


def test_manifest_that_is_not_a_mapping(tmp_path: Path) -> None:
    p = _manifest(tmp_path, "- a\n- b\n")
    with pytest.raises(SpecError) as e:
        read_manifest(p)
    assert e.value.file == str(p) and "must be a mapping" in e.value.message


def test_misspelled_stride_key_is_refused(tmp_path: Path) -> None:
    # Timeloop ignores unknown instance keys, so `HStride` would silently keep stride 1.
    src = (REPO / "workloads" / "resnet50" / "conv7x7_s2_c3_m64_112x112.yaml").read_text()
    bad = tmp_path / "conv.yaml"
    bad.write_text(src.replace("    Hstride: 2\n", "    HStride: 2\n"))
    with pytest.raises(ValidationError) as e:
        load_workload(bad)
    err = e.value
    assert err.file == str(bad) and err.path == "problem.instance.HStride"
    assert err.line == src.splitlines().index("    Hstride: 2") + 1
    assert "did you mean 'Hstride'" in err.hint


def test_problem_file_errors_are_located(tmp_path: Path) -> None:
    p = _manifest(tmp_path, GOOD)
    mm = tmp_path / "mm.yaml"
    mm.write_text(mm.read_text().replace("    C: 768", "    C: 0"))
    with pytest.raises(LoopnestError) as e:
        network_stats(read_manifest(p))
    assert e.value.file == str(tmp_path / "mm.yaml") and e.value.path == "problem.instance.C"
    (tmp_path / "mm.yaml").write_text("architecture: {}\n")
    with pytest.raises(ValidationError) as e:
        network_stats(read_manifest(p))
    assert "no `problem:`" in e.value.message


# --------------------------------------------------------------------- ONNX extra

def test_import_without_onnx_is_a_one_line_error(tmp_path: Path, monkeypatch, capsys) -> None:
    from loopnest.cli import main

    monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` fail
    model = tmp_path / "m.onnx"
    model.write_bytes(b"")
    assert main(["import", str(model), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ONNX import needs the 'onnx' package")
    assert "pip install 'loopnest[onnx]'" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_problem_body_is_the_identity_of_a_shape() -> None:
    from loopnest.network.problems import conv, matmul

    a = conv(c=64, m=64, kernel=3, inp=56, pad=1, out=56)
    assert problem_body(a) == problem_body(conv(c=64, m=64, kernel=3, inp=56, pad=1, out=56))
    assert problem_body(a) != problem_body(conv(c=64, m=64, kernel=3, inp=56, pad=1, out=56, n=2))
    assert matmul(n=1, c=8, m=8).shape == "matmul" and matmul(b=2, n=1, c=8, m=8).shape == \
        "batched_matmul"
    with pytest.raises(ValidationError, match="does not follow"):
        conv(c=3, m=64, kernel=7, stride=2, inp=224, pad=3, out=111)
    w = load_workload(REPO / "workloads" / "vgg16" / "conv3x3_s1_c3_m64_224x224.yaml")
    assert footprints(w) == {"Weights": 3 * 64 * 9, "Inputs": 3 * 226 * 226,
                             "Outputs": 64 * 224 * 224}
