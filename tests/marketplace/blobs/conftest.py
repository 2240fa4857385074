"""Blob-store fixtures: the dispute fixtures (an app on the test database with a file blob
store, an operator, a verified supplier and buyer, the one arbitrator), shared rather than
copied."""

from tests.marketplace.disputes import conftest as disputes

blob_dir = disputes.blob_dir
asset_runtime = disputes.asset_runtime
api = disputes.api
ops = disputes.ops
supplier = disputes.supplier
buyer = disputes.buyer
judge = disputes.judge
