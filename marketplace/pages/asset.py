"""``/catalog/{id}``: one listed asset as the public sees it — DCAT metadata, compliance facts,
revisions with their content identity, the Table Schema, its reports, and its registration
certificate with where it is anchored."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from marketplace.assets import service as asset_service
from marketplace.assets.models import AssetRevision
from marketplace.assets.schemas import AssetPublic
from marketplace.assets.vocabulary import LICENSES
from marketplace.errors import NotFound
from marketplace.listings import service as listing_service
from marketplace.money import amount_text
from marketplace.pages.catalog import (
    UNDER_OBJECTION,
    classification_text,
    overall_text,
    public_quality,
)
from marketplace.pages.layout import (
    abbrev,
    esc,
    facts,
    full_hash,
    layout,
    link,
    size_text,
    table,
    url,
    when,
)
from marketplace.pages.listings import listings_section
from marketplace.transparency import service as transparency_service
from marketplace.transparency.errors import EntryNotAnchored
from marketplace.valuation import service as valuation_service

RIGHTS_ZH = {"holding": "持有权", "processing_use": "加工使用权", "operation": "经营权"}


def _receipt_or_none(session: Session, seq: int) -> dict[str, Any] | None:
    try:
        return transparency_service.receipt(session, seq)
    except EntryNotAnchored:
        return None


def _dcat(asset: AssetPublic) -> str:
    temporal = " to ".join(
        str(d) for d in (asset.temporal_start, asset.temporal_end) if d is not None
    )
    keywords = "".join(f'<span class="tag">{esc(k)}</span>' for k in asset.keywords)
    licence_url = LICENSES.get(asset.license)
    licence = esc(asset.license) + (
        f' <span class="meta">{esc(licence_url)}</span>' if licence_url else ""
    )
    theme = link(url("/catalog", theme=asset.theme), asset.theme) if asset.theme else "&mdash;"
    return facts(
        [
            ("identifier (dct:identifier)", esc(asset.id)),
            ("publisher (dct:publisher)", esc(asset.publisher or "—")),
            ("theme (dcat:theme)", theme),
            ("keywords (dcat:keyword)", keywords or "&mdash;"),
            ("licence (dct:license)", licence),
            ("temporal (dct:temporal)", esc(temporal or "—")),
            ("spatial (dct:spatial)", esc(asset.spatial or "—")),
            ("update frequency (dct:accrualPeriodicity)", esc(asset.accrual_periodicity or "—")),
            ("languages (dct:language)", esc(", ".join(asset.languages) or "—")),
            ("landing page (dcat:landingPage)", esc(asset.landing_page or "—")),
            ("registered revision (dcat:version)", esc(asset.certified_revision or "—")),
            ("issued (dct:issued)", when(asset.created_at)),
            ("modified (dct:modified)", when(asset.updated_at)),
        ]
    )


def _compliance(asset: AssetPublic) -> str:
    personal = (
        f"yes, lawful basis: {esc(asset.lawful_basis)} (PIPL art. 13)"
        if asset.personal_information
        else "no"
    )
    restrictions = ", ".join(asset.listing_restrictions) or "none"
    return facts(
        [
            (
                "classification",
                '<span class="classification">'
                f"{esc(classification_text(asset.classification))}</span>",
            ),
            ("personal information", f'<span class="personal">{personal}</span>'),
            ("listing restrictions", esc(restrictions)),
            ("source", f'<span class="source">{esc(asset.source_type)}</span>'),
            ("supplier's statement of authority", esc(asset.authority_proof)),
        ]
    )


def _revisions(revisions: list[AssetRevision]) -> str:
    rows = [
        [
            f'<span class="num">{r.number}</span>',
            esc(r.source)
            + (f'<br><span class="hash">{esc(r.external_url)}</span>' if r.external_url else ""),
            f"{esc(r.content_format)}<br><span class=meta>{esc(r.media_type)}</span>",
            f'<span class="num">{size_text(r.size_bytes)}</span>',
            full_hash(r.sha256),
            full_hash(r.chunk_root)
            + (f'<br><span class="meta">{r.chunk_count} chunk(s)</span>' if r.chunk_count else ""),
            when(r.created_at),
        ]
        for r in revisions
    ]
    return table(
        "revisions",
        ["revision", "source", "format", "size", "SHA-256", "chunk root (RFC 6962)", "added"],
        rows,
        empty="No registered revision yet.",
    )


def _schema(revision: AssetRevision | None) -> str:
    if revision is None or not revision.table_schema:
        return '<p class="meta">No Table Schema (the content is not tabular or not yet known).</p>'
    fields = revision.table_schema.get("fields") or []
    rows = [
        [
            f"<code>{esc(f.get('name'))}</code>",
            esc(f.get("type", "any")),
            esc(f.get("format", "")),
            _constraints(f.get("constraints")),
            esc(f.get("title", "")),
            esc(f.get("description", "")),
        ]
        for f in fields
        if isinstance(f, dict)
    ]
    missing = revision.table_schema.get("missingValues", [""])
    key = revision.table_schema.get("primaryKey")
    return (
        f'<p class="meta">Frictionless Table Schema of revision {revision.number}'
        + (f" · schema hash {full_hash(revision.schema_hash)}" if revision.schema_hash else "")
        + (" · corrected by the supplier" if revision.schema_corrected else "")
        + "</p>"
        + table(
            "schema",
            ["field", "type", "format", "constraints", "title", "description"],
            rows,
            empty="No fields.",
        )
        + '<p class="meta">Missing values (cells that count as empty): '
        + (", ".join(f"<code>{esc(json.dumps(m))}</code>" for m in missing) or "none")
        + (f" · primary key: <code>{esc(json.dumps(key))}</code>" if key else "")
        + "</p>"
    )


def _constraints(constraints: object) -> str:
    """A field's constraints as the supplier declared them (``minimum: 0``, ``required: true``)."""
    if not isinstance(constraints, dict) or not constraints:
        return ""
    return esc(", ".join(f"{name}: {json.dumps(value)}" for name, value in constraints.items()))


