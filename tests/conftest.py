"""Fixtures shared by test modules."""

from __future__ import annotations

import pytest

from indikatorer import build


@pytest.fixture(scope="session")
def built_edition(tmp_path_factory):
    """The real edition, built once per test session on the embedded snapshot with the
    renderer this machine has (the end-to-end and browser tests read it; none writes to it)."""
    root = tmp_path_factory.mktemp("edition")
    return build.build_edition(jobs=2, build_dir=root / "build", book_dir=root / "_book")
