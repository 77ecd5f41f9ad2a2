"""Employment by length of residence (botid) in the chapter «Arbeid og sysselsetting»: what the
book shows of the profiles :func:`indikatorer.analysis.composition.botid_profiles` selects (the
notebook cell selects them):

    panels, profiles = botid_profiles(observations, ind.reference_group, breaks, params.year)
    show_botid_profile(panels, profiles, observations, params, reference=ind.reference_group)

Findings, the figure :data:`BOTID_LABEL` with what can and cannot be concluded, and the table of
every published year; or a note when there are no botid figures up to the edition's year.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pandas as pd

from indikatorer.analysis.composition import GROUP, INDICATOR, Panel
from indikatorer.core.params import EditionParams
from indikatorer.report import fmt, style, text
from indikatorer.report.composition import left_out
from indikatorer.report.publishing import emit, publish_figure, publish_table
from indikatorer.report.sources import SOURCE_KEYS

BOTID_LABEL = "sysselsatte-andel-botidsprofil"
# Short botid labels for a category axis (the codes.yml labels are for tables and text).
BOTID_TICKS = {"0-3": "Under 4", "4-6": "4–6", "7+": "7 og mer", "0": "Under 1"}


def _panel_group(region: str) -> str:
    return "innvandrere" if region == "alle" else f"innvandrere fra {style.label(region, 'regions')}"


def _panel_title(panel: Panel) -> str:
    who = "Alle innvandrere" if panel.region == "alle" else style.label(panel.region, "regions")
    return f"{who}, {text.age_text(panel.age)}"


def _botid_text(code: str) -> str:
    label = style.label(code, "botid")
    return label[:1].lower() + label[1:]


def _year_colours(years: Sequence[int]) -> dict[int, str]:
    ordered = sorted(set(years))
    return dict(zip(ordered, style.ordered_colours(len(ordered))))  # years are ordered


def botid_figure_data(panels: Sequence[Panel], profiles: pd.DataFrame, reference_group: str
                      ) -> pd.DataFrame:
    """The plotted numbers: the profile of each drawn year, and the reference group's level in
    those years where it is published (``botid`` "alle", ``group`` the reference group)."""
    parts = []
    for panel in panels:
        rows = profiles[(profiles["panel"] == panel.key) & profiles["year"].isin(panel.shown)]
        parts.append(pd.DataFrame({
            "panel": panel.key, "year": rows["year"], "group": GROUP, "region": rows["region"],
            "age": rows["age"], "botid": rows["botid"], "value": rows["value"]}))
        ref = rows.dropna(subset=["reference_value"]).drop_duplicates("year")
        parts.append(pd.DataFrame({
            "panel": panel.key, "year": ref["year"], "group": reference_group, "region": "alle",
            "age": ref["age"], "botid": "alle", "value": ref["reference_value"]}))
    return pd.concat(parts, ignore_index=True)


def draw_botid(panels: Sequence[Panel], data: pd.DataFrame, reference_group: str):
    """One panel per profile: a line over the botid categories per drawn year, and the reference
    group's level that year as a dashed line in its own colour."""
    import matplotlib.pyplot as plt

    ncols = min(2, len(panels))
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, sharey=True, squeeze=False, layout="constrained",
                             figsize=(style.FIGSIZE[0], 2.5 * nrows + 1.0))
    colours = _year_colours([y for p in panels for y in p.shown])
    ref_colour = style.colour_for(reference_group, "groups")
    ref_name = style.label(reference_group, "groups")
    for ax, panel in zip(axes.flat, panels):
        rows = data[data["panel"] == panel.key]
        positions = {code: i for i, code in enumerate(panel.botid)}
        for y in panel.shown:
            line = rows[(rows["year"] == y) & (rows["group"] == GROUP)]
            line = line.assign(x=line["botid"].map(positions)).sort_values("x").dropna(subset=["value"])
            ax.plot(line["x"], line["value"], color=colours[y], marker="o", label=str(y))
            ref = rows[(rows["year"] == y) & (rows["group"] == reference_group)]
            if not ref.empty:
                ax.axhline(float(ref["value"].iloc[0]), color=ref_colour, linestyle="--", linewidth=1.2,
                           label=f"{ref_name} (samme år)")
                ax.annotate(str(y), xy=(len(panel.botid) - 1, float(ref["value"].iloc[0])),
                            xytext=(0, 3), textcoords="offset points", ha="right", va="bottom",
                            fontsize=8, color=ref_colour)
        ax.set_xticks(range(len(panel.botid)),
                      [BOTID_TICKS.get(code, code) for code in panel.botid])
        ax.set_xlim(-0.3, len(panel.botid) - 0.7)
        ax.set_xlabel("Botid, år")
        ax.set_title(_panel_title(panel), fontsize=9)
        ax.yaxis.set_major_formatter(fmt.axis_formatter())
        ax.set_ylabel("Prosent")
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    for ax in axes[:, 1:].flat:
        ax.set_ylabel("")
    handles: dict = {}
    for ax in axes.flat:
        for handle, name in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(name, handle)
    names = sorted(handles, key=lambda n: (not n.isdigit(), n))
    fig.legend([handles[n] for n in names], names, loc="outside upper center",
               ncol=len(names), frameon=False)
    return fig


