"""Fingerprint fixtures: the order fixtures (an app on the test database, an operator, a
verified supplier, a verified rival that may also buy, a verified buyer), shared rather than
copied."""

from __future__ import annotations

from tests.marketplace.orders import conftest as orders

blob_dir = orders.blob_dir
asset_runtime = orders.asset_runtime
api = orders.api
ops = orders.ops
supplier = orders.supplier
rival = orders.rival
buyer = orders.buyer
