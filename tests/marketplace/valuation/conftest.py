"""The quality package's app fixtures: assets, quality and valuation endpoints."""

from tests.marketplace.quality.conftest import (  # noqa: F401 -- fixtures used by name
    api,
    asset_runtime,
    blob_dir,
    ops,
    rival,
    supplier,
)
