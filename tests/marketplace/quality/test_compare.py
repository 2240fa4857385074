from __future__ import annotations

from pathlib import Path

from marketplace.quality import compare, evaluate
from tests.marketplace.quality.defects import AS_OF, write_table
from tests.marketplace.quality.test_evaluation import DECLARED


def test_a_faithful_copy_matches_and_nothing_moves(tmp_path: Path) -> None:
    original = write_table(tmp_path / "original.csv")
    copy = tmp_path / "copy.csv"
    copy.write_bytes(original.read_bytes())
    anchored = evaluate(original, fmt="csv", declared=DECLARED, as_of=AS_OF)
    received = evaluate(copy, fmt="csv", declared=DECLARED, as_of=AS_OF)

    result = compare(anchored, received)

    assert result.content_hash_matches
    assert result.moved == []
    assert result.columns_changed == []
    assert result.anchored_report_hash == result.received_report_hash


def test_a_tampered_copy_shows_the_hash_mismatch_and_which_dimensions_moved(
    tmp_path: Path,
) -> None:
    original = write_table(tmp_path / "original.csv")
    lines = original.read_text().splitlines(keepends=True)
    fields = lines[5].split(",")
    fields[2] = "999"  # one row changed: a score far out of its declared range
    lines[5] = ",".join(fields)
    tampered = tmp_path / "tampered.csv"
    tampered.write_text("".join(lines))
    anchored = evaluate(original, fmt="csv", declared=DECLARED, as_of=AS_OF)
    received = evaluate(tampered, fmt="csv", declared=DECLARED, as_of=AS_OF)

    result = compare(anchored, received)

    assert not result.content_hash_matches
    assert result.anchored_content_sha256 == anchored.content_sha256
    assert result.received_content_sha256 == received.content_sha256
    assert result.moved == ["accuracy"]
    accuracy = next(d for d in result.dimensions if d.name == "accuracy")
    assert accuracy.delta is not None
    assert accuracy.delta < 0
    assert accuracy.changed_measurements["values_out_of_range"] == [10, 11]
    assert "score" in result.columns_changed
    assert result.comparison_hash() != compare(anchored, anchored).comparison_hash()
