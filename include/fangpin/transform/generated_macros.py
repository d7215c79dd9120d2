"""The dbt macros generated from Python declarations: written at build time, checked by tests.

dbt cannot import Python, and the domain (``fangpin.domain.codes``) and the feed contracts
(``fangpin.feeds.contracts``) must be named once. Their renderings for dbt
(``dbt_project/macros/domain/fangpin_domain.sql``, ``dbt_project/macros/feeds/feed_columns.sql``)
are written here: ``python -m fangpin.transform.generated_macros --write`` (``make macros``);
``--check`` exits 1 when a file on disk is not what its declaration renders, and
tests/unit/test_domain.py fails the same way. It sits in ``transform`` (dbt's side) because it
reads both the domain and the feeds; neither of those reads the other's renderer.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from fangpin.domain import dbt as domain_dbt
from fangpin.feeds import dbt as feeds_dbt

MACRO_PATH = domain_dbt.MACRO_PATH


def _renderers() -> dict[Path, Callable[[], str]]:
    """Every generated dbt file and what renders it: the domain's and the feed contracts'."""
    return {
        domain_dbt.MACRO_PATH: domain_dbt.render_macro,
        feeds_dbt.MACRO_PATH: feeds_dbt.render_macro,
    }


def write_macro(root: Path) -> list[Path]:
    """Write the generated macros under the checkout ``root``; returns their paths."""
    written = []
    for relative, render in _renderers().items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(), encoding="utf-8")
        written.append(path)
    return written


def stale_macros(root: Path) -> list[Path]:
    """The generated macros under ``root`` that are not what the declarations render."""
    stale = []
    for relative, render in _renderers().items():
        path = root / relative
        if not path.is_file() or path.read_text(encoding="utf-8") != render():
            stale.append(relative)
    return stale


def macro_in_sync(root: Path) -> bool:
    """Whether every generated macro under ``root`` is exactly what the declarations render."""
    return not stale_macros(root)


def main(argv: Sequence[str] | None = None) -> int:
    """Write the generated macro, or check it is in sync (exit 1 when not)."""
    parser = argparse.ArgumentParser(
        prog="python -m fangpin.transform.generated_macros", description=__doc__
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true",
                        help=f"write {MACRO_PATH} and the feed columns")
    action.add_argument("--check", action="store_true", help=f"check {MACRO_PATH} is in sync")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[3],
                        help="the checkout (default: the one this package is in)")
    args = parser.parse_args(argv)
    if args.write:
        for path in write_macro(args.root):
            print(f"wrote {path}")
        return 0
    stale = stale_macros(args.root)
    if not stale:
        print("the generated dbt macros are in sync with their declarations")
        return 0
    for path in stale:
        print(f"{path} is out of date: run make macros", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
