"""The dossier verifier's own checks that need no chain: what is not a dossier is refused with
one line."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from ledger.verify.dossier import DossierInvalid, read_dossier, verify_dossier


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def _doc(obj: object) -> bytes:
    return json.dumps(obj).encode()


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"not a zip", "not a zip file"),
        (_zip({"dossier.json": _doc({"version": 1})}), "the zip has no manifest.json"),
        (_zip({"dossier.json": b"{", "manifest.json": _doc({"items": []})}), "not valid JSON"),
        (
            _zip({"dossier.json": _doc({"version": 9}), "manifest.json": _doc({"items": []})}),
            "of version 1",
        ),
        (
            _zip({"dossier.json": _doc({"version": 1}), "manifest.json": _doc({"items": 3})}),
            "a list of items",
        ),
    ],
)
def test_what_is_not_a_dossier_is_refused_in_one_line(data: bytes, says: str) -> None:
    with pytest.raises(DossierInvalid, match=says) as caught:
        read_dossier(data)
    assert "\n" not in str(caught.value)


def test_a_zip_holding_a_member_twice_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("dossier.json", _doc({"version": 1}))
        z.writestr("manifest.json", _doc({"version": 1, "items": []}))
        z.writestr("evidence/1-a.csv", b"a")
        with pytest.warns(UserWarning, match="Duplicate name"):
            z.writestr("evidence/1-a.csv", b"b")
    with pytest.raises(DossierInvalid, match=r"the zip holds evidence/1-a\.csv twice"):
        read_dossier(out.getvalue())


def test_an_empty_manifest_and_stray_files_do_not_verify() -> None:
    dossier = read_dossier(
        _zip(
            {
                "dossier.json": _doc({"version": 1, "dispute": {"id": 4}}),
                "manifest.json": _doc({"version": 1, "items": []}),
                "evidence/9-extra.csv": b"x",
            }
        )
    )
    report = verify_dossier(dossier, lambda _address: pytest.fail("no chain is needed"))
    assert not report.ok
    assert report.dispute_id == 4
    assert report.problems == [
        "files the manifest does not list: evidence/9-extra.csv",
        "the manifest lists no item",
    ]


def test_an_item_without_a_receipt_fails_naming_it() -> None:
    item = {"id": "evidence-1", "type": "evidence", "title": "a.csv", "seq": 5, "receipt": None}
    dossier = read_dossier(
        _zip(
            {
                "dossier.json": _doc({"version": 1, "dispute": {"id": 1}}),
                "manifest.json": _doc({"version": 1, "items": [item]}),
            }
        )
    )
    report = verify_dossier(dossier, lambda _address: pytest.fail("no chain is needed"))
    [result] = report.failed
    assert result.label == "evidence-1 (a.csv)"
    assert result.reason == "entry 5: no receipt in the zip (not anchored when exported?)"
