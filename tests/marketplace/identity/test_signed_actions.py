"""Every EIP-712 document the API accepts from a self-custody caller refuses, with a clear 4xx
and without changing anything (no row, no journal entry, no held money), a signature that is
replayed (as sent, or with the signature's other s), expired, made for another chain, made
for another verifying contract, or made by another key; and takes the one the caller was asked
for, once.

The table ``SIGNED_ACTIONS`` is checked against the code: a function that takes a caller's
signature (``identity.signature_of``, ``identity.sign_as`` or ``sign_digest_as``,
``signing.verify`` or ``verify_digest``) or a new EIP-712 type that is not in it (or in
``NOT_FROM_CALLERS``, with the reason) fails ``test_every_signed_action_is_in_the_table``."""

from __future__ import annotations

import ast
import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine

from marketplace.identity import signing
from marketplace.runtime import Runtime
from marketplace.tables import metadata
from tests.marketplace.assets.helpers import Party
from tests.marketplace.identity import signed_actions as scenarios
from tests.marketplace.identity.signed_actions import Scenario, World, sign
from tests.marketplace.orders import conftest as orders

# The order fixtures (an app on the test database, an operator, a verified supplier and buyer).
blob_dir = orders.blob_dir
asset_runtime = orders.asset_runtime
api = orders.api
ops = orders.ops
supplier = orders.supplier
buyer = orders.buyer

REPO_ROOT = Path(__file__).resolve().parents[3]
OTHER_CONTRACT = "0x" + "c0ffee" * 6 + "c0ff"
Expire = Callable[[dict[str, Any], datetime], dict[str, Any]]


@dataclass(frozen=True)
class SignedAction:
    name: str  # the EIP-712 type, and the route when more than one takes it
    primary_type: str  # the EIP-712 type the caller signs
    route: str  # the request that takes the signature (others sharing the code are in docs)
    takes_signature_in: tuple[str, ...]  # module:function that checks the caller's signature
    scenario: Callable[[World], Scenario]
    refused_as: str  # the error a signature not over the document asked for answers
    expire: Expire | None  # how a signed document expires; None: it has no time limit (why)
    expired_as: str | None  # the error an expired document answers
    # The error a second send of the same signed body answers: the first guard it meets, which
    # is the nonce unless the first send moved the subject on (a listed offer, a submitted
    # asset, a ruled dispute) or the document is bound to one thing that takes it once.
    replay_error: str


