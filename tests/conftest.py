"""Editions built once per test session and shared by the tests that read them.

- `real_edition`: the book's edition (newest year) on the embedded snapshot, executed and
  rendered with the renderer this machine has, into a temporary folder (the project's own
  build/ and _book/ are not touched). Tests that only read it share it; a test that changes
  something copies it first.
- `tiny_edition`: the tiny fixture project (tests/tiny_project.py) with edition 2020 executed,
  not rendered; tests copy the project before changing anything.
"""

from __future__ import annotations

import pytest

from indikatorer.publish import build
from tiny_project import make_project, set_data_years


@pytest.fixture(scope="session")
def real_edition(tmp_path_factory):
    root = tmp_path_factory.mktemp("real-edition")
    return build.build_edition(build_dir=root / "build", book_dir=root / "_book")


@pytest.fixture(scope="session")
def tiny_edition(tmp_path_factory):
    root = make_project(tmp_path_factory.mktemp("tiny") / "project")
    with pytest.MonkeyPatch.context() as mp:
        set_data_years(mp)
        build.build_edition(year=2020, project_root=root, render=False)
    return root
