"""A design from someone else can neither read your files nor hang your machine; output
sets are atomic; `validate` catches what `model` catches; every error is located.

Each case runs in bounded time and memory and ends in exit 2 with `file:line` (or a
correct result). Nothing here needs ../shared.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from loopnest.cli import main

FIX = Path(__file__).parent / "fixtures" / "spec"
REPO = Path(__file__).resolve().parents[1]
LOCATED = re.compile(r"^error: (\S+?):(\d+): ")


@pytest.fixture
def v4(tmp_path: Path) -> Path:
    """A copy of the v4 fixture that models cleanly (with its constraints)."""
    d = tmp_path / "design"
    shutil.copytree(FIX / "v4", d)
    return d


def _files(d: Path, *names: str) -> list[str]:
    return [str(d / n) for n in (names or ("arch.yaml", "problem.yaml", "mapping.yaml",
                                           "constraints.yaml"))]


def _run(args: list[str], capsys) -> tuple[int, str, str]:
    rc = main(args)
    out, err = capsys.readouterr()
    return rc, out, err


def _located_error(args: list[str], capsys, *words: str) -> str:
    """Run; expect exit 2, a `file:line` error naming `words`; return stderr."""
    t0 = time.monotonic()
    rc, out, err = _run(args, capsys)
    assert time.monotonic() - t0 < 30, "took too long"
    assert rc == 2, f"rc={rc}\n{err}"
    first = next(ln for ln in err.splitlines() if ln.startswith("error"))
    assert LOCATED.match(first), err
    assert "internal error" not in err and "Traceback" not in err
    for w in words:
        assert w in err, err
    return err


# ------------------------------------------------------------------ confinement
SECRET = "TOPSECRET-do-not-print"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    p = tmp_path / "outside" / "secret.yaml"
    p.parent.mkdir()
    p.write_text(f"architecture: {SECRET}\n")
    return p


@pytest.mark.parametrize("text", [
    "x: \"{{ include_text('/proc/self/environ') }}\"\n",
    "x: \"{{ include_text('SECRET') }}\"\n",
    "x: \"{{ include_text('../outside/secret.yaml') }}\"\n",
    "x: {{ include('../outside/secret.yaml') }}\n",
    "x: {{ include_all('../outside/*.yaml') }}\n",
    "x: \"{{ path_exists('/etc/shadow') }}\"\n",
    "x: \"{{ find_paths('/etc/*') }}\"\n",
    "x: \"{{ add_to_path('/etc') }}\"\n",
    "x: \"{{ setenv('LOOPNEST_PWNED', 1) }}\"\n",
])
def test_template_helpers_read_only_inside_the_tree(tmp_path, secret, capsys, text) -> None:
    top = tmp_path / "design" / "top.yaml.jinja2"
    top.parent.mkdir()
    top.write_text(text.replace("SECRET", str(secret)))
    err = _located_error(["render", str(top)], capsys)
    assert SECRET not in err and "LOOPNEST_PWNED" not in os.environ


@pytest.mark.parametrize("target", ["/etc/passwd", "../outside/secret.yaml", "/dev/zero",
                                    "/dev/stdin", "/proc/self/environ", "link.yaml"])
def test_yaml_include_refuses_outside_devices_and_escaping_links(tmp_path, secret, capsys,
                                                                 target) -> None:
    d = tmp_path / "design"
    d.mkdir()
    (d / "link.yaml").symlink_to(secret)
    f = d / "arch.yaml"
    f.write_text(f"architecture: !include {target}\n")
    err = _located_error(["validate", str(f)], capsys, "arch.yaml:1")
    assert SECRET not in err and "root:" not in err


def test_allow_path_lets_a_trusted_folder_in(tmp_path, secret, capsys) -> None:
    (secret.parent / "problem.yaml").write_text((FIX / "v4" / "problem.yaml").read_text())
    d = tmp_path / "design"
    shutil.copytree(FIX / "v4", d)
    (d / "problem.yaml").write_text("problem: !include ../outside/problem.yaml\n")
    files = _files(d)
    assert main(["validate", *files]) == 2
    capsys.readouterr()
    rc, _, err = _run(["validate", *files, "--allow-path", str(secret.parent)], capsys)
    assert rc == 2 and "problem" in err  # !include gives the whole file: a nested key
    (d / "problem.yaml").write_text(
        "{{ include_text('../outside/problem.yaml') }}\n")
    rc, _, err = _run(["validate", *files, "--allow-path", str(secret.parent)], capsys)
    assert rc == 0, err


def test_named_devices_are_refused(capsys) -> None:
    _located_error(["validate", "/dev/null"], capsys, "/dev")


def test_bundled_library_files_still_work(capsys) -> None:
    lib = REPO / "arch_library" / "simple_pe_array"
    rc, _, err = _run(["validate", *map(str, sorted(lib.glob("*.yaml"))),
                       str(REPO / "workloads" / "conv1d_oc.yaml")], capsys)
    assert rc == 0, err


# ----------------------------------------------------------------------- limits
def test_alias_bomb_is_refused_quickly(tmp_path, capsys) -> None:
    lines = ["a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    f = tmp_path / "bomb.yaml"
    f.write_text("\n".join(lines) + "\n")
    _located_error(["validate", str(f)], capsys, "alias expansion limit")


def test_deep_nesting_is_a_located_limit(tmp_path, capsys) -> None:
    f = tmp_path / "deep.yaml"
    f.write_text("variables:\n  x: " + "[" * 5000 + "]" * 5000 + "\n")
    _located_error(["validate", str(f)], capsys, "nesting limit")


def test_big_file_is_refused_unless_the_limit_is_raised(tmp_path, capsys) -> None:
    f = tmp_path / "big.yaml"
    f.write_text("variables:\n  x: '" + "a" * (5 << 20) + "'\n")
    _located_error(["validate", str(f)], capsys, "--max-file-size", "size limit")
    small = tmp_path / "small.yaml"
    small.write_text("variables:\n  x: '" + "a" * 3000 + "'\n")
    _located_error(["validate", str(small), "--max-file-size", "0.001"], capsys, "size limit")


EXPRESSIONS = [  # (expression, words in the message)
    ("len([1 for x in range(10**6) for y in range(10**6) if 0])", "operation limit"),
    ("sum([[1]*10**6]*1000, [])", "sequence length limit"),
    ("prod([2**2000]*100000)", "integer size limit"),
    ("comb(10**7, 5*10**6)", "integer size limit"),
    ("f'{1:>{10**9}}'", "string length limit"),
    ("len('a' * 10**9)", "string length limit"),
    ("1 << 10**6", "integer size limit"),
    ("factorial(2000)", "integer size limit"),
    ("list(zip(*[range(10**6)]*10**6))", "limit"),
    ("-'a'", "unary"),
    ("len([x for x in 5])", "iterate"),
    ("f'{1:zz}'", "format"),
    ("len({[1]})", "unhashable"),
    ("max(*5)", "'*'"),
]


@pytest.mark.parametrize("expr,words", EXPRESSIONS, ids=[e for e, _ in EXPRESSIONS])
def test_expressions_are_bounded_and_located(v4, capsys, expr, words) -> None:
    arch = v4 / "arch.yaml"
    arch.write_text(arch.read_text().replace("depth: 2048", f"depth: {expr}"))
    _located_error(["validate", *_files(v4)], capsys, "arch.yaml:19", words)


def test_spec_time_limit(tmp_path, capsys) -> None:
    f = tmp_path / "slow.yaml"
    f.write_text("variables:\n" + "".join(
        f"  v{i}: len([x for x in range(300000)])\n" for i in range(20)))
    _located_error(["validate", str(f), "--spec-time-limit", "0.5"], capsys,
                   "spec time limit", "--spec-time-limit")


@pytest.mark.parametrize("body,words", [
    ("{% for x in range(100000) %}{% for y in range(100000) %}{% endfor %}{% endfor %}",
     "loop budget"),
    ("{{ 'a' * 10**9 }}", "limit"),
    ("{{ 'a'.center(10**9) }}", "limit"),
    ("{{ 'a'|indent(10**9) }}", "limit"),
    ("{{ '{:>1000000000}'.format(1) }}", "limit"),
    ("{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"
     "{% endfor %}", "limit"),
    ("{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}", "output limit"),
])
def test_jinja_is_sandboxed_with_budgets(tmp_path, capsys, body, words) -> None:
    top = tmp_path / "top.yaml.jinja2"
    top.write_text(f"variables:\n  a: 1\n# {body}\n")
    _located_error(["render", str(top)], capsys, "top.yaml.jinja2:3", words)


def test_mapper_refuses_bounds_it_cannot_represent(v4, capsys) -> None:
    prob = v4 / "problem.yaml"
    prob.write_text(prob.read_text().replace("P: 16", f"P: {2 ** 100}"))
    _located_error(["mapper", *_files(v4, "arch.yaml", "problem.yaml", "constraints.yaml"),
                    "-o", str(v4 / "out"), "--timeout", "2"], capsys, "problem.yaml:17",
                   "2**40")


def test_mapper_with_a_huge_bound_ends_in_time(v4, capsys) -> None:
    prob = v4 / "problem.yaml"
    prob.write_text(prob.read_text().replace("P: 16", f"P: {10 ** 12}"))
    t0 = time.monotonic()
    rc, _, err = _run(["mapper", *_files(v4, "arch.yaml", "problem.yaml", "constraints.yaml"),
                       "-o", str(v4 / "out"), "--timeout", "1", "--threads", "1", "-q"], capsys)
    assert time.monotonic() - t0 < 30
    assert rc == 0, err
    assert (v4 / "out" / "timeloop-mapper.stats.txt").is_file()


# ------------------------------------------------------------------ output sets
def _set(outdir: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(outdir.iterdir())}


def test_outputs_are_one_set_and_readable(v4, capsys, tmp_path) -> None:
    out = tmp_path / "out"
    assert main(["model", *_files(v4), "-o", str(out), "-q"]) == 0
    umask = os.umask(0)
    os.umask(umask)
    for p in out.iterdir():
        assert not p.name.startswith(".") and not p.name.endswith(".tmp")
        assert p.stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_failed_rename_leaves_the_old_set_whole(tmp_path, monkeypatch) -> None:
    from loopnest.report import files

    files.write_outputs(tmp_path, "p", {"stats.txt": "old-1", "map.txt": "old-1",
                                        "map.yaml": "old-1"})
    real = os.replace
    calls = []

    def flaky(src, dst, *a, **k):
        if str(dst).startswith(str(tmp_path / "p.")):
            calls.append(dst)
            if len(calls) == 2:
                raise OSError(28, "No space left on device")
        return real(src, dst, *a, **k)

    monkeypatch.setattr(files.os, "replace", flaky)
    with pytest.raises(OSError):
        files.write_outputs(tmp_path, "p", {"stats.txt": "new", "map.txt": "new",
                                            "map.yaml": "new"})
    monkeypatch.setattr(files.os, "replace", real)
    assert set(_set(tmp_path).values()) == {"old-1"}
    assert sorted(_set(tmp_path)) == ["p.map.txt", "p.map.yaml", "p.stats.txt"]


def test_a_killed_commit_is_finished_by_the_next_run(tmp_path) -> None:
    from loopnest.report import files

    files.write_outputs(tmp_path, "p", {"a.txt": "old", "b.txt": "old"})
    # what a SIGKILL between two renames leaves: one file new, the other staged
    dead = 2 ** 22 + 12345
    while files._alive(dead):
        dead += 1
    stage = tmp_path / f"{files.STAGING_PREFIX}{dead}-x"
    stage.mkdir()
    (stage / "p.b.txt").write_text("new")
    (stage / files.COMMIT).write_text("p.a.txt\np.b.txt\n")
    (tmp_path / "p.a.txt").write_text("new")
    files.write_outputs(tmp_path, "q", {"c.txt": "other"})
    assert _set(tmp_path) == {"p.a.txt": "new", "p.b.txt": "new", "q.c.txt": "other"}


@pytest.mark.parametrize("kind", ["file", "/dev/null", "/proc/self/loopnest"])
def test_a_bad_output_folder_is_an_error(v4, tmp_path, capsys, kind) -> None:
    target = kind
    if kind == "file":
        target = str(tmp_path / "afile")
        Path(target).write_text("x")
    rc, _, err = _run(["model", *_files(v4), "-o", target], capsys)
    assert rc == 2 and err.startswith("error: -o ") and "internal" not in err


def test_sigterm_does_not_split_a_set(v4, tmp_path) -> None:
    """SIGTERM at random moments of a run: the folder is always one whole set."""
    out = tmp_path / "out"
    args = [sys.executable, "-m", "loopnest", "model", *_files(v4), "-o", str(out), "-q"]
    subprocess.run(args, check=True, capture_output=True, timeout=60)
    first = _set(out)
    arch = v4 / "arch.yaml"
    arch.write_text(arch.read_text().replace('"40nm"', '"65nm"'))
    for delay in (0.3, 0.6, 0.9, 1.2):
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=60)
        now = _set(out)
        assert sorted(now) == sorted(first)
        stats = now["timeloop-model.stats.txt"]
        ert = now["timeloop-model.ERT.yaml"]
        assert (stats == first["timeloop-model.stats.txt"]) == \
            (ert == first["timeloop-model.ERT.yaml"])


# --------------------------------------------------- exit 2, located, never exit 3
@pytest.mark.parametrize("value,words", [("nan", "finite"), ("inf", "finite"),
                                         ("2.5", "whole"), ("1e300", "2**128"),
                                         ('"2048.5"', "whole"), ('"1e300"', "2**128"),
                                         ("factorial(2000)", "integer size limit")])
def test_bad_sizes_are_located_errors(v4, capsys, value, words) -> None:
    arch = v4 / "arch.yaml"
    arch.write_text(arch.read_text().replace("depth: 2048", f"depth: {value}"))
    for cmd in ("validate", "model"):
        _located_error([cmd, *_files(v4)] + (["-o", str(v4 / "o")] if cmd == "model" else []),
                       capsys, "arch.yaml:19", words)


def test_non_utf8_nul_and_control_bytes_name_their_line(tmp_path, capsys) -> None:
    for i, bad in enumerate((b"\xff", b"\x00", b"\x01")):
        f = tmp_path / f"f{i}.yaml"
        f.write_bytes(b"variables:\n  a: 1\n  b: x" + bad + b"y\n")
        _located_error(["validate", str(f)], capsys, f"f{i}.yaml:3")


def test_unknown_yaml_tags_are_errors(tmp_path, capsys) -> None:
    for i, tag in enumerate(("!!python/object:os.system {}", "!!python/name:os.system",
                             "!!binary aGk=", "!Bogus {}")):
        f = tmp_path / f"t{i}.yaml"
        f.write_text(f"variables:\n  a: {tag}\n")
        _located_error(["validate", str(f)], capsys, f"t{i}.yaml:2", "tag")


def test_garbage_version_is_an_error(v4, capsys) -> None:
    p = v4 / "problem.yaml"
    p.write_text(p.read_text().replace("version: 0.4", "version: banana"))
    _located_error(["validate", *_files(v4)], capsys, "problem.yaml:2", "version")


def test_missing_instance_is_located(v4, capsys) -> None:
    p = v4 / "problem.yaml"
    text = p.read_text()
    p.write_text(text[:text.index("  instance:")])
    _located_error(["validate", *_files(v4)], capsys, "problem.yaml", "instance")


def test_model_errors_name_the_users_own_v04_paths(v4, capsys) -> None:
    arch = v4 / "arch.yaml"
    arch.write_text(arch.read_text().replace("depth: 16", "depth: 2"))
    err = _located_error(["model", *_files(v4), "-o", str(v4 / "o")], capsys,
                         "arch.yaml:29", "architecture.nodes[4].attributes.depth", "RF")
    assert "subtree" not in err


def test_missing_var_names_the_variable(tmp_path, capsys) -> None:
    top = tmp_path / "top.yaml.jinja2"
    top.write_text("variables:\n  a: 1\n{% set x = arch ~ '/a.yaml' %}\n")
    _located_error(["render", str(top)], capsys, "top.yaml.jinja2:3", "--var arch=")


def test_broken_pipe_is_not_an_internal_error(v4) -> None:
    p = subprocess.Popen([sys.executable, "-m", "loopnest", "validate", *_files(v4),
                          "--show-ir"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()
    err = p.stderr.read().decode()
    assert p.wait(timeout=60) == 0 and "internal error" not in err


# ----------------------------------------------------------- warnings, --strict
def test_misspelled_attribute_warns_on_stderr_with_a_suggestion(v4, capsys) -> None:
    arch = v4 / "arch.yaml"
    arch.write_text(arch.read_text().replace("      width: 64\n      datawidth: WORD\n  - !Container",
                                              "      widht: 64\n      datawidth: WORD\n  - !Container"))
    rc, out, err = _run(["validate", *_files(v4)], capsys)
    line = next(ln for ln in err.splitlines() if ln.startswith("warning"))
    assert re.match(r"warning: \S+arch\.yaml:\d+: \S+\.widht: .*\(did you mean 'width'\?\)",
                    line), err
    assert "warning" not in out
    _located_error(["validate", *_files(v4), "--strict"], capsys, "widht", "width")


def test_misspelled_depth_warns_before_the_error(v4, capsys) -> None:
    arch = v4 / "arch.yaml"
    arch.write_text(arch.read_text().replace("depth: 2048", "detph: 2048"))
    rc, _, err = _run(["validate", *_files(v4)], capsys)
    assert "'detph'" in err and "did you mean 'depth'" in err


def test_misspelled_container_attribute_warns(v4, capsys) -> None:
    arch = v4 / "arch.yaml"
    arch.write_text(arch.read_text().replace("global_cycle_seconds: 1e-9",
                                             "global_cycle_second: 1e-9"))
    rc, _, err = _run(["validate", *_files(v4)], capsys)
    assert rc == 0 and "arch.yaml:8:" in err and "'global_cycle_second'" in err
    assert "did you mean 'global_cycle_seconds'" in err
    rc, _, err = _run(["validate", "--strict", *_files(v4)], capsys)
    assert rc == 2 and "global_cycle_second" in err


def test_unknown_instance_key_warns(v4, capsys) -> None:
    p = v4 / "problem.yaml"
    p.write_text(p.read_text().replace("    R: 3\n", "    R: 3\n    r: 3\n    H: 224\n"))
    rc, _, err = _run(["validate", *_files(v4)], capsys)
    assert rc == 0 and "instance.r: " in err and "did you mean 'R'" in err
    assert "'H'" not in err  # a helper value is not a mistake


def test_densities_without_sparse_optimizations_warn(v4, capsys) -> None:
    p = v4 / "problem.yaml"
    p.write_text(p.read_text() + "    densities: {Weights: 0.5}\n")
    rc, _, err = _run(["validate", *_files(v4)], capsys)
    assert rc == 0 and "the result is dense" in err


def test_validate_warns_when_model_would_refuse_the_mapping(v4, capsys) -> None:
    files = _files(v4, "arch.yaml", "problem.yaml", "mapping.yaml")  # no keep constraints
    rc, _, err = _run(["validate", *files], capsys)
    assert rc == 0 and "will refuse this mapping" in err and "arch.yaml:29" in err
    _located_error(["validate", *files, "--strict"], capsys, "capacity")
    _located_error(["model", *files, "-o", str(v4 / "o")], capsys, "arch.yaml:29", "capacity")
