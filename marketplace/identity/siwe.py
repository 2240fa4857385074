"""Sign-In with Ethereum (EIP-4361): parse and check a signed message, and build one.

The ``siwe`` library parses and formats messages (its ABNF grammar). We do not call its
``SiweMessage.verify``: that builds a ``Web3`` with an automatic provider and, for addresses
whose signature does not recover, may try an EIP-1271 contract call over the network. Instead
the signature is recovered here with eth_account over the exact text the wallet signed, and
each field is checked with its own clear error, so nothing here can reach a network.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta

from eth_account import Account
from eth_account.messages import encode_defunct

from marketplace import limits

with warnings.catch_warnings():
    # Importing siwe imports web3 (websockets.legacy DeprecationWarning) and loads an ABNF
    # grammar that redefines RFC 5234 core rules (abnf's GrammarWarning). Both are the
    # libraries' own business; pytest runs with warnings as errors.
    warnings.simplefilter("ignore")
    from siwe import ISO8601Datetime, SiweMessage

STATEMENT = "Sign in to Databourse."


class SiweRejected(ValueError):
    """The message is not acceptable; ``str(exc)`` says what was wrong."""


@dataclass(frozen=True)
class CheckedMessage:
    address: str  # EIP-55
    nonce: str
    chain_id: int
    domain: str


def _parse(message: str) -> SiweMessage:
    if len(message.encode()) > limits.siwe_message_bytes_max:
        raise SiweRejected(f"the SIWE message is over {limits.siwe_message_bytes_max} bytes")
    try:
        return SiweMessage.from_message(message)
    except Exception as exc:  # the parser raises ValueError, pydantic errors and others
        raise SiweRejected("the message is not an EIP-4361 Sign-In with Ethereum message") from exc


def _time(value: str | None) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value)  # the parser has checked RFC 3339 form
    if moment.tzinfo is None:
        raise SiweRejected("the message's times must carry a time zone")
    return moment


def check(
    message: str,
    signature: str,
    *,
    domain: str,
    chain_id: int | None,
    now: datetime,
    skew_s: int = limits.siwe_clock_skew_s,
) -> CheckedMessage:
    """Checks everything that needs no database: form, domain, chain id, times, signature.

    The nonce is the caller's to check (known, unused, unexpired) and to consume."""
    parsed = _parse(message)
    if parsed.domain != domain:
        raise SiweRejected(
            f"wrong domain: the message is for {parsed.domain!r}, this exchange is {domain!r}"
        )
    if chain_id is None:
        raise SiweRejected("this exchange has no chain id configured; SIWE is unavailable")
    if int(parsed.chain_id) != chain_id:
        raise SiweRejected(
            f"wrong chain id: the message says {parsed.chain_id}, this exchange runs on {chain_id}"
        )
    skew = timedelta(seconds=skew_s)
    issued_at = _time(parsed.issued_at)
    assert issued_at is not None
    if issued_at > now + skew:
        raise SiweRejected("the message's issued-at time lies in the future; check your clock")
    if issued_at < now - timedelta(seconds=limits.siwe_nonce_ttl_s) - skew:
        raise SiweRejected("the message was issued too long ago; ask for a new nonce")
    expires = _time(parsed.expiration_time)
    if expires is not None and expires <= now - skew:
        raise SiweRejected("the message has expired; sign a new one")
    not_before = _time(parsed.not_before)
    if not_before is not None and not_before > now + skew:
        raise SiweRejected("the message is not valid yet (not-before lies in the future)")
    if len(signature) > limits.siwe_signature_length_max:
        raise SiweRejected("bad signature: too long")
    try:
        signer = Account.recover_message(encode_defunct(text=message), signature=signature)
    except Exception as exc:  # malformed hex, wrong length, bad v/r/s
        raise SiweRejected("bad signature: it is not a valid secp256k1 signature") from exc
    if signer != parsed.address:
        raise SiweRejected(f"bad signature: the message was not signed by {parsed.address}")
    return CheckedMessage(
        address=str(parsed.address),
        nonce=parsed.nonce,
        chain_id=int(parsed.chain_id),
        domain=parsed.domain,
    )


def build(
    *,
    domain: str,
    uri: str,
    address: str,
    chain_id: int,
    nonce: str,
    issued_at: datetime,
    expiration_time: datetime | None = None,
    statement: str = STATEMENT,
) -> str:
    """An EIP-4361 message ready for EIP-191 signing (what a wallet shows)."""
    msg = SiweMessage(
        domain=domain,
        address=address,
        uri=uri,
        version="1",
        chain_id=chain_id,
        issued_at=ISO8601Datetime.from_datetime(issued_at),
        nonce=nonce,
        statement=statement,
        expiration_time=(
            ISO8601Datetime.from_datetime(expiration_time) if expiration_time else None
        ),
    )
    text: str = msg.prepare_message()
    return text
