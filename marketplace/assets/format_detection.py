"""Telling an upload's format from its content, with the checkers the upload itself runs (the
CLI guesses ``--format`` this way before it sends a file)."""

from __future__ import annotations

from marketplace.assets.schema_infer import ParquetChecker, TabularError, checker_for


def detect_format(head: bytes, tail: bytes, *, whole: bool) -> str:
    """The format content is, judged by the checkers an upload runs: ``parquet`` when the
    Parquet checker accepts the magic and footer (``tail``: the file's last bytes), else
    ``jsonl`` or ``csv`` when that checker accepts ``head`` (the first bytes, cut after the last
    line end unless ``whole``), else ``opaque``. A CSV needs two columns here: any line of text
    is a one-column CSV."""
    if head[:4] == b"PAR1":
        parquet = ParquetChecker()
        parquet.update(head[:4])
        parquet.update(tail)
        try:
            parquet.finish()
        except TabularError:
            return "opaque"
        return "parquet"
    sample = head if whole else head[: head.rfind(b"\n") + 1]
    if not sample.strip():
        return "opaque"
    for candidate in ("jsonl", "csv"):
        checker = checker_for(candidate)
        try:
            checker.update(sample)
            schema = checker.finish()
        except TabularError:
            continue
        if candidate == "csv" and (schema is None or len(schema["fields"]) < 2):
            continue
        return candidate
    return "opaque"
