"""The feed contract of docs/contract/FEEDS.md, restated for the generator.

The generator keeps its own copy of the contract (instead of importing the loader's
``fangpin.feeds.contracts``) on purpose: the generated province is the *oracle* the loader
is tested against, so the two must be written independently from the spec.  If they drift,
the end-to-end tests say so.
"""

from __future__ import annotations

from dataclasses import dataclass

from fangpin.domain import codes as domain
from fangpin.feeds.normalise import REASONS

Enum = tuple[tuple[str, str], ...]

HOUSEHOLD_TYPE: Enum = (("out_of_poverty", "脱贫户"), ("ordinary", "一般农户"))
MONITORING_TYPE: Enum = (
    ("none", "非监测对象"),
    ("unstable", "脱贫不稳定户"),
    ("marginal", "边缘易致贫户"),
    ("sudden_hardship", "突发严重困难户"),
)
MONITORING_STATUS: Enum = (
    ("not_monitored", "未纳入监测"),
    ("at_risk", "风险未消除"),
    ("eliminated", "风险已消除"),
)
RISK_CAUSES: Enum = (
    ("illness", "因病"),
    ("schooling", "因学"),
    ("disability", "因残"),
    ("disaster", "因灾"),
    ("accident", "因意外事故"),
    ("labour_shortage", "缺劳力"),
    ("unstable_employment", "务工就业不稳"),
    ("industry_failure", "产业项目失败"),
    ("other", "其他"),
)
RELATION: Enum = (
    ("head", "户主"),
    ("spouse", "配偶"),
    ("child", "子女"),
    ("parent", "父母"),
    ("grandchild", "孙子女"),
    ("other", "其他"),
)
LABOUR: Enum = (
    ("skilled", "技能劳动力"),
    ("ordinary", "普通劳动力"),
    ("weak", "弱劳动力"),
    ("lost", "丧失劳动力"),
    ("none", "无劳动力"),
)
HEALTH: Enum = (
    ("healthy", "健康"),
    ("chronic", "长期慢性病"),
    ("serious", "患有大病"),
    ("disabled", "残疾"),
)
STAGE: Enum = (
    ("preschool", "学前"),
    ("primary", "小学"),
    ("junior", "初中"),
    ("senior", "高中"),
    ("vocational", "中职"),
    ("tertiary", "高等教育"),
)
EDU_STATUS: Enum = (
    ("enrolled", "在校"),
    ("home_schooling", "送教上门"),
    ("suspended", "休学"),
    ("dropped_out", "辍学"),
    ("graduated", "毕业"),
)
SCHEME: Enum = (("resident", "城乡居民基本医疗保险"), ("employee", "职工基本医疗保险"))
ENROLLMENT: Enum = (("active", "正常参保"), ("suspended", "中断"), ("none", "未参保"))
GRADE: Enum = (("A", "A级"), ("B", "B级"), ("C", "C级"), ("D", "D级"))
RECTIFICATION: Enum = (("not_needed", "无需整改"), ("in_progress", "整改中"), ("done", "已整改"))
SUPPLY_MODE: Enum = (("centralized", "集中供水"), ("decentralized", "分散供水"))
EMPLOYMENT_STATUS: Enum = (
    ("migrant", "外出务工"),
    ("local", "就地就近就业"),
    ("flexible", "灵活就业"),
    ("public_welfare", "公益性岗位"),
    ("unemployed", "未就业"),
)
WORK_LOCATION: Enum = (
    ("in_county", "县内"),
    ("in_province", "省内县外"),
    ("out_of_province", "省外"),
)
ASSISTANCE_TYPE: Enum = (("dibao", "农村低保"), ("tekun", "特困供养"), ("temporary", "临时救助"))


@dataclass(frozen=True)
class Column:
    """One column of a feed: English name, Chinese header, value kind, requiredness."""

    name: str
    zh: str
    kind: str  # id text date bool amount county village enum list year integer
    required: bool = True
    enum: Enum = ()
    conditional: bool = False  # "if ..." in docs/contract/FEEDS.md: never blanked on purpose


def _c(
    name: str, zh: str, kind: str, required: bool = True, enum: Enum = (), conditional: bool = False
) -> Column:
    return Column(name, zh, kind, required, enum, conditional)


