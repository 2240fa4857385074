"""Matching a demand's required fields to a listing's columns: names tolerant of case,
separators, full-width characters and a table of synonyms; types by what can serve for what.
Pure: no database, no clock. docs/matching.md lists the synonyms.

A name is normalised by NFKC (full-width letters and digits become ASCII), lower case, and the
removal of separators (space, ``_``, ``-``, ``.``, ``/``), so ``PM2.5``, ``pm2_5`` and ``Pm 2.5``
are one name, ``pm25``; ``City_Name`` and ``cityName`` are ``cityname``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Final

from marketplace.quality.table_schema import FIELD_TYPES

_SEPARATORS: Final = re.compile(r"[\s_\-./]+")

#: Groups of names that mean the same column, the first naming the group. Written as people
#: write them; they are normalised when the index below is built.
SYNONYMS: Final[tuple[tuple[str, ...], ...]] = (
    ("timestamp", "ts", "time", "datetime", "date_time", "event_time", "observed_at", "时间"),
    ("date", "day", "dt", "日期"),
    ("latitude", "lat", "纬度"),
    ("longitude", "lon", "lng", "long", "经度"),
    ("pm2.5", "pm25", "pm2_5", "fine_particulate_matter", "细颗粒物"),
    ("pm10", "pm_10", "可吸入颗粒物"),
    ("aqi", "air_quality_index", "空气质量指数"),
    ("city", "city_name", "town", "城市"),
    ("province", "省份"),
    ("country", "country_code", "nation", "国家"),
    ("address", "addr", "地址"),
    ("postcode", "postal_code", "zip", "zip_code", "邮编"),
    ("temperature", "temp", "温度"),
    ("humidity", "rh", "relative_humidity", "湿度"),
    ("price", "unit_price", "价格"),
    ("quantity", "qty", "数量"),
    ("identifier", "id", "编号"),
    ("name", "名称"),
)


@lru_cache(maxsize=65_536)
def normalise(name: str) -> str:
    """The form names are compared in: NFKC, lower case, separators removed."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return unicodedata.normalize("NFKC", _SEPARATORS.sub("", folded))


def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    for group in SYNONYMS:
        head = normalise(group[0])
        for name in group:
            key = normalise(name)
            assert index.get(key, head) == head, f"{name} is in two synonym groups"
            index[key] = head
    return index


#: normalised name → the normalised head of its synonym group.
GROUP_OF: Final[dict[str, str]] = _index()
#: the head of each group → the names in it, as written in ``SYNONYMS``.
GROUPS: Final[dict[str, tuple[str, ...]]] = {normalise(g[0]): g for g in SYNONYMS}


@lru_cache(maxsize=65_536)
def canonical(name: str) -> str:
    """The normalised head of the name's synonym group, or the normalised name itself."""
    key = normalise(name)
    return GROUP_OF.get(key, key)


def synonyms_of(name: str) -> tuple[str, ...]:
    """Every name that means the same column as ``name`` (itself included), as written."""
    return GROUPS.get(canonical(name), (name,))


#: Which column types satisfy a required type (Frictionless Table Schema types). A required
#: ``number`` takes integers; a ``date`` can be read from a ``datetime``; a ``year`` from an
#: integer; ``string`` and ``any`` take every type (any value has a text form); a column of type
#: ``any`` (nothing known about it) satisfies only ``string`` and ``any``.
_SATISFIES: Final[dict[str, frozenset[str]]] = {
    "string": frozenset(FIELD_TYPES),
    "integer": frozenset({"integer"}),
    "number": frozenset({"number", "integer"}),
    "boolean": frozenset({"boolean"}),
    "date": frozenset({"date", "datetime"}),
    "datetime": frozenset({"datetime"}),
    "year": frozenset({"year", "integer"}),
    "object": frozenset({"object"}),
    "array": frozenset({"array"}),
}


def type_satisfies(required: str, column: str) -> bool:
    """Whether a column of type ``column`` serves a field required as ``required``."""
    if required == "any":
        return True
    return column in _SATISFIES.get(required, frozenset({required}))


__all__ = [
    "GROUPS",
    "GROUP_OF",
    "SYNONYMS",
    "canonical",
    "normalise",
    "synonyms_of",
    "type_satisfies",
]
