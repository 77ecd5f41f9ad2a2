"""Project-level contracts: notebooks without outputs, environment.yml agrees with pyproject."""

from __future__ import annotations

import json
import re
import tomllib

import yaml

from indikatorer.core import paths

ROOT = paths.PROJECT_ROOT


def _tracked_notebooks():
    return sorted(p for p in ROOT.glob("**/*.ipynb")
                  if not any(part in {".venv", "build", "_book", ".ipynb_checkpoints", "fixtures"}
                             for part in p.relative_to(ROOT).parts))


def test_notebooks_have_no_outputs():
    notebooks = _tracked_notebooks()
    assert notebooks, "expected theme notebooks in notebooks/"
    for nb_path in notebooks:
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] == "code":
                assert not cell.get("outputs"), f"{nb_path.name} cell {i} carries outputs"
                assert cell.get("execution_count") is None, f"{nb_path.name} cell {i} has an execution count"


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[]", req, maxsplit=1)[0].strip().lower().replace("_", "-")


def test_environment_yml_agrees_with_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r): r for r in project["dependencies"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda, pip = {}, {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip.update({_name(r): r for r in dep["pip"] if not r.startswith("-e")})
        else:
            conda[_name(dep)] = dep
    assert "quarto" in conda, "environment.yml must bring Quarto (the production renderer)"
    missing = set(wanted) - set(conda) - set(pip)
    assert not missing, f"in pyproject.toml but not environment.yml: {sorted(missing)}"
    for name, req in wanted.items():
        env_req = conda.get(name) or pip.get(name)
        assert env_req.replace(" ", "") == req.replace(" ", ""), f"{name}: pyproject {req!r} vs environment.yml {env_req!r}"


def test_lock_file_pins_every_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lock = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            name, version = line.split("==", 1)
            lock[_name(name)] = version.strip(" \\")
    for req in project["dependencies"] + project["optional-dependencies"]["test"]:
        assert _name(req) in lock, f"{req} is not pinned in requirements.lock"
    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    for req in build:  # the editable install builds without isolation, from the lock's setuptools
        assert _name(req) in lock, f"build requirement {req} is not pinned in requirements.lock"


def test_lock_file_has_a_hash_for_every_package_and_names_its_command():
    """pip's --require-hashes (the Makefile's set-up) refuses a lock with any package unhashed."""
    lines = (ROOT / "requirements.lock").read_text().splitlines()
    header = "\n".join(line for line in lines[:10] if line.startswith("#"))
    assert "pip-compile" in header and "--generate-hashes" in header, "the header must name its command"
    pins: dict[str, list[str]] = {}
    for line in lines:
        if re.match(r"^[A-Za-z0-9][^ ]*==", line):
            current = pins.setdefault(line.split(" ")[0], [])
        elif line.strip().startswith("--hash="):
            current.append(line.strip())
    assert len(pins) > 100
    for pin, hashes in pins.items():
        assert hashes and all(re.fullmatch(r"--hash=sha256:[0-9a-f]{64}( \\)?", h) for h in hashes), \
            f"no hash for {pin}"
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r requirements.lock" in makefile
    assert "pip-compile" in makefile  # `make lock` regenerates it with the header's command


def test_python_version_agrees_across_readme_pyproject_and_environment():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"
    assert "Python ≥ 3.11" in (ROOT / "README.md").read_text()
    assert "with Python 3.11" in (ROOT / "requirements.lock").read_text()
    assert "python=3.11" in (ROOT / "environment.yml").read_text()


def test_reliability_catalogue_names_tests_that_exist():
    """docs/reliability.md: at least 40 faults, each naming a test that exists."""
    text = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if re.match(r"^\| \d+ \|", line)]
    assert len(rows) >= 40, f"only {len(rows)} faults listed"
    numbers = [int(re.match(r"^\| (\d+) \|", row).group(1)) for row in rows]
    assert numbers == list(range(1, len(rows) + 1)), "rows are numbered 1, 2, 3 … without gaps"
    for row in rows:
        refs = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", row)
        assert refs, f"no test named in: {row[:80]}"
        for path, name in refs:
            source = (ROOT / path).read_text(encoding="utf-8")
            assert re.search(rf"^def {name}\(", source, re.M), f"{path}::{name} does not exist"