def _reports(session: Session, asset_id: int, scale: int) -> str:
    quality = public_quality(session, asset_id)
    parts = ["<h2>Quality and valuation</h2><ul>"]
    if quality is None:
        parts.append("<li>No quality report yet.</li>")
    else:
        href = f"/assets/{asset_id}/quality/report.html"
        parts.append(
            f"<li>{link(href, 'Quality report', css='quality-link')}"
            f" (GB/T 36344) of revision {quality.revision}: overall "
            f'<span class="quality">{overall_text(quality)}</span> / 100</li>'
        )
    valuations = valuation_service.list_valuations(session, None, asset_id)
    valued = [v for v in valuations if v.value_minor is not None]
    for v in valued:
        report = v.report
        value = amount_text(v.value_minor, str(report.get("currency", "")), scale)
        href = f"/assets/{asset_id}/valuations/{v.id}/report.html"
        parts.append(
            f"<li>{link(href, f'Valuation {v.id}', css='valuation-link')}"
            f" ({esc(v.kind)}, revision {v.revision}, {when(v.created_at)}): {esc(value)}</li>"
        )
    for v in valuations:
        if v.value_minor is None:  # a report that reached no value is no valuation
            href = f"/assets/{asset_id}/valuations/{v.id}/report.html"
            parts.append(
                f'<li class="no-opinion">{link(href, f"Report {v.id}")} ({esc(v.kind)}, '
                f"revision {v.revision}): no opinion — {esc(v.report.get('note') or 'no value')}"
                "</li>"
            )
    if not valued:
        parts.append("<li>No valuation yet.</li>")
    parts.append("</ul>")
    return "".join(parts)


