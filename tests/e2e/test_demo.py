"""`bourse demo` on the embedded default walks through everything, a dispute included, and
verifies on chain; then it populates the exchange, and `bourse serve` (what `make run` starts)
on the same ./var shows three suppliers' listings, settled trades and one dispute in each status
the lifecycle can keep."""

import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from marketplace.client import Databourse
from tests.servers import loopback_listener

BOURSE = Path(sys.executable).with_name("bourse")
START_S_MAX = 60.0
PASSWORD = "demo-password-2026"


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABOURSE_")}
    env.update(
        DATABOURSE_DATABASE_URL=f"sqlite:///{tmp_path / 'var' / 'databourse.db'}",
        DATABOURSE_CHAIN_URL=f"eth-tester://{tmp_path / 'var' / 'chain'}",
        DATABOURSE_BLOB_URL=f"file://{tmp_path / 'var' / 'blobs'}",
        DATABOURSE_PUBLIC_URL="http://127.0.0.1:9",  # nothing runs there: the demo starts its own
        DATABOURSE_ANCHOR_BATCH_AGE_S="0.2",
        DATABOURSE_ANCHOR_POLL_S="0.1",
        DATABOURSE_LOG_LEVEL="WARNING",
    )
    return env


@pytest.mark.slow
def test_demo_seeds_every_party_and_its_receipt_verifies(tmp_path: Path) -> None:
    env = _env(tmp_path)
    run = subprocess.run(  # noqa: S603 -- our own console script, fixed arguments
        [str(BOURSE), "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=360,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    out = " ".join(run.stdout.split())  # rich wraps long lines
    for role in ("operator", "supplier", "buyer", "rival", "arbitrator"):
        assert f"{role}-" in out
    assert "verified organisation" in out
    assert "granted the arbitrator role" in out
    assert "listed: GET /assets shows it" in out
    assert re.search(r"quality \(GB/T 36344\): overall \d+\.\d\d", out)
    for dimension in ("normativity", "completeness", "accuracy", "consistency", "timeliness"):
        assert re.search(rf"{dimension} (\d+\.\d\d|not judged)", out), dimension
    assert re.search(r"indicative valuation \d+: [\d,]+\.\d\d CNY, range [\d,.]+ CNY to", out)
    assert "valid: entry" in out

    # Trading: listed under terms at a price, found without login (English and Chinese), a
    # demand matched with its explanation, a quote accepted into an order, an auction resolved.
    assert "price: 500.00 CNY, paid once" in out
    assert "terms: Permitted for: research." in out
    fixed = re.search(r"listing (\d+) of asset \d+, signed by 0x[0-9a-fA-F]{40}", out)
    assert fixed, out[-3000:]
    listing = fixed.group(1)
    for query in ("'fruit prices'", "'水果'"):
        found = re.search(rf"search {query} \(no login\): \d+ listing\(s\) \[([\d, ]+)\]", out)
        assert found, query
        assert listing in found.group(1).split(", "), query
    assert re.search(
        rf"match: listing {listing} \(asset \d+\) score 0\.\d\d: fields date, market, "
        r"price_fen \(missing none\); price inside; quality [\d.]+ meets the minimum; "
        r"purpose permitted",
        out,
    ), out[-3000:]
    assert re.search(r"inbox: demand\.matched about demand:\d+", out)
    quote = re.search(r"quote (\d+) accepted: order (\d+)", out)
    assert quote, out[-3000:]
    assert re.search(
        rf"order {quote.group(2)}: 420\.00 CNY for listing {listing} \(research\), from quote "
        rf"{quote.group(1)}; state placed",
        out,
    )
    # Settlement: the buyer deposits, pays into escrow, downloads (verified), signs the
    # receipt and accepts; the supplier is paid the price less the 2.5 % fee; books reconcile.
    assert "deposited 420.00 CNY: confirmed" in out
    assert re.search(
        rf"order {quote.group(2)} paid: 420\.00 CNY held in escrow \(available 0\.00 CNY, "
        r"held 420\.00 CNY\)",
        out,
    ), out[-3000:]
    assert re.search(
        r"licence \d+: downloaded \d+ bytes, sha256 [0-9a-f]{16}… matches delivery\.served "
        r"entry \d+",
        out,
    ), out[-3000:]
    assert re.search(r"receipt signed by 0x[0-9a-fA-F]{40} \(journal seq \d+\)", out)
    assert (
        f"order {quote.group(2)} accepted and settled: 409.50 CNY to the supplier, 10.50 CNY "
        "exchange fee" in out
    )
    assert "balance: available 409.50 CNY (was 0.00 CNY), held 0.00 CNY" in out
    assert re.search(r"books reconcile: \d+ accounts, \d+ transfers, total 0\.00 CNY", out)
    buyer_org = re.search(r"buyer +buyer-\w+@demo\.example\.org signed up: organisation (\d+)", out)
    assert buyer_org
    assert re.search(
        rf"auction \d+ resolved \(no login\): won by organisation {buyer_org.group(1)} "
        r"\(bid \d+\), who pays the second-highest bid \(Vickrey\): 1,500\.00 CNY",
        out,
    ), out[-3000:]
    assert re.search(
        r"order \d+: 1,500\.00 CNY for listing \d+, from auction \d+; state placed", out
    )

    # A quality dispute on the order won at auction: paid, downloaded, re-checked (the signed
    # comparison attached to the order), disputed; the exchange attaches its records, the
    # re-check among them; both sides submit a statement; the arbitrator rules 60/40 once
    # submissions close; the appeal window passes and the execution job splits the escrow.
    won = re.search(r"order (\d+): 1,500\.00 CNY for listing \d+, from auction \d+", out)
    assert won
    order = won.group(1)
    assert re.search(
        rf"quality re-check \d+ against the anchored report \(entry \d+\): matches; signed by "
        rf"0x[0-9a-fA-F]{{40}}, attached to order {order} \(order\.quality_checked entry \d+\)",
        out,
    ), out[-4000:]
    opened = re.search(rf"dispute (\d+) opened on order {order} for quality_below_report", out)
    assert opened, out[-4000:]
    dispute = opened.group(1)
    assert re.search(
        r"attached its own records as evidence: \d+ items \([a-z_., ]*"
        r"order\.quality_checked[a-z_., ]*\); the re-check is item \d+",
        out,
    )
    assert re.search(r"statement submitted: evidence \d+, sha256 [0-9a-f]{16}…", out)
    assert re.search(r"answer submitted: evidence \d+, signed by 0x[0-9a-fA-F]{40}", out)
    assert re.search(
        rf"ruled on dispute {dispute}: split, 6000 bp to the supplier, signed by "
        r"0x[0-9a-fA-F]{40} \(ruling\.issued entry \d+\)",
        out,
    ), out[-4000:]
    assert re.search(
        rf"ruling executed \(ruling\.executed entry \d+\): order {order} is partially_refunded",
        out,
    ), out[-4000:]
    # 1,500.00 CNY at 6,000 bp: the supplier 900.00 less 60 % of the 37.50 fee, the buyer
    # 600.00 back; of each side's 100.00 CNY arbitration fee the buyer forfeits 60 %, the
    # supplier 40 %.
    assert "balance: available 640.00 CNY (was 100.00 CNY before the dispute), held 0.00 CNY" in out
    assert (
        "balance: available 1,247.00 CNY (was 409.50 CNY before the dispute), held 0.00 CNY" in out
    )
    assert (
        len(re.findall(r"books reconcile: \d+ accounts, \d+ transfers, total 0\.00 CNY", out)) == 2
    )
    assert re.search(
        r"dispute entries: dispute\.opened \d+, arbitrator\.drawn \d+, evidence\.submitted \d+, "
        r"evidence\.submitted \d+, ruling\.issued \d+, ruling\.executed \d+",
        out,
    )
    assert re.search(rf"valid: dossier of dispute {dispute}: \d+ items verified on chain", out)

    trust = tmp_path / "var" / "demo-trust.json"
    dossier = tmp_path / "var" / f"demo-dossier-{dispute}.zip"
    check = subprocess.run(  # noqa: S603 -- our own console script, fixed arguments
        [str(BOURSE), "verify", str(dossier), "--trust", str(trust)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"valid: dossier of dispute {dispute}" in check.stdout

    (receipt,) = (tmp_path / "var").glob("demo-receipt-*.json")
    check = subprocess.run(  # noqa: S603 -- our own console script, fixed arguments
        [str(BOURSE), "verify", str(receipt), "--trust", str(tmp_path / "var" / "demo-trust.json")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.startswith("valid: entry")

    _populated(out)
    _after_make_run(tmp_path, env, out)


def _populated(out: str) -> None:
    """What the populating part printed: more parties, listings, trades, disputes, tables."""
    for name in ("air-supplier", "traffic-supplier", "planner", "arbitrator-2"):
        assert re.search(rf"{name} +{name}-\w+@demo\.example\.org signed up", out), name
    listed = re.findall(r"approved and listed: listing \d+, ", out)
    assert len(listed) == 5
    assert "per month; does not renew automatically" in out
    assert "(public data: cost 80.00 CNY plus at most 10.00 %" in out
    assert len(re.findall(r"downloaded, accepted and settled", out)) == 4
    assert "restarted with the default dispute windows" in out
    assert re.search(r"panel member \d+ voted split 5000 bp: dispute \d+ appealed", out)
    assert re.search(r"panel member \d+ voted split 5000 bp: dispute \d+ final", out)
    assert "executed at once by the execution job" in out
    for title in ("Accounts (password below)", "Listings", "Orders", "Disputes"):
        assert title in out
    assert f"Every demo account's password is {PASSWORD}." in out


def _after_make_run(tmp_path: Path, env: dict[str, str], out: str) -> None:
    """`bourse serve` on the demo's ./var, read over the API as the operator and anyone."""
    operator = re.search(r"operator-\w+@demo\.example\.org", out)
    assert operator
    with loopback_listener() as listener:
        served = {**env, "DATABOURSE_PUBLIC_URL": listener.url}
        server = listener.serve(cwd=tmp_path, env=served)
        try:
            _wait_healthy(listener.url, server)
            with Databourse(listener.url) as anyone, Databourse(listener.url) as staff:
                catalog = anyone.search.listings(limit=50).items
                assert len(catalog) >= 6
                assert len({listing.supplier_organization_id for listing in catalog}) == 3
                assert {listing.price_model.kind for listing in catalog} >= {
                    "fixed", "public_data", "subscription", "negotiable",
                }  # fmt: skip
                staff.identity.login(operator.group(0), PASSWORD)
                _check_disputes(staff)
            _check_price_history(listener.url, out)
        finally:
            server.terminate()
            server.communicate(timeout=30)


def _check_price_history(url: str, out: str) -> None:
    """The air supplier, signed in to the pages, sees its two settled environment trades in the
    hourly dataset's price history: its own trade and the public daily one's."""
    email = re.search(r"air-supplier-\w+@demo\.example\.org", out)
    asset = re.search(r"asset (\d+) \(Hourly air quality by station, environment\) approved", out)
    assert email
    assert asset
    with httpx.Client(base_url=url, timeout=30) as web:
        form = web.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token
        data = {"email": email.group(0), "password": PASSWORD, "next": "/"}
        signed = web.post("/login", data={**data, "csrf_token": token.group(1)})
        assert signed.status_code == 303, signed.text
        answer = web.get(f"/catalog/{asset.group(1)}")
    page = answer.text
    assert answer.status_code == 200, page[:3000]
    assert '<section id="price-history">' in page, page[:3000]
    start = page.index('<section id="price-history">')
    shown = page[start : page.index("</section>", start)]
    assert len(re.findall(r'<circle class="trade', shown)) == 2, shown
    assert "this asset" in shown
    assert "Daily AQI by city (public data)" in shown


def _check_disputes(operator: Databourse) -> None:
    disputes = {d.status: d for d in operator.disputes.list().items}
    statuses = sorted(d.status for d in operator.disputes.list().items)
    assert statuses == ["appealed", "executed", "executed", "open", "ruled"]
    # They stay: their deadlines are days away, and an appeal waits for the panel's votes.
    later = datetime.now(UTC) + timedelta(days=1)
    assert disputes["open"].evidence_closes_at > later
    ruled = disputes["ruled"]
    assert ruled.appeal_closes_at is not None
    assert ruled.appeal_closes_at > later
    appealed = disputes["appealed"]
    assert appealed.round == 2
    assert len([r for r in appealed.rulings if r.round == 2]) == 1
    executed = [d for d in operator.disputes.list().items if d.status == "executed"]
    # One by the sole arbitrator's ruling, one by the panel's final ruling.
    assert sorted(d.round for d in executed) == [1, 2]
    assert all(d.executed_seq is not None for d in executed)


def _wait_healthy(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_S_MAX
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited"
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"the server did not answer within {START_S_MAX:.0f} s")