FEEDS: dict[str, tuple[Column, ...]] = {
    "registry_households": (
        _c("household_id", "户编号", "text"),
        _c("county_code", "县代码", "county"),
        _c("village_code", "村代码", "village"),
        _c("head_id_number", "户主身份证号", "id"),
        _c("household_type", "户类型", "enum", enum=HOUSEHOLD_TYPE),
        _c("monitoring_type", "监测对象类别", "enum", enum=MONITORING_TYPE),
        _c("monitoring_status", "风险状态", "enum", enum=MONITORING_STATUS),
        _c("identified_on", "纳入监测日期", "date", False, conditional=True),
        _c("eliminated_on", "风险消除日期", "date", False, conditional=True),
        _c("risk_causes", "风险类型", "list", False, enum=RISK_CAUSES),
        _c("per_capita_net_income", "人均纯收入", "amount"),
        _c("relocated", "是否易地搬迁", "bool", False),
    ),
    "registry_members": (
        _c("household_id", "户编号", "text"),
        _c("id_number", "身份证号", "id"),
        _c("name", "姓名", "text"),
        _c("relation", "与户主关系", "enum", enum=RELATION),
        _c("labour_capacity", "劳动能力", "enum", enum=LABOUR),
        _c("health", "健康状况", "enum", enum=HEALTH),
    ),
    "education": (
        _c("id_number", "身份证号", "id"),
        _c("name", "姓名", "text"),
        _c("school_code", "学校标识码", "text"),
        _c("school_name", "学校名称", "text", False),
        _c("stage", "学段", "enum", enum=STAGE),
        _c("status", "就读状态", "enum", enum=EDU_STATUS),
        _c("status_date", "状态日期", "date"),
        _c("subsidy_yuan", "资助金额", "amount", False),
    ),
    "medical": (
        _c("id_number", "身份证号", "id"),
        _c("name", "姓名", "text"),
        _c("coverage_year", "参保年度", "year"),
        _c("scheme", "险种", "enum", enum=SCHEME),
        _c("enrollment_status", "参保状态", "enum", enum=ENROLLMENT),
        _c("chronic_outpatient", "门诊慢特病待遇", "bool", False),
        _c("total_expense_yuan", "医疗总费用", "amount", False),
        _c("reimbursed_yuan", "报销金额", "amount", False),
        _c("out_of_pocket_yuan", "个人自付", "amount", False),
    ),
    "housing": (
        _c("village_code", "村代码", "village"),
        _c("householder_id_number", "户主身份证号", "id"),
        _c("appraisal_date", "鉴定日期", "date"),
        _c("safety_grade", "鉴定等级", "enum", enum=GRADE),
        _c("disaster_damaged", "是否因灾受损", "bool", False),
        _c("rectification_status", "整改状态", "enum", enum=RECTIFICATION),
        _c("rectified_on", "整改完成日期", "date", False, conditional=True),
    ),
    "water": (
        _c("village_code", "村代码", "village"),
        _c("project_id", "工程编号", "text"),
        _c("supply_mode", "供水方式", "enum", enum=SUPPLY_MODE),
        _c("quantity_ok", "水量达标", "bool"),
        _c("quality_ok", "水质达标", "bool"),
        _c("convenience_ok", "用水方便程度达标", "bool"),
        _c("reliability_ok", "供水保证率达标", "bool"),
        _c("hidden_danger", "是否存在隐患", "bool"),
        _c("rectification_status", "整改状态", "enum", enum=RECTIFICATION),
        _c("inspected_on", "核查日期", "date"),
    ),
    "employment": (
        _c("id_number", "身份证号", "id"),
        _c("name", "姓名", "text"),
        _c("employment_status", "就业状态", "enum", enum=EMPLOYMENT_STATUS),
        _c("work_location", "务工地点", "enum", False, enum=WORK_LOCATION),
        _c("months_employed", "本年务工月数", "integer", False),
        _c("monthly_income_yuan", "月均收入", "amount", False),
    ),
    "social_assistance": (
        _c("id_number", "身份证号", "id"),
        _c("name", "姓名", "text"),
        _c("assistance_type", "救助类型", "enum", enum=ASSISTANCE_TYPE),
        _c("monthly_amount_yuan", "月保障金额", "amount"),
        _c("start_on", "起始日期", "date"),
        _c("end_on", "终止日期", "date", False),
    ),
}

FEED_NAMES: tuple[str, ...] = domain.FEED_NAMES
if tuple(FEEDS) != FEED_NAMES:  # the domain names the feeds; the synth writes each of them
    raise ValueError(f"synth feeds {tuple(FEEDS)} differ from fangpin.domain {FEED_NAMES}")

#: Reason codes of rows the generator deliberately makes invalid: the loader's quarantine
#: reasons (``fangpin.feeds.normalise.REASONS``) up to ``required_missing``, in their order.
REASON_CODES: tuple[str, ...] = REASONS[: REASONS.index("required_missing") + 1]


def codes(enum: Enum) -> tuple[str, ...]:
    """English codes of an enum, in contract order (the order ``risk_causes`` is joined in)."""
    return tuple(code for code, _ in enum)
