"""Generate the Great Expectations project from the declarations: ``make suites``.

``python -m fangpin.audit.suites`` writes ``expectations/`` (or ``--dir``): every declared
suite, no undeclared one, every table's asset. ``--check`` writes nothing and exits 1 when the
project is not what the declarations say (the test of the checked-in project does the same).
The audit only reads what this writes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fangpin.audit.suites import all_suites
from fangpin.config import expectations_dir


def problems(root: Path) -> list[str]:
    """Everything that keeps the project at ``root`` from matching the declarations."""
    from fangpin.audit import gx_project

    context = gx_project.open_context(root)
    specs = all_suites()
    found = [f"{name}: {why}" for name, why in gx_project.stale_suites(context, specs).items()]
    found += [f"{name}: not declared" for name in gx_project.undeclared_suites(context, specs)]
    found += [f"no asset for {t}" for t in gx_project.missing_assets(context, specs)]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fangpin.audit.suites", description=__doc__)
    parser.add_argument("--dir", type=Path, default=None, help="the GX project (expectations/)")
    parser.add_argument("--check", action="store_true", help="compare only, write nothing")
    args = parser.parse_args(argv)
    root: Path = args.dir or expectations_dir()
    if args.check:
        found = problems(root)
        for line in found:
            print(line, file=sys.stderr)
        print(f"{root}: {'stale, run make suites' if found else 'matches the declarations'}")
        return 1 if found else 0
    from fangpin.audit import gx_project

    changed = gx_project.write_suites(gx_project.open_context(root), all_suites())
    print(f"{root}: {', '.join(changed) if changed else 'already matches the declarations'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
