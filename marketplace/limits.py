"""Every limit the exchange enforces, in one place. Units come last in each name."""

from typing import Final

# HTTP
# Ids, seqs and offsets in paths and queries: 64-bit signed integers, as stored.
id_max: Final = 2**63 - 1
request_body_bytes_max: Final = 1 * 1024 * 1024
page_size_default: Final = 50
page_size_max: Final = 500
# Arrays and objects nested in one JSON body, checked on the raw bytes before any parser recurses
# (py-evm raises Python's recursion limit far past what the C stack holds).
json_nesting_depth_max: Final = 32
# Requests (and, apart, uploads) served at once per process; together fewer than anyio's 40
# worker threads, so that a request holding a transaction always gets its next thread
# (marketplace/concurrency.py). Others wait their turn without a thread.
# Strict-Transport-Security when served over TLS: a year, the common preload minimum
hsts_max_age_s: Final = 365 * 24 * 3600
requests_in_flight_max: Final = 24
uploads_in_flight_max: Final = 8

# Identity
password_length_min: Final = 12
password_length_max: Final = 256
email_length_max: Final = 254
organization_name_length_max: Final = 200
token_ttl_s_default: Final = 12 * 3600
token_ttl_s_max: Final = 30 * 24 * 3600
siwe_message_bytes_max: Final = 4096
siwe_nonce_ttl_s: Final = 10 * 60
siwe_clock_skew_s: Final = 60
# Abuse limits (marketplace/ratelimit): the defaults of the settings of the same names, each
# "at most N per window". Failed logins count per login name from one client network (then that
# client, and only that one, gets 429 for that name), per login name from all clients (beyond it
# the name is under a distributed attack and each client's allowance drops to the stricter
# bound), and per client network for any names (then 429 for all).
login_failure_window_s_default: Final = 15 * 60
login_failures_per_client_max_default: Final = 10
login_failures_per_account_max_default: Final = 100
login_failures_per_client_under_attack_max_default: Final = 3
login_failures_per_network_max_default: Final = 100
signups_per_network_max_default: Final = 20
signup_window_s_default: Final = 3600
siwe_nonces_per_network_max_default: Final = 60  # each is a database row until it expires
siwe_nonce_window_s_default: Final = 10 * 60
objection_filings_per_window_max_default: Final = 5  # per objecting organisation
objection_filing_window_s_default: Final = 24 * 3600
bids_per_organization_max_default: Final = 60  # commits tried, accepted or not
bid_window_s_default: Final = 3600
evidence_uploads_per_account_max_default: Final = 30  # files tried, accepted or not
evidence_upload_window_s_default: Final = 3600
# Password hashes (argon2id: 64 MiB, 4 lanes each) computed at once in one process; a login or
# sign-up beyond it is answered 429 at once, without hashing.
password_hashes_concurrent_max: Final = 2
password_hash_retry_after_s: Final = 1

# Anchoring (the worker's own limits live in ledger/limits.py)
anchor_batch_entries_max_default: Final = 65_536
anchor_batch_entries_max_ceiling: Final = 1_048_576
anchor_batch_age_s_default: Final = 5.0

# Data assets
upload_bytes_max_default: Final = 2 * 1024**3
envelope_segment_bytes: Final = 1024 * 1024  # plaintext bytes per AEAD segment
content_chunk_bytes: Final = 1024 * 1024  # fixed chunk size of the content Merkle tree
schema_sample_rows_max: Final = 1000  # rows read to infer column types
csv_record_bytes_max: Final = 16 * 1024 * 1024  # one CSV record (quoted newlines included)
jsonl_line_bytes_max: Final = 16 * 1024 * 1024
jsonl_nesting_depth_max: Final = 256  # arrays and objects nested in one JSON Lines row
schema_fields_max: Final = 2000
parquet_footer_bytes_max: Final = 16 * 1024 * 1024  # tail kept to read a Parquet schema
asset_title_length_max: Final = 200
asset_description_length_max: Final = 10_000
asset_keywords_max: Final = 32
asset_keyword_length_max: Final = 64
asset_text_length_max: Final = 2000  # spatial, authority proof, reasons, claims
asset_url_length_max: Final = 2048
review_reasons_length_max: Final = 4000

