"""Command handlers for editions and models: `build`, `trend`, `verify-edition`, `diff-editions`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from indikatorer.core.errors import UserError
from indikatorer.core.vocab import COUNT_UNITS


def command_build(args: argparse.Namespace) -> int:
    from indikatorer.core.params import parse_param_args
    from indikatorer.publish import build, runner

    overrides = parse_param_args(args.param)
    years = build.parse_years(args.years) if args.years else [args.year]
    summary = build.build_editions(
        years, overrides, only=args.only, jobs=args.jobs, force=args.force,
        render=not args.no_render, executor_name=args.executor, scheduler=args.scheduler)
    if len(summary.results) == 1:
        result = summary.results[0]
        if result.status == "failed":
            raise build.BuildError(result.error)
        _print_result(result)
        return 0
    done = {status: [r.key for r in summary.results if r.status == status]
            for status in ("built", "unchanged", "failed")}
    print(f"Ferdig på {runner.seconds_text(summary.seconds)}: {len(done['built'])} utgaver "
          f"bygget, {len(done['unchanged'])} uendret, {len(done['failed'])} feilet.")
    for result in summary.results:
        if result.status != "failed":
            print(f"  {result.key}: {result.status} → {result.edition_dir}")
    for result in summary.failed:
        print(f"  {result.key}: FEILET (forrige utgave og byggemappe er uendret)\n"
              + "\n".join("      " + line for line in result.error.splitlines()))
    return 1 if summary.failed else 0


def _print_result(result) -> None:
    print(f"Kjørt: {len(result.ran)}, uendret: {len(result.skipped)}. "
          f"Kjørte notatbøker: {result.staging_dir}")
    if result.edition_dir == result.staging_dir:
        print(f"Ikke gjengitt (--no-render). Manifest: {result.manifest_path}")
        return
    if result.render_result is not None:
        print(f"Gjengitt med: {result.render_result.renderer_label}")
    print(f"HTML: {result.html_index}")
    print(f"PDF:  {result.pdf or 'ingen'}")
    print(f"Manifest: {result.manifest_path}")


def command_trend(args) -> int:
    """``indikatorer trend``: fit the trend for one indicator and group (sex, region and botid
    "alle", no other breakdown, newest consistent age band) and print it as text or JSON."""
    from indikatorer.analysis import trends
    from indikatorer.data.catalogue import load_catalogue
    from indikatorer.data.observations import load_observations
    from indikatorer.data.selection import trend_rows
    from indikatorer.report import fmt, model_details, text

    if args.window is not None and args.window < 2:
        raise UserError(f"--window must be at least 2 years, got {args.window}")
    everything = load_observations()
    first, last = int(everything["year"].min()), int(everything["year"].max())
    if args.year is not None and not first <= args.year <= last:
        raise UserError(f"--year {args.year} is outside the data ({first}–{last})")
    obs = load_observations(year_max=args.year)
    available = sorted(obs["indicator"].unique())
    if args.indicator not in available:
        raise UserError(f"unknown indicator (or no data) {args.indicator!r}; available: {', '.join(available)}")
    groups = sorted(obs.loc[obs["indicator"] == args.indicator, "group"].unique())
    if args.group not in groups:
        raise UserError(f"no data for group {args.group!r} in {args.indicator}; available: {', '.join(groups)}")
    rows, age = trend_rows(obs, args.indicator, args.group)
    if rows.empty:
        raise UserError(f"{args.indicator} / {args.group} has no series for sex, region and botid 'alle'")

    indicator = load_catalogue().get(args.indicator)
    unit = rows["unit"].iloc[0]
    # counts on the log scale (growth in per cent per year), as in the book
    scale = "log" if unit in COUNT_UNITS and bool((rows["value"].dropna() > 0).all()) else "linear"
    result = trends.linear_trend(rows["year"], rows["value"], breaks=indicator.breaks, window=args.window,
                                 scale=scale)
    level_unit = "prosent" if scale == "log" else fmt.difference_unit(unit)  # prosent → prosentpoeng
    slope_unit = f"{level_unit} per år"
    if args.format == "json":
        record = {"indicator": args.indicator, "group": args.group, "age": age,
                  "slope_unit": slope_unit, **result.to_dict()}
        print(json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True))
        return 0

    lines = [f"{indicator.name} ({args.indicator}), {args.group}, alder {age}"]
    if result.years_used:
        lines.append(f"Observasjoner: {result.n}, {fmt.year_range(*result.years_used)}")
    words = model_details.DIRECTION_WORDS[result.direction]
    if not result.fitted:
        lines.append(f"Trend: {words}. {text.refusal_text(result)}")
    else:
        slope, low, high = result.growth or (result.slope, result.ci_low, result.ci_high)
        lines.append(f"Trend: {fmt.number(slope, 2, sign=True)} {slope_unit} "
                     f"({_ci_text(low, high, result.alpha)}): {words}")
        what = {b.year: b.what for b in indicator.breaks}
        for year in result.level_shifts:
            estimate, low, high = (result.shift_percent(year) if scale == "log"
                                   else result.level_shifts[year])
            lines.append(f"Nivåskift ved brudd i {year}: {fmt.number(estimate, 2, sign=True)} {level_unit} "
                         f"({_ci_text(low, high, result.alpha)}). {what.get(year, '')}".rstrip())
    lines.append(f"Metode: {model_details.method_text(result)}")
    print("\n".join(lines))
    return 0


def _ci_text(low: float, high: float, alpha: float) -> str:
    from indikatorer.report import fmt

    return f"{100 * (1 - alpha):g} prosent konfidensintervall {fmt.number(low, 2)} til {fmt.number(high, 2)}"


def command_verify_edition(args: argparse.Namespace) -> int:
    from indikatorer.publish import editions

    edition_dir = Path(args.edition)
    only = getattr(args, "only", None)
    what = f"notatbøkene {', '.join(only)} i " if only else ""
    print(f"Bygger {what}{edition_dir} på nytt i en midlertidig mappe og sammenligner …", flush=True)
    differences = editions.verify_edition(edition_dir,
                                          executor_name=getattr(args, "executor", "threads"),
                                          scheduler=getattr(args, "scheduler", None), only=only)
    if not differences:
        rebuilt = f"the rebuild of {', '.join(only)}" if only else "the rebuild"
        print(f"OK: every output of {edition_dir} matches its manifest and {rebuilt}.")
        return 0
    print(f"{len(differences)} output(s) of {edition_dir} differ:")
    for d in differences:
        print(f"  {d.path}: {d.reason}")
        print(f"      recorded {d.expected or '-'}, found {d.found or '-'}")
    return 1


def command_diff_editions(args: argparse.Namespace) -> int:
    from indikatorer.publish import editions

    diff = editions.diff_editions(Path(args.a), Path(args.b))
    if args.format == "json":
        sys.stdout.write(json.dumps(diff, sort_keys=True, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(editions.format_diff(diff))
    return 0
