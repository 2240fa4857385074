"""The dispute part of ``bourse demo``, through the Python client only: the buyer pays the order
it won at auction, downloads the data, re-checks its quality against the anchored report and
attaches the signed comparison to the order (``bourse quality check FILE --asset A --order O``);
it opens a dispute for ``quality_below_report`` (the exchange attaches its own records, the
re-check among them), both sides submit a statement, the arbitrator drawn (the demo's only one)
rules a split once submissions close, the appeal window passes, the exchange's execution job
moves the money, and the buyer exports the dossier and verifies it against the pinned contract
(``bourse verify dossier.zip --trust FILE``).

Each step yields ``(who, line)``, as the trading demo does; each line that a user would type
instead is printed as ``cli`` lines."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from marketplace.client import Databourse, DatabourseClientError
from marketplace.money import amount_text

Said = tuple[str, str]

SUPPLIER_BP = 6_000  # the ruling: 60 % of the price to the supplier, 40 % back to the buyer
# The longest the demo waits for one of the exchange's dispute windows: the exchange the demo
# starts itself has windows of seconds; one already running keeps its own (days, by default),
# and the demo then stops at the dispute, saying how to carry on from the CLI.
DISPUTE_WAIT_S_MAX = 120.0
EXECUTION_WAIT_S_MAX = 60.0
ANCHOR_WAIT_S_MAX = 60.0
POLL_S = 0.5
# The arbitration fee of an exchange left at its defaults (limits.arbitration_fee_minor_default):
# the buyer deposits it beside the price, so that opening the dispute can hold it.
FEE_ALLOWANCE_MINOR = 10_000


def _money(minor: int | None, currency: str, scale: int) -> str:
    return amount_text(minor, currency, scale)


def wait_until(moment: datetime, what: str) -> Iterator[Said]:
    """Wait (printing so) until ``moment``, the exchange's clock, plus a margin."""
    left = (moment - datetime.now(UTC)).total_seconds()
    if left > DISPUTE_WAIT_S_MAX:
        raise _TooLong(moment, what)
    if left > 0:
        yield "clock", f"waiting {left:.0f} s for {what} ({moment:%H:%M:%S} UTC) …"
        time.sleep(left + 0.5)


class _TooLong(Exception):
    def __init__(self, moment: datetime, what: str) -> None:
        super().__init__(f"{what} is at {moment:%Y-%m-%d %H:%M} UTC")


