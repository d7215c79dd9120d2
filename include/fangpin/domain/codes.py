"""The domain's names, declared once (docs/contract/FEEDS.md and RULES.md).

A new signal is one ``Signal`` below plus its rule (in ``int_household_month``); a new feed is
one ``FeedName`` plus its contract (``fangpin.feeds.contracts``) and staging model. Everything
that lists feeds or codes (dbt through the generated ``fangpin_domain()`` macro, the audit
suites, the report, the oracle of the tests) reads these tuples instead of restating them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class FeedName:
    """One departmental feed: its name, its staging model and how its records link to people.

    ``link``: ``registry`` (the registry itself), ``person`` (a member's id number), ``head``
    (the household head's id number) or ``village`` (a village code).
    """

    feed: str
    model: str
    link: str


@dataclass(frozen=True)
class Signal:
    """A household signal (信号): its code, label, feed, guarantee, and what it makes.

    ``monitor``: it makes ``should_monitor`` true. ``problem``: it opens a problem in the
    ledger (fct_problem). ``guarantee``: the guarantee (``education`` …) it breaks, if any.
    """

    code: str
    chinese: str
    feed: str | None
    guarantee: str | None = None
    monitor: bool = False
    problem: bool = False

    @property
    def column(self) -> str:
        """The boolean column of the household facts: ``sig_edu_dropout``."""
        return f"sig_{self.code.lower()}"


@dataclass(frozen=True)
class Named:
    """A name of the contract with its Chinese label, stored in a column named after it."""

    name: str
    chinese: str
    #: How the column is named after the name: ``{}_ok`` → ``education_ok``.
    COLUMN: ClassVar[str] = "{}"

    @property
    def column(self) -> str:
        return self.COLUMN.format(self.name.lower())


@dataclass(frozen=True)
class Guarantee(Named):
    """One of the four guarantees (三保障和饮水安全): met when none of its signals is raised."""

    COLUMN: ClassVar[str] = "{}_ok"


@dataclass(frozen=True)
class DoubtPoint(Named):
    """A registry doubt point (疑点): its code is its name, its column ``dp_<code>``."""

    COLUMN: ClassVar[str] = "dp_{}"

    @property
    def code(self) -> str:
        return self.name


@dataclass(frozen=True)
class Rate(Named):
    """One of the seven scored rates of the county scorecard, with its English label."""

    english: str = ""
    COLUMN: ClassVar[str] = "{}_rate"


#: The eight feeds, in the order docs/contract/FEEDS.md lists them.
FEEDS: tuple[FeedName, ...] = (
    FeedName("registry_households", "stg_registry_households__households", "registry"),
    FeedName("registry_members", "stg_registry_members__members", "registry"),
    FeedName("education", "stg_education__student_status", "person"),
    FeedName("medical", "stg_medical__enrolments", "person"),
    FeedName("housing", "stg_housing__appraisals", "head"),
    FeedName("water", "stg_water__inspections", "village"),
    FeedName("employment", "stg_employment__jobs", "person"),
    FeedName("social_assistance", "stg_social_assistance__assistance", "person"),
)
FEED_NAMES: tuple[str, ...] = tuple(f.feed for f in FEEDS)
#: The feeds without which a month is not built (docs/contract/RULES.md "Time").
REGISTRY_FEEDS: tuple[str, ...] = tuple(f.feed for f in FEEDS if f.link == "registry")

GUARANTEES: tuple[Guarantee, ...] = (
    Guarantee("education", "义务教育有保障"),
    Guarantee("medical", "基本医疗有保障"),
    Guarantee("housing", "住房安全有保障"),
    Guarantee("water", "饮水安全有保障"),
)

#: The thirteen signals, in the order of docs/contract/RULES.md "Household signals".
SIGNALS: tuple[Signal, ...] = (
    Signal("EDU_DROPOUT", "义务教育辍学", "education", "education", monitor=True, problem=True),
    Signal("EDU_UNVERIFIED", "义务教育未核实", "education", "education"),
    Signal("MED_UNINSURED", "未参保", "medical", "medical", monitor=True, problem=True),
    Signal("MED_UNVERIFIED", "医保未核实", "medical", "medical"),
    Signal("MED_BURDEN", "医疗负担重", "medical", monitor=True),
    Signal("HOUSE_UNSAFE", "住房不安全", "housing", "housing", monitor=True, problem=True),
    Signal("HOUSE_UNVERIFIED", "住房未核实", "housing", "housing"),
    Signal("WATER_UNSAFE", "饮水不安全", "water", "water", monitor=True, problem=True),
    Signal("WATER_UNVERIFIED", "饮水未核实", "water", "water"),
    Signal("DISASTER", "因灾受损", "housing", monitor=True, problem=True),
    Signal("JOB_NONE", "无就业", "employment"),
    Signal("INCOME_LOW", "收入低于防返贫监测标准", "registry_households", monitor=True),
    Signal("SAFETY_NET_GAP", "兜底保障缺口", "social_assistance", monitor=True, problem=True),
)
SIGNAL_COLUMNS: tuple[str, ...] = tuple(s.column for s in SIGNALS)


def income_first(signals: tuple[Signal, ...]) -> tuple[Signal, ...]:
    """``signals`` with INCOME_LOW first, the order in which RULES.md lists should_monitor's
    signals and the field sample its signals to check (dbt: ``signals_income_first()``)."""
    return (tuple(s for s in signals if s.code == "INCOME_LOW")
            + tuple(s for s in signals if s.code != "INCOME_LOW"))


#: The signals that make a household one to monitor (``should_monitor``), INCOME_LOW first.
MONITOR_SIGNALS: tuple[Signal, ...] = income_first(tuple(s for s in SIGNALS if s.monitor))
#: The signals that open a problem of the ledger (fct_problem), in their declared order.
PROBLEM_CODES: tuple[str, ...] = tuple(s.code for s in SIGNALS if s.problem)

DOUBT_POINTS: tuple[DoubtPoint, ...] = (
    DoubtPoint("ELIMINATED_TOO_SOON", "消除过快"),
    DoubtPoint("ELIMINATED_BELOW_LINE", "消除后收入低于标准"),
    DoubtPoint("AT_RISK_WITHOUT_CAUSE", "无风险类型"),
    DoubtPoint("MONITORED_WITHOUT_DATE", "无纳入日期"),
    DoubtPoint("EMPLOYMENT_CAUSE_NO_LABOUR", "务工不稳但无劳动力"),
    DoubtPoint("TYPE_STATUS_MISMATCH", "类别与状态不符"),
)
DOUBT_CODES: tuple[str, ...] = tuple(d.code for d in DOUBT_POINTS)

#: The seven scored rates (docs/contract/RULES.md "County scorecard").
RATES: tuple[Rate, ...] = (
    Rate("education", "义务教育保障率", "Education"),
    Rate("medical", "参保率", "Medical"),
    Rate("housing", "住房安全保障率", "Housing"),
    Rate("water", "饮水安全保障率", "Water"),
    Rate("employment", "务工就业率", "Employment"),
    Rate("identification", "精准识别率", "Identification"),
    Rate("rectification", "问题整改率", "Rectification"),
)
RATE_NAMES: tuple[str, ...] = tuple(r.name for r in RATES)

#: The single-valued policy parameters (seed ``policy_parameters``), by name.
POLICY_PARAMETERS: tuple[str, ...] = (
    "medical_burden_ratio",
    "compulsory_age_min",
    "compulsory_age_max",
    "working_age_min",
    "working_age_max",
    "feed_max_age_months",
    "min_months_before_elimination",
    "sample_size",
    "due_day",
)


def guarantee_signals(guarantee: str) -> tuple[Signal, ...]:
    """The signals whose absence makes up ``guarantee`` (``education`` → EDU_DROPOUT, …)."""
    return tuple(s for s in SIGNALS if s.guarantee == guarantee)


def _check() -> None:
    """Fail at import on a declaration that contradicts itself (a typo'd feed or guarantee)."""
    names = {g.name for g in GUARANTEES}
    for signal in SIGNALS:
        if signal.feed is not None and signal.feed not in FEED_NAMES:
            raise ValueError(f"signal {signal.code}: unknown feed {signal.feed!r}")
        if signal.guarantee is not None and signal.guarantee not in names:
            raise ValueError(f"signal {signal.code}: unknown guarantee {signal.guarantee!r}")
    for codes in (tuple(s.code for s in SIGNALS), DOUBT_CODES, FEED_NAMES, RATE_NAMES):
        if len(set(codes)) != len(codes):
            raise ValueError(f"duplicate names in {codes}")


_check()
