import io

import polars as pl

from marketplace.assets.format_detection import detect_format


def test_detect_format_judges_content_with_the_upload_checkers() -> None:
    parquet = io.BytesIO()
    pl.DataFrame({"id": [1, 2], "fruit": ["apple", "pear"]}).write_parquet(parquet)
    data = parquet.getvalue()
    assert detect_format(data, data, whole=True) == "parquet"
    assert detect_format(b"PAR1 but nothing after", b"PAR1 but nothing after", whole=True) == (
        "opaque"
    )
    assert detect_format(b'{"id": 1}\n{"id": 2}\n', b"", whole=True) == "jsonl"
    assert detect_format(b"id,fruit\n1,apple\n", b"", whole=True) == "csv"
    # A head cut mid-line is judged up to its last line end.
    assert detect_format(b"id,fruit\n1,apple\n2,pe", b"", whole=False) == "csv"
    # Any text is a one-column CSV: that alone is not taken for a table.
    assert detect_format(b"dear reader\nthis is a letter\n", b"", whole=True) == "opaque"
    assert detect_format(b"id,fruit\n1,apple,extra\n", b"", whole=True) == "opaque"
    assert detect_format(bytes(range(256)), b"", whole=True) == "opaque"
    assert detect_format(b"", b"", whole=True) == "opaque"
