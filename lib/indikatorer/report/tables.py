"""The tables beside the charts: an indicator's main series by group and year, and a breakdown
in one year; and the note on SSB's symbols under them."""

from __future__ import annotations

import pandas as pd

from indikatorer.data.selection import COMPARISON_GROUPS
from indikatorer.report import fmt, style, text


def wide_table(series: pd.DataFrame, reference: str | None, unit: str
               ) -> tuple[pd.DataFrame, dict, dict]:
    """The main series as a table: one row per year, one column per group (codes.yml order),
    an ``age`` column when the band changes, and ``gap_<group>`` = group minus reference in the
    difference unit (prosentpoeng for rates). Returns (frame, formats, headers) for
    :func:`indikatorer.report.publishing.publish_table`."""
    groups = style.ordered_codes(series["group"], "groups")
    table = (series.pivot_table(index="year", columns="group", values="value", aggfunc="first",
                                dropna=False)
             .reindex(index=sorted(series["year"].unique()), columns=groups))
    shown = (series.groupby(["year", "group"])["decimals"].first().unstack()
             .reindex(index=table.index, columns=groups))  # decimals as published, per cell
    as_published = lambda g: [None if pd.isna(d) else int(d) for d in shown[g]]  # noqa: E731
    formats = {g: (unit, as_published(g)) for g in groups}
    # Short headings; a label's explanation in parentheses goes in the note under the table.
    headers = {"year": "År", **{g: style.header_label(g, "groups") for g in groups}}
    if reference in table.columns:
        diff_unit = fmt.difference_unit(unit)
        meaning = (f"Forskjell: gruppens verdi minus verdien for "
                   f"{text.lower_first(style.split_label(style.label(reference))[0])}"
                   + (f", i {diff_unit}." if diff_unit != unit else "."))
        for g in groups:
            if g != reference and g not in COMPARISON_GROUPS:
                table[f"gap_{g}"] = table[g] - table[reference]
                formats[f"gap_{g}"] = (diff_unit, [None if pd.isna(a) or pd.isna(b) else int(max(a, b))
                                                   for a, b in zip(shown[g], shown[reference])])
                short = text.lower_first(style.split_label(style.label(g))[0])
                headers[f"gap_{g}"] = (f"Forskjell, {short}", meaning)
    table = table.rename_axis(columns=None).reset_index()
    ages = series.groupby("year")["age"].first()
    if ages.nunique() > 1:
        table.insert(1, "age", table["year"].map(ages).map(text.age_text))
        headers["age"] = "Alder"
    return table, formats, headers


def facet_table(chart_rows: pd.DataFrame, facet: str, year: int, unit: str,
                heading: str, hue: str = "group") -> tuple[pd.DataFrame, dict, dict]:
    """A breakdown in one year as a table: one row per category, one column per group (or per
    ``hue`` code). Columns with codes that are not machine names are numbered (``kolonne_1``)."""
    kind_of = style.KIND_OF_COLUMN.get(facet)
    rows = chart_rows[chart_rows["year"] == year]
    codes = style.ordered_codes(rows[facet].astype(str), kind_of)
    columns = style.ordered_codes(rows[hue].astype(str), style.KIND_OF_COLUMN.get(hue))
    table = (rows.pivot_table(index=facet, columns=hue, values="value", aggfunc="first",
                              dropna=False)
             .reindex(index=codes, columns=columns).rename_axis(columns=None))
    table.index = [style.label(c, kind_of) for c in table.index]
    if hue == "group":
        names = {c: c for c in columns}
        headers = {c: style.header_label(c, "groups") for c in columns}
    else:
        names = {c: f"kolonne_{i}" for i, c in enumerate(columns, start=1)}
        headers = {names[c]: style.label(c, style.KIND_OF_COLUMN.get(hue)) for c in columns}
    shown = (rows.groupby([facet, hue])["decimals"].first().unstack()
             .reindex(index=codes, columns=columns))  # decimals as published, per cell
    table = table.rename(columns=names).rename_axis("kategori").reset_index()
    headers["kategori"] = heading[:1].upper() + heading[1:]
    return table, {names[c]: (unit, [None if pd.isna(d) else int(d) for d in shown[c]])
                   for c in columns}, headers


def status_note(rows: pd.DataFrame) -> list[str]:
    statuses = sorted(set(rows["status"]) - {"ok", "nil"})
    if not statuses:
        return []
    words = {"missing": "mangler", "not_available": "er ikke tilgjengelig",
             "suppressed": "er skjermet", "not_applicable": "er logisk umulig"}
    listed = text.and_join([f"«{fmt.status_symbol(s)}» = tallet {words[s]}" for s in statuses])
    return ["Tall som ikke er publisert, vises som «..» i tabellen og som hull i figuren "
            f"(SSBs symboler i kildene: {listed})."]
