"""The generated province: ids, determinism, messy forms, truth, months that change.

The messy files are checked against the truth with a small reference normaliser written
from docs/contract/FEEDS.md here, independently of the generator: every valid messy row must
normalise to exactly its truth row, and every row set aside as invalid must fail normalisation.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import time
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook

from fangpin.synth import ProvinceSummary, province_months, write_province
from fangpin.synth import contract as c
from fangpin.synth.geo import is_development_zone, load_geography, seeds_dir
from fangpin.synth.idnum import check_char, is_valid_id, to15, to18
from fangpin.synth.population import build_world

MONTHS = [dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)]
MONTHS4 = [*MONTHS, dt.date(2024, 4, 1)]
MONTH_DIR = re.compile(r"^\d{4}-\d\d$")


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ProvinceSummary]:
    out = tmp_path_factory.mktemp("clean")
    return out, write_province(out, 300, MONTHS4, seed=11)


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ProvinceSummary]:
    out = tmp_path_factory.mktemp("messy")
    return out, write_province(out, 300, MONTHS, seed=5, messy=0.5)


def _manifest(summary: ProvinceSummary) -> dict:
    return json.loads((summary.truth / "manifest.json").read_text(encoding="utf-8"))


def _truth_rows(summary: ProvinceSummary, month: str, feed: str) -> list[dict[str, str]]:
    path = summary.truth / month / f"{feed}.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _invalid_rows(summary: ProvinceSummary, month: str) -> list[dict[str, str]]:
    with (summary.truth / month / "invalid_rows.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("gb18030"), "gb18030"


def _read_landing(path: Path) -> tuple[list[str], list[list[object]]]:
    """Header and rows of a landing file (CSV in any allowed encoding, or XLSX)."""
    if path.suffix == ".xlsx":
        wb = load_workbook(path, read_only=True)
        rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
        wb.close()
        width = len(rows[0])  # trailing empty cells are not stored: pad short rows
        return [str(h) for h in rows[0]], [r + [None] * (width - len(r)) for r in rows[1:]]
    text, _ = _decode(path.read_bytes())
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:]


# --------------------------------------------------------- reference normaliser
class Bad(Exception):
    """A value that breaks a docs/contract/FEEDS.md rule."""


def _norm(col: c.Column, raw: object) -> str:
    if raw is None:
        return ""
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    if isinstance(raw, (int, float)) and col.kind == "amount":
        return f"{raw:.2f}"
    if isinstance(raw, (int, float)):
        if col.kind == "id":
            raise Bad("id_number_invalid")
        return str(int(raw))
    v = str(raw).strip()
    if v == "":
        return ""
    kind = col.kind
    if kind == "id":
        v = unicodedata.normalize("NFKC", v).upper()
        if re.fullmatch(r"\d{15}", v):
            v = to18(v)
        if not is_valid_id(v):
            raise Bad("id_number_invalid")
        return v
    if kind == "date":
        m = (
            re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)", v)
            or re.fullmatch(r"(\d{4})/(\d\d)/(\d\d)", v)
            or re.fullmatch(r"(\d{4})(\d\d)(\d\d)", v)
            or re.fullmatch(r"(\d{4})年(\d\d)月(\d\d)日", v)
        )
        if not m:
            raise Bad("date_invalid")
        try:
            return dt.date(*map(int, m.groups())).isoformat()
        except ValueError as exc:
            raise Bad("date_invalid") from exc
    if kind == "bool":
        table = {
            "是": "true",
            "否": "false",
            "y": "true",
            "n": "false",
            "yes": "true",
            "no": "false",
            "true": "true",
            "false": "false",
            "1": "true",
            "0": "false",
        }
        if v.lower() not in table:
            raise Bad("bool_invalid")
        return table[v.lower()]
    if kind == "amount":
        s = v.removeprefix("¥").replace(",", "")
        if re.fullmatch(r"-\d+(\.\d+)?", s):
            raise Bad("amount_negative")
        if not re.fullmatch(r"\d+(\.\d+)?", s):
            raise Bad("amount_invalid")
        return f"{float(s):.2f}"
    if kind == "enum":
        for code, label in col.enum:
            if v in (code, label):
                return code
        raise Bad("enum_invalid")
    if kind == "list":
        parts = [p.strip() for p in re.split("[;、]", v) if p.strip()]
        codes = []
        for p in parts:
            hit = [code for code, label in col.enum if p in (code, label)]
            if not hit:
                raise Bad("enum_invalid")
            codes.append(hit[0])
        return ";".join(code for code in c.codes(col.enum) if code in codes)
    if kind == "county":
        if v not in COUNTIES:
            raise Bad("county_unknown")
        return v
    if kind == "village":
        if not re.fullmatch(r"\d{12}", v) or v[:6] not in COUNTIES:
            raise Bad("village_invalid")
        return v
    return v


def _county_codes() -> set[str]:
    with (seeds_dir() / "shanxi_counties.csv").open(encoding="utf-8") as fh:
        return {r["county_code"] for r in csv.DictReader(fh)}


COUNTIES = _county_codes()


def _normalise_row(
    spec: tuple[c.Column, ...], header: list[str], row: list[object]
) -> dict[str, str]:
    by_name = {}
    for col in spec:
        by_name[col.name.lower()] = col
        by_name[col.zh.lower()] = col
    out = {}
    for h, raw in zip(header, row, strict=True):
        col = by_name.get(h.strip().lower())
        if col is None:
            continue  # an unknown extra column
        out[col.name] = _norm(col, raw)
    for col in spec:
        if col.required and not col.conditional and not out.get(col.name):
            raise Bad("required_missing")
    return out


# -------------------------------------------------------------------- tests: ids
def test_id_helpers() -> None:
    assert is_valid_id("11010519491231002X")
    assert not is_valid_id("11010519491231002x")
    assert check_char("11010519491231002") == "X"
    assert to18(to15("11010519491231002X")) == "11010519491231002X"
    with pytest.raises(ValueError):
        to15("140105200101011234")


def test_ids_hang_together_with_birth_sex_and_county() -> None:
    months = (dt.date(2024, 1, 1),)
    world = build_world(load_geography(3), 400, months, seed=3)
    geo = world.geo
    n = world.n_members
    ids = world.p_id.tolist()
    assert len(set(ids)) == len(ids)
    assert all(is_valid_id(i) for i in ids)
    for p in range(len(ids)):
        i = ids[p]
        birth = dt.date(int(i[6:10]), int(i[10:12]), int(i[12:14]))
        assert birth == dt.date(1970, 1, 1) + dt.timedelta(days=int(world.p_birth[p]))
        assert birth < months[0]
        assert (int(i[16]) % 2 == 1) == bool(world.p_male[p])
        assert i[:6] == geo.county_code[world.p_county[p]]
        if p < n:  # members: the county of their household
            assert i[:6] == geo.county_code[world.h_county[world.p_hh[p]]]
    # heads come first in a household, spouses are of the other sex, children younger
    ages = world.ages(dt.date(2024, 1, 31))
    heads = world.h_first
    assert (world.p_rel[heads] == 0).all()
    assert ages[heads].min() >= 18
    spouse = np.flatnonzero(world.p_rel[:n] == 1)
    assert (world.p_male[spouse] != world.p_male[heads[world.p_hh[spouse]]]).all()
    child = np.flatnonzero(world.p_rel[:n] == 2)
    assert (ages[child] < ages[heads[world.p_hh[child]]]).all()
    assert 2.2 < n / world.n_households < 2.9


def test_every_county_has_households() -> None:
    geo = load_geography(1)
    world = build_world(geo, 3000, (dt.date(2024, 1, 1),), seed=1)
    assert set(np.unique(world.h_county).tolist()) == set(range(geo.n_counties))
    assert not any(is_development_zone(code) for code in geo.county_code.tolist())
    assert world.h_county[np.flatnonzero(geo.county_key[world.h_county])].size > 0
    village = geo.village_code[world.h_village]
    assert all(
        len(v) == 12 and v[:6] == geo.county_code[cc]
        for v, cc in zip(village.tolist(), world.h_county.tolist(), strict=True)
    )


def test_seeds_geography_and_key_counties() -> None:
    folder = seeds_dir()
    with (folder / "key_counties.csv").open(encoding="utf-8") as fh:
        keys = list(csv.DictReader(fh))
    assert list(keys[0]) == ["year", "county_code", "county_name", "city_code", "listed_by",
                             "note"]
    assert len(keys) == 46  # the number Shanxi names (RULES.md), one list keyed to 2021
    assert {k["year"] for k in keys} == {"2021"}
    assert all(k["listed_by"] == "generated" and "not the official" in k["note"] for k in keys)
    assert all(
        not is_development_zone(k["county_code"]) and not k["county_name"].endswith("区")
        for k in keys
    )
    per_city = Counter(k["county_code"][:4] for k in keys)
    assert sum(1 for n in per_city.values() if n >= 2) >= 8
    assert all(k["county_code"] in COUNTIES for k in keys)
    assert "WTFPL" in (folder / "README.md").read_text(encoding="utf-8")


def test_the_shipped_key_county_seed_is_the_generated_list(tmp_path: Path) -> None:
    """``python -m fangpin.synth.geo`` regenerates the seed byte for byte from the counties."""
    from fangpin.synth.geo import write_key_counties_seed

    shutil.copy(seeds_dir() / "shanxi_counties.csv", tmp_path / "shanxi_counties.csv")
    written = write_key_counties_seed(tmp_path)
    assert written.read_bytes() == (seeds_dir() / "key_counties.csv").read_bytes()


# ---------------------------------------------------------------- tests: layout
def test_layout_all_feeds_split_and_absences(clean: tuple[Path, ProvinceSummary]) -> None:
    out, summary = clean
    man = _manifest(summary)
    assert man["months"] == ["2024-01", "2024-02", "2024-03", "2024-04"]
    months = sorted(p.name for p in out.iterdir() if MONTH_DIR.match(p.name))
    assert months == man["months"]
    seen = set()
    absent = []
    for month in months:
        info = man["per_month"][month]
        assert "registry_households" in info["delivered"]
        assert "registry_members" in info["delivered"]
        absent += info["absent"]
        for feed in info["delivered"]:
            files = sorted((out / month / feed).iterdir())
            assert files, (month, feed)
            seen.add(feed)
            if feed in ("education", "medical"):
                assert len(files) > 1  # one file per city
    assert seen == set(c.FEED_NAMES)
    assert absent  # some feed does not arrive some month
    assert summary.files_written == len(man["files"])
    assert summary.rows_total == sum(f["rows"] for f in man["files"])


def test_arrival_times_are_modification_times(clean: tuple[Path, ProvinceSummary]) -> None:
    out, summary = clean
    man = _manifest(summary)
    on_time = Counter()
    for f in man["files"]:
        path = out / f["path"]
        arrival = dt.datetime.fromisoformat(f["arrival"])
        assert os.stat(path).st_mtime == pytest.approx(arrival.timestamp())
        month = dt.date.fromisoformat(f["month"] + "-01")
        assert arrival.date() > month  # delivered after the month
        due = (month.replace(day=28) + dt.timedelta(days=8)).replace(day=5)
        assert f["on_time"] == (arrival.date() <= due)
        on_time[f["on_time"]] += 1
    assert on_time[True] > on_time[False] > 0


def test_clean_files_are_canonical_and_match_truth(clean: tuple[Path, ProvinceSummary]) -> None:
    out, summary = clean
    man = _manifest(summary)
    for f in man["files"]:
        path = out / f["path"]
        data = path.read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf")
        text = data.decode("utf-8")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        spec = c.FEEDS[f["feed"]]
        assert rows[0] == [col.name for col in spec]
        truth = [r for r in _truth_rows(summary, f["month"], f["feed"]) if r["_file"] == f["name"]]
        assert len(truth) == len(rows) - 1 == f["rows"] == f["valid_rows"]
        for line, (row, t) in enumerate(zip(rows[1:], truth, strict=True), start=2):
            assert int(t["_line"]) == line
            assert row == [t[col.name] for col in spec]
            assert _normalise_row(spec, rows[0], row) == {col.name: t[col.name] for col in spec}
    for month in man["months"]:
        assert _invalid_rows(summary, month) == []


def test_registry_values_are_consistent(clean: tuple[Path, ProvinceSummary]) -> None:
    _, summary = clean
    households = _truth_rows(summary, "2024-01", "registry_households")
    members = _truth_rows(summary, "2024-01", "registry_members")
    county = {h["household_id"]: h["county_code"] for h in households}
    assert len(county) == len(households) == summary.households
    assert len(members) == summary.persons
    for m in members:
        assert m["id_number"][:6] == county[m["household_id"]]
    for h in households:
        assert h["village_code"][:6] == h["county_code"]
        if h["monitoring_status"] in ("at_risk", "eliminated"):
            assert h["identified_on"]
        if h["monitoring_status"] == "eliminated":
            assert h["eliminated_on"] >= h["identified_on"]
    statuses = Counter(h["monitoring_status"] for h in households)
    assert statuses["not_monitored"] > len(households) * 0.7
    incomes = [float(h["per_capita_net_income"]) for h in households]
    assert sum(i >= 6000 for i in incomes) > 0.8 * len(incomes)
    assert any(i < 6000 for i in incomes)


def test_months_differ_problems_appear_and_get_fixed(clean: tuple[Path, ProvinceSummary]) -> None:
    _, summary = clean
    months = ["2024-01", "2024-02", "2024-03", "2024-04"]

    def medical(month: str) -> dict[str, str]:
        best: dict[str, str] = {}
        for r in _truth_rows(summary, month, "medical"):
            if r["enrollment_status"] == "active" or r["id_number"] not in best:
                best[r["id_number"]] = r["enrollment_status"]
        return best

    statuses = [medical(m) for m in months]
    lapsed = fixed = 0
    for a, b in zip(statuses, statuses[1:], strict=False):
        for pid, st in a.items():
            if pid in b:
                lapsed += st == "active" and b[pid] != "active"
                fixed += st != "active" and b[pid] == "active"
    assert lapsed > 0 and fixed > 0
    # households identified at risk in a later month than the first
    first = {h["household_id"]: h for h in _truth_rows(summary, months[0], "registry_households")}
    last = {h["household_id"]: h for h in _truth_rows(summary, months[-1], "registry_households")}
    newly = [
        k
        for k, h in last.items()
        if h["monitoring_status"] == "at_risk"
        and k in first
        and first[k]["monitoring_status"] != "at_risk"
    ]
    assert newly
    assert set(first) != set(last)  # households left or joined the registry


def test_determinism_same_seed_same_bytes(tmp_path: Path) -> None:
    def run(name: str, seed: int) -> dict[str, tuple[bytes, float]]:
        out = tmp_path / name
        write_province(out, 120, MONTHS[:2], seed=seed, messy=0.4)
        # landing files: bytes and arrival time; truth files: bytes only
        return {
            str(p.relative_to(out)): (
                p.read_bytes(),
                p.stat().st_mtime if "_truth" not in p.parts else None,
            )
            for p in sorted(out.rglob("*"))
            if p.is_file()
        }

    a, b, other = run("a", 21), run("b", 21), run("c", 22)
    assert a == b
    assert any(k.endswith(".xlsx") for k in a)
    assert a.keys() != other.keys() or any(a[k] != other[k] for k in a)



def test_month_by_month_writes_the_same_bytes_with_each_month_removed(tmp_path: Path) -> None:
    """The benchmark's long histories: a month removed before the next is generated does not
    change the next month's files, so a history run needs one month on disk at a time."""
    whole = tmp_path / "whole"
    write_province(whole, 120, MONTHS, seed=21, messy=0.4)
    streamed = tmp_path / "streamed"
    seen: dict[str, tuple[bytes, float]] = {}
    months = province_months(streamed, 120, MONTHS, seed=21, messy=0.4)
    yielded = []
    for month in months:
        yielded.append(month)
        folder = streamed / f"{month:%Y-%m}"
        on_disk = sorted(p.name for p in streamed.iterdir() if MONTH_DIR.match(p.name))
        assert on_disk == [folder.name]  # only this month's folder: the earlier ones are gone
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                seen[str(path.relative_to(streamed))] = (path.read_bytes(), path.stat().st_mtime)
        shutil.rmtree(folder)
    assert yielded == MONTHS
    expected = {
        str(p.relative_to(whole)): (p.read_bytes(), p.stat().st_mtime)
        for p in sorted(whole.rglob("*"))
        if p.is_file() and "_truth" not in p.parts
    }
    assert seen == expected
    assert (streamed / "_truth" / "manifest.json").exists()  # written after the last month


