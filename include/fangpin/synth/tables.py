"""Canonical rows of each feed for the current month, as columns of strings.

A ``Frame`` is what a department *means* to deliver: English codes, ISO dates, plain
amounts, 18-character ids. It is written as-is to clean files and to the truth; the
messy forms are derived from it afterwards (``messy``), so every valid messy value
stands for exactly the canonical one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from fangpin.synth import contract as c
from fangpin.synth import fmt
from fangpin.synth.dynamics import (
    DONE,
    ENROLLED,
    HOME_SCHOOLING,
    MED_NONE,
    MED_SUSPENDED,
    NOT_GRANTED,
    NOT_MONITORED,
    OUT_OF_POVERTY,
    SENIOR,
    TERTIARY,
    UNEMPLOYED,
    VOCATIONAL,
    State,
)

NODATE = fmt.NODATE
BOOL = np.array(["false", "true", ""], dtype=object)
TERTIARY_SCHOOLS = (
    ("4114010108", "山西大学"),
    ("4114010112", "太原理工大学"),
    ("4114010113", "山西农业大学"),
    ("4114010114", "山西医科大学"),
    ("4114010118", "山西师范大学"),
    ("4114010119", "太原师范学院"),
    ("4114010125", "山西财经大学"),
    ("4114010110", "中北大学"),
    ("4114010810", "长治学院"),
    ("4114010811", "运城学院"),
    ("4114010812", "忻州师范学院"),
    ("4114010813", "吕梁学院"),
    ("4114012301", "山西职业技术学院"),
    ("4114012302", "山西工程职业学院"),
)
SUBSIDY_YUAN = (1000, 1000, 1250, 2000, 2000, 3300)  # by stage, a school year


class Lazy:
    """A column formatted only for the rows taken, so big string columns never all exist.

    Holding 2.7 million formatted amounts costs far more memory than the integer cents
    they come from; the writer takes rows in chunks, and each chunk is formatted then.
    """

    def __init__(self, fn: Callable[..., np.ndarray], *arrays: np.ndarray) -> None:
        self.fn = fn
        self.arrays = arrays

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, idx: np.ndarray) -> np.ndarray:
        return self.fn(*(a[idx] for a in self.arrays))


Column = np.ndarray | Lazy


@dataclass
class Frame:
    """One feed's canonical snapshot: contract-ordered string columns and a file split."""

    feed: str
    columns: list[Column]  # canonical strings (object arrays or lazy), contract order
    city: np.ndarray | None = None  # city index per row where the feed is split by city

    @property
    def n_rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def take(self, idx: np.ndarray) -> list[np.ndarray]:
        return [col[idx] for col in self.columns]


@lru_cache(maxsize=1)
def _cause_strings() -> tuple[str, ...]:
    codes = c.codes(c.RISK_CAUSES)
    return tuple(
        ";".join(code for b, code in enumerate(codes) if mask >> b & 1)
        for mask in range(1 << len(codes))
    )


def _enum(enum: c.Enum, index: np.ndarray) -> Lazy:
    table = np.array(c.codes(enum), dtype=object)
    return Lazy(table.__getitem__, np.asarray(index))


def _yuan(cents: np.ndarray, blank: np.ndarray | None = None) -> Lazy:
    if blank is None:
        return Lazy(fmt.yuan, np.asarray(cents, dtype=np.int64))
    return Lazy(fmt.yuan, np.asarray(cents, dtype=np.int64), np.asarray(blank, dtype=bool))


def _dates(days: np.ndarray) -> Lazy:
    return Lazy(fmt.dates, np.asarray(days, dtype=np.int64))


