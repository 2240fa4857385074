"""An outside audit of sealed-bid auctions: auctions run over HTTP, then their outcome recomputed
from the public transparency log alone (``GET /ledger/entries``) with independent libraries
(eth_abi, eth_utils' keccak) and none of ``marketplace.auctions``: every commitment reopened
from its reveal, every reveal tied to a commit entry, the Vickrey winner and price recomputed and
compared with ``auction.resolved`` (docs/auctions.md, "Verifying an outcome")."""

from __future__ import annotations

import itertools
import secrets
from datetime import datetime
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_account.messages import encode_typed_data
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from fastapi.testclient import TestClient

from tests.marketplace.assets.helpers import Party
from tests.marketplace.auctions.helpers import RESERVE, Clock, exclusive_listing, open_auction

FORFEITING = {"unrevealed", "mismatch", "early", "late"}


def _commitment(auction_id: int, bidder: str, amount: int, salt: bytes) -> str:
    encoded = encode(
        ["uint64", "address", "uint256", "bytes32"],
        [auction_id, to_checksum_address(bidder), amount, salt],
    )
    return "0x" + keccak(encoded).hex()


class Bidder:
    """A bidder's own side: it makes its salt and hash itself (no marketplace code)."""

    def __init__(self, api: TestClient, who: Party, auction_id: int, amount: int) -> None:
        self.api, self.who, self.auction_id, self.amount = api, who, auction_id, amount
        self.salt = secrets.token_bytes(32)

    def commit(self) -> None:
        body = {
            "commitment": _commitment(self.auction_id, self.who.address, self.amount, self.salt),
            "purpose": "research",
        }
        r = self.api.post(f"/auctions/{self.auction_id}/bids", json=body, headers=self.who.headers)
        assert r.status_code == 201, r.text

    def reveal(self) -> None:
        body = {"amount_minor": self.amount, "salt": "0x" + self.salt.hex()}
        r = self.api.post(
            f"/auctions/{self.auction_id}/reveal", json=body, headers=self.who.headers
        )
        assert r.status_code == 200, r.text


def _log(api: TestClient, auction_id: int) -> list[dict[str, Any]]:
    """Every entry of the auction, following the log's keyset pages (two per page, so paging
    is exercised)."""
    found: list[dict[str, Any]] = []
    after: int | None = 0
    while after is not None:
        r = api.get(
            "/ledger/entries",
            params={"subject": f"auction:{auction_id}", "after_seq": after, "limit": 2},
        )
        assert r.status_code == 200, r.text
        page = r.json()
        found += page["items"]
        after = page["next_after_seq"]
    return found


def _time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None, text
    return moment


def _verdicts(
    commits: dict[int, dict[str, Any]],
    reveals: dict[int, dict[str, Any]],
    reserve: int,
    commit_deadline: datetime,
    reveal_deadline: datetime,
) -> dict[int, str]:
    """Each bid's verdict, by the rule in docs/auctions.md."""
    verdicts: dict[int, str] = {}
    for bid_id in commits:
        rev = reveals.get(bid_id)
        if rev is None:
            verdicts[bid_id] = "unrevealed"
        elif not commit_deadline <= rev["at"] < reveal_deadline:
            verdicts[bid_id] = "early" if rev["at"] < commit_deadline else "late"
        elif rev["amount"] < reserve:
            verdicts[bid_id] = "below_reserve"
        else:
            verdicts[bid_id] = "valid"
    return verdicts


def audit(api: TestClient, auction_id: int) -> dict[str, Any]:
    return check(_log(api, auction_id), auction_id)


