"""The dispute pages over HTTP, on both databases: a buyer opens a dispute from the page and
submits evidence, the drawn arbitrator reads the timeline and rules, a party appeals; bad input
is refused with the API's message next to the field and nothing written; other organisations
get 404 pages. (The browser journey: test_disputes_browser.py.)"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient

from marketplace import limits
from marketplace.pages.disputes import PAGE_FILE_BYTES_MAX
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party, party
from tests.marketplace.disputes.helpers import open_dispute, post_statement
from tests.marketplace.identity.helpers import PASSWORD
from tests.marketplace.pages.dispute_world import (
    BUYER_EMAIL,
    JUDGE_EMAIL,
    SUPPLIER_EMAIL,
    DisputeWorld,
    dispute_world,
)

HTML = {"Accept": "text/html,application/xhtml+xml"}
CLOCK = "marketplace.pages.disputes.utc_now"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, "the page has no CSRF field"
    return found.group(1)


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture
def world(api: TestClient, page_runtime: Runtime) -> DisputeWorld:
    return dispute_world(api, page_runtime)


@pytest.fixture
def browsers(api: TestClient) -> Iterator[dict[str, TestClient]]:
    """One signed-in page client per person (cookies are per client)."""
    made: dict[str, TestClient] = {}

    def signed(email: str) -> TestClient:
        client = TestClient(api.app, raise_server_exceptions=False, headers=HTML)
        form = client.get("/login")
        r = client.post(
            "/login",
            data={
                "email": email,
                "password": PASSWORD,
                "next": "/",
                "csrf_token": csrf_of(form.text),
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        return client

    for email in (BUYER_EMAIL, SUPPLIER_EMAIL, JUDGE_EMAIL):
        made[email] = signed(email)
    return made


def post_form(client: TestClient, page: str, action: str, data: dict[str, Any]) -> Any:
    form = client.get(page)
    assert form.status_code == 200, form.text
    return client.post(
        action, data={**data, "csrf_token": csrf_of(form.text)}, follow_redirects=False
    )


def kinds(api: TestClient) -> list[str]:
    items = api.get("/ledger/entries", params={"limit": 500}).json()["items"]
    return [e["kind"] for e in items]


def disputes_of(api: TestClient, who: Party) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get("/disputes", headers=who.headers).json()["items"]
    return items


def after(moment: str) -> datetime:
    return datetime.fromisoformat(moment) + timedelta(seconds=1)


def test_the_buyer_opens_a_dispute_from_the_page_and_the_api_keeps_its_json(
    api: TestClient, world: DisputeWorld, browsers: dict[str, TestClient]
) -> None:
    buyer = browsers[BUYER_EMAIL]
    order_id = world.order["id"]
    form = buyer.get("/disputes/new", params={"order_id": order_id})
    assert form.status_code == 200
    assert 'name="statement"' in form.text
    assert 'for="f-reason"' in form.text

    r = post_form(
        buyer, f"/disputes/new?order_id={order_id}", "/disputes/new",
        {"order_id": order_id, "reason": "quality_below_report", "statement": "Rows are missing."},
    )  # fmt: skip

    assert r.status_code == 303, r.text
    [found] = disputes_of(api, world.buyer)
    assert r.headers["location"] == f"/disputes/{found['id']}"
    assert found["statement"] == "Rows are missing."
    page = text_of(buyer.get(r.headers["location"]).text)
    assert f"Dispute {found['id']}" in page
    assert "Rows are missing." in page
    assert "dispute.opened" in page
    assert "arbitrator.drawn" in page
    # The API's own paths still answer JSON to API clients.
    assert (
        api.get("/disputes", headers=world.buyer.headers)
        .headers["content-type"]
        .startswith("application/json")
    )
    listing = text_of(buyer.get("/disputes").text)
    assert f"#{found['id']}" in listing
    assert "Open" in listing


@pytest.mark.parametrize(
    ("reason", "statement", "message"),
    [
        ("quality_below_report", "", "at least 1 character"),
        ("because", "Rows are missing.", "Input should be"),
    ],
    ids=["empty-statement", "unknown-reason"],
)
def test_a_refused_dispute_form_shows_the_message_and_writes_nothing(  # noqa: PLR0917
    api: TestClient,
    world: DisputeWorld,
    browsers: dict[str, TestClient],
    reason: str,
    statement: str,
    message: str,
) -> None:
    buyer = browsers[BUYER_EMAIL]
    order_id = world.order["id"]
    before = kinds(api)
    r = post_form(
        buyer, f"/disputes/new?order_id={order_id}", "/disputes/new",
        {"order_id": order_id, "reason": reason, "statement": statement},
    )  # fmt: skip
    assert r.status_code == 400
    assert message in unescape(r.text)
    assert 'class="field-error"' in r.text
    assert disputes_of(api, world.buyer) == []
    assert kinds(api) == before


def test_an_order_of_another_organisation_is_not_disputable_from_the_page(
    api: TestClient, world: DisputeWorld, browsers: dict[str, TestClient]
) -> None:
    judge = browsers[JUDGE_EMAIL]
    order_id = world.order["id"]
    before = kinds(api)
    r = post_form(
        judge, f"/disputes/new?order_id={order_id}", "/disputes/new",
        {"order_id": order_id, "reason": "other", "statement": "Not mine."},
    )  # fmt: skip
    assert r.status_code == 404
    assert f"no order {order_id}" in unescape(r.text).lower() or "not found" in r.text.lower()
    assert kinds(api) == before
    assert disputes_of(api, world.buyer) == []


def test_parties_submit_evidence_and_download_the_bytes_the_api_serves(
    api: TestClient, world: DisputeWorld, browsers: dict[str, TestClient]
) -> None:
    dispute = open_dispute(api, world.buyer, world.order["id"])
    page = f"/disputes/{dispute['id']}"
    supplier = browsers[SUPPLIER_EMAIL]
    r = post_form(supplier, page, f"{page}/statement", {"title": "Reply", "text": "All rows sent."})
    assert r.status_code == 303, r.text
    buyer = browsers[BUYER_EMAIL]
    form = buyer.get(page)
    content = b"row,expected,received\n1,100,50\n"
    r = buyer.post(
        f"{page}/file",
        data={"title": "Row counts", "csrf_token": csrf_of(form.text)},
        files={"upload": ("counts.csv", content, "text/csv")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text

    items = api.get(f"{page}/evidence", headers=world.buyer.headers).json()["items"]
    filed = next(i for i in items if i["title"] == "Row counts")
    assert filed["media_type"] == "text/csv"
    assert filed["side"] == "buyer"
    shown = text_of(buyer.get(page).text)
    assert "All rows sent." in shown
    assert "Reply" in shown
    assert "Row counts" in shown
    assert "Signature verified" in shown
    assert "Hash verified" in shown

    download = buyer.get(f"{page}/evidence/{filed['id']}/download")
    from_api = api.get(f"{page}/evidence/{filed['id']}/file", headers=world.buyer.headers)
    assert download.status_code == 200
    assert download.content == from_api.content == content
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["x-content-sha256"] == filed["sha256"]
    dossier = buyer.get(f"{page}/dossier.zip")
    assert dossier.status_code == 200
    assert dossier.content.startswith(b"PK")
    assert dossier.headers["content-disposition"].startswith("attachment")


def test_an_empty_statement_or_file_is_refused_next_to_its_form(
    api: TestClient, world: DisputeWorld, browsers: dict[str, TestClient]
) -> None:
    dispute = open_dispute(api, world.buyer, world.order["id"])
    page = f"/disputes/{dispute['id']}"
    buyer = browsers[BUYER_EMAIL]
    before = kinds(api)
    r = post_form(buyer, page, f"{page}/statement", {"title": "Mine", "text": ""})
    assert r.status_code == 400
    assert "at least 1 character" in r.text
    form = buyer.get(page)
    r = buyer.post(
        f"{page}/file",
        data={"title": "Nothing", "csrf_token": csrf_of(form.text)},
        files={"upload": ("empty.csv", b"", "text/csv")},
    )
    assert r.status_code == 422
    assert "choose a file that is not empty" in r.text
    r = buyer.post(
        f"{page}/file",
        data={"title": "Too big", "csrf_token": csrf_of(form.text)},
        files={"upload": ("big.bin", b"x" * (PAGE_FILE_BYTES_MAX + 1), "application/pdf")},
    )
    assert r.status_code == 413
    assert f"at most {PAGE_FILE_BYTES_MAX} bytes" in r.text
    assert kinds(api) == before


def test_the_arbitrator_reads_the_timeline_and_rules_a_split_with_reasons(
    api: TestClient,
    world: DisputeWorld,
    browsers: dict[str, TestClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dispute = open_dispute(api, world.buyer, world.order["id"])
    page = f"/disputes/{dispute['id']}"
    judge = browsers[JUDGE_EMAIL]
    assert f'href="{page}"' in judge.get("/disputes").text
    shown = judge.get(page).text
    assert 'type="range"' in shown
    assert 'name="supplier_bp"' in shown
    assert "Submissions close at" in text_of(shown)

    ruling = {"outcome": "split", "supplier_bp": "6000", "reasons": "Half the rows arrived."}
    before = kinds(api)
    early = post_form(judge, page, f"{page}/rule", ruling)
    assert early.status_code == 409
    assert "submissions" in text_of(early.text).lower()
    assert kinds(api) == before

    monkeypatch.setattr(CLOCK, lambda: after(dispute["evidence_closes_at"]))
    bad = post_form(judge, page, f"{page}/rule", {**ruling, "supplier_bp": "20000"})
    assert bad.status_code == 400, text_of(bad.text)[-1500:]
    assert "less than or equal to 10000" in bad.text
    assert kinds(api) == before
    odd = post_form(judge, page, f"{page}/rule", {**ruling, "supplier_bp": "\u00b2"})
    assert odd.status_code == 400, text_of(odd.text)[-1500:]  # a digit to str.isdigit only
    assert kinds(api) == before

    r = post_form(judge, page, f"{page}/rule", ruling)
    assert r.status_code == 303, r.text
    ruled = api.get(page, headers=world.judge.headers).json()
    assert (ruled["status"], ruled["outcome"], ruled["supplier_bp"]) == ("ruled", "split", 6000)
    shown_after = text_of(judge.get(page).text)
    assert "Half the rows arrived." in shown_after
    assert "supplier 6000 bp" in shown_after
    assert "ruling.issued" in shown_after


def test_a_party_appeals_the_ruling_from_the_page(
    api: TestClient,
    world: DisputeWorld,
    browsers: dict[str, TestClient],
    monkeypatch: pytest.MonkeyPatch,
    page_runtime: Runtime,
) -> None:
    from tests.marketplace.disputes.conftest import arbitrator
    from tests.marketplace.orders.money import fund

    dispute = open_dispute(api, world.buyer, world.order["id"])  # draws the only arbitrator
    for n in (2, 3, 4):  # the appeal's panel is drawn from three others
        arbitrator(api, world.ops, n)
    page = f"/disputes/{dispute['id']}"
    monkeypatch.setattr(CLOCK, lambda: after(dispute["evidence_closes_at"]))
    judge = browsers[JUDGE_EMAIL]
    r = post_form(judge, page, f"{page}/rule", {"outcome": "release", "reasons": "Delivered."})
    assert r.status_code == 303, r.text
    fund(page_runtime.engine, world.buyer.organization_id, 100_000)
    buyer = browsers[BUYER_EMAIL]
    assert 'action="' + page + '/appeals"' in buyer.get(page).text
    r = post_form(buyer, page, f"{page}/appeals", {})
    assert r.status_code == 303, r.text
    assert api.get(page, headers=world.buyer.headers).json()["status"] == "appealed"
    # The first-round arbitrator is not on the panel: no vote form for it.
    assert f'action="{page}/vote"' not in judge.get(page).text


def test_an_order_settled_by_a_ruling_is_not_offered_for_a_second_dispute(
    api: TestClient,
    world: DisputeWorld,
    browsers: dict[str, TestClient],
    monkeypatch: pytest.MonkeyPatch,
    page_runtime: Runtime,
) -> None:
    from tests.marketplace.disputes.helpers import execute

    order_id = world.order["id"]
    dispute = open_dispute(api, world.buyer, order_id)
    page = f"/disputes/{dispute['id']}"
    monkeypatch.setattr(CLOCK, lambda: after(dispute["evidence_closes_at"]))
    ruling = {"outcome": "release", "reasons": "Delivered."}
    r = post_form(browsers[JUDGE_EMAIL], page, f"{page}/rule", ruling)
    assert r.status_code == 303, r.text
    ruled = api.get(page, headers=world.buyer.headers).json()
    assert execute(page_runtime, after(ruled["appeal_closes_at"])) == [dispute["id"]]
    order = api.get(f"/orders/{order_id}", headers=world.buyer.headers).json()
    assert order["status"] == "settled"  # released, within its window

    shown = browsers[BUYER_EMAIL].get(f"/buyer/orders/{order_id}").text
    assert "/disputes/new" not in shown
    assert "Disputes may be raised until" not in text_of(shown)
    again = api.post(
        f"/orders/{order_id}/disputes",
        json={"reason": "other", "statement": "Again."},
        headers={**world.buyer.headers, "Idempotency-Key": "second-dispute"},
    )
    assert (again.status_code, again.json()["error"]) == (409, "dispute_exists")


def test_other_organisations_get_a_404_page_and_forms_need_the_csrf_token(
    api: TestClient, world: DisputeWorld, browsers: dict[str, TestClient]
) -> None:
    dispute = open_dispute(api, world.buyer, world.order["id"])
    page = f"/disputes/{dispute['id']}"
    party(api, "eve@else.test", "Elsewhere", ["buyer"])
    outsider = TestClient(api.app, raise_server_exceptions=False, headers=HTML)
    form = outsider.get("/login")
    outsider.post(
        "/login",
        data={"email": "eve@else.test", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
    )
    r = outsider.get(page)
    assert r.status_code == 404
    assert f"no dispute {dispute['id']}" in r.text
    assert outsider.get(f"{page}/dossier.zip").status_code == 404
    assert outsider.get(f"{page}/evidence/1/download").status_code == 404
    assert "Elsewhere" not in outsider.get("/disputes").text or f"#{dispute['id']}" not in (
        outsider.get("/disputes").text
    )
    before = kinds(api)
    assert post_statement(api, world.buyer, dispute["id"], "x").status_code == 201
    refused = browsers[BUYER_EMAIL].post(f"{page}/statement", data={"text": "no token"})
    assert refused.status_code == 403
    assert kinds(api) == [*before, "evidence.submitted"]
    # Signed out: to the sign-in page.
    anonymous = TestClient(api.app, raise_server_exceptions=False, headers=HTML)
    r = anonymous.get(page, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=")


def test_a_panel_member_votes_on_the_appeal_from_the_page_once(
    api: TestClient,
    world: DisputeWorld,
    browsers: dict[str, TestClient],
    monkeypatch: pytest.MonkeyPatch,
    page_runtime: Runtime,
) -> None:
    from tests.marketplace.disputes.conftest import arbitrator
    from tests.marketplace.orders.money import fund

    dispute = open_dispute(api, world.buyer, world.order["id"])
    page = f"/disputes/{dispute['id']}"
    for n in (2, 3, 4):  # the only three others: all on the panel
        arbitrator(api, world.ops, n)
    monkeypatch.setattr(CLOCK, lambda: after(dispute["evidence_closes_at"]))
    r = post_form(
        browsers[JUDGE_EMAIL], page, f"{page}/rule", {"outcome": "refund", "reasons": "x"}
    )
    assert r.status_code == 303, r.text
    fund(page_runtime.engine, world.supplier.organization_id, 100_000)
    assert post_form(browsers[SUPPLIER_EMAIL], page, f"{page}/appeals", {}).status_code == 303

    member = TestClient(api.app, raise_server_exceptions=False, headers=HTML)
    form = member.get("/login")
    member.post(
        "/login",
        data={
            "email": "judge2@arbiters2.test",
            "password": PASSWORD,
            "csrf_token": csrf_of(form.text),
        },
    )
    assert f'action="{page}/vote"' in member.get(page).text
    vote = {"outcome": "split", "supplier_bp": "5000", "reasons": "Both sides share the fault."}
    before = kinds(api)
    bad = post_form(member, page, f"{page}/vote", {**vote, "outcome": "maybe"})
    assert bad.status_code == 400
    assert kinds(api) == before
    r = post_form(member, page, f"{page}/vote", vote)
    assert r.status_code == 303, r.text
    assert kinds(api) == [*before, "ruling.voted"]
    shown = member.get(page).text
    assert "Both sides share the fault." in text_of(shown)
    assert f'action="{page}/vote"' not in shown  # once


# --- the file form's upload by script (PUT /upload/disputes/{id}/file) ------------------------

TWO_MIB = bytes(range(256)) * (8 * 1024)  # 2 MiB, over the form's limit, no archive


def upload_url(dispute_id: int, title: str = "Server logs") -> str:
    return f"/upload/disputes/{dispute_id}/file?title={title}&media_type=text/plain"


def test_a_2_mib_file_goes_through_the_pages_upload_and_is_recorded_with_its_sha256(
    api: TestClient, world: DisputeWorld, browsers: dict[str, TestClient]
) -> None:
    assert len(TWO_MIB) > PAGE_FILE_BYTES_MAX
    dispute = open_dispute(api, world.buyer, world.order["id"])
    page = f"/disputes/{dispute['id']}"
    buyer = browsers[BUYER_EMAIL]
    token = csrf_of(buyer.get(page).text)
    before = kinds(api)

    r = buyer.put(upload_url(dispute["id"]), content=TWO_MIB, headers={"X-CSRF-Token": token})

    assert r.status_code == 201, r.text
    assert r.json() == {"location": f"{page}#evidence"}
    items = api.get(f"{page}/evidence", headers=world.buyer.headers).json()["items"]
    filed = next(i for i in items if i["title"] == "Server logs")
    assert filed["sha256"] == hashlib.sha256(TWO_MIB).hexdigest()
    assert filed["size_bytes"] == len(TWO_MIB)
    assert filed["media_type"] == "text/plain"
    assert filed["side"] == "buyer"
    assert kinds(api) == [*before, "evidence.submitted"]
    assert "Server logs" in text_of(buyer.get(page).text)
    download = buyer.get(f"{page}/evidence/{filed['id']}/download")
    assert download.content == TWO_MIB


def test_the_pages_upload_refuses_an_oversize_file_with_a_message_and_keeps_the_guards(
    api: TestClient, world: DisputeWorld, browsers: dict[str, TestClient]
) -> None:
    dispute = open_dispute(api, world.buyer, world.order["id"])
    page = f"/disputes/{dispute['id']}"
    buyer = browsers[BUYER_EMAIL]
    token = csrf_of(buyer.get(page).text)
    url = upload_url(dispute["id"])
    before = kinds(api)

    too_big = buyer.put(
        url, content=b"x" * (limits.evidence_file_bytes_max + 1), headers={"X-CSRF-Token": token}
    )
    no_header = buyer.put(url, content=TWO_MIB)
    wrong = buyer.put(url, content=TWO_MIB, headers={"X-CSRF-Token": "nope"})
    as_form = buyer.put(
        url, files={"upload": ("a.txt", b"abc", "text/plain")}, data={"csrf_token": token}
    )
    untitled = buyer.put(
        upload_url(dispute["id"], title=""), content=b"abc", headers={"X-CSRF-Token": token}
    )

    assert too_big.status_code == 413
    assert too_big.json()["error"] == "evidence_too_large"
    assert too_big.json()["message"] == (
        "This file is 20,971,521 B (20.0 MiB); an evidence file is at most 20,971,520 B (20.0 MiB)."
    )
    assert (no_header.status_code, wrong.status_code, as_form.status_code) == (400, 403, 400)
    assert untitled.status_code == 422
    assert untitled.json()["message"] == "give the file a title"
    assert kinds(api) == before


def test_the_pages_upload_refuses_a_dispute_of_which_one_is_not_a_party(
    api: TestClient, world: DisputeWorld, browsers: dict[str, TestClient]
) -> None:
    dispute = open_dispute(api, world.buyer, world.order["id"])
    party(api, "eve@else.test", "Elsewhere", ["buyer"])
    outsider = TestClient(api.app, raise_server_exceptions=False, headers=HTML)
    form = outsider.get("/login")
    outsider.post(
        "/login",
        data={"email": "eve@else.test", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
    )
    token = csrf_of(outsider.get("/disputes/new?order_id=1").text)
    before = kinds(api)

    r = outsider.put(upload_url(dispute["id"]), content=TWO_MIB, headers={"X-CSRF-Token": token})

    assert r.status_code == 404
    assert r.json()["error"] == "dispute_not_found"
    assert kinds(api) == before
