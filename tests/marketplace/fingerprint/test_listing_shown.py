"""``bourse listing show`` says in words that a listing is fingerprinted."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from marketplace.cli.listings import show_listing
from marketplace.listings.schemas import FINGERPRINT_NOTE


def _listing(*, fingerprint: bool) -> SimpleNamespace:
    return SimpleNamespace(
        id=3, asset_id=7, status="active", available=True, under_objection=False,
        price_plain="1,250.00 CNY, once", terms_plain=["For research."], signer="0xabc",
        journal_seq=9, fingerprint=fingerprint,
    )  # fmt: skip


@pytest.mark.parametrize("fingerprint", [True, False])
def test_the_cli_shows_the_fingerprint_note_only_when_set(
    fingerprint: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    show_listing(_listing(fingerprint=fingerprint))
    shown = " ".join(capsys.readouterr().out.split())
    assert (" ".join(FINGERPRINT_NOTE.split()) in shown) is fingerprint
    assert "listing 3 · asset 7" in shown
