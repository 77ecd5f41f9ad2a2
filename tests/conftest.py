"""Fixtures shared across test modules.

The real edition (the embedded snapshot, every notebook, rendered with whichever renderer this
machine has) is built ONCE per test session and shared by every test that reads it: the book
checks, the notebook checks, the static Quarto checks and the composition chapter. Tests must
treat it as read-only; one that needs another build makes its own.
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
    return build.build_edition(jobs=2, build_dir=root / "build", book_dir=root / "_book")


# Fixtures that need the real edition (test_quarto_compat's `staged` asks for it at run time).
NEEDS_EDITION = {"real_edition", "staged"}


def pytest_collection_modifyitems(items):
    """A test that reads the real edition is slow (it needs the build): `make test-fast` skips it."""
    for item in items:
        if NEEDS_EDITION & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
