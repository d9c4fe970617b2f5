"""Never a traceback: seeded random damage to the in-repo inputs (deleted and renamed
keys, values of the wrong type or sign, non-finite and huge numbers, expressions that
ask for too much work) must end in exit 0 or a located error (exit 2, `file:line`),
for `validate`, `model` and `energy`; the test reports how many mutants it tried and
how many errors carried a file and a line (all of them must). Cases the fuzzer once
broke are pinned below; hand-written adversarial cases are in test_hardening.py."""
from __future__ import annotations

import copy
import math
import random
import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from loopnest.cli import main

FIX = Path(__file__).parent / "fixtures"
SETS = {
    "v3": (["spec/v3/arch.yaml", "spec/v3/problem.yaml", "spec/v3/mapping.yaml"],
           ("validate", "model")),
    "v4": (["spec/v4/arch.yaml", "spec/v4/problem.yaml", "spec/v4/constraints.yaml",
            "spec/v4/mapping.yaml"], ("validate", "model")),
    "energy": (["energy/tiny/arch.yaml", "energy/tiny/classes.yaml", "energy/tiny/counts.yaml",
                "energy/tiny/tables.yaml"], ("validate", "energy")),
}
VALUES = [None, -1, 0, "abc", [], {}, [1, 2], 1e30, True, "1..", "X=0", 3.5, {"a": 1},
          math.nan, math.inf, 1e300, 2 ** 70, "factorial(2000)", "'a' * 10 ** 9",
          "[x for x in 5]", "-'a'", "len([1 for x in range(10**6) for y in range(10**6)])",
          "{[1]}", "max(*5)", "f'{1:>{10**9}}'", "comb(10**7, 5*10**6)"]
LOCATED = re.compile(r"^error: \S+?:\d+: ")
FIGURES: dict[str, tuple[int, int, int]] = {}


def _places(tree, path=()):
    if isinstance(tree, dict):
        for k, v in list(tree.items()):
            yield tree, k
            yield from _places(v, path + (k,))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            yield tree, i
            yield from _places(v, path + (i,))


def _damage(tree, rng: random.Random) -> None:
    places = list(_places(tree))
    if not places:
        return
    parent, key = rng.choice(places)
    r = rng.random()
    if r < 0.3 and isinstance(parent, dict):
        del parent[key]
    elif r < 0.4 and isinstance(parent, dict):
        parent[f"{key}x"] = parent.pop(key)
    else:
        parent[key] = copy.deepcopy(rng.choice(VALUES))


@pytest.mark.parametrize("name", sorted(SETS))
def test_random_damage_never_crashes(name: str, tmp_path: Path, capsys) -> None:
    yaml = YAML()
    files, commands = SETS[name]
    rng = random.Random(2026)
    mutants = errors = located = 0
    for trial in range(60):
        mutants += 1
        d = tmp_path / str(trial)
        d.mkdir()
        hit = rng.randrange(len(files))
        paths = []
        for j, f in enumerate(files):
            # the register file made large enough that the undamaged design models fine
            tree = yaml.load((FIX / f).read_text().replace("depth: 16", "depth: 64"))
            if j == hit:
                for _ in range(rng.choice((1, 2))):
                    _damage(tree, rng)
            p = d / Path(f).name
            with open(p, "w") as fh:
                yaml.dump(tree, fh)
            paths.append(str(p))
        for cmd in commands:
            args = [cmd, *paths] + {"validate": [], "energy": ["-o", str(d / "out")],
                                    "model": ["-o", str(d / "out"), "-q"]}[cmd]
            rc = main(args)
            err = capsys.readouterr().err
            assert rc in (0, 2), f"{cmd} trial {trial}: rc={rc}\n{err}"
            assert "internal error" not in err
            if rc == 2:
                errors += 1
                first = next(ln for ln in err.splitlines() if ln.startswith("error"))
                located += bool(LOCATED.match(first))
                assert LOCATED.match(first), f"{cmd} trial {trial}: no file:line: {err}"
    FIGURES[name] = (mutants, errors, located)
    with capsys.disabled():
        print(f"\nfuzz {name}: {mutants} mutants, {errors} errors, {located} with file and line")


PINNED = [
    # (file name, text, command, expected words in the message)
    ("arch.yaml", "architecture:\n  version: 0.3\n  subtree:\n  - name: top\n    local: 3.5\n",
     "validate", "local"),
    ("problem.yaml", "problem:\n  shape:\n    name: p\n    dimensions: [K]\n    data_spaces:\n"
     "    - {name: W, projection: [[]]}\n  instance: {K: 4}\n", "validate", "projection"),
    ("problem.yaml", "problem:\n  shape:\n    name: p\n    dimensions: [K]\n    data_spaces:\n"
     "    - {name: W, projection: [0]}\n  instance: {K: 4}\n", "validate", "projection"),
    ("classes.yaml", "compound_components:\n  version: 0.4\n  classes: true\n", "energy",
     "classes"),
    ("classes.yaml", "compound_components:\n  version: 0.4\n  classes:\n  - name: c\n"
     "    subcomponents: [{name: s, class: SRAM}]\n    actions:\n    - name: read\n"
     "      subcomponents: [{name: s, actions: {read: 1}}]\n"
     "architecture:\n  version: 0.4\n  subtree:\n  - name: top\n"
     "    attributes: {technology: 45nm}\n    local: [{name: x, class: c}]\n", "energy", "read"),
    ("counts.yaml", "action_counts:\n  version: 0.4\n  local:\n  - name: x\n"
     "    action_counts: 1.0e+30\n", "energy", "action_counts"),
]


@pytest.mark.parametrize("fname,text,cmd,word", PINNED)
def test_pinned_damage_is_a_located_error(fname, text, cmd, word, tmp_path, capsys) -> None:
    p = tmp_path / fname
    p.write_text(text)
    args = [cmd, str(p)] + ([] if cmd == "validate" else ["-o", str(tmp_path / "out")])
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {p}:") and word in err and "internal error" not in err


def test_mapper_with_an_astronomical_buffer(tmp_path: Path, capsys) -> None:
    """A size beyond every tile is no limit (it used to overflow CP-SAT's integers)."""
    arch = (FIX / "spec/v3/arch.yaml").read_text().replace(
        "{depth: 2048, width: 64, datawidth: 8}", "{depth: 2048, width: 1.0e+30, datawidth: 8}")
    assert "1.0e+30" in arch
    (tmp_path / "arch.yaml").write_text(arch)
    rc = main(["mapper", str(tmp_path / "arch.yaml"), str(FIX / "spec/v3/problem.yaml"),
               "-o", str(tmp_path / "out"), "--timeout", "2", "-q"])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert (tmp_path / "out" / "timeloop-mapper.stats.txt").is_file()