# ---------------------------------------------------------------- tests: messy
def test_messy_file_forms(messy: tuple[Path, ProvinceSummary]) -> None:
    out, summary = messy
    man = _manifest(summary)
    forms = {(f["format"], f["encoding"]) for f in man["files"]}
    assert {("csv", "utf-8"), ("csv", "utf-8-sig"), ("csv", "gb18030"), ("xlsx", None)} <= forms
    assert {"en", "en_messy", "zh", "zh_messy"} <= {f["header"] for f in man["files"]}
    assert any(f["extra_columns"] for f in man["files"])
    assert any(f["shuffled_columns"] for f in man["files"])
    for f in man["files"]:
        data = (out / f["path"]).read_bytes()
        if f["encoding"] == "utf-8-sig":
            assert data.startswith(b"\xef\xbb\xbf")
            data[3:].decode("utf-8")
        elif f["encoding"] == "gb18030":
            assert not data.startswith(b"\xef\xbb\xbf")
            text = data.decode("gb18030")
            if any(ord(ch) > 127 for ch in text):
                with pytest.raises(UnicodeDecodeError):
                    data.decode("utf-8")
        elif f["format"] == "xlsx":
            assert data[:2] == b"PK"
            header, rows = _read_landing(out / f["path"])
            assert len(rows) == f["rows"]
        else:
            data.decode("utf-8")
        if f["header"] == "zh":
            header, _ = _read_landing(out / f["path"])
            zh = {col.zh for col in c.FEEDS[f["feed"]]}
            assert zh <= {h.strip() for h in header}


