"""``/``: what the exchange is, a search box, how much it holds and how far its journal is
anchored, and where to go next."""

from __future__ import annotations

from sqlmodel import Session

from marketplace import limits
from marketplace.assets import service as asset_service
from marketplace.pages.layout import abbrev, esc, layout, link, url
from marketplace.transparency import service as transparency_service
from marketplace.transparency.schemas import TrustAnchorPublic


def listed_count(session: Session) -> int:
    return asset_service.search(
        session, None, owner=None, status=None, theme=None, keyword=None, offset=0, limit=1
    ).total


WELL_KNOWN = "/.well-known/databourse.json"


def trust_facts(trust: TrustAnchorPublic | None) -> str:
    """The published trust anchor, field by field (what /.well-known/databourse.json says)."""
    if trust is None:
        return "<p>The anchor chain is not connected yet.</p>"
    deployed = (
        "unknown (the chain cannot tell)"
        if trust.deployment is None
        else f'tx <span class="hash">{esc(trust.deployment.tx_hash)}</span>, block '
        f"{esc(trust.deployment.block_number)}"
    )
    return (
        '<dl class="facts trust">'
        f"<dt>chain id</dt><dd>{esc(trust.chain_id)}</dd>"
        f'<dt>contract</dt><dd><code class="contract hash">{esc(trust.contract)}</code></dd>'
        f"<dt>deployed in</dt><dd>{deployed}</dd>"
        f'<dt>recorder</dt><dd><span class="hash">{esc(trust.recorder or "unknown")}</span></dd>'
        "</dl>"
    )


def home_page(session: Session, *, chain_id: int | None, trust: TrustAnchorPublic | None) -> str:
    listed = listed_count(session)
    ledger = transparency_service.summary(session)
    batch, last = ledger.last_anchored_batch, ledger.last_anchored_seq
    if batch is None:
        anchored = '<span class="big">none yet</span>no batch of the journal has been anchored yet'
        chain = chain_id
    else:
        anchored = (
            f'<span class="big">{link(f"/explorer/entries/{last}", last)}</span>'
            f"batch {link(url('/explorer/batches', after_id=batch.id - 1), batch.id)} "
            f'(<span class="status {esc(batch.status)}">{esc(batch.status)}</span>), '
            f"tx {abbrev(batch.tx_hash)}, block {esc(batch.block_number)}"
        )
        chain = batch.chain_id
    chain_text = "not connected yet" if chain is None else str(chain)
    body = (
        "<h1>Databourse, an open data exchange</h1>"
        "<p>Suppliers register data assets; the exchange reviews their compliance, measures "
        "their quality (GB/T 36344) and values them; buyers find data and buy access through "
        "escrow. Every business fact is written to a tamper-evident journal whose Merkle roots "
        "are anchored on an EVM chain, so anyone can verify a record with one command and the "
        "chain alone.</p>"
        '<form class="search" method="get" action="/catalog" role="search">'
        '<label for="q" class="meta">Search the catalog</label>'
        f'<input type="search" id="q" name="q" maxlength="{limits.web_query_length_max}" '
        'placeholder="title, description or keyword">'
        "<button type=submit>Search</button></form>"
        '<div class="cards">'
        f'<div class="card listed"><span class="big">{listed}</span>listed assets</div>'
        f'<div class="card entries"><span class="big">{ledger.entries}</span>journal entries'
        "</div>"
        f'<div class="card anchored">last anchored entry {anchored}</div>'
        f'<div class="card chain"><span class="big">{esc(chain_text)}</span>chain id</div>'
        "</div>"
        "<h2>Verify us</h2>"
        "<p>Our journal is anchored by this LedgerAnchor contract. Anyone can deploy a contract "
        "from the same code, so a receipt proves something only against <em>this</em> address: "
        f"save our trust anchor ({link(WELL_KNOWN, WELL_KNOWN)}) "
        "once with <code>bourse ledger trust save --from URL</code>, compare the address with "
        "one we publish elsewhere, and every <code>bourse verify</code> is pinned to it.</p>"
        f"{trust_facts(trust)}"
        "<h2>Where to go</h2><ul>"
        f"<li>{link('/catalog', 'The catalog')}: every listed asset, its metadata, quality, "
        "valuations and registration certificate.</li>"
        f"<li>{link('/explorer', 'The ledger explorer')}: every journal entry, its batch and "
        "its receipt, to verify with <code>bourse verify receipt.json</code>.</li>"
        f"<li>{link('/docs', 'The API documentation')} (OpenAPI 3), for programs.</li></ul>"
    )
    return layout("An open data exchange", body, active="home")
