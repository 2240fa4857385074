"""What a verification is pinned to (``--contract``, ``--trust`` or the saved trust file),
shared by ``bourse verify`` and ``bourse ledger verify``, and how both end.

Exit statuses of both verifiers: 0 verified against a pinned contract; 1 INVALID / FAILED;
2 usage error (a bad option, an unreadable trust file); 3 verified, but against a contract
nothing pinned (the output names it) — never a full pass."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from ledger.trust import Pin

EXIT_USAGE = 2
EXIT_UNPINNED = 3  # verified, but against a contract nothing pinned: not a full pass
WELL_KNOWN_PATH = "/.well-known/databourse.json"

ContractOption = Annotated[
    str | None,
    typer.Option(
        "--contract",
        help="Pin the exchange's LedgerAnchor address: anything naming another is INVALID.",
    ),
]
TrustOption = Annotated[
    Path | None,
    typer.Option(
        "--trust",
        help="Pin the contract and chain of a trust file (`bourse ledger trust save`; default "
        "DATABOURSE_TRUST_FILE, else the saved one in the config directory).",
    ),
]


def exit_with(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` on one line to stderr; ``raise exit_with(...)`` ends the command."""
    print(message.replace("\n", " "), file=sys.stderr)
    return typer.Exit(code)


def auditor_setting(name: str) -> str | None:
    """``DATABOURSE_<NAME>`` from the auditor's own environment. What a check is pinned to and
    the chain it reads never come from a ``.env`` file of the working directory (the settings
    read one): whoever prepared that directory could pin the check to a contract of theirs."""
    return os.environ.get(f"DATABOURSE_{name}") or None


def default_trust_path() -> Path:
    """Where `bourse ledger trust save` writes, and the verifiers look, by default."""
    from marketplace.cli.common import config_dir

    explicit = auditor_setting("TRUST_FILE")
    return Path(explicit) if explicit else config_dir() / "trust.json"


def pin_of(contract: str | None, trust: Path | None) -> Pin | None:
    """What the check is pinned to: ``--contract``, else ``--trust FILE``, else the trust file
    saved once (DATABOURSE_TRUST_FILE or the config directory's), else the operator's
    DATABOURSE_ANCHOR_CONTRACT_ADDRESS; None when nothing pins it."""
    from ledger.trust import Pin, TrustInvalid, parse_trust

    if contract is not None and trust is not None:
        # Two pins that may disagree: refuse rather than silently trust one of them.
        raise exit_with("error: give --contract or --trust, not both", EXIT_USAGE)
    try:
        if contract is not None:
            return Pin.of(contract)
        path = trust
        if path is None and (auditor_setting("TRUST_FILE") or default_trust_path().exists()):
            path = default_trust_path()
        if path is not None:
            try:
                data = path.read_bytes()
            except OSError as exc:
                message = f"error: cannot read trust file {path}: {exc.strerror}"
                raise exit_with(message, EXIT_USAGE) from None
            return parse_trust(data).pin
        address = auditor_setting("ANCHOR_CONTRACT_ADDRESS")
        return None if address is None else Pin.of(address)
    except TrustInvalid as exc:
        raise exit_with(f"error: {exc}", EXIT_USAGE) from None


def unpinned(contract: str, source: str) -> typer.Exit:
    """Say which contract a check trusted unpinned, and why that is not a full pass."""
    from ledger.trust import shown_address

    print(
        f"NOT PINNED: this check trusted contract {shown_address(contract)} because {source} "
        "names it; anyone "
        "can deploy a LedgerAnchor, so compare it with the address the exchange publishes "
        f"({WELL_KNOWN_PATH}) and pin it with --contract or --trust (exit status "
        f"{EXIT_UNPINNED})"
    )
    return typer.Exit(EXIT_UNPINNED)
