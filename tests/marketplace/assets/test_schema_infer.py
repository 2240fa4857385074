import io
from datetime import UTC, date, datetime

import polars as pl
import pytest

from marketplace import limits
from marketplace.assets.schema_correction import validate_table_schema
from marketplace.assets.schema_infer import (
    CsvChecker,
    JsonLinesChecker,
    ParquetChecker,
    TabularError,
    schema_hash,
)


def _csv(data: bytes, piece: int = 3) -> dict[str, object]:
    checker = CsvChecker()
    for i in range(0, len(data), piece):
        checker.update(data[i : i + piece])
    return checker.finish()


def test_csv_types_are_inferred_as_table_schema() -> None:
    data = (
        b"id,price,ok,day,at,name\n"
        b"1,2.5,true,2024-01-02,2024-01-02T03:04:05,alice\n"
        b'2,3,false,2024-02-03,2024-01-02 03:04,"b, ""quoted""\nline"\n'
        b"3,,TRUE,2024-03-04,2024-01-02T03:04:05Z,carol\n"
    )
    schema = _csv(data)
    assert schema == {
        "fields": [
            {"name": "id", "type": "integer"},
            {"name": "price", "type": "number"},
            {"name": "ok", "type": "boolean"},
            {"name": "day", "type": "date"},
            {"name": "at", "type": "datetime"},
            {"name": "name", "type": "string"},
        ],
        "missingValues": [""],
    }


def test_csv_without_a_final_newline_and_with_crlf_is_read() -> None:
    schema = _csv(b"a,b\r\n1,x\r\n2,y")
    assert [f["type"] for f in schema["fields"]] == ["integer", "string"]  # type: ignore[index]


def test_csv_with_inconsistent_columns_is_refused_with_its_line() -> None:
    with pytest.raises(TabularError, match="line 3 has 3 columns"):
        _csv(b"a,b\n1,2\n1,2,3\n")


def test_csv_inconsistency_after_the_sample_is_still_found() -> None:
    data = b"a,b\n" + b"1,2\n" * 5000 + b"oops\n"
    with pytest.raises(TabularError, match="columns"):
        _csv(data, piece=4096)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"a,a\n1,2\n", "repeats"),
        (b"a,\n1,2\n", "empty column name"),
        (b"a,b\n\xff\xfe,1\n", "UTF-8"),
        (b'a,b\n"1,2\n', "quoted"),
    ],
)
def test_malformed_csv_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(TabularError, match=message):
        _csv(data)


def test_json_lines_fields_and_types() -> None:
    checker = JsonLinesChecker()
    checker.update(b'{"a": 1, "b": "x"}\n{"a": 2.5, "c": [1]}\n\n{"b": null}')
    schema = checker.finish()
    assert schema["fields"] == [
        {"name": "a", "type": "number"},
        {"name": "b", "type": "string"},
        {"name": "c", "type": "array"},
    ]


@pytest.mark.parametrize("line", [b"[1, 2]", b"{not json"])
def test_json_lines_that_are_not_objects_are_refused(line: bytes) -> None:
    checker = JsonLinesChecker()
    with pytest.raises(TabularError, match="line 2"):
        checker.update(b'{"a": 1}\n' + line + b"\n")


def _parquet_bytes() -> bytes:
    frame = pl.DataFrame(
        {
            "id": [1, 2, 3],
            "price": [1.5, 2.25, None],
            "name": ["apple", "pear", "fig"],
            "fresh": [True, False, True],
            "day": [date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3)],
            "at": [datetime(2026, 1, 1, 8, 0, tzinfo=UTC), None, datetime(2026, 1, 3, tzinfo=UTC)],
            "tags": [["a"], [], ["b", "c"]],
        }
    )
    out = io.BytesIO()
    frame.write_parquet(out)
    return out.getvalue()


def test_parquet_schema_is_read_from_the_footer_while_streaming() -> None:
    data = _parquet_bytes()
    checker = ParquetChecker()
    for i in range(0, len(data), 7):  # arbitrary chunk boundaries
        checker.update(data[i : i + 7])
    schema = checker.finish()
    assert schema is not None
    assert [(f["name"], f["type"]) for f in schema["fields"]] == [
        ("id", "integer"),
        ("price", "number"),
        ("name", "string"),
        ("fresh", "boolean"),
        ("day", "date"),
        ("at", "datetime"),
        ("tags", "array"),
    ]


def test_a_parquet_footer_over_the_limit_leaves_the_schema_to_the_supplier(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(limits, "parquet_footer_bytes_max", 64)
    data = _parquet_bytes()
    checker = ParquetChecker()
    checker.update(data)
    assert checker.finish() is None


def test_a_broken_parquet_footer_is_refused() -> None:
    checker = ParquetChecker()
    checker.update(b"PAR1" + b"\x00" * 100 + (20).to_bytes(4, "little") + b"PAR1")
    with pytest.raises(TabularError, match="footer"):
        checker.finish()


def test_parquet_needs_its_magic() -> None:
    bad = ParquetChecker()
    bad.update(b"a,b\n1,2\n")
    with pytest.raises(TabularError, match="not Parquet"):
        bad.finish()


def test_a_corrected_schema_is_validated_and_hashed_stably() -> None:
    schema = {"fields": [{"name": "id", "type": "string", "description": "the key"}]}
    normal = validate_table_schema(schema, column_count=1)
    assert normal["missingValues"] == [""]
    assert schema_hash(normal) == schema_hash(dict(reversed(list(normal.items()))))
    with pytest.raises(TabularError, match="unknown Table Schema type"):
        validate_table_schema({"fields": [{"name": "id", "type": "int"}]}, 1)
    with pytest.raises(TabularError, match="2 columns"):
        validate_table_schema(schema, column_count=2)


def test_a_corrected_schema_the_quality_evaluation_cannot_read_is_refused() -> None:
    bad = {"fields": [{"name": "code", "type": "string", "constraints": {"pattern": "("}}]}
    with pytest.raises(TabularError, match=r"constraints\.pattern"):
        validate_table_schema(bad, column_count=1)


def test_csv_missing_value_markers_are_recognised_and_typed_around() -> None:
    data = b"a,b,c,d\n1,NA,x,\nNULL,2.5,None,\n3,,n/a,NA\n"

    schema = _csv(data)

    assert [f["type"] for f in schema["fields"]] == ["integer", "number", "string", "string"]  # type: ignore[index]
    assert schema["missingValues"] == ["", "NA", "n/a", "NULL", "None"]


def test_a_marker_first_seen_after_the_sampled_rows_is_still_missing() -> None:
    data = b"a\n" + b"1\n" * (limits.schema_sample_rows_max + 500) + b"NA\n"

    schema = _csv(data, piece=4096)

    assert schema == {"fields": [{"name": "a", "type": "integer"}], "missingValues": ["", "NA"]}


def test_a_column_named_like_a_marker_is_no_marker() -> None:
    assert _csv(b"NA,None\n1,2\n")["missingValues"] == [""]


def test_a_csv_field_of_one_mib_is_accepted() -> None:
    data = b'id,text\n1,"' + b"x" * (1024 * 1024) + b'"\n2,short\n'

    schema = _csv(data, piece=64 * 1024)

    assert [f["type"] for f in schema["fields"]] == ["integer", "string"]  # type: ignore[index]
