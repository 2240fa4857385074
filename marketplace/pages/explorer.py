"""The ledger explorer: ``/explorer`` (entries, keyset-paged, filtered by kind and subject),
``/explorer/entries/{seq}`` (one entry, where it is anchored, its receipt) and
``/explorer/batches`` (anchor batches with their status)."""

from __future__ import annotations

from sqlmodel import Session

from ledger import limits as ledger_limits
from ledger.models import BatchStatus
from marketplace import limits
from marketplace.pages.layout import (
    abbrev,
    esc,
    facts,
    full_hash,
    layout,
    link,
    pretty_json,
    table,
    url,
    when,
)
from marketplace.transparency import service as transparency_service
from marketplace.transparency.schemas import BatchPublic

#: Entries and batches per explorer page (tests lower it to see paging).
PAGE_SIZE = limits.page_size_default


def _status(status: str) -> str:
    return f'<span class="status {esc(status)}">{esc(status)}</span>'


def _batch_link(batch_id: int | None) -> str:
    if batch_id is None:
        return '<span class="meta">not yet</span>'
    return link(url("/explorer/batches", after_id=batch_id - 1), batch_id)


def entries_page(session: Session, *, after_seq: int, kind: str | None, subject: str | None) -> str:
    found = transparency_service.list_entries(
        session, after_seq=after_seq, limit=PAGE_SIZE, kind=kind, subject=subject
    )
    rows = [
        [
            link(f"/explorer/entries/{e.seq}", e.seq, css="seq"),
            link(url("/explorer", kind=e.kind), e.kind),
            link(url("/explorer", subject=e.subject), e.subject),
            abbrev(e.actor, 8),
            when(e.recorded_at),
            abbrev(e.entry_hash, 8),
            _batch_link(e.batch_id),
        ]
        for e in found.items
    ]
    pager = []
    if after_seq > 0:
        pager.append(link(url("/explorer", kind=kind, subject=subject), "⇤ first", css="first"))
    if found.next_after_seq is not None:
        nxt = url("/explorer", after_seq=found.next_after_seq, kind=kind, subject=subject)
        pager.append(link(nxt, "next →", css="next"))
    form = (
        '<form class="search" method="get" action="/explorer">'
        f'<input type="text" name="kind" value="{esc(kind or "")}" aria-label="kind" '
        f'maxlength="{ledger_limits.journal_kind_length_max}" '
        'placeholder="kind, e.g. asset.registered">'
        f'<input type="text" name="subject" value="{esc(subject or "")}" aria-label="subject" '
        f'maxlength="{ledger_limits.journal_subject_length_max}" '
        'placeholder="subject, e.g. asset:1">'
        "<button type=submit>Filter</button></form>"
    )
    filters = " ".join(
        part
        for part in (
            f"of kind <code>{esc(kind)}</code>" if kind else "",
            f"about <code>{esc(subject)}</code>" if subject else "",
            f"after seq {after_seq}" if after_seq else "",
        )
        if part
    )
    body = (
        "<h1>Ledger explorer</h1>"
        "<p>Every business fact of the exchange is a journal entry; each entry commits to the "
        "one before it, and batches of entries are anchored on the chain. Open an entry to see "
        "its payload and download its receipt.</p>"
        + form
        + f'<p class="meta">Entries {filters or "from the start"}, oldest first.</p>'
        + table(
            "entries",
            ["seq", "kind", "subject", "actor", "recorded at", "entry hash", "batch"],
            rows,
            empty="No entries here.",
        )
        + f'<div class="pager">{"".join(pager)}</div>'
    )
    return layout("Ledger explorer", body, active="explorer")