def test_messy_value_forms(messy: tuple[Path, ProvinceSummary]) -> None:
    out, summary = messy
    man = _manifest(summary)
    blob = []
    for f in man["files"]:
        header, rows = _read_landing(out / f["path"])
        blob.append("\n".join(",".join("" if v is None else str(v) for v in r) for r in rows))
    text = "\n".join(blob)
    patterns = {
        "15-digit id": r"(^|,)\s*14\d{13}\s*(,|$)",
        "full-width digits": "[０-９]{18}|[０-９]{17}Ｘ",
        "lower-case x": r"\d{17}x",
        "slash date": r"\d{4}/\d\d/\d\d",
        "compact date": r",20\d{6},",
        "chinese date": r"\d{4}年\d\d月\d\d日",
        "yen and thousands": r"¥\d{1,3}(,\d{3})+\.\d\d",
        "bool 是/否": "(是|否)",
        "bool Y/N": ",(Y|N),",
        "bool yes/no": ",(yes|no),",
        "chinese enum": "(在校|正常参保|未纳入监测|户主)",
        "grade 级": "[ABCD]级",
        "risk causes 、": "、",
        "spreadsheet id": r"\d\.\d+E\+17",
    }
    missing = [
        name for name, pattern in patterns.items() if not re.search(pattern, text, re.MULTILINE)
    ]
    assert not missing
    xlsx_cells = Counter()
    for f in man["files"]:
        if f["format"] == "xlsx":
            _, rows = _read_landing(out / f["path"])
            for r in rows:
                for v in r:
                    xlsx_cells[type(v).__name__] += 1
    assert xlsx_cells["datetime"] and xlsx_cells["float"] and xlsx_cells["str"]


