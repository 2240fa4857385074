"""Getting one batch's anchor transaction mined (steps 2 and 3 of the protocol in
``ledger/anchoring.py``): find whichever signing of the batch was mined, check what the contract
holds, simulate before sending, broadcast, replace a signing stuck unmined with higher fees, and
sign afresh when a signing was refused or mined but reverted. Every new signing is committed
before it is sent."""

from __future__ import annotations

import logging
from typing import NoReturn

from sqlalchemy.engine import Engine

from ledger import batches, limits
from ledger.batches import log_fields
from ledger.canonical import from_hex, to_hex
from ledger.chain.base import (
    AnchorChain,
    AnchorRejected,
    ChainError,
    ChainUnavailable,
    SignedAnchor,
    TxStatus,
)
from ledger.errors import AnchorConflict, AnchorReverted
from ledger.lease import Lease
from ledger.models import AnchorBatch

log = logging.getLogger("ledger.anchoring")  # the worker's one logger name, for operators


def mined_signing(chain: AnchorChain, batch: AnchorBatch) -> TxStatus | None:
    """The receipt of whichever signing of this batch was mined successfully; else the
    current signing's receipt if it was mined but reverted; else None."""
    current = chain.tx_status(from_hex(batch.tx_hash, 32))
    if current is not None and current.succeeded:
        return current
    for tx_hash in filter(None, batch.prior_tx_hashes.split(",")):
        status = chain.tx_status(from_hex(tx_hash, 32))
        if status is not None and status.succeeded:
            return status
    return current


def check_on_chain(chain: AnchorChain, batch: AnchorBatch) -> None:
    """The contract holds this batch with its root and range; else ``AnchorConflict``."""
    onchain = chain.batch(batch.id)
    if onchain is None or (
        to_hex(onchain.root),
        onchain.first_seq,
        onchain.last_seq,
    ) != (batch.root, batch.first_seq, batch.last_seq):
        raise AnchorConflict(
            f"contract batch {batch.id} is {onchain!r}, but this database's batch {batch.id} "
            f"is seq {batch.first_seq}..{batch.last_seq} root {batch.root}"
        )


def simulate(chain: AnchorChain, batch: AnchorBatch) -> bool:
    """True when the anchor would succeed now; False when the contract is no longer at
    ``first_seq - 1`` (usually: this batch's own transaction was just mined); otherwise
    raise ``AnchorReverted`` with the decoded error (nothing is sent)."""
    try:
        chain.check_anchor(from_hex(batch.root, 32), batch.first_seq, batch.last_seq)
    except AnchorRejected as exc:
        if exc.error_name == "AnchorNotContiguous":
            return False
        message = (
            f"batch {batch.id} (seq {batch.first_seq}..{batch.last_seq}): anchor would "
            f"revert with {exc}; not sent"
        )
        log.error(message, extra=log_fields(batch, reason=str(exc)))  # noqa: TRY400
        raise AnchorReverted(message, str(exc)) from None
    return True


def resign_reverted(
    engine: Engine, lease: Lease, chain: AnchorChain, batch: AnchorBatch, mined: TxStatus
) -> NoReturn:
    """The current signing was mined and reverted (its nonce is spent): log why, sign the
    batch afresh (sent by a later step, after a simulation succeeds) and back off."""
    assert not mined.succeeded
    try:
        chain.check_anchor(from_hex(batch.root, 32), batch.first_seq, batch.last_seq)
        reason = "unknown (a simulation now succeeds)"
    except AnchorRejected as exc:
        reason = str(exc)
    message = (
        f"batch {batch.id} (seq {batch.first_seq}..{batch.last_seq}): anchor tx "
        f"{batch.tx_hash} reverted in block {mined.block_number}: {reason}"
    )
    log.error(message, extra=log_fields(batch, block_number=mined.block_number, reason=reason))
    replace_signing(engine, lease, batch, chain.sign_anchor(*anchor_args(batch)))
    raise AnchorReverted(message, reason)


def broadcast(engine: Engine, lease: Lease, chain: AnchorChain, batch: AnchorBatch) -> None:
    """Send the batch's stored raw transaction (idempotent); when the node refuses it, sign
    afresh and send that."""
    try:
        chain.send_raw(from_hex(batch.raw_tx))
    except ChainUnavailable:
        raise
    except ChainError as exc:
        # The node refuses this signing (nonce used, underpriced...): sign afresh.
        log.warning(
            "batch %d: node refused its tx (%s); re-signing",
            batch.id,
            exc,
            extra=log_fields(batch),
        )
        replace_signing(engine, lease, batch, chain.sign_anchor(*anchor_args(batch)))
        chain.send_raw(from_hex(batch.raw_tx))


def reprice(engine: Engine, lease: Lease, chain: AnchorChain, batch: AnchorBatch) -> None:
    """Replace a signing not mined after ``resend_after_polls`` polls: same nonce, higher
    fees. The earlier signing may still land: ``mined_signing`` looks for every one."""
    signings = 1 + len(list(filter(None, batch.prior_tx_hashes.split(","))))
    if signings > limits.anchor_replacements_max:
        log.warning(
            "batch %d: tx not mined after %d polls; fees not raised again (%d signings)",
            batch.id,
            batch.polls,
            signings,
            extra=log_fields(batch, polls=batch.polls),
        )
        batches.save(engine, lease, batch, polls=0)
        return
    old, polls = batch.tx_hash, batch.polls
    signed = chain.sign_replacement(from_hex(batch.raw_tx))
    assert signed.nonce == batch.nonce, (signed.nonce, batch.nonce)
    replace_signing(engine, lease, batch, signed)
    log.warning(
        "batch %d: tx %s not mined after %d polls; replaced with higher fees",
        batch.id,
        old,
        polls,
        extra=log_fields(batch, replaced_tx_hash=old),
    )


def anchor_args(batch: AnchorBatch) -> tuple[bytes, int, int]:
    """(root, first_seq, last_seq): the arguments of the contract's ``anchor``."""
    return from_hex(batch.root, 32), batch.first_seq, batch.last_seq


def replace_signing(engine: Engine, lease: Lease, batch: AnchorBatch, signed: SignedAnchor) -> None:
    """Make ``signed`` the batch's current signing; the old hash joins the prior ones."""
    prior = ",".join(filter(None, [*batch.prior_tx_hashes.split(","), batch.tx_hash]))
    batches.save(
        engine,
        lease,
        batch,
        tx_hash=to_hex(signed.tx_hash),
        raw_tx=to_hex(signed.raw),
        nonce=signed.nonce,
        prior_tx_hashes=prior,
        polls=0,
    )
