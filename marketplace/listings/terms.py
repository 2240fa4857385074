"""A listing's terms: an ODRL-style usage policy (permitted purposes, licence duration, territory,
redistribution, derivative works, maximum downloads, exclusivity, delivery mode, the acceptance
and dispute windows), the plain words a buyer reads, the refusal of a purpose the terms do not
permit, and the policy as ODRL 2.2 JSON-LD.

Pure: no database, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ledger.canonical import canonical_json, keccak256
from marketplace import limits

if TYPE_CHECKING:
    from marketplace.listings.price_models import PriceKind
    from marketplace.listings.schemas import ListingPublic


class Purpose(StrEnum):
    """The controlled vocabulary of purposes a licence may permit."""

    research = "research"
    commercial = "commercial"
    internal_analytics = "internal_analytics"
    ai_training = "ai_training"
    public_service = "public_service"
    journalism = "journalism"


PURPOSE_WORDS: Final[dict[Purpose, str]] = {
    Purpose.research: "research",
    Purpose.commercial: "commercial use",
    Purpose.internal_analytics: "internal analytics",
    Purpose.ai_training: "training AI models",
    Purpose.public_service: "public service",
    Purpose.journalism: "journalism",
}

WORLDWIDE: Final = "worldwide"

_ISO_3166_ALPHA_2: Final = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR
    BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ
    EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW
    GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY
    KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV
    MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY
    QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG
    TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM
    ZW
"""
#: ISO 3166-1 alpha-2 codes (officially assigned).
COUNTRY_CODES: Final = frozenset(_ISO_3166_ALPHA_2.split())

DeliveryMode = Literal["download", "key_wrapped"]


