"""The report pages' fixtures: the asset fixtures on an app that also serves the quality and
valuation endpoints, which serve these pages (instead of the pages package's own world)."""

from tests.marketplace.quality.conftest import (  # noqa: F401 -- fixtures used by name
    api,
    asset_runtime,
    blob_dir,
    ops,
    rival,
    supplier,
)
