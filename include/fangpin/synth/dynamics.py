"""Month-by-month state of the province: problems appear, get noticed, get fixed.

One ``State`` holds the current facts of every household, person, house and water
project as numpy arrays. ``advance`` moves it to the next month with transition
probabilities drawn from a stream derived from (seed, month index), so every run with the
same seed tells the same story: children drop out and re-enrol, insurance lapses and is
resumed, houses are damaged and rectified, incomes move, households are identified
``at_risk`` and later ``eliminated``, dibao is granted and ends.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from fangpin.domain import months
from fangpin.synth import fmt
from fangpin.synth.population import (
    CHRONIC,
    DISABLED,
    HEALTHY,
    LOST,
    NO_LABOUR,
    ORDINARY,
    SERIOUS,
    SKILLED,
    WEAK,
    World,
)

NODATE = fmt.NODATE
THRESHOLD_CENTS = 600_000  # monitoring income threshold (docs/contract/RULES.md, 2021+)
DIBAO_CENTS = 565_800  # rural dibao standard (docs/contract/RULES.md, 2021+)

# enum indices (contract order)
OUT_OF_POVERTY, ORDINARY_HH = 0, 1
M_NONE, M_UNSTABLE, M_MARGINAL, M_SUDDEN = range(4)
NOT_MONITORED, AT_RISK, ELIMINATED = range(3)
(
    ILLNESS,
    SCHOOLING,
    DISABILITY,
    DISASTER,
    ACCIDENT,
    LABOUR_SHORTAGE,
    UNSTABLE_EMP,
    INDUSTRY_FAILURE,
    OTHER_CAUSE,
) = range(9)
PRESCHOOL, PRIMARY, JUNIOR, SENIOR, VOCATIONAL, TERTIARY = range(6)
ENROLLED, HOME_SCHOOLING, SUSPENDED, DROPPED_OUT, GRADUATED = range(5)
RESIDENT, EMPLOYEE = 0, 1
ACTIVE, MED_SUSPENDED, MED_NONE = range(3)
NOT_NEEDED, IN_PROGRESS, DONE = range(3)
MIGRANT, LOCAL, FLEXIBLE, PUBLIC_WELFARE, UNEMPLOYED = range(5)
IN_COUNTY, IN_PROVINCE, OUT_OF_PROVINCE = range(3)
NOT_GRANTED, IN_FORCE, ENDED = range(3)

_CAUSE_P = np.array([0.34, 0.1, 0.15, 0.05, 0.05, 0.14, 0.11, 0.04, 0.02])
STAGE_START = np.array([3, 6, 12, 15, 15, 18])


def month_end(d: dt.date) -> dt.date:
    return months.month_end(d)


class State:
    """Current facts of the province; ``advance(mi)`` moves to month index ``mi``."""

    def __init__(self, world: World, seed: int) -> None:
        self.w = world
        self.seed = seed
        self.mi = 0
        rng = self._rng(0, 0)
        self._init_households(rng)
        self._init_persons(rng)
        self._init_housing(rng)
        self._init_water(rng)
        self._init_assistance(rng)

    # ----------------------------------------------------------------- time helpers
    def _rng(self, mi: int, stream: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, 0x57A7E, mi, stream])

    @property
    def month(self) -> dt.date:
        return self.w.months[self.mi]

    @property
    def first(self) -> int:
        return fmt.day_number(self.month)

    @property
    def last(self) -> int:
        return fmt.day_number(month_end(self.month))

    def ages(self) -> np.ndarray:
        """Full years of every person at the period end."""
        return self.w.ages(month_end(self.month))

    def _days_in_month(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.first + rng.integers(0, 28, n)

    def _any(self, mask: np.ndarray) -> np.ndarray:
        """Per household: does any member satisfy ``mask`` (over members)?"""
        hh = self.w.p_hh[: self.w.n_members]
        return np.bincount(hh[mask[: self.w.n_members]], minlength=self.w.n_households) > 0

    def _sum(self, values: np.ndarray) -> np.ndarray:
        hh = self.w.p_hh[: self.w.n_members]
        return np.bincount(hh, weights=values[: self.w.n_members], minlength=self.w.n_households)

    def _labour_mask(self) -> np.ndarray:
        lab = self.w.p_labour
        return (lab == SKILLED) | (lab == ORDINARY) | (lab == WEAK)

    # ---------------------------------------------------------------- households
    def _init_households(self, rng: np.random.Generator) -> None:
        w = self.w
        n = w.n_households
        age = self.ages()
        working = (age >= 16) & (age <= 60) & ((w.p_labour == SKILLED) | (w.p_labour == ORDINARY))
        has_work = self._any(working)
        self.htype = np.where(rng.random(n) < 0.35, OUT_OF_POVERTY, ORDINARY_HH).astype(np.int8)
        median = np.where(self.htype == OUT_OF_POVERTY, 12500.0, 15000.0)
        income = median * np.exp(rng.normal(0, 0.35, n)) * np.where(has_work, 1.0, 0.7)
        u = rng.random(n)
        oop = self.htype == OUT_OF_POVERTY
        p_risk = np.where(oop, 0.045, 0.02)
        p_elim = np.where(oop, 0.07, 0.03)
        status = np.where(
            u < p_risk, AT_RISK, np.where(u < p_risk + p_elim, ELIMINATED, NOT_MONITORED)
        ).astype(np.int8)
        mtype = np.where(oop, M_UNSTABLE, M_MARGINAL)
        mtype = np.where(rng.random(n) < 0.15, M_SUDDEN, mtype)
        mtype = np.where(status == NOT_MONITORED, M_NONE, mtype).astype(np.int8)
        at_risk = status == AT_RISK
        elim = status == ELIMINATED
        income = np.where(at_risk, rng.uniform(3800, 7800, n), income)
        below = rng.random(n) < 0.02  # a few eliminated below the line: a doubt point
        income = np.where(elim & ~below, np.maximum(income, rng.uniform(6400, 9000, n)), income)
        self.income = np.round(income * 100).astype(np.int64)
        self.mstatus = status
        self.mtype = mtype
        self.ident_on = np.full(n, NODATE, dtype=np.int64)
        self.elim_on = np.full(n, NODATE, dtype=np.int64)
        first = self.first
        self.ident_on[at_risk] = first - rng.integers(15, 700, int(at_risk.sum()))
        ident_e = first - rng.integers(400, 1500, n)
        gap = np.where(rng.random(n) < 0.03, rng.integers(60, 170, n), rng.integers(190, 700, n))
        elim_day = np.minimum(ident_e + gap, first - 20)
        self.ident_on[elim] = ident_e[elim]
        self.elim_on[elim] = elim_day[elim]
        self.causes = np.zeros(n, dtype=np.int64)
        monitored = at_risk | elim
        self.causes[monitored] = self._draw_causes(rng, int(monitored.sum()))
        self.causes[at_risk & (rng.random(n) < 0.02)] = 0  # at risk without cause: doubt
        # a handful of type/status mismatches (doubt point TYPE_STATUS_MISMATCH)
        odd = (status == NOT_MONITORED) & (rng.random(n) < 0.0008)
        self.mtype[odd] = M_MARGINAL
        r = rng.random(n)
        self.relocated = np.where(
            oop,
            np.where(r < 0.08, 1, np.where(r < 0.88, 0, 2)),
            np.where(r < 0.01, 1, np.where(r < 0.6, 0, 2)),
        ).astype(np.int8)

    @staticmethod
    def _draw_causes(rng: np.random.Generator, k: int) -> np.ndarray:
        first = rng.choice(9, size=k, p=_CAUSE_P / _CAUSE_P.sum())
        second = rng.choice(9, size=k, p=_CAUSE_P / _CAUSE_P.sum())
        mask = np.left_shift(1, first)
        two = rng.random(k) < 0.4
        mask[two] |= np.left_shift(1, second[two])
        return mask.astype(np.int64)

    # ------------------------------------------------------------------- persons
    def _init_persons(self, rng: np.random.Generator) -> None:
        w = self.w
        n = len(w.p_id)
        age = self.ages()
        # education: static draws decide who ever has a record and which track
        self.e_u = rng.random(n)
        self.e_voc = rng.random(n) < 0.3
        self.e_ter = rng.random(n) < 0.42
        self.e_uni = rng.integers(0, 1_000_000, n)
        stage = self._school_stage()
        self.e_stage = stage.copy()
        has = stage >= 0
        self.e_status = np.full(n, ENROLLED, dtype=np.int8)
        sy = self._school_year()
        self.e_date = np.full(n, fmt.day_number(dt.date(sy, 9, 1)), dtype=np.int64)
        u = rng.random(n)
        compulsory = has & (age >= 6) & (age <= 15)
        drop = compulsory & (u < 0.004) | has & (age > 15) & (age <= 18) & (u < 0.015)
        susp = compulsory & (u >= 0.004) & (u < 0.007)
        home = compulsory & (w.p_health == DISABLED) & (rng.random(n) < 0.6)
        self.e_status[drop] = DROPPED_OUT
        self.e_status[susp] = SUSPENDED
        self.e_status[home & ~drop & ~susp] = HOME_SCHOOLING
        event = drop | susp
        self.e_date[event] = self.first - rng.integers(10, 250, int(event.sum()))
        # an earlier row: graduation from the previous stage
        prev_stage = np.array([-1, PRESCHOOL, PRIMARY, JUNIOR, JUNIOR, SENIOR])[
            np.maximum(stage, 0)
        ]
        self.ep_has = has & (stage >= JUNIOR) & (rng.random(n) < 0.3)
        self.ep_stage = np.where(self.ep_has, prev_stage, -1).astype(np.int8)
        self.ep_status = np.full(n, GRADUATED, dtype=np.int8)
        sa = self._school_age(sy)
        years_in = np.maximum(0, sa - STAGE_START[np.maximum(stage, 0)])
        self.ep_date = np.array([fmt.day_number(dt.date(y, 7, 1)) for y in range(1900, 2101)])[
            np.clip(sy - years_in - 1900, 0, 200)
        ]

        # medical
        self.m_scheme = np.where(
            (age >= 18) & (age < 60) & (w.p_labour == SKILLED) & (rng.random(n) < 0.25),
            EMPLOYEE,
            RESIDENT,
        ).astype(np.int8)
        u = rng.random(n)
        self.m_status = np.where(
            u < 0.992, ACTIVE, np.where(u < 0.996, MED_SUSPENDED, MED_NONE)
        ).astype(np.int8)
        self.m_chronic = ((w.p_health == CHRONIC) | (w.p_health == SERIOUS)) & (rng.random(n) < 0.6)
        self.m_annual = self._draw_expense(rng, np.arange(n))
        base = np.where(
            self.m_scheme == EMPLOYEE, rng.integers(700, 860, n), rng.integers(500, 720, n)
        )
        serious = w.p_health == SERIOUS  # serious-illness insurance and medical aid on top
        self.m_rate = np.minimum(base + np.where(serious, 150, 0), 920).astype(np.int64)
        u = rng.random(n)
        self.m_dup = np.where(u < 0.003, 1, np.where(u < 0.006, 2, 0)).astype(np.int8)

        # employment
        eligible = (age >= 16) & (age <= 60) & self._labour_mask()
        weak = w.p_labour == WEAK
        self.j_has = eligible & (rng.random(n) < np.where(weak, 0.75, 0.93))
        self.j1_status, self.j1_loc, self.j1_inc = self._draw_job(rng, n, weak)
        self.j_frac = rng.uniform(0.5, 1.0, n)
        self.j2_has = self.j_has & (self.j1_status != UNEMPLOYED) & (rng.random(n) < 0.08)
        self.j2_status = np.where(rng.random(n) < 0.5, FLEXIBLE, LOCAL).astype(np.int8)
        self.j2_loc = np.where(
            self.j2_status == LOCAL,
            IN_COUNTY,
            np.where(rng.random(n) < 0.7, IN_COUNTY, IN_PROVINCE),
        ).astype(np.int8)
        self.j2_inc = (rng.uniform(800, 2500, n) * 100).astype(np.int64)

    def _draw_job(
        self, rng: np.random.Generator, n: int, weak: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        u = rng.random(n)
        status = np.select(
            [u < 0.42, u < 0.67, u < 0.83, u < 0.92],
            [MIGRANT, LOCAL, FLEXIBLE, PUBLIC_WELFARE],
            UNEMPLOYED,
        ).astype(np.int8)
        status = np.where(weak & (rng.random(n) < 0.4), PUBLIC_WELFARE, status).astype(np.int8)
        v = rng.random(n)
        loc = np.select(
            [status == MIGRANT, status == FLEXIBLE],
            [
                np.where(v < 0.45, IN_PROVINCE, OUT_OF_PROVINCE),
                np.where(v < 0.7, IN_COUNTY, IN_PROVINCE),
            ],
            IN_COUNTY,
        ).astype(np.int8)
        lo = np.array([3000, 2000, 1500, 500, 0])[status]
        hi = np.array([6500, 4500, 4000, 1200, 0])[status]
        inc = (rng.uniform(0, 1, n) * (hi - lo) + lo) * 100
        return status, loc, np.round(inc).astype(np.int64)

    def _draw_expense(self, rng: np.random.Generator, idx: np.ndarray) -> np.ndarray:
        h = self.w.p_health[idx]
        k = len(idx)
        mu = np.log(np.array([800.0, 4500.0, 30000.0, 2500.0]))[h]
        sigma = np.array([1.0, 0.6, 0.6, 0.8])[h]
        yuan = np.exp(mu + sigma * rng.standard_normal(k))
        yuan = np.where((h == HEALTHY) & (rng.random(k) < 0.45), 0.0, yuan)
        return np.round(np.minimum(yuan, 600_000) * 100).astype(np.int64)

    def _school_year(self) -> int:
        m = self.month
        return m.year if m.month >= 9 else m.year - 1

    def _school_age(self, sy: int) -> np.ndarray:
        """Age on 31 August of the school year's start: what decides the stage."""
        return sy - self.w.p_by - (831 < self.w.p_bmd)

    def _school_stage(self) -> np.ndarray:
        """Stage each person is in this school year (-1: no education record)."""
        sa = self._school_age(self._school_year())
        u = self.e_u
        stage = np.full(len(sa), -1, dtype=np.int8)
        stage[(sa >= 3) & (sa <= 5) & (u < 0.85)] = PRESCHOOL
        stage[(sa >= 6) & (sa <= 11) & (u < 0.975)] = PRIMARY
        stage[(sa >= 12) & (sa <= 14) & (u < 0.975)] = JUNIOR
        upper = (sa >= 15) & (sa <= 17) & (u < 0.85)
        stage[upper] = np.where(self.e_voc[upper], VOCATIONAL, SENIOR)
        stage[(sa >= 18) & (sa <= 21) & self.e_ter & (u < 0.9)] = TERTIARY
        return stage

    # ------------------------------------------------------------------- housing
    def _init_housing(self, rng: np.random.Generator) -> None:
        n = self.w.n_households
        self.hs_has = rng.random(n) < 0.92
        u = rng.random(n)
        self.hs_grade = np.select([u < 0.55, u < 0.93, u < 0.98], [0, 1, 2], 3).astype(np.int8)
        self.hs_date = self.first - rng.integers(60, 1500, n)
        cd = self.hs_grade >= 2
        rect_on = self.hs_date + rng.integers(30, 400, n)
        done = cd & (rng.random(n) < 0.7) & (rect_on < self.first)
        self.hs_rect = np.where(cd, np.where(done, DONE, IN_PROGRESS), NOT_NEEDED).astype(np.int8)
        self.hs_rect_on = np.where(done, rect_on, NODATE)
        self.hs_dis = cd & (rng.random(n) < np.where(done, 0.1, 0.25))
        # an older appraisal of some houses, superseded by the latest one
        self.hp_has = self.hs_has & (rng.random(n) < 0.1)
        self.hp_grade = np.where(rng.random(n) < 0.5, 2, 1).astype(np.int8)
        self.hp_date = self.hs_date - rng.integers(200, 1000, n)
        self.hp_rect = np.where(self.hp_grade >= 2, IN_PROGRESS, NOT_NEEDED).astype(np.int8)
        self.hp_rect_on = np.full(n, NODATE, dtype=np.int64)
        self.hp_dis = np.zeros(n, dtype=bool)

    # --------------------------------------------------------------------- water
    def _init_water(self, rng: np.random.Generator) -> None:
        villages = np.unique(self.w.h_village)
        k = rng.choice(3, size=len(villages), p=[0.65, 0.28, 0.07]) + 1
        self.v_missing = np.zeros(len(self.w.geo.village_code), dtype=bool)
        self.v_missing[villages[rng.random(len(villages)) < 0.03]] = True
        self.wp_village = np.repeat(villages, k).astype(np.int32)
        starts = np.cumsum(k) - k
        self.wp_serial = np.arange(len(self.wp_village)) - np.repeat(starts, k) + 1
        n = len(self.wp_village)
        self.wp_mode = np.where(rng.random(n) < 0.85, 0, 1).astype(np.int8)
        self.wp_ok = rng.random((n, 4)) >= 0.004
        self.wp_danger = rng.random(n) < 0.015
        bad = ~self.wp_ok.all(axis=1) | self.wp_danger
        done = bad & self.wp_ok.all(axis=1) & (rng.random(n) < 0.4)
        self.wp_rect = np.where(bad, np.where(done, DONE, IN_PROGRESS), NOT_NEEDED).astype(np.int8)
        self.wp_date = self.first - rng.integers(10, 400, n)

    # ---------------------------------------------------------------- assistance
    def _init_assistance(self, rng: np.random.Generator) -> None:
        w = self.w
        n = w.n_households
        age = self.ages()
        lab = self._any(self._labour_mask())
        low = self.income < DIBAO_CENTS
        u = rng.random(n)
        head = w.h_first
        single_old = (
            (w.h_size == 1)
            & (age[head] >= 60)
            & ((w.p_labour[head] == LOST) | (w.p_labour[head] == NO_LABOUR))
        )
        tekun = single_old & (self.income < 700_000) & (u < 0.6)
        dibao = ~tekun & ((low & (u < 0.88)) | (~lab & (self.income < 650_000) & (u < 0.4)))
        ended = ~tekun & ~dibao & (u > 0.97)
        self.db_state = np.where(dibao, IN_FORCE, np.where(ended, ENDED, NOT_GRANTED)).astype(
            np.int8
        )
        self.db_start = self.first - rng.integers(30, 2000, n)
        self.db_end = np.where(
            ended, np.minimum(self.db_start + rng.integers(90, 900, n), self.first - 1), NODATE
        )
        self.db_amt = (rng.uniform(250, 520, n) * 100).round().astype(np.int64)
        self.tk_state = np.where(tekun, IN_FORCE, NOT_GRANTED).astype(np.int8)
        self.tk_start = self.first - rng.integers(30, 2500, n)
        self.tk_end = np.full(n, NODATE, dtype=np.int64)
        self.tk_amt = (rng.uniform(600, 900, n) * 100).round().astype(np.int64)
        temp = (self.mstatus == AT_RISK) & (rng.random(n) < 0.15)
        self.tp_has = temp
        self.tp_start = self.first - rng.integers(0, 120, n)
        self.tp_end = self.tp_start + rng.integers(30, 120, n)
        self.tp_amt = (rng.uniform(500, 3000, n) * 100).round().astype(np.int64)

    def in_force(self, start: np.ndarray, end: np.ndarray, state: np.ndarray) -> np.ndarray:
        return (
            (state != NOT_GRANTED) & (start <= self.last) & ((end == NODATE) | (end >= self.first))
        )

    # ------------------------------------------------------------------ signals
    def need(self) -> tuple[np.ndarray, np.ndarray]:
        """Per household: does it need monitoring (docs/contract/RULES.md, from the true state)?

        Returns the need mask and a bitmask of plausible risk causes. Feed absences do not
        matter here: this is the world, not what the warehouse sees of it.
        """
        w = self.w
        n = w.n_households
        age = self.ages()
        nm = w.n_members
        cause = np.zeros(n, dtype=np.int64)
        low = self.income < THRESHOLD_CENTS
        dropout = self._any(
            (age >= 6) & (age <= 15) & (self.e_stage >= 0) & (self.e_status == DROPPED_OUT)
        )
        uninsured = self._any(self.m_status != ACTIVE)
        ytd = self.m_annual * self.month.month // 12
        oop = np.where(self.m_status == MED_NONE, 0, ytd - ytd * self.m_rate // 1000)
        burden = self._sum(oop.astype(float)) > 0.5 * self.income * w.h_size
        house = self.hs_has & (self.hs_grade >= 2) & (self.hs_rect != DONE)
        disaster = self.hs_has & self.hs_dis & (self.hs_rect != DONE)
        bad_p = ~self.wp_ok.all(axis=1) | (self.wp_danger & (self.wp_rect != DONE))
        bad_v = np.zeros(len(w.geo.village_code), dtype=bool)
        bad_v[self.wp_village[bad_p]] = True
        bad_v &= ~self.v_missing
        water = bad_v[w.h_village]
        lab = self._any(self._labour_mask())
        cover = self.in_force(self.db_start, self.db_end, self.db_state) | self.in_force(
            self.tk_start, self.tk_end, self.tk_state
        )
        gap = ~lab & (self.income < DIBAO_CENTS) & ~cover
        cause |= np.where(dropout, 1 << SCHOOLING, 0)
        cause |= np.where(uninsured | burden, 1 << ILLNESS, 0)
        cause |= np.where(house | disaster, 1 << DISASTER, 0)
        cause |= np.where(water, 1 << OTHER_CAUSE, 0)
        cause |= np.where(gap, 1 << LABOUR_SHORTAGE, 0)
        cause |= np.where(low & lab, 1 << UNSTABLE_EMP, np.where(low, 1 << LABOUR_SHORTAGE, 0))
        disabled = self._any(w.p_health[:nm] == DISABLED)
        cause |= np.where(disabled & (cause != 0), 1 << DISABILITY, 0)
        need = low | dropout | uninsured | burden | house | disaster | water | gap
        return need, cause

    # ------------------------------------------------------------------- advance
    def advance(self, mi: int) -> None:
        """Move to month index ``mi`` (called in order for mi = 1, 2, ...)."""
        if mi != self.mi + 1:
            raise ValueError("months are advanced one at a time")
        prev_year = self.month.year
        self.mi = mi
        rng = self._rng(mi, 1)
        self._advance_education(rng)
        self._advance_medical(rng, new_year=self.month.year != prev_year)
        self._advance_employment(rng)
        self._advance_housing(rng)
        self._advance_water(rng)
        self._advance_income(rng)
        self._advance_assistance(rng)
        self._advance_monitoring(rng)

    def _advance_education(self, rng: np.random.Generator) -> None:
        n = len(self.e_stage)
        cs = self._school_stage()
        sy = self._school_year()
        grad_day = fmt.day_number(dt.date(sy, 7, 1))
        sept = fmt.day_number(dt.date(sy, 9, 1))
        stored = self.e_stage
        new = (stored < 0) & (cs >= 0)
        moving = (stored >= 0) & (cs != stored) & (self.e_status != DROPPED_OUT)
        # graduation rows: the stage just finished
        grad_date = np.where(self.e_status == GRADUATED, self.e_date, grad_day)
        to_next = moving & (cs >= 0)
        self.ep_has = np.where(to_next, True, self.ep_has)
        self.ep_stage = np.where(to_next, stored, self.ep_stage).astype(np.int8)
        self.ep_status = np.where(to_next, GRADUATED, self.ep_status).astype(np.int8)
        self.ep_date = np.where(to_next, grad_date, self.ep_date)
        leaving = moving & (cs < 0)
        self.e_status = np.where(leaving, GRADUATED, self.e_status).astype(np.int8)
        self.e_date = np.where(leaving & (self.e_status == GRADUATED), grad_date, self.e_date)
        start = to_next | new
        day = np.where(self.month.month == 9, sept, self._days_in_month(rng, n))
        self.e_stage = np.where(start, cs, stored).astype(np.int8)
        self.e_status = np.where(start, ENROLLED, self.e_status).astype(np.int8)
        self.e_date = np.where(start, day, self.e_date)
        # status changes within the stage
        age = self.ages()
        u = rng.random(n)
        day = self._days_in_month(rng, n)
        has = self.e_stage >= 0
        school_age = (age >= 6) & (age <= 17)
        enrolled = has & (self.e_status == ENROLLED) & ~start
        drop = enrolled & school_age & (u < 0.002)
        suspend = enrolled & school_age & (u >= 0.002) & (u < 0.0025)
        back = has & (
            (self.e_status == DROPPED_OUT) & (u < 0.4) | (self.e_status == SUSPENDED) & (u < 0.25)
        )
        change = drop | suspend | back
        self.ep_has = np.where(change, True, self.ep_has)
        self.ep_stage = np.where(change, self.e_stage, self.ep_stage).astype(np.int8)
        self.ep_status = np.where(change, self.e_status, self.ep_status).astype(np.int8)
        self.ep_date = np.where(change, self.e_date, self.ep_date)
        self.e_status = np.where(
            drop, DROPPED_OUT, np.where(suspend, SUSPENDED, np.where(back, ENROLLED, self.e_status))
        ).astype(np.int8)
        self.e_stage = np.where(back & (cs >= 0), cs, self.e_stage).astype(np.int8)
        self.e_date = np.where(change, day, self.e_date)

    def _advance_medical(self, rng: np.random.Generator, new_year: bool) -> None:
        n = len(self.m_status)
        u = rng.random(n)
        st = self.m_status
        lapse = (st == ACTIVE) & (u < 0.0015)
        resume = (st == MED_SUSPENDED) & (u < 0.45) | (st == MED_NONE) & (u < 0.2)
        unpaid = (st == ACTIVE) & (u >= 0.0015) & (u < 0.004) if new_year else np.zeros(n, bool)
        st = np.where(lapse, MED_SUSPENDED, np.where(resume, ACTIVE, st))
        self.m_status = np.where(unpaid, MED_NONE, st).astype(np.int8)
        if new_year:
            self.m_annual = self._draw_expense(rng, np.arange(n))
        # a serious illness strikes: the year's expense jumps
        ill = rng.random(n) < 0.0003
        k = int(ill.sum())
        if k:
            self.m_annual[ill] = np.maximum(
                self.m_annual[ill],
                np.round(np.exp(np.log(60_000.0) + 0.5 * rng.standard_normal(k)) * 100).astype(
                    np.int64
                ),
            )

    def _advance_employment(self, rng: np.random.Generator) -> None:
        n = len(self.j_has)
        u = rng.random(n)
        employed = self.j_has & (self.j1_status != UNEMPLOYED)
        lose = employed & (u < 0.008)
        find = self.j_has & (self.j1_status == UNEMPLOYED) & (u < 0.12)
        status, loc, inc = self._draw_job(rng, n, np.zeros(n, bool))
        status = np.where(status == UNEMPLOYED, LOCAL, status)
        self.j1_status = np.where(lose, UNEMPLOYED, np.where(find, status, self.j1_status)).astype(
            np.int8
        )
        self.j1_loc = np.where(find, np.where(status == LOCAL, IN_COUNTY, loc), self.j1_loc).astype(
            np.int8
        )
        self.j1_inc = np.where(find, np.maximum(inc, 200_000), self.j1_inc)
        self.j2_has &= ~lose

    def _advance_housing(self, rng: np.random.Generator) -> None:
        n = len(self.hs_has)
        u = rng.random(n)
        day = self._days_in_month(rng, n)
        fix = self.hs_has & (self.hs_rect == IN_PROGRESS) & (u < 0.2)
        self.hs_rect = np.where(fix, DONE, self.hs_rect).astype(np.int8)
        self.hs_rect_on = np.where(fix, day, self.hs_rect_on)
        v = rng.random(n)
        damage = v < 0.0008
        keep = damage & self.hs_has
        for cur, prev in (
            ("hs_grade", "hp_grade"),
            ("hs_date", "hp_date"),
            ("hs_rect", "hp_rect"),
            ("hs_rect_on", "hp_rect_on"),
            ("hs_dis", "hp_dis"),
        ):
            setattr(self, prev, np.where(keep, getattr(self, cur), getattr(self, prev)))
        self.hp_has = self.hp_has | keep
        appraise = ~self.hs_has & (v > 0.97)
        new = damage | appraise
        self.hs_has = self.hs_has | new
        self.hs_date = np.where(new, day, self.hs_date)
        grade = np.where(
            damage, np.where(rng.random(n) < 0.7, 2, 3), np.where(rng.random(n) < 0.6, 0, 1)
        )
        self.hs_grade = np.where(new, grade, self.hs_grade).astype(np.int8)
        self.hs_rect = np.where(
            new, np.where(damage, IN_PROGRESS, NOT_NEEDED), self.hs_rect
        ).astype(np.int8)
        self.hs_rect_on = np.where(new, NODATE, self.hs_rect_on)
        self.hs_dis = np.where(new, damage & (rng.random(n) < 0.6), self.hs_dis)

    def _advance_water(self, rng: np.random.Generator) -> None:
        n = len(self.wp_village)
        u = rng.random(n)
        day = self._days_in_month(rng, n)
        fix = (self.wp_rect == IN_PROGRESS) & (u < 0.3)
        self.wp_ok[fix] = True
        self.wp_rect = np.where(fix, DONE, self.wp_rect).astype(np.int8)
        self.wp_date = np.where(fix, day, self.wp_date)
        fail = ~fix & (u > 0.9985)
        which = rng.integers(0, 5, n)
        for j in range(4):
            self.wp_ok[fail & (which == j), j] = False
        self.wp_danger = self.wp_danger | (fail & (which == 4))
        self.wp_rect = np.where(fail, IN_PROGRESS, self.wp_rect).astype(np.int8)
        self.wp_date = np.where(fail, day, self.wp_date)

    def _advance_income(self, rng: np.random.Generator) -> None:
        n = len(self.income)
        u = rng.random(n)
        revise = u < 0.03
        shock = (u >= 0.03) & (u < 0.0325)
        recover = (self.mstatus == AT_RISK) & (self.income < THRESHOLD_CENTS) & (u > 0.88)
        factor = np.where(
            revise,
            rng.uniform(0.9, 1.2, n),
            np.where(
                shock, rng.uniform(0.3, 0.6, n), np.where(recover, rng.uniform(1.3, 1.9, n), 1.0)
            ),
        )
        self.income = np.round(self.income * factor).astype(np.int64)

    def _advance_assistance(self, rng: np.random.Generator) -> None:
        n = len(self.income)
        u = rng.random(n)
        lab = self._any(self._labour_mask())
        dibao_on = self.in_force(self.db_start, self.db_end, self.db_state)
        tekun_on = self.in_force(self.tk_start, self.tk_end, self.tk_state)
        eligible = self.income < DIBAO_CENTS
        grant = eligible & ~dibao_on & ~tekun_on & (u < np.where(lab, 0.1, 0.3))
        stop = dibao_on & ((self.income > THRESHOLD_CENTS) & (u < 0.1) | (u > 0.997))
        self.db_state = np.where(grant, IN_FORCE, np.where(stop, ENDED, self.db_state)).astype(
            np.int8
        )
        self.db_start = np.where(grant, self._days_in_month(rng, n), self.db_start)
        self.db_end = np.where(grant, NODATE, np.where(stop, self.first - 1, self.db_end))
        temp = (self.mstatus == AT_RISK) & (rng.random(n) < 0.04)
        self.tp_has |= temp
        self.tp_start = np.where(temp, self._days_in_month(rng, n), self.tp_start)
        self.tp_end = np.where(temp, self.tp_start + rng.integers(30, 120, n), self.tp_end)

    def _advance_monitoring(self, rng: np.random.Generator) -> None:
        need, cause = self.need()
        n = len(need)
        u = rng.random(n)
        day = self._days_in_month(rng, n)
        registered = self.w.registered(self.mi)
        identify = registered & need & (self.mstatus != AT_RISK) & (u < 0.2)
        oop = self.htype == OUT_OF_POVERTY
        new_type = np.where(rng.random(n) < 0.15, M_SUDDEN, np.where(oop, M_UNSTABLE, M_MARGINAL))
        self.mtype = np.where(identify & (self.mtype == M_NONE), new_type, self.mtype).astype(
            np.int8
        )
        self.mstatus = np.where(identify, AT_RISK, self.mstatus).astype(np.int8)
        self.ident_on = np.where(identify, day, self.ident_on)
        self.elim_on = np.where(identify, NODATE, self.elim_on)
        self.causes = np.where(identify, np.where(cause == 0, 1 << OTHER_CAUSE, cause), self.causes)
        long_enough = self.first - self.ident_on >= 183
        eliminate = (
            registered
            & ~need
            & (self.mstatus == AT_RISK)
            & ~identify
            & (long_enough & (u < 0.25) | ~long_enough & (u < 0.01))
        )
        self.mstatus = np.where(eliminate, ELIMINATED, self.mstatus).astype(np.int8)
        self.elim_on = np.where(eliminate, day, self.elim_on)
