"""Malformed files get a report that says what could not be judged; never a crash or a hang."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from marketplace import limits
from marketplace.quality import QualityReport, evaluate
from marketplace.quality.reading import read_chunks
from marketplace.quality.scan import scan_bytes
from tests.marketplace.quality.defects import AS_OF


def check(path: Path, fmt: str = "csv") -> QualityReport:
    return evaluate(path, fmt=fmt, as_of=AS_OF)  # type: ignore[arg-type]


def write(tmp_path: Path, data: bytes, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_ragged_rows_are_read_with_extras_dropped_and_cap_normativity(tmp_path: Path) -> None:
    report = check(write(tmp_path, b"a,b\n1,2\n3,4,5\n6,7\n"))

    assert report.rows == 3
    normativity = report.dimension("normativity")
    assert normativity.measurements["structure:ragged_rows"] is True
    assert normativity.score is not None
    assert normativity.score <= 50
    assert "some rows have more fields than the header; the extras were dropped" in report.issues


def test_short_rows_show_as_missing_values(tmp_path: Path) -> None:
    report = check(write(tmp_path, b"a,b,c\n1,2,3\n4,5\n6,7,8\n"))

    assert report.dimension("completeness").measurements["null_cells"] == 1


def test_invalid_utf8_is_read_with_replacements_and_reported(tmp_path: Path) -> None:
    report = check(write(tmp_path, b"a,b\n1,\xff\xfe\n3,x\n"))

    assert report.rows == 2
    normativity = report.dimension("normativity")
    assert normativity.measurements["structure:invalid_utf8_first_offset"] == 6
    assert any("not valid UTF-8 (first bad byte at offset 6)" in i for i in report.issues)


def test_a_bom_is_noted_and_does_not_rename_the_first_column(tmp_path: Path) -> None:
    report = check(write(tmp_path, b"\xef\xbb\xbfa,b\n1,2\n3,4\n"))

    assert report.dimension("normativity").measurements["bom"] is True
    assert [p.name for p in report.profile] == ["a", "b"]
    assert report.rows == 2


def test_mixed_crlf_and_lf_line_ends_are_counted_and_read(tmp_path: Path) -> None:
    report = check(write(tmp_path, b"a,b\r\n1,2\n3,4\r\n5,6\n"))

    m = report.dimension("normativity").measurements
    assert (m["line_ends"], m["line_ends_crlf"], m["line_ends_cr"]) == ("mixed", 2, 0)
    assert report.rows == 3


@pytest.mark.parametrize(
    ("body", "style", "crlf", "cr"),
    [
        (b"a\n1\n", "LF", 0, 0),
        (b"a\r\n1\r\n", "CRLF", 2, 0),
        (b"a\r1\r", "CR", 0, 2),
        (b"a\r\n1\n2\r\n", "mixed", 2, 0),
        (b"a\n1\r2\n", "mixed", 0, 1),
        (b"a", "none", 0, 0),
    ],
)
def test_line_ends_are_classified_whatever_the_chunk_boundaries(
    body: bytes, style: str, crlf: int, cr: int
) -> None:
    for chunk_bytes in (1, 2, 3, len(body)):  # a CRLF split across two chunks is still one
        facts = scan_bytes(
            read_chunks(body, chunk_bytes), text=True, total_bytes=None, progress=None
        )
        assert (facts.line_ends, facts.crlf, facts.cr_only) == (style, crlf, cr)


def test_lone_cr_line_ends_alone_are_read_as_rows(tmp_path: Path) -> None:
    report = check(write(tmp_path, b"a,b\r1,2\r3,4\r"))

    assert report.rows == 2
    assert [p.name for p in report.profile] == ["a", "b"]


def test_lone_cr_mixed_with_lf_is_a_structural_defect(tmp_path: Path) -> None:
    report = check(write(tmp_path, b"a,b\n1,2\r3,4\n5,6\n"))

    assert report.dimension("normativity").measurements["structure:lone_cr_line_ends"] == 1
    assert any("lone CR" in i for i in report.issues)


def test_an_empty_file_is_judged_on_nothing_but_accessibility(tmp_path: Path) -> None:
    report = check(write(tmp_path, b""))

    assert report.rows is None
    assert report.profile == []
    assert report.dimension("accessibility").score == 100
    for name in ("normativity", "completeness", "accuracy", "consistency", "timeliness"):
        dim = report.dimension(name)  # type: ignore[arg-type]
        assert not dim.judged
        assert dim.reason == "the file is empty"
    assert report.overall == 100.0


def test_a_header_without_rows_reports_no_rows(tmp_path: Path) -> None:
    report = check(write(tmp_path, b"a,b,c\n"))

    assert report.rows == 0
    assert report.columns == 3
    assert report.dimension("completeness").reason == "no rows"
    assert report.dimension("consistency").reason == "no rows"
    assert [p.null_share for p in report.profile] == [0.0, 0.0, 0.0]


def test_a_10000_column_file_is_evaluated_in_bounded_time(tmp_path: Path) -> None:
    header = ",".join(f"c{i}" for i in range(10_000))
    rows = "\n".join(",".join(str((r * 7 + i) % 10) for i in range(10_000)) for r in range(20))
    path = write(tmp_path, f"{header}\n{rows}\n".encode())
    start = time.monotonic()
    report = check(path)

    assert time.monotonic() - start < 60
    assert report.columns == 10_000
    assert report.rows == 20
    assert report.dimension("completeness").measurements["cells"] == 200_000
    assert len(report.profile) == 1_000  # quality_profiled_columns_max


@pytest.mark.parametrize(
    ("name", "fmt", "data"),
    [
        ("t.parquet", "parquet", b"PAR1 this is not parquet"),
        ("t.jsonl", "jsonl", b'{"a": 1}\n{"a": \n'),
        ("t.csv", "csv", b'a,b\n"unterminated,2\n'),
    ],
)
def test_a_file_that_breaks_its_format_is_reported_not_raised(
    tmp_path: Path, name: str, fmt: str, data: bytes
) -> None:
    report = check(write(tmp_path, data, name), fmt)

    access = report.dimension("accessibility")
    if access.measurements.get("parseable") is False:
        assert access.score == 50
        assert any(i.startswith(f"the content could not be parsed as {fmt}") for i in report.issues)
        assert not report.dimension("completeness").judged


def test_a_header_too_wide_to_evaluate_gets_a_report_saying_so(tmp_path: Path) -> None:
    data = b",".join(b"c%d" % i for i in range(30_000)) + b"\n"
    report = check(write(tmp_path, data))

    assert "the table cannot be evaluated: 30000 columns; at most 20000 are evaluated" in (
        report.issues
    )
    assert not report.dimension("completeness").judged


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (b"^a$,b", "column names the query engine reads as patterns: ['^a$']"),
        (b"a,^.*$", "column names the query engine reads as patterns: ['^.*$']"),
        (b"a,a_duplicated_0,a", "duplicate column names"),
    ],
)
def test_column_names_the_engine_cannot_take_literally_are_reported_not_raised(
    tmp_path: Path, header: bytes, problem: str
) -> None:
    report = check(write(tmp_path, header + b"\n1,2,3\n"))

    assert any(i.startswith(f"the table cannot be evaluated: {problem}") for i in report.issues)
    assert report.dimension("accessibility").judged


def test_invalid_utf8_split_across_chunks_around_an_ascii_chunk_is_found() -> None:
    """A lead byte at the end of one chunk, an ASCII chunk, a continuation byte: invalid,
    though each non-ASCII chunk decodes on its own."""
    chunks = [b"n\n1,\xc3", b"2,ab\n", b"\xa9\n"]
    facts = scan_bytes(chunks, text=True, total_bytes=None, progress=None)
    assert facts.invalid_utf8_offset == len(chunks[0]) - 1

    ends_inside = scan_bytes([b"n\n1,\xc3", b"2\n"], text=True, total_bytes=None, progress=None)
    assert ends_inside.invalid_utf8_offset == len(b"n\n1,")
    ends_cut = scan_bytes([b"n\n1,ab", b"\xc3"], text=True, total_bytes=None, progress=None)
    assert ends_cut.invalid_utf8_offset == len(b"n\n1,ab")


@pytest.mark.parametrize("name", ["sales [2024].csv", "x*.csv", "q?.csv"])
def test_a_file_name_is_not_a_pattern(tmp_path: Path, name: str) -> None:
    write(tmp_path, b"a\n1\n2\n3\n4\n", "x1.csv")  # what the pattern would also match
    write(tmp_path, b"a\n1\n2\n3\n4\n", "q1.csv")
    write(tmp_path, b"a\n1\n2\n3\n4\n", "sales 2.csv")
    report = check(write(tmp_path, b"a\n5\n6\n", name))

    assert report.rows == 2
    assert report.dimension("accessibility").score == 100


def test_json_lines_of_empty_objects_have_rows_but_no_columns(tmp_path: Path) -> None:
    report = check(write(tmp_path, b"{}\n{}\n", "t.jsonl"), "jsonl")

    assert report.rows == 2
    assert report.dimension("completeness").reason == "no columns"


def test_a_file_that_cannot_be_read_gets_a_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An I/O error (a failing disk, a file removed after it was found) is reported, not
    raised: accessibility 0."""
    path = write(tmp_path, b"a\n1\n")
    real_open = Path.open

    def failing_open(self: Path, mode: str = "r", *args: object, **kwargs: object) -> object:
        if self == path:
            raise OSError(5, "Input/output error")
        return real_open(self, mode, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", failing_open)
    report = check(path)

    assert (
        report.issues[0] == "the content could not be read: OSError: [Errno 5] Input/output error"
    )
    assert report.dimension("accessibility").score == 0


def test_json_lines_with_a_bom_or_invalid_utf8_say_why_they_do_not_parse(tmp_path: Path) -> None:
    bom = check(write(tmp_path, b'\xef\xbb\xbf{"a":1}\n', "bom.jsonl"), "jsonl")
    assert bom.issues[0] == "starts with a byte order mark, which JSON does not allow (RFC 8259)"

    bad = check(write(tmp_path, b'{"a":"\xff"}\n', "bad.jsonl"), "jsonl")
    assert bad.issues[0] == "not valid UTF-8 (first bad byte at offset 6)"  # no replacement


def test_json_lines_keys_and_types_first_seen_late_are_judged(tmp_path: Path) -> None:
    """polars infers a JSON Lines schema from the lines it is told to read; a file read in
    memory is inferred whole, so line 1,001 counts like the first."""
    late_key = check(
        write(tmp_path, b'{"a":1}\n' * 1000 + b'{"a":2,"b":"new"}\n', "k.jsonl"), "jsonl"
    )
    assert late_key.columns == 2
    assert next(p for p in late_key.profile if p.name == "b").null_count == 1000

    late_type = check(write(tmp_path, b'{"a":1}\n' * 1000 + b'{"a":"x"}\n', "t.jsonl"), "jsonl")
    assert late_type.rows == 1001
    assert late_type.dimension("accessibility").measurements["parseable"] is True


def test_a_streamed_json_lines_file_says_its_schema_comes_from_the_first_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "quality_in_memory_bytes_max", 16)
    report = check(write(tmp_path, b'{"a":1}\n' * 10, "s.jsonl"), "jsonl")

    assert (
        "the JSON Lines schema is read from the first 1000 lines; keys first seen later are not "
        "judged" in report.issues
    )
    assert report.rows == 10
