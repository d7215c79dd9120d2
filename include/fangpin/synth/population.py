"""The people of the generated province: households, members, outsiders (static facts).

Everything that never changes for a person (birth date, sex, id number, name, the
household and its village) is drawn once here, as numpy arrays, and the monthly state in
``dynamics`` only refers to these arrays by index. Households that join the registry later,
and people who are never registered (``outsiders``), are drawn up front too, so that all
id numbers of a run are unique by construction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from fangpin.synth import fmt
from fangpin.synth.geo import Geography
from fangpin.synth.idnum import id_strings

NEVER = 32_000  # month index meaning "never"

# relation codes: index into contract.RELATION
HEAD, SPOUSE, CHILD, PARENT, GRANDCHILD, OTHER = range(6)
# labour codes: index into contract.LABOUR; health codes: index into contract.HEALTH
SKILLED, ORDINARY, WEAK, LOST, NO_LABOUR = range(5)
HEALTHY, CHRONIC, SERIOUS, DISABLED = range(4)

# (weight, head age range, head male share, other slots)
TEMPLATES: tuple[tuple[float, tuple[int, int], float, tuple[str, ...]], ...] = (
    (0.13, (62, 90), 0.55, ()),  # elderly living alone
    (0.16, (60, 85), 0.9, ("spouse",)),  # elderly couple
    (0.09, (25, 59), 0.85, ("spouse",)),  # couple, no children at home
    (0.10, (22, 59), 0.7, ()),  # working-age single
    (0.15, (28, 55), 0.85, ("spouse", "child")),
    (0.11, (30, 50), 0.85, ("spouse", "child", "child")),
    (0.08, (30, 50), 0.85, ("spouse", "child", "parent")),
    (0.03, (32, 50), 0.85, ("spouse", "child", "child", "parent", "parent")),
    (0.05, (28, 55), 0.45, ("child",)),  # single parent
    (0.05, (55, 75), 0.85, ("spouse", "grandchild")),  # grandparents, left-behind child
    (0.04, (50, 70), 0.85, ("spouse", "adult_child", "grandchild")),
    (0.01, (30, 65), 0.8, ("other",)),  # head and a sibling
)

SURNAMES = tuple(
    "王李张刘郭赵杨武贾田乔梁韩高马孙程任冯薛段郝宋白陈吴周徐胡朱林何罗"
    "侯秦史曹阎申牛董苏温卫闫裴范石吕崔康魏姚霍"
)
_SURNAME_W = np.array(
    [8, 7, 7, 6, 5, 5, 4, 4, 3, 3] + [2] * 11 + [1.5] * 8 + [1] * (len(SURNAMES) - 29), dtype=float
)
MALE_CHARS = tuple("伟强军建国明志勇刚平磊斌涛鹏飞杰文华海宏亮峰波辉成俊德旭东晋龙兵庆林宇浩振福")
FEMALE_CHARS = tuple("丽芳娟霞敏静秀英华玲燕红梅兰婷雪琴萍艳慧莉娜云凤琳洁晶月桂春翠佳")


@dataclass
class World:
    """Static facts of every household and person that appears in any month."""

    geo: Geography
    months: tuple[dt.date, ...]
    # households
    h_village: np.ndarray
    h_county: np.ndarray
    h_id: np.ndarray
    h_join: np.ndarray  # first month index in the registry (NEVER: never registered)
    h_leave: np.ndarray  # first month index no longer in the registry
    h_first: np.ndarray  # index of the first member (the head) in the person arrays
    h_size: np.ndarray
    h_template: np.ndarray
    # persons (household members first, ordered by household; outsiders last)
    p_hh: np.ndarray  # household index, -1 for outsiders
    p_rel: np.ndarray
    p_male: np.ndarray
    p_birth: np.ndarray  # day number
    p_by: np.ndarray
    p_bmd: np.ndarray  # month * 100 + day, for ages
    p_county: np.ndarray
    p_village: np.ndarray
    p_id: np.ndarray  # object, 18-character ids
    p_name: np.ndarray  # object
    p_labour: np.ndarray
    p_health: np.ndarray

    @property
    def n_households(self) -> int:
        return len(self.h_id)

    @property
    def n_members(self) -> int:
        return int(self.h_size.sum())

    @property
    def h_head(self) -> np.ndarray:
        return self.h_first

    def registered(self, mi: int) -> np.ndarray:
        """Mask of households in the registry in month index ``mi``."""
        return (self.h_join <= mi) & (mi < self.h_leave)

    def ages(self, on: dt.date) -> np.ndarray:
        """Full years of every person on a date (the period end: docs/contract/RULES.md ages)."""
        ref = on.month * 100 + on.day
        return on.year - self.p_by - (ref < self.p_bmd)


def _allocate_villages(geo: Geography, n: int, rng: np.random.Generator) -> np.ndarray:
    """Village index of ``n`` households: every county gets some once there are enough."""
    n_counties = geo.n_counties
    base = min(5, n // (n_counties * 4))
    counts = rng.multinomial(n - base * n_counties, geo.county_weight) + base
    out = np.empty(n, dtype=np.int32)
    pos = 0
    t_w = geo.township_weight
    t_nv = np.bincount(geo.village_township, minlength=len(t_w))
    v_w = t_w[geo.village_township] / t_nv[geo.village_township]
    order = np.argsort(geo.village_county, kind="stable")
    bounds = np.searchsorted(geo.village_county[order], np.arange(n_counties + 1))
    for c in range(n_counties):
        if counts[c] == 0:
            continue
        villages = order[bounds[c] : bounds[c + 1]]
        w = v_w[villages]
        out[pos : pos + counts[c]] = rng.choice(villages, size=counts[c], p=w / w.sum())
        pos += counts[c]
    return out


def _labour_health(age: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n = len(age)
    u = rng.random(n)
    child, old = age < 16, age >= 60
    health = np.full(n, HEALTHY, dtype=np.int8)
    # cumulative thresholds chronic / serious / disabled by age band
    t1 = np.where(child, 0.01, np.where(old, 0.33, 0.08))
    t2 = t1 + np.where(child, 0.005, np.where(old, 0.05, 0.02))
    t3 = t2 + np.where(child, 0.025, np.where(old, 0.07, 0.05))
    health[u < t3] = DISABLED
    health[u < t2] = SERIOUS
    health[u < t1] = CHRONIC
    v = rng.random(n)
    labour = np.full(n, NO_LABOUR, dtype=np.int8)
    sick = (health == SERIOUS) | (health == DISABLED)
    working = (~child) & (age < 60)
    lab_w = np.where(v < 0.3, SKILLED, np.where(v < 0.95, ORDINARY, WEAK))
    lab_w = np.where(health == CHRONIC, np.where(v < 0.5, WEAK, ORDINARY), lab_w)
    lab_w = np.where(sick, np.where(v < 0.5, LOST, WEAK), lab_w)
    labour[working] = lab_w[working]
    young_old = (age >= 60) & (age < 65)
    lab_o = np.where(
        health == HEALTHY, np.where(v < 0.4, ORDINARY, WEAK), np.where(v < 0.5, WEAK, LOST)
    )
    labour[young_old] = lab_o[young_old]
    older = age >= 65
    lab_oo = np.where(
        health == HEALTHY, np.where(v < 0.5, WEAK, NO_LABOUR), np.where(v < 0.5, LOST, NO_LABOUR)
    )
    labour[older] = lab_oo[older]
    return labour, health


def _unique_prefixes(
    county_int: np.ndarray, ymd: np.ndarray, male: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """17-digit id prefixes, unique: redraw the sequence number of any duplicate."""
    base = county_int * 10**11 + ymd * 1000
    n = len(base)
    seq = rng.integers(0, 100, n) * 10 + 2 * rng.integers(0, 5, n) + male.astype(np.int64)
    prefix = base + seq
    for _ in range(50):
        _, first = np.unique(prefix, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        if not dup.any():
            return prefix
        k = int(dup.sum())
        seq = rng.integers(0, 100, k) * 10 + 2 * rng.integers(0, 5, k) + male[dup]
        prefix[dup] = base[dup] + seq
    raise RuntimeError("could not make unique id numbers")


def build_world(geo: Geography, households: int, months: tuple[dt.date, ...], seed: int) -> World:
    """Draw every household and person of the run (registered in month 0 = ``households``)."""
    rng = np.random.default_rng([seed, 0x9E0])
    n_months = len(months)
    reserve = max(2, round(households * 0.015))
    n_h = households + reserve
    village = np.sort(_allocate_villages(geo, n_h, rng), kind="stable")
    county = geo.village_county[village]

    # household ids: village code + serial within the village
    starts = np.searchsorted(village, village, side="left")
    serial = np.arange(n_h) - starts + 1
    width = max(4, len(str(int(serial.max()))))
    h_id = (
        "H"
        + geo.village_code[village]
        + np.array([f"{s:0{width}d}" for s in range(int(serial.max()) + 1)], dtype=object)[serial]
    )

    join = np.zeros(n_h, dtype=np.int32)
    leave = np.full(n_h, NEVER, dtype=np.int32)
    res = rng.choice(n_h, size=reserve, replace=False)
    join[res] = NEVER
    if n_months > 1:
        joiners = res[rng.random(reserve) < 0.67]
        join[joiners] = rng.integers(1, n_months, len(joiners))
    g = rng.geometric(0.0012, n_h)
    leavers = (join == 0) & (g < n_months)
    leave[leavers] = g[leavers]

    weights = np.array([t[0] for t in TEMPLATES])
    template = rng.choice(len(TEMPLATES), size=n_h, p=weights / weights.sum()).astype(np.int8)
    lo = np.array([t[1][0] for t in TEMPLATES])[template]
    hi = np.array([t[1][1] for t in TEMPLATES])[template]
    head_age = rng.integers(lo, hi + 1)
    head_male = rng.random(n_h) < np.array([t[2] for t in TEMPLATES])[template]
    family = rng.choice(len(SURNAMES), size=n_h, p=_SURNAME_W / _SURNAME_W.sum())

    # expand slots: (household, slot order, relation, age, male, surname)
    parts: list[tuple[np.ndarray, ...]] = []
    hh_all = np.arange(n_h)
    parts.append(
        (
            hh_all,
            np.zeros(n_h, np.int8),
            np.full(n_h, HEAD, np.int8),
            head_age,
            head_male,
            np.where(head_male, family, -1),
        )
    )
    for t, (_, _, _, slots) in enumerate(TEMPLATES):
        hs = hh_all[template == t]
        if not len(hs):
            continue
        ha = head_age[hs]
        parent_count = 0
        adult_child_age = None
        for order, slot in enumerate(slots, start=1):
            k = len(hs)
            male = rng.random(k) < 0.5
            surname = np.full(k, -1)
            if slot == "spouse":
                rel, age = SPOUSE, np.maximum(20, ha + rng.integers(-6, 4, k))
                male = ~head_male[hs]
                surname = np.where(male, family[hs], -1)
            elif slot == "child":
                rel, age = CHILD, np.clip(ha - rng.integers(22, 39, k), 0, None)
                surname = family[hs]
            elif slot == "adult_child":
                rel = CHILD
                age = adult_child_age = np.maximum(20, ha - rng.integers(22, 31, k))
                surname = family[hs]
            elif slot == "grandchild":
                rel, age = GRANDCHILD, rng.integers(0, 17, k)
                if adult_child_age is not None:
                    age = np.minimum(age, np.maximum(0, adult_child_age - 20))
                surname = family[hs]
            elif slot == "parent":
                rel, age = PARENT, np.minimum(98, ha + rng.integers(22, 33, k))
                pair = slots.count("parent") == 2
                # two parents: father then mother; one parent: more often the mother
                male = np.full(k, parent_count == 0) if pair else rng.random(k) < 0.4
                parent_count += 1
                surname = np.where(male & head_male[hs], family[hs], -1)
            else:
                rel, age = OTHER, np.clip(ha + rng.integers(-10, 11, k), 16, 95)
            parts.append(
                (hs, np.full(k, order, np.int8), np.full(k, rel, np.int8), age, male, surname)
            )
    p_hh = np.concatenate([p[0] for p in parts]).astype(np.int32)
    p_order = np.concatenate([p[1] for p in parts])
    sort = np.lexsort((p_order, p_hh))
    p_hh = p_hh[sort]
    p_rel = np.concatenate([p[2] for p in parts])[sort]
    p_age = np.concatenate([p[3] for p in parts])[sort].astype(np.int64)
    p_male = np.concatenate([p[4] for p in parts])[sort].astype(bool)
    p_sur = np.concatenate([p[5] for p in parts])[sort]
    n_members = len(p_hh)

    # people who are never in the registry: students, workers, patients of the province
    n_out = max(10, round(n_members * 0.03))
    out_village = _allocate_villages(geo, n_out, rng)
    out_age = np.where(
        rng.random(n_out) < 0.45, rng.integers(3, 18, n_out), rng.integers(18, 61, n_out)
    )
    p_hh = np.concatenate([p_hh, np.full(n_out, -1, np.int32)])
    p_rel = np.concatenate([p_rel, np.full(n_out, -1, np.int8)])
    p_age = np.concatenate([p_age, out_age])
    p_male = np.concatenate([p_male, rng.random(n_out) < 0.5])
    p_sur = np.concatenate([p_sur, np.full(n_out, -1)])
    p_village = np.concatenate([village[p_hh[:n_members]], out_village]).astype(np.int32)
    n_p = len(p_hh)
    random_sur = rng.choice(len(SURNAMES), size=n_p, p=_SURNAME_W / _SURNAME_W.sum())
    p_sur = np.where(p_sur < 0, random_sur, p_sur)

    # names
    two = rng.random(n_p) < 0.75
    c1 = rng.integers(0, 1000, n_p)
    c2 = rng.integers(0, 1000, n_p)
    male_c = np.array(MALE_CHARS, dtype=object)
    female_c = np.array(FEMALE_CHARS, dtype=object)
    g1 = np.where(p_male, male_c[c1 % len(male_c)], female_c[c1 % len(female_c)])
    g2 = np.where(p_male, male_c[c2 % len(male_c)], female_c[c2 % len(female_c)])
    g2[g2 == g1] = ""  # no doubled character names
    g2[~two] = ""
    p_name = np.array(SURNAMES, dtype=object)[p_sur] + g1 + g2

    # birth dates relative to the first month
    ref = fmt.day_number(months[0])
    birth = ref - np.floor((p_age + rng.random(n_p) * 0.999) * 365.2425).astype(np.int64) - 1
    by, bm, bd = fmt.ymd(birth)
    p_county = geo.village_county[p_village]
    county_int = geo.county_code.astype(np.int64)[p_county]
    prefix = _unique_prefixes(county_int, by * 10000 + bm * 100 + bd, p_male, rng)
    p_id = id_strings(prefix)
    labour, health = _labour_health(p_age, rng)

    h_size = np.bincount(p_hh[:n_members], minlength=n_h).astype(np.int32)
    h_first = (np.cumsum(h_size) - h_size).astype(np.int64)
    return World(
        geo=geo,
        months=months,
        h_village=village,
        h_county=county,
        h_id=h_id,
        h_join=join,
        h_leave=leave,
        h_first=h_first,
        h_size=h_size,
        h_template=template,
        p_hh=p_hh,
        p_rel=p_rel,
        p_male=p_male,
        p_birth=birth,
        p_by=by,
        p_bmd=bm * 100 + bd,
        p_county=p_county,
        p_village=p_village,
        p_id=p_id,
        p_name=p_name,
        p_labour=labour,
        p_health=health,
    )