class FrameBuilder:
    """Turns the ``State`` of the month into one ``Frame`` per feed."""

    def __init__(self, state: State) -> None:
        self.s = state
        self.w = state.w
        geo = self.w.geo
        self.county_str = geo.county_code
        self.p_city = geo.county_city[self.w.p_county]
        self._schools()

    def _schools(self) -> None:
        geo = self.w.geo
        t_suffix = np.array([t[6:9] for t in geo.township_code.tolist()], dtype=object)
        county_of_t = geo.county_code[geo.township_county]
        c4 = np.array([x[2:6] for x in county_of_t.tolist()], dtype=object)
        # township schools: preschool, primary, junior
        self.t_code = [("2" + c4 + t_suffix + str(stage) + "0") for stage in range(3)]
        suffixes = ("中心幼儿园", "中心小学", "初级中学")
        self.t_name = [geo.township_name + suffix for suffix in suffixes]
        cc4 = np.array([x[2:6] for x in geo.county_code.tolist()], dtype=object)
        self.c_code = {SENIOR: "3" + cc4 + "00030", VOCATIONAL: "3" + cc4 + "00040"}
        self.c_name = {
            SENIOR: geo.county_name + "第一中学",
            VOCATIONAL: geo.county_name + "职业中学",
        }
        self.u_code = np.array([x for x, _ in TERTIARY_SCHOOLS], dtype=object)
        self.u_name = np.array([x for _, x in TERTIARY_SCHOOLS], dtype=object)

    def build(self, feed: str) -> Frame:
        return getattr(self, feed)()

    # ------------------------------------------------------------------ registry
    def registry_households(self) -> Frame:
        s, w = self.s, self.w
        h = np.flatnonzero(w.registered(s.mi))
        cols = [
            w.h_id[h],
            self.county_str[w.h_county[h]],
            w.geo.village_code[w.h_village[h]],
            w.p_id[w.h_first[h]],
            _enum(c.HOUSEHOLD_TYPE, s.htype[h]),
            _enum(c.MONITORING_TYPE, s.mtype[h]),
            _enum(c.MONITORING_STATUS, s.mstatus[h]),
            _dates(s.ident_on[h]),
            _dates(s.elim_on[h]),
            np.array(_cause_strings(), dtype=object)[s.causes[h]],
            _yuan(s.income[h]),
            BOOL[s.relocated[h]],
        ]
        return Frame("registry_households", cols)

    def registry_members(self) -> Frame:
        s, w = self.s, self.w
        reg = w.registered(s.mi)
        p = np.flatnonzero(reg[w.p_hh[: w.n_members]])
        cols = [
            w.h_id[w.p_hh[p]],
            w.p_id[p],
            w.p_name[p],
            _enum(c.RELATION, w.p_rel[p]),
            _enum(c.LABOUR, w.p_labour[p]),
            _enum(c.HEALTH, w.p_health[p]),
        ]
        return Frame("registry_members", cols)

    # --------------------------------------------------------------- departments
    def _support(self, persons: np.ndarray) -> np.ndarray:
        """Is the person's household entitled to support (out of poverty or monitored)?"""
        s, w = self.s, self.w
        hh = w.p_hh[persons]
        safe = np.maximum(hh, 0)
        ok = (s.htype[safe] == OUT_OF_POVERTY) | (s.mstatus[safe] != NOT_MONITORED)
        return ok & (hh >= 0)

    def education(self) -> Frame:
        s, w = self.s, self.w
        cur = np.flatnonzero(s.e_stage >= 0)
        copies = 1 + (s.ep_has[cur] & (s.ep_stage[cur] >= 0))
        person = np.repeat(cur, copies)  # the earlier row (if any) first, then the current
        is_cur = np.zeros(len(person), dtype=bool)
        is_cur[np.cumsum(copies) - 1] = True
        stage = np.where(is_cur, s.e_stage[person], s.ep_stage[person]).astype(np.int64)
        status = np.where(is_cur, s.e_status[person], s.ep_status[person])
        day = np.where(is_cur, s.e_date[person], s.ep_date[person])
        township = w.geo.village_township[w.p_village[person]]
        county = w.p_county[person]
        code = np.empty(len(person), dtype=object)
        name = np.empty(len(person), dtype=object)
        for st in range(3):
            m = stage == st
            code[m] = self.t_code[st][township[m]]
            name[m] = self.t_name[st][township[m]]
        for st in (SENIOR, VOCATIONAL):
            m = stage == st
            code[m] = self.c_code[st][county[m]]
            name[m] = self.c_name[st][county[m]]
        m = stage == TERTIARY
        uni = s.e_uni[person[m]] % len(self.u_code)
        code[m] = self.u_code[uni]
        name[m] = self.u_name[uni]
        name[(s.e_uni[person] // 7) % 10 == 0] = ""  # optional column, sometimes left empty
        paid = self._support(person) & ((status == ENROLLED) | (status == HOME_SCHOOLING))
        subsidy = np.array(SUBSIDY_YUAN, dtype=np.int64)[stage] * 100
        cols: list[Column] = [
            w.p_id[person],
            w.p_name[person],
            code,
            name,
            _enum(c.STAGE, stage),
            _enum(c.EDU_STATUS, status),
            _dates(day),
            _yuan(subsidy, blank=~paid),
        ]
        return Frame("education", cols, self.p_city[person])

    def medical(self) -> Frame:
        s, w = self.s, self.w
        n = len(w.p_id)
        copies = 1 + (s.m_dup > 0)
        person = np.repeat(np.arange(n), copies)
        is_dup = np.ones(len(person), dtype=bool)
        is_dup[np.cumsum(copies) - copies] = False  # the first row of each person
        kind = np.where(is_dup, s.m_dup[person], 0)
        status = s.m_status[person].copy()
        scheme = s.m_scheme[person].copy()
        ytd = s.m_annual[person] * s.month.month // 12
        # duplicate kind 1: a stale interrupted enrolment under the other scheme;
        # kind 2: a second enrolment row of the same status with a smaller running total
        status = np.where(kind == 1, MED_SUSPENDED, status)
        scheme = np.where(kind == 1, 1 - scheme, scheme)
        ytd = np.where(kind == 1, ytd * 3 // 10, np.where(kind == 2, ytd // 2, ytd))
        reimb = ytd * s.m_rate[person] // 1000
        blank = status == MED_NONE
        cols: list[Column] = [
            w.p_id[person],
            w.p_name[person],
            fmt.ints(np.full(len(person), s.month.year)),
            _enum(c.SCHEME, scheme),
            _enum(c.ENROLLMENT, status),
            BOOL[np.where(blank, 2, s.m_chronic[person].astype(np.int8))],
            _yuan(ytd, blank),
            _yuan(reimb, blank),
            _yuan(ytd - reimb, blank),
        ]
        return Frame("medical", cols, self.p_city[person])

    def housing(self) -> Frame:
        s, w = self.s, self.w
        cur = np.flatnonzero(s.hs_has)
        copies = 1 + s.hp_has[cur]
        hh = np.repeat(cur, copies)  # the superseded appraisal (if any) first
        is_cur = np.zeros(len(hh), dtype=bool)
        is_cur[np.cumsum(copies) - 1] = True

        def pick(cur_name: str, prev_name: str) -> np.ndarray:
            return np.where(is_cur, getattr(s, cur_name)[hh], getattr(s, prev_name)[hh])

        rect = pick("hs_rect", "hp_rect")
        rect_on = np.where(rect == DONE, pick("hs_rect_on", "hp_rect_on"), NODATE)
        cols = [
            w.geo.village_code[w.h_village[hh]],
            w.p_id[w.h_first[hh]],
            _dates(pick("hs_date", "hp_date")),
            _enum(c.GRADE, pick("hs_grade", "hp_grade")),
            BOOL[pick("hs_dis", "hp_dis").astype(np.int8)],
            _enum(c.RECTIFICATION, rect),
            _dates(rect_on),
        ]
        return Frame("housing", cols)

    def water(self) -> Frame:
        s, w = self.s, self.w
        p = np.flatnonzero(~s.v_missing[s.wp_village])
        village = w.geo.village_code[s.wp_village[p]]
        serial = fmt.ints(s.wp_serial[p] + 100)
        cols = [
            village,
            "GS" + village + "-" + serial,
            _enum(c.SUPPLY_MODE, s.wp_mode[p]),
            BOOL[s.wp_ok[p, 0].astype(np.int8)],
            BOOL[s.wp_ok[p, 1].astype(np.int8)],
            BOOL[s.wp_ok[p, 2].astype(np.int8)],
            BOOL[s.wp_ok[p, 3].astype(np.int8)],
            BOOL[s.wp_danger[p].astype(np.int8)],
            _enum(c.RECTIFICATION, s.wp_rect[p]),
            _dates(s.wp_date[p]),
        ]
        return Frame("water", cols)

    def employment(self) -> Frame:
        s, w = self.s, self.w
        one = np.flatnonzero(s.j_has)
        copies = 1 + s.j2_has[one]
        person = np.repeat(one, copies)
        second = np.ones(len(person), dtype=bool)
        second[np.cumsum(copies) - copies] = False
        status = np.where(second, s.j2_status[person], s.j1_status[person])
        loc = np.where(second, s.j2_loc[person], s.j1_loc[person])
        inc = np.where(second, s.j2_inc[person], s.j1_inc[person])
        unemployed = status == UNEMPLOYED
        months = np.clip(np.rint(s.month.month * s.j_frac[person]), 1, 12).astype(np.int64)
        months = np.where(unemployed, 0, months)
        loc_s = fmt.pick(c.codes(c.WORK_LOCATION), loc)
        loc_s[unemployed] = ""
        cols: list[Column] = [
            w.p_id[person],
            w.p_name[person],
            _enum(c.EMPLOYMENT_STATUS, status),
            loc_s,
            fmt.ints(months),
            _yuan(inc, blank=unemployed),
        ]
        return Frame("employment", cols)

    def social_assistance(self) -> Frame:
        s, w = self.s, self.w
        nm = w.n_members
        members = np.arange(nm)
        hh = w.p_hh[:nm]
        dibao = members[s.db_state[hh] != NOT_GRANTED]
        heads = w.h_first
        tekun = heads[s.tk_state != NOT_GRANTED]
        temp = heads[s.tp_has]
        person = np.concatenate([dibao, tekun, temp])
        kind = np.concatenate(
            [
                np.zeros(len(dibao), np.int8),
                np.ones(len(tekun), np.int8),
                np.full(len(temp), 2, np.int8),
            ]
        )
        order = np.lexsort((kind, person))
        person, kind = person[order], kind[order]
        h = w.p_hh[person]
        amount = np.select([kind == 0, kind == 1], [s.db_amt[h], s.tk_amt[h]], s.tp_amt[h])
        start = np.select([kind == 0, kind == 1], [s.db_start[h], s.tk_start[h]], s.tp_start[h])
        end = np.select([kind == 0, kind == 1], [s.db_end[h], s.tk_end[h]], s.tp_end[h])
        cols = [
            w.p_id[person],
            w.p_name[person],
            _enum(c.ASSISTANCE_TYPE, kind),
            _yuan(amount),
            _dates(start),
            _dates(end),
        ]
        return Frame("social_assistance", cols)