# Identity: invites, tokens, SIWE, EIP-712
invite_ttl_s_default: Final = 7 * 24 * 3600
invite_ttl_s_max: Final = 30 * 24 * 3600
bearer_token_length_max: Final = 128  # characters after "Bearer "
siwe_nonce_purge_rows_max: Final = 1000  # expired nonces deleted per nonce issued
token_purge_rows_max: Final = 100  # long-expired bearer-token rows deleted per token issued
expired_token_kept_s: Final = 7 * 24 * 3600  # an expired token still answers token_expired
siwe_signature_length_max: Final = 200  # 0x + 65 bytes hex is 132
signature_deadline_s_max: Final = 24 * 3600  # how far ahead an EIP-712 deadline may lie
suspension_reason_length_max: Final = 2000  # an operator's reason for suspending an organisation
signing_offer_ttl_s: Final = 3600  # a document handed out for signing stays signable this long

# Quality evaluation (marketplace/quality)
quality_schema_fields_max: Final = 20_000
quality_rules_max: Final = 100
quality_columns_max: Final = 20_000  # wider tables: a report that says so, no judgement
quality_profiled_columns_max: Final = 1_000  # beyond: nulls and types only, no profile
quality_profiled_columns_streaming_max: Final = 200  # the same, for files read streaming
quality_in_memory_bytes_max: Final = 64 * 1024 * 1024  # smaller files: polars in-memory engine
quality_infer_rows: Final = 1_000  # rows read to infer a schema when none is declared
quality_head_bytes_max: Final = 4 * 1024 * 1024  # a CSV's first rows are parsed from these
quality_top_values_distinct_max: Final = 20  # "low cardinality": top values shown at most this
quality_top_value_count_min: Final = 5  # a top value is shown only if this many rows hold it
quality_samples_per_column: Final = 3  # owner/operator view only
quality_read_chunk_bytes: Final = 1024 * 1024
quality_exact_bytes_max: Final = 64 * 1024 * 1024  # larger files: approximate distincts
quality_sample_cells_max: Final = 8 * 1024 * 1024  # numeric values kept for quantiles (64 MiB)
quality_memory_file_bytes_max: Final = 4 * 1024**3  # a revision decrypted for evaluation
# Cells (rows times columns) a Parquet file may declare and be evaluated: what the largest CSV
# upload (2 GiB) holds at two bytes a cell. More is a decompression bomb or beyond what one
# evaluation reads, and the report says so without reading a row.
quality_parquet_cells_max: Final = 1024**3
# A running evaluation whose row has not moved for this long is dead (its process stopped): it
# no longer holds back the revision's other evaluations. Jobs report progress every 5 %.
quality_running_stale_s: Final = 30 * 60

# Valuation of data assets
valuation_comparables_min: Final = 3  # fewer: "insufficient comparables"
valuation_comparables_max: Final = 200
valuation_listing_comparables_max: Final = 20  # active listings read for the market approach
valuation_trade_comparables_max: Final = 20  # settled trades read for the market approach
valuation_trade_age_days_max: Final = 730  # an older settled trade is no comparable
valuation_trade_half_life_days: Final = 180  # a settled trade's weight halves with this age
price_history_trades_max: Final = 60  # trades a listing page's price-history chart draws
price_suggestion_comparables_max: Final = 20  # active listings a price suggestion reads
valuation_horizon_years_max: Final = 50
valuation_cost_components_max: Final = 50
# Every amount a valuation computes (each approach's value and range): within amount_minor_max and
# within the integers RFC 8785 writes exactly, since the report is hashed (ledger/canonical.py).
# Inputs giving more are refused with 422. Approach weights are held to the same bound.
valuation_amount_minor_max: Final = 2**53 - 1
valuation_weight_max: Final = 2**53 - 1

