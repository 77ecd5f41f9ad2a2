"""Bad input and misuse the command line and the notebooks handle with a clear message or the
right place for their files: `trend` arguments, a notebook run by hand with papermill."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

from indikatorer import cli
from indikatorer.core import paths
from indikatorer.core.errors import UserError
from indikatorer.data.observations import load_observations


@pytest.fixture(scope="module")
def data_range() -> tuple[int, int]:
    years = load_observations()["year"]
    return int(years.min()), int(years.max())


TREND = ["trend", "--indicator", "sysselsatte_andel", "--group", "innvandrere"]


@pytest.mark.parametrize(("extra", "message"), [
    (["--window", "1"], "--window must be at least 2 years, got 1"),
    (["--window", "-3"], "--window must be at least 2 years, got -3"),
    (["--year", "1800"], "--year 1800 is outside the data ({first}–{last})"),
    (["--year", "2099"], "--year 2099 is outside the data ({first}–{last})"),
])
def test_trend_arguments_are_checked(extra, message, data_range, capsys):
    assert cli.main(TREND + extra) == 2
    captured = capsys.readouterr()
    expected = message.format(first=data_range[0], last=data_range[1])
    assert captured.err == f"indikatorer: {expected}\n"  # one line, no traceback
    assert captured.out == ""


@pytest.mark.slow  # kernels or a dask cluster
def test_a_notebook_run_by_hand_writes_its_figures_into_a_build_folder(tmp_path):
    """`papermill notebooks/04-deltakelse.ipynb out.ipynb` from the project root (as the README
    shows, here with the shortest theme notebook) writes its figure files under build/direct/,
    never into the source tree."""
    root = paths.PROJECT_ROOT
    before = {p for p in root.iterdir()}
    sources = {p: p.stat().st_mtime_ns for p in (root / "notebooks").rglob("*")}
    target = root / "build" / "direct" / "figures"
    started = time.time_ns()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("INDIKATORER_")}
    done = subprocess.run(
        [sys.executable, "-m", "papermill", "notebooks/04-deltakelse.ipynb",
         str(tmp_path / "out.ipynb"), "--no-progress-bar"],
        cwd=root, env={**env, "MPLBACKEND": "Agg"}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not (root / "figures").exists() and not (root / "notebooks" / "figures").exists()
    assert {p for p in root.iterdir()} - before <= {root / "build"}
    assert {p: p.stat().st_mtime_ns for p in (root / "notebooks").rglob("*")} == sources
    made = sorted(p.name for p in target.iterdir() if p.stat().st_mtime_ns >= started)
    assert any(name.endswith(".png") for name in made) and any(n.endswith(".json") for n in made)


@pytest.mark.parametrize(("damage", "named"), [
    ("published/pages.csv", "data/published/pages.csv: checksum mismatch"),
    ("published/revisions.csv", "data/published/revisions.csv: checksum mismatch"),
    ("published/observations.csv.meta.json", "observations.csv.meta.json: not valid JSON"),
])
def test_the_builds_data_check_names_a_damaged_snapshot_file(tmp_path, monkeypatch, damage, named):
    """The check the build runs before any kernel, on a copy of the real snapshot."""
    from indikatorer.publish import inputs

    shutil.copytree(paths.PROJECT_ROOT / "data", tmp_path / "data")
    monkeypatch.setattr(paths, "PROJECT_ROOT", tmp_path)
    inputs.verify_data(tmp_path)  # intact: no error
    path = tmp_path / "data" / damage
    data = bytearray(path.read_bytes())
    if path.name.endswith(".meta.json"):
        data = data[: len(data) // 2]  # a sidecar cut short
    else:
        data[len(data) // 2] ^= 0x01  # one flipped bit
    path.write_bytes(bytes(data))
    with pytest.raises(UserError, match="the data snapshot failed its checks") as caught:
        inputs.verify_data(tmp_path)
    assert named in str(caught.value)
