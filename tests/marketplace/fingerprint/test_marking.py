"""The fingerprint library: marked copies look like the original, and a leaked copy, with rows
deleted and shuffled, names its licence."""

from __future__ import annotations

import csv
import io
import random
import time

import polars as pl
import pytest

from marketplace.fingerprint import Marker, NotMarkable, asset_key, detect, mark
from marketplace.fingerprint.marking import P_VALUE_MAX, markable

KEY = asset_key(b"test-service-secret-0123456789abcdef", 7)
CITIES = ["Hangzhou", "Shanghai", "Beijing", "Shenzhen", "Chengdu", "Wuhan", "Xi'an, Shaanxi"]


def dataset(rows: int = 3000, seed: int = 1) -> bytes:
    """An air-quality table: a key, text (one with a comma, so quoted), a date, integers and
    decimals of two and three places."""
    rng = random.Random(seed)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["station_id", "city", "date", "aqi", "pm25", "no2", "temperature_c"])
    for i in range(rows):
        writer.writerow(
            [
                f"ST{i:05d}",
                rng.choice(CITIES),
                f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                rng.randint(10, 300),
                f"{rng.uniform(1, 250):.2f}",
                f"{rng.uniform(0, 80):.3f}",
                f"{rng.uniform(-10, 38):.1f}",
            ]
        )
    return out.getvalue().encode()


def leak(content: bytes, seed: int, keep: float = 0.8) -> bytes:
    """A leaked copy: 20% of the rows deleted at random, the rest shuffled."""
    lines = content.decode().splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    rng = random.Random(seed)
    kept = rng.sample(rows, round(len(rows) * keep))
    rng.shuffle(kept)
    return (header + "".join(kept)).encode()


ORIGINAL = dataset()


def test_100_leaked_copies_less_20_percent_of_rows_and_shuffled_each_name_their_licence() -> None:
    licences = list(range(1001, 1101))
    started = time.process_time()  # CPU, not wall time: the machine may be shared
    marker = Marker(ORIGINAL, KEY)
    copies = {licence: marker.copy_for(licence) for licence in licences}
    assert len(set(copies.values())) == 100  # every copy differs
    for n, (licence, copy) in enumerate(copies.items()):
        leaked = leak(copy, seed=n)
        assert leaked.count(b"\n") == 1 + 2400
        found = detect(leaked, licences, KEY)
        assert found.licence_id == licence, (licence, found)
        assert found.p_value < P_VALUE_MAX
    assert time.process_time() - started < 30  # about 5 s of CPU


def test_the_same_licence_always_gets_the_same_copy() -> None:
    assert mark(ORIGINAL, 7, KEY) == Marker(ORIGINAL, KEY).copy_for(7)


def test_an_unmarked_copy_names_no_licence() -> None:
    found = detect(leak(ORIGINAL, seed=5), range(1, 101), KEY)
    assert found.licence_id is None
    assert found.p_value > P_VALUE_MAX
    assert found.best_candidate is not None  # the closest is reported, but not named


def test_a_copy_marked_with_another_assets_key_names_no_licence() -> None:
    other = mark(ORIGINAL, 5, asset_key(b"test-service-secret-0123456789abcdef", 8))
    assert detect(other, range(1, 101), KEY).licence_id is None


def test_a_licence_not_among_the_candidates_is_not_named_in_its_place() -> None:
    copy = mark(ORIGINAL, 500, KEY)
    assert detect(copy, range(1, 101), KEY).licence_id is None


def test_the_marked_file_has_the_same_schema_row_count_and_key_columns() -> None:
    copy = mark(ORIGINAL, 42, KEY)
    before, after = pl.read_csv(ORIGINAL), pl.read_csv(copy)
    assert after.schema == before.schema
    assert after.height == before.height == 3000
    for column in ["station_id", "city", "date", "aqi", "temperature_c"]:
        assert after[column].to_list() == before[column].to_list()