def _certificate(session: Session, asset_id: int) -> str:
    try:
        doc = asset_service.certificate_document(session, None, asset_id, _receipt_or_none)
    except NotFound:
        return "<h2>Registration certificate</h2><p>No registration certificate yet.</p>"
    cert: dict[str, Any] = doc["certificate"]
    status = str(doc["anchor_status"])
    rights = ", ".join(f"{r} {RIGHTS_ZH.get(r, '')}".strip() for r in cert.get("rights", []))
    rows = [
        ("registration", esc(f"{cert.get('registration_type')} · revision {cert.get('revision')}")),
        ("holder", full_hash(cert.get("owner"))),
        ("rights", esc(rights)),
        ("content SHA-256", full_hash(cert.get("content_hash"))),
        ("chunk root", full_hash(cert.get("chunk_root"))),
        ("supplier signature", abbrev(cert.get("supplier", {}).get("signature"), 14)),
        ("exchange countersignature", abbrev(cert.get("exchange", {}).get("signature"), 14)),
        (
            "journal entry",
            link(f"/explorer/entries/{doc['seq']}", f"seq {doc['seq']}", css="entry-link"),
        ),
        ("anchor status", f'<span class="status anchor-status {esc(status)}">{esc(status)}</span>'),
    ]
    receipt = doc["receipt"]
    if receipt is not None:
        batch, anchor = receipt["batch"], receipt["anchor"]
        rows += [
            (
                "batch",
                link(
                    f"/explorer/batches?after_id={int(batch['id']) - 1}",
                    f"{batch['id']} (seq {batch['first_seq']}..{batch['last_seq']})",
                ),
            ),
            ("transaction", full_hash(anchor["tx_hash"])),
            ("block", esc(anchor["block_number"])),
            ("chain id", esc(anchor["chain_id"])),
            ("contract", full_hash(anchor["contract"])),
        ]
        check = (
            "<p>Download the certificate and check it yourself — both signatures, the journal "
            "entry and its anchor on the chain — without trusting this exchange:</p>"
            "<pre>bourse verify cert.json --contract ADDRESS</pre>"
            '<p class="meta">Pin the check to the exchange\'s own contract: ADDRESS is the one '
            'in its <a href="/.well-known/databourse.json">trust anchor</a>, compared with one '
            "published elsewhere (or save it once: <code>bourse ledger trust save --from URL"
            "</code>). Without a pin the command says NOT PINNED and exits 3.</p>"
        )
    else:
        check = (
            "<p>Its journal entry is not anchored yet; the certificate verifies once its batch "
            "is confirmed on the chain. Fetch it again shortly.</p>"
        )
    download = (
        f'<p><a class="certificate-link" href="/assets/{asset_id}/certificate" '
        'download="cert.json" type="application/json">Download the certificate (cert.json)</a>'
        "</p>"
    )
    return "<h2>Registration certificate 登记凭证</h2>" + facts(rows) + download + check


def _objection_notice(asset: AssetPublic) -> str:
    if not asset.under_objection:
        return ""
    return (
        f'<p class="notice objection" role="status">{UNDER_OBJECTION} A third party has filed '
        "an objection to this asset (for instance a claim to rights in the data) that the "
        "exchange has not decided yet. The asset stays listed meanwhile; weigh this before you "
        "buy.</p>"
    )


def asset_page(session: Session, asset_id: int, *, currency_scale: int) -> str:
    """404 (``asset_not_found``) unless the asset is listed: the public's view."""
    asset = asset_service.asset_public(asset_service.visible_asset(session, None, asset_id))
    revisions = asset_service.list_revisions(session, None, asset_id)
    body = (
        f"<h1>{esc(asset.title)}</h1>"
        f'<p class="meta">asset {asset.id} · {esc(asset.status)} · published by '
        f"{esc(asset.publisher or '—')} · "
        f"{link(f'/assets/{asset.id}', 'JSON')} · "
        f"{link(f'/assets/{asset.id}/dcat', 'DCAT JSON-LD')}"
        "</p>"
        + _objection_notice(asset)
        + listings_section(listing_service.for_asset(session, asset_id))
        + (f'<p class="description">{esc(asset.description)}</p>' if asset.description else "")
        + "<h2>Metadata (DCAT 3)</h2>"
        + _dcat(asset)
        + "<h2>Compliance</h2>"
        + _compliance(asset)
        + "<h2>Revisions</h2>"
        + _revisions(revisions)
        + "<h2>Table Schema</h2>"
        + _schema(revisions[-1] if revisions else None)
        + _reports(session, asset_id, currency_scale)
        + _certificate(session, asset_id)
    )
    return layout(asset.title, body, active="catalog")
