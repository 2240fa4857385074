"""Notifications: each organisation's in-app inbox, and an optional webhook per organisation
to which the exchange POSTs every notification, signed with HMAC-SHA256 and retried with
backoff. Other domains call ``service.notify``; ``delivery.DeliveryWorker`` sends."""

from marketplace.notifications.delivery import DeliveryWorker, attach_delivery
from marketplace.notifications.signing import signature, verify

__all__ = ["DeliveryWorker", "attach_delivery", "signature", "verify"]
