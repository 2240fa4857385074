"""The ODRL policy of a listing checked against the ODRL 2.2 Information Model and Vocabulary
(W3C Recommendation, 2018): its JSON-LD context is inline (a processor fetches nothing), and
every term, once expanded through that context, is an ODRL 2.2 class, property, action, left
operand or operator; an ``Offer`` gives each rule exactly one assigner, target and action."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.marketplace.assets.helpers import Party
from tests.marketplace.listings.helpers import approved, create_listing, terms

ODRL = "http://www.w3.org/ns/odrl/2/"
#: The ODRL 2.2 terms a listing's policy may use, by role (from the ODRL 2.2 Vocabulary).
PROPERTIES = {
    "profile", "permission", "prohibition", "target", "assigner", "action", "constraint",
    "leftOperand", "operator", "rightOperand",
}  # fmt: skip
CLASSES = {"Offer", "Party"}
ACTIONS = {"use", "distribute", "derive", "reproduce"}
LEFT_OPERANDS = {"purpose", "elapsedTime", "spatial", "count", "dateTime"}
OPERATORS = {"eq", "lteq", "isAnyOf"}
VOCAB_VALUED = {"action": ACTIONS, "leftOperand": LEFT_OPERANDS, "operator": OPERATORS}


def expand(context: dict[str, Any], term: str) -> str:
    """A term's IRI through the inline context (a compact IRI ``odrl:x`` expanded too)."""
    definition = context[term]
    iri = definition["@id"] if isinstance(definition, dict) else definition
    prefix, _, local = iri.partition(":")
    return str(context[prefix]) + local if prefix in context else str(iri)


def walk(node: Any, context: dict[str, Any], seen: set[str]) -> None:
    """Expand every key and every @vocab value of ``node``; fail on a term the context lacks."""
    if isinstance(node, list):
        for item in node:
            walk(item, context, seen)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "@type" and value in context:
            seen.add(expand(context, value))
        if key.startswith("@") or key == "uid":
            continue
        assert key in context, f"{key!r} is not defined in the inline context"
        seen.add(expand(context, key))
        if key in VOCAB_VALUED:
            assert value in VOCAB_VALUED[key], f"{value!r} is not an ODRL 2.2 {key}"
            seen.add(expand(context, value))
        else:
            walk(value, context, seen)


def policy_of(api: TestClient, listing_id: int) -> dict[str, Any]:
    r = api.get(f"/listings/{listing_id}/odrl")  # public: no login
    assert r.status_code == 200, r.text
    policy: dict[str, Any] = r.json()
    return policy


def test_the_policy_uses_only_odrl_terms_through_an_inline_context(
    api: TestClient, ops: Party, supplier: Party
) -> None:
    listing = create_listing(api, supplier, approved(api, supplier, ops))
    policy = policy_of(api, listing["id"])
    context = policy["@context"]
    assert isinstance(context, dict), "a remote context would be fetched at run time"
    assert all(not isinstance(v, str) or ":" in v or v.startswith("@") for v in context.values())
    assert context["odrl"] == ODRL
    seen: set[str] = set()
    walk(policy, context, seen)
    allowed = PROPERTIES | CLASSES | ACTIONS | LEFT_OPERANDS | OPERATORS
    assert seen <= {ODRL + term for term in allowed}
    assert expand(context, policy["@type"]) == ODRL + "Offer"
    for term in ("use", "derive", "distribute", "purpose", "elapsedTime", "spatial", "count"):
        assert ODRL + term in seen, term
    for rule in policy["permission"] + policy["prohibition"]:
        assert isinstance(rule["assigner"], dict)  # exactly one assigner per rule of an Offer
        assert rule["assigner"]["@id"] == f"urn:ethereum:{listing['signer']}"
        assert isinstance(rule["target"], str)
        assert isinstance(rule["action"], str)


def test_the_constraints_type_their_right_operands(
    api: TestClient, ops: Party, supplier: Party
) -> None:
    listing = create_listing(api, supplier, approved(api, supplier, ops), terms=terms())
    policy = policy_of(api, listing["id"])
    constraints = {c["leftOperand"]: c for c in policy["permission"][0]["constraint"]}
    duration = constraints["elapsedTime"]["rightOperand"]
    assert duration["@type"] == "xsd:duration"
    assert duration["@value"].startswith("P")
    assert constraints["count"]["rightOperand"]["@type"] == "xsd:integer"
    assert policy["@context"]["xsd"] == "http://www.w3.org/2001/XMLSchema#"
    for listed in ("purpose", "spatial"):
        assert constraints[listed]["operator"] == "isAnyOf"
        assert all("@id" in v for v in constraints[listed]["rightOperand"])
