"""Regional exports and SSB's printed changes for tools/import_published.py (developer tool).

Three kinds of input beside the pages of ssb.no:

- IMDi's integration-data exports (``imdi_exports/``): wide, Latin-1, ``;``-separated tables by
  county or municipality (upper-secondary completion, education level, immigrants by reason
  for immigration);
- FHI's persistent low income for persons 25 years and older (``fhi_lavinntekt/``), Norway, one
  county and its municipalities, rolling three-year periods;
- SSB's innvregsys release figures (``ssb_published/innvregsys_release_figures.csv``): of these,
  only the printed change from the year before is new to the snapshot.

``copy_raw()`` copies the declared export files byte for byte into ``data/raw/<publisher>/`` with
a sidecar (sha256, the reference copy, the origin repository, path and commit). Everything else
reads those committed copies, so the import can be re-run from the repository alone.

Every cell becomes one tidy row with its ``geography`` ("0" Norway, ``F03`` county, ``K0301``
municipality): an empty cell is no row, ``:`` is ``suppressed``, ``.`` ``not_applicable``.
``national_sums()`` adds the national figure derived from the regions (``source_kind``
``derived``): persons summed over the regions valid in the year, a share as the summed persons
over the summed denominators each region's persons and per cent imply. It is derived only where
every region of the year has a number; a year with a suppressed region gets no national row.

The package never imports this file.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, ROUND_HALF_UP
from pathlib import Path
from urllib.parse import quote

from indikatorer.core.codes import load_codes
from indikatorer.data.published import parse_printed_value
from indikatorer.data.snapshot import read_verified, sha256_bytes, write_with_sidecar

NATIONAL = "0"
NATIONAL_LABEL = "Hele landet"
_ORIGIN_REPO = "https://github.com/evensrii/Telemark"
_IMDI_DIR = "Data/09_Innvandrere og inkludering"


@dataclass(frozen=True)
class Export:
    """One export file: where it came from and what its cells are."""

    name: str                   # file name in the reference folder and in data/raw/<publisher>/
    publisher: str              # imdi | fhi
    reference_folder: str       # folder of the reference copy beside the project
    origin_path: str            # path in the origin repository
    origin_commit: str
    sha256: str                 # as the reference folder's README states it (first characters)
    title: str                  # the export in Norwegian, for pages.csv
    series: dict = field(default_factory=dict)   # unit → series
    released: str = ""
    released_basis: str = ""
    note: str = ""
    national: bool = True       # derive national sums from this file's regions
    # The persons IMDi's per cent is of, as changes to a row's key (None: not in the export, so
    # the denominator is implied by each region's persons and per cent).
    denominator: dict | None = None

    @property
    def origin_url(self) -> str:
        return f"{_ORIGIN_REPO}/blob/{self.origin_commit}/{quote(self.origin_path)}"


_IMDI_RELEASED = ("2022-01-01", "estimated: IMDi export downloaded in 2022 (file names imdi2022_…, "
                  "reference README); day and month unknown, 1 January used")
_VGO_NOTE = ("IMDi: fullført videregående opplæring; hva årstallet betyr (fullføringsåret for kullet som "
             "startet fem år før, eller startåret) står ikke i eksporten")

EXPORTS = (
    Export("imdi2022_videregaende_fullfort_fylker_2009-2019.csv", "imdi", "imdi_exports",
           f"{_IMDI_DIR}/videregaende_fullfort.csv", "ffacbc49b9199a3731094111934aa4f6f7558907", "20977b6f",
           "Integreringsdata: fullført videregående opplæring etter fylke, bakgrunn og kjønn (eksport 2022)",
           {"prosent": "imdi_upper_secondary_completed_share", "personer": "imdi_upper_secondary_completed_persons"},
           *_IMDI_RELEASED, note=_VGO_NOTE),
    Export("imdi2022_utdanningsniva_fylker_2009-2020.csv", "imdi", "imdi_exports",
           f"{_IMDI_DIR}/utdanningsniva.csv", "ffacbc49b9199a3731094111934aa4f6f7558907", "990a84b5",
           "Integreringsdata: utdanningsnivå etter fylke, bakgrunn og kjønn (eksport 2022)",
           {"prosent": "imdi_education_level_share", "personer": "imdi_education_level_persons"},
           *_IMDI_RELEASED, denominator={"other_dim": "", "other_value": ""}),
    Export("imdi2022_utdanningsniva_allekommuner_2011-2020.csv", "imdi", "imdi_exports",
           f"{_IMDI_DIR}/Utdanningsnivå Telemark/2020-tall/utdanningsnivå_alle_fylker_2020.csv",
           "fb87efe95e2aba9b7ecafe71bc068d56c71f8c1e", "7aa9c1ad",
           "Integreringsdata: utdanningsnivå etter kommune, bakgrunn og kjønn (eksport 2022)",
           {"prosent": "imdi_education_level_share", "personer": "imdi_education_level_persons"},
           *_IMDI_RELEASED, national=False),  # the county file gives the same national sums
    Export("imdi2022_befolkning_innvandringsgrunn_allekommuner_2006-2021.csv", "imdi", "imdi_exports",
           f"{_IMDI_DIR}/befolkning_innvandringsgrunn alle kommuner.csv",
           "ffacbc49b9199a3731094111934aa4f6f7558907", "cfb9e33c",
           "Integreringsdata: innvandrere etter innvandringsgrunn, kjønn og kommune (eksport 2022)",
           {"prosent": "imdi_immigrants_by_reason_share", "personer": "imdi_immigrants_by_reason_persons"},
           *_IMDI_RELEASED, denominator={"other_dim": "", "other_value": "", "sex": "alle"},
           note="IMDi: prosent av alle innvandrere i kommunen (begge kjønn, alle innvandringsgrunner)"),
    Export("andel_innvandrere_i_lavinntekt_fhi.csv", "fhi", "fhi_lavinntekt",
           f"{_IMDI_DIR}/Arbeid og inntekt/andel_innvandrere_i_lavinntekt_fhi.csv",
           "3899e7099ebb601a6319fbe6d0f5baa66d827f11", "21189d6352c65de28d7a998216c8c4f6c4ee173d099d1c6e194631b9c8202b00",
           "Kommunehelsa statistikkbank: vedvarende lavinntekt (EU60), 25 år og over, innvandrere og øvrig "
           "befolkning, treårsperioder",
           {"prosent": "fhi_persistent_low_income_share"},
           "2025-01-01", "estimated: newest period 2021–2023 (SSB's income statistics for 2023 appear in 2025); "
           "day and month unknown, 1 January used",
           note="FHI på grunnlag av SSBs inntektsstatistikk; unrounded as FHI delivers it", national=False),
)
EXPORT_BY_NAME = {e.name: e for e in EXPORTS}

# --------------------------------------------------------------------------- geography

# Counties of each boundary set; a year's national sum must use exactly one set, all of it.
COUNTIES_TO_2017 = ("F01", "F02", "F03", "F04", "F05", "F06", "F07", "F08", "F09", "F10", "F11", "F12",
                    "F14", "F15", "F16", "F17", "F18", "F19", "F20")
COUNTIES_2018_2019 = tuple(c for c in COUNTIES_TO_2017 if c not in ("F16", "F17")) + ("F50",)
COUNTIES_2020_2023 = ("F03", "F11", "F15", "F18", "F30", "F34", "F38", "F42", "F46", "F50", "F54")


def counties_of(year: int) -> tuple[str, ...]:
    """The county codes that partition Norway in ``year`` (the 2018 Trøndelag merger and the
    2020 regional reform)."""
    if year <= 2017:
        return COUNTIES_TO_2017
    if year <= 2019:
        return COUNTIES_2018_2019
    if year <= 2023:
        return COUNTIES_2020_2023
    raise ValueError(f"no county set declared for {year}")


# Municipalities whose rows the tidy snapshot keeps. Every municipality is in the committed raw
# copies (data/raw/imdi) and in the national sums; the tidy table carries the counties and these,
# so that it stays small enough to load in every notebook. Add a code here and re-run the import
# to build an edition for another municipality.
MUNICIPALITIES_KEPT = ("K0301",)


def kept_in_snapshot(geography: str) -> bool:
    """Norway, every county, FHI's geographies and the declared municipalities."""
    return (geography == NATIONAL or geography.startswith("F") or geography in MUNICIPALITIES_KEPT
            or geography in FHI_GEOGRAPHY.values())


