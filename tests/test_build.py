"""The edition build (indikatorer.publish.build and its runner) on the tiny fixture project
(tests/tiny_project.py): parameters, declared dependencies, what is skipped, what is redone,
failures that leave nothing half-written, many editions, locks, executors."""

from __future__ import annotations

import concurrent.futures
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import pytest

from indikatorer import cli
from indikatorer.core import paths
from indikatorer.core.errors import UserError
from indikatorer.core.params import EditionParams, parse_param_args
from indikatorer.publish import build, execute, inputs, manifest, runner
from indikatorer.publish.edition import RENDER_TMP
from tiny_project import (FIXTURES, copy_project, fake_render, make_project, series_csv,
                          set_data_years, snapshot_tree, write_data)

TESTS = Path(__file__).resolve().parent


@pytest.fixture
def built(tiny_edition, tmp_path, monkeypatch) -> Path:
    """A copy of the tiny project whose edition 2020 was executed (not rendered)."""
    set_data_years(monkeypatch)
    return copy_project(tiny_edition, tmp_path / "project")


# --- parameters ---------------------------------------------------------------------------------

def test_edition_defaults_come_from_the_data():
    params = build.EditionParams.resolve(None, {}, (2009, 2023))
    assert params.to_dict() == {"year": 2023, "first_year": 2009, "window": 10,
                                "breakdowns": ["sex", "botid", "region", "reason"], "geography": "0"}
    assert build.EditionParams is EditionParams  # one parameters model: the build's is core's
    params = build.EditionParams.resolve(2020, {"first_year": 2012, "scale": 2}, (2009, 2023))
    assert params.to_dict()["first_year"] == 2012 and params.to_dict()["scale"] == 2
    with pytest.raises(UserError, match="year given twice"):
        build.EditionParams.resolve(2020, {"year": 2019}, (2009, 2023))


def test_param_arguments_are_yaml_but_geography_stays_a_code():
    assert parse_param_args(["first_year=2012", "breakdowns=[sex, botid]", "geography=0301"]) == {
        "first_year": 2012, "breakdowns": ["sex", "botid"], "geography": "0301"}
    with pytest.raises(UserError, match="NAME=VALUE"):
        parse_param_args(["first_year"])


@pytest.mark.parametrize(("year", "overrides", "expected"), [
    (2020, {"yeer": 2019}, ["notebooks/01-alfa.ipynb", "no parameter 'yeer'",
                            "breakdowns, first_year, geography, window, year", "Did you mean 'year'?"]),
    (2020, {"first_year": "2010"}, ["notebooks/01-alfa.ipynb", "'first_year' must be int",
                                    "'2010' (str)"]),
    (2020, {"breakdowns": "sex"}, ["'breakdowns' must be list"]),
    (2030, {}, ["--year: 2030 outside the data (2010–2020)"]),
    (2020, {"first_year": 2021}, ["first_year 2021 is after year 2020"]),
    (2020, {"breakdowns": ["sex", "alder"]}, ["unknown breakdown(s) 'alder'",
                                              "sex, botid, region, reason"]),
    (2020, {"geography": "xyz"}, ["edition 2020-", "geography 'xyz' is not in the data snapshot",
                                  "data/published/geographies.csv"]),
    (2020, {"region": "0"}, ["no parameter 'region'"]),
])
def test_bad_parameters_stop_the_build_before_any_kernel_starts(
        built, year, overrides, expected):
    before = snapshot_tree(built / "build")
    with pytest.raises(UserError) as caught:
        build.build_edition(year=year, overrides=overrides, project_root=built, render=False)
    for fragment in expected:
        assert fragment in str(caught.value)
    # Nothing ran and nothing in build/2020/ was replaced (no work folder, no new edition).
    assert snapshot_tree(built / "build") == before
    assert sorted(p.name for p in (built / "build").iterdir() if p.name[0] != ".") == ["2020"]


def test_validate_params_reads_the_parameters_cell():
    declared = build.validate_params(FIXTURES / "01-alfa.ipynb", {"year": 2015}, (2010, 2020))
    assert set(declared) == {"year", "first_year", "breakdowns", "geography", "window"}
    assert declared["geography"]["default"] == '"0"'
    with pytest.raises(UserError, match="01-alfa.ipynb: parameter 'geography' must be str"):
        build.validate_params(FIXTURES / "01-alfa.ipynb", {"geography": 0}, (2010, 2020))
    with pytest.raises(UserError, match="01-alfa.ipynb: window must be at least 2 years"):
        build.validate_params(FIXTURES / "01-alfa.ipynb", {"window": 1}, (2010, 2020))


