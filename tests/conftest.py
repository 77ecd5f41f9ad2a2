"""Fixtures shared across test modules: editions built once per test session.

- `real_edition`: the book's edition (the embedded snapshot, every notebook, rendered with
  whichever renderer this machine has) into a temporary folder (the project's own build/ and
  _book/ are not touched), shared by every test that reads it: the book checks, the notebook
  checks, the static Quarto checks and the composition chapter. Tests must treat it as
  read-only; one that needs another build makes its own.
- `tiny_edition`: the tiny fixture project (tests/tiny_project.py) with edition 2020 executed,
  not rendered, shared by the build and manifest tests; they copy it before changing anything.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def real_edition(tmp_path_factory):
    """`build_edition()` on the embedded snapshot with default parameters, rendered.

    Returns the EditionResult: ``staging_dir`` holds the executed notebooks (``notebooks/``,
    ``chapters/``) with their ``figures/``; ``edition_dir`` the rendered book and manifest."""
    from indikatorer.publish import build

    root: Path = tmp_path_factory.mktemp("real-edition")
    return build.build_edition(build_dir=root / "build", book_dir=root / "_book")


@pytest.fixture(scope="session")
def tiny_edition(tmp_path_factory):
    from indikatorer.publish import build
    from tiny_project import make_project, set_data_years

    root = make_project(tmp_path_factory.mktemp("tiny") / "project")
    with pytest.MonkeyPatch.context() as mp:
        set_data_years(mp)
        build.build_edition(year=2020, project_root=root, render=False)
    return root


# Fixtures that need the real edition (test_quarto_compat's `staged` asks for it at run time).
NEEDS_EDITION = {"real_edition", "staged"}


def pytest_collection_modifyitems(items):
    """A test that reads the real edition is slow (it needs the build): `make test-fast` skips it."""
    for item in items:
        if NEEDS_EDITION & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