# Codes for the same area: Oslo is both a county and a municipality, unchanged by the 2020 reform.
SAME_AREA = {"F03": "K0301", "K0301": "F03"}

# FHI names its geographies without codes. Its 2021–2023 period is on the 2024 boundaries
# (Telemark county again, municipality numbers 40xx), which FHI applies to every period.
FHI_GEOGRAPHY = {
    "Hele landet": NATIONAL, "Telemark": "F40",
    "Porsgrunn": "K4001", "Skien": "K4003", "Notodden": "K4005", "Siljan": "K4010", "Bamble": "K4012",
    "Kragerø": "K4014", "Drangedal": "K4016", "Nome": "K4018", "Midt-Telemark": "K4020", "Seljord": "K4022",
    "Hjartdal": "K4024", "Tinn": "K4026", "Kviteseid": "K4028", "Nissedal": "K4030", "Fyresdal": "K4032",
    "Tokke": "K4034", "Vinje": "K4036",
}
FHI_BOUNDARIES = "inndelingen fra 2024 (FHI bruker samme inndeling for alle perioder)"

_VALIDITY = re.compile(r"^(?P<name>.*?)\s*\((?P<kind>t\.o\.m\.|f\.o\.m\.)\s*(?P<year>\d{4})\)$")


def split_validity(label: str) -> tuple[str, int | None, int | None]:
    """'Moss (t.o.m. 2019)' → ('Moss', None, 2019); 'Sandefjord (f.o.m. 2017)' → ('Sandefjord', 2017, None)."""
    match = _VALIDITY.match(label.strip())
    if not match:
        return label.strip(), None, None
    year = int(match["year"])
    return (match["name"], year, None) if match["kind"] == "f.o.m." else (match["name"], None, year)