def test_messy_rows_normalise_to_truth(messy: tuple[Path, ProvinceSummary]) -> None:
    """Valid + invalid = rows read; each valid row normalises exactly to its truth row."""
    out, summary = messy
    man = _manifest(summary)
    reasons: Counter[str] = Counter()
    for month in man["months"]:
        invalid = defaultdict(dict)
        for r in _invalid_rows(summary, month):
            invalid[r["file"]][int(r["line"])] = r
            reasons[r["reason"]] += 1
        for feed in man["per_month"][month]["delivered"]:
            spec = c.FEEDS[feed]
            truth = defaultdict(dict)
            for r in _truth_rows(summary, month, feed):
                truth[r["_file"]][int(r["_line"])] = {col.name: r[col.name] for col in spec}
            for f in (f for f in man["files"] if f["month"] == month and f["feed"] == feed):
                header, rows = _read_landing(out / f["path"])
                bad = invalid[f["name"]]
                good = truth[f["name"]]
                assert len(rows) == f["rows"] == len(good) + len(bad)
                assert len(bad) == f["invalid_rows"]
                for line, row in enumerate(rows, start=2):
                    if line in bad:
                        with pytest.raises(Bad) as err:
                            _normalise_row(spec, header, row)
                        assert str(err.value) == bad[line]["reason"], (f["path"], line)
                    else:
                        assert _normalise_row(spec, header, row) == good[line], (f["path"], line)
    assert set(reasons) == set(c.REASON_CODES)


def test_small_run_is_fast(tmp_path: Path) -> None:
    started = time.perf_counter()
    summary = write_province(tmp_path / "fast", 300, MONTHS, seed=2)
    assert time.perf_counter() - started < 10
    assert summary.invalid_rows == 0
    assert summary.rows_per_feed["registry_households"] >= 900
