"""The bureau's policy data in the warehouse: imports recorded, rejected whole, read by the build.

Real PostgreSQL and real dbt: the shipped seeds are loaded by ``dbt seed`` (what ``fangpin
policy`` does on a new warehouse), imports go through ``fangpin.policy.store`` and the CLI, and
one build of the hand-made oracle province shows an import taking effect at the next build.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import psycopg
import pytest
from oracle import province as P

from fangpin.cli import main
from fangpin.pipeline.setup import ensure_seeds
from fangpin.policy import PolicyInvalid, export_policy, import_policy, in_force, read_rows
from fangpin.transform.dbt import dbt_build

# dbt loads the seeds (the module fixture) and builds a month (make test-fast skips it).
pytestmark = pytest.mark.slow

WEIGHTS = ("rate,weight\neducation,0.2\nmedical,0.1\nhousing,0.1\nwater,0.1\nemployment,0.2\n"
           "identification,0.2\nrectification,0.1\n")


@pytest.fixture(scope="module")
def seeded(module_warehouse_db: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    scratch = tmp_path_factory.mktemp("dbt")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DBT_TARGET_PATH", str(scratch / "target"))
        mp.setenv("DBT_LOG_PATH", str(scratch / "logs"))
        ensure_seeds(module_warehouse_db)
    return module_warehouse_db


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def imports(url: str, policy: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select file_name, checksum, row_count, status, error from ops.policy_import "
            "where policy = %s order by import_id",
            (policy,),
        ).fetchall()


def test_the_shipped_defaults_are_in_force_until_an_import(seeded: str) -> None:
    with psycopg.connect(seeded) as conn:
        source, rows = read_rows(conn, "key_counties")
    assert (source.schema, source.rows) == ("seeds", 46)
    assert {r[4] for r in rows} == {"generated"}  # listed_by: labelled as generated


def test_an_import_is_recorded_with_its_time_file_and_checksum(seeded: str, tmp_path: Path):
    path = write(tmp_path / "weights-2022.csv", WEIGHTS)

    source = import_policy(seeded, "scorecard_weights", path)

    assert source.schema == "policy" and source.rows == 7
    checksum = hashlib.sha256(path.read_bytes()).hexdigest()
    assert (source.file_name, source.checksum) == ("weights-2022.csv", checksum)
    assert source.imported_at is not None
    assert imports(seeded, "scorecard_weights")[-1] == (
        "weights-2022.csv", checksum, 7, "imported", None
    )
    exported = export_policy(seeded, "scorecard_weights", tmp_path / "out.csv")
    assert exported.schema == "policy"
    assert sorted((tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()) == sorted(
        WEIGHTS.splitlines()
    )


def test_an_invalid_import_changes_nothing_and_is_recorded_as_rejected(
    seeded: str, tmp_path: Path
) -> None:
    import_policy(seeded, "scorecard_weights", write(tmp_path / "good.csv", WEIGHTS))
    with psycopg.connect(seeded) as conn:
        before = read_rows(conn, "scorecard_weights")[1]

    with pytest.raises(PolicyInvalid, match="the weights sum to 1.1, not 1"):
        import_policy(seeded, "scorecard_weights",
                      write(tmp_path / "bad.csv", WEIGHTS.replace("water,0.1", "water,0.2")))

    with psycopg.connect(seeded) as conn:
        assert read_rows(conn, "scorecard_weights")[1] == before
        assert in_force(conn, "scorecard_weights").file_name == "good.csv"
    file_name, _checksum, rows, status, error = imports(seeded, "scorecard_weights")[-1]
    assert (file_name, rows, status) == ("bad.csv", None, "rejected")
    assert "the weights sum to 1.1" in error


def test_the_policy_command_imports_lists_and_rejects_with_a_clear_error(
    seeded: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("WAREHOUSE_URL", seeded)
    bad = write(tmp_path / "keys.csv", "year,county_code\n2022,140122\n2022,149999\n")
    assert main(["policy", "import", "key_counties", str(bad)]) == 1
    assert ("rejected, nothing changed: key_counties: row 3: county_code 149999 is not a county "
            "of the province") in capsys.readouterr().err

    good = write(tmp_path / "keys.csv", "year,county_code\n2022,140122\n")
    assert main(["policy", "import", "key_counties", str(good)]) == 0
    assert "in force from the next build of a month" in capsys.readouterr().out
    assert main(["policy", "list"]) == 0
    listing = capsys.readouterr().out
    assert "key_counties           imported" in listing and "keys.csv" in listing
    assert "marts.dim_policy" in listing  # where evaluators read it
    assert main(["policy", "show", "key_counties"]) == 0
    assert "2022,140122,阳曲县,1401,bureau," in capsys.readouterr().out
    assert main(["policy", "reset", "key_counties"]) == 0
    assert "shipped default (seed), 46 rows" in capsys.readouterr().out


def test_imports_take_effect_at_the_next_build_of_a_month(
    warehouse_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    with psycopg.connect(warehouse_db) as conn:
        P.insert_raw(conn, P.FEEDS)
    ensure_seeds(warehouse_db)  # what `fangpin policy` does first
    k1, k2, k3, _k4 = P.KEY_COUNTIES
    # 2020 and 2022 are set, 2021 is not: April 2021 uses 2020's list (the latest year set)
    import_policy(warehouse_db, "key_counties", write(
        tmp_path / "keys.csv", f"year,county_code\n2020,{k1}\n2020,{k2}\n2022,{k3}\n"))
    import_policy(warehouse_db, "monitoring_thresholds",
                  write(tmp_path / "thresholds.csv", "year,yuan\n2021,7000\n"))
    parameters = tmp_path / "parameters.csv"
    export_policy(warehouse_db, "policy_parameters", parameters)
    text = parameters.read_text(encoding="utf-8").replace("feed_max_age_months,2,",
                                                          "feed_max_age_months,3,")
    import_policy(warehouse_db, "policy_parameters", write(parameters, text))

    dbt_build(warehouse_db, P.APR)

    with psycopg.connect(warehouse_db) as conn:
        keys = {r[0] for r in conn.execute(
            "select county_code from marts_build.dim_county where is_key_county")}
        ranked = dict(conn.execute(
            "select county_code, key_rank from marts_build.mart_county_scorecard "
            "where month = %s and is_key_county", (P.APR,)).fetchall())
        income_low, threshold = conn.execute(
            "select sig_income_low, monitoring_threshold_yuan from marts_build.fct_household_month"
            " where month = %s and household_id = 'N-INCOME-6500'", (P.APR,)).fetchone()
        medical = conn.execute(
            "select medical_present from marts_build.fct_household_month"
            " where month = %s and household_id = 'N-MED-NOROW'", (P.APR,)).fetchone()[0]
    assert keys == {k1, k2}
    assert set(ranked) == {k1, k2} and all(rank is not None for rank in ranked.values())
    assert income_low and threshold == 7000
    assert medical  # January's medical snapshot is 3 months old: in reach at 3

    # dim_policy shows what the build read, and that it was the bureau's import.
    with psycopg.connect(warehouse_db) as conn:
        shown = {
            (year, parameter): (value, set_for_year, source, imported_at)
            for year, parameter, value, set_for_year, source, imported_at in conn.execute(
                "select year, parameter, value, set_for_year, source, imported_at "
                "from marts_build.dim_policy")
        }
        imported_at = dict(conn.execute(
            "select policy, max(imported_at) from ops.policy_import "
            "where status = 'imported' group by policy").fetchall())
    assert {year for year, _ in shown} == {2020, 2021, 2022}
    assert shown[(2021, "monitoring_threshold")] == (
        7000, 2021, "imported", imported_at["monitoring_thresholds"])
    assert shown[(2021, "key_county_count")][:3] == (2, 2020, "imported")  # 2020's list
    assert shown[(2022, "key_county_count")][:3] == (1, 2022, "imported")
    assert shown[(2021, "feed_max_age_months")][:3] == (3, None, "imported")
    assert shown[(2021, "score_weight_education")][2:] == ("seed", None)  # not imported
    assert shown[(2021, "dibao_standard")][:3] == (5658, 2021, "seed")

