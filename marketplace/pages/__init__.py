"""The exchange's web pages: server-rendered, read-only HTML (home, catalog, one asset, the ledger
explorer, and the quality and valuation reports). ``endpoints.router`` is included by
``marketplace.app``; the report pages are rendered by the quality and valuation endpoints from
the data their services return (services never import pages)."""