SIGNED_ACTIONS: dict[str, SignedAction] = {
    a.name: a
    for a in (
        SignedAction(
            name="ListingOffer",
            primary_type="ListingOffer",
            route="POST /listings",
            takes_signature_in=("marketplace.listings.service.creation:_signature",),
            scenario=scenarios.listing_offer,
            refused_as="signature_rejected",
            expire=scenarios.past_deadline,
            expired_as="signature_rejected",
            replay_error="duplicate_listing",
        ),
        SignedAction(
            name="AssetRegistration",
            primary_type="AssetRegistration",
            route="POST /assets/{id}/submit",
            takes_signature_in=("marketplace.assets.service.review:supplier_signature",),
            scenario=scenarios.asset_registration,
            refused_as="invalid_content",
            expire=scenarios.past_deadline,
            expired_as="signature_rejected",
            replay_error="asset_state",
        ),
        SignedAction(
            name="Quote",
            primary_type="Quote",
            route="POST /demands/{id}/quotes",
            takes_signature_in=("marketplace.quotes.service.sending:_signed",),
            scenario=scenarios.quote,
            refused_as="quote_signature_invalid",
            expire=scenarios.past_deadline,
            expired_as="signature_rejected",
            replay_error="nonce_reused",
        ),
        SignedAction(
            name="CertifiedValuation",
            primary_type="CertifiedValuation",
            route="POST /assets/{id}/valuations",
            takes_signature_in=("marketplace.valuation.service:issue_certified",),
            scenario=scenarios.certified_valuation,
            refused_as="signature_rejected",
            expire=scenarios.past_deadline,
            expired_as="signature_rejected",
            replay_error="nonce_reused",
        ),
        SignedAction(
            name="Order",
            primary_type="Order",
            route="POST /orders/purchase",
            takes_signature_in=("marketplace.orders.service.placement:_buyer_signature",),
            scenario=scenarios.order,
            refused_as="signature_rejected",
            expire=scenarios.past_deadline,
            expired_as="signature_rejected",
            replay_error="nonce_reused",
        ),
        # A receipt states a served download's hash: it is bound to that one download (one
        # receipt each) and stays true, so the type has no nonce and no deadline.
        SignedAction(
            name="DeliveryReceipt",
            primary_type="DeliveryReceipt",
            route="POST /licences/{id}/receipt",
            takes_signature_in=("marketplace.delivery.service.receipts:sign_receipt",),
            scenario=scenarios.delivery_receipt,
            refused_as="receipt_mismatch",
            expire=None,
            expired_as=None,
            replay_error="receipt_exists",
        ),
        # A check is bound to its order, file, report and differences (each once), and states
        # what the buyer found: no nonce, no deadline.
        SignedAction(
            name="QualityCheck",
            primary_type="QualityCheck",
            route="POST /orders/{id}/quality-checks",
            takes_signature_in=("marketplace.orders.service.quality_checks:add_quality_check",),
            scenario=scenarios.quality_check,
            refused_as="quality_check_mismatch",
            expire=None,
            expired_as=None,
            replay_error="quality_check_exists",
        ),
        SignedAction(
            name="Evidence",
            primary_type="Evidence",
            route="POST /upload/disputes/{id}/evidence",
            takes_signature_in=("marketplace.disputes.service.evidence:_signed",),
            scenario=scenarios.evidence,
            refused_as="invalid_evidence",
            expire=scenarios.stale_submission,
            expired_as="invalid_evidence",
            replay_error="evidence_exists",
        ),
        SignedAction(
            name="Ruling",
            primary_type="Ruling",
            route="POST /disputes/{id}/ruling",
            takes_signature_in=("marketplace.disputes.service.rulings:_signed",),
            scenario=scenarios.ruling,
            refused_as="invalid_dispute",
            expire=scenarios.past_deadline,
            expired_as="signature_rejected",
            replay_error="dispute_state",
        ),
        SignedAction(
            name="Order.quote_accept",
            primary_type="Order",
            route="POST /quotes/{id}/accept",
            takes_signature_in=("marketplace.orders.service.placement:_buyer_signature",),
            scenario=scenarios.quote_acceptance,
            refused_as="signature_rejected",
            expire=scenarios.past_deadline,
            expired_as="signature_rejected",
            replay_error="quote_state",
        ),
        SignedAction(
            name="Evidence.statement",
            primary_type="Evidence",
            route="POST /disputes/{id}/evidence",
            takes_signature_in=("marketplace.disputes.service.evidence:_signed",),
            scenario=scenarios.statement,
            refused_as="invalid_evidence",
            expire=scenarios.stale_submission,
            expired_as="invalid_evidence",
            replay_error="evidence_exists",
        ),
    )
}

# EIP-712 types and signature checks that no caller's request is refused or taken by.
NOT_FROM_CALLERS: dict[str, str] = {
    "RegistrationCountersignature": "signed by the exchange's own key when it approves an asset",
    "marketplace.assets.certificate:check_certificate": (
        "checks a certificate the exchange issued (both signatures), when it is read or verified"
    ),
}

# Where the code takes a signature: what it calls, and the folders it is not looked for in
# (client-side code, and the identity package that provides these functions).
SIGNATURE_TAKERS = {
    "service.signature_of",
    "service.sign_as",
    "service.sign_digest_as",
    "signing.verify",
    "signing.verify_digest",
}
CLIENT_SIDE = ("marketplace/client/", "marketplace/cli/", "marketplace/identity/")


@functools.cache
def _modules() -> tuple[tuple[str, ast.Module], ...]:
    """Every marketplace module looked in, by dotted name, parsed once."""
    found = []
    for path in sorted((REPO_ROOT / "marketplace").rglob("*.py")):
        rel = path.relative_to(REPO_ROOT).as_posix()
        if not rel.startswith(CLIENT_SIDE):
            name = rel.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
            found.append((name, ast.parse(path.read_text(), filename=rel)))
    return tuple(found)


SIGNING_MODULES = ("marketplace.identity.signing", "marketplace.identity.service")


