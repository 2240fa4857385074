"""Imports every table so that ``SQLModel.metadata`` is complete (migrations, tests)."""

from sqlmodel import SQLModel

import ledger.models  # noqa: F401 -- journal, batches, anchor contract, worker lease
import marketplace.assets.models  # assets, revisions, reviews, registrations
import marketplace.identity.models  # noqa: F401 -- organisations, accounts, keys, tokens

metadata = SQLModel.metadata

__all__ = ["metadata"]