# --------------------------------------------------------------------------- copying the raw files


def copy_raw(shared_dir: Path, raw_dir: Path) -> list[Path]:
    """Copy every declared export from the reference folders into ``raw_dir/<publisher>/`` with a
    sidecar; stops if a file's sha256 differs from the one its README states."""
    written = []
    for export in EXPORTS:
        data = (Path(shared_dir) / export.reference_folder / export.name).read_bytes()
        digest = sha256_bytes(data)
        if not digest.startswith(export.sha256):
            raise SystemExit(f"{export.name}: sha256 {digest} is not the {export.sha256}… its README states")
        target = Path(raw_dir) / export.publisher / export.name
        target.parent.mkdir(parents=True, exist_ok=True)
        write_with_sidecar(target, data, {
            "source": export.title,
            "publisher": {"imdi": "Integrerings- og mangfoldsdirektoratet (IMDi)",
                          "fhi": "Folkehelseinstituttet (FHI)"}[export.publisher],
            "origin": {"repository": _ORIGIN_REPO, "path": export.origin_path, "commit": export.origin_commit,
                       "url": export.origin_url},
            "reference_copy": f"{export.reference_folder}/{export.name}",
            "copied": "byte for byte, unmodified",
            "encoding": "cp1252 (Latin-1), ';'-separated, wide" if export.publisher == "imdi" else "utf-8, ','-separated",
        })
        written.append(target)
    return written


