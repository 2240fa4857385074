"""EIP-712 typed-data signatures: the exchange's domain, signing with a private key (custodial
accounts, or a client signing locally), recovering and verifying a signer, and the nonce and
deadline helpers that keep a signed message from being replayed.

Every operation goes through one digest (``digest_bytes``): the signature is made over it and a
signer recovered from it. Documents of one flat struct with plain values (every document the
exchange drafts) are hashed here directly: the domain separator and the type hash are computed
once per domain and type, each field is one 32-byte word. Any other document (nested structs,
arrays, values eth_account would coerce, or refuse) goes through eth_account's
``encode_typed_data``, so that it is hashed, or refused, exactly as wallets do.
``tests/marketplace/identity/test_signing_digest.py`` holds the two equal.

Pure functions: no database, no network. Consuming a nonce is a database matter
(``service.consume_signature_nonce``).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from coincurve import PrivateKey
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.address import is_address, to_checksum_address

from ledger.canonical import keccak256
from ledger.verify.signer import DOMAIN_NAME, DOMAIN_TYPE, DOMAIN_VERSION
from marketplace import limits

ZERO_ADDRESS = "0x" + "00" * 20
UINT256_MAX = 2**256 - 1


class SignatureError(ValueError):
    """A signature, nonce or deadline is not acceptable; the message says which."""


def domain(chain_id: int, verifying_contract: str | None) -> dict[str, Any]:
    """The exchange's EIP-712 domain on ``chain_id``. Without a contract yet, the zero address
    stands in (every signature then still binds name, version and chain)."""
    if chain_id <= 0:
        raise SignatureError("an EIP-712 domain needs a positive chain id")
    return {
        "name": DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": _contract(verifying_contract or ZERO_ADDRESS),
    }


@lru_cache(maxsize=64)
def _contract(contract: str) -> str:
    """The checksummed contract address (one per chain: checked and hashed once)."""
    if not is_address(contract):
        raise SignatureError(f"verifying contract {contract!r} is not an address")
    return str(to_checksum_address(contract))


def typed_data(
    *,
    primary_type: str,
    types: Mapping[str, list[dict[str, str]]],
    message: Mapping[str, Any],
    chain_id: int,
    verifying_contract: str | None,
) -> dict[str, Any]:
    """A full EIP-712 document (``types``, ``primaryType``, ``domain``, ``message``), the shape
    ``eth_signTypedData_v4`` takes."""
    if primary_type not in types:
        raise SignatureError(f"primary type {primary_type!r} is not among the types")
    return {
        "types": {"EIP712Domain": DOMAIN_TYPE, **{k: list(v) for k, v in types.items()}},
        "primaryType": primary_type,
        "domain": domain(chain_id, verifying_contract),
        "message": dict(message),
    }


def typed_data_in(
    domain_: Mapping[str, Any],
    primary_type: str,
    types: Mapping[str, list[dict[str, str]]],
    message: Mapping[str, Any],
) -> dict[str, Any]:
    """``typed_data`` under a domain already built (as a signing context carries it)."""
    return typed_data(
        primary_type=primary_type,
        types=types,
        message=message,
        chain_id=int(domain_["chainId"]),
        verifying_contract=str(domain_["verifyingContract"]),
    )


def wallet_json(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document with bytes as 0x-hex, as wallets (``eth_signTypedData_v4``) take it."""
    out: dict[str, Any] = _plain(dict(document))
    return out


