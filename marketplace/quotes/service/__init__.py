"""The quote rules: sending (``sending``), reading with expiry applied (``reading``,
``expiry``), and the decisions on an offered quote (``deciding``). Never commits."""

from marketplace.quotes.service.deciding import accept, accept_draft, reject, withdraw
from marketplace.quotes.service.reading import for_demand, get
from marketplace.quotes.service.sending import draft, send

__all__ = ["accept", "accept_draft", "draft", "for_demand", "get", "reject", "send", "withdraw"]
