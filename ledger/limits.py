"""The ledger's own limits (the ledger never imports ``marketplace``). Units come last.

The marketplace's API validation uses these too, so each number has one home.
"""

from typing import Final

# Journal entries
journal_kind_length_max: Final = 64
journal_subject_length_max: Final = 128
journal_payload_bytes_max: Final = 16 * 1024
journal_signature_length_max: Final = 1024  # hex text; EIP-712 is 132, ERC-1271 may be longer
journal_append_many_entries_max: Final = 100_000

# Anchoring worker
anchor_backoff_s_min: Final = 0.5
anchor_backoff_s_max: Final = 60.0
anchor_lease_s: Final = 30.0  # a worker that stops renewing its lease is replaced after this
anchor_resend_after_polls: Final = 30  # a tx not mined after this many polls is re-priced
anchor_replacements_max: Final = 20  # re-pricings per batch (fees x 1.125 each: <= 10.6x)

# Verifier
verify_chunk_rows: Final = 20_000
receipt_bytes_max: Final = 16 * 1024 * 1024  # proofs are ~20 hashes; entries are <= 16 KiB
trust_document_bytes_max: Final = 64 * 1024  # a trust anchor is ~300 bytes of JSON
