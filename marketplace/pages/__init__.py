"""The exchange's public web pages: server-rendered, read-only HTML (home, catalog, one asset,
the ledger explorer). ``router`` is included by ``marketplace.app``."""

from marketplace.pages.endpoints import router

__all__ = ["router"]
