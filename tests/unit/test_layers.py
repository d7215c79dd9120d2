"""Packages depend one way: no module of ``include/fangpin`` imports a layer above its own.

The order (docs/ARCHITECTURE.md, "Layers"): the base modules, then the warehouse, then
feeds → policy → load → transform → audit → publish → report, then the pipeline and the CLI
on top. Two packages sit to one side: ``synth`` (the generated province: the outside world,
so it may read only the base and the feed contracts) and ``orchestration`` (Airflow's wiring,
which knows no stage). Every import counts, the lazy ones inside functions and the
``TYPE_CHECKING`` ones too: a lazy import is still a dependency, only a later one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "include" / "fangpin"

#: The main line, lowest first: a layer may import itself and every layer before it.
CHAIN = (
    "base", "warehouse", "feeds", "policy", "load", "transform", "audit", "publish", "report",
)
#: The two layers beside the main line, and the two on top of everything.
SIDE = {
    "synth": {"base", "feeds"},
    "orchestration": {"base", "warehouse"},
}
ALLOWED: dict[str, set[str]] = {
    **{layer: set(CHAIN[: i + 1]) for i, layer in enumerate(CHAIN)},
    **{layer: lower | {layer} for layer, lower in SIDE.items()},
}
ALLOWED["pipeline"] = set(CHAIN) | set(SIDE) | {"pipeline"}
ALLOWED["cli"] = ALLOWED["pipeline"] | {"cli"}

#: Each top-level module or package of ``fangpin`` and its layer. ``domain`` is the
#: declarations module (feeds, codes, months) every layer may read.
LAYER_OF = {
    "__init__": "base", "config": "base", "errors": "base", "faults": "base", "domain": "base",
    "warehouse": "warehouse", "feeds": "feeds", "policy": "policy", "load": "load",
    "transform": "transform", "audit": "audit", "publish": "publish", "report": "report",
    "synth": "synth", "orchestration": "orchestration", "pipeline": "pipeline", "cli": "cli",
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, module) of every ``fangpin`` import in ``source``, wherever it sits."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolved against the module's package
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            # ``from fangpin import monthly`` imports the module fangpin.monthly.
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return [(line, name) for line, name in found if name.split(".")[0] == "fangpin"]


def layer(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) == 1:
        return LAYER_OF["__init__"]
    return LAYER_OF.get(parts[1])


def violations(path: Path, source: str) -> list[str]:
    module = module_name(path)
    own = layer(module)
    assert own is not None, f"{module}: no layer declared for it in LAYER_OF"
    wrong = []
    for line, target in imported_modules(source, module, path.name == "__init__.py"):
        # ``from fangpin import x`` with x a name of fangpin/__init__.py: the base. (A package
        # missing from LAYER_OF fails test_every_top_level_module_has_a_layer.)
        theirs = layer(target) or LAYER_OF["__init__"]
        if theirs not in ALLOWED[own]:
            wrong.append(f"{module}:{line} ({own}) imports {target} ({theirs})")
    return wrong


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_top_level_module_has_a_layer() -> None:
    tops = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in modules()}
    assert tops - set(LAYER_OF) == set()


def test_no_module_imports_a_layer_above_its_own() -> None:
    wrong = [v for p in modules() for v in violations(p, p.read_text(encoding="utf-8"))]
    assert wrong == [], "imports against the layer order:\n" + "\n".join(wrong)


@pytest.mark.parametrize(
    ("where", "source"),
    [
        ("warehouse/setup.py", "from fangpin.load.raw_tables import ensure_raw_tables\n"),
        ("audit/run.py", "def f():\n    from fangpin.publish import swap\n"),
        ("policy/store.py", "def f():\n    import fangpin.transform.dbt\n"),
        ("load/loader.py", "import importlib\nimportlib.import_module('fangpin.pipeline.plan')\n"),
        ("publish/__init__.py", "from ..pipeline import status\n"),
        ("orchestration/notify.py", "from fangpin.pipeline import monthly\n"),
    ],
)
def test_an_upward_import_is_caught_wherever_it_is(where: str, source: str) -> None:
    """The check itself: top-level, lazy, plain, dynamic and relative imports upward all fail."""
    assert len(violations(PACKAGE / where, source)) == 1


def test_a_downward_import_passes() -> None:
    source = "def f():\n    from fangpin.audit.run import describe_failure\n"
    assert violations(PACKAGE / "publish" / "swap.py", source) == []