@pytest.mark.parametrize(("spec", "years", "error"), [
    ("2015-2018", [2015, 2016, 2017, 2018], None),
    ("2020", [2020], None),
    ("2016,2018-2019,2016", [2016, 2018, 2019], None),
    ("2018-2015", None, "the range 2018-2015 is reversed; write 2015-2018"),
    ("2015-", None, "expected a year or a range like 2015-2024, got '2015-'"),
    ("tjue", None, "got 'tjue'"),
])
def test_years_argument(spec, years, error):
    if error:
        with pytest.raises(UserError, match=error):
            build.parse_years(spec)
    else:
        assert build.parse_years(spec) == years


def test_years_outside_the_data_stop_everything_before_it_runs(built, monkeypatch, capsys):
    monkeypatch.setattr(paths, "PROJECT_ROOT", built)
    before = snapshot_tree(built)
    assert cli.main(["build", "--years", "2019-2022"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == ("indikatorer: --years: 2021, 2022 outside the data (2010–2020); "
                           "nothing was built")
    assert cli.main(["build", "--years", "2020-2019"]) == 2
    assert "reversed" in capsys.readouterr().err
    assert snapshot_tree(built) == before


# --- declared dependencies ------------------------------------------------------------------------

def test_declared_needs_are_read_and_checked(tmp_path):
    root = make_project(tmp_path / "p", needs={"chapters/90-tillegg.ipynb": ["notebooks/02-*"]})
    plan = inputs.load_plan(root)
    assert [nb.rel for nb in plan.notebooks] == [
        "notebooks/01-alfa.ipynb", "notebooks/02-beta.ipynb", "chapters/90-tillegg.ipynb"]
    assert plan.get("chapters/90-tillegg.ipynb").needs == ("notebooks/02-beta.ipynb",)
    assert plan.get("notebooks/01-alfa.ipynb").needs == ()

    for needs, message in [
        ({}, "chapters/90-tillegg.ipynb: what this computed chapter reads is not declared"),
        ({"chapters/90-tillegg.ipynb": ["notebooks/03-*"]}, "needs 'notebooks/03-\\*', which matches"),
        ({"chapters/90-tillegg.ipynb": [], "chapters/91-x.ipynb": []}, "names no notebook: chapters/91-x"),
        ({"chapters/90-tillegg.ipynb": ["notebooks/01-alfa.ipynb"],
          "notebooks/01-alfa.ipynb": ["chapters/90-tillegg.ipynb"]}, "form a cycle"),
    ]:
        other = make_project(tmp_path / f"q{len(message)}", needs=needs)
        with pytest.raises(UserError, match=message):
            inputs.load_plan(other)


def test_the_kernels_parent_imports_what_the_notebooks_import(tmp_path):
    plan = inputs.load_plan(paths.PROJECT_ROOT)
    imported = {m for nb in plan.notebooks for m in inputs.imported_modules(nb.source)}
    assert "indikatorer.report.indicator" in imported  # the theme notebooks' presentation call
    assert imported <= set(plan.warm)
    assert "indikatorer.data.observations:load_observations" in plan.warm  # declared
    root = make_project(tmp_path / "p")
    config = root / "_quarto.yml"
    config.write_text(config.read_text(encoding="utf-8") + "  warm: [indikatorer.gone:load]\n",
                      encoding="utf-8")
    with pytest.raises(UserError, match="warm: 'indikatorer.gone:load' names no module"):
        inputs.load_plan(root)


def test_one_change_reruns_only_what_depends_on_it(built):
    again = build.build_edition(year=2020, project_root=built, render=False)
    assert again.ran == []
    assert again.skipped == ["notebooks/01-alfa.ipynb", "notebooks/02-beta.ipynb",
                             "chapters/90-tillegg.ipynb"]
    assert again.status == "unchanged"

    source = built / "notebooks" / "02-beta.ipynb"
    nb = nbformat.read(source, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("Ny tekst."))
    nbformat.write(nb, source)
    alfa_before = (built / "build/2020/notebooks/01-alfa.ipynb").read_bytes()
    third = build.build_edition(year=2020, project_root=built, render=False)
    # The chapter declares that it reads the themes' results, so it reruns too; 01-alfa does not.
    assert sorted(third.ran) == ["chapters/90-tillegg.ipynb", "notebooks/02-beta.ipynb"]
    assert third.skipped == ["notebooks/01-alfa.ipynb"]
    assert (built / "build/2020/notebooks/01-alfa.ipynb").read_bytes() == alfa_before
    executed = nbformat.read(built / "build/2020/notebooks/02-beta.ipynb", as_version=4)
    assert executed.cells[-1].source == "Ny tekst."


@pytest.mark.slow  # builds the tiny project
def test_a_chapter_that_needs_nothing_is_not_rerun_for_a_theme(tmp_path, monkeypatch):
    set_data_years(monkeypatch)
    root = make_project(tmp_path / "p", themes=("02-beta",), chapters=("96-aar",),
                        needs={"chapters/96-aar.ipynb": []})
    build.build_edition(year=2020, project_root=root, render=False)
    write_data(root / "data" / "raw" / "beta.csv", series_csv(1.5))  # data: every notebook
    assert len(build.build_edition(year=2020, project_root=root, render=False).ran) == 2
    nb = nbformat.read(root / "notebooks" / "02-beta.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("Endret."))
    nbformat.write(nb, root / "notebooks" / "02-beta.ipynb")
    assert build.build_edition(year=2020, project_root=root, render=False).ran == [
        "notebooks/02-beta.ipynb"]


def test_kernels_get_the_notebook_path_and_the_parameters(tiny_edition):
    staging = tiny_edition / "build" / "2020"
    provenance = json.loads((staging / "notebooks/figures/beta.json").read_text())
    assert provenance["notebook"] == "notebooks/02-beta.ipynb"  # INDIKATORER_NOTEBOOK
    assert provenance["caption"] == "Beta 2006–2020."  # first_year = year - 14
    executed = nbformat.read(staging / "notebooks/02-beta.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "year = 2020" in injected[0].source
    counts = [c.execution_count for c in executed.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))  # a fresh kernel for this notebook
    # The computed chapter ran after the themes it needs and saw both their figures.
    listing = (staging / "chapters/figures/figurliste.csv").read_text().splitlines()
    assert listing == ["label,notebook", "alfa,notebooks/01-alfa.ipynb",
                       "beta,notebooks/02-beta.ipynb"]


def test_the_runner_starts_a_task_when_its_needs_are_done():
    order, lock = [], threading.Lock()

    def work(name):
        with lock:
            order.append(name)
        return {"ok": True}

    a = runner.Task("a", "e", work, ("a",))
    b = runner.Task("b", "e", work, ("b",))
    c = runner.Task("c", "e", work, ("c",), needs=[a, b])
    d = runner.Task("d", "f", work, ("d",))
    e_fail = runner.Task("x", "g", work, ("x",))
    after_fail = runner.Task("y", "g", work, ("y",), needs=[e_fail])
    seen = []

    def on_done(task, result, error):
        seen.append(task.name)
        return task.name != "x"

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        failed = runner.run([c, a, b, d, e_fail, after_fail], pool, 2, on_done,
                            runner.Progress(2, stream=open(os.devnull, "w")))
    assert failed == {"g"}
    assert order.index("c") > max(order.index("a"), order.index("b"))
    assert "y" not in order  # its edition failed before it could start
    assert sorted(seen) == ["a", "b", "c", "d", "x"]


# --- failures leave nothing half-written ------------------------------------------------------------

def test_a_kernel_that_dies_before_it_starts_is_started_again_once(built, monkeypatch):
    """A kernel that dies before it answers has run no cell: the notebook gets one new kernel,
    and its log says so. A second death, or a failing cell, is the notebook's failure."""
    from indikatorer.publish import execute

    real, calls = execute._execute, []

    def dies_first(job, output, log):
        calls.append(job["rel"])
        if calls.count(job["rel"]) == 1 and job["rel"] == "notebooks/01-alfa.ipynb":
            return {"rel": job["rel"], "ok": False, "source": None, "exec_count": None,
                    "ename": "RuntimeError", "evalue": "Kernel died before replying to kernel_info"}
        return real(job, output, log)

    monkeypatch.setattr(execute, "_execute", dies_first)
    result = build.build_edition(year=2020, project_root=built, render=False, force=True)
    assert "notebooks/01-alfa.ipynb" in result.ran and calls.count("notebooks/01-alfa.ipynb") == 2
    log = (built / "build" / "2020" / "notebooks" / "01-alfa.log").read_text(encoding="utf-8")
    assert "the kernel did not start (RuntimeError: Kernel died before replying to kernel_info)" in log
    # The kernels talk over Unix sockets (no TCP port another process could take first).
    other = (built / "build" / "2020" / "notebooks" / "02-beta.log").read_text(encoding="utf-8")
    assert "over TCP" not in log + other

    def always_dies(job, output, log):
        calls.append(job["rel"])
        return {"rel": job["rel"], "ok": False, "source": None, "exec_count": None,
                "ename": "RuntimeError", "evalue": "Kernel died before replying to kernel_info"}

    calls.clear()
    monkeypatch.setattr(execute, "_execute", always_dies)
    with pytest.raises(build.BuildError, match="Kernel died before replying"):
        build.build_edition(year=2020, project_root=built, render=False, force=True, jobs=1)
    assert calls.count(calls[0]) == 2  # started twice, then reported


def test_a_failing_notebook_stops_the_edition_and_keeps_the_old_one(built, monkeypatch):
    shutil.copy(FIXTURES / "99-feiler.ipynb", built / "notebooks")
    old_book = built / "_book" / "2020"
    old_book.mkdir(parents=True)
    (old_book / "marker.txt").write_text("the previous edition", encoding="utf-8")
    before = snapshot_tree(built / "build" / "2020")
    monkeypatch.setattr(build, "_render_book", fake_render)

    with pytest.raises(build.BuildError) as caught:
        build.build_edition(year=2020, project_root=built)
    message = str(caught.value)
    executed = built / "build" / "2020.work" / "notebooks" / "99-feiler.ipynb"
    assert "notebook notebooks/99-feiler.ipynb failed in cell index 4 of 99-feiler.ipynb" in message
    assert "share = 1 / 0  # deliberate failure" in message
    assert "ZeroDivisionError: division by zero" in message
    assert str(executed) in message
    # The partial notebook is kept for inspection in the work folder, with the error in it;
    # the previous build folder and edition are untouched.
    outputs = [o for c in nbformat.read(executed, as_version=4).cells for o in c.get("outputs", [])]
    assert any(o.get("ename") == "ZeroDivisionError" for o in outputs)
    assert snapshot_tree(built / "build" / "2020") == before
    assert (old_book / "marker.txt").read_text(encoding="utf-8") == "the previous edition"
    assert sorted(p.name for p in (built / "_book").iterdir()) == ["2020"]
    record = manifest.read_record(executed)
    assert record["status"] == "failed" and record["input_hash"] is None
    assert "figures/gamma.png" in record["outputs"]  # made before the failure

    # Fixed (the notebook now makes another figure): the half-made one does not linger, and
    # the build goes on from the work folder.
    shutil.copy(FIXTURES / "96-aar.ipynb", built / "notebooks" / "99-feiler.ipynb")
    result = build.build_edition(year=2020, project_root=built, render=False)
    assert sorted(result.ran) == ["chapters/90-tillegg.ipynb", "notebooks/99-feiler.ipynb"]
    assert result.skipped == ["notebooks/01-alfa.ipynb", "notebooks/02-beta.ipynb"]
    figures = built / "build" / "2020" / "notebooks" / "figures"
    assert sorted(p.name for p in figures.iterdir()) == [
        "alfa.csv", "alfa.json", "alfa.png", "beta.csv", "beta.json", "beta.png",
        "epsilon.csv", "epsilon.json", "epsilon.png"]
    assert not (built / "build" / "2020.work").exists()


@pytest.mark.slow  # kernels or a dask cluster
def test_an_interrupted_build_leaves_the_previous_edition_intact(built):
    """The build process is killed while a notebook runs: the previous edition and build
    folder are as they were, no kernel goes on writing, and the next build completes."""
    script = (
        "import sys; sys.path.insert(0, sys.argv[2])\n"
        "from tiny_project import set_data_years, fake_render\n"
        "import pytest\n"
        "from indikatorer.publish import build\n"
        "mp = pytest.MonkeyPatch(); set_data_years(mp)\n"
        "mp.setattr(build, '_render_book', fake_render)\n"
        "build.build_edition(year=2020, project_root=sys.argv[1])\n")
    subprocess.run([sys.executable, "-c", script, str(built), str(TESTS)], check=True,
                   capture_output=True)
    before_book, before_build = snapshot_tree(built / "_book"), snapshot_tree(built / "build" / "2020")
    shutil.copy(FIXTURES / "98-sover.ipynb", built / "notebooks")
    # where the build's kernel starter keeps its sockets (short: a socket's path is limited)
    tmp = Path(tempfile.mkdtemp(prefix="ib-", dir="/tmp"))
    proc = subprocess.Popen([sys.executable, "-c", script, str(built), str(TESTS)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "TMPDIR": str(tmp)})
    try:
        deadline = time.monotonic() + 120
        while not (built / "sleeping").exists():
            assert proc.poll() is None and time.monotonic() < deadline, "the build never got there"
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    time.sleep(1)  # the kernel starter sees its parent gone, stops the kernel and cleans up
    assert tmp.is_dir() and not list(tmp.glob("indikatorer-k-*"))  # its folder is gone
    shutil.rmtree(tmp)
    assert snapshot_tree(built / "_book") == before_book
    assert snapshot_tree(built / "build" / "2020") == before_build
    (built / "notebooks" / "98-sover.ipynb").unlink()
    work = snapshot_tree(built / "build" / "2020.work")
    time.sleep(0.5)
    assert snapshot_tree(built / "build" / "2020.work") == work  # nobody writes there any more
    result = build.build_edition(year=2020, project_root=built, render=False)
    assert result.status == "built" and not (built / "build" / "2020.work").exists()


def test_a_second_build_of_the_same_edition_waits_for_the_first(built, capsys):
    lock_file = built / "build" / ".locks" / "2020.lock"
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write("4242")
        held.flush()
        done = threading.Event()
        thread = threading.Thread(target=lambda: (build.build_edition(
            year=2020, project_root=built, render=False), done.set()))
        thread.start()
        deadline = time.monotonic() + 60
        while "bygges allerede" not in capsys.readouterr().out:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert not done.is_set()  # waiting, not building beside the first
        fcntl.flock(held, fcntl.LOCK_UN)
    thread.join(60)
    assert done.is_set()


# --- many editions, variants -------------------------------------------------------------------------

@pytest.mark.slow  # kernels or a dask cluster
def test_many_editions_one_failing_stops_nothing_else(tmp_path, monkeypatch, capsys):
    set_data_years(monkeypatch)
    root = make_project(tmp_path / "p", themes=("01-alfa", "96-aar"), chapters=())
    monkeypatch.setattr(paths, "PROJECT_ROOT", root)
    monkeypatch.setattr(build, "_render_book", fake_render)
    assert cli.main(["build", "--years", "2018-2020", "--jobs", "2"]) == 1
    out = capsys.readouterr().out
    assert "2 utgaver bygget, 0 uendret, 1 feilet" in out
    assert "2019: FEILET" in out and "AssertionError: ingen tall for 2019" in out
    assert "[utgaver 3/3 · notatbøker 6/6] " in out  # one display for the whole build
    assert sorted(p.name for p in (root / "_book").iterdir()) == ["2018", "2020"]
    assert sorted(p.name for p in (root / "build").iterdir() if not p.name.startswith(".")) == [
        "2018", "2019.work", "2020"]
    for year in (2018, 2020):
        written = manifest.load_manifest(root / "_book" / str(year))
        assert written["edition"]["year"] == year
        assert written["figures"][0]["caption"] == f"Alfa {year - 14}–{year}."
    # Again: the two good editions are unchanged, the failed one is tried again.
    assert cli.main(["build", "--years", "2018-2020"]) == 1
    assert "0 utgaver bygget, 2 uendret, 1 feilet" in capsys.readouterr().out


def test_a_parameter_variant_builds_into_its_own_folder(built):
    standard = snapshot_tree(built / "build" / "2020")
    variant = build.build_edition(year=2020, overrides={"breakdowns": ["sex"]},
                                  project_root=built, render=False)
    assert variant.key.startswith("2020-") and len(variant.key) == 13
    assert variant.staging_dir == built / "build" / variant.key
    assert manifest.load_manifest(variant.staging_dir)["edition"]["breakdowns"] == ["sex"]
    assert snapshot_tree(built / "build" / "2020") == standard
    # The standard parameters given explicitly are the standard edition (nothing to do).
    same = build.build_edition(year=2020, overrides={"first_year": 2006}, project_root=built,
                               render=False)
    assert same.key == "2020" and same.status == "unchanged"


# --- nothing changed → nothing done ----------------------------------------------------------------

def test_nothing_changed_nothing_done_and_the_book_byte_identical(built, monkeypatch):
    renders = []

    def counting_render(project_dir, out_dir):
        renders.append(out_dir)
        return fake_render(project_dir, out_dir)

    monkeypatch.setattr(build, "_render_book", counting_render)
    first = build.build_edition(year=2020, project_root=built)
    assert first.status == "built" and len(renders) == 1
    book = snapshot_tree(built / "_book")
    folder = snapshot_tree(built / "build")
    again = build.build_edition(year=2020, project_root=built)
    assert again.status == "unchanged" and len(renders) == 1  # no render either
    assert snapshot_tree(built / "_book") == book
    assert snapshot_tree(built / "build") == folder
    # Any input the edition reads makes it build again: here a chapter source of the book.
    (built / "index.qmd").write_text("# Forord {.unnumbered}\n\nEndret.\n", encoding="utf-8")
    third = build.build_edition(year=2020, project_root=built)
    assert third.status == "built" and third.ran == [] and len(renders) == 2
    # A book changed after the build is made again too.
    (built / "_book" / "2020" / "index.html").write_text("endret", encoding="utf-8")
    assert build.build_edition(year=2020, project_root=built).status == "built"


def test_a_new_git_commit_renders_the_book_again_but_runs_no_notebook(built, monkeypatch):
    """The colophon prints the git commit, so a new commit is a change of the book (not of
    any notebook); after it, nothing changed again."""
    monkeypatch.setattr(build, "_render_book", fake_render)

    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=built,
                       check=True, capture_output=True)

    (built / ".gitignore").write_text("build/\n_book/\n", encoding="utf-8")
    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "first")
    build.build_edition(year=2020, project_root=built)
    first = manifest.load_manifest(built / "_book" / "2020")
    git("commit", "-q", "--allow-empty", "-m", "second")
    again = build.build_edition(year=2020, project_root=built)
    assert again.status == "built" and again.ran == []
    second = manifest.load_manifest(built / "_book" / "2020")
    assert second["code"]["git_commit"] != first["code"]["git_commit"]
    assert second["code"]["git_dirty"] is False
    staged = (built / "build" / "2020" / "_quarto.yml").read_text(encoding="utf-8")
    assert second["code"]["git_commit"] in staged  # the colophon's `kolofon-kode`
    assert build.build_edition(year=2020, project_root=built).status == "unchanged"


# --- the data are checked before any kernel starts -----------------------------------------------

@pytest.mark.parametrize(("damage", "named"), [
    (lambda root: _flip_byte(root / "data" / "published" / "alfa.csv"),
     "data/published/alfa.csv: checksum mismatch"),
    (lambda root: (root / "data" / "raw" / "beta.csv.meta.json").write_text("{ broken"),
     "beta.csv.meta.json: not valid JSON"),
    (lambda root: (root / "data" / "raw" / "extra.csv").write_text("x\n"),
     "data/raw/extra.csv: no sidecar extra.csv.meta.json"),
])
def test_a_damaged_data_file_stops_the_build_naming_it(built, damage, named):
    damage(built)
    before = snapshot_tree(built / "build")
    with pytest.raises(UserError, match="the data snapshot failed its checks") as caught:
        build.build_edition(year=2020, project_root=built, render=False)
    assert named in str(caught.value)
    assert snapshot_tree(built / "build") == before  # no kernel ran, nothing was staged


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[5] ^= 0x01
    path.write_bytes(bytes(data))


# --- rendering and the swap into _book/<key> ---------------------------------------------------

def test_a_rendered_edition_replaces_the_old_one_in_one_step(built, monkeypatch):
    old_book = built / "_book" / "2020"
    old_book.mkdir(parents=True)
    (old_book / "marker.txt").write_text("old", encoding="utf-8")

    def broken_render(project_dir, out_dir):
        fake_render(project_dir, out_dir)
        raise UserError("the renderer failed half-way")

    monkeypatch.setattr(build, "_render_book", broken_render)
    with pytest.raises(UserError, match="half-way"):
        build.build_edition(year=2020, project_root=built)
    assert sorted(p.name for p in old_book.iterdir()) == ["marker.txt"]

    monkeypatch.setattr(build, "_render_book", fake_render)
    result = build.build_edition(year=2020, project_root=built)
    assert result.edition_dir == old_book
    assert not (old_book / "marker.txt").exists()
    assert sorted(p.name for p in (built / "_book").iterdir()) == ["2020"]  # no backup left
    assert not (built / "build" / "2020" / RENDER_TMP).exists()
    written = manifest.load_manifest(old_book)
    assert written["renderer"] == {"renderer": "fake", "renderer_label": "test",
                                   "html_index": "index.html", "pdf": None,
                                   "versions": {"fake": "1.0"}}
    for entry in written["figures"] + written["tables"]:
        for rel in manifest.entry_files(entry):
            assert manifest.sha256_file(old_book / rel) == written["files"][rel]
    assert "index.html" in written["files"]


def test_cli_build_prints_what_it_did(built, monkeypatch, capsys):
    monkeypatch.setattr(paths, "PROJECT_ROOT", built)
    shutil.copy(FIXTURES / "96-aar.ipynb", built / "notebooks")
    assert cli.main(["build", "--year", "2020", "--no-render", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "[notatbøker 1/4 · ca. " in out and "] 01-alfa … uendret, hoppet over" in out
    assert "96-aar … ferdig (" in out
    assert f"Manifest: {built / 'build' / '2020' / 'manifest.json'}" in out

    assert cli.main(["build", "--year", "2020", "-p", "frist_year=2012"]) == 2
    assert "Did you mean 'first_year'?" in capsys.readouterr().err


@pytest.mark.slow  # builds the tiny project
def test_only_runs_the_named_notebooks_and_a_partial_book_is_not_rendered(tmp_path, monkeypatch):
    root = make_project(tmp_path / "project")
    set_data_years(monkeypatch)
    monkeypatch.setattr(build, "_render_book", fake_render)
    with pytest.raises(build.BuildError, match="cannot render the book: not executed for 2020: "
                       "notebooks/02-beta.ipynb, chapters/90-tillegg.ipynb"):
        build.build_edition(year=2020, only=["01-alfa"], project_root=root)
    executed = sorted(p.relative_to(root / "build" / "2020.work").as_posix()
                      for p in (root / "build" / "2020.work").rglob("*.ipynb"))
    assert executed == ["notebooks/01-alfa.ipynb"]
    assert not (root / "_book").exists() and not (root / "build" / "2020").exists()
    with pytest.raises(UserError, match="no such notebook.*Did you mean '01-alfa'"):
        build.build_edition(year=2020, only=["01-alpha"], project_root=root, render=False)


def test_build_with_the_real_renderer(built, monkeypatch, capsys):
    monkeypatch.setattr(paths, "PROJECT_ROOT", built)
    assert cli.main(["build", "--year", "2020"]) == 0
    out = capsys.readouterr().out
    edition = built / "_book" / "2020"
    written = manifest.load_manifest(edition)
    assert f"Gjengitt med: {written['renderer']['renderer_label']}" in out
    html = edition / written["renderer"]["html_index"]
    assert f"HTML: {html}" in out
    assert html.is_file() and "alfa.png" in html.read_text(encoding="utf-8")
    if written["renderer"]["pdf"]:
        assert (edition / written["renderer"]["pdf"]).is_file()
    assert set(written["files"]) >= {"notebooks/figures/alfa.png", "notebooks/figures/beta.csv"}


# --- executors -------------------------------------------------------------------------------------

@pytest.mark.slow  # kernels or a dask cluster
def test_dask_builds_the_same_edition_and_survives_a_lost_worker(built, tiny_edition):
    """The same notebook tasks on a dask LocalCluster: a notebook that kills its worker the
    first time is run again on another worker and the edition completes; the edition dask
    builds is byte for byte the default executor's (the manifest's build times aside)."""
    distributed = pytest.importorskip("distributed")
    shutil.copy(FIXTURES / "97-mister-arbeider.ipynb", built / "notebooks")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        result = build.build_edition(year=2020, project_root=built, render=False,
                                     executor=client.get_executor(pure=False), jobs=2)
        assert (built / "worker-killed").exists()  # the first attempt lost its worker
        assert "notebooks/97-mister-arbeider.ipynb" in result.ran
        assert (built / "build/2020/notebooks/figures/delta.png").is_file()
        (built / "notebooks" / "97-mister-arbeider.ipynb").unlink()
        # The same through the scheduler's address, as `--scheduler tcp://…` does.
        again = build.build_edition(year=2020, project_root=built, render=False, force=True,
                                    scheduler=cluster.scheduler_address)
    assert len(again.ran) == 3

    def files(folder: Path) -> dict[str, bytes]:
        tree = snapshot_tree(folder)
        tree["manifest.json"] = manifest.dumps(manifest.without_build_info(
            json.loads(tree["manifest.json"]))).encode("utf-8")
        return {k: v for k, v in tree.items() if not k.endswith((".log", "build.json"))}

    assert files(built / "build" / "2020") == files(tiny_edition / "build" / "2020")


def test_cleaning_an_executed_notebook_merges_its_streams(tmp_path):
    source = tmp_path / "source.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print('a'); print('b')")]
    nbformat.write(nb, source)
    executed = tmp_path / "executed.ipynb"
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="a\n"),
                           nbformat.v4.new_output("stream", name="stdout", text="b\n")]
    nb.metadata["papermill"] = {"input_path": "/abs/source.ipynb", "duration": 1.5}
    nbformat.write(nb, executed)
    execute.strip_run_details(executed, source, "notebooks/x.ipynb")
    cleaned = nbformat.read(executed, as_version=4)
    assert [o["text"] for o in cleaned.cells[0].outputs] == ["a\nb\n"]
    assert "duration" not in cleaned.metadata["papermill"]
    assert cleaned.metadata["papermill"]["input_path"] == "notebooks/x.ipynb"


