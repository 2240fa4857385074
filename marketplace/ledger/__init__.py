"""The ledger over HTTP: browsing the journal and its batches, and entry receipts."""
