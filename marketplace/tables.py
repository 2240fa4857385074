"""Imports every table so that ``SQLModel.metadata`` is complete (migrations, tests)."""

from alembic.runtime.environment import NameFilterParentNames, NameFilterType
from sqlmodel import SQLModel

import ledger.models  # noqa: F401 -- journal, batches, anchor contract, worker lease
import marketplace.assets.models
import marketplace.auctions.models
import marketplace.books.models
import marketplace.delivery.models
import marketplace.disputes.models
import marketplace.idempotency.models
import marketplace.identity.models
import marketplace.listings.models
import marketplace.matching.models
import marketplace.notifications.models
import marketplace.orders.models
import marketplace.orders.period_models
import marketplace.quality.models
import marketplace.quotes.models
import marketplace.search.models
import marketplace.valuation.models  # noqa: F401 -- valuation reports
from marketplace.search.models import outside_metadata

metadata = SQLModel.metadata


def include_name(
    name: str | None, type_: NameFilterType, parent_names: NameFilterParentNames
) -> bool:
    """Alembic's ``include_name``: every database object but those the metadata cannot declare
    (the search index's dialect-specific full-text table or column)."""
    return not outside_metadata(name, type_, parent_names.get("table_name"))


__all__ = ["include_name", "metadata"]