def read_raw(raw_dir: Path, export: Export) -> tuple[bytes, dict]:
    """The committed copy's bytes, checked against its sidecar."""
    return read_verified(Path(raw_dir) / export.publisher / export.name)


# --------------------------------------------------------------------------- IMDi's wide format


def parse_wide(data: bytes) -> list[dict[str, str]]:
    """One dict per cell of an IMDi export: its dimensions (read from the header lines, in any
    order: ``Bakgrunn``, ``Kjønn``, ``Enhet``, ``År`` …) plus ``Region``, ``Navn``, ``value``
    (the cell's text, stripped). The first line starts ``Region;Navn;``; each following line
    that starts ``;;`` names one more dimension of every column."""
    text = data.decode("cp1252")
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    if not lines or lines[0][:2] != ["Region", "Navn"]:
        raise ValueError("not an IMDi export: the first line must start 'Region;Navn;'")
    headers = [lines[0]]
    for line in lines[1:]:
        if line[:2] != ["", ""]:
            break
        headers.append(line)
    width = len(lines[0])
    columns = []
    for j in range(2, width):
        dims = {}
        for header in headers:
            name, sep, value = header[j].partition(": ")
            if not sep:
                raise ValueError(f"column {j + 1}: header cell {header[j]!r} is not 'Dimension: value'")
            dims[name.strip()] = value.strip()
        columns.append(dims)
    cells = []
    for line in lines[len(headers):]:
        if not line or not "".join(line).strip():
            continue
        if len(line) != width:
            raise ValueError(f"region {line[0]!r}: {len(line)} cells, the header has {width}")
        for dims, value in zip(columns, line[2:]):
            cells.append({**dims, "Region": line[0].strip(), "Navn": line[1].strip(), "value": value.strip()})
    return cells


_SEX = {"Alle": "alle", "Kvinner": "kvinner", "Menn": "menn"}
_UNIT = {"Personer": "personer", "Prosent": "prosent"}
# IMDi's labels for a category that is the total of its dimension.
_TOTALS = {"Alle", "alle"}
# Columns IMDi labels "undefined": the county education export has one for every background,
# sex and unit, outside the five levels that add up to "alle" (2011: 64 779 immigrants besides
# the 336 794 the levels sum to) and the only values for 2009–2010. What it counts is not
# stated, so its cells are not imported.
UNDEFINED = "undefined"


def _group(label: str, codes) -> str:
    code = codes.code_for("groups", label)
    if code is None:
        raise SystemExit(f"IMDi background {label!r} has no group code in data/codes.yml")
    return code


def imdi_rows(export: Export, cells: list[dict[str, str]]) -> tuple[list[dict[str, str]], Counter]:
    """Tidy rows (the columns of data/published/observations.csv) for the cells of one IMDi export,
    and the count of cells left out by reason."""
    codes = load_codes()
    skipped: Counter = Counter()
    out = []
    for cell in cells:
        if cell["value"] == "":
            skipped["empty cell (no figure for that region and year)"] += 1
            continue
        dims = {k: v for k, v in cell.items() if k not in ("Region", "Navn", "value")}
        other_dim = other_value = ""
        if "Utdanningsnivå" in dims:
            level = dims["Utdanningsnivå"]
            if level == UNDEFINED:
                skipped["education level 'undefined' (category not stated by IMDi)"] += 1
                continue
            if level not in _TOTALS:
                other_dim, other_value = "utdanningsnivå", level
        if "Innvandringsgrunn" in dims:
            reason = dims["Innvandringsgrunn"]
            if reason not in _TOTALS:
                other_dim, other_value = "innvandringsgrunn", reason
        group = _group(dims["Bakgrunn"], codes) if "Bakgrunn" in dims else "innvandrere"
        unit = _UNIT[dims["Enhet"]]
        value, status = parse_printed_value(cell["value"])
        name, _, _ = split_validity(cell["Navn"])
        year = dims["År"]
        out.append({
            "series": export.series[unit], "year": year,
            "period": f"1. januar {year}" if "Innvandringsgrunn" in dims else year,
            "group": group, "sex": _SEX[dims["Kjønn"]], "age": "alle", "geography": cell["Region"],
            "geography_label": name, "region": "alle", "region_label": "", "botid": "alle",
            "other_dim": other_dim, "other_value": other_value, "unit": unit, "value": value, "status": status,
            "source_kind": "published", "source_table": export.name, "source_ref": export.origin_url,
            "released": export.released, "note": export.note,
            "group_label": dims.get("Bakgrunn", "Innvandrere"), "sex_label": dims["Kjønn"], "age_label": "",
            "botid_label": "",
        })
    return out, skipped


