"""Command handlers for the catalogue and the data snapshot: `catalogue`, `data fetch|verify|show`."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import asdict

from indikatorer.core import paths


def _listing_rows(indicators: list) -> list[dict[str, str]]:
    from indikatorer.data.catalogue import describe_sources

    return [
        {
            "id": ind.id,
            "theme": ind.theme,
            "name": ind.name,
            "unit": ind.unit,
            "sources": describe_sources(ind),
            "breaks": ", ".join(str(b.year) for b in ind.breaks),
        }
        for ind in indicators
    ]


def _print_table(rows: list[dict[str, str]]) -> None:
    headers = list(rows[0]) if rows else ["id", "theme", "name", "unit", "sources", "breaks"]
    widths = {h: max([len(h)] + [len(r[h]) for r in rows]) for h in headers}
    print("  ".join(h.ljust(widths[h]) for h in headers).rstrip())
    print("  ".join("-" * widths[h] for h in headers))
    for row in rows:
        print("  ".join(row[h].ljust(widths[h]) for h in headers).rstrip())
    print(f"\n{len(rows)} indicator(s). api:ID? = unconfirmed statbank query (checked against the "
          "table's metadata on fetch); api:- = no statbank table (status none). "
          "`indikatorer data fetch --dry-run` lists every query.")


def command_catalogue(args) -> int:
    """`indikatorer catalogue [--format table|json|csv] [--theme THEME]`."""
    from indikatorer.data.catalogue import load_catalogue

    catalogue = load_catalogue()
    indicators = catalogue.by_theme(args.theme) if args.theme else catalogue.indicators
    if args.format == "json":
        payload = {
            "version": catalogue.version,
            "themes": catalogue.themes,
            "indicators": [asdict(ind) for ind in indicators],
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    elif args.format == "csv":
        rows = _listing_rows(indicators)
        for row, ind in zip(rows, indicators):
            row.update(direction=ind.direction, headline=str(ind.headline).lower(),
                       reference_group=ind.reference_group or "", frequency=ind.frequency)
        fieldnames = ["id", "theme", "name", "unit", "direction", "headline", "reference_group",
                      "frequency", "sources", "breaks"]
        writer = csv.DictWriter(sys.stdout, fieldnames=fieldnames, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        _print_table(_listing_rows(indicators))
    return 0


def command_verify(args: argparse.Namespace) -> int:
    """`indikatorer data verify`: print each file and OK/FAIL; exit 1 on any failure."""
    from indikatorer.data import snapshot

    results = snapshot.check_tree(paths.DATA_DIR)
    if not results:
        print(f"nothing to verify: no files with {snapshot.SIDECAR_SUFFIX} sidecars under {snapshot.display_path(paths.DATA_DIR)}")
        return 0
    for path, problem in results:
        print(f"OK    {snapshot.display_path(path)}" if problem is None else f"FAIL  {problem}")
    failed = sum(problem is not None for _, problem in results)
    print(f"{len(results) - failed} of {len(results)} files OK")
    return 1 if failed else 0


def command_fetch(args: argparse.Namespace) -> int:
    """`indikatorer data fetch [--indicator ID …] [--api-url URL] [--timeout S] [--retries N] [--dry-run]`."""
    from indikatorer.data import snapshot, ssb
    from indikatorer.data.catalogue import load_catalogue

    options = {k: v for k, v in (("timeout", getattr(args, "timeout", None)),
                                 ("retries", getattr(args, "retries", None))) if v is not None}
    client = ssb.SsbClient(getattr(args, "api_url", None), **options)
    out = lambda line: print(line, flush=True)  # noqa: E731 - progress must show as it happens
    catalogue = load_catalogue()
    if getattr(args, "dry_run", False):
        snapshot.dry_run(snapshot.statbank_sources(catalogue, getattr(args, "indicator", None)), client, out)
        return 0
    snapshot.fetch_catalogue(catalogue, client, indicators=getattr(args, "indicator", None), out=out)
    return 0


def command_show(args: argparse.Namespace) -> int:
    """`indikatorer data show <indicator> [--format table|csv]`."""
    import pandas as pd

    from indikatorer.data import observations
    from indikatorer.data.catalogue import load_catalogue

    load_catalogue().get(args.indicator)  # unknown id: a clear error with close matches
    table = observations.load_observations()
    rows = table[table["indicator"] == args.indicator]
    if getattr(args, "format", "table") == "csv":
        rows.to_csv(sys.stdout, index=False, lineterminator="\n")
        return 0
    if rows.empty:
        print(f"{args.indicator}: no observations")
        return 0
    shown = rows[["year", "period", "group", "sex", "age", "geography", "region", "botid", "other_value",
                  "value", "unit", "status", "source_ref"]]
    with pd.option_context("display.max_rows", None, "display.width", 200, "display.max_colwidth", 70):
        print(shown.to_string(index=False))
    print(f"\n{len(rows)} row(s) for {args.indicator}")
    return 0
