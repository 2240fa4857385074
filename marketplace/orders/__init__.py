"""Orders: a buyer's signed order for a listing (or an accepted quote, or an auction it won),
its lifecycle (``lifecycle.py``) and the EIP-712 document it signs (``document.py``)."""

from marketplace.orders.document import OrderToSign
from marketplace.orders.lifecycle import OrderEvent, OrderStatus

__all__ = ["OrderEvent", "OrderStatus", "OrderToSign"]