def check_validity(rows: list[dict[str, str]], cells: list[dict[str, str]]) -> list[str]:
    """Problems where a region has a figure outside the years its label says it existed
    ('t.o.m. 2019', 'f.o.m. 2020'): such a figure would be counted twice in a national sum."""
    windows = {c["Region"]: split_validity(c["Navn"])[1:] for c in cells}
    problems = set()
    for row in rows:
        start, end = windows.get(row["geography"], (None, None))
        year = int(row["year"])
        if (start and year < start) or (end and year > end):
            problems.add(f"{row['geography']} has a figure for {year} outside its years ({start}–{end})")
    return sorted(problems)


# --------------------------------------------------------------------------- FHI


FHI_GROUPS = {"Innvandrere": "innvandrere",
              # FHI splits the population in two; the other part is everyone but immigrants.
              "Øvrig befolkning": "befolkningen_uten_innvandrere"}


def fhi_rows(export: Export, data: bytes) -> list[dict[str, str]]:
    """Tidy rows of FHI's persistent low income: ``year`` is the last year of the three-year
    period, ``period`` the period as FHI writes it; values as delivered (unrounded)."""
    out = []
    for rec in csv.DictReader(io.StringIO(data.decode("utf-8"))):
        if rec["Alder"] != "25 år +" or rec["Lavinntektsgrense"] != "EU 60":
            raise SystemExit(f"FHI row outside the declared population or threshold: {rec}")
        first, last = (int(y) for y in rec["År"].split("-"))
        if last - first != 2:
            raise SystemExit(f"FHI period {rec['År']!r} is not three years")
        geography = FHI_GEOGRAPHY.get(rec["Geografi"])
        if geography is None:
            raise SystemExit(f"FHI geography {rec['Geografi']!r} has no code in FHI_GEOGRAPHY")
        value, status = parse_printed_value(rec["Andel"]) if rec["Andel"] else ("", "missing")
        out.append({
            "series": export.series["prosent"], "year": str(last), "period": rec["År"],
            "group": FHI_GROUPS[rec["Innvandringskategori"]], "sex": "alle", "age": "25+",
            "geography": geography, "geography_label": rec["Geografi"], "region": "alle", "region_label": "",
            "botid": "alle", "other_dim": "", "other_value": "", "unit": "prosent", "value": value, "status": status,
            "source_kind": "published", "source_table": export.name, "source_ref": export.origin_url,
            "released": export.released, "note": export.note,
            "group_label": rec["Innvandringskategori"], "sex_label": "", "age_label": rec["Alder"], "botid_label": "",
        })
    return out


# --------------------------------------------------------------------------- national sums

_SUM_KEY = ("year", "period", "group", "sex", "age", "region", "botid", "other_dim", "other_value")
NATIONAL_NOTE = ("Avledet: summen over {n} {level} ({codes}){share}. Ikke publisert av {publisher} for hele landet.")


def _decimal(text: str) -> Decimal:
    return Decimal(text)


