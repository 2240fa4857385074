"""An asset as DCAT 3 JSON-LD (a ``dcat:Dataset`` with one ``dcat:Distribution`` per visible
revision), with the exchange's compliance facts under its own ``dbx:`` vocabulary."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from marketplace.assets.models import Asset, AssetRevision
from marketplace.assets.vocabulary import FREQUENCY_BASE, LICENSES
from marketplace.quality.table_schema import within_bounds

CONTEXT: dict[str, Any] = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "spdx": "http://spdx.org/rdf/terms#",
    "dbx": "https://databourse.org/ns#",
}


def _date(value: Any) -> dict[str, str]:
    return {"@value": value.isoformat(), "@type": "xsd:date"}


def _distribution(base_url: str, asset: Asset, revision: AssetRevision) -> dict[str, Any]:
    out: dict[str, Any] = {
        "@id": f"{base_url}/assets/{asset.id}/revisions/{revision.number}",
        "@type": "dcat:Distribution",
        "dct:identifier": str(revision.number),
        "dcat:mediaType": f"https://www.iana.org/assignments/media-types/{revision.media_type}",
        "dct:format": str(revision.content_format),
        "dct:license": {"@id": LICENSES[asset.license]},
        "dct:issued": {"@value": revision.created_at.isoformat(), "@type": "xsd:dateTime"},
        "dbx:source": str(revision.source),
    }
    if revision.size_bytes is not None:
        out["dcat:byteSize"] = {
            "@value": str(revision.size_bytes),
            "@type": "xsd:nonNegativeInteger",
        }
    if revision.sha256 is not None:
        out["spdx:checksum"] = {
            "@type": "spdx:Checksum",
            "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
            "spdx:checksumValue": revision.sha256,
        }
        out["dbx:chunkRoot"] = revision.chunk_root
        out["dbx:chunkBytes"] = revision.chunk_bytes
    if revision.external_url is not None:
        out["dcat:accessURL"] = {"@id": revision.external_url}
    else:
        out["dcat:accessURL"] = {
            "@id": f"{base_url}/assets/{asset.id}/revisions/{revision.number}/content"
        }
    if revision.table_schema is not None:
        conforms: dict[str, Any] = {
            "@type": "dct:Standard",
            "dct:title": "Frictionless Table Schema",
            "dbx:schemaHash": revision.schema_hash,
        }
        if within_bounds(revision.table_schema):
            conforms["dbx:tableSchema"] = {"@type": "@json", "@value": revision.table_schema}
        else:  # stored before depth and size were bounded: its hash stands for it
            conforms["dbx:tableSchemaWithheld"] = "over the exchange's depth or size bounds"
        out["dct:conformsTo"] = conforms
    return out


def to_dcat(asset: Asset, revisions: Sequence[AssetRevision], base_url: str) -> dict[str, Any]:
    base = base_url.rstrip("/")
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": f"{base}/assets/{asset.id}",
        "@type": "dcat:Dataset",
        "dct:identifier": str(asset.id),
        "dct:title": asset.title,
        "dct:description": asset.description,
        "dcat:keyword": list(asset.keywords),
        "dct:license": {"@id": LICENSES[asset.license]},
        "dct:issued": {"@value": asset.created_at.isoformat(), "@type": "xsd:dateTime"},
        "dct:modified": {"@value": asset.updated_at.isoformat(), "@type": "xsd:dateTime"},
        "dct:language": [{"@value": tag, "@type": "xsd:language"} for tag in asset.languages],
        "dcat:distribution": [_distribution(base, asset, r) for r in revisions],
        "dbx:classification": str(asset.classification),
        "dbx:personalInformation": asset.personal_information,
        "dbx:sourceType": str(asset.source_type),
        "dbx:status": str(asset.status),
    }
    if asset.theme:
        doc["dcat:theme"] = asset.theme
    if asset.publisher:
        doc["dct:publisher"] = {"@type": "foaf:Agent", "foaf:name": asset.publisher}
    if asset.temporal_start or asset.temporal_end:
        period: dict[str, Any] = {"@type": "dct:PeriodOfTime"}
        if asset.temporal_start:
            period["dcat:startDate"] = _date(asset.temporal_start)
        if asset.temporal_end:
            period["dcat:endDate"] = _date(asset.temporal_end)
        doc["dct:temporal"] = period
    if asset.spatial:
        doc["dct:spatial"] = {"@type": "dct:Location", "dct:title": asset.spatial}
    if asset.accrual_periodicity:
        doc["dct:accrualPeriodicity"] = {"@id": FREQUENCY_BASE + asset.accrual_periodicity}
    if asset.landing_page:
        doc["dcat:landingPage"] = {"@id": asset.landing_page}
    if asset.lawful_basis:
        doc["dbx:lawfulBasis"] = str(asset.lawful_basis)
    if asset.certified_revision is not None:
        doc["dcat:version"] = str(asset.certified_revision)
    return doc
