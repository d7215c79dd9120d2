"""The eight departmental feeds, declared as data (the contract is docs/contract/FEEDS.md).

Everything the reader, the normaliser and the raw-table generator know about a feed comes
from the declarations below, so that a new column, a new header alias or a new enum label is
one edit here and nothing else: the header matcher, the value rules, the quarantine and the
``raw.<feed>`` DDL all follow.

A column's ``kind`` fixes both its value rule (``fangpin.feeds.normalise``) and its raw type
(``RAW_TYPES``, as in docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum

from fangpin.domain import codes as domain


class Kind(StrEnum):
    ID = "id"
    TEXT = "text"
    DATE = "date"
    BOOL = "bool"
    AMOUNT = "amount"
    COUNTY = "county"
    VILLAGE = "village"
    ENUM = "enum"
    LIST = "list"
    YEAR = "year"
    INTEGER = "integer"


#: The raw column type of each kind (docs/ARCHITECTURE.md, "Raw layer contract").
RAW_TYPES: dict[Kind, str] = {
    Kind.ID: "text",
    Kind.TEXT: "text",
    Kind.DATE: "date",
    Kind.BOOL: "boolean",
    Kind.AMOUNT: "numeric(14,2)",
    Kind.COUNTY: "text",
    Kind.VILLAGE: "text",
    Kind.ENUM: "text",
    Kind.LIST: "text",
    Kind.YEAR: "integer",
    Kind.INTEGER: "integer",
}

#: Metadata columns every raw table starts with, in this order.
RAW_METADATA_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_load_id", "bigint not null"),
    ("_snapshot_month", "date not null"),
    ("_source_file", "text not null"),
    ("_source_line", "bigint not null"),
)


@dataclass(frozen=True)
class Code:
    """One enum value: the English code stored in raw, and the labels departments write."""

    code: str
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class When:
    """A conditional requirement: the column must be filled when ``column`` is one of ``values``.

    ``quarantine`` says what the loader does with a row that breaks it. It is False for every
    conditional of the current contract (see docs/FEEDS_LOADING.md): docs/contract/RULES.md reports
    such rows as registry doubt points (``MONITORED_WITHOUT_DATE``), which could never fire if the
    loader had set the household aside, and setting aside a registry household would drop it (and
    its open problems) from the monitored population. Flip it to True to quarantine such rows with
    reason ``required_missing``.
    """

    column: str
    values: tuple[str, ...]
    quarantine: bool = False


@dataclass(frozen=True)
class Column:
    """One column of a feed: its names, its kind and the rules on its values.

    ``required`` means both "the header must be there" (else the file is rejected) and "the
    cell must not be empty" (else the row is quarantined, ``required_missing``).
    """

    name: str
    chinese: str
    kind: Kind
    required: bool = False
    aliases: tuple[str, ...] = ()
    codes: tuple[Code, ...] = ()
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    unique: bool = False
    required_if: When | None = None
    default: str | None = None  # the raw text an empty or absent cell stands for

    @property
    def raw_type(self) -> str:
        return RAW_TYPES[self.kind]

    @property
    def headers(self) -> tuple[str, ...]:
        """Every header text that names this column, before matching (see ``header_key``)."""
        return (self.name, self.chinese, *self.aliases)

    @property
    def label(self) -> str:
        """How error messages name the column: ``'status' (就读状态)``."""
        return f"'{self.name}' ({self.chinese})"


@dataclass(frozen=True)
class Feed:
    name: str
    title: str
    columns: tuple[Column, ...]
    notes: str = ""
    _by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name = {c.name: c for c in self.columns}
        if len(by_name) != len(self.columns):
            raise ValueError(f"feed {self.name}: duplicate column names")
        keys: dict[str, str] = {}
        for col in self.columns:
            for header in col.headers:
                key = header_key(header)
                if keys.setdefault(key, col.name) != col.name:
                    raise ValueError(f"feed {self.name}: header {header!r} names two columns")
            if col.required_if and col.required_if.column not in by_name:
                raise ValueError(f"feed {self.name}: {col.name} depends on an unknown column")
        object.__setattr__(self, "_by_name", by_name)

    def column(self, name: str) -> Column:
        return self._by_name[name]

    @property
    def required_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    @property
    def unique_column(self) -> Column | None:
        return next((c for c in self.columns if c.unique), None)


def header_key(text: str) -> str:
    """The form headers are compared in: NFKC, trimmed (incl. full-width spaces), case-folded."""
    return unicodedata.normalize("NFKC", text).strip().strip("\ufeff").strip().casefold()


def _codes(*pairs: tuple[str, str]) -> tuple[Code, ...]:
    return tuple(Code(code, (label,)) for code, label in pairs)


RECTIFICATION = _codes(("not_needed", "无需整改"), ("in_progress", "整改中"), ("done", "已整改"))

_ID, _TEXT, _DATE, _BOOL = Kind.ID, Kind.TEXT, Kind.DATE, Kind.BOOL
_AMOUNT, _COUNTY, _VILLAGE, _ENUM = Kind.AMOUNT, Kind.COUNTY, Kind.VILLAGE, Kind.ENUM


REGISTRY_HOUSEHOLDS = Feed(
    "registry_households",
    "防返贫监测信息系统 户信息",
    (
        Column("household_id", "户编号", _TEXT, required=True, max_length=32, unique=True),
        Column("county_code", "县代码", _COUNTY, required=True),
        Column("village_code", "村代码", _VILLAGE, required=True),
        Column("head_id_number", "户主身份证号", _ID, required=True),
        Column(
            "household_type", "户类型", _ENUM, required=True,
            codes=_codes(("out_of_poverty", "脱贫户"), ("ordinary", "一般农户")),
        ),
        Column(
            "monitoring_type", "监测对象类别", _ENUM, required=True,
            codes=_codes(
                ("none", "非监测对象"), ("unstable", "脱贫不稳定户"),
                ("marginal", "边缘易致贫户"), ("sudden_hardship", "突发严重困难户"),
            ),
        ),
        Column(
            "monitoring_status", "风险状态", _ENUM, required=True,
            codes=_codes(
                ("not_monitored", "未纳入监测"), ("at_risk", "风险未消除"),
                ("eliminated", "风险已消除"),
            ),
        ),
        Column(
            "identified_on", "纳入监测日期", _DATE,
            required_if=When("monitoring_status", ("at_risk", "eliminated")),
        ),
        Column(
            "eliminated_on", "风险消除日期", _DATE,
            required_if=When("monitoring_status", ("eliminated",)),
        ),
        Column(
            "risk_causes", "风险类型", Kind.LIST,
            codes=_codes(
                ("illness", "因病"), ("schooling", "因学"), ("disability", "因残"),
                ("disaster", "因灾"), ("accident", "因意外事故"), ("labour_shortage", "缺劳力"),
                ("unstable_employment", "务工就业不稳"), ("industry_failure", "产业项目失败"),
                ("other", "其他"),
            ),
        ),
        Column("per_capita_net_income", "人均纯收入", _AMOUNT, required=True),
        Column("relocated", "是否易地搬迁", _BOOL),
    ),
)

REGISTRY_MEMBERS = Feed(
    "registry_members",
    "防返贫监测信息系统 户成员信息",
    (
        Column("household_id", "户编号", _TEXT, required=True),
        Column("id_number", "身份证号", _ID, required=True, unique=True),
        Column("name", "姓名", _TEXT, required=True),
        Column(
            "relation", "与户主关系", _ENUM, required=True,
            codes=_codes(
                ("head", "户主"), ("spouse", "配偶"), ("child", "子女"), ("parent", "父母"),
                ("grandchild", "孙子女"), ("other", "其他"),
            ),
        ),
        Column(
            "labour_capacity", "劳动能力", _ENUM, required=True,
            codes=_codes(
                ("skilled", "技能劳动力"), ("ordinary", "普通劳动力"), ("weak", "弱劳动力"),
                ("lost", "丧失劳动力"), ("none", "无劳动力"),
            ),
        ),
        Column(
            "health", "健康状况", _ENUM, required=True,
            codes=_codes(
                ("healthy", "健康"), ("chronic", "长期慢性病"), ("serious", "患有大病"),
                ("disabled", "残疾"),
            ),
        ),
    ),
)

EDUCATION = Feed(
    "education",
    "教育厅 学籍信息",
    (
        Column("id_number", "身份证号", _ID, required=True),
        Column("name", "姓名", _TEXT, required=True),
        Column("school_code", "学校标识码", _TEXT, required=True),
        Column("school_name", "学校名称", _TEXT),
        Column(
            "stage", "学段", _ENUM, required=True,
            codes=_codes(
                ("preschool", "学前"), ("primary", "小学"), ("junior", "初中"),
                ("senior", "高中"), ("vocational", "中职"), ("tertiary", "高等教育"),
            ),
        ),
        Column(
            "status", "就读状态", _ENUM, required=True,
            codes=_codes(
                ("enrolled", "在校"), ("home_schooling", "送教上门"), ("suspended", "休学"),
                ("dropped_out", "辍学"), ("graduated", "毕业"),
            ),
        ),
        Column("status_date", "状态日期", _DATE, required=True),
        Column("subsidy_yuan", "资助金额", _AMOUNT),
    ),
    notes="A person may have several rows; the latest status_date is their status.",
)

MEDICAL = Feed(
    "medical",
    "医保局 参保及费用",
    (
        Column("id_number", "身份证号", _ID, required=True),
        Column("name", "姓名", _TEXT, required=True),
        Column("coverage_year", "参保年度", Kind.YEAR, required=True),
        Column(
            "scheme", "险种", _ENUM, required=True,
            codes=_codes(("resident", "城乡居民基本医疗保险"), ("employee", "职工基本医疗保险")),
        ),
        Column(
            "enrollment_status", "参保状态", _ENUM, required=True,
            codes=_codes(("active", "正常参保"), ("suspended", "中断"), ("none", "未参保")),
        ),
        Column("chronic_outpatient", "门诊慢特病待遇", _BOOL),
        Column("total_expense_yuan", "医疗总费用", _AMOUNT),
        Column("reimbursed_yuan", "报销金额", _AMOUNT),
        Column("out_of_pocket_yuan", "个人自付", _AMOUNT),
    ),
)

HOUSING = Feed(
    "housing",
    "住建厅 农村房屋安全鉴定",
    (
        Column("village_code", "村代码", _VILLAGE, required=True),
        Column("householder_id_number", "户主身份证号", _ID, required=True),
        Column("appraisal_date", "鉴定日期", _DATE, required=True),
        Column(
            "safety_grade", "鉴定等级", _ENUM, required=True,
            codes=tuple(Code(g, (f"{g}级",)) for g in "ABCD"),
        ),
        # docs/contract/FEEDS.md: "no (false)" - an empty or absent cell means not damaged.
        Column("disaster_damaged", "是否因灾受损", _BOOL, default="f"),
        Column("rectification_status", "整改状态", _ENUM, required=True, codes=RECTIFICATION),
        Column(
            "rectified_on", "整改完成日期", _DATE,
            required_if=When("rectification_status", ("done",)),
        ),
    ),
)

WATER = Feed(
    "water",
    "水利厅 农村供水工程核查",
    (
        Column("village_code", "村代码", _VILLAGE, required=True),
        Column("project_id", "工程编号", _TEXT, required=True),
        Column(
            "supply_mode", "供水方式", _ENUM, required=True,
            codes=_codes(("centralized", "集中供水"), ("decentralized", "分散供水")),
        ),
        Column("quantity_ok", "水量达标", _BOOL, required=True),
        Column("quality_ok", "水质达标", _BOOL, required=True),
        Column("convenience_ok", "用水方便程度达标", _BOOL, required=True),
        Column("reliability_ok", "供水保证率达标", _BOOL, required=True),
        Column("hidden_danger", "是否存在隐患", _BOOL, required=True),
        Column("rectification_status", "整改状态", _ENUM, required=True, codes=RECTIFICATION),
        Column("inspected_on", "核查日期", _DATE, required=True),
    ),
)

EMPLOYMENT = Feed(
    "employment",
    "人社厅 脱贫劳动力务工就业",
    (
        Column("id_number", "身份证号", _ID, required=True),
        Column("name", "姓名", _TEXT, required=True),
        Column(
            "employment_status", "就业状态", _ENUM, required=True,
            codes=_codes(
                ("migrant", "外出务工"), ("local", "就地就近就业"), ("flexible", "灵活就业"),
                ("public_welfare", "公益性岗位"), ("unemployed", "未就业"),
            ),
        ),
        Column(
            "work_location", "务工地点", _ENUM,
            codes=_codes(
                ("in_county", "县内"), ("in_province", "省内县外"), ("out_of_province", "省外")
            ),
        ),
        Column("months_employed", "本年务工月数", Kind.INTEGER, min_value=0, max_value=12),
        Column("monthly_income_yuan", "月均收入", _AMOUNT),
    ),
)

SOCIAL_ASSISTANCE = Feed(
    "social_assistance",
    "民政厅 社会救助",
    (
        Column("id_number", "身份证号", _ID, required=True),
        Column("name", "姓名", _TEXT, required=True),
        Column(
            "assistance_type", "救助类型", _ENUM, required=True,
            codes=_codes(("dibao", "农村低保"), ("tekun", "特困供养"), ("temporary", "临时救助")),
        ),
        Column("monthly_amount_yuan", "月保障金额", _AMOUNT, required=True),
        Column("start_on", "起始日期", _DATE, required=True),
        Column("end_on", "终止日期", _DATE),
    ),
)

#: Every feed by its name, in the order docs/contract/FEEDS.md lists them.
FEEDS: dict[str, Feed] = {
    f.name: f
    for f in (
        REGISTRY_HOUSEHOLDS, REGISTRY_MEMBERS, EDUCATION, MEDICAL, HOUSING, WATER, EMPLOYMENT,
        SOCIAL_ASSISTANCE,
    )
}

FEED_NAMES: tuple[str, ...] = domain.FEED_NAMES
if tuple(FEEDS) != FEED_NAMES:  # the domain names the feeds; each has its contract here
    raise ValueError(f"feed contracts {tuple(FEEDS)} differ from fangpin.domain {FEED_NAMES}")


def feed(name: str) -> Feed:
    """The contract of ``name``; a clear error for a name that is not one of the eight."""
    try:
        return FEEDS[name]
    except KeyError:
        raise KeyError(f"unknown feed {name!r}; the feeds are {', '.join(FEEDS)}") from None
