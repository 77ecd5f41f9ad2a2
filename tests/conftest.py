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

# The PxWebApi v2 stand-in on 127.0.0.1 (tests/pxweb_server.py), a fixture for the client tests.
from pxweb_server import pxweb  # noqa: F401


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
# The modules whose tests read the real edition (test_browser asks for it at run time). Under
# pytest-xdist (`make test` runs two workers) they are one unit of work, so that one worker
# builds the real edition and runs them while the other takes the rest.
EDITION_MODULES = {"test_book.py", "test_browser.py", "test_composition.py", "test_notebooks.py",
                   "test_quarto_compat.py", "test_wording_rules.py"}
# Modules whose tests share a module fixture that builds an edition of their own: one unit each.
WHOLE_MODULES = {"test_variants.py"}


def pytest_itemcollected(item):
    """A test that reads the real edition or a build of the tiny project is slow (it needs the
    build): `make test-fast` leaves it out."""
    fixtures = set(getattr(item, "fixturenames", ()))
    if fixtures & (NEEDS_EDITION | {"tiny_edition"}):
        item.add_marker(pytest.mark.slow)
    if fixtures & NEEDS_EDITION and item.path.name not in EDITION_MODULES:  # a second build
        raise pytest.UsageError(f"{item.nodeid} reads the real edition: add {item.path.name} "
                                "to EDITION_MODULES in tests/conftest.py")


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook
def pytest_xdist_make_scheduler(config, log):
    """Each test its own unit of work, except the modules that read the real edition (one unit)
    and those that build an edition of their own (a unit each)."""
    from xdist.scheduler import LoadScopeScheduling

    class EditionScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            module = path.rsplit("/", 1)[-1]
            if module in EDITION_MODULES:
                return "real edition"
            return path if module in WHOLE_MODULES else nodeid

    return EditionScheduling(config, log)
