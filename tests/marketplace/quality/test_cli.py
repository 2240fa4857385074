from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from marketplace.cli import app
from tests.marketplace.quality.defects import write_table

runner = CliRunner()


def test_quality_check_prints_the_report_as_json(tmp_path: Path) -> None:
    path = write_table(tmp_path / "t.csv")

    result = runner.invoke(app, ["quality", "check", str(path), "--frequency", "daily", "--json"])

    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["report"]["rows"] == 2050
    assert body["report_hash"].startswith("0x")


def test_rechecking_a_tampered_copy_exits_3_and_names_the_moved_dimension(
    tmp_path: Path,
) -> None:
    original = write_table(tmp_path / "original.csv")
    anchored = tmp_path / "anchored.json"
    schema = tmp_path / "schema.json"
    schema.write_text(
        json.dumps(
            {
                "fields": [
                    {
                        "name": "score",
                        "type": "integer",
                        "constraints": {"minimum": 0, "maximum": 100},
                    }
                ]
            }
        )
    )
    first = runner.invoke(
        app,
        ["quality", "check", str(original), "--schema", str(schema), "-o", str(anchored)],
    )
    assert first.exit_code == 0, first.output
    lines = original.read_text().splitlines(keepends=True)
    fields = lines[5].split(",")
    fields[2] = "999"
    lines[5] = ",".join(fields)
    tampered = tmp_path / "tampered.csv"
    tampered.write_text("".join(lines))

    result = runner.invoke(
        app, ["quality", "check", str(tampered), "--against", str(anchored), "--json"]
    )

    assert result.exit_code == 3
    comparison = json.loads(result.stdout)["comparison"]
    assert comparison["content_hash_matches"] is False
    assert comparison["moved"] == ["accuracy"]


def test_an_unknown_format_is_refused_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"x")

    result = runner.invoke(app, ["quality", "check", str(path)])

    assert result.exit_code == 2


def test_the_report_table_never_cuts_a_measurement_in_two(tmp_path: Path) -> None:
    """The detail column was cut at 80 characters: timeliness ended in "age_s=84942750, u"
    (and accessibility in "bytes_read=1" for 10,365 bytes)."""
    path = tmp_path / "t.csv"
    path.write_text("day,n\n" + "".join(f"2024-03-{d:02d},{d}\n" for d in range(1, 29)))

    result = runner.invoke(app, ["quality", "check", str(path), "--frequency", "daily"])

    assert result.exit_code == 0, result.output
    words = [w for w in result.stdout.split() if w not in ("│", "┃")]
    age = next(i for i, w in enumerate(words) if w.startswith("age_s="))
    assert words[age + 1] in ("update_period_s=86400", "…"), words[age : age + 3]
