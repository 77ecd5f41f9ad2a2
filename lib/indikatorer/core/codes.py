"""The code vocabularies of ``data/codes.yml``: the one reader of that file.

Each vocabulary (:data:`VOCABULARIES`: groups, sex, ages, regions, botid) lists its codes in
display order with a Norwegian label and the labels SSB prints for it (``ssb_labels``). Single
countries are coded ``land:<Norwegian name>``; ``countries`` lists them with other spellings.

``load_codes()`` reads the file once per process and path. The observations table maps SSB
labels to codes with it; figures and text take their labels, display order and colours from it.
codes.yml is committed with the project: a missing or malformed file is an error, never a
silent fallback.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import yaml

from indikatorer.core import paths
from indikatorer.core.errors import UserError

# The vocabularies codes.yml must declare (each a list of {code, label, ssb_labels, note}).
VOCABULARIES = ("groups", "sex", "ages", "regions", "botid")
COUNTRY_PREFIX = "land:"


class CodesError(UserError):
    """data/codes.yml is missing or malformed, or a vocabulary it does not have was asked for."""


def _normal(label: str) -> str:
    """Labels compare without case and repeated spaces ('Vest-Europa  ellers' = 'vest-europa ellers')."""
    return " ".join(str(label).split()).casefold()


@dataclass(frozen=True, eq=False)
class Codes:
    """The vocabularies of data/codes.yml: codes in display order, Norwegian labels, SSB labels."""

    entries: Mapping[str, tuple[dict, ...]]   # vocabulary → entries {code, label, ssb_labels, note}
    countries: Mapping[str, tuple[str, ...]]  # Norwegian country name → other spellings
    index: Mapping[str, Mapping[str, str]]    # vocabulary → normalised SSB label → code

    def _entries(self, vocabulary: str) -> tuple[dict, ...]:
        try:
            return self.entries[vocabulary]
        except KeyError:
            raise CodesError(f"unknown code vocabulary {vocabulary!r}; codes.yml has: "
                             f"{', '.join(self.entries)}") from None

    def labels(self, vocabulary: str) -> dict[str, str]:
        """code → Norwegian label, in display order."""
        return {e["code"]: e["label"] for e in self._entries(vocabulary)}

    def order(self, vocabulary: str) -> list[str]:
        """The codes of a vocabulary in display order."""
        return [e["code"] for e in self._entries(vocabulary)]

    def is_known(self, vocabulary: str, code: str) -> bool:
        if vocabulary == "regions" and code.startswith(COUNTRY_PREFIX):
            return code[len(COUNTRY_PREFIX):] in self.countries
        return any(e["code"] == code for e in self._entries(vocabulary))

    def label(self, vocabulary: str, code: str) -> str:
        """The Norwegian label of a code (a country code gives the country's name)."""
        if vocabulary == "regions" and code.startswith(COUNTRY_PREFIX):
            return code[len(COUNTRY_PREFIX):]
        return self.labels(vocabulary)[code]

    def code_for(self, vocabulary: str, label: str) -> str | None:
        """The code whose SSB labels (or the code itself) match ``label``; regions also match
        country names and their other spellings (giving ``land:<name>``)."""
        self._entries(vocabulary)
        return self.index[vocabulary].get(_normal(label))


def _label_index(vocabulary: str, entries: tuple[dict, ...], countries: Mapping[str, tuple[str, ...]],
                 path: Path) -> dict[str, str]:
    """normalised label → code; a label claimed by two codes of one vocabulary is an error."""
    pairs = [(e["code"], e["code"]) for e in entries]
    pairs += [(e["code"], lab) for e in entries for lab in e["ssb_labels"]]
    if vocabulary == "regions":
        pairs += [(f"{COUNTRY_PREFIX}{name}", name) for name in countries]
        pairs += [(f"{COUNTRY_PREFIX}{name}", alias) for name, aliases in countries.items() for alias in aliases]
    table: dict[str, str] = {}
    for code, lab in pairs:
        key = _normal(lab)
        if table.get(key, code) != code:
            raise CodesError(f"{path}: label {lab!r} belongs to both {table[key]!r} and {code!r} in {vocabulary}")
        table[key] = code
    return table


def load_codes(path: Path | str | None = None) -> Codes:
    """The vocabularies of ``path`` (default: ``paths.CODES_FILE``, looked up on each call),
    read once per process and path. A missing file, a vocabulary that is not a list of
    ``{code, label}``, or a label claimed by two codes is a :class:`CodesError`."""
    return _read_codes(Path(paths.CODES_FILE if path is None else path))


@functools.lru_cache(maxsize=None)
def _read_codes(path: Path) -> Codes:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CodesError(f"code vocabularies not found: {path} (data/codes.yml is part of the project; "
                         "restore it, or point INDIKATORER_ROOT at the project folder)") from None
    except yaml.YAMLError as exc:
        raise CodesError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise CodesError(f"{path}: expected a mapping with the lists {', '.join(VOCABULARIES)}")
    entries = {}
    for vocabulary in VOCABULARIES:
        items = raw.get(vocabulary)
        if not isinstance(items, list) or not all(isinstance(e, dict) and "code" in e and "label" in e
                                                  for e in items):
            raise CodesError(f"{path}: '{vocabulary}' must be a list of {{code, label, ssb_labels}}")
        entries[vocabulary] = tuple(
            {"code": str(e["code"]), "label": str(e["label"]), "ssb_labels": tuple(e.get("ssb_labels") or ()),
             "note": e.get("note")}
            for e in items)
    countries = {str(name): tuple(aliases or ()) for name, aliases in (raw.get("countries") or {}).items()}
    index = {vocabulary: _label_index(vocabulary, items, countries, path) for vocabulary, items in entries.items()}
    return Codes(entries=entries, countries=countries, index=index)


def clear_cache() -> None:
    """Forget the vocabularies read so far (after codes.yml changed in this process)."""
    _read_codes.cache_clear()


def ordered_codes(codes, vocabulary: str | None) -> list[str]:
    """``codes`` once each, in the display order of a codes.yml vocabulary (``groups``,
    ``regions`` …); codes it does not list (or all, when ``vocabulary`` is None) after them,
    alphabetically."""
    order = load_codes().order(vocabulary) if vocabulary else []
    unique = sorted(set(codes))
    return [c for c in order if c in unique] + [c for c in unique if c not in order]
