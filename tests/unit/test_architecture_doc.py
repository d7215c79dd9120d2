"""docs/ARCHITECTURE.md matches the tree: what it names exists, and it names every module.

A newcomer reads the package map to find a home; a map that names a module that never existed
(it once described a ``pipeline.py``) or misses one sends them the wrong way. So every path
under ``include/``, ``dbt_project/``, ``dags/`` and ``tests/`` and every ``fangpin.x.y`` it names
must exist (a name past the module, ``fangpin.errors.NotRetryable``, must be defined in it), and
every module of ``include/fangpin`` must be named.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "ARCHITECTURE.md"
PACKAGE = ROOT / "include" / "fangpin"

PATH = re.compile(r"(?<![\w./-])((?:include|dbt_project|dags|tests)/[\w./*<>-]*)")
MODULE = re.compile(r"(?<![\w./-])(fangpin(?:\.\w+)+)")


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def named_paths(text: str) -> list[str]:
    return sorted({m.rstrip(".,;:") for m in PATH.findall(text)})


def named_modules(text: str) -> list[str]:
    return sorted({m.rstrip(".") for m in MODULE.findall(text)})


def path_exists(name: str) -> bool:
    if "<" in name:  # a pattern such as suites/marts/<table>.py: its folder must exist
        return (ROOT / name.split("<")[0]).exists()
    if "*" in name:
        return any(ROOT.glob(name))
    return (ROOT / name).exists()


def module_file(parts: list[str]) -> Path | None:
    base = ROOT / "include" / Path(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def defined_in(source: str, name: str) -> bool:
    pattern = rf"^\s*(?:async\s+def|def|class)\s+{name}\b|^{name}\s*[:=]|\bimport\b.*\b{name}\b"
    return re.search(pattern, source, re.MULTILINE) is not None


def module_exists(dotted: str) -> bool:
    """A module, or a name defined in the longest module the dotted name starts with."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        found = module_file(parts[:end])
        if found is not None:
            rest = parts[end:]
            return not rest or (len(rest) <= 2 and defined_in(found.read_text("utf-8"), rest[0]))
    return False


def package_modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_every_path_the_doc_names_exists() -> None:
    missing = [p for p in named_paths(doc_text()) if not path_exists(p)]
    assert missing == []


def test_every_module_the_doc_names_exists() -> None:
    missing = [m for m in named_modules(doc_text()) if not module_exists(m)]
    assert missing == []


def test_the_doc_names_every_module_of_the_package() -> None:
    text = doc_text()
    named = set(named_modules(text)) | ({"fangpin"} if "`fangpin`" in text else set())
    assert [m for m in package_modules() if m not in named] == []


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("`fangpin.pipeline.monthly`", True),
        ("`fangpin.errors.NotRetryable`", True),
        ("`fangpin.pipeline`", True),
        ("`pipeline.py` is `fangpin.pipeline.run`", False),  # the module that never existed
        ("`fangpin.errors.NoSuchError`", False),
    ],
)
def test_a_module_that_does_not_exist_is_caught(text: str, ok: bool) -> None:
    assert all(module_exists(m) for m in named_modules(text)) is ok


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("`include/fangpin/feeds/read.py`", True),
        ("`dbt_project/models/intermediate/`.", True),
        ("`include/fangpin/warehouse/sql/*.sql`", True),
        ("`include/fangpin/pipeline.py`", False),
        ("`dags/nothing_here.py`", False),
    ],
)
def test_a_path_that_does_not_exist_is_caught(text: str, ok: bool) -> None:
    assert all(path_exists(p) for p in named_paths(text)) is ok