# Public web pages (marketplace/pages); page sizes are page_size_default above
web_query_length_max: Final = 200  # q, theme (as GET /assets) in page URLs
web_page_number_max: Final = 1_000_000  # /catalog?page=

# Frictionless Table Schemas, at every way in (correction, evaluation request, inference)
table_schema_depth_max: Final = 16  # nested objects and arrays; a real schema needs about 6
table_schema_bytes_max: Final = 1024 * 1024  # its compact JSON (2,000 fields fit easily)
# The command line (marketplace/cli)
format_sniff_bytes_max: Final = 1024 * 1024  # a file's head read to detect its format
# Objections (异议) to assets (their rate: objection_filings_per_window_max_default above)
objection_statement_length_min: Final = 20  # a claim someone can check, not "x"
objection_evidence_hashes_max: Final = 20

# Listings (marketplace/listings): money in integer minor units, 1 ≤ amount ≤ 2**63-1
amount_minor_max: Final = 2**63 - 1
listing_licence_duration_days_max: Final = 36_500  # a hundred years stands for "perpetual"
listing_acceptance_window_h_max: Final = 30 * 24
listing_dispute_window_h_max: Final = 90 * 24
listing_max_downloads_max: Final = 1_000_000
listing_territories_max: Final = 250  # every ISO 3166-1 alpha-2 code fits
listing_tiers_max: Final = 20
listing_margin_bp_max: Final = 10_000  # public data: the margin over cost, at most 100 %
listings_per_asset_max: Final = 50  # active and paused listings of one asset
listing_comparables_max: Final = 200
# Catalog search (marketplace/search)
search_query_length_max: Final = 200  # characters of a search's q
search_query_words_max: Final = 32  # words of one query after segmentation; more are ignored
search_token_length_max: Final = 64  # longer "words" (hashes, base64) are neither indexed nor asked
search_filter_length_max: Final = 200  # theme, classification, update frequency, purpose
search_cursor_length_max: Final = 512
search_candidate_words_max: Final = 64  # words of a demand that matching asks candidates for
search_candidates_max: Final = 1000
search_columns_max: Final = 2000  # column names indexed per listing (as schema_fields_max)
search_purposes_max: Final = 32  # licence purposes indexed per listing
# Words matching more listings than this rank only the newest this many by relevance, then the
# rest newest first: ranking costs time per matching listing (docs/search.md, "Ranking").
search_ranked_matches_max: Final = 5_000
# Sealed-bid auctions (marketplace/auctions)
# The shortest commit window (opening to commit deadline) and reveal window (commit deadline to
# reveal deadline): the default of the setting DATABOURSE_AUCTION_WINDOW_S_MIN, which
# development may lower (the demo's own exchange does) and production may not.
auction_window_s_min_default: Final = 60
auction_commit_window_s_max: Final = 90 * 24 * 3600
auction_reveal_window_s_max: Final = 14 * 24 * 3600
# After a sale, the winner has this long to place its order before the listing may be bought
# outright again (a self-custody winner signs its order itself; it may still order later, if the
# exclusive listing is still free).
auction_winner_order_window_s: Final = 7 * 24 * 3600
auction_deposit_bp_max: Final = 10_000  # basis points of the reserve: at most all of it
auction_purpose_length_max: Final = 64
# Bids per auction: the resolution's one journal entry lists them all within the ledger's
# payload bound (16 KiB; about 250 bytes a bid)
auction_bids_max: Final = 50

