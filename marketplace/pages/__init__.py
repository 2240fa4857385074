"""The exchange's web pages: server-rendered, read-only HTML (home, catalog, one asset, the ledger
explorer, and the quality and valuation reports). ``endpoints.router`` is included by
``marketplace.app``; the report pages are served by the quality and valuation endpoints. The
package imports nothing itself, so a domain can render its report page without an import cycle."""
