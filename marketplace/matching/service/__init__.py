"""Demands and matching: what endpoints, the CLI and other domains call. Never commits.

- ``demands``: posting, reading, closing, fulfilling (the quotes domain calls ``lock_to_award``
  then ``fulfil``) and expiring demands, each through the demand lifecycle with its journal
  entry; the demand a quote answers (``open_for_quote``, and ``held_open_for_quote``,
  share-locked, for sending one);
- ``matches``: the engine (a demand's ranked matches; a new listing against the open demands)
  and the notifications it sends;
- ``inbox``: a supplier's inbox, the open demands its own listings match, best first.
"""

from marketplace.matching.service.demands import (
    close,
    expire_due,
    fulfil,
    get,
    held_open_for_quote,
    lock_to_award,
    mine,
    open_demands,
    open_for_quote,
    post,
)
from marketplace.matching.service.inbox import matched_demands
from marketplace.matching.service.matches import (
    match_new_listing,
    matches,
    notify_suppliers,
    rank,
)

__all__ = [
    "close",
    "expire_due",
    "fulfil",
    "get",
    "held_open_for_quote",
    "lock_to_award",
    "match_new_listing",
    "matched_demands",
    "matches",
    "mine",
    "notify_suppliers",
    "open_demands",
    "open_for_quote",
    "post",
    "rank",
]
