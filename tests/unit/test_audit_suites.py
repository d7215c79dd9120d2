"""The audit's suites: declared once in ``fangpin.audit.suites``, generated into expectations/.

The checked-in GX project must be exactly what ``make suites`` generates from the declarations
(a changed declaration without regenerated files fails here), and each published table's gate
is one module named after the table. Every test works on a copy of expectations/: the checkout
is never written.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from fangpin.audit.checks import BLOCKING, WARNING, not_null
from fangpin.audit.suites import all_suites, marts
from fangpin.audit.suites.__main__ import main, problems
from fangpin.config import expectations_dir, project_root


def committed_files(root: Path) -> dict[str, bytes]:
    """Every file of a GX project that is committed (all but uncommitted/), by path."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "uncommitted" not in p.relative_to(root).parts
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    target = tmp_path / "expectations"
    shutil.copytree(expectations_dir(), target, ignore=shutil.ignore_patterns("uncommitted"))
    return target


def test_the_checked_in_suites_are_what_the_declarations_generate(project: Path):
    assert problems(project) == []
    before = committed_files(project)
    assert main(["--dir", str(project)]) == 0  # make suites, on the copy
    assert committed_files(project) == before, "make suites changed the checked-in project"
    assert main(["--dir", str(project), "--check"]) == 0


def test_a_changed_declaration_is_stale_until_regenerated(project: Path):
    from fangpin.audit import gx_project

    specs = list(all_suites())
    index = next(i for i, s in enumerate(specs) if s.name == "marts.fct_household_month")
    suite = specs[index]
    checks = tuple(
        dataclasses.replace(c, severity=BLOCKING) if c.name == "member_count_positive" else c
        for c in suite.checks
    ) + (not_null("head_id_masked", WARNING),)
    specs[index] = dataclasses.replace(suite, checks=checks)
    context = gx_project.open_context(project)
    before = committed_files(project)

    stale = gx_project.stale_suites(context, specs)

    assert list(stale) == ["marts.fct_household_month"]
    assert "stated otherwise: member_count_positive" in stale["marts.fct_household_month"]
    assert "declared, not stored: head_id_masked_not_null" in stale["marts.fct_household_month"]
    assert committed_files(project) == before, "comparing wrote a file"

    assert gx_project.write_suites(context, specs) == ["marts.fct_household_month"]
    assert gx_project.stale_suites(context, specs) == {}
    after = committed_files(project)
    changed = {path for path in before if before[path] != after.get(path)}
    assert changed == {"expectations/marts/fct_household_month.json"}
    stored = json.loads(after["expectations/marts/fct_household_month.json"])
    severities = {e["meta"]["check"]: e["meta"]["severity"] for e in stored["expectations"]}
    assert severities["member_count_positive"] == BLOCKING
    assert severities["head_id_masked_not_null"] == WARNING
    assert gx_project.write_suites(context, specs) == []


def test_a_suite_no_longer_declared_is_reported_and_removed(project: Path):
    from fangpin.audit import gx_project

    leftover = project / "expectations" / "marts" / "mart_retired.json"
    shutil.copy(project / "expectations" / "marts" / "dim_county.json", leftover)
    text = leftover.read_text(encoding="utf-8")
    text = text.replace('"marts.dim_county"', '"marts.mart_retired"')
    leftover.write_text(text, encoding="utf-8")

    assert problems(project) == ["marts.mart_retired: not declared"]
    assert main(["--dir", str(project), "--check"]) == 1
    assert main(["--dir", str(project)]) == 0
    assert not leftover.exists()
    assert gx_project.undeclared_suites(gx_project.open_context(project), all_suites()) == []


def test_an_unreadable_suite_file_is_reported_and_written_afresh(project: Path):
    broken = project / "expectations" / "marts" / "fct_problem.json"
    broken.write_text("{not json", encoding="utf-8")

    assert [p.split(" (")[0] for p in problems(project)] == [
        f"marts.fct_problem: {broken} cannot be read"
    ]
    assert main(["--dir", str(project)]) == 0
    assert problems(project) == []
    assert json.loads(broken.read_text(encoding="utf-8"))["name"] == "marts.fct_problem"


def test_each_published_tables_gate_is_one_module_named_after_it():
    models = {p.stem for p in (project_root() / "dbt_project" / "models" / "marts").rglob("*.sql")}
    folder = Path(marts.__file__).parent
    for suite in marts.suites():
        assert suite.name == f"marts.{suite.table}" and suite.layer == "marts"
        assert suite.table in models, f"{suite.name} gates no dbt mart"
        module = folder / f"{suite.table}.py"
        assert module.exists(), f"{suite.name} is not declared in suites/marts/{suite.table}.py"
        assert f'name="{suite.name}"' in module.read_text(encoding="utf-8")


def test_every_check_has_a_unique_name_and_a_severity_in_its_suite():
    suites = all_suites()
    assert len({s.name for s in suites}) == len(suites)
    for suite in suites:
        assert suite.name == f"{suite.layer}.{suite.table}"
        names = [c.name for c in suite.checks]
        assert len(names) == len(set(names)), suite.name
        assert {c.severity for c in suite.checks} <= {BLOCKING, WARNING}