def national_sums(rows: list[dict[str, str]], export: Export) -> tuple[list[dict[str, str]], list[str]]:
    """Derived national rows (geography "0") from one export's regional rows, and the keys left
    out with the reason (a region without a number, or not exactly one county set).

    Persons: the sum over the regions of the year. Per cent: the summed persons over the summed
    persons of the group the per cent is of (``export.denominator``: the total of the education
    levels, all immigrants), or, where the export does not have that group, over the summed
    denominators each region's persons and per cent imply (persons ÷ per cent × 100; a region
    with 0 per cent implies none, so then there is no national share). Rounded to the most
    decimals a region printed. For a county export the regions must be exactly the year's
    county set (counties_of); for a municipality export, every municipality with a figure for
    the year (check_validity has made sure none is counted twice)."""
    by_key: dict[tuple, dict[str, dict[str, dict]]] = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        by_key[tuple(row[c] for c in _SUM_KEY)][row["unit"]][row["geography"]] = row
    county_level = all(r["geography"].startswith("F") for r in rows)
    level = "fylker" if county_level else "kommuner"
    totals: dict[tuple, tuple[Decimal, list[str]]] = {}
    left_out = []
    for key, units in sorted(by_key.items()):
        persons = units.get("personer", {})
        regions = sorted(persons)
        year = int(key[0])
        if county_level and tuple(sorted(counties_of(year))) != tuple(regions):
            left_out.append(f"{export.name} {key}: regions {regions} are not the county set of {year}")
        elif not all(persons[r]["status"] in ("ok", "nil") for r in regions):
            left_out.append(f"{export.name} {key}: no national sum, "
                            f"{sum(persons[r]['status'] not in ('ok', 'nil') for r in regions)} region(s) without a number")
        else:
            totals[key] = (sum(_decimal(persons[r]["value"]) for r in regions), regions)

    def note(regions: list[str], share: str) -> str:
        codes = f"{regions[0]}–{regions[-1]}" if len(regions) > 3 else ", ".join(regions)
        return NATIONAL_NOTE.format(n=len(regions), level=level, codes=codes, share=share,
                                    publisher=export.publisher.upper())

    out = []
    for key, (total, regions) in totals.items():
        units = by_key[key]
        base = {**units["personer"][regions[0]], "geography": NATIONAL, "geography_label": NATIONAL_LABEL,
                "source_kind": "derived", "released": export.released}
        out.append({**base, "value": str(total), "status": "ok", "note": note(regions, "")})
        shares = units.get("prosent", {})
        if sorted(shares) != regions or not all(shares[r]["status"] in ("ok", "nil") for r in regions):
            left_out.append(f"{export.name} {key}: per cent missing for a region; no national share")
            continue
        if export.denominator is not None:
            of = dict(zip(_SUM_KEY, key)) | export.denominator
            of_key = tuple(of[c] for c in _SUM_KEY)
            if of_key not in totals or totals[of_key][1] != regions:
                left_out.append(f"{export.name} {key}: no national total of the group the per cent is of")
                continue
            denominator = totals[of_key][0]
            how = ": personer summert, delt på summen for gruppen prosenten er regnet av"
        else:
            if any(_decimal(shares[r]["value"]) == 0 for r in regions):
                left_out.append(f"{export.name} {key}: a region's per cent is 0, its denominator is unknown")
                continue
            denominator = sum(_decimal(units["personer"][r]["value"]) / _decimal(shares[r]["value"]) * 100
                              for r in regions)
            how = (": personer summert, delt på summen av nevnerne som hver regions personer og prosent gir "
                   "(personer / prosent × 100)")
        if denominator == 0:
            left_out.append(f"{export.name} {key}: the denominator is 0")
            continue
        decimals = max(len(shares[r]["value"].partition(".")[2]) for r in regions)
        share = (total / denominator * 100).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        out.append({**base, "unit": "prosent", "series": shares[regions[0]]["series"], "value": str(share),
                    "status": "ok", "note": note(regions, how)})
    return out, left_out


