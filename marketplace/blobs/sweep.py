"""The blob sweeper: find, and on request delete, what the blob store holds that no row names.

Blobs are written before the row that names them commits, so a process killed in between, or a
transaction rolled back after the write (an upload refused at its last check, a marked copy
whose licence's transaction failed), leaves a blob nothing names; a process killed mid-upload
leaves a partial file under ``tmp/``. Nothing reads either again.

A stored blob is kept when any domain names it: an uploaded revision (assets), a licence's
marked copy (delivery), a party's evidence (disputes). Every table with a ``blob_key`` column
must be one of these (a test holds the list to the tables). Only files last written more than
``grace_s`` ago are candidates: a blob written for a transaction still open is young, so the
sweeper never races a write. The store's files are listed before the rows are read, so a row
committed meanwhile only keeps more. Anything in the store that is neither a blob nor a partial
upload is left alone and counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session

from marketplace.assets import service as assets
from marketplace.blobs.store import FileBlobStore
from marketplace.delivery import service as delivery
from marketplace.disputes.service import evidence

_KEY = re.compile(r"^[0-9a-f]{64}$")
_PART = re.compile(r"^upload-.*\.part$")


@dataclass
class Sweep:
    """What the store holds that nothing names, older than the grace period."""

    unreferenced: list[Path] = field(default_factory=list)  # blobs no row names
    partial: list[Path] = field(default_factory=list)  # abandoned uploads under tmp/
    young: int = 0  # unnamed files written within the grace period: kept
    unknown: int = 0  # files that are neither: left alone
    size_bytes: int = 0  # of ``unreferenced`` and ``partial``

    @property
    def files(self) -> list[Path]:
        return [*self.unreferenced, *self.partial]


def referenced_keys(session: Session) -> set[str]:
    """Every blob key a row names, in every domain that stores blobs."""
    return (
        assets.revision_blob_keys(session)
        | delivery.marked_copy_blob_keys(session)
        | evidence.evidence_blob_keys(session)
    )


def find(store: FileBlobStore, session: Session, *, now_s: float, grace_s: int) -> Sweep:
    """The store's unnamed blobs and abandoned partial uploads last written before
    ``now_s - grace_s``. Reads only."""
    assert grace_s > 0, "a blob being written is young: a grace period of 0 would race it"
    files = [(path, path.stat()) for path in store.stored_files()]
    kept = referenced_keys(session)
    found = Sweep()
    for path, stat in files:
        is_part = path.parent == store.tmp_dir and _PART.match(path.name) is not None
        is_blob = path == store.root / path.name[:2] / path.name[2:4] / path.name
        if not is_part and not (is_blob and _KEY.match(path.name)):
            found.unknown += 1
        elif is_blob and path.name in kept:
            continue
        elif stat.st_mtime > now_s - grace_s:
            found.young += 1
        else:
            (found.partial if is_part else found.unreferenced).append(path)
            found.size_bytes += stat.st_size
    return found


def delete(sweep: Sweep) -> int:
    """Delete what ``find`` found; the count deleted (a file already gone is not counted)."""
    deleted = 0
    for path in sweep.files:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        deleted += 1
    return deleted
