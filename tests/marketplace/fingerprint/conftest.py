"""Fingerprint fixtures: the asset fixtures (an app on the test database, an operator, a
verified supplier and a verified rival), shared rather than copied."""

from tests.marketplace.assets.conftest import (  # noqa: F401 -- fixtures, found by name
    api,
    asset_runtime,
    blob_dir,
    ops,
    rival,
    supplier,
)
