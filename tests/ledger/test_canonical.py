"""What a journal payload may hold: a value RFC 8785 cannot represent exactly is refused with
the path to it, so the code that built the payload can be found and fixed."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.canonical import NotCanonicalizable, canonical_json


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"terms": [1, {"price": 1.5}]}, "$.terms[1].price: floats are not allowed"),
        ({"amount": {"minor": 2**53}}, "$.amount.minor: integer 9007199254740992 exceeds 2**53-1"),
        ([0, [1, {2: "x"}]], "$[1][1]: object keys must be strings"),
        ({"when": object()}, "$.when: object is not JSON"),
        (1.0, "$: floats are not allowed"),
    ],
)
def test_a_value_json_cannot_hold_exactly_is_refused_with_its_path(
    value: Any, message: str
) -> None:
    with pytest.raises(NotCanonicalizable) as refused:
        canonical_json(value)
    assert str(refused.value).startswith(message)


def test_the_largest_exact_integers_and_non_ascii_keys_are_taken() -> None:
    assert canonical_json({"a": 2**53 - 1, "b": -(2**53) + 1}) == (
        b'{"a":9007199254740991,"b":-9007199254740991}'
    )
    assert canonical_json({"\u00e9": [True, None], "z": "\u00e9"}) == (
        '{"z":"\u00e9","\u00e9":[true,null]}'.encode()  # keys in UTF-16 order
    )