class Terms(BaseModel):
    """The usage policy a supplier signs. Every field is required: a buyer never has to guess
    what a default meant. Numbers and booleans are strict: ``true``, ``"30"`` or ``30.0`` is
    refused, never signed as what it would be coerced to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    purposes: list[Purpose] = Field(min_length=1, max_length=len(Purpose))
    licence_duration_days: int = Field(
        strict=True, ge=1, le=limits.listing_licence_duration_days_max
    )
    territory: list[str] = Field(min_length=1, max_length=limits.listing_territories_max)
    redistribution: bool = Field(strict=True)
    derivatives: bool = Field(strict=True)
    max_downloads: int | None = Field(strict=True, ge=1, le=limits.listing_max_downloads_max)
    exclusive: bool = Field(strict=True)
    delivery_mode: DeliveryMode
    acceptance_window_h: int = Field(strict=True, ge=1, le=limits.listing_acceptance_window_h_max)
    dispute_window_h: int = Field(strict=True, ge=1, le=limits.listing_dispute_window_h_max)

    @field_validator("purposes")
    @classmethod
    def _purposes(cls, value: list[Purpose]) -> list[Purpose]:
        if len(set(value)) != len(value):
            raise ValueError("each purpose may be named once")
        return sorted(value, key=list(Purpose).index)

    @field_validator("territory")
    @classmethod
    def _territory(cls, value: list[str]) -> list[str]:
        codes = [v.strip() for v in value]
        if any(c.lower() == WORLDWIDE for c in codes):
            if len(codes) != 1:
                raise ValueError('"worldwide" stands alone: name it or a list of countries')
            return [WORLDWIDE]
        upper = [c.upper() for c in codes]
        unknown = [c for c in codes if c.upper() not in COUNTRY_CODES]
        if unknown:
            raise ValueError(
                f"not ISO 3166-1 alpha-2 country codes: {', '.join(unknown[:5])} "
                '(use codes such as "CN", or "worldwide")'
            )
        if len(set(upper)) != len(upper):
            raise ValueError("each country may be named once")
        return sorted(upper)


def refusal(terms: Terms, purpose: Purpose | str) -> str | None:
    """Why ``purpose`` is not permitted by ``terms`` (None when it is)."""
    try:
        wanted = Purpose(purpose)
    except ValueError:
        return f"{purpose!r} is not a known purpose; purposes are: {', '.join(Purpose)}"
    if wanted in terms.purposes:
        return None
    permitted = ", ".join(PURPOSE_WORDS[p] for p in terms.purposes)
    return (
        f"this licence does not permit {PURPOSE_WORDS[wanted]} ({wanted.value}); "
        f"it permits only: {permitted}"
    )


def _duration_words(days: int) -> str:
    if days % 365 == 0:
        years = days // 365
        return f"{years} year" + ("s" if years != 1 else "")
    return f"{days} day" + ("s" if days != 1 else "")


#: Price kinds whose orders are charged and settled period by period: accepting one releases
#: nothing, and a dispute names one period (docs/disputes.md, "Disputes of one period").
PERIODIC_PRICE_KINDS: Final = frozenset({"subscription", "metered"})


def plain_words(terms: Terms, price_kind: PriceKind | None = None) -> list[str]:
    """The terms as sentences a buyer reads before buying, most important first.
    ``price_kind`` is the kind of the price the terms are sold at (the listing's price model);
    None for a quote's price, paid once."""
    purposes = ", ".join(PURPOSE_WORDS[p] for p in terms.purposes)
    where = (
        "anywhere in the world"
        if terms.territory == [WORLDWIDE]
        else "only in " + ", ".join(terms.territory)
    )
    downloads = (
        "unlimited downloads"
        if terms.max_downloads is None
        else f"at most {terms.max_downloads} download" + ("s" if terms.max_downloads != 1 else "")
    )
    delivery = (
        "delivered as a download"
        if terms.delivery_mode == "download"
        else "delivered as a download encrypted to the public key you register"
    )
    return [
        f"Permitted for: {purposes}.",
        f"Licence lasts {_duration_words(terms.licence_duration_days)}, {where}.",
        "You may redistribute the data."
        if terms.redistribution
        else "You may not redistribute the data.",
        "You may create and share derivative works."
        if terms.derivatives
        else "You may not create derivative works.",
        "Exclusive licence: sold to one buyer only."
        if terms.exclusive
        else "Non-exclusive licence: others may buy it too.",
        f"{downloads.capitalize()}, {delivery}.",
        _settlement_words(terms, price_kind),
    ]


def _settlement_words(terms: Terms, price_kind: PriceKind | None) -> str:
    if price_kind in PERIODIC_PRICE_KINDS:
        return (
            "Each period is paid to the supplier when it ends; each period may be disputed on "
            "its own, while it runs or within the dispute window after it is paid."
        )
    return (
        f"You have {terms.acceptance_window_h} h after delivery to accept or dispute it; "
        f"disputes may be raised within {terms.dispute_window_h} h after it is settled."
    )


ODRL_NS: Final = "http://www.w3.org/ns/odrl/2/"


def _iri(term: str, kind: str) -> dict[str, str]:
    return {"@id": f"odrl:{term}", "@type": kind}


#: The JSON-LD context, inline so that no processor fetches anything: the terms the policy uses,
#: defined as in the W3C's ``http://www.w3.org/ns/odrl.jsonld`` (ODRL 2.2).
ODRL_CONTEXT: Final[dict[str, Any]] = {
    "odrl": ODRL_NS,
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "uid": "@id",
    "Offer": "odrl:Offer",
    "Party": "odrl:Party",
    "profile": _iri("profile", "@id"),
    "permission": _iri("permission", "@id"),
    "prohibition": _iri("prohibition", "@id"),
    "target": _iri("target", "@id"),
    "assigner": _iri("assigner", "@id"),
    "action": _iri("action", "@vocab"),
    "constraint": _iri("constraint", "@id"),
    "leftOperand": _iri("leftOperand", "@vocab"),
    "operator": _iri("operator", "@vocab"),
    "rightOperand": "odrl:rightOperand",
    **{
        term: f"odrl:{term}"
        for term in (
            "use", "distribute", "derive",  # actions
            "purpose", "elapsedTime", "spatial", "count",  # left operands
            "isAnyOf", "lteq",  # operators
        )
    },
}  # fmt: skip
ODRL_PROFILE: Final = "https://databourse.example/odrl/profile/v1"
PURPOSE_IRI: Final = "https://databourse.example/odrl/purpose/"
COUNTRY_IRI: Final = "urn:iso:std:iso:3166:-1:"


def _constraint(left: str, operator: str, right: Any) -> dict[str, Any]:
    return {"leftOperand": left, "operator": operator, "rightOperand": right}


def _constraints(terms: Terms) -> list[dict[str, Any]]:
    found = [
        _constraint("purpose", "isAnyOf", [{"@id": PURPOSE_IRI + p.value} for p in terms.purposes]),
        _constraint(
            "elapsedTime",
            "lteq",
            {"@value": f"P{terms.licence_duration_days}D", "@type": "xsd:duration"},
        ),
    ]
    if terms.territory != [WORLDWIDE]:
        found.append(
            _constraint("spatial", "isAnyOf", [{"@id": COUNTRY_IRI + c} for c in terms.territory])
        )
    if terms.max_downloads is not None:
        found.append(
            _constraint("count", "lteq", {"@value": terms.max_downloads, "@type": "xsd:integer"})
        )
    return found


def odrl(listing: ListingPublic, base_url: str = "urn:databourse:") -> dict[str, Any]:
    """The listing's policy as an ODRL 2.2 ``Offer`` (JSON-LD): the supplier (assigner) offers
    use of the asset (target) under constraints on purpose, elapsed time since purchase
    (the licence duration), territory and count (downloads); distribution and derivation are
    permitted or prohibited as the terms say. IRIs are the exchange's URLs under ``base_url``
    (the URN form ``urn:databourse:assets/7`` without one)."""
    terms = listing.terms
    base = base_url if base_url.endswith(":") else base_url.rstrip("/") + "/"
    target = f"{base}assets/{listing.asset_id}"
    assigner = {"@id": f"urn:ethereum:{listing.signer}", "@type": "Party"}
    constraints = _constraints(terms)
    permitted = ["use"]
    prohibited: list[str] = []
    for flag, action in ((terms.redistribution, "distribute"), (terms.derivatives, "derive")):
        (permitted if flag else prohibited).append(action)
    policy: dict[str, Any] = {
        "@context": ODRL_CONTEXT,
        "@type": "Offer",
        "uid": f"{base}listings/{listing.id}/odrl",
        "profile": ODRL_PROFILE,
        "permission": [
            {"target": target, "assigner": assigner, "action": action, "constraint": constraints}
            for action in permitted
        ],
    }
    if prohibited:
        policy["prohibition"] = [
            {"target": target, "assigner": assigner, "action": action} for action in prohibited
        ]
    return policy


__all__ = [
    "COUNTRY_CODES",
    "PERIODIC_PRICE_KINDS",
    "PURPOSE_WORDS",
    "WORLDWIDE",
    "DeliveryMode",
    "Purpose",
    "Terms",
    "odrl",
    "plain_words",
    "refusal",
]


def terms_hash(terms: Mapping[str, Any]) -> str:
    """keccak256 of terms' RFC 8785 canonical JSON (their JSON form), as 0x-hex: the hash a
    quote's terms carry, and an order placed from a quote signs."""
    return "0x" + keccak256(canonical_json(dict(terms))).hex()
