"""Order rules: placing an order (the buyer's signed order, priced from the listing, a quote or
an auction), reading orders (their buyer and supplier only), cancelling one, and a public-data
listing's revenue against its ceiling. Services never commit; every change appends its journal
entry in the same transaction.

Modules: ``placement`` (``place`` and the self-custody ``draft``), ``views`` (who sees an order,
and its public shape), ``cancellation``, ``revenue``.
"""

from marketplace.orders.service.cancellation import cancel
from marketplace.orders.service.placement import draft, exclusive_holder, place
from marketplace.orders.service.revenue import public_data_revenue
from marketplace.orders.service.views import get_order, my_orders, order_from, order_public

__all__ = [
    "cancel",
    "draft",
    "exclusive_holder",
    "get_order",
    "my_orders",
    "order_from",
    "order_public",
    "place",
    "public_data_revenue",
]
