"""Project paths, resolved from the package location, never from the working directory."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(os.environ.get("INDIKATORER_ROOT", Path(__file__).resolve().parents[3]))
DATA_DIR = PROJECT_ROOT / "data"
CATALOGUE_FILE = DATA_DIR / "catalogue.yml"
RAW_DIR = DATA_DIR / "raw"
PUBLISHED_DIR = DATA_DIR / "published"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
CHAPTERS_DIR = PROJECT_ROOT / "chapters"
BUILD_DIR = PROJECT_ROOT / "build"
BOOK_DIR = PROJECT_ROOT / "_book"
CODES_FILE = DATA_DIR / "codes.yml"
