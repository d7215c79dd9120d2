"""``python -m fangpin.domain --write|--check``: write or check dbt's copy of the domain."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from fangpin.domain.dbt import MACRO_PATH, stale_macros, write_macro


def main(argv: Sequence[str] | None = None) -> int:
    """Write the generated macro, or check it is in sync (exit 1 when not)."""
    parser = argparse.ArgumentParser(prog="python -m fangpin.domain", description=__doc__)
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
        print(f"{path} is out of date: run python -m fangpin.domain --write", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
