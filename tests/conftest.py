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
