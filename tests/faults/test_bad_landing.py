"""Each bad landing entry of issue 12, through the real loader against a real database.

A month folder holds one good delivery per feed used here plus one bad entry of each kind;
``landing_report`` must list every bad entry with its reason and hint,
``record_landing_report`` must keep them in ``ops.landing_issue``, and ``load_feed_month``
must load exactly the good rows: nothing followed through a symlink, no file twice, the
header-only file as 0 rows.
"""

from __future__ import annotations

import csv
import io
import os
from datetime import date
from pathlib import Path

import psycopg
import pytest

from fangpin.feeds.contracts import FEEDS
from fangpin.feeds.normalise import id_check_char
from fangpin.load import landing_report, load_feed_month, record_landing_report, scan_landing

# The loader against a real database, no fault injected: a db test (in make test, not
# make test-faults).
pytestmark = pytest.mark.db

MONTH = date(2021, 12, 1)


def _id(seq: int) -> str:
    first17 = f"14010519800101{seq:03d}"
    return first17 + id_check_char(first17)


def _medical_csv(rows: int, start: int = 0) -> bytes:
    header = [c.name for c in FEEDS["medical"].columns]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for i in range(start, start + rows):
        values = {"id_number": _id(100 + i), "name": f"人{i}", "coverage_year": "2021",
                  "scheme": "resident", "enrollment_status": "active"}
        writer.writerow([values.get(c, "") for c in header])
    return out.getvalue().encode()


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    month = root / "2021-12"
    medical = month / "medical"
    medical.mkdir(parents=True)
    (medical / "taiyuan.csv").write_bytes(_medical_csv(3))
    (medical / "taiyuan_copy.csv").write_bytes(_medical_csv(3))  # same bytes, second name
    (medical / "datong.csv").write_bytes(_medical_csv(0))  # header only
    (medical / "empty.csv").write_bytes(b"")
    (medical / "notes.txt").write_text("not data")
    (medical / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.csv").write_bytes(_medical_csv(5, start=50))
    os.symlink(outside / "secret.csv", medical / "linked.csv")  # a file leaving the landing
    os.symlink(outside, month / "water")  # a feed folder leaving the landing
    (month / "Education").mkdir()
    (month / "Education" / "e.csv").write_bytes(b"id_number\n")
    (month / "educaton").mkdir()
    (root / "2021-8").mkdir()
    (root / "2021-13").mkdir()
    (root / "README.md").write_text("notes")
    return root


def _by_path(entries) -> dict:  # noqa: ANN001 - list[LandingEntry]
    return {e.path: e for e in entries}


def test_every_bad_entry_is_reported_with_reason_and_hint(landing: Path):
    report = _by_path(landing_report(landing))
    expected = {
        "2021-12/medical/taiyuan_copy.csv": ("duplicate_file", "taiyuan.csv"),
        "2021-12/medical/datong.csv": ("header_only", "0 rows"),
        "2021-12/medical/empty.csv": ("empty_file", ""),
        "2021-12/medical/notes.txt": ("unknown_file_type", ".csv"),
        "2021-12/medical/old.xls": ("unknown_file_type", ".xlsx"),
        "2021-12/medical/linked.csv": ("symlink", "outside the landing area"),
        "2021-12/water": ("symlink", "outside the landing area"),
        "2021-12/Education": ("unknown_feed_folder", "did you mean education?"),
        "2021-12/educaton": ("unknown_feed_folder", "did you mean education?"),
        "2021-8": ("not_a_month_folder", "did you mean 2021-08?"),
        "2021-13": ("not_a_month_folder", "no month 13"),
        "README.md": ("stray_file", ""),
    }
    assert set(report) == set(expected)
    for path, (reason, hint) in expected.items():
        assert report[path].reason == reason, path
        assert hint in report[path].hint, (path, report[path].hint)
    assert report["2021-12/medical/datong.csv"].severity == "warning"
    assert report["2021-12/medical/linked.csv"].severity == "refused"
    # The month's report leaves out the other months but keeps what looks like this one.
    assert "2021-13" not in _by_path(landing_report(landing, MONTH))
    assert {e.path for e in landing_report(landing, date(2021, 8, 1))} == {"2021-8"}


def test_the_loader_takes_only_the_good_files_and_records_what_it_did_not(
    warehouse_db: str, landing: Path
):
    url = warehouse_db
    result = load_feed_month(url, landing, MONTH, "medical", run_id="r1")

    assert result.status == "loaded"
    assert sorted(f.file_name for f in result.files) == ["datong.csv", "taiyuan.csv"]
    assert result.duplicates == [("taiyuan_copy.csv", "taiyuan.csv")]
    with psycopg.connect(url) as conn:
        raw = conn.execute(
            "select _source_file, count(*) from raw.medical group by 1 order by 1"
        ).fetchall()
        history = conn.execute(
            "select file_name, status, rows_read, duplicate_of from ops.load_history"
            " order by file_name"
        ).fetchall()
    assert raw == [("taiyuan.csv", 3)]  # nothing from the symlink, nothing twice
    assert history == [("datong.csv", "loaded", 0, None), ("taiyuan.csv", "loaded", 3, None),
                       ("taiyuan_copy.csv", "duplicate", None, "taiyuan.csv")]

    water = load_feed_month(url, landing, MONTH, "water", run_id="r1")
    assert water.status == "absent" and "symlink" in water.message
    with psycopg.connect(url) as conn:
        assert conn.execute("select count(*) from raw.water").fetchone() == (0,)

    count = record_landing_report(url, landing_report(landing, MONTH), run_id="r1")
    with psycopg.connect(url) as conn:
        kept = conn.execute(
            "select path, reason, severity, hint from ops.landing_issue where run_id = 'r1'"
        ).fetchall()
    assert len(kept) == count == 9  # the month's entries: not 2021-8, 2021-13, README.md
    assert ("2021-12/educaton", "unknown_feed_folder", "refused", "did you mean education?") \
        in kept
    assert scan_landing(landing).months == {MONTH: ["medical"]}
