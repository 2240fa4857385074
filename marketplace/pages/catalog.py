"""``/catalog?q=&theme=&page=``: the listed assets, as the public sees ``GET /assets``."""

from __future__ import annotations

from sqlmodel import Session

from marketplace import limits
from marketplace.assets import service as asset_service
from marketplace.assets import visibility
from marketplace.assets.schemas import AssetPublic
from marketplace.errors import NotFound
from marketplace.listings import service as listing_service
from marketplace.pages.layout import esc, layout, link, size_text, table, url
from marketplace.pages.listings import price_cell
from marketplace.quality import service as quality_service
from marketplace.quality.schemas import EvaluationPublic

#: Assets per catalog page (tests lower it to see paging).
PAGE_SIZE = limits.page_size_default
CLASSIFICATION_LABELS = {
    "general": "general 一般数据",
    "important": "important 重要数据",
    "core": "core 核心数据",
}


def classification_text(value: str) -> str:
    return CLASSIFICATION_LABELS.get(value, value)


def public_quality(session: Session, asset_id: int) -> EvaluationPublic | None:
    """The quality report buyers see (of the registered revision), if there is one."""
    try:
        return quality_service.asset_report(session, None, asset_id)
    except NotFound:
        return None


def score_text(overall: object) -> str:
    return "&mdash;" if not isinstance(overall, int | float) else esc(f"{overall:.2f}")


def overall_text(evaluation: EvaluationPublic | None) -> str:
    report = None if evaluation is None else evaluation.report
    return score_text(None if report is None else report.get("overall"))


def _registered_facts(session: Session, asset: AssetPublic) -> tuple[int | None, str]:
    """Size and overall quality score of the newest revision the public may see (the
    registered one): one query each per row (no report validation), for a page of up to
    ``PAGE_SIZE`` rows."""
    number = visibility.newest_visible_revision(None, asset)
    if not number:
        return None, "&mdash;"
    size = asset_service.revision_size_bytes(session, asset.id, number)
    score = score_text(quality_service.finished_overall_score(session, asset.id, number))
    return size, score


#: Shown wherever a buyer meets an asset with an open objection, before it buys.
UNDER_OBJECTION = (
    '<span class="flag under-objection" title="a third party has objected to this asset; the '
    'exchange has not decided yet">under objection 异议中</span>'
)


def objection_flag(asset: AssetPublic) -> str:
    return f" {UNDER_OBJECTION}" if asset.under_objection else ""


def _row(session: Session, asset: AssetPublic) -> list[str]:
    size, score = _registered_facts(session, asset)
    keywords = "".join(f'<span class="tag">{esc(k)}</span>' for k in asset.keywords)
    theme = link(url("/catalog", theme=asset.theme), asset.theme) if asset.theme else "&mdash;"
    return [
        price_cell(listing_service.for_asset(session, asset.id)),
        link(f"/catalog/{asset.id}", asset.title, css="title") + objection_flag(asset),
        esc(asset.publisher or ""),
        theme,
        keywords,
        esc(asset.license),
        esc(classification_text(asset.classification)),
        f'<span class="num">{size_text(size)}</span>',
        f'<span class="num quality">{score}</span>',
    ]


def catalog_page(session: Session, *, q: str | None, theme: str | None, page: int) -> str:
    assert page >= 1
    offset = (page - 1) * PAGE_SIZE
    found = asset_service.search(
        session,
        None,
        owner=None,
        status=None,
        theme=theme,
        keyword=q,
        offset=offset,
        limit=PAGE_SIZE,
    )
    rows = [_row(session, a) for a in found.items]
    last_page = max((found.total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    pager = []
    if page > 1:
        pager.append(
            link(url("/catalog", q=q, theme=theme, page=page - 1), "← previous", css="prev")
        )
    if offset + len(found.items) < found.total:
        pager.append(link(url("/catalog", q=q, theme=theme, page=page + 1), "next →", css="next"))
    filters = []
    if q:
        filters.append(f"matching “{esc(q)}”")
    if theme:
        filters.append(f"in theme “{esc(theme)}”")
    summary = (
        f'<p class="meta count">{found.total} listed asset{"" if found.total == 1 else "s"} '
        f"{' '.join(filters)} · page {page} of {last_page}"
        + (f" · {link('/catalog', 'clear the search')}" if filters else "")
        + "</p>"
    )
    form = (
        '<form class="search" method="get" action="/catalog" role="search">'
        f'<input type="search" name="q" value="{esc(q or "")}" aria-label="keywords" '
        f'maxlength="{limits.web_query_length_max}" placeholder="title, description or keyword">'
        f'<input type="text" name="theme" value="{esc(theme or "")}" aria-label="theme" '
        f'maxlength="{limits.web_query_length_max}" placeholder="theme (exact)">'
        "<button type=submit>Search</button></form>"
    )
    body = (
        "<h1>Catalog</h1>"
        + form
        + summary
        + table(
            "assets",
            [
                "price and terms",
                "title",
                "publisher",
                "theme",
                "keywords",
                "licence",
                "classification",
                "registered revision",
                "quality",
            ],
            rows,
            empty=(
                "No listed asset on this page."
                if found.total
                else ("No listed asset matches." if filters else "Nothing is listed yet.")
            ),
        )
        + f'<div class="pager">{"".join(pager)}</div>'
    )
    title = f"Catalog: {q}" if q else "Catalog"
    return layout(title, body, active="catalog")