def percent_as_printed(value, row) -> str:
    """A share with the decimals SSB printed the row's value with (1 where unknown)."""
    decimals = row.get("decimals")
    return fmt.percent(value, 1 if decimals is None or fmt.is_missing(decimals) else int(decimals))


def botid_findings(panels: Sequence[Panel], profiles: pd.DataFrame, reference_group: str) -> list[str]:
    """Per panel: the shortest and the longest botid in the newest drawn year, the change in the
    shortest botid between the drawn years, and the gap of the longest botid to the reference
    group where published."""
    sentences = []
    ref_name = style.label(reference_group, "groups")
    for panel in panels:
        rows = profiles[profiles["panel"] == panel.key]
        newest = rows[(rows["year"] == panel.shown[-1])].dropna(subset=["value"])
        if newest.empty:
            continue
        first, last = newest.iloc[0], newest.iloc[-1]
        who = _panel_group(panel.region)
        sentences.append(text.sentence(
            f"I {panel.shown[-1]} var andelen sysselsatte blant {who} ({text.age_text(panel.age)}) "
            f"{percent_as_printed(first['value'], first)} med botid {_botid_text(first['botid'])} og "
            f"{percent_as_printed(last['value'], last)} med botid {_botid_text(last['botid'])}"))
        if len(panel.shown) == 2:
            old = rows[(rows["year"] == panel.shown[0]) & (rows["botid"] == first["botid"])]
            if not old.empty and not fmt.is_missing(old["value"].iloc[0]):
                before = float(old["value"].iloc[0])
                after = float(first["value"])
                who_botid = f"for dem med botid {_botid_text(first['botid'])}"
                if before == after:
                    words = (f"{who_botid} var andelen den samme i {panel.shown[0]} og "
                            f"{panel.shown[-1]} ({percent_as_printed(after, first)})")
                else:
                    verb = "økte andelen" if after > before else "gikk andelen ned"
                    words = (f"{who_botid} {verb} fra {percent_as_printed(before, old.iloc[0])} i {panel.shown[0]} til "
                            f"{percent_as_printed(after, first)} i {panel.shown[-1]}")
                sentences.append(text.sentence(words))
        if not fmt.is_missing(last["reference_value"]):
            gap = fmt.round_half_up(last["value"], 1) - fmt.round_half_up(last["reference_value"], 1)
            word = "lavere" if gap < 0 else "høyere"
            sentences.append(text.sentence(
                f"Med botid {_botid_text(last['botid'])} var andelen {fmt.pp(abs(float(gap)))} {word} "
                f"enn i {ref_name[:1].lower() + ref_name[1:]} samme år "
                f"({fmt.number(last['value'])} mot {fmt.percent(last['reference_value'])})"))
    return sentences


BOTID_CAUTION = (
    "Hver linje er et tverrsnitt: personer med ulik botid samme år. Forskjellen mellom "
    "botidsgruppene viser derfor ikke hvordan sysselsettingen utvikler seg for de samme personene "
    "etter hvert som botiden øker, for de som har bodd lenge i Norge, kom i andre innvandringskull, "
    "ofte med andre innvandringsgrunner, og noen har flyttet ut igjen. Endringen i en botidsgruppe "
    "fra ett år til et annet gjelder heller ikke de samme personene: særlig i gruppen med kortest "
    "botid speiler den hvem som nylig har kommet.")


