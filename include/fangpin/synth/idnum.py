"""Resident id numbers (GB 11643): check characters, vectorised, and the first-generation form.

The generator makes millions of ids, so the ISO 7064 MOD 11-2 check is computed on whole
numpy arrays of 17-digit prefixes; the scalar helpers exist for tests and the messy forms.
"""

from __future__ import annotations

import numpy as np

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_CHECK_ARRAY = np.array(list(CHECK_CHARS), dtype=object)


def check_index(prefix17: np.ndarray) -> np.ndarray:
    """Index into ``CHECK_CHARS`` of the check character of each 17-digit prefix (int64)."""
    p = np.asarray(prefix17, dtype=np.int64)
    total = np.zeros(p.shape, dtype=np.int64)
    for pos, weight in enumerate(WEIGHTS):
        total += ((p // 10 ** (16 - pos)) % 10) * weight
    return (total % 11).astype(np.int8)


def id_strings(prefix17: np.ndarray) -> np.ndarray:
    """18-character id strings (object array) for 17-digit prefixes."""
    chars = _CHECK_ARRAY[check_index(prefix17)]
    return np.array(
        [f"{p}{c}" for p, c in zip(prefix17.tolist(), chars.tolist(), strict=True)], dtype=object
    )


def check_char(first17: str) -> str:
    """The check character of a 17-digit string."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def is_valid_id(value: str) -> bool:
    """True for an 18-character id with 17 digits and the right check character (upper X)."""
    if len(value) != 18 or not value[:17].isdigit() or not value[:17].isascii():
        return False
    return check_char(value[:17]) == value[17]


def to15(id18: str) -> str:
    """First-generation 15-digit form; only defined for people born in 19xx."""
    if id18[6:8] != "19":
        raise ValueError(f"no 15-digit form for a birth year outside 19xx: {id18}")
    return id18[:6] + id18[8:17]


def to18(id15: str) -> str:
    """Second-generation form of a 15-digit id, as the loader must convert it."""
    first17 = id15[:6] + "19" + id15[6:]
    return first17 + check_char(first17)
