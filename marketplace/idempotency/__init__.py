"""Idempotency keys: a money-moving route answers each ``Idempotency-Key`` once, and the money
moves once however often the request is retried. ``@idempotent`` (``route.py``) is the whole
interface; its docstring states the protocol."""

from marketplace.idempotency.route import HEADER, REPLAYED_HEADER, idempotent

__all__ = ["HEADER", "REPLAYED_HEADER", "idempotent"]
