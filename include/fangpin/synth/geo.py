"""Geography of the generated province: real counties and townships, generated villages.

Counties and townships are the real statistical divisions of Shanxi (project seeds), so
the warehouse's county checks and ``dim_county`` see the real codes. Villages are not in
the reference data; they are generated as township code + 3 digits, which is exactly the
structure of a statistical village code.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fangpin.config import dbt_project_dir

#: Shanxi names 46 key assistance counties (RULES.md); the generated stand-in has as many.
KEY_COUNTY_TARGET = 46
#: The year the generated list is keyed by: the first year of the policy rules, so every month
#: uses it until the bureau imports a list of its own (``fangpin policy import key_counties``).
KEY_COUNTY_YEAR = 2021
_KEY_SALT = "fangpin-generated-key-county-v1"
KEY_COUNTY_NOTE = "generated for testing; not the official list of key assistance counties"


def seeds_dir() -> Path:
    """The dbt seeds folder, where the geography lives for every stage of the project."""
    return dbt_project_dir() / "seeds"


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def is_development_zone(county_code: str) -> bool:
    """``xx71`` codes are statistical development zones, not GB/T 2260 counties."""
    return county_code[4:6] == "71"


def generate_key_counties(
    counties: list[dict[str, str]], target: int = KEY_COUNTY_TARGET
) -> list[dict[str, str]]:
    """A deterministic, *generated* list of key assistance counties (not the official list).

    Candidates are the rural counties (names ending in 县) of each city, falling back to
    county-level cities (市) where a city has fewer than two; development zones and city
    districts are never chosen. Every city gets two where it can, the rest of ``target`` is
    shared out in proportion to the remaining candidates (largest remainder), and within a
    city the counties are taken in the order of a salted hash of their code, so the list is
    reproducible and independent of the file order.
    """
    by_city: dict[str, list[dict[str, str]]] = {}
    for row in counties:
        if is_development_zone(row["county_code"]):
            continue
        by_city.setdefault(row["city_code"], []).append(row)

    def rank(row: dict[str, str]) -> str:
        return hashlib.sha256(f"{_KEY_SALT}:{row['county_code']}".encode()).hexdigest()

    candidates: dict[str, list[dict[str, str]]] = {}
    for city, rows in sorted(by_city.items()):
        rural = [r for r in rows if r["county_name"].endswith("县")]
        if len(rural) < 2:
            rural += [r for r in rows if r["county_name"].endswith("市")]
        candidates[city] = sorted(rural, key=rank)
    quota = {city: min(2, len(c)) for city, c in candidates.items()}
    rest = target - sum(quota.values())
    spare = {city: len(c) - quota[city] for city, c in candidates.items()}
    total_spare = sum(spare.values())
    if rest > 0 and total_spare > 0:
        shares = {city: rest * s / total_spare for city, s in spare.items()}
        for city, share in shares.items():
            quota[city] += int(share)
        left = target - sum(quota.values())
        order = sorted(shares, key=lambda c: (-(shares[c] - int(shares[c])), c))
        for city in order[:left]:
            quota[city] += 1
    out: list[dict[str, str]] = []
    for city, rows in candidates.items():
        for row in sorted(rows[: quota[city]], key=lambda r: r["county_code"]):
            out.append(
                {
                    "year": str(KEY_COUNTY_YEAR),
                    "county_code": row["county_code"],
                    "county_name": row["county_name"],
                    "city_code": city,
                    "listed_by": "generated",
                    "note": KEY_COUNTY_NOTE,
                }
            )
    return sorted(out, key=lambda r: r["county_code"])


def write_key_counties_seed(folder: Path | None = None) -> Path:
    """Regenerate ``seeds/key_counties.csv`` from ``seeds/shanxi_counties.csv``, deterministically.

    ``python -m fangpin.synth.geo`` runs it; the same seed file always comes out.
    """
    folder = folder or seeds_dir()
    counties = _read_csv(folder / "shanxi_counties.csv")
    rows = generate_key_counties(counties)
    path = folder / "key_counties.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


@dataclass
class Geography:
    """Arrays of counties, townships and villages; indices link them (no Python objects)."""

    county_code: np.ndarray  # object, 6-digit strings
    county_name: np.ndarray
    city_code: np.ndarray  # object, 4-digit strings
    city_name: np.ndarray
    county_city: np.ndarray  # int index into cities
    cities: np.ndarray  # object, distinct city codes in order
    county_key: np.ndarray  # bool
    county_weight: np.ndarray  # float, share of households
    township_code: np.ndarray
    township_name: np.ndarray
    township_county: np.ndarray  # int index into counties
    township_weight: np.ndarray
    village_code: np.ndarray  # object, 12-digit strings
    village_township: np.ndarray
    village_county: np.ndarray

    @property
    def n_counties(self) -> int:
        return len(self.county_code)


def load_geography(seed: int, seeds: Path | None = None) -> Geography:
    """Read counties, townships and key counties from the seeds and generate villages.

    Development zones (``xx71``) are left out of the generated population: their codes are
    not GB/T 2260 codes, so nobody's id number starts with them.
    """
    folder = seeds or seeds_dir()
    counties = [
        r
        for r in _read_csv(folder / "shanxi_counties.csv")
        if not is_development_zone(r["county_code"])
    ]
    townships = _read_csv(folder / "shanxi_townships.csv")
    key_path = folder / "key_counties.csv"
    if key_path.exists():
        keys = {r["county_code"] for r in _read_csv(key_path)}
    else:
        keys = {r["county_code"] for r in generate_key_counties(counties)}
    counties.sort(key=lambda r: r["county_code"])
    code_index = {r["county_code"]: i for i, r in enumerate(counties)}
    townships = sorted(
        (t for t in townships if t["county_code"] in code_index), key=lambda t: t["township_code"]
    )

    cities = np.array(sorted({r["city_code"] for r in counties}), dtype=object)
    city_index = {c: i for i, c in enumerate(cities.tolist())}
    county_code = np.array([r["county_code"] for r in counties], dtype=object)
    names = [r["county_name"] for r in counties]
    key = np.array([c in keys for c in county_code.tolist()])
    weight = np.array(
        [0.35 if n.endswith("区") else 0.8 if n.endswith("市") else 1.0 for n in names]
    )
    weight = weight * np.where(key, 1.4, 1.0)

    t_code = np.array([t["township_code"] for t in townships], dtype=object)
    t_name = [t["township_name"] for t in townships]
    t_county = np.array([code_index[t["county_code"]] for t in townships], dtype=np.int32)
    t_weight = np.array(
        [
            0.3
            if n.endswith("街道")
            else 1.0
            if n.endswith("镇")
            else 0.8
            if n.endswith("乡")
            else 0.1
            for n in t_name
        ]
    )

    rng = np.random.default_rng([seed, 0x6E0])
    lo = np.where(t_weight >= 0.8, np.where(t_weight == 1.0, 10, 6), 2)
    hi = np.where(t_weight >= 0.8, np.where(t_weight == 1.0, 26, 16), 7)
    n_villages = rng.integers(lo, hi)
    v_township = np.repeat(np.arange(len(t_code), dtype=np.int32), n_villages)
    starts = np.cumsum(n_villages) - n_villages
    serial = np.arange(len(v_township)) - np.repeat(starts, n_villages) + 201
    v_code = t_code[v_township] + np.array([f"{i:03d}" for i in range(1000)], dtype=object)[serial]
    return Geography(
        county_code=county_code,
        county_name=np.array(names, dtype=object),
        city_code=np.array([r["city_code"] for r in counties], dtype=object),
        city_name=np.array([r["city_name"] for r in counties], dtype=object),
        county_city=np.array([city_index[r["city_code"]] for r in counties], dtype=np.int32),
        cities=cities,
        county_key=key,
        county_weight=weight / weight.sum(),
        township_code=t_code,
        township_name=np.array(t_name, dtype=object),
        township_county=t_county,
        township_weight=t_weight,
        village_code=v_code,
        village_township=v_township,
        village_county=t_county[v_township],
    )


if __name__ == "__main__":
    print(write_key_counties_seed())
