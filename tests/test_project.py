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
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            lock[_name(name)] = version.strip()
    for req in project["dependencies"] + project["optional-dependencies"]["test"]:
        assert _name(req) in lock, f"{req} is not pinned in requirements.lock"