def test_marking_changes_only_last_digits_by_one_and_about_half_the_decimals() -> None:
    copy = mark(ORIGINAL, 42, KEY)
    old = list(csv.reader(io.StringIO(ORIGINAL.decode())))
    new = list(csv.reader(io.StringIO(copy.decode())))
    changed = 0
    for a_row, b_row in zip(old, new, strict=True):
        for a, b in zip(a_row, b_row, strict=True):
            if a != b:
                changed += 1
                assert a[:-1] == b[:-1]
                assert abs(int(a[-1]) - int(b[-1])) == 1
    assert 0.4 < changed / 6000 < 0.6  # pm25 and no2 carry the mark


def test_the_marked_bytes_differ_only_in_the_changed_digits() -> None:
    copy = mark(ORIGINAL, 42, KEY)
    assert len(copy) == len(ORIGINAL)
    assert copy.startswith(b"station_id,city,date,aqi,pm25,no2,temperature_c\n")
    assert b'"Xi\'an, Shaanxi"' in copy  # quoting kept where the value needs it


def test_a_protected_column_is_never_changed_and_detection_still_works() -> None:
    copy = mark(ORIGINAL, 42, KEY, protected={"pm25"})
    assert pl.read_csv(copy)["pm25"].to_list() == pl.read_csv(ORIGINAL)["pm25"].to_list()
    assert detect(leak(copy, 1), [41, 42, 43], KEY, protected={"pm25"}).licence_id == 42


def test_reordered_columns_and_crlf_line_ends_still_name_the_licence() -> None:
    copy = pl.read_csv(mark(ORIGINAL, 42, KEY), infer_schema=False)
    moved = copy.select(reversed(copy.columns)).write_csv(line_terminator="\r\n").encode()
    assert detect(moved, range(1, 101), KEY).licence_id == 42


def test_crlf_bom_and_no_final_newline_are_kept() -> None:
    original = b"\xef\xbb\xbf" + ORIGINAL.replace(b"\n", b"\r\n").removesuffix(b"\r\n")
    copy = mark(original, 9, KEY)
    assert copy.startswith(b"\xef\xbb\xbf")
    assert copy.count(b"\r\n") == original.count(b"\r\n")
    assert not copy.endswith(b"\n")
    assert detect(copy, [8, 9], KEY).licence_id == 9


def test_a_small_leak_of_200_rows_still_names_the_licence() -> None:
    copy = mark(ORIGINAL, 42, KEY)
    assert detect(leak(copy, 3, keep=200 / 3000), range(1, 101), KEY).licence_id == 42


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("12.34", True),
        ("-0.25", True),
        ("+3.140", True),
        ("0.01", False),  # 0.00 would show
        ("21.5", False),  # one decimal
        ("7", False),
        ("1e5", False),
        ("1,234.56", False),
        (" 12.34", False),
        ("N/A", False),
        ("", False),
    ],
)
def test_which_cells_may_carry_the_mark(cell: str, expected: bool) -> None:
    assert markable(cell) is expected


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfeabc", "not UTF-8"),
        (b"", "no header"),
        (b"a,b\n1,2\n", "markable cells"),
        (b"a,b\x00\n", "NUL"),
    ],
)
def test_what_cannot_be_marked_is_refused_with_a_reason(content: bytes, message: str) -> None:
    with pytest.raises(NotMarkable, match=message):
        mark(content, 1, KEY)


def test_the_key_depends_on_the_secret_and_the_asset() -> None:
    secret = b"test-service-secret-0123456789abcdef"
    assert asset_key(secret, 7) == KEY
    assert asset_key(secret, 8) != KEY
    assert asset_key(secret + b"x", 7) != KEY


def test_an_even_mix_of_two_buyers_copies_names_one_of_them() -> None:
    marker = Marker(ORIGINAL, KEY)
    first, second = (marker.copy_for(n).decode().splitlines(keepends=True) for n in (11, 12))
    mixed = first[0] + "".join((first if i % 2 else second)[i] for i in range(1, len(first)))
    found = detect(leak(mixed.encode(), 2), range(1, 101), KEY)
    assert found.licence_id in {11, 12}
    assert 0.6 < found.score < 0.9
