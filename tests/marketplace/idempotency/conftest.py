"""Idempotency fixtures: the order fixtures (placing an order is the first idempotent route)."""

from __future__ import annotations

from tests.marketplace.orders import conftest as orders

blob_dir = orders.blob_dir
asset_runtime = orders.asset_runtime
api = orders.api
ops = orders.ops
supplier = orders.supplier
rival = orders.rival
buyer = orders.buyer
