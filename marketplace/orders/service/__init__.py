"""Order rules: placing an order (the buyer's signed order, priced from the listing, a quote or
an auction), reading orders (their buyer and supplier only), cancelling one, and a public-data
listing's revenue against its ceiling. Services never commit; every change appends its journal
entry in the same transaction.

Modules: ``placement`` (``place`` and the self-custody ``draft``), ``views`` (who sees an order,
and its public shape), ``cancellation``, ``revenue``, ``payment`` (``pay``, ``place_and_pay``
and the ``paid_hooks`` delivery plugs into), ``settlement`` (``record_delivery``, ``accept``,
an operator's ``approve`` and ``refuse``; the job's acceptance, settlement and expiry),
``trades`` (an organisation's settled trades, for the valuation's market approach),
``quality_checks`` (the buyer's signed re-checks of the file received),
``periods`` (subscriptions and metered usage, charged and settled per period), ``disputes``
(what the disputes domain asks of an order); ``dispute_window`` and ``window_closes_at``
(``orders/dispute_window.py``: until when a settled order or period may be disputed, which
the order's view shows and the disputes domain enforces).
"""

from marketplace.orders.dispute_window import dispute_window, window_closes_at
from marketplace.orders.service.cancellation import cancel
from marketplace.orders.service.disputes import (
    DisputedOrder,
    DisputedPeriod,
    close_dispute,
    close_period_dispute,
    lock_for_ruling,
    lock_period_for_ruling,
    mark_disputed,
    mark_period_disputed,
    party_order,
    party_period,
    period_disputable,
    traded_with,
)
from marketplace.orders.service.payment import PaidHook, paid_hooks, pay, place_and_pay
from marketplace.orders.service.periods import (
    StopHook,
    StopLock,
    order_periods,
    record_usage,
    report_usage,
    set_auto_renew,
    stop_hooks,
    stop_locks,
    usage_counters,
)
from marketplace.orders.service.placement import draft, exclusive_holder, place
from marketplace.orders.service.quality_checks import (
    add_quality_check,
    order_quality_checks,
    quality_check_draft,
    quality_check_seqs,
)
from marketplace.orders.service.revenue import public_data_revenue
from marketplace.orders.service.settlement import (
    accept,
    approve,
    lock_for_delivery,
    record_delivery,
    refuse,
)
from marketplace.orders.service.trades import (
    SettledPrice,
    SettledTrade,
    settled_prices_of,
    settled_trades_of,
)
from marketplace.orders.service.views import (
    OrderView,
    awaiting_approval,
    get_order,
    get_order_view,
    my_orders,
    order_from,
    order_public,
)

__all__ = [
    "DisputedOrder",
    "DisputedPeriod",
    "OrderView",
    "PaidHook",
    "SettledPrice",
    "SettledTrade",
    "StopHook",
    "StopLock",
    "accept",
    "add_quality_check",
    "approve",
    "awaiting_approval",
    "cancel",
    "close_dispute",
    "close_period_dispute",
    "dispute_window",
    "draft",
    "exclusive_holder",
    "get_order",
    "get_order_view",
    "lock_for_delivery",
    "lock_for_ruling",
    "lock_period_for_ruling",
    "mark_disputed",
    "mark_period_disputed",
    "my_orders",
    "order_from",
    "order_periods",
    "order_public",
    "order_quality_checks",
    "paid_hooks",
    "party_order",
    "party_period",
    "pay",
    "period_disputable",
    "place",
    "place_and_pay",
    "public_data_revenue",
    "quality_check_draft",
    "quality_check_seqs",
    "record_delivery",
    "record_usage",
    "refuse",
    "report_usage",
    "set_auto_renew",
    "settled_prices_of",
    "settled_trades_of",
    "stop_hooks",
    "stop_locks",
    "traded_with",
    "usage_counters",
    "window_closes_at",
]