def _botid_column(code: str) -> str:
    """A machine column name for a botid code: "0-3" → "botid_0_3", "7+" → "botid_7_og_mer"."""
    return "botid_" + code.replace("+", "_og_mer").replace("-", "_")


def _botid_header(code: str) -> str:
    """The botid label without its explanation: "1 år (fra 1 inntil 2 år)" → "1 år"."""
    return style.label(code, "botid").split(" (")[0]


def botid_tables(panels: Sequence[Panel], profiles: pd.DataFrame, reference_group: str
                 ) -> list[tuple[pd.DataFrame, dict, dict, str, pd.DataFrame]]:
    """One table per set of botid categories (all published years): a row per country
    background, age band and year, a column per botid category and one with the reference
    group's level the same year (``..`` where not published). Returns (table, formats, headers,
    caption, the profile rows shown) for each."""
    schemes: list[tuple[str, ...]] = []
    for panel in panels:
        if panel.botid not in schemes:
            schemes.append(panel.botid)
    ref_name = style.label(reference_group, "groups")
    out = []
    for codes in schemes:
        keys = [p.key for p in panels if p.botid == codes]
        titles = {p.key: _panel_title(p) for p in panels}
        rows = profiles[profiles["panel"].isin(keys)]
        wide = rows.pivot(index=["panel", "year"], columns="botid", values="value").reindex(columns=list(codes))
        reference = rows.groupby(["panel", "year"])["reference_value"].first()
        wide = wide.assign(reference_value=reference).reset_index()
        wide["_order"] = wide["panel"].map({k: i for i, k in enumerate(keys)})
        wide = wide.sort_values(["_order", "year"]).reset_index(drop=True)
        table = pd.DataFrame({"gruppe": wide["panel"].map(titles), "year": wide["year"]})
        # Each number with the decimals SSB printed it with ("35" stays 35, not 35,0).
        printed = rows.pivot(index=["panel", "year"], columns="botid", values="decimals") \
            .reindex(columns=list(codes)).reindex(pd.MultiIndex.from_frame(wide[["panel", "year"]])) \
            if "decimals" in rows.columns else None
        formats = {"reference_value": "prosent"}
        for code in codes:
            table[_botid_column(code)] = wide[code].astype(float)
            decimals = None if printed is None else \
                [None if fmt.is_missing(d) else int(d) for d in printed[code]]
            formats[_botid_column(code)] = "prosent" if decimals is None else ("prosent", decimals)
        table["reference_value"] = wide["reference_value"].astype(float)
        headers = {"gruppe": "Landbakgrunn og alder", "year": "År",
                   **{_botid_column(c): _botid_header(c) for c in codes}, "reference_value": ref_name}
        caption = ("Andel sysselsatte blant innvandrere etter botid, alle år med tall i "
                   f"datagrunnlaget. Prosent. Siste kolonne: {ref_name[:1].lower() + ref_name[1:]} "
                   "samme år og i samme aldersgruppe, der SSB har publisert det.")
        explained = [style.label(c, "botid") for c in codes if " (" in style.label(c, "botid")]
        if explained:
            caption += f" Botid i hele år: {explained[0]}, og så videre."
        out.append((table, formats, headers, caption, rows))
    return out


