"""The dispute rules, one module per concern (docs/disputes.md)."""

from marketplace.disputes.service import redraw as _redraw
from marketplace.identity import service as _identity

# Suspending an organisation re-draws its arbitrators' pending disputes (identity cannot import
# this package).
if _redraw.on_suspension not in _identity.suspension_hooks:
    _identity.suspension_hooks.append(_redraw.on_suspension)
