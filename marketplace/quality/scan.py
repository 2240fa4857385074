"""The byte pass: one streaming read of the raw bytes, chunk by chunk, to hash the content, find
encoding and newline problems, and prove the content can be read back. It runs in a thread beside
the table query (``scan_beside``): polars and hashlib release the GIL.
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

Progress = Callable[[int, str], None]  # (percent done 0..100, stage)
T = TypeVar("T")

# Share of the progress bar the byte pass fills.
BYTES_PERCENT = 30


@dataclass
class ByteFacts:
    """What one read of the raw bytes shows."""

    sha256: str = ""
    size_bytes: int = 0
    read_error: str | None = None
    bom: bool = False
    invalid_utf8_offset: int | None = None
    crlf: int = 0
    cr_only: int = 0
    lf_only: bool = False  # some line ends are a lone LF (not counted: it costs a full scan)

    @property
    def line_ends(self) -> str:
        styles = [
            s
            for s, seen in (("LF", self.lf_only), ("CRLF", self.crlf), ("CR", self.cr_only))
            if seen
        ]
        return styles[0] if len(styles) == 1 else "mixed" if styles else "none"


def scan_bytes(
    chunks: Iterable[bytes], *, text: bool, total_bytes: int | None, progress: Progress | None
) -> ByteFacts:
    """Hash and inspect the bytes chunk by chunk; a failing reader is recorded, not raised."""
    facts = ByteFacts()
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    cr = crlf = 0
    prev_cr = False
    first = True
    try:
        for chunk in chunks:
            digest.update(chunk)
            if text:
                if first and chunk.startswith(codecs.BOM_UTF8):
                    facts.bom = True
                first = False
                # Most files have no CR: finding none (memchr) is much faster than counting.
                if prev_cr or b"\r" in chunk:
                    pairs = chunk.count(b"\r\n") + (prev_cr and chunk[:1] == b"\n")
                    cr += chunk.count(b"\r")
                    crlf += pairs
                    facts.lf_only = facts.lf_only or chunk.count(b"\n") > pairs
                elif not facts.lf_only:
                    facts.lf_only = b"\n" in chunk
                prev_cr = chunk[-1:] == b"\r"
                # isascii() is a fast word-at-a-time scan; only non-ASCII chunks need decoding,
                # and the one after a character cut at a chunk's end.
                if facts.invalid_utf8_offset is None:
                    pending = len(decoder.getstate()[0])  # bytes of that cut character
                    if pending or not chunk.isascii():
                        try:
                            decoder.decode(chunk)
                        except UnicodeDecodeError as exc:  # exc.start counts the pending bytes
                            facts.invalid_utf8_offset = facts.size_bytes - pending + exc.start
            facts.size_bytes += len(chunk)
            if progress is not None and total_bytes:
                done = min(facts.size_bytes, total_bytes) / total_bytes
                progress(int(BYTES_PERCENT * done), "reading")
        if text and facts.invalid_utf8_offset is None:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:  # the file ends inside a character
                facts.invalid_utf8_offset = facts.size_bytes - len(decoder.getstate()[0])
    except (OSError, ValueError) as exc:  # the delivery path failed part-way
        facts.read_error = f"{type(exc).__name__}: {exc}"
    facts.sha256 = digest.hexdigest()
    facts.crlf, facts.cr_only = crlf, cr - crlf
    return facts


def scan_beside(
    chunks: Iterable[bytes],
    work: Callable[[], T],
    *,
    text: bool,
    total_bytes: int | None,
    progress: Progress | None,
) -> tuple[ByteFacts, T]:
    """``scan_bytes`` in a thread while ``work`` runs in this one; both results."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        facts = pool.submit(
            scan_bytes, chunks, text=text, total_bytes=total_bytes, progress=progress
        )
        done = work()
        return facts.result(), done


def sniff(prefix: bytes) -> ByteFacts:
    """What the first bytes say about reading the table (line ends, encoding), for the first
    attempt; a CR-only file read with LF line ends would be one header of countless columns."""
    facts = ByteFacts(cr_only=int(b"\r" in prefix and b"\n" not in prefix))
    if not prefix.isascii():
        try:
            prefix.decode()
        except UnicodeDecodeError as exc:
            if exc.end < len(prefix):  # not merely a character cut at the end of the prefix
                facts.invalid_utf8_offset = exc.start
    return facts


def scan_options(facts: ByteFacts) -> dict[str, Any]:
    """The CSV reader's encoding and line end for bytes with these facts."""
    return {
        "encoding": "utf8-lossy" if facts.invalid_utf8_offset is not None else "utf8",
        "eol_char": "\r" if facts.cr_only and not facts.lf_only and not facts.crlf else "\n",
    }
