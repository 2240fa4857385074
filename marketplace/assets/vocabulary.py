"""Controlled vocabularies for asset metadata (licences, update frequencies, languages) and the
checks that hold a metadata field to them and to its limits."""

from __future__ import annotations

import re
from typing import Final

from marketplace import limits

#: SPDX identifiers of the common open-data and software licences, plus a few data licences
#: without an SPDX id (as ``LicenseRef-``), each mapped to the URL a DCAT ``dct:license`` names.
LICENSES: Final[dict[str, str]] = {
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC-BY-SA-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "CC-BY-NC-4.0": "https://creativecommons.org/licenses/by-nc/4.0/",
    "CC-BY-NC-SA-4.0": "https://creativecommons.org/licenses/by-nc-sa/4.0/",
    "CC-BY-ND-4.0": "https://creativecommons.org/licenses/by-nd/4.0/",
    "CC-BY-NC-ND-4.0": "https://creativecommons.org/licenses/by-nc-nd/4.0/",
    "ODbL-1.0": "https://opendatacommons.org/licenses/odbl/1-0/",
    "ODC-By-1.0": "https://opendatacommons.org/licenses/by/1-0/",
    "PDDL-1.0": "https://opendatacommons.org/licenses/pddl/1-0/",
    "CDLA-Permissive-2.0": "https://cdla.dev/permissive-2-0/",
    "CDLA-Sharing-1.0": "https://cdla.dev/sharing-1-0/",
    "OGL-UK-3.0": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    "DL-DE-BY-2.0": "https://www.govdata.de/dl-de/by-2-0",
    "Apache-2.0": "https://www.apache.org/licenses/LICENSE-2.0",
    "MIT": "https://opensource.org/license/mit",
    # Commercial use under the terms of each listing's contract on the exchange.
    "LicenseRef-Databourse-Contract": "https://databourse.org/licenses/contract",
}

#: Dublin Core collection frequencies (the vocabulary DCAT's dct:accrualPeriodicity uses).
FREQUENCIES: Final = frozenset(
    {
        "continuous", "daily", "weekly", "biweekly", "monthly", "bimonthly", "quarterly",
        "semiannual", "annual", "biennial", "irregular", "never",
    }
)  # fmt: skip
FREQUENCY_BASE: Final = "http://purl.org/cld/freq/"

#: BCP 47 language tags of the simple kind: ISO 639 code and optional region ("zh", "zh-CN").
LANGUAGE_TAG: Final = re.compile(r"^[a-z]{2,3}(-[A-Z]{2}|-[A-Z][a-z]{3})?$")


def check_license(value: str) -> str:
    if value not in LICENSES:
        known = ", ".join(sorted(LICENSES))
        raise ValueError(f"unknown licence {value!r}; use one of: {known}")
    return value


def check_keywords(value: list[str]) -> list[str]:
    if len(value) > limits.asset_keywords_max:
        raise ValueError(f"at most {limits.asset_keywords_max} keywords")
    out: list[str] = []
    for keyword in value:
        word = keyword.strip()
        if not word or len(word) > limits.asset_keyword_length_max:
            raise ValueError(f"keywords are 1 to {limits.asset_keyword_length_max} characters")
        if word not in out:
            out.append(word)
    return out


def check_languages(value: list[str]) -> list[str]:
    if len(value) > 16:
        raise ValueError("at most 16 languages")
    for tag in value:
        if not LANGUAGE_TAG.match(tag):
            raise ValueError(f"{tag!r} is not a language tag such as 'zh' or 'en-GB'")
    return list(dict.fromkeys(value))


def check_frequency(value: str | None) -> str | None:
    if value is not None and value not in FREQUENCIES:
        raise ValueError(f"update frequency must be one of: {', '.join(sorted(FREQUENCIES))}")
    return value


def check_landing_page(value: str | None) -> str | None:
    if value is not None and not value.startswith("https://"):
        raise ValueError("the landing page must be an https:// URL")
    return value