# Demands (需求) and matching, in marketplace/matching
demand_title_length_max: Final = 200
demand_description_length_max: Final = 10_000
demand_keywords_max: Final = 32
demand_keyword_length_max: Final = 64
demand_fields_max: Final = 100  # required fields of one demand
demand_field_name_length_max: Final = 128
demand_deadline_s_max: Final = 365 * 24 * 3600  # how far ahead a demand's deadline may lie
demand_expired_swept_max: Final = 1000  # demands journaled expired per sweep
# Listings the full-text index hands over for scoring, best first (bench/matching.py)
matching_candidates_max: Final = 300
matching_spare_max: Final = 10  # matches scored beyond the limit, in case some became unavailable
matching_results_max: Final = 100  # matches one request returns
matching_open_demands_scanned_max: Final = 5000  # open demands a new listing is scored against
matching_notify_score_min: Final = 0.5  # a match this good or better is notified
matching_notified_max: Final = 10  # organisations notified of one demand or one new listing
# A supplier's inbox of matched demands (GET /demands/matched) scores, per request, the newest
# open demands against the organisation's newest active listings (docs/matching.md, "Inbox")
matching_inbox_demands_scanned_max: Final = 300
matching_inbox_listings_max: Final = 40
matching_inbox_matches_shown_max: Final = 5  # of the supplier's listings shown per demand
matching_inbox_page_size_max: Final = 100  # demands in one page of the inbox

# Notifications: the in-app inbox and signed webhooks (marketplace/notifications)
notification_kind_length_max: Final = 64  # "demand.matched"
notification_subject_length_max: Final = 128  # "demand:42"
notification_payload_bytes_max: Final = 16 * 1024  # its compact JSON; ids and short texts
webhook_url_length_max: Final = 2048
webhook_timeout_s: Final = 10.0  # one POST, connect to last byte of the answer
webhook_attempts_max_default: Final = 12
webhook_attempts_max_ceiling: Final = 50
webhook_backoff_s_min_default: Final = 30.0  # before the 2nd attempt; doubles each time
webhook_backoff_s_max_default: Final = 6 * 3600.0
webhook_deliveries_per_step_max: Final = 20  # due deliveries one worker claims per step
# A claimed delivery whose worker has not reported within this long is due again (the worker
# died mid-delivery): at-least-once, the receiver deduplicates on the notification id.
webhook_claim_s: Final = 60.0
webhook_error_length_max: Final = 500  # the last failure kept on a delivery
# Quotes: suppliers' answers to demands, in marketplace/quotes
quote_validity_s_min: Final = 60  # a quote stays valid at least this long after it is sent
quote_validity_s_max: Final = 30 * 24 * 3600
quotes_per_demand_per_organization_max: Final = 20  # every quote one supplier sends to a demand
# Orders: what one order may hold (marketplace/orders)
order_quantity_max: Final = 2**63 - 1  # licences, periods, rows or API calls in one order
# Settlement (marketplace/orders, docs/orders.md#payment-and-settlement)
exchange_fee_bp_max: Final = 10_000  # basis points of the price: at most all of it
exchange_fee_categories_max: Final = 200  # entries in DATABOURSE_EXCHANGE_FEE_BP_BY_CATEGORY
order_payment_window_s_default: Final = 24 * 3600  # a placed order unpaid this long expires
order_payment_window_s_max: Final = 30 * 24 * 3600
settlement_orders_per_step_max: Final = 50  # orders one settlement run claims per pass
approval_reason_length_max: Final = 2_000  # an operator's reason to approve or refuse an order
# Books: double-entry accounts, escrow holds and payments (marketplace/books)
books_transfer_id_length_max: Final = 100  # a client-chosen transfer id: [A-Za-z0-9._-]
books_reference_length_max: Final = 200  # what a hold or payment is for ("order:17")
books_statement_lines_max: Final = 10_000  # transfers one statement lists, newest last
books_webhook_event_id_length_max: Final = 200  # a payment provider's event id
books_webhook_body_bytes_max: Final = 16 * 1024
books_payment_claim_s: Final = 120.0  # a claim on one provider call; calls time out sooner
books_payment_retry_s_min: Final = 5.0  # wait after a call of unknown outcome; doubles
books_payment_retry_s_max: Final = 3600.0
books_payment_poll_s_min: Final = 60.0  # first status poll of a payment the provider accepted
books_payment_poll_s_max: Final = 3600.0  # polls double up to this, until the provider decides
books_payment_grace_s: Final = 30.0  # a new payment is its request's to send, then the worker's
books_payments_per_step_max: Final = 20  # payments one worker sends per step
books_payments_listed_max: Final = 100  # payments GET /books/payments lists, newest first
books_payment_error_length_max: Final = 300  # the last failed call kept on a payment

