"""Measuring JSON nesting on raw bytes, as a parser would meet it."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from marketplace.json_depth import nesting_exceeds


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _random_document(rng: random.Random, depth: int) -> Any:
    if depth == 0 or rng.random() < 0.2:
        return rng.choice(['[{\\"', '"]}', "x\\", 7, None, True, "文字 [", ""])
    if rng.random() < 0.5:
        return [_random_document(rng, depth - 1) for _ in range(rng.randint(0, 3))]
    keys = ["a", "[", "}{", '"', "\\"]
    return {rng.choice(keys): _random_document(rng, depth - 1) for _ in range(rng.randint(0, 3))}


def test_agrees_with_the_parsed_depth_of_random_documents() -> None:
    rng = random.Random(8)
    for _ in range(2000):
        document = _random_document(rng, rng.randint(0, 12))
        raw = json.dumps(document, ensure_ascii=rng.random() < 0.5).encode()
        depth = _depth(json.loads(raw))
        assert not nesting_exceeds(raw, depth), raw
        if depth:
            assert nesting_exceeds(raw, depth - 1), raw


@pytest.mark.parametrize(
    ("raw", "depth_max", "exceeds"),
    [
        (b"[[[]]]", 3, False),
        (b"[[[[]]]]", 3, True),
        (b'["[[[[[[", "{{{{"]', 1, False),
        (b'["\\"[[[[", 1]', 1, False),  # an escaped quote does not end the string
        (b'["\\\\", [[[]]]]', 3, True),  # an escaped backslash does
        (b"]]]]" + b"[" * 10, 3, False),  # a parser stops at the first unbalanced close
        (b"[" * 10 + b'"unterminated [[[[', 9, True),  # the brackets before it still count
        (b'"' + b'\\"' * 100_000 + b"[[[[", 1, False),  # one long unterminated string
    ],
)
def test_cases(raw: bytes, depth_max: int, exceeds: bool) -> None:
    assert nesting_exceeds(raw, depth_max) is exceeds


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-16", "utf-32-le", "utf-32"])
def test_utf16_and_utf32_are_measured_as_the_parser_decodes_them(encoding: str) -> None:
    # U+2200 is 00 22 in UTF-16-LE: read as bytes, a quote that never closes, hiding the rest.
    text = '["\u2200",' + "[" * 50 + "]" * 50 + "]"
    raw = text.encode(encoding)
    assert json.loads(raw)[0] == "\u2200"  # the parser reads it
    assert nesting_exceeds(raw, 50)
    assert not nesting_exceeds(raw, 51)


def test_undecodable_utf16_is_not_measured_since_no_parser_reads_it() -> None:
    raw = b"[\x00[\x00\x00"  # UTF-16-LE by its zero bytes, but an odd length
    with pytest.raises(UnicodeDecodeError):
        json.loads(raw)
    assert not nesting_exceeds(raw, 0)
