"""Demand and matching errors, each with its HTTP status and a stable code."""

from __future__ import annotations

from marketplace.errors import Conflict, Forbidden, NotFound, Unprocessable


class DemandNotFound(NotFound):
    code = "demand_not_found"


class NotDemandOwner(Forbidden):
    code = "not_demand_owner"


class DemandStateConflict(Conflict):
    """The demand lifecycle's 409: the event is not allowed in the demand's state."""

    code = "demand_state"


class InvalidDemand(Unprocessable):
    code = "invalid_demand"
