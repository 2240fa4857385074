"""The EIP-712 message a valuer (专业评估服务商) signs to certify a valuation report. Pure: no
database, no network.

The signature binds the report's canonical hash (which covers every input, result, weight and
the issue time), the subject, the valuer's address, and a nonce and deadline against replay.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marketplace.identity import signing

PRIMARY_TYPE = "CertifiedValuation"
CERTIFICATION_TYPES: dict[str, list[dict[str, str]]] = {
    PRIMARY_TYPE: [
        {"name": "subject", "type": "string"},
        {"name": "reportHash", "type": "bytes32"},
        {"name": "valuer", "type": "address"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}


def typed_data(
    *,
    subject: str,
    report_hash: str,
    valuer: str,
    nonce: int,
    deadline: int,
    domain: Mapping[str, Any],
) -> dict[str, Any]:
    """The document to sign (bytes32 as bytes, as ``signing.sign`` takes it)."""
    message = {
        "subject": subject,
        "reportHash": bytes.fromhex(report_hash.removeprefix("0x")),
        "valuer": valuer,
        "nonce": nonce,
        "deadline": deadline,
    }
    return signing.typed_data_in(domain, PRIMARY_TYPE, CERTIFICATION_TYPES, message)
