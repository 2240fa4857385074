"""The terms as a buyer reads them: plain words, the refusal of a purpose the licence does not
permit, and the checks on every field."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from marketplace.listings.terms import COUNTRY_CODES, Purpose, Terms, plain_words, refusal
from tests.marketplace.listings.helpers import TERMS


def _terms(**overrides: Any) -> Terms:
    return Terms.model_validate({**TERMS, **overrides})


def test_the_country_list_holds_every_assigned_iso_3166_code() -> None:
    assert len(COUNTRY_CODES) == 249
    assert {"CN", "HK", "MO", "TW", "US", "DE"} <= COUNTRY_CODES
    assert "UK" not in COUNTRY_CODES  # GB is the code


def test_territories_are_normalised_and_worldwide_stands_alone() -> None:
    assert _terms(territory=["cn", " de"]).territory == ["CN", "DE"]
    assert _terms(territory=["Worldwide"]).territory == ["worldwide"]
    with pytest.raises(ValidationError, match="stands alone"):
        _terms(territory=["worldwide", "CN"])
    with pytest.raises(ValidationError, match="ISO 3166-1"):
        _terms(territory=["UK"])
    with pytest.raises(ValidationError, match="once"):
        _terms(territory=["CN", "cn"])


def test_purposes_are_kept_in_vocabulary_order() -> None:
    assert _terms(purposes=["journalism", "research"]).purposes == [
        Purpose.research,
        Purpose.journalism,
    ]


def test_a_permitted_purpose_has_no_refusal() -> None:
    assert refusal(_terms(), "research") is None
    assert refusal(_terms(), Purpose.internal_analytics) is None


def test_a_purpose_the_licence_does_not_permit_is_refused_in_plain_words() -> None:
    assert refusal(_terms(), "ai_training") == (
        "this licence does not permit training AI models (ai_training); it permits only: "
        "research, internal analytics"
    )
    assert refusal(_terms(), "espionage") == (
        "'espionage' is not a known purpose; purposes are: research, commercial, "
        "internal_analytics, ai_training, public_service, journalism"
    )


def test_plain_words_say_every_term() -> None:
    assert plain_words(_terms()) == [
        "Permitted for: research, internal analytics.",
        "Licence lasts 1 year, only in CN.",
        "You may not redistribute the data.",
        "You may create and share derivative works.",
        "Non-exclusive licence: others may buy it too.",
        "At most 5 downloads, delivered as a download.",
        "You have 72 h after delivery to accept or dispute it; disputes may be raised within "
        "168 h after it is settled.",
    ]
    other = plain_words(
        _terms(
            licence_duration_days=30, territory=["worldwide"], redistribution=True,
            derivatives=False, exclusive=True, max_downloads=None, delivery_mode="key_wrapped",
        )
    )  # fmt: skip
    assert other[1:6] == [
        "Licence lasts 30 days, anywhere in the world.",
        "You may redistribute the data.",
        "You may not create derivative works.",
        "Exclusive licence: sold to one buyer only.",
        "Unlimited downloads, delivered as a download encrypted to the public key you register.",
    ]


def test_plain_words_promise_a_dispute_only_for_an_order_paid_at_once() -> None:
    window = (
        "You have 72 h after delivery to accept or dispute it; disputes may be raised within 168 h "
        "after it is settled."
    )
    periodic = (
        "Each period is paid to the supplier when it ends; each period may be disputed on its "
        "own, while it runs or within the dispute window after it is paid."
    )
    for kind in ("fixed", "tiered", "public_data", None):
        assert plain_words(_terms(), kind)[-1] == window
    for kind in ("subscription", "metered"):
        assert plain_words(_terms(), kind)[-1] == periodic


def test_terms_are_frozen() -> None:
    with pytest.raises(ValidationError):
        _terms().exclusive = True  # type: ignore[misc]
