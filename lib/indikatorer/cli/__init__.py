"""The `indikatorer` command. Thin: parses arguments and calls the modules that own the logic.

Each subcommand's handler is `command_<name>(args) -> int` in `cli.data` or `cli.editions`; they
are imported lazily so that `indikatorer catalogue` does not pay for matplotlib.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from indikatorer.core.errors import UserError


def _handler(module: str, func: str):
    def run(args: argparse.Namespace) -> int:
        mod = importlib.import_module(f"indikatorer.cli.{module}")
        return getattr(mod, func)(args)

    return run


def _bounded(convert, what: str, ok, rule: str):
    """An argparse type: ``convert(text)``, refused with a one-line reason unless ``ok``."""
    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"{rule} (got {text})")
        return value

    return parse


_positive_float = _bounded(float, "a number of seconds", lambda v: v > 0, "must be above 0")
_non_negative_int = _bounded(int, "a whole number", lambda v: v >= 0, "must be 0 or more")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="indikatorer", description="Indikatorer for integrering")
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("catalogue", help="list the indicator catalogue")
    c.add_argument("--format", choices=["table", "json", "csv"], default="table")
    c.add_argument("--theme", help="only this theme")
    c.set_defaults(func=_handler("data", "command_catalogue"))

    d = sub.add_parser("data", help="the data snapshot: fetch from SSB, verify checksums, show the tidy table")
    dsub = d.add_subparsers(dest="data_command", required=True)
    f = dsub.add_parser("fetch", help="fetch the catalogue's SSB tables (needs internet)")
    f.add_argument("--indicator", action="append", help="only these indicators (repeatable)")
    f.add_argument("--api-url", help="PxWebApi v2 base URL (default: $SSB_API_URL or SSB's)")
    f.add_argument("--timeout", type=_positive_float, help="seconds to wait for each answer (default 30)")
    f.add_argument("--retries", type=_non_negative_int,
                   help="retries of a request after 429/5xx/an HTML page (default 5; an unreachable host gets one)")
    f.add_argument("--dry-run", action="store_true",
                   help="print every statbank source (confirmed/unconfirmed/none) and the request it would send; send nothing")
    f.set_defaults(func=_handler("data", "command_fetch"))
    v = dsub.add_parser("verify", help="verify every snapshot file against its recorded sha256")
    v.set_defaults(func=_handler("data", "command_verify"))
    s = dsub.add_parser("show", help="print the tidy observations for an indicator")
    s.add_argument("indicator")
    s.add_argument("--format", choices=["table", "csv"], default="table")
    s.set_defaults(func=_handler("data", "command_show"))

    b = sub.add_parser("build", help="build the annual edition, or many (papermill + book)")
    years = b.add_mutually_exclusive_group()
    years.add_argument("--year", type=int, help="newest reference year (default: newest in the snapshot)")
    years.add_argument("--years", metavar="SPEC",
                       help="build several editions, e.g. 2015-2024 or 2016,2020-2022")
    b.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                   help="override a notebook parameter (YAML value), e.g. -p first_year=2012; "
                        "a variant builds into _book/<year>-<hash of the parameters>")
    b.add_argument("--only", action="append", help="run only these notebooks (stem, repeatable)")
    b.add_argument("--jobs", type=int, default=None,
                   help="notebooks run at once (default: the core count)")
    b.add_argument("--executor", choices=["threads", "processes", "dask"], default="threads",
                   help="where notebooks run: threads of this process (default), a process "
                        "pool, or a dask.distributed LocalCluster")
    b.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the notebooks on an existing dask cluster, e.g. tcp://host:8786 "
                        "(its workers must see this project folder at the same path)")
    b.add_argument("--force", action="store_true", help="re-run notebooks even if nothing changed")
    b.add_argument("--no-render", action="store_true", help="execute notebooks only")
    b.set_defaults(func=_handler("editions", "command_build"))

    t = sub.add_parser("trend", help="fit the trend model for one indicator and group")
    t.add_argument("--indicator", required=True)
    t.add_argument("--group", required=True, help="group code, e.g. innvandrere")
    t.add_argument("--window", type=int, default=None, help="years in the window (default: all)")
    t.add_argument("--year", type=int, default=None, help="last year (default: newest)")
    t.add_argument("--format", choices=["text", "json"], default="text")
    t.set_defaults(func=_handler("editions", "command_trend"))

    ve = sub.add_parser("verify-edition", help="rebuild an edition and compare every output hash")
    ve.add_argument("edition", help="path to _book/<year>")
    ve.add_argument("--executor", choices=["threads", "processes", "dask"], default="threads",
                    help="where the rebuild's notebooks run (as for build)")
    ve.add_argument("--scheduler", metavar="ADDRESS", help="an existing dask cluster")
    ve.add_argument("--only", action="append", metavar="NOTEBOOK",
                    help="rebuild only this notebook (stem, repeatable) and compare what it makes")
    ve.set_defaults(func=_handler("editions", "command_verify_edition"))

    de = sub.add_parser("diff-editions", help="what changed between two built editions")
    de.add_argument("a")
    de.add_argument("b")
    de.add_argument("--format", choices=["text", "json"], default="text")
    de.set_defaults(func=_handler("editions", "command_diff_editions"))
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"indikatorer: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as other command-line tools do.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