def stream(name: str, text) -> dict:
    return {"output_type": "stream", "name": name, "text": text}


def test_consecutive_streams_are_merged_so_chunking_does_not_change_the_notebook():
    """The kernel splits printed output at timing-dependent points; merged, two runs that
    were chunked differently give the same bytes."""
    figure = {"output_type": "display_data", "data": {"text/plain": "<Figure>"}, "metadata": {}}

    def notebook(outputs) -> dict:
        return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
            {"cell_type": "markdown", "id": "m", "metadata": {}, "source": "# Tittel"},
            {"cell_type": "code", "id": "c", "metadata": {}, "execution_count": 1, "source": "x",
             "outputs": outputs}]}

    one_chunk = notebook([stream("stdout", "![fig](a.png)\n\nKilde: SSB\n"),
                          stream("stderr", "advarsel\n"), figure, stream("stdout", "slutt\n")])
    three_chunks = notebook([stream("stdout", "![fig](a.png)\n"), stream("stdout", ["\n", "Kilde: "]),
                             stream("stdout", "SSB\n"), stream("stderr", "adv"),
                             stream("stderr", "arsel\n"), figure, stream("stdout", "slutt\n")])
    for nb in (one_chunk, three_chunks):
        execute.merge_streams(nb)
    assert three_chunks == one_chunk
    outputs = three_chunks["cells"][1]["outputs"]
    assert [(o["output_type"], o.get("name")) for o in outputs] == [
        ("stream", "stdout"), ("stream", "stderr"), ("display_data", None), ("stream", "stdout")]
    assert "outputs" not in three_chunks["cells"][0]  # markdown cells untouched


