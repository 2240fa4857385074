"""Delivery rules: licences (granted when an order is paid; checked on every download),
signed download URLs and the bytes they serve, key-wrapped delivery, and receipts. Services
never commit; every change appends its journal entry in the same transaction.

Modules: ``licences`` (grant, read, the access check, the content-access rule), ``downloads``
(issue a URL, serve it), ``marked`` (a transformed licence's marked copy, made once and kept),
``keys`` (delivery keys), ``receipts``, ``seams`` (what other domains plug in:
``served_hooks``, ``served_transforms``).

Importing this package (the app imports it through delivery's endpoints, so the server, every
worker process and the tests do) connects delivery to its neighbours, each at most once:

- the content-access rule: a licence holder may read its revision
  (``assets.service.content_access_rules``);
- a paid order (or, for important data, an approved one) is granted its licence in the same
  transaction (``orders.service.paid_hooks``);
- a licence's first ``delivery.served`` moves its order to delivered
  (``served_hooks`` → ``orders.service.record_delivery``; ``order_locks`` →
  ``orders.service.lock_for_delivery``, taken before a first download's licence lock).
- a plan that stops, or a refund ruling, ends the order's licence (``orders.service.stop_hooks``
  → ``end_licence_at``), the licence locked before that transaction's journal head
  (``stop_locks`` → ``lock_licence_of_order``).

Orders never import delivery; delivery depends on orders.
"""

from sqlmodel import Session

from marketplace.assets import service as _assets
from marketplace.delivery.service.downloads import (
    Served,
    downloads_in,
    issue_url,
    serve,
    served_seqs,
)
from marketplace.delivery.service.keys import my_key, register_key
from marketplace.delivery.service.licence_end import end_licence_at, lock_licence_of_order
from marketplace.delivery.service.licences import (
    PaidOrder,
    get_licence,
    grant_licence,
    holder_may_read,
    licence_by_id,
    licence_for_order,
    licence_ids_for_asset,
    my_licences,
)
from marketplace.delivery.service.marked import marked_copy_blob_keys
from marketplace.delivery.service.receipts import receipt_draft, receipts_for_order, sign_receipt
from marketplace.delivery.service.seams import (
    PlaintextTransform,
    ServedHook,
    ServedTransform,
    order_locks,
    served_hooks,
    served_transforms,
)
from marketplace.orders import service as _orders


def grant_on_payment(session: Session, order: _orders.OrderView) -> None:
    """``orders.service.paid_hooks``: the order may be delivered, so its licence is granted."""
    grant_licence(session, order, listing=order.listing)  # as the payment read it


if holder_may_read not in _assets.content_access_rules:
    _assets.content_access_rules.append(holder_may_read)
if grant_on_payment not in _orders.paid_hooks:
    _orders.paid_hooks.append(grant_on_payment)
if _orders.record_delivery not in served_hooks:
    served_hooks.append(_orders.record_delivery)
if _orders.lock_for_delivery not in order_locks:
    order_locks.append(_orders.lock_for_delivery)
if downloads_in not in _orders.usage_counters:  # metered per download: the exchange counts
    _orders.usage_counters.append(downloads_in)
if end_licence_at not in _orders.stop_hooks:  # a subscription stops: its licence ends with it
    _orders.stop_hooks.append(end_licence_at)
if lock_licence_of_order not in _orders.stop_locks:  # locked before the journal head
    _orders.stop_locks.append(lock_licence_of_order)

__all__ = [
    "PaidOrder",
    "PlaintextTransform",
    "Served",
    "ServedHook",
    "ServedTransform",
    "downloads_in",
    "end_licence_at",
    "get_licence",
    "grant_licence",
    "grant_on_payment",
    "holder_may_read",
    "issue_url",
    "licence_by_id",
    "licence_for_order",
    "licence_ids_for_asset",
    "lock_licence_of_order",
    "marked_copy_blob_keys",
    "my_key",
    "my_licences",
    "receipt_draft",
    "receipts_for_order",
    "register_key",
    "serve",
    "served_hooks",
    "served_seqs",
    "served_transforms",
    "sign_receipt",
]