# Idempotency keys (marketplace/idempotency)
idempotency_key_chars_max: Final = 255  # visible ASCII only
# An in-flight key whose attempt has not answered for this long is taken over by the next retry
# (its process died); the old attempt, should it still finish, can no longer commit.
idempotency_claim_stale_s: Final = 60
# The lazy purge: every interval, a process's next claim deletes up to this many expired keys
# (up to 100 keys/s per process, more than it can take).
idempotency_purge_interval_s: Final = 10
idempotency_purge_rows_max: Final = 1000
idempotency_key_ttl_s_default: Final = 24 * 3600
idempotency_key_ttl_s_max: Final = 30 * 24 * 3600
# Delivery: licences, signed download URLs, key-wrapped delivery (marketplace/delivery)
delivery_url_ttl_s_default: Final = 600  # a signed download URL lives this long by default
delivery_url_ttl_s_max: Final = 15 * 60  # and never longer (the bound)
delivery_token_length_max: Final = 256  # the token in GET /downloads/{token}
delivery_stream_chunk_bytes: Final = 64 * 1024  # ciphertext read per step when streaming
# Fingerprints: per-buyer marks in CSV downloads (marketplace/fingerprint)
fingerprint_table_bytes_max: Final = 64 * 1024 * 1024  # marked whole in memory, once per licence
fingerprint_candidates_max: Final = 100_000  # licences one detection compares

# Disputes (docs/disputes.md).
dispute_window_s_default: Final = 14 * 24 * 3600  # an order with no window of its own: this long
evidence_period_s_default: Final = 7 * 24 * 3600  # submissions close this long after opening
appeal_window_s_default: Final = 3 * 24 * 3600  # a ruling may be appealed this long
dispute_window_s_max: Final = 365 * 24 * 3600  # no dispute or appeal window is longer
arbitration_fee_minor_default: Final = 10_000  # each side's arbitration fee (minor units)
appeal_fee_minor_default: Final = 30_000  # the appellant's fee: the panel costs three times one
arbitrator_conflict_days_default: Final = 90  # traded with a party this recently: not drawn
arbitrator_conflict_days_max: Final = 3650
dispute_statement_chars_max: Final = 20_000  # a statement, the reasons of a ruling
evidence_file_bytes_max: Final = 20 * 1024 * 1024  # one evidence file
evidence_items_per_side_max: Final = 100  # items each party may submit to one dispute
evidence_records_max: Final = 100  # the exchange's records attached to one dispute
evidence_served_records_max: Final = 20  # of them delivery.served: the first and last 10
panel_size: Final = 3  # the appeal panel; its ruling is the majority's
evidence_title_chars_max: Final = 200  # an evidence item's title
evidence_clock_skew_s: Final = 300  # a self-custody signature's submittedAt may be this far off
# Compressed files kept for others to open (evidence): expanded once against these bounds, the
# archives inside them included (marketplace/archives.py); a zip bomb is refused, nothing stored.
archive_expanded_bytes_max: Final = 256 * 1024 * 1024
archive_members_max: Final = 10_000
archive_nesting_depth_max: Final = 3  # an archive in an archive in an archive
dossier_bytes_max: Final = 256 * 1024 * 1024  # an exported dossier zip's files, in memory
# Production refuses a shorter payment webhook secret (the provider's HMAC key): an empty one
# lets anyone sign a webhook.
payment_webhook_secret_chars_min: Final = 16