def check(log: list[dict[str, Any]], auction_id: int) -> dict[str, Any]:
    """Recompute the auction from its log and check it against ``auction.resolved``; return
    the recorded result. Any disagreement fails."""
    seqs = [e["seq"] for e in log]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == len(seqs)
    for before, after in itertools.pairwise(log):
        if after["seq"] == before["seq"] + 1:
            assert after["prev_hash"] == before["entry_hash"]
    opened = [e for e in log if e["kind"] == "auction.opened"]
    assert len(opened) == 1
    rules = opened[0]["payload"]
    assert rules["auction_id"] == auction_id
    assert rules["commitment_scheme"].startswith("keccak256(abi.encode(")
    reserve, deposit = int(rules["reserve_minor"]), int(rules["deposit_minor"])
    commit_deadline, reveal_deadline = (
        _time(rules["commit_deadline"]), _time(rules["reveal_deadline"]),
    )  # fmt: skip

    commits: dict[int, dict[str, Any]] = {}
    for e in log:
        if e["kind"] != "auction.bid_committed":
            continue
        p = e["payload"]
        assert p["auction_id"] == auction_id
        assert p["bid_id"] not in commits
        assert p["bidder"].lower() == e["actor"].lower(), "the bidder signs its own commit"
        assert _time(p["committed_at"]) < commit_deadline
        assert int(p["deposit_minor"]) == deposit
        commits[p["bid_id"]] = {**p, "seq": e["seq"]}
    bidders = [c["bidder"].lower() for c in commits.values()]
    assert len(set(bidders)) == len(bidders)
    orgs = [c["organization_id"] for c in commits.values()]
    assert len(set(orgs)) == len(orgs), "one commitment per organisation"

    reveals: dict[int, dict[str, Any]] = {}
    for e in log:
        if e["kind"] != "auction.bid_revealed":
            continue
        p = e["payload"]
        assert p["bid_id"] in commits, "every reveal opens a commit entry"
        committed = commits[p["bid_id"]]
        assert p["bid_id"] not in reveals
        assert p["bidder"].lower() == committed["bidder"].lower() == e["actor"].lower()
        assert e["seq"] > committed["seq"]
        salt = bytes.fromhex(p["salt"].removeprefix("0x"))
        assert len(salt) == 32
        amount = int(p["amount_minor"])
        assert str(amount) == p["amount_minor"], "a decimal string"
        recomputed = _commitment(auction_id, committed["bidder"], amount, salt)
        assert recomputed == committed["commitment"].lower()
        reveals[p["bid_id"]] = {**p, "amount": amount, "at": _time(p["revealed_at"])}

    verdicts = _verdicts(commits, reveals, reserve, commit_deadline, reveal_deadline)
    valid = sorted(
        (b for b, v in verdicts.items() if v == "valid"),
        key=lambda b: (-reveals[b]["amount"], commits[b]["seq"]),
    )
    winner = valid[0] if valid else None
    price = None
    if winner is not None:
        second = reveals[valid[1]]["amount"] if len(valid) > 1 else reserve
        price = max(second, reserve)

    resolved = [e for e in log if e["kind"] == "auction.resolved"]
    assert len(resolved) == 1
    assert resolved[0] is log[-1]
    recorded = resolved[0]["payload"]
    assert recorded["auction_id"] == auction_id
    assert recorded["reserve_minor"] == str(reserve)
    assert recorded["outcome"] == ("sold" if winner is not None else "no_sale")
    assert recorded["winner_bid_id"] == winner
    assert recorded["price_minor"] == (None if price is None else str(price))
    if winner is not None:
        assert recorded["winner_organization_id"] == commits[winner]["organization_id"]
    assert {b["bid_id"] for b in recorded["bids"]} == set(commits)
    for b in recorded["bids"]:
        bid_id = b["bid_id"]
        assert b["verdict"] == verdicts[bid_id]
        assert b["commit_seq"] == commits[bid_id]["seq"]
        assert b["organization_id"] == commits[bid_id]["organization_id"]
        shown = str(reveals[bid_id]["amount"]) if bid_id in reveals else None
        assert b["amount_minor"] == shown
        forfeited = deposit if verdicts[bid_id] in FORFEITING else 0
        assert b["deposit_forfeited_minor"] == str(forfeited)
    return dict(recorded)


@pytest.fixture
def listing(api: TestClient, supplier: Party, ops: Party) -> int:
    return exclusive_listing(api, supplier, ops)


def _run(
    api: TestClient,
    supplier: Party,
    listing: int,
    clock: Clock,
    bids: list[tuple[Party, int, bool]],
) -> dict[str, Any]:
    """Open an auction, commit every (party, amount, reveals?) in order, reveal, resolve."""
    aid = int(open_auction(api, supplier, listing, clock)["id"])
    bidders = [(Bidder(api, who, aid, amount), reveals) for who, amount, reveals in bids]
    for bidder, _ in bidders:
        bidder.commit()
    clock.advance(hours=1, minutes=1)
    for bidder, reveals in reversed(bidders):  # reveal order must not matter
        if reveals:
            bidder.reveal()
    clock.advance(hours=1)
    r = api.post(f"/auctions/{aid}/resolve")
    assert r.status_code == 200, r.text
    recorded = audit(api, aid)
    assert r.json()["result"]["winner_bid_id"] == recorded["winner_bid_id"]
    _check_order(api, aid, listing, recorded, [who for who, _, _ in bids])
    return recorded


