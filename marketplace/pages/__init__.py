"""The exchange's public web pages: server-rendered, read-only HTML (home, catalog, one asset,
the ledger explorer). ``endpoints.router`` is included by ``marketplace.app``; the package imports
nothing itself, so the report pages of other domains can use ``layout`` without an import cycle."""
