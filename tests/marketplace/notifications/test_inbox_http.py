"""GET /inbox and POST /inbox/{id}/read: an organisation's notifications, newest first, a page
at a time; every member sees them, no other organisation does."""

from __future__ import annotations

from fastapi.testclient import TestClient

from marketplace import limits
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.notifications.helpers import member, notify


def _subjects(page: dict[str, object]) -> list[str]:
    items = page["items"]
    assert isinstance(items, list)
    return [str(n["subject"]) for n in items]


def test_the_inbox_pages_newest_first_by_cursor_to_the_end(
    api: TestClient, asset_runtime: Runtime, supplier: Party
) -> None:
    notify(asset_runtime.engine, supplier.organization_id, 5)
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor is not None:
            params["cursor"] = cursor
        r = api.get("/inbox", params=params, headers=supplier.headers)
        assert r.status_code == 200, r.text
        page = r.json()
        seen += _subjects(page)
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"demand:{i}" for i in (5, 4, 3, 2, 1)]
    assert pages == 3


def test_a_notification_arriving_while_paging_neither_repeats_nor_skips_one(
    api: TestClient, asset_runtime: Runtime, supplier: Party
) -> None:
    notify(asset_runtime.engine, supplier.organization_id, 3)
    first = api.get("/inbox", params={"limit": 2}, headers=supplier.headers).json()
    notify(asset_runtime.engine, supplier.organization_id, 1)  # newer than all: not on page 2
    rest = api.get(
        "/inbox", params={"limit": 2, "cursor": first["next_cursor"]}, headers=supplier.headers
    ).json()
    assert _subjects(first) + _subjects(rest) == ["demand:3", "demand:2", "demand:1"]


def test_marking_read_filters_it_out_of_unread_and_counts_down(
    api: TestClient, asset_runtime: Runtime, supplier: Party
) -> None:
    notify(asset_runtime.engine, supplier.organization_id, 3)
    newest = api.get("/inbox", headers=supplier.headers).json()["items"][0]
    r = api.post(f"/inbox/{newest['id']}/read", headers=supplier.headers)
    assert r.status_code == 200, r.text
    assert r.json()["unread"] is False
    read_at = r.json()["read_at"]
    assert read_at is not None
    again = api.post(f"/inbox/{newest['id']}/read", headers=supplier.headers)
    assert again.status_code == 200
    assert again.json()["read_at"] == read_at  # the first reading is kept
    unread = api.get("/inbox", params={"unread": "true"}, headers=supplier.headers).json()
    assert _subjects(unread) == ["demand:2", "demand:1"]
    assert unread["unread_total"] == 2
    everything = api.get("/inbox", headers=supplier.headers).json()
    assert len(everything["items"]) == 3


def test_every_member_sees_the_organisation_inbox_and_reading_is_shared(
    api: TestClient, asset_runtime: Runtime, supplier: Party
) -> None:
    colleague = member(api, supplier, "carol@supplier.test")
    notify(asset_runtime.engine, supplier.organization_id)
    item = api.get("/inbox", headers=colleague.headers).json()["items"][0]
    assert api.post(f"/inbox/{item['id']}/read", headers=colleague.headers).status_code == 200
    assert api.get("/inbox", headers=supplier.headers).json()["unread_total"] == 0


def test_another_organisations_notification_is_not_found_and_stays_unread(
    api: TestClient, asset_runtime: Runtime, supplier: Party, rival: Party
) -> None:
    notify(asset_runtime.engine, supplier.organization_id)
    item = api.get("/inbox", headers=supplier.headers).json()["items"][0]
    r = api.post(f"/inbox/{item['id']}/read", headers=rival.headers)
    assert r.status_code == 404
    assert r.json()["error"] == "notification_not_found"
    assert api.get("/inbox", headers=rival.headers).json()["items"] == []
    assert api.get("/inbox", headers=supplier.headers).json()["unread_total"] == 1


def test_the_inbox_needs_a_login(api: TestClient) -> None:
    assert api.get("/inbox").status_code == 401
    assert api.post("/inbox/1/read").status_code == 401


def test_bad_paging_input_is_a_clear_4xx(api: TestClient, supplier: Party) -> None:
    for params, status in (
        ({"cursor": "abc"}, 400),
        ({"cursor": "\u0663"}, 400),  # ARABIC-INDIC DIGIT THREE: decimal, but not ASCII
        ({"cursor": "0"}, 400),
        ({"cursor": str(2**63)}, 400),
        ({"cursor": "9" * 40}, 422),
        ({"limit": 0}, 422),
        ({"limit": limits.page_size_max + 1}, 422),
        ({"unread": "perhaps"}, 422),
    ):
        r = api.get("/inbox", params=params, headers=supplier.headers)
        assert r.status_code == status, (params, r.text)
        assert set(r.json()) >= {"error", "message"}
    for bad in ("0", str(2**63), "x"):
        r = api.post(f"/inbox/{bad}/read", headers=supplier.headers)
        assert r.status_code == 422, (bad, r.text)
