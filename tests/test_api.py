"""loopnest.api and the TimeloopFE stand-in (loopnest.timeloopfe.v4): the same numbers
as the command line for the same files, edits that change what is evaluated, records
and breakdowns that add up. Designs bundled in the repository only."""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from loopnest import api
from loopnest.errors import LoopnestError
from loopnest.report.parse_stats import parse_stats

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "loopnest" / "arch_library"
PE_ARRAY = [str(LIB / "simple_pe_array" / n) for n in ("arch.yaml", "mapping.yaml", "tables.yaml")]
WS = [str(LIB / "simple_ws" / "arch.yaml.jinja2"), str(LIB / "simple_ws" / "components.yaml")]
CONV = str(ROOT / "workloads" / "conv1d_oc.yaml")
WS_VARS = {"pe_rows": 4, "pe_cols": 4}


def cli(*args: str) -> subprocess.CompletedProcess:
    out = subprocess.run([sys.executable, "-m", "loopnest", *args], capture_output=True,
                         text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return out


@pytest.fixture(scope="module")
def model_cli(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("model_cli")
    cli("model", *PE_ARRAY, CONV, "-o", str(out), "-q")
    return out


@pytest.fixture(scope="module")
def pe_design() -> api.Design:
    return api.load_design(PE_ARRAY + [CONV])


@pytest.fixture(scope="module")
def mapped() -> api.Result:
    design = api.load_design(WS + [CONV], variables=WS_VARS)
    return api.map_layer(design, evaluations=300)


# ---------------------------------------------------------------- loopnest.api

def test_evaluate_matches_model_cli(pe_design, model_cli, tmp_path):
    res = api.evaluate(pe_design)
    text = (model_cli / "timeloop-model.stats.txt").read_text()
    ref = parse_stats(text)
    assert res.energy_pj == pytest.approx(ref.energy, rel=1e-6)
    assert res.cycles == ref.cycles
    assert res.macs == ref.computes == pe_design.macs == 16 * 32 * 3 * 32
    assert res.utilization == pytest.approx(ref.utilization, abs=1e-3)
    assert res.edp == pytest.approx(res.energy_pj * 1e-12 * res.cycles)
    assert res.pj_per_mac == pytest.approx(res.energy_pj / res.macs)
    assert res.area_um2 > 0
    # the same files, byte for byte
    written = res.write(tmp_path)
    assert {p.name for p in written} == {p.name for p in model_cli.iterdir()}
    for p in written:
        assert p.read_text() == (model_cli / p.name).read_text(), p.name


def test_records_and_breakdown_add_up(pe_design):
    res = api.evaluate(pe_design)
    recs = res.records()
    assert sum(r["energy_pj"] for r in recs) == pytest.approx(res.energy_pj, rel=1e-9)
    parts = res.breakdown()
    assert sum(sum(p.values()) for p in parts.values()) == pytest.approx(res.energy_pj)
    assert list(parts)[0] == "MAC" and set(parts["DRAM"]) == {"Weights", "Inputs", "Outputs"}
    storage = [r for r in recs if r["kind"] == "storage"]
    assert {(r["level"], r["dataspace"]) for r in storage} == {
        (lv, ds) for lv in ("RegisterFile", "GlobalBuffer", "DRAM")
        for ds in ("Weights", "Inputs", "Outputs")}
    for r in storage:  # totals are the per-instance counts over the utilized instances
        assert r["reads"] == r["reads_per_instance"] * r["utilized_instances"]
        assert r["writes"] == r["fills"] + r["updates"]
        assert parts[r["level"]][r["dataspace"]] == pytest.approx(
            r["access_energy_pj"])
    by_level = res.energy_by_level()
    stats = res.stats
    for lv in stats.storage:
        if lv.energy_total:
            assert by_level[lv.name] == pytest.approx(lv.energy_total)
    # every weight is read from DRAM once with this mapping
    dram_w = next(r for r in storage if r["level"] == "DRAM" and r["dataspace"] == "Weights")
    assert dram_w["reads"] == 16 * 32 * 3


def test_to_dataframe(pe_design):
    pd = pytest.importorskip("pandas")
    res = api.evaluate(pe_design)
    df = res.to_dataframe()
    assert isinstance(df, pd.DataFrame)
    assert len(df) == len(res.records())
    assert {"level", "dataspace", "kind", "reads", "fills", "updates", "energy_pj"} <= set(df)
    assert df["energy_pj"].sum() == pytest.approx(res.energy_pj)
    storage = df[df["kind"] == "storage"]
    assert len(storage) == 9
    assert storage.groupby("dataspace")["energy_pj"].sum().to_dict().keys() == {
        "Weights", "Inputs", "Outputs"}


def test_to_dataframe_without_pandas(pe_design, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(LoopnestError, match="pandas"):
        api.evaluate(pe_design).to_dataframe()


def test_set_changes_what_is_evaluated(pe_design):
    assert pe_design.attribute("GlobalBuffer", "depth") == 4096
    small = pe_design.set("architecture.nodes.GlobalBuffer.attributes.depth", 16)
    assert small.attribute("GlobalBuffer", "depth") == 16
    assert pe_design.attribute("GlobalBuffer", "depth") == 4096  # a new Design
    with pytest.raises(LoopnestError, match="GlobalBuffer.*capacity is 128"):
        api.evaluate(small)
    # a 2x larger layer, tiled once more at DRAM: twice the MACs
    bigger = pe_design.with_overrides({"problem.instance.P": 64,
                                       "mapping[0].factors": "C=1 K=1 R=1 P=2"})
    assert api.evaluate(bigger).macs == 2 * api.evaluate(pe_design).macs
    with pytest.raises(LoopnestError, match="no key|no item"):
        pe_design.set("architecture.nodes.NoSuchBuffer.attributes.depth", 1)


def test_map_layer_matches_mapper_cli(mapped, tmp_path):
    out = tmp_path / "cli"
    cli("mapper", *WS, CONV, "--var", "pe_rows=4", "--var", "pe_cols=4",
        "--set", "mapper.search_size=300", "-o", str(out), "-q")
    ref = (out / "timeloop-mapper.stats.txt").read_text()
    assert mapped.stats_text == ref
    assert mapped.search is not None and mapped.gap is not None
    mine = tmp_path / "api"
    names = {p.name for p in mapped.write(mine)}
    assert "timeloop-mapper.map.yaml" in names and "loopnest-mapper.summary.yaml" in names
    assert (mine / "timeloop-mapper.map.txt").read_text() == \
        (out / "timeloop-mapper.map.txt").read_text()


def test_evaluate_a_found_mapping_on_a_changed_design(mapped):
    same = api.evaluate(mapped.design, mapped)
    assert same.energy_pj == pytest.approx(mapped.energy_pj)
    assert same.cycles == mapped.cycles
    # the variables reach the template: 4 x 4 PEs
    assert mapped.stats.compute.instances == 16
    wider = mapped.design.with_variables(glb_kib=512)
    assert wider.attribute("global_buffer", "depth") == \
        2 * mapped.design.attribute("global_buffer", "depth")
    again = api.evaluate(wider, mapped)  # a larger buffer costs more per access
    assert again.energy_pj > mapped.energy_pj
    assert again.cycles == mapped.cycles


def test_map_layer_budget_is_reproducible(mapped):
    again = api.map_layer(mapped.design, evaluations=300)
    assert again.energy_pj == mapped.energy_pj and again.cycles == mapped.cycles


def test_map_network_single_layer(tmp_path):
    run = api.map_network(WS, CONV, tmp_path, variables=WS_VARS, evaluations=300, jobs=1)
    assert not run.failed
    assert len(run.rows) == 1
    rec = run.rows[0].record
    assert run.totals.energy_pj == pytest.approx(rec.energy_pj)
    assert (tmp_path / "network.csv").is_file() and (tmp_path / "network.summary.yaml").is_file()
    (row,) = run.records()
    assert row["macs"] == 16 * 32 * 3 * 32 and row["energy_pj"] == rec.energy_pj
    assert sum(run.breakdown()[lvl].get("Weights", 0.0) for lvl in run.breakdown()) > 0
    if pytest.importorskip("pandas"):
        assert len(run.to_dataframe()) == 1


def test_load_design_errors():
    with pytest.raises(LoopnestError, match="no design files"):
        api.load_design([])
    with pytest.raises(LoopnestError, match="energy_models"):
        api.load_design(PE_ARRAY + [CONV], energy_models="nope")
    with pytest.raises(LoopnestError, match="no mapping"):
        api.evaluate(api.load_design(WS + [CONV]))


# ---------------------------------------------------------------- the TimeloopFE stand-in

def run_example(tl, out: Path):
    """The structure of the exercises' run_example.py: gather files, call the model."""
    spec = tl.Specification.from_yaml_files(
        str(LIB / "simple_pe_array" / "*.yaml"),
        CONV,
    )
    return tl.call_model(spec, output_dir=str(out), log_to=io.StringIO())


def test_run_example_style_script(model_cli, tmp_path):
    import loopnest.timeloopfe.v4 as tl

    stats = run_example(tl, tmp_path)
    ref = parse_stats((model_cli / "timeloop-model.stats.txt").read_text())
    assert stats.energy == pytest.approx(ref.energy * 1e-12, rel=1e-6)
    assert stats.per_compute("energy") * 1e12 == pytest.approx(ref.energy / ref.computes)
    assert stats.cycles == ref.cycles and stats.computes == ref.computes
    assert stats.percent_utilization == pytest.approx(ref.utilization, abs=1e-3)
    assert set(stats.per_component_energy) >= {"MAC", "RegisterFile", "GlobalBuffer", "DRAM"}
    assert sum(stats.per_component_energy.values()) == pytest.approx(stats.energy)
    assert stats.accesses["DRAM"]["reads"] > 0
    assert (tmp_path / "timeloop-model.stats.txt").read_text() == \
        (model_cli / "timeloop-model.stats.txt").read_text()
    assert (tmp_path / "parsed-processed-input.yaml").is_file()


def dse_run_test(tl, out: Path, glb_scale: float, pe_scale: float):
    """A cell of the 2024 design-space-exploration notebook, on a bundled design."""
    spec = tl.Specification.from_yaml_files(*WS, CONV, jinja_parse_data=dict(WS_VARS))
    buf = spec.architecture.find("global_buffer")
    buf.attributes["depth"] = round(buf.attributes["depth"] * glb_scale)
    pe = spec.architecture.find("column")
    pe.spatial.meshX = round(pe.spatial.meshX * pe_scale)
    spec.mapper.search_size = 300
    spec.mapper.num_threads = 1
    out_dir = out / f"glb_scale={glb_scale},pe_scale={pe_scale}"
    return (spec.architecture.find("global_buffer").attributes["depth"],
            spec.architecture.find("column").spatial.meshX,
            tl.call_mapper(spec, output_dir=str(out_dir), log_to=str(out_dir / "output.log")),
            out_dir)


def test_dse_notebook_style_sweep(tmp_path):
    from loopnest.timeloopfe import v4 as tl

    rows = [dse_run_test(tl, tmp_path, g, p) for g, p in ((1, 1), (1, 2))]
    (d1, n1, s1, o1), (d2, n2, s2, o2) = rows
    assert n1 == 4 and n2 == 8 and d1 == d2
    assert s1.per_compute("energy") * 1e12 == pytest.approx(s1.result.pj_per_mac)
    assert s2.result.stats.compute.instances == 32  # the edit reached the model
    assert "Summary stats" in (o1 / "output.log").read_text()
    # the same as `loopnest mapper` on the written input, and on the files + --set
    ref = tmp_path / "ref"
    cli("mapper", str(o1 / "parsed-processed-input.yaml"), "-o", str(ref), "-q")
    assert (ref / "timeloop-mapper.stats.txt").read_text() == \
        (o1 / "timeloop-mapper.stats.txt").read_text()
    ref2 = tmp_path / "ref2"
    cli("mapper", *WS, CONV, "--var", "pe_rows=4", "--var", "pe_cols=4",
        "--set", "mapper.search_size=300", "--set", "mapper.num_threads=1", "-o", str(ref2),
        "-q")
    assert parse_stats((ref2 / "timeloop-mapper.stats.txt").read_text()).energy == \
        pytest.approx(s1.energy * 1e12)


def test_edit_too_small_buffer_is_refused(tmp_path):
    import loopnest.timeloopfe.v4 as tl

    spec = tl.Specification.from_yaml_files(*PE_ARRAY, CONV)
    spec.architecture.find("GlobalBuffer").attributes["depth"] = 16
    with pytest.raises(LoopnestError, match="GlobalBuffer.*capacity is 128"):
        tl.call_model(spec, output_dir=str(tmp_path), log_to=io.StringIO())


def test_spec_reads_writes_and_processing():
    import loopnest.timeloopfe.v4 as tl

    spec = tl.Specification.from_yaml_files(*WS, CONV, jinja_parse_data=dict(WS_VARS))
    assert spec.problem.instance["P"] == spec.problem.instance.P == 32
    spec.problem.instance["P"] *= 2
    assert spec.problem.instance.P == 64
    assert list(spec.mapper.optimization_metrics) == ["edp"]
    mac = spec.architecture.find("mac")
    assert mac.name == "mac" and mac.enabled is True and isinstance(mac, tl.arch.Compute)
    assert spec.architecture.find("weight_rf").attributes["depth"] == 64
    assert spec.architecture.find("row").spatial.meshX == 1  # TimeloopFE's default
    assert [n.name for n in spec.get_nodes_of_type(tl.arch.Storage)] == \
        ["DRAM", "global_buffer", "weight_rf"]
    # expressions stay text until process(), as in TimeloopFE
    spec.variables["scale"] = 2
    spec.architecture.find("weight_rf").attributes["depth"] = "32 * scale"
    assert spec.architecture.find("weight_rf").attributes["depth"] == "32 * scale"
    spec.process()
    assert spec.architecture.find("weight_rf").attributes["depth"] == 64
    assert spec.variables["scale"] == 2


def test_unsupported_names_say_so():
    import loopnest.timeloopfe.v4 as tl
    from loopnest.timeloopfe import Unsupported

    with pytest.raises(Unsupported, match="get_property_table"):
        tl.get_property_table
    assert not hasattr(tl, "Processor")
    with pytest.raises(Unsupported, match="processors"):
        tl.Specification.from_yaml_files(*PE_ARRAY, CONV, processors=[object])
    spec = tl.Specification.from_yaml_files(*PE_ARRAY, CONV)
    with pytest.raises(AttributeError, match="did you mean 'attributes'"):
        spec.architecture.find("GlobalBuffer").atributes
    with pytest.raises(ValueError, match="did you mean 'GlobalBuffer'"):
        spec.architecture.find("GlobalBufer")
    with pytest.raises(KeyError):
        spec.problem.instance["Q"]
    with pytest.raises(Unsupported, match="return_proc"):
        tl.call_mapper(spec, output_dir="unused", return_proc=True)