def _aliases(tree: ast.Module) -> dict[str, str]:
    """The names a module gives the identity signing module, the identity service and their
    functions: ``{local name: what it names}`` (``signing``, ``service`` or ``signing.verify``)."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "marketplace.identity":
            for alias in node.names:
                if f"{node.module}.{alias.name}" in SIGNING_MODULES:
                    found[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module in SIGNING_MODULES:
            for alias in node.names:
                found[alias.asname or alias.name] = f"{node.module.rsplit('.', 1)[1]}.{alias.name}"
    return found


def _called(node: ast.AST, aliases: dict[str, str]) -> set[str]:
    """The functions of the signing module and the identity service that ``node`` calls, as
    ``signing.verify`` or ``service.signature_of``."""
    found = set()
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        func = call.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            if (module := aliases.get(func.value.id)) in ("signing", "service"):
                found.add(f"{module}.{func.attr}")
        elif isinstance(func, ast.Name) and "." in aliases.get(func.id, ""):
            found.add(aliases[func.id])
    return found


def signature_takers() -> set[str]:
    """Every module:function outside client-side code that signs for, or checks the signature
    of, an account (the custodial key signs where a self-custody caller's signature is
    checked, so both name a signed action)."""
    found = set()
    for module, tree in _modules():
        aliases = _aliases(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and _called(node, aliases) & SIGNATURE_TAKERS:
                found.add(f"{module}:{node.name}")
    return found


def _primary_type(module: str, call: ast.Call) -> str | None:
    """The primary type of a ``signing.typed_data_in(domain, TYPE, ...)`` or
    ``signing.typed_data(primary_type=TYPE, ...)`` call (a literal or a module constant)."""
    assert isinstance(call.func, ast.Attribute)
    if call.func.attr == "typed_data_in" and len(call.args) >= 2:
        arg: ast.expr | None = call.args[1]
    elif call.func.attr == "typed_data":
        arg = next((k.value for k in call.keywords if k.arg == "primary_type"), None)
    else:
        return None
    if isinstance(arg, ast.Constant):
        return str(arg.value)
    assert isinstance(arg, ast.Name), f"{module}: a primary type the test cannot read"
    return str(getattr(importlib.import_module(module), arg.id))


def eip712_types() -> set[str]:
    """Every EIP-712 primary type the marketplace builds documents of."""
    found = set()
    for module, tree in _modules():
        aliases = _aliases(tree)
        for call in ast.walk(tree):
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and isinstance(call.func.value, ast.Name)
                and aliases.get(call.func.value.id) == "signing"
                and (kind := _primary_type(module, call)) is not None
            ):
                found.add(kind)
    return found


def test_every_signed_action_is_in_the_table() -> None:
    takers = {t for a in SIGNED_ACTIONS.values() for t in a.takes_signature_in}
    missing_takers = signature_takers() - takers - NOT_FROM_CALLERS.keys()
    assert missing_takers == set(), (
        f"{sorted(missing_takers)} take a caller's signature: add them to SIGNED_ACTIONS"
    )
    types = {a.primary_type for a in SIGNED_ACTIONS.values()}
    missing_types = eip712_types() - types - NOT_FROM_CALLERS.keys()
    assert missing_types == set(), f"EIP-712 types {sorted(missing_types)} are not in the table"
    stale = (takers | types) - signature_takers() - eip712_types()
    assert stale == set(), f"{sorted(stale)} are in the table but not in the code"


# The answer an idempotency key got, a refusal included, is kept so that the same key replays
# it: a record of the request, not a business change.
NOT_STATE = {"idempotency_record"}


def state(engine: Engine) -> dict[str, list[str]]:
    """Every row of every table, as text: what a refused request must leave as it was."""
    with engine.connect() as conn:
        return {
            table.name: sorted(repr(tuple(row)) for row in conn.execute(select(table)))
            for table in metadata.sorted_tables
            if table.name not in NOT_STATE
        }


def changed(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    return sorted(name for name in before if before[name] != after[name])


def _with_domain(typed: dict[str, Any], **domain: Any) -> dict[str, Any]:
    return {**typed, "domain": {**typed["domain"], **domain}}


def attacks(action: SignedAction, scenario: Scenario) -> dict[str, tuple[dict[str, Any], str, str]]:
    """The refused sends, by the name of the attack: (document signed, signature, the error
    expected)."""
    typed, wallet = scenario.typed, scenario.wallet
    chain_id = int(typed["domain"]["chainId"])
    other_chain = _with_domain(typed, chainId=chain_id + 1)
    other_contract = _with_domain(typed, verifyingContract=OTHER_CONTRACT)
    refused = action.refused_as
    found = {
        "another chain": (other_chain, sign(wallet, other_chain), refused),
        "another contract": (other_contract, sign(wallet, other_contract), refused),
        "another signer": (typed, sign(Account.create(), typed), refused),  # type: ignore[arg-type]
        # The signer's own signature in its other form (r, n - s): one signature, one spelling.
        "the other s": (typed, other_s(sign(wallet, typed)), refused),
    }
    if action.expire is not None:
        assert action.expired_as is not None
        expired = action.expire(typed, datetime.now(UTC))
        found["expired"] = (expired, sign(wallet, expired), action.expired_as)
    return found


SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def other_s(signature: str) -> str:
    """The same signer's other signature over the same digest, (r, n - s, the other v):
    eth_account recovers the signer from both; the exchange takes the low-s one only."""
    raw = bytes.fromhex(signature.removeprefix("0x"))
    s_value = int.from_bytes(raw[32:64], "big")
    v = raw[64]
    flipped = {27: 28, 28: 27, 0: 1, 1: 0}[v]
    return "0x" + (raw[:32] + (SECP256K1_N - s_value).to_bytes(32, "big") + bytes([flipped])).hex()


def _refusal(r: httpx.Response, error: str) -> str | None:
    """What is wrong with ``r`` as a refusal with ``error`` (None when it is a clear 4xx)."""
    if not 400 <= r.status_code < 500:
        return f"answered {r.status_code}: {r.text[:300]}"
    body = r.json()
    if not (isinstance(body, dict) and body.get("error") and body.get("message")):
        return f"answered {r.status_code} without error and message: {r.text[:300]}"
    if body["error"] != error:
        return f"answered {body['error']}, not {error}: {body['message'][:300]}"
    return None


@pytest.fixture
def world(
    api: TestClient,
    asset_runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    *,
    ops: Party,
    supplier: Party,
    buyer: Party,
) -> World:
    return World(api, asset_runtime, ops, supplier, buyer, monkeypatch)


@pytest.mark.parametrize("name", sorted(SIGNED_ACTIONS))
def test_a_signed_action_refuses_every_bad_signature_and_takes_the_good_one_once(
    name: str, world: World
) -> None:
    action = SIGNED_ACTIONS[name]
    scenario = action.scenario(world)
    assert scenario.typed["primaryType"] == action.primary_type
    engine = world.runtime.engine
    failures = []
    before = state(engine)
    for attack, (signed, signature, error) in attacks(action, scenario).items():
        r = scenario.send(signed, signature)
        if why := _refusal(r, error):
            failures.append(f"{attack}: {why}")
        if moved := changed(before, state(engine)):
            failures.append(f"{attack}: changed {', '.join(moved)}")

    asked = scenario.typed, sign(scenario.wallet, scenario.typed)
    good = scenario.send(*asked)
    if not good.is_success:
        failures.append(f"the document asked for: refused, {good.text[:300]}")
    else:
        taken = state(engine)
        if why := _refusal(scenario.send(*asked), action.replay_error):
            failures.append(f"replayed: {why}")
        if moved := changed(taken, state(engine)):
            failures.append(f"replayed: changed {', '.join(moved)}")
    assert failures == [], f"{action.route} ({action.primary_type}): {failures}"


def test_a_signature_is_taken_in_its_canonical_form_only() -> None:
    """eth_account recovers the signer from the twin (r, n - s) with v flipped and from EIP-155
    v values (35 and up) too: one signature in several spellings. Only r, s, v with a low s and
    v 27/28 (or 0/1, as some wallets give) is taken, as OpenZeppelin's ECDSA does."""
    wallet = Account.create()
    typed = signing.typed_data(
        primary_type="Ping",
        types={"Ping": [{"name": "n", "type": "uint256"}]},
        message={"n": 1},
        chain_id=31337,
        verifying_contract=None,
    )
    signature = signing.sign(bytes(wallet.key), typed)
    raw = bytes.fromhex(signature.removeprefix("0x"))
    eip155 = "0x" + (raw[:64] + bytes([raw[64] - 27 + 37])).hex()
    for other in (other_s(signature), eip155):
        digest = signing.digest_bytes(typed)
        assert Account._recover_hash(digest, signature=other) == wallet.address
        with pytest.raises(signing.SignatureError, match=r"lower half|v is 27 or 28"):
            signing.recover(typed, other)
    assert signing.recover(typed, "0x" + (raw[:64] + bytes([raw[64] - 27])).hex()) == (
        wallet.address
    )
    assert signing.recover(typed, signature) == wallet.address