def _poll(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not happen within {seconds:.0f} s")
        time.sleep(POLL_S)


def wait_for_receipt(client: Databourse, seq: int) -> dict[str, Any]:
    """Entry ``seq``'s receipt, once the anchoring worker has anchored it."""
    deadline = time.monotonic() + ANCHOR_WAIT_S_MAX
    while True:
        try:
            return client.ledger.receipt(seq)
        except DatabourseClientError as exc:
            if exc.code != "not_anchored" or time.monotonic() > deadline:
                raise
        time.sleep(POLL_S)


def _recheck(buyer: Databourse, asset_id: int, order_id: int, data: Path) -> Any:
    """``bourse quality check DATA --asset A --order O``: the exchange's evaluation run here on
    the file received, under the anchored report's own declarations and moment, compared with
    that report, signed and attached to the order."""
    from marketplace.cli.quality import _anchored_declarations
    from marketplace.quality import compare, evaluate
    from marketplace.quality.report import QualityReport, is_format

    anchored = QualityReport.model_validate(buyer.quality.of_asset(asset_id).report)
    if not is_format(anchored.format):
        raise RuntimeError(f"the anchored report names an unknown format {anchored.format!r}")
    report = evaluate(
        data,
        fmt=anchored.format,
        declared=_anchored_declarations(anchored),
        as_of=anchored.as_of,
        weights=anchored.weights,
    )
    comparison = compare(anchored, report)
    return buyer.orders.quality_check(order_id, comparison.model_dump(mode="json"))


def _balances(who: str, client: Databourse, before: int, scale: int) -> Iterator[Said]:
    balance = client.books.balance()
    yield (
        who,
        (
            f"balance: available {_money(balance.available_minor, balance.currency, scale)} "
            f"(was {_money(before, balance.currency, scale)} before the dispute), held "
            f"{_money(balance.held_minor, balance.currency, scale)}"
        ),
    )


def demo(
    supplier: Databourse,
    buyer: Databourse,
    arbitrator: Databourse,
    operator: Databourse,
    asset_id: int,
    *,
    workdir: Path,
    outdir: Path,
    trust_path: Path,
) -> Iterator[Said]:
    """The quality dispute, on the order the buyer won at auction (see the module docstring)."""
    won = [o for o in buyer.orders.mine().items if o.source == "auction" and o.status == "placed"]
    if not won:
        yield "buyer", "no order won at auction: no dispute to show"
        return
    order = won[0]
    check = yield from buy_and_recheck(buyer, asset_id, order, workdir)
    before = (buyer.books.balance().available_minor, supplier.books.balance().available_minor)
    dispute, seqs = yield from open_and_argue(supplier, buyer, order.id, check)
    try:
        yield from wait_until(dispute.evidence_closes_at, "submissions to close")
        ruling_seq, appeal_closes_at = yield from rule(arbitrator, dispute.id)
        yield from wait_until(appeal_closes_at, "the appeal window to end")
    except _TooLong as exc:
        yield (
            "clock",
            (
                f"this exchange's dispute windows are long ({exc}): carry on with `bourse "
                f"dispute show {dispute.id}`, `bourse dispute rule {dispute.id} …` (the "
                "arbitrator) and `bourse dispute dossier` when they end"
            ),
        )
        return
    executed_seq = yield from _executed(supplier, buyer, operator, dispute.id, before)
    names = ("dispute.opened", "arbitrator.drawn", "evidence.submitted", "evidence.submitted")
    listed = [*zip(names, seqs, strict=True), ("ruling.issued", ruling_seq)]
    listed.append(("ruling.executed", executed_seq))
    yield "ledger", "dispute entries: " + ", ".join(f"{n} {q}" for n, q in listed)
    yield from _dossier(buyer, dispute.id, executed_seq, outdir, trust_path)


def buy_and_recheck(
    buyer: Databourse, asset_id: int, order: Any, workdir: Path
) -> Generator[Said, None, Any]:
    """The second trade: paid into escrow and downloaded, but not accepted; re-checked."""
    scale = buyer.currency().scale
    cur = order.currency
    paid_in = buyer.books.deposit(order.price_minor + FEE_ALLOWANCE_MINOR)
    yield (
        "buyer",
        (
            f"deposited {_money(paid_in.amount_minor, cur, scale)} (the price of order "
            f"{order.id} and the arbitration fee): {paid_in.status}"
        ),
    )
    buyer.orders.pay(order.id)
    licence = buyer.delivery.licence_for_order(order.id)
    data = workdir / "fruit-prices-exclusive.csv"
    got = buyer.delivery.download(licence.id, data)
    yield (
        "buyer",
        (
            f"order {order.id} paid ({_money(order.price_minor, cur, scale)} held in escrow); "
            f"licence {licence.id}: downloaded {got.size_bytes} bytes (delivery.served entry "
            f"{got.served_seq})"
        ),
    )
    check = _recheck(buyer, asset_id, order.id, data)
    yield (
        "buyer",
        (
            f"quality re-check {check.id} against the anchored report (entry {check.report_seq}): "
            f"{check.verdict}; signed by {check.signer}, attached to order {order.id} "
            f"(order.quality_checked entry {check.journal_seq})"
        ),
    )
    return check


def open_and_argue(
    supplier: Databourse, buyer: Databourse, order_id: int, check: Any
) -> Generator[Said, None, tuple[Any, list[int]]]:
    """The buyer opens the dispute; the exchange attaches its records; both sides state."""
    order = buyer.orders.get(order_id)
    statement = (
        "The prices we received do not reach the quality the anchored report states; our "
        "signed re-check of the file is attached to the order."
    )
    dispute = buyer.disputes.open(order.id, reason="quality_below_report", statement=statement)
    (drawn,) = dispute.assignments
    yield (
        "buyer",
        (
            f"dispute {dispute.id} opened on order {order.id} for {dispute.reason}: the escrow "
            f"hold {dispute.hold_id} is frozen, the buyer's arbitration fee held (hold "
            f"{dispute.opener_fee_hold_id}); dispute.opened entry {dispute.opened_seq}"
        ),
    )
    yield (
        "exchange",
        (
            f"arbitrator drawn: account {drawn.account_id} of organisation "
            f"{drawn.organization_id} (arbitrator.drawn entry {drawn.drawn_seq}, recomputable "
            "from it)"
        ),
    )
    yield (
        "cli",
        f'bourse dispute open {order.id} --reason quality_below_report --statement "…"',
    )
    system = [i for i in buyer.dispute_evidence.list(dispute.id).items if i.source == "system"]
    rechecks = [i for i in system if i.kind == "order.quality_checked"]
    if not rechecks:
        raise RuntimeError(f"the re-check was not attached to dispute {dispute.id}")
    yield (
        "exchange",
        (
            f"attached its own records as evidence: {len(system)} items "
            f"({', '.join(sorted({i.kind for i in system}))}); the re-check is item "
            f"{rechecks[0].id} (entry {rechecks[0].record_seq})"
        ),
    )
    said = buyer.dispute_evidence.submit_statement(
        dispute.id,
        f"Our re-check (quality check {check.id}, entry {check.journal_seq}) is the evidence.",
        title="Buyer's statement",
    )
    yield (
        "buyer",
        (
            f"statement submitted: evidence {said.id}, sha256 {said.sha256[:16]}…, signed by "
            f"{said.signer} (evidence.submitted entry {said.journal_seq})"
        ),
    )
    yield "cli", f'bourse dispute evidence {dispute.id} --statement "…"'
    answer = supplier.dispute_evidence.submit_statement(
        dispute.id,
        "The file delivered is the one the report was anchored for, byte for byte.",
        title="Supplier's answer",
    )
    yield (
        "supplier",
        (
            f"answer submitted: evidence {answer.id}, signed by {answer.signer} "
            f"(evidence.submitted entry {answer.journal_seq}); the supplier's arbitration fee "
            "is held with it"
        ),
    )
    return dispute, [dispute.opened_seq, drawn.drawn_seq, said.journal_seq, answer.journal_seq]


def rule(arbitrator: Databourse, dispute_id: int) -> Generator[Said, None, tuple[int, datetime]]:
    """The drawn arbitrator rules a split; returns the ruling's seq and the appeal deadline."""
    ruled = arbitrator.disputes.rule(
        dispute_id,
        outcome="split",
        supplier_bp=SUPPLIER_BP,
        reasons=(
            "The data delivered is the data certified; the buyer's re-check shows what "
            "it shows. A partial refund: 60 % to the supplier, 40 % back to the buyer."
        ),
    )
    (ruling,) = ruled.rulings
    yield (
        "arbitrator",
        (
            f"ruled on dispute {dispute_id}: {ruling.outcome}, {ruling.supplier_bp} bp to "
            f"the supplier, signed by {ruling.signer} (ruling.issued entry "
            f"{ruling.journal_seq})"
        ),
    )
    yield (
        "cli",
        f"bourse dispute rule {dispute_id} --outcome split --supplier-bp {SUPPLIER_BP} "
        '--reasons "…"   (or `bourse dispute appeal ID` by either party, in the window)',
    )
    assert ruled.appeal_closes_at is not None
    return ruling.journal_seq, ruled.appeal_closes_at


def _executed(
    supplier: Databourse,
    buyer: Databourse,
    operator: Databourse,
    dispute_id: int,
    before: tuple[int, int],
) -> Generator[Said, None, int]:
    """Wait for the execution job; show the balances and the books; returns the entry's seq."""
    scale = buyer.currency().scale
    yield "clock", "waiting for the exchange's execution job …"

    def executed() -> bool:
        return buyer.disputes.get(dispute_id).status == "executed"

    _poll(executed, EXECUTION_WAIT_S_MAX, f"the execution of dispute {dispute_id}")
    done = buyer.disputes.get(dispute_id)
    assert done.order_id is not None  # the demo disputes an order, not an objection
    order = buyer.orders.get(done.order_id)
    cur = order.currency
    yield (
        "exchange",
        (
            f"ruling executed (ruling.executed entry {done.executed_seq}): order {order.id} "
            f"is {order.status}; each side forfeits the share of its fee it lost"
        ),
    )
    yield from _balances("buyer", buyer, before[0], scale)
    yield from _balances("supplier", supplier, before[1], scale)
    books = operator.books.reconcile()
    if not books.ok:
        raise RuntimeError(f"the books do not reconcile: {books.problems}")
    yield (
        "operator",
        (
            f"books reconcile: {books.accounts} accounts, {books.transfers} transfers, total "
            f"{_money(books.total_minor, cur, scale)}"
        ),
    )
    assert done.executed_seq is not None
    return done.executed_seq


def _dossier(
    buyer: Databourse, dispute_id: int, last_seq: int, outdir: Path, trust_path: Path
) -> Iterator[Said]:
    """The dossier, once its last entry is anchored, verified as `bourse verify` does."""
    from ledger.chain import connect
    from ledger.trust import parse_trust
    from ledger.verify.dossier import read_dossier, verify_dossier
    from marketplace.settings import get_settings

    yield "ledger", f"waiting for entry {last_seq} to be anchored on chain …"
    wait_for_receipt(buyer, last_seq)
    path = outdir / f"demo-dossier-{dispute_id}.zip"
    size = buyer.dossiers.download(dispute_id, path)
    yield "buyer", f"dossier of dispute {dispute_id} exported to {path} ({size} bytes)"
    yield "cli", f"bourse dispute dossier {dispute_id} -o {path.name}"
    chain_url = get_settings().chain_url
    report = verify_dossier(
        read_dossier(path.read_bytes()),
        lambda address: connect(chain_url, recorder_key=None, contract_address=address),
        parse_trust(trust_path.read_bytes()).pin,
    )
    if not report.ok:
        first = report.failed[0] if report.failed else None
        reason = f"item {first.label}: {first.reason}" if first else report.problems[0]
        raise RuntimeError(f"dossier {path} does not verify: {reason}")
    yield (
        "auditor",
        (
            f"valid: dossier of dispute {report.dispute_id}: {len(report.items)} items "
            "verified on chain, pinned to the trust anchor"
        ),
    )
    yield "cli", f"bourse verify {path} --trust {trust_path}"