def _check_order(
    api: TestClient, aid: int, listing: int, recorded: dict[str, Any], bidders: list[Party]
) -> None:
    """The auction commits to the listing's signed terms, and the winner's order (if any) to
    the auction's price, the winner's address and the same terms: the public entry shows the
    order's source and the digest of what the winner signed; the winner checks its signed
    order (``GET /orders/{id}``) against that digest."""
    log = _log(api, aid)
    terms_hash = api.get(f"/listings/{listing}").json()["terms_hash"]
    assert log[0]["payload"]["terms_hash"] == terms_hash
    if recorded["order_id"] is None:
        return
    r = api.get("/ledger/entries", params={"subject": f"order:{recorded['order_id']}"})
    placed = [e for e in r.json()["items"] if e["kind"] == "order.placed"]
    assert len(placed) == 1
    entry = placed[0]
    assert (entry["payload"]["source"], entry["payload"]["source_id"]) == ("auction", aid)
    assert "price_minor" not in entry["payload"]
    winner = next(
        e["payload"]["bidder"]
        for e in log
        if e["kind"] == "auction.bid_committed"
        and e["payload"]["bid_id"] == recorded["winner_bid_id"]
    )
    assert entry["actor"].lower() == winner.lower()
    (party,) = [
        b for b in bidders if b.organization_id == _org_of(recorded, recorded["winner_bid_id"])
    ]
    signed = api.get(f"/orders/{recorded['order_id']}", headers=party.headers).json()
    signable = encode_typed_data(full_message=signed["signed_order"])
    assert (
        entry["payload"]["order_digest"]
        == "0x" + keccak(b"\x19" + signable.version + signable.header + signable.body).hex()
    )
    message = signed["signed_order"]["message"]
    assert message["buyer"].lower() == winner.lower()
    assert (message["source"], message["sourceId"]) == ("auction", aid)
    assert str(message["priceMinor"]) == recorded["price_minor"]
    assert message["termsHash"] == terms_hash


def _org_of(recorded: dict[str, Any], bid_id: int | None) -> int | None:
    return next((b["organization_id"] for b in recorded["bids"] if b["bid_id"] == bid_id), None)


def test_second_price_with_a_bid_below_the_reserve(
    api: TestClient, supplier: Party, listing: int, clock: Clock, *, rival: Party, carol: Party,
    dave: Party,
) -> None:  # fmt: skip
    recorded = _run(
        api, supplier, listing, clock,
        [(carol, 250_000, True), (rival, 300_000, True), (dave, RESERVE - 1, True)],
    )  # fmt: skip
    assert _org_of(recorded, recorded["winner_bid_id"]) == rival.organization_id
    assert recorded["price_minor"] == "250000"
    assert recorded["order_id"] is not None  # and _check_order tied it to the result


def test_a_tie_goes_to_the_earliest_commitment_and_an_unrevealed_bid_forfeits(
    api: TestClient, supplier: Party, listing: int, clock: Clock, *, rival: Party, carol: Party,
    dave: Party,
) -> None:  # fmt: skip
    recorded = _run(
        api, supplier, listing, clock,
        [(carol, 200_000, True), (rival, 200_000, True), (dave, 900_000, False)],
    )  # fmt: skip
    assert recorded["winner_organization_id"] == carol.organization_id
    assert recorded["price_minor"] == "200000"
    dave_bid = next(b for b in recorded["bids"] if b["organization_id"] == dave.organization_id)
    assert dave_bid["verdict"] == "unrevealed"
    assert dave_bid["deposit_forfeited_minor"] != "0"


def test_a_single_bid_pays_the_reserve(
    api: TestClient, supplier: Party, listing: int, clock: Clock, rival: Party
) -> None:
    recorded = _run(api, supplier, listing, clock, [(rival, 2**63 - 1, True)])
    assert recorded["price_minor"] == str(RESERVE)


def test_only_bids_below_the_reserve_is_no_sale(
    api: TestClient, supplier: Party, listing: int, clock: Clock, *, rival: Party, carol: Party
) -> None:
    recorded = _run(api, supplier, listing, clock, [(rival, RESERVE - 1, True), (carol, 1, True)])
    assert recorded["outcome"] == "no_sale"
    assert recorded["price_minor"] is None


@pytest.mark.parametrize(
    ("where", "field", "value"),
    [
        ("auction.resolved", "price_minor", "250001"),
        ("auction.resolved", "winner_bid_id", None),
        ("auction.bid_revealed", "amount_minor", "250001"),
        ("auction.opened", "reserve_minor", "260000"),
    ],
)
def test_the_audit_fails_on_an_altered_log(
    api: TestClient, supplier: Party, listing: int, clock: Clock, *, rival: Party, carol: Party,
    where: str, field: str, value: str | None,
) -> None:  # fmt: skip
    """The audit can fail: one altered field anywhere in the log is caught."""
    _run(api, supplier, listing, clock, [(carol, 250_000, True), (rival, 300_000, True)])
    aid = int(api.get("/auctions", params={"listing_id": listing}).json()[0]["id"])
    log = _log(api, aid)
    check(log, aid)
    entry = next(e for e in log if e["kind"] == where)
    entry["payload"][field] = value
    with pytest.raises(AssertionError):
        check(log, aid)