def _anchoring(seq: int, batch: BatchPublic | None) -> str:
    if batch is None:
        return (
            '<p>Anchored: <span class="status pending">not yet</span> — the entry waits for the '
            "next batch. Its receipt exists once that batch is confirmed on the chain.</p>"
        )
    rows = [
        ("status", _status(batch.status)),
        ("batch", f"{_batch_link(batch.id)} (seq {batch.first_seq}..{batch.last_seq})"),
        ("Merkle root", full_hash(batch.root)),
        ("transaction", full_hash(batch.tx_hash)),
        ("block", esc(batch.block_number) if batch.block_number is not None else "&mdash;"),
        ("chain id", esc(batch.chain_id)),
        ("contract", full_hash(batch.contract)),
        ("confirmed at", when(batch.confirmed_at)),
    ]
    if batch.status == BatchStatus.confirmed:
        verify = (
            f'<p><a class="receipt-link" href="/ledger/entries/{seq}/receipt" '
            'download="receipt.json" type="application/json">Download the receipt '
            "(receipt.json)</a> — the entry, its Merkle proof, the batch root and the anchor "
            "transaction. Check it against the chain, without this exchange:</p>"
            '<pre class="command">bourse verify receipt.json --contract ADDRESS</pre>'
            f'<p class="meta">Add <code>--chain URL</code> with a JSON-RPC node of chain '
            f"{esc(batch.chain_id)} (the default is <code>DATABOURSE_CHAIN_URL</code>). ADDRESS "
            'is the contract in the exchange\'s <a href="/.well-known/databourse.json">trust '
            "anchor</a> (or save it once: <code>bourse ledger trust save --from URL</code>); "
            "without a pin the command says NOT PINNED and exits 3.</p>"
        )
    else:
        verify = (
            f"<p>The batch is {esc(batch.status)}: the receipt exists once it is confirmed on "
            "the chain. Come back shortly.</p>"
        )
    return facts(rows) + verify


def entry_page(session: Session, seq: int) -> str:
    """404 (``entry_not_found``) for a seq the journal does not hold."""
    e = transparency_service.entry(session, seq)
    batch = None if e.batch_id is None else transparency_service.batch(session, e.batch_id)
    prev = link(f"/explorer/entries/{seq - 1}", f"seq {seq - 1}") if seq > 1 else "none (first)"
    rows = [
        ("seq", f'<span class="seq">{e.seq}</span>'),
        ("kind", link(url("/explorer", kind=e.kind), e.kind)),
        ("subject", link(url("/explorer", subject=e.subject), e.subject)),
        ("actor", full_hash(e.actor)),
        ("recorded at", when(e.recorded_at)),
        ("signature (EIP-712)", full_hash(e.signature) if e.signature else "none"),
        ("previous entry", f"{prev} · {full_hash(e.prev_hash)}"),
        ("entry hash", full_hash(e.entry_hash)),
    ]
    later = transparency_service.list_entries(
        session, after_seq=seq, limit=1, kind=None, subject=None
    )
    nxt = (
        link(f"/explorer/entries/{seq + 1}", f"seq {seq + 1} →", css="next") if later.items else ""
    )
    body = (
        f"<h1>Journal entry {e.seq}</h1>"
        f'<p class="meta">{esc(e.kind)} · {esc(e.subject)}</p>'
        + facts(rows)
        + "<h2>Payload</h2>"
        + f'<pre class="payload">{pretty_json(e.payload)}</pre>'
        + "<h2>Anchoring</h2>"
        + _anchoring(seq, batch)
        + f'<div class="pager">{link(url("/explorer", after_seq=seq - 1), "in the journal")}'
        + f"{nxt}</div>"
    )
    return layout(f"Journal entry {e.seq}", body, active="explorer")


def batches_page(session: Session, *, after_id: int) -> str:
    found = transparency_service.list_batches(session, after_id=after_id, limit=PAGE_SIZE)
    rows = [
        [
            f'<span class="num">{b.id}</span>',
            link(url("/explorer", after_seq=b.first_seq - 1), f"{b.first_seq}..{b.last_seq}"),
            _status(b.status),
            abbrev(b.root, 8),
            abbrev(b.tx_hash, 8),
            esc(b.block_number) if b.block_number is not None else "&mdash;",
            esc(b.chain_id),
            when(b.created_at),
            when(b.confirmed_at),
        ]
        for b in found.items
    ]
    pager = []
    if after_id > 0:
        pager.append(link("/explorer/batches", "⇤ first", css="first"))
    if found.next_after_id is not None:
        pager.append(
            link(url("/explorer/batches", after_id=found.next_after_id), "next →", css="next")
        )
    body = (
        "<h1>Anchor batches</h1>"
        "<p>Each batch is a contiguous run of journal entries whose Merkle root is anchored by "
        "one transaction: <em>pending</em> (signed, maybe broadcast), <em>sent</em> (mined), "
        "<em>confirmed</em> (deep enough; receipts exist).</p>"
        + (f'<p class="meta">Batches after {after_id}.</p>' if after_id else "")
        + table(
            "batches",
            [
                "batch",
                "entries",
                "status",
                "root",
                "transaction",
                "block",
                "chain",
                "created",
                "confirmed",
            ],
            rows,
            empty="No batch yet." if after_id == 0 else "No batches here.",
        )
        + f'<div class="pager">{"".join(pager)}</div>'
    )
    return layout("Anchor batches", body, active="batches")
