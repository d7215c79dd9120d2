"""An independent Python reading of docs/contract/RULES.md, to check the dbt models against.

Given the clean feed records (the raw-layer contract: each feed's columns plus
``_snapshot_month``; ``_load_id``/``_source_file``/``_source_line`` when known) and the months
to evaluate, compute per household and month every ``sig_`` flag, the four guarantees,
``should_monitor``, ``missed_identification`` and ``relapse_after_elimination``, the registry
doubt points, and the problem ledger. Written from the rule text, not from the SQL: nothing
here is shared with ``dbt_project`` but the names of the feeds, signals and guarantees
(``fangpin.domain.codes``); which signals open a problem is read here again from the rules.

The readings of ambiguous rules are those of docs/RULES_READING.md.

    from oracle.rules import Policy, household_months, problem_ledger
    rows = household_months(feeds, months)           # one dict per household-month
    problems = problem_ledger(rows)                  # one dict per problem

``feeds`` maps a feed name to a list of dicts or a pandas DataFrame.
"""

from __future__ import annotations

import calendar
import csv
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fangpin.domain import codes as domain

SIGNALS = domain.SIGNAL_COLUMNS
GUARANTEES = tuple(g.column for g in domain.GUARANTEES)
DERIVED = ("should_monitor", "missed_identification", "relapse_after_elimination")
FLAGS = SIGNALS + GUARANTEES + DERIVED
PROBLEM_CODES = (
    "EDU_DROPOUT",
    "MED_UNINSURED",
    "HOUSE_UNSAFE",
    "WATER_UNSAFE",
    "DISASTER",
    "SAFETY_NET_GAP",
)
REGISTRY = domain.REGISTRY_FEEDS
IN_SCHOOL = {"enrolled", "home_schooling", "suspended"}
LABOUR_FORCE = {"skilled", "ordinary"}
LABOUR_CAPACITY = {"skilled", "ordinary", "weak"}


@dataclass(frozen=True)
class Policy:
    """The policy parameters of docs/contract/RULES.md, with its defaults."""

    monitoring_thresholds: Mapping[int, Decimal] = field(
        default_factory=lambda: {2021: Decimal(6000)}
    )
    dibao_standards: Mapping[int, Decimal] = field(
        default_factory=lambda: {2020: Decimal(5319), 2021: Decimal(5658)}
    )
    medical_burden_ratio: Decimal = Decimal("0.5")
    compulsory_ages: tuple[int, int] = (6, 15)
    working_ages: tuple[int, int] = (16, 60)
    feed_max_age_months: int = 2
    min_months_before_elimination: int = 6

    @staticmethod
    def for_year(table: Mapping[int, Decimal], year: int) -> Decimal:
        """A year not set uses the latest year that is; before the first, the earliest."""
        earlier = [y for y in table if y <= year]
        return Decimal(table[max(earlier) if earlier else min(table)])


# --- values ----------------------------------------------------------------------------------


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return str(value).strip() in ("", "NaT", "nan", "None", "<NA>")


