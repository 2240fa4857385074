"""Who may value an asset and certify a valuation, and what a certified valuation must state.
Pure checks on the caller and the report: no database, no network."""

from __future__ import annotations

from marketplace import limits
from marketplace.assets.errors import NotAssetOwner
from marketplace.principal import NotVerified, OrgRole, Principal, RoleRequired
from marketplace.valuation.errors import NoValueToCertify
from marketplace.valuation.report import ValuationReport


def _not_verified_valuer() -> NotVerified:
    return NotVerified(
        "organisation not verified: an operator must verify it (real-name check) before it may "
        "act as valuer"
    )


def check_may_value(principal: Principal, owner_organization_id: int) -> None:
    """The owner and operators value any asset they see; a valuer only once verified."""
    if principal.organization.id == owner_organization_id:
        return
    if OrgRole.operator.value in principal.roles:
        return
    if OrgRole.valuer.value not in principal.roles:
        raise NotAssetOwner("only the owner, an operator or a valuer may request a valuation")
    if not principal.verified:
        raise _not_verified_valuer()


def require_valuer(principal: Principal) -> None:
    """Certifying needs a verified organisation holding the valuer role."""
    if OrgRole.valuer.value not in principal.roles:
        raise RoleRequired(
            "only an organisation holding the valuer role (专业评估服务商) may certify a "
            "valuation; an operator grants it"
        )
    if not principal.verified:
        raise _not_verified_valuer()


def require_value(report: ValuationReport) -> None:
    """A certified valuation states a value; with none there is nothing to certify."""
    if report.value_minor is None:
        reasons = [report.note or ""] + [
            f"{a.approach}: {a.note}" for a in report.approaches if a.note
        ]
        raise NoValueToCertify(
            "no value to certify: "
            + "; ".join(r for r in reasons if r)
            + ". Give more inputs (e.g. at least "
            f"{limits.valuation_comparables_min} comparables) or issue an indicative valuation"
        )
