"""A tiny hand-made province: one household per rule case, each just meeting or just missing it.

Rows use the raw-layer contract (docs/ARCHITECTURE.md): the feed's columns, typed, plus
``_snapshot_month`` (``_load_id``, ``_source_file`` and ``_source_line`` are added on insert).
``EXPECTED`` gives, per month and household, the signals that must be true (every other
``sig_`` flag must be false) and ``EXPECTED_DOUBTS`` the doubt points.

Months built: 2020-01 (registry of county L only), 2021-01 .. 2021-04. The registry, the
housing feed every month of 2021; education, medical, water, employment and social assistance
only in 2021-01, so they are 2 months old (present) in 2021-03 and 3 months old (absent) in
2021-04.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"

JAN20 = date(2020, 1, 1)
JAN, FEB, MAR, APR = (date(2021, m, 1) for m in (1, 2, 3, 4))
MONTHS_2021 = [JAN, FEB, MAR, APR]
BUILD_MONTHS = [JAN20, *MONTHS_2021]

_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_number(area: str, birth: date, seq: int, male: bool = True) -> str:
    """A valid 18-character id (ISO 7064 MOD 11-2 check character)."""
    sex_digit = (seq % 5) * 2 + (1 if male else 0)
    body = f"{area}{birth:%Y%m%d}{seq % 100:02d}{sex_digit}"
    total = sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def _read_codes(name: str) -> list[str]:
    with open(SEEDS / name, encoding="utf-8") as f:
        return [row["county_code"] for row in csv.DictReader(f)]


def _counties() -> tuple[list[str], str, str]:
    """Four key counties and two others, from the seeds the build uses."""
    key = sorted(set(_read_codes("key_counties.csv")))
    others = [c for c in sorted(_read_codes("shanxi_counties.csv")) if c not in key]
    return key[:4], others[0], others[1]


KEY_COUNTIES, COUNTY_N, COUNTY_L = _counties()
K1, K2, K3, K4 = KEY_COUNTIES


def village(county: str, n: int) -> str:
    return f"{county}001{n:03d}"


@dataclass
class Member:
    id_number: str
    birth: date
    relation: str = "head"
    labour: str = "ordinary"
    health: str = "healthy"
    # medical rows for this person: (coverage_year, status, total, out_of_pocket)
    medical: list[tuple[int, str, float, float]] = field(
        default_factory=lambda: [(2021, "active", 1000.0, 100.0)]
    )
    # (status, status_date) rows; empty = no education record
    education: list[tuple[str, date]] = field(default_factory=list)
    # employment statuses; empty = no record
    employment: list[str] = field(default_factory=list)
    # (type, start_on, end_on)
    assistance: list[tuple[str, date, date | None]] = field(default_factory=list)


@dataclass
class Household:
    household_id: str
    county: str
    village: str
    members: list[Member]
    income: float = 10000.0
    household_type: str = "ordinary"
    monitoring_type: str = "none"
    monitoring_status: str = "not_monitored"
    identified_on: date | None = None
    eliminated_on: date | None = None
    risk_causes: str | None = None
    # head's appraisals per month: month -> [(date, grade, disaster, status)]; default A
    housing: dict[date, list[tuple[date, str, bool, str]]] | None = None
    head_id: str | None = None
    registry_months: list[date] = field(default_factory=lambda: list(MONTHS_2021))
    income_by_month: dict[date, float] = field(default_factory=dict)


class Builder:
    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = defaultdict(list)
        self.households: list[Household] = []
        self._seq = 0

    def person(self, area: str, birth: date, **kw) -> Member:
        self._seq += 1
        return Member(id_number(area, birth, self._seq, male=self._seq % 2 == 1), birth, **kw)

    def head(self, area: str, **kw) -> Member:
        kw.setdefault("employment", ["local"])
        return self.person(area, date(1980, 6, 15), **kw)

    def add(self, hh: Household) -> Household:
        self.households.append(hh)
        return hh

    def row(self, feed: str, month: date, **values) -> None:
        self.rows[feed].append({"_snapshot_month": month, **values})

    def emit(self) -> dict[str, list[dict]]:
        default_housing = [(date(2020, 5, 1), "A", False, "not_needed")]
        for hh in self.households:
            head = hh.members[0] if hh.members else None
            head_id = hh.head_id or head.id_number
            for month in hh.registry_months:
                self.row(
                    "registry_households",
                    month,
                    household_id=hh.household_id,
                    county_code=hh.county,
                    village_code=hh.village,
                    head_id_number=head_id,
                    household_type=hh.household_type,
                    monitoring_type=hh.monitoring_type,
                    monitoring_status=hh.monitoring_status,
                    identified_on=hh.identified_on,
                    eliminated_on=hh.eliminated_on,
                    risk_causes=hh.risk_causes,
                    per_capita_net_income=hh.income_by_month.get(month, hh.income),
                    relocated=False,
                )
                for m in hh.members:
                    self.row(
                        "registry_members",
                        month,
                        household_id=hh.household_id,
                        id_number=m.id_number,
                        name="某某",
                        relation=m.relation,
                        labour_capacity=m.labour,
                        health=m.health,
                    )
            for month in MONTHS_2021:
                if month not in hh.registry_months and hh.housing is None:
                    continue
                appraisals = (
                    (hh.housing or {}).get(month, default_housing)
                    if (hh.housing is None or month in hh.housing)
                    else []
                )
                for appraised, grade, disaster, status in appraisals:
                    self.row(
                        "housing",
                        month,
                        village_code=hh.village,
                        householder_id_number=head_id,
                        appraisal_date=appraised,
                        safety_grade=grade,
                        disaster_damaged=disaster,
                        rectification_status=status,
                        rectified_on=appraised if status == "done" else None,
                    )
            for m in hh.members:
                self._person_feeds(m)
        return self.rows

    def _person_feeds(self, m: Member) -> None:
        for year, status, total, oop in m.medical:
            self.row(
                "medical",
                JAN,
                id_number=m.id_number,
                name="某某",
                coverage_year=year,
                scheme="resident",
                enrollment_status=status,
                chronic_outpatient=False,
                total_expense_yuan=total,
                reimbursed_yuan=max(total - oop, 0),
                out_of_pocket_yuan=oop,
            )
        for status, on in m.education:
            self.row(
                "education",
                JAN,
                id_number=m.id_number,
                name="某某",
                school_code="S1",
                school_name="小学",
                stage="primary",
                status=status,
                status_date=on,
                subsidy_yuan=0,
            )
        for status in m.employment:
            self.row(
                "employment",
                JAN,
                id_number=m.id_number,
                name="某某",
                employment_status=status,
                work_location="in_county",
                months_employed=6,
                monthly_income_yuan=3000,
            )
        for kind, start, end in m.assistance:
            self.row(
                "social_assistance",
                JAN,
                id_number=m.id_number,
                name="某某",
                assistance_type=kind,
                monthly_amount_yuan=500,
                start_on=start,
                end_on=end,
            )


def water_project(
    b: Builder,
    village_code: str,
    project: str,
    *,
    ok: bool = True,
    quality: bool = True,
    danger: bool = False,
    status: str = "not_needed",
) -> None:
    b.row(
        "water",
        JAN,
        village_code=village_code,
        project_id=project,
        supply_mode="centralized",
        quantity_ok=ok,
        quality_ok=quality,
        convenience_ok=True,
        reliability_ok=True,
        hidden_danger=danger,
        rectification_status=status,
        inspected_on=date(2020, 11, 1),
    )


# --- the province ----------------------------------------------------------------------------

EXPECTED: dict[date, dict[str, set[str]]] = defaultdict(dict)
EXPECTED_DOUBTS: dict[str, set[str]] = {}


def _build() -> dict[str, list[dict]]:
    b = Builder()
    n = COUNTY_N
    vn_ok, vn_bad, vn_danger, vn_danger_done, vn_none, vn_unlinked = (
        village(n, i) for i in range(1, 7)
    )
    water_project(b, vn_ok, "P1")
    water_project(b, vn_bad, "P2")
    water_project(b, vn_bad, "P3", quality=False)
    water_project(b, vn_danger, "P4", danger=True, status="in_progress")
    water_project(b, vn_danger_done, "P5", danger=True, status="done")
    water_project(b, vn_unlinked, "P6", ok=False)  # a village without registered households

    def hh(hid: str, members: list[Member], jan: set[str], vil: str = vn_ok, **kw) -> Household:
        EXPECTED[JAN][hid] = jan
        return b.add(Household(hid, n, vil, members, **kw))

    def child(birth: date, **kw) -> Member:
        kw.setdefault("labour", "none")
        return b.person(n, birth, relation="child", **kw)

    hh("N-BASE", [b.head(n)], set())
    # EDU: ages 6-15 at period_end 2021-01-31, inclusive
    hh(
        "N-EDU-15-DROP",
        [b.head(n), child(date(2005, 2, 1), education=[("dropped_out", date(2020, 9, 1))])],
        {"sig_edu_dropout"},
    )
    hh(
        "N-EDU-16-DROP",
        [b.head(n), child(date(2005, 1, 31), education=[("dropped_out", date(2020, 9, 1))])],
        set(),
    )
    hh("N-EDU-6-NOREC", [b.head(n), child(date(2015, 1, 31))], {"sig_edu_unverified"})
    hh("N-EDU-5-NOREC", [b.head(n), child(date(2015, 2, 1))], set())
    hh(
        "N-EDU-LATEST-ENROLLED",
        [
            b.head(n),
            child(
                date(2010, 5, 5),
                education=[("dropped_out", date(2020, 9, 1)), ("enrolled", date(2020, 12, 1))],
            ),
        ],
        set(),
    )
    hh(
        "N-EDU-LATEST-DROPPED",
        [
            b.head(n),
            child(
                date(2010, 5, 5),
                education=[("enrolled", date(2020, 9, 1)), ("dropped_out", date(2020, 12, 1))],
            ),
        ],
        {"sig_edu_dropout"},
    )
    hh(
        "N-EDU-GRADUATED",
        [b.head(n), child(date(2008, 3, 3), education=[("graduated", date(2020, 7, 1))])],
        set(),
    )
    # MED: an active enrolment for 2021 (any scheme)
    hh("N-MED-SUSPENDED", [b.head(n, medical=[(2021, "suspended", 0, 0)])], {"sig_med_uninsured"})
    hh("N-MED-NOROW", [b.head(n, medical=[])], {"sig_med_uninsured"})
    hh("N-MED-2020-ONLY", [b.head(n, medical=[(2020, "active", 10, 0)])], {"sig_med_uninsured"})
    hh(
        "N-MED-ACTIVE-WINS",
        [b.head(n, medical=[(2021, "suspended", 9000, 9000), (2021, "active", 100, 50)])],
        set(),
    )
    # MED_BURDEN: 2 members x 10000 income -> 20000; 0.5 x 20000 = 10000
    hh(
        "N-BURDEN-ABOVE",
        [
            b.head(n, medical=[(2021, "active", 9000, 6000)]),
            b.person(
                n, date(1982, 1, 1), relation="spouse", medical=[(2021, "active", 5000, 4000.01)]
            ),
        ],
        {"sig_med_burden"},
    )
    hh(
        "N-BURDEN-EQUAL",
        [
            b.head(n, medical=[(2021, "active", 9000, 6000)]),
            b.person(
                n, date(1982, 1, 1), relation="spouse", medical=[(2021, "active", 5000, 4000)]
            ),
        ],
        set(),
    )

    # HOUSE / DISASTER: the head's latest appraisal
    def housing(*appraisals):
        return {m: list(appraisals) for m in MONTHS_2021}

    hh(
        "N-HOUSE-C-IN-PROGRESS",
        [b.head(n)],
        {"sig_house_unsafe"},
        housing=housing((date(2020, 6, 1), "C", False, "in_progress")),
    )
    hh(
        "N-HOUSE-C-DONE",
        [b.head(n)],
        set(),
        housing=housing((date(2020, 6, 1), "C", False, "done")),
    )
    hh(
        "N-HOUSE-D",
        [b.head(n)],
        {"sig_house_unsafe"},
        housing=housing((date(2020, 6, 1), "D", False, "not_needed")),
    )
    hh(
        "N-HOUSE-B",
        [b.head(n)],
        set(),
        housing=housing((date(2020, 6, 1), "B", False, "not_needed")),
    )
    hh(
        "N-HOUSE-LATEST-A",
        [b.head(n)],
        set(),
        housing=housing(
            (date(2019, 5, 1), "D", False, "in_progress"),
            (date(2020, 10, 1), "A", False, "not_needed"),
        ),
    )
    spouse = b.person(n, date(1981, 1, 1), relation="spouse")
    hh_unverified = hh("N-HOUSE-NONE", [b.head(n), spouse], {"sig_house_unverified"}, housing={})
    # an appraisal of the spouse (not the head) does not count for the household
    for month in MONTHS_2021:
        b.row(
            "housing",
            month,
            village_code=hh_unverified.village,
            householder_id_number=spouse.id_number,
            appraisal_date=date(2020, 6, 1),
            safety_grade="D",
            disaster_damaged=False,
            rectification_status="in_progress",
            rectified_on=None,
        )
    hh(
        "N-DISASTER",
        [b.head(n)],
        {"sig_disaster"},
        housing=housing((date(2020, 8, 1), "B", True, "in_progress")),
    )
    hh(
        "N-DISASTER-DONE",
        [b.head(n)],
        set(),
        housing=housing((date(2020, 8, 1), "B", True, "done")),
    )
    # WATER: every household of a village shares its result
    hh("N-WATER-FAILS", [b.head(n)], {"sig_water_unsafe"}, vil=vn_bad)
    hh("N-WATER-DANGER", [b.head(n)], {"sig_water_unsafe"}, vil=vn_danger)
    hh("N-WATER-DANGER-DONE", [b.head(n)], set(), vil=vn_danger_done)
    hh("N-WATER-NONE", [b.head(n)], {"sig_water_unverified"}, vil=vn_none)
    # JOB_NONE: ages 16-60 inclusive, skilled or ordinary, no record other than unemployed
    hh("N-JOB-60", [b.person(n, date(1960, 2, 1), employment=[])], {"sig_job_none"})
    hh("N-JOB-61", [b.person(n, date(1960, 1, 31), employment=[])], set())
    hh(
        "N-JOB-16-UNEMPLOYED",
        [b.person(n, date(2005, 1, 31), employment=["unemployed"])],
        {"sig_job_none"},
    )
    hh(
        "N-JOB-ONE-EMPLOYED",
        [
            b.head(n),
            b.person(
                n, date(1985, 1, 1), relation="spouse", labour="skilled", employment=["unemployed"]
            ),
        ],
        set(),
    )
    hh("N-JOB-WEAK", [b.person(n, date(1980, 1, 1), labour="weak", employment=[])], set())
    # INCOME_LOW: below the 2021 threshold 6000
    hh("N-INCOME-AT", [b.head(n)], set(), income=6000.00)
    hh("N-INCOME-BELOW", [b.head(n)], {"sig_income_low"}, income=5999.99)
    hh("N-INCOME-6500", [b.head(n)], set(), income=6500.00)
    # SAFETY_NET_GAP: no labour capacity, income below dibao 5658, no dibao/tekun in force
    old = date(1950, 3, 3)

    def lost(**kw) -> list[Member]:
        return [b.person(n, old, labour="lost", health="serious", employment=[], **kw)]

    low = {"sig_safety_net_gap", "sig_income_low"}
    hh("N-GAP", lost(), low, income=5657.99)
    hh("N-GAP-AT-DIBAO", lost(), {"sig_income_low"}, income=5658.00)
    hh(
        "N-GAP-DIBAO",
        lost(assistance=[("dibao", date(2020, 1, 1), None)]),
        {"sig_income_low"},
        income=5000,
    )
    hh(
        "N-GAP-DIBAO-ENDED",
        lost(assistance=[("dibao", date(2019, 1, 1), date(2020, 12, 31))]),
        low,
        income=5000,
    )
    hh(
        "N-GAP-DIBAO-ENDS-1ST",
        lost(assistance=[("dibao", date(2019, 1, 1), date(2021, 1, 1))]),
        {"sig_income_low"},
        income=5000,
    )
    hh(
        "N-GAP-DIBAO-STARTS-NEXT",
        lost(assistance=[("dibao", date(2021, 2, 1), None)]),
        low,
        income=5000,
    )
    hh(
        "N-GAP-TEMPORARY",
        lost(assistance=[("temporary", date(2020, 1, 1), None)]),
        low,
        income=5000,
    )
    hh(
        "N-GAP-TEKUN",
        lost(assistance=[("tekun", date(2020, 1, 1), None)]),
        {"sig_income_low"},
        income=5000,
    )
    hh(
        "N-GAP-WEAK",
        [b.person(n, old, labour="weak", employment=[])],
        {"sig_income_low"},
        income=5000,
    )
    # a household with no members at all (its head's id is known only from the household row)
    hh("N-EMPTY", [], low, income=5000, head_id=id_number(n, date(1970, 1, 1), 999))
    # monitoring status: missed identification and relapse after elimination
    hh("N-MISSED", [b.head(n)], {"sig_income_low"}, income=5000)
    monitored = dict(
        monitoring_type="marginal", identified_on=date(2020, 6, 1), risk_causes="illness"
    )
    hh(
        "N-AT-RISK",
        [b.head(n)],
        {"sig_income_low"},
        income=5000,
        monitoring_status="at_risk",
        **monitored,
    )
    eliminated = dict(
        monitoring_type="unstable",
        monitoring_status="eliminated",
        identified_on=date(2019, 1, 10),
        risk_causes="illness",
    )
    hh(
        "N-ELIMINATED-RELAPSE",
        [b.head(n)],
        {"sig_income_low"},
        income=5999.99,
        eliminated_on=date(2019, 12, 10),
        **eliminated,
    )
    hh(
        "N-ELIMINATED-6M",
        [b.head(n)],
        set(),
        income=6000,
        eliminated_on=date(2019, 7, 10),
        **eliminated,
    )
    # registry doubt points
    hh(
        "N-ELIMINATED-5M",
        [b.head(n)],
        set(),
        income=8000,
        eliminated_on=date(2019, 7, 9),
        **eliminated,
    )
    hh(
        "N-AT-RISK-NO-CAUSE",
        [b.head(n)],
        set(),
        monitoring_status="at_risk",
        **{**monitored, "risk_causes": None},
    )
    hh(
        "N-AT-RISK-NO-DATE",
        [b.head(n)],
        set(),
        monitoring_status="at_risk",
        **{**monitored, "identified_on": None},
    )
    hh(
        "N-ELIMINATED-NO-DATE",
        [b.head(n)],
        set(),
        **{**eliminated, "identified_on": None, "eliminated_on": date(2020, 1, 1)},
    )
    unstable = {**monitored, "risk_causes": "illness;unstable_employment"}
    hh("N-CAUSE-NO-LABOUR", lost(), set(), income=8000, monitoring_status="at_risk", **unstable)
    hh(
        "N-CAUSE-WEAK",
        [b.person(n, old, labour="weak", employment=[])],
        set(),
        income=8000,
        monitoring_status="at_risk",
        **unstable,
    )
    hh(
        "N-TYPE-NONE-AT-RISK",
        [b.head(n)],
        set(),
        monitoring_status="at_risk",
        **{**monitored, "monitoring_type": "none"},
    )
    hh("N-TYPE-MARGINAL-NOT-MONITORED", [b.head(n)], set(), monitoring_type="marginal")
    EXPECTED_DOUBTS.update(
        {
            "N-ELIMINATED-RELAPSE": {"ELIMINATED_BELOW_LINE"},
            "N-ELIMINATED-5M": {"ELIMINATED_TOO_SOON"},
            "N-AT-RISK-NO-CAUSE": {"AT_RISK_WITHOUT_CAUSE"},
            "N-AT-RISK-NO-DATE": {"MONITORED_WITHOUT_DATE"},
            "N-ELIMINATED-NO-DATE": {"MONITORED_WITHOUT_DATE"},
            "N-CAUSE-NO-LABOUR": {"EMPLOYMENT_CAUSE_NO_LABOUR"},
            "N-TYPE-NONE-AT-RISK": {"TYPE_STATUS_MISMATCH"},
            "N-TYPE-MARGINAL-NOT-MONITORED": {"TYPE_STATUS_MISMATCH"},
        }
    )

    # records that link to nobody: unregistered people, a member of no household (orphan)
    stranger = id_number(n, date(1990, 1, 1), 998)
    b.row(
        "education",
        JAN,
        id_number=stranger,
        name="某某",
        school_code="S1",
        school_name="小学",
        stage="primary",
        status="enrolled",
        status_date=date(2020, 9, 1),
        subsidy_yuan=0,
    )
    b.row(
        "medical",
        JAN,
        id_number=stranger,
        name="某某",
        coverage_year=2021,
        scheme="resident",
        enrollment_status="active",
        chronic_outpatient=False,
        total_expense_yuan=0,
        reimbursed_yuan=0,
        out_of_pocket_yuan=0,
    )
    b.row(
        "employment",
        JAN,
        id_number=stranger,
        name="某某",
        employment_status="local",
        work_location="in_county",
        months_employed=1,
        monthly_income_yuan=100,
    )
    b.row(
        "social_assistance",
        JAN,
        id_number=stranger,
        name="某某",
        assistance_type="dibao",
        monthly_amount_yuan=500,
        start_on=date(2020, 1, 1),
        end_on=None,
    )
    orphan = b.person(n, date(1985, 5, 5), relation="spouse")
    for month in MONTHS_2021:
        b.row(
            "registry_members",
            month,
            household_id="N-GHOST",
            id_number=orphan.id_number,
            name="某某",
            relation=orphan.relation,
            labour_capacity=orphan.labour,
            health=orphan.health,
        )

    # County L: the problem ledger (HOUSE_UNSAFE over four months) and income growth
    vl = village(COUNTY_L, 1)
    water_project(b, vl, "PL1")
    unsafe = (date(2020, 12, 1), "C", False, "in_progress")
    fixed = (date(2020, 12, 1), "C", False, "done")
    again = (date(2021, 3, 10), "D", False, "in_progress")
    safe = (date(2020, 5, 1), "A", False, "not_needed")
    ledger = {
        "L-RECTIFIED": {JAN: [unsafe], FEB: [unsafe], MAR: [fixed], APR: [fixed]},
        "L-RECURS": {JAN: [unsafe], FEB: [fixed], MAR: [fixed, again], APR: [fixed, again]},
        "L-LEAVES": {JAN: [unsafe], FEB: [unsafe], MAR: [unsafe], APR: [unsafe]},
        "L-LATE": {JAN: [safe], FEB: [unsafe], MAR: [unsafe], APR: [unsafe]},
        "L-SAFE": {m: [safe] for m in MONTHS_2021},
    }
    incomes_2020 = [8000, 9000, 10000, 11000, 12000]
    for (hid, appraisals), income_2020 in zip(ledger.items(), incomes_2020, strict=True):
        months = [JAN20, JAN, FEB] if hid == "L-LEAVES" else [JAN20, *MONTHS_2021]
        b.add(
            Household(
                hid,
                COUNTY_L,
                vl,
                [b.head(COUNTY_L)],
                housing=appraisals,
                registry_months=months,
                income=round(income_2020 * 1.1, 2),
                income_by_month={JAN20: income_2020},
            )
        )
        EXPECTED[JAN20][hid] = {
            "sig_med_unverified",
            "sig_house_unverified",
            "sig_water_unverified",
        }
        for month in MONTHS_2021:
            if month in months:
                latest = appraisals[month][-1]
                unsafe_now = latest[1] in "CD" and latest[3] != "done"
                EXPECTED[month][hid] = {"sig_house_unsafe"} if unsafe_now else set()
        if APR in months:  # medical and water are 3 months old in April: absent
            EXPECTED[APR][hid] |= {"sig_med_unverified", "sig_water_unverified"}

    # Key counties: scores 100, 52.94, 52.94, 35.29 in January -> ranks 1, 2, 2, 4
    d_house = {m: [(date(2020, 6, 1), "D", False, "not_needed")] for m in MONTHS_2021}
    for county, vil_n, house, water_ok in [
        (K1, 1, None, True),
        (K2, 1, d_house, True),
        (K3, 1, d_house, True),
        (K4, 2, d_house, False),
    ]:
        vil = village(county, vil_n)
        water_project(b, vil, f"PK{county}", quality=water_ok)
        b.add(Household(f"K-{county}", county, vil, [b.head(county)], housing=house))
        EXPECTED[JAN][f"K-{county}"] = (set() if house is None else {"sig_house_unsafe"}) | (
            set() if water_ok else {"sig_water_unsafe"}
        )
    return b.emit()


FEEDS: dict[str, list[dict]] = _build()

# Scorecard expectations (county, month) -> columns
SCORES_JAN = {K1: 100.00, K2: 52.94, K3: 52.94, K4: 35.29}
RANKS_JAN = {K1: 1, K2: 2, K3: 2, K4: 4}
SCORES_APR = {K1: 50.00, K2: 0.00, K3: 0.00, K4: 7.14}
RANKS_APR = {K1: 1, K2: 3, K3: 3, K4: 2}
# County L, problems found since January and rectified by the month
RECTIFICATION_L = {JAN: (3, 0), FEB: (4, 1), MAR: (5, 2), APR: (5, 2)}


# --- loading into raw ------------------------------------------------------------------------


def insert_raw(conn, feeds: dict[str, list[dict]]) -> None:  # noqa: ANN001 - psycopg connection
    """Insert the rows into ``raw.<feed>`` as the loader would: one load per (feed, month), its
    ``ops.load_history`` row (status loaded, rows_loaded, landed on the first day of the next
    month, on time) written too, as staging lists the snapshots from there
    (``stg_raw__snapshots``)."""
    grouped: dict[tuple[str, date], list[dict]] = defaultdict(list)
    for feed, rows in feeds.items():
        for row in rows:
            grouped[(feed, row["_snapshot_month"])].append(row)
    for (feed, month), rows in grouped.items():
        load_id = conn.execute(
            "insert into ops.load_history (feed, month, file_name, file_path, checksum, status,"
            " rows_read, rows_loaded, rows_quarantined, arrived_at, finished_at)"
            " values (%s, %s, %s, %s, %s, 'loaded', %s, %s, 0,"
            " cast(%s as date) + interval '1 month 12 hours', now()) returning load_id",
            (feed, month, f"{feed}.csv", f"/landing/{feed}.csv",
             f"oracle-{feed}-{month.isoformat()}", len(rows), len(rows), month),
        ).fetchone()[0]
        for line, row in enumerate(rows, start=2):
            values = {
                "_load_id": load_id,
                "_source_file": f"{feed}.csv",
                "_source_line": line,
                **row,
            }
            columns = ", ".join(values)
            marks = ", ".join(["%s"] * len(values))
            conn.execute(
                f"insert into raw.{feed} ({columns}) values ({marks})", list(values.values())
            )