# --------------------------------------------------------------------------- geographies


def geography_rows(rows: list[dict[str, str]], cells_by_export: dict[str, list[dict[str, str]]]) -> list[dict[str, str]]:
    """One row per geography code in the rows: label, level, the years its label gives, the code
    for the same area, and the boundary set it belongs to."""
    labels: dict[str, tuple[str, int | None, int | None]] = {}
    for cells in cells_by_export.values():
        for cell in cells:
            labels.setdefault(cell["Region"], split_validity(cell["Navn"]))
    for name, code in FHI_GEOGRAPHY.items():
        labels.setdefault(code, (name, None, None))
    labels[NATIONAL] = (NATIONAL_LABEL, None, None)
    used = sorted({r["geography"] for r in rows}, key=lambda c: (len(c) > 1, c[0] != "F", c))
    out = []
    for code in used:
        name, start, end = labels[code]
        level = "land" if code == NATIONAL else "fylke" if code.startswith("F") else "kommune"
        if code.startswith("K40") or code == "F40":
            boundaries = FHI_BOUNDARIES
        elif code == NATIONAL:
            boundaries = ""
        elif code in COUNTIES_TO_2017 and code not in COUNTIES_2020_2023:
            boundaries = "fylkesinndelingen før 2018" if code in ("F16", "F17") else "fylkesinndelingen før 2020"
        elif code in COUNTIES_2020_2023 and code not in COUNTIES_TO_2017:
            boundaries = "fylkesinndelingen fra 2018" if code == "F50" else "fylkesinndelingen 2020–2023"
        else:
            boundaries = "uendret" if code in SAME_AREA else ""
        out.append({"code": code, "label": name, "level": level,
                    "from_year": str(start or ""), "to_year": str(end or ""),
                    "same_area": SAME_AREA.get(code, ""), "boundaries": boundaries})
    return out


# --------------------------------------------------------------------------- SSB's printed changes


RELEASE_FIGURES = "innvregsys_release_figures.csv"


def release_change_rows(source_dir: Path, mapped: list[dict[str, str]]) -> tuple[list[dict[str, str]], list[str]]:
    """SSB's printed change in the employment rate from the year before (percentage points), the
    only figure of innvregsys_release_figures.csv that is not already in the snapshot. Each change
    takes the codes of the snapshot row with the same page, year, rate and persons, so the labels
    are mapped once. Returns the rows and the problems (a figure that is not in the snapshot)."""
    text = (Path(source_dir) / RELEASE_FIGURES).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    index = defaultdict(list)
    for row in mapped:
        if row["series"] in ("employment_rate", "employed_persons"):
            index[(row["source_ref"], row["year"], row["series"], row["value"])].append(row)
    out, problems, url = [], [], None
    for ref_year, age, group, persons, rate, change, source_url, _released in csv.reader(lines):
        url = url if source_url == "same" else source_url
        by_rate = index.get((url, ref_year, "employment_rate", rate), [])
        by_persons = index.get((url, ref_year, "employed_persons", persons), [])
        keys = {tuple(r[c] for c in ("group", "sex", "age", "region", "botid")) for r in by_persons}
        match = [r for r in by_rate if tuple(r[c] for c in ("group", "sex", "age", "region", "botid")) in keys]
        if len(match) != 1:
            problems.append(f"{RELEASE_FIGURES}: {ref_year} {group} {rate} % / {persons} on {url}: "
                            f"{len(match)} snapshot rows match")
            continue
        if change == "":
            continue
        base = match[0]
        value, status = parse_printed_value(change)
        out.append({**base, "series": "employment_rate_change", "unit": "prosentpoeng", "value": value,
                    "status": status, "note": "Endring fra samme kvartal året før, i prosentpoeng, som trykt; "
                    "den bygger på SSBs reviderte tall for året før"})
    return out, problems