def test_executed_notebooks_get_fresh_download_copies(built):
    stale = built / "build" / "2020" / "notebooks" / "notatbok" / "00-gone.ipynb"
    stale.write_text("{}", encoding="utf-8")
    build.build_edition(year=2020, render=False, project_root=built, force=True)
    staging = built / "build" / "2020"
    copies = sorted(p.name for p in (staging / "notebooks" / "notatbok").iterdir())
    assert copies == sorted(p.name for p in (staging / "notebooks").glob("*.ipynb"))
    for name in copies:
        assert (staging / "notebooks" / "notatbok" / name).read_bytes() == \
            (staging / "notebooks" / name).read_bytes()
    assert not stale.exists()


def test_sockets_live_in_a_short_folder_when_the_temporary_folder_is_long(tmp_path, monkeypatch):
    """A Unix socket's path is limited (107 bytes on Linux): with a long TMPDIR the kernel
    starter's folder goes to /tmp, so that its sockets can be made (a long TMPDIR stopped every
    build before)."""
    from indikatorer.publish import kernels

    long_tmp = tmp_path / ("x" * 60) / ("y" * 40)
    long_tmp.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(long_tmp))
    folder = kernels._socket_folder()
    try:
        assert not folder.startswith(str(long_tmp)) and Path(folder).parent == Path("/tmp")
        assert len(folder) + len("/zygote.sock") <= kernels._MAX_SOCKET_PATH
    finally:
        os.rmdir(folder)
    short_tmp = Path(tempfile.mkdtemp(prefix="ib-", dir="/tmp"))
    monkeypatch.setattr(tempfile, "tempdir", str(short_tmp))
    try:
        assert Path(kernels._socket_folder()).parent == short_tmp  # a short one is used as it is
    finally:
        shutil.rmtree(short_tmp)