def show_botid_profile(panels: Sequence[Panel], profiles: pd.DataFrame, obs: pd.DataFrame,
                       params: EditionParams, *, reference: str, out_dir: str | Path = "figures") -> None:
    """Print the botid profile (an ``#| output: asis`` cell): findings, the figure
    :data:`BOTID_LABEL` with what can and cannot be concluded, and the table of every published
    year; or a note when there are no botid figures up to ``params.year``. Left out (one
    sentence says so) when ``params.breakdowns`` does not include "botid". ``obs``: the
    observations the profiles were selected from (their sources)."""
    if "botid" not in params.breakdowns:
        emit([left_out("botid", "sysselsettingen etter botid")])
        return
    if not panels:
        emit([f"Datagrunnlaget har ingen tall for andelen sysselsatte blant innvandrere etter "
              f"botid til og med {params.year}."])
        return
    years = sorted(set(profiles["year"]))
    before = [y for y in years if y < params.first_year]
    intro = (f"Datagrunnlaget har andelen sysselsatte blant innvandrere etter botid for "
             f"{text.years_text(years)}.")
    if before:
        intro += (f" Tallene for {text.years_text(before)} er fra før utgavens første år "
                  f"({params.first_year}), men tas med fordi det finnes få år med tall etter botid.")
    blocks = [intro + " " + " ".join(botid_findings(panels, profiles, reference))]
    data = botid_figure_data(panels, profiles, reference)
    data = _with_row_sources(data, obs)
    fig = draw_botid(panels, data, reference)
    shown = sorted({y for p in panels for y in p.shown})
    ref_name = style.label(reference, "groups")
    caption = (f"Andel sysselsatte blant innvandrere etter botid, {text.years_text(shown)}. Prosent. "
               "Ett panel per landbakgrunn, aldersgruppe og inndeling i botid slik SSB publiserte "
               "dem; i hvert panel det første og det siste året innenfor samme sammenlignbare "
               f"periode. Stiplet linje: {ref_name[:1].lower() + ref_name[1:]} samme år og i samme "
               f"aldersgruppe, der SSB har publisert det. {BOTID_CAUTION}")
    finding_text = " ".join(botid_findings(panels, profiles, reference))
    in_figure = profiles.merge(data[["year", "region", "age", "botid"]].drop_duplicates(),
                               on=["year", "region", "age", "botid"])
    blocks.append(publish_figure(
        fig, label=BOTID_LABEL, caption=caption, alt=finding_text or caption, data=data,
        sources=_profile_sources(obs, in_figure, reference), indicators=[INDICATOR], out_dir=out_dir,
        notes=_missing_note(in_figure)))
    for i, (table, formats, headers, caption, rows) in enumerate(botid_tables(panels, profiles, reference)):
        blocks.append(publish_table(
            table, label=f"{BOTID_LABEL}-tabell" + (f"-{i + 1}" if i else ""), caption=caption,
            sources=_profile_sources(obs, rows, reference), formats=formats,
            headers=headers, indicators=[INDICATOR], notes=_missing_note(rows), out_dir=out_dir))
    emit(blocks)


def _with_row_sources(data: pd.DataFrame, obs: pd.DataFrame) -> pd.DataFrame:
    """The figure's rows with the ``source_ref`` and ``released`` of the observation each one is."""
    key = ["year", "group", "region", "age", "botid"]
    rows = obs[(obs["indicator"] == INDICATOR) & (obs["sex"] == "alle") & (obs["other_dim"] == "")]
    found = data.merge(rows[key + ["source_ref", "released"]], on=key, how="left", validate="many_to_one")
    if found["source_ref"].isna().any():
        raise ValueError(f"botid figure rows without an observation:\n{found[found['source_ref'].isna()]}")
    return found


def _missing_note(rows: pd.DataFrame) -> list[str]:
    if rows["status"].isin(["ok", "nil"]).all():
        return []
    return ["Tall som ikke er publisert, er hull i linjene og vises som «..» i tabellen."]


def _profile_sources(obs: pd.DataFrame, profiles: pd.DataFrame, reference_group: str) -> pd.DataFrame:
    """The source columns of the profile rows and of the reference rows beside them."""
    own = obs[(obs["indicator"] == INDICATOR) & (obs["group"] == GROUP) & (obs["sex"] == "alle")
              & (obs["other_dim"] == "")]
    own = own.merge(profiles[["year", "region", "age", "botid"]].drop_duplicates(),
                    on=["year", "region", "age", "botid"])
    ref_keys = profiles.dropna(subset=["reference_value"])[["year", "age"]].drop_duplicates()
    ref = obs[(obs["indicator"] == INDICATOR) & (obs["group"] == reference_group)
              & (obs["sex"] == "alle") & (obs["region"] == "alle") & (obs["botid"] == "alle")
              & (obs["other_dim"] == "")].merge(ref_keys, on=["year", "age"])
    return pd.concat([own, ref], ignore_index=True)[list(SOURCE_KEYS)]