def _date(value: Any) -> date | None:
    if _missing(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if hasattr(value, "date"):  # pandas Timestamp
        return value.date()
    return date.fromisoformat(str(value)[:10])


def _money(value: Any) -> Decimal | None:
    return None if _missing(value) else Decimal(str(value))


def _text(value: Any) -> str | None:
    return None if _missing(value) or str(value).strip() == "" else str(value)


def _bool(value: Any) -> bool | None:
    if _missing(value):
        return None
    if isinstance(value, str):
        return value.strip().lower() in ("true", "t", "1", "yes", "y")
    return bool(value)


def _records(rows: Any) -> list[dict]:
    if rows is None:
        return []
    if hasattr(rows, "to_dict"):
        rows = rows.to_dict("records")
    return [dict(r) for r in rows]


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def months_between(later: date, earlier: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months, the day clamped to the month's end (08-31 + 6 = 02-28)."""
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def age_on(birth: date | None, day: date) -> int | None:
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def birth_date(id_number: str) -> date | None:
    """Digits 7-14 of the id number; None when they are not a date."""
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except (ValueError, TypeError):
        return None


def read_truth(truth: Path | str) -> dict[str, list[dict]]:
    """The clean records of a generated province: ``<truth>/<YYYY-MM>/<feed>.csv``.

    Each row gets ``_snapshot_month`` from its folder; the files' ``_file`` and ``_line``
    columns become ``_source_file`` and ``_source_line`` (the tie-break of "delivered last").
    """
    feeds: dict[str, list[dict]] = defaultdict(list)
    for folder in sorted(Path(truth).iterdir()):
        if not folder.is_dir():
            continue
        month = date.fromisoformat(folder.name + "-01")
        for path in sorted(folder.glob("*.csv")):
            if path.stem == "invalid_rows":
                continue
            with open(path, encoding="utf-8", newline="") as f:
                for row in csv.DictReader(f):
                    row["_snapshot_month"] = month
                    row["_source_file"] = row.pop("_file", "")
                    row["_source_line"] = int(row.pop("_line", 0) or 0)
                    feeds[path.stem].append(row)
    return dict(feeds)


# --- snapshots -------------------------------------------------------------------------------


def _delivery_key(row: dict, position: int) -> tuple:
    """Rows delivered later win ties: load, then file name, then line, then input order."""
    return (
        int(row.get("_load_id") or 0),
        str(row.get("_source_file") or ""),
        int(row.get("_source_line") or 0),
        position,
    )


def _latest_per(rows: list[dict], key, order) -> dict:
    """One row per key: the greatest by ``order`` (then delivered last)."""
    best: dict = {}
    for position, row in enumerate(rows):
        k = key(row)
        rank = (order(row), _delivery_key(row, position))
        if k not in best or rank > best[k][0]:
            best[k] = (rank, row)
    return {k: row for k, (_, row) in best.items()}


class _Feeds:
    def __init__(self, feeds: Mapping[str, Any], policy: Policy) -> None:
        self.policy = policy
        self.by_snapshot: dict[str, dict[date, list[dict]]] = {}
        for feed, rows in feeds.items():
            grouped: dict[date, list[dict]] = defaultdict(list)
            for row in _records(rows):
                grouped[_date(row["_snapshot_month"])].append(row)
            self.by_snapshot[feed] = grouped

    def snapshot(self, feed: str, month: date) -> list[dict] | None:
        """The feed's rows for ``month``, or None when absent (docs/contract/RULES.md "Time")."""
        months = [m for m in self.by_snapshot.get(feed, {}) if m <= month]
        if not months:
            return None
        latest = max(months)
        if months_between(month, latest) > self.policy.feed_max_age_months:
            return None
        return self.by_snapshot[feed][latest]


# --- household months ------------------------------------------------------------------------


def household_months(
    feeds: Mapping[str, Any], months: Iterable[date], policy: Policy | None = None
) -> list[dict]:
    """One dict per registered household and month; months without a registry are skipped."""
    policy = policy or Policy()
    data = _Feeds(feeds, policy)
    out: list[dict] = []
    for month in sorted(set(months)):
        out.extend(_one_month(data, month, policy))
    return out


def unbuildable_months(
    feeds: Mapping[str, Any], months: Iterable[date], policy: Policy | None = None
) -> list[date]:
    """Months whose registry is out of reach: they are not built."""
    data = _Feeds(feeds, policy or Policy())
    return [m for m in sorted(set(months)) if any(data.snapshot(f, m) is None for f in REGISTRY)]


def _one_month(data: _Feeds, month: date, policy: Policy) -> list[dict]:
    hh_rows = data.snapshot("registry_households", month)
    member_rows = data.snapshot("registry_members", month)
    if hh_rows is None or member_rows is None:
        return []
    period_end = month_end(month)
    year = month.year
    threshold = policy.for_year(policy.monitoring_thresholds, year)
    dibao = policy.for_year(policy.dibao_standards, year)

    households = _latest_per(hh_rows, key=lambda r: r["household_id"], order=lambda r: 0)
    people = _latest_per(member_rows, key=lambda r: r["id_number"], order=lambda r: 0)
    members: dict[str, list[dict]] = defaultdict(list)
    for person in people.values():
        if person["household_id"] in households:  # orphans count for nothing
            members[person["household_id"]].append(person)

    education = data.snapshot("education", month)
    medical = data.snapshot("medical", month)
    housing = data.snapshot("housing", month)
    water = data.snapshot("water", month)
    employment = data.snapshot("employment", month)
    assistance = data.snapshot("social_assistance", month)

    status = {}
    if education is not None:
        latest = _latest_per(
            education,
            key=lambda r: r["id_number"],
            order=lambda r: _date(r["status_date"]) or date.min,
        )
        status = {pid: r["status"] for pid, r in latest.items()}
    med = {}
    if medical is not None:
        this_year = [r for r in medical if int(r["coverage_year"]) == year]
        med = _latest_per(
            this_year,
            key=lambda r: r["id_number"],
            order=lambda r: (
                r["enrollment_status"] == "active",
                _money(r.get("total_expense_yuan")) is not None,
                _money(r.get("total_expense_yuan")) or Decimal(0),
            ),
        )
    appraisal = {}
    if housing is not None:
        appraisal = _latest_per(
            housing,
            key=lambda r: r["householder_id_number"],
            order=lambda r: _date(r["appraisal_date"]) or date.min,
        )
    village_unsafe: dict[str, bool] = {}
    if water is not None:
        projects = _latest_per(
            water,
            key=lambda r: (r["village_code"], r["project_id"]),
            order=lambda r: _date(r["inspected_on"]) or date.min,
        )
        for (village, _), p in projects.items():
            fails = any(
                _bool(p.get(c)) is False
                for c in ("quantity_ok", "quality_ok", "convenience_ok", "reliability_ok")
            )
            danger = (
                _bool(p.get("hidden_danger")) is True and p.get("rectification_status") != "done"
            )
            village_unsafe[village] = village_unsafe.get(village, False) or fails or danger
    employed: set[str] = set()
    if employment is not None:
        employed = {r["id_number"] for r in employment if r["employment_status"] != "unemployed"}
    guaranteed: set[str] = set()
    if assistance is not None:
        for r in assistance:
            start, end = _date(r["start_on"]), _date(r.get("end_on"))
            in_force = start <= period_end and (end is None or end >= month)
            if in_force and r["assistance_type"] in ("dibao", "tekun"):
                guaranteed.add(r["id_number"])

    lo_edu, hi_edu = policy.compulsory_ages
    lo_job, hi_job = policy.working_ages
    rows = []
    for hid, hh in households.items():
        people_here = members.get(hid, [])
        ages = {p["id_number"]: age_on(birth_date(p["id_number"]), period_end) for p in people_here}
        school_age = [
            p
            for p in people_here
            if ages[p["id_number"]] is not None and lo_edu <= ages[p["id_number"]] <= hi_edu
        ]
        labour = [
            p
            for p in people_here
            if p["labour_capacity"] in LABOUR_FORCE
            and ages[p["id_number"]] is not None
            and lo_job <= ages[p["id_number"]] <= hi_job
        ]
        income = _money(hh["per_capita_net_income"]) or Decimal(0)
        head = appraisal.get(hh["head_id_number"])
        head_not_done = head is not None and head.get("rectification_status") != "done"

        sig = dict.fromkeys(SIGNALS, False)
        sig["sig_edu_dropout"] = any(
            status.get(p["id_number"]) == "dropped_out" for p in school_age
        )
        sig["sig_edu_unverified"] = any(p["id_number"] not in status for p in school_age)
        if medical is None:
            sig["sig_med_unverified"] = True
        else:
            sig["sig_med_uninsured"] = any(
                med.get(p["id_number"], {}).get("enrollment_status") != "active"
                for p in people_here
            )
            out_of_pocket = sum(
                (
                    _money(med.get(p["id_number"], {}).get("out_of_pocket_yuan")) or Decimal(0)
                    for p in people_here
                ),
                Decimal(0),
            )
            sig["sig_med_burden"] = out_of_pocket > policy.medical_burden_ratio * income * len(
                people_here
            )
        sig["sig_house_unverified"] = head is None
        sig["sig_house_unsafe"] = head_not_done and head["safety_grade"] in ("C", "D")
        sig["sig_disaster"] = head_not_done and _bool(head.get("disaster_damaged")) is True
        if water is None or hh["village_code"] not in village_unsafe:
            sig["sig_water_unverified"] = True
        else:
            sig["sig_water_unsafe"] = village_unsafe[hh["village_code"]]
        if employment is not None:
            sig["sig_job_none"] = bool(labour) and not any(
                p["id_number"] in employed for p in labour
            )
        sig["sig_income_low"] = income < threshold
        if assistance is not None:
            sig["sig_safety_net_gap"] = (
                not any(p["labour_capacity"] in LABOUR_CAPACITY for p in people_here)
                and income < dibao
                and not any(p["id_number"] in guaranteed for p in people_here)
            )

        should_monitor = any(
            sig[s]
            for s in (
                "sig_income_low",
                "sig_edu_dropout",
                "sig_med_uninsured",
                "sig_med_burden",
                "sig_house_unsafe",
                "sig_water_unsafe",
                "sig_disaster",
                "sig_safety_net_gap",
            )
        )
        state = hh["monitoring_status"]
        row = {
            "month": month,
            "household_id": hid,
            "county_code": hh["county_code"],
            "village_code": hh["village_code"],
            "member_count": len(people_here),
            "per_capita_net_income": income,
            "household_type": hh["household_type"],
            "monitoring_type": hh["monitoring_type"],
            "monitoring_status": state,
            **sig,
            "education_ok": not (sig["sig_edu_dropout"] or sig["sig_edu_unverified"]),
            "medical_ok": not (sig["sig_med_uninsured"] or sig["sig_med_unverified"]),
            "housing_ok": not (sig["sig_house_unsafe"] or sig["sig_house_unverified"]),
            "water_ok": not (sig["sig_water_unsafe"] or sig["sig_water_unverified"]),
            "should_monitor": should_monitor,
            "missed_identification": should_monitor and state != "at_risk",
            "relapse_after_elimination": should_monitor and state == "eliminated",
        }
        row["doubt_points"] = _doubts(hh, people_here, sig, policy)
        rows.append(row)
    return rows


def _doubts(hh: dict, people: list[dict], sig: dict, policy: Policy) -> set[str]:
    found = set()
    identified, eliminated = _date(hh.get("identified_on")), _date(hh.get("eliminated_on"))
    state, causes = hh["monitoring_status"], _text(hh.get("risk_causes"))
    if (
        identified
        and eliminated
        and eliminated < add_months(identified, policy.min_months_before_elimination)
    ):
        found.add("ELIMINATED_TOO_SOON")
    if state == "eliminated" and sig["sig_income_low"]:
        found.add("ELIMINATED_BELOW_LINE")
    if state == "at_risk" and causes is None:
        found.add("AT_RISK_WITHOUT_CAUSE")
    if state in ("at_risk", "eliminated") and identified is None:
        found.add("MONITORED_WITHOUT_DATE")
    if "unstable_employment" in (causes or "").split(";") and not any(
        p["labour_capacity"] in LABOUR_CAPACITY for p in people
    ):
        found.add("EMPLOYMENT_CAUSE_NO_LABOUR")
    if (hh["monitoring_type"] == "none") != (state == "not_monitored"):
        found.add("TYPE_STATUS_MISMATCH")
    return found


# --- problem ledger --------------------------------------------------------------------------


def problem_ledger(rows: Iterable[dict]) -> list[dict]:
    """Problems from household-month rows (of the months built, in order).

    Found in the first month a signal is present; closed in the next built month: rectified
    if the household is registered without the signal, left_registry if it is not registered;
    open if the signal is present in the last built month.
    """
    rows = list(rows)
    months = sorted({r["month"] for r in rows})
    by_key = {(r["household_id"], r["month"]): r for r in rows}
    households = sorted({r["household_id"] for r in rows})
    problems = []
    for hid in households:
        for code in PROBLEM_CODES:
            flag = "sig_" + code.lower()
            current = None
            for month in months:
                row = by_key.get((hid, month))
                present = row is not None and row[flag]
                if present and current is None:
                    current = {
                        "household_id": hid,
                        "county_code": row["county_code"],
                        "code": code,
                        "found_month": month,
                        "closed_month": None,
                        "outcome": "open",
                    }
                elif not present and current is not None:
                    current["closed_month"] = month
                    current["outcome"] = "rectified" if row is not None else "left_registry"
                    problems.append(current)
                    current = None
            if current is not None:
                problems.append(current)
    return problems


def rectification(problems: Iterable[dict], county_code: str, month: date) -> tuple[int, int]:
    """(found from January of the month's year to the month, rectified by the month)."""
    found = [
        p
        for p in problems
        if p["county_code"] == county_code and date(month.year, 1, 1) <= p["found_month"] <= month
    ]
    fixed = [p for p in found if p["outcome"] == "rectified" and p["closed_month"] <= month]
    return len(found), len(fixed)


# --- feed coverage ---------------------------------------------------------------------------

#: Per feed: what its coverage counts (RULES.md "Feed reporting" via EVALUATOR_GUIDE.md), the
#: population it should cover (None: social assistance has none), and the field of its records
#: that names what it covers.
COVERAGE = {
    "registry_households": ("households", "households", "household_id"),
    "registry_members": ("people", "people", "id_number"),
    "education": ("people", "compulsory_age_people", "id_number"),
    "medical": ("people", "people", "id_number"),
    "housing": ("household_heads", "household_heads", "householder_id_number"),
    "water": ("villages", "villages", "village_code"),
    "employment": ("people", "working_age_labour", "id_number"),
    "social_assistance": ("people", None, "id_number"),
}


def feed_coverage(
    feeds: Mapping[str, Any], months: Iterable[date], policy: Policy | None = None
) -> list[dict]:
    """Per built month and feed: the registered population on the feed's basis and the part of
    it the delivery of that very month covers, and the same for the population the feed should
    cover (education: members aged 6-15 at the month's end; employment: members aged 16-60 who
    are skilled or ordinary labour; social assistance: none, so None)."""
    policy = policy or Policy()
    data = _Feeds(feeds, policy)
    out: list[dict] = []
    for month in sorted(set(months)):
        hh_rows = data.snapshot("registry_households", month)
        member_rows = data.snapshot("registry_members", month)
        if hh_rows is None or member_rows is None:
            continue
        households = _latest_per(hh_rows, key=lambda r: r["household_id"], order=lambda r: 0)
        people = {
            pid: p
            for pid, p in _latest_per(
                member_rows, key=lambda r: r["id_number"], order=lambda r: 0
            ).items()
            if p["household_id"] in households
        }
        end = month_end(month)
        ages = {pid: age_on(birth_date(pid), end) for pid in people}
        lo_edu, hi_edu = policy.compulsory_ages
        lo_job, hi_job = policy.working_ages
        populations: dict[str, set[str]] = {
            "households": set(households),
            "people": set(people),
            "household_heads": {h["head_id_number"] for h in households.values()},
            "villages": {h["village_code"] for h in households.values()},
            "compulsory_age_people": {
                pid for pid, age in ages.items() if age is not None and lo_edu <= age <= hi_edu
            },
            "working_age_labour": {
                pid
                for pid, age in ages.items()
                if age is not None
                and lo_job <= age <= hi_job
                and people[pid]["labour_capacity"] in LABOUR_FORCE
            },
        }
        for feed, (basis, target, field_name) in COVERAGE.items():
            delivered = {str(r[field_name]) for r in data.by_snapshot.get(feed, {}).get(month, [])}
            row = {
                "month": month,
                "feed": feed,
                "coverage_basis": basis,
                "registered": len(populations[basis]),
                "covered": len(populations[basis] & delivered),
                "target_population": target,
                "target_registered": None,
                "target_covered": None,
            }
            if target is not None:
                row["target_registered"] = len(populations[target])
                row["target_covered"] = len(populations[target] & delivered)
            out.append(row)
    return out