_SCALARS = frozenset({str, int, bool, type(None)})


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, dict):
        return {k: v if type(v) in _SCALARS else _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [v if type(v) in _SCALARS else _plain(v) for v in value]
    return value


def sign(private_key: bytes, document: Mapping[str, Any]) -> str:
    """The 65-byte signature over ``document`` as 0x-hex."""
    return sign_digest(private_key, digest_bytes(document))


def sign_digest(private_key: bytes, digest_: bytes) -> str:
    """The 65-byte signature (r, s, v = 27 or 28) over an EIP-712 digest, as 0x-hex. Only for a
    digest made here from a typed document (``digest_bytes``): a key signs any 32 bytes it is
    given, a transaction's hash included."""
    assert len(digest_) == 32, "an EIP-712 digest is 32 bytes"
    # libsecp256k1 signs as eth_account does (RFC 6979 nonce, low s), without the account
    # object eth_account builds around the key first (its address: a second key derivation).
    rsv = PrivateKey(private_key).sign_recoverable(digest_, hasher=None)
    return "0x" + rsv[:64].hex() + f"{rsv[64] + 27:02x}"


def digest(document: Mapping[str, Any]) -> str:
    """The EIP-712 digest of ``document`` as 0x-hex: keccak256(0x19 0x01 domainSeparator
    hashStruct(message)), the 32 bytes a signature covers. A public journal entry holds it in
    place of a private document; anyone given the document recomputes it (eth_account, ethers)."""
    return "0x" + digest_bytes(document).hex()


def digest_bytes(document: Mapping[str, Any]) -> bytes:
    """``digest`` as 32 bytes: hashed here when the document is one flat struct of plain values,
    by eth_account otherwise (module docstring)."""
    fast = _flat_digest(document)
    if fast is not None:
        return fast
    signable = encode_typed_data(full_message=dict(document))
    return keccak256(b"\x19" + signable.version + signable.header + signable.body)


def recover(document: Mapping[str, Any], signature: str) -> str:
    """The checksummed address that signed ``document``."""
    try:
        return recover_digest(digest_bytes(document), signature)
    except SignatureError:
        raise
    except Exception as exc:  # eth_account raises several types for malformed input
        raise SignatureError(f"the signature does not recover: {exc}") from exc


# secp256k1's group order: a signature (r, s) has a twin (r, n - s) that recovers the same key.
_CURVE_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_SIGNATURE_BYTES = 65


def _check_canonical(signature: str) -> None:
    """One spelling per signature, as OpenZeppelin's ECDSA accepts: 65 bytes r ‖ s ‖ v, ``s`` in
    the lower half of the curve order (EIP-2) and ``v`` 27 or 28 (0 or 1 as some wallets give).
    eth_account also takes the twin ``n - s`` and EIP-155's ``v`` of 35 and up, which mean
    nothing for EIP-712: each would let one signature be stored in several forms."""
    try:
        raw = bytes.fromhex(signature.removeprefix("0x"))
    except ValueError as exc:
        raise SignatureError("a signature is 65 bytes of hex: r, s, v") from exc
    if len(raw) != _SIGNATURE_BYTES:
        raise SignatureError("a signature is 65 bytes: r, s, v")
    if raw[64] not in (0, 1, 27, 28):
        raise SignatureError(f"a signature's v is 27 or 28, not {raw[64]}")
    if int.from_bytes(raw[32:64], "big") > _CURVE_ORDER // 2:
        raise SignatureError("a signature's s must be in the lower half of the curve order (EIP-2)")


def recover_digest(digest_: bytes, signature: str) -> str:
    """The checksummed address whose key made ``signature`` over ``digest_``; the signature in
    its one canonical form (``_check_canonical``)."""
    _check_canonical(signature)
    try:
        return str(Account._recover_hash(digest_, signature=signature))
    except Exception as exc:  # eth_account raises several types for malformed input
        raise SignatureError(f"the signature does not recover: {exc}") from exc


def verify(document: Mapping[str, Any], signature: str, expected_address: str) -> None:
    """Raises SignatureError unless ``expected_address`` signed ``document``."""
    _check_signer(recover(document, signature), expected_address)


def verify_digest(digest_: bytes, signature: str, expected_address: str) -> None:
    """``verify`` for a document whose digest the caller already holds (``digest_bytes``)."""
    _check_signer(recover_digest(digest_, signature), expected_address)


def _check_signer(signer: str, expected_address: str) -> None:
    if signer.lower() != expected_address.lower():
        raise SignatureError(f"signed by {signer}, not by {to_checksum_address(expected_address)}")


# --- the digest of a flat document --------------------------------------------------------

_DOMAIN_FIELDS = tuple((f["name"], f["type"]) for f in DOMAIN_TYPE)
_UINT_BITS = {f"uint{8 * n}": 8 * n for n in range(1, 33)}
_FIXED_BYTES = {f"bytes{n}": n for n in range(1, 33)}
_ATOMIC = frozenset({"address", "bool", "string", "bytes", *_UINT_BITS, *_FIXED_BYTES})
_STRING_LIST = "string[]"  # the one array type the exchange signs (rights, purposes, territory)
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_HEX = re.compile(r"0x(?:[0-9a-fA-F]{2})*")


def _flat_digest(document: Mapping[str, Any]) -> bytes | None:
    """The digest of a document whose message is one struct of atomic fields with plain values
    (ints for uint, 0x-hex for addresses and bytes, str for strings, bool for bool), or None for
    eth_account to hash (or refuse) any other."""
    shape = _flat_shape(document)
    if shape is None:
        return None
    struct, fields, message = shape
    separator = _domain_separator_of(document["domain"])
    if separator is None:
        return None
    words = [_type_hash(struct, fields)]
    for name, type_ in fields:
        word = _word(type_, message.get(name))
        if word is None:
            return None
        words.append(word)
    return keccak256(b"\x19\x01" + separator + keccak256(b"".join(words)))


def _flat_shape(
    document: Mapping[str, Any],
) -> tuple[str, tuple[tuple[str, str], ...], Mapping[str, Any]] | None:
    """The one struct's name, its fields and the message, when the document is flat."""
    types, message = document.get("types"), document.get("message")
    if not isinstance(types, Mapping) or not isinstance(message, Mapping):
        return None
    structs = [name for name in types if name != "EIP712Domain"]
    if len(structs) != 1 or structs[0] in _ATOMIC or "domain" not in document:
        return None
    struct = structs[0]
    if document.get("primaryType", struct) != struct or (
        "EIP712Domain" in types and _fields(types["EIP712Domain"]) != _DOMAIN_FIELDS
    ):
        return None
    fields = _fields(types[struct])
    if fields is None or not all(t in _ATOMIC or t == _STRING_LIST for _, t in fields):
        return None
    return struct, fields, message


def _fields(declared: Any) -> tuple[tuple[str, str], ...] | None:
    if not isinstance(declared, list):
        return None
    out = []
    for field in declared:
        if not isinstance(field, Mapping) or set(field) != {"name", "type"}:
            return None
        name, type_ = field["name"], field["type"]
        if not isinstance(name, str) or not isinstance(type_, str):
            return None
        out.append((name, type_))
    return tuple(out)


@lru_cache(maxsize=64)
def _type_hash(struct: str, fields: tuple[tuple[str, str], ...]) -> bytes:
    """keccak256 of ``Struct(type1 name1,type2 name2,...)``: once per type."""
    return keccak256(f"{struct}({','.join(f'{t} {n}' for n, t in fields)})".encode())


def _domain_separator_of(domain_: Any) -> bytes | None:
    """The exchange's own domain shape only (name, version, chain id, contract): anything else
    is eth_account's to hash."""
    if not isinstance(domain_, Mapping) or set(domain_) != {n for n, _ in _DOMAIN_FIELDS}:
        return None
    name, version = domain_["name"], domain_["version"]
    chain_id, contract = domain_["chainId"], domain_["verifyingContract"]
    if not (isinstance(name, str) and isinstance(version, str) and isinstance(contract, str)):
        return None
    if _uint_word(chain_id, 256) is None or _address_word(contract) is None:
        return None
    return _domain_separator(name, version, chain_id, contract)


@lru_cache(maxsize=64)
def _domain_separator(name: str, version: str, chain_id: int, contract: str) -> bytes:
    """hashStruct(EIP712Domain): once per domain (in practice one per chain and contract)."""
    words = [
        _type_hash("EIP712Domain", _DOMAIN_FIELDS),
        keccak256(name.encode()),
        keccak256(version.encode()),
        _uint_word(chain_id, 256),
        _address_word(contract),
    ]
    assert all(w is not None for w in words)
    return keccak256(b"".join(w for w in words if w is not None))


def _word(type_: str, value: Any) -> bytes | None:
    """One field's 32-byte word in hashStruct, or None when the value is not of the plain form
    this path takes (eth_account then decides: it coerces some forms and refuses others)."""
    if type_ in _UINT_BITS:
        return _uint_word(value, _UINT_BITS[type_])
    if type_ in _FIXED_BYTES:
        raw = _hex_bytes(value)
        return raw if raw is not None and len(raw) == _FIXED_BYTES[type_] == 32 else None
    return _WORDS[type_](value)


def _string_word(value: Any) -> bytes | None:
    return keccak256(value.encode()) if isinstance(value, str) else None


def _string_list_word(value: Any) -> bytes | None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return keccak256(b"".join(keccak256(v.encode()) for v in value))


def _bool_word(value: Any) -> bytes | None:
    return (b"\x00" * 31 + (b"\x01" if value else b"\x00")) if type(value) is bool else None


def _bytes_word(value: Any) -> bytes | None:
    raw = _hex_bytes(value)
    return None if raw is None else keccak256(raw)


def _uint_word(value: Any, bits: int) -> bytes | None:
    if type(value) is not int or not 0 <= value < 1 << bits:
        return None
    return value.to_bytes(32, "big")


def _address_word(value: Any) -> bytes | None:
    """An address as its word: 0x and 40 hex digits, all one case or correctly checksummed
    (a mixed-case address with a wrong checksum is refused by eth_abi: left to it)."""
    if not isinstance(value, str) or _ADDRESS.fullmatch(value) is None:
        return None
    digits = value[2:]
    if digits != digits.lower() and digits != digits.upper() and _checksummed(value) != value:
        return None
    return bytes(12) + bytes.fromhex(digits)


@lru_cache(maxsize=1024)
def _checksummed(address: str) -> str:
    return str(to_checksum_address(address))


_WORDS: dict[str, Callable[[Any], bytes | None]] = {
    "string": _string_word,
    _STRING_LIST: _string_list_word,
    "address": _address_word,
    "bool": _bool_word,
    "bytes": _bytes_word,
}


def _hex_bytes(value: Any) -> bytes | None:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str) and _HEX.fullmatch(value) is not None:
        return bytes.fromhex(value[2:])
    return None


def new_nonce() -> int:
    """A random uint256 nonce (unordered, as in Permit2): clients never need to know a
    counter, and the server keeps the ones it has seen."""
    return secrets.randbits(256)


def deadline_after(now_s: int, seconds: int) -> int:
    """A unix-time deadline ``seconds`` from ``now_s``."""
    if not 0 < seconds <= limits.signature_deadline_s_max:
        raise SignatureError(
            f"a deadline lies 1 to {limits.signature_deadline_s_max} seconds ahead"
        )
    return now_s + seconds


def check_deadline(deadline_s: int, now_s: int) -> None:
    """Raises SignatureError when the deadline has passed or lies implausibly far ahead."""
    if deadline_s < now_s:
        raise SignatureError(f"the signed message expired {now_s - deadline_s} s ago")
    if deadline_s > now_s + limits.signature_deadline_s_max:
        raise SignatureError(
            f"the deadline lies more than {limits.signature_deadline_s_max} s ahead"
        )


def check_nonce(nonce: int) -> None:
    if not 0 <= nonce <= UINT256_MAX:
        raise SignatureError("a nonce is a uint256")
