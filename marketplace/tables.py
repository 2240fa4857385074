"""Imports every table so that ``SQLModel.metadata`` is complete (migrations, tests)."""

from sqlmodel import SQLModel

import ledger.models  # noqa: F401 -- journal, batches, anchor contract, worker lease
import marketplace.assets.models
import marketplace.auctions.models
import marketplace.identity.models
import marketplace.listings.models
import marketplace.orders.models
import marketplace.quality.models
import marketplace.valuation.models  # noqa: F401 -- valuation reports

metadata = SQLModel.metadata

__all__ = ["metadata"]
