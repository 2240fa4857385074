"""Decompression bounds for files the exchange keeps for others to open: a zip, gzip, bzip2 or xz
file (recognised by its first bytes, whatever media type it claims) is expanded once, in
chunks, against a budget of expanded bytes and of members, archives inside it included, and
refused as soon as it goes over, before more is inflated. So a 20 KiB "zip bomb" that unpacks to
gigabytes costs a few hundred kilobytes of memory and the time to inflate the budget.

Python's zipfile reads no member past its declared size (a lie ends in a CRC error, which is
refused too), so the budget holds whatever the central directory claims.
"""

from __future__ import annotations

import bz2
import io
import lzma
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO

from marketplace import limits

_CHUNK_BYTES = 1024 * 1024
_GZIP_WBITS = 16 + zlib.MAX_WBITS  # a gzip header and trailer around deflate data


class ArchiveRefused(ValueError):
    """The file expands past a bound (``too_large``) or cannot be read as what its first bytes
    say it is; the message says which."""

    def __init__(self, message: str, *, too_large: bool) -> None:
        super().__init__(message)
        self.too_large = too_large


@dataclass(frozen=True)
class Bounds:
    expanded_bytes_max: int = field(default_factory=lambda: limits.archive_expanded_bytes_max)
    members_max: int = field(default_factory=lambda: limits.archive_members_max)
    nesting_depth_max: int = field(default_factory=lambda: limits.archive_nesting_depth_max)


@dataclass
class _Budget:
    bounds: Bounds
    expanded_bytes: int = 0
    members: int = 0

    def spend(self, size_bytes: int) -> None:
        self.expanded_bytes += size_bytes
        if self.expanded_bytes > self.bounds.expanded_bytes_max:
            raise ArchiveRefused(
                f"the file is an archive that expands to more than "
                f"{self.bounds.expanded_bytes_max} bytes; send the files it holds instead",
                too_large=True,
            )

    def check_declared(self, size_bytes: int, members: int) -> None:
        if self.members + members > self.bounds.members_max:
            self.members += members
            self.count_member()
        if self.expanded_bytes + size_bytes > self.bounds.expanded_bytes_max:
            self.spend(size_bytes)

    def count_member(self) -> None:
        self.members += 1
        if self.members > self.bounds.members_max:
            raise ArchiveRefused(
                f"the file is an archive of more than {self.bounds.members_max} files",
                too_large=True,
            )


def kind_of(head: bytes) -> str | None:
    """The compressed format the first bytes announce, or None."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh"):
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    return None


def check_expansion(content: bytes, bounds: Bounds | None = None) -> None:
    """Raises ArchiveRefused when ``content`` is a compressed file that expands past ``bounds``
    (its archives inside it counted too) or cannot be read; anything else passes untouched."""
    _check(content, _Budget(bounds or Bounds()), depth=0)


def _check(content: bytes, budget: _Budget, depth: int) -> None:
    kind = kind_of(content[:8])
    if kind is None:
        return
    if depth >= budget.bounds.nesting_depth_max:
        raise ArchiveRefused(
            f"the file nests archives more than {budget.bounds.nesting_depth_max} deep",
            too_large=True,
        )
    if kind == "zip":
        _check_zip(content, budget, depth)
        return
    expanded = _read_stream(_STREAMS[kind](content), budget, kind)
    _check(expanded, budget, depth + 1)


def _check_zip(content: bytes, budget: _Budget, depth: int) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
            # The sizes the archive declares refuse most bombs before a byte is inflated.
            budget.check_declared(sum(info.file_size for info in infos), len(infos))
            for info in infos:
                budget.count_member()
                if info.is_dir():
                    continue
                with archive.open(info) as member:
                    expanded = _read_stream(_chunks_of(member), budget, "zip")
                _check(expanded, budget, depth + 1)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError) as e:
        # RuntimeError: an encrypted member, which no arbitrator could open either.
        raise ArchiveRefused(
            f"the file starts as a zip archive but cannot be read: {str(e)[:120]}",
            too_large=False,
        ) from None


def _read_stream(chunks: Iterator[bytes], budget: _Budget, kind: str) -> bytes:
    """Spends the expanded bytes from the budget chunk by chunk, and returns them only when they
    are an archive themselves (for the nesting check; the budget bounds what is held), else
    nothing: plain members are counted, not kept."""
    kept = bytearray()
    nested: bool | None = None
    try:
        for chunk in chunks:
            budget.spend(len(chunk))
            if nested is None:
                nested = kind_of(chunk[:8]) is not None
            if nested:
                kept += chunk
    except ArchiveRefused:
        raise
    except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as e:
        raise ArchiveRefused(
            f"the file starts as {kind} data but cannot be expanded: {str(e)[:120]}",
            too_large=False,
        ) from None
    return bytes(kept)


def _chunks_of(member: IO[bytes]) -> Iterator[bytes]:
    while chunk := member.read(_CHUNK_BYTES):
        yield chunk


def _decompressed(decompressor: _Decompressor, content: bytes) -> Iterator[bytes]:
    """Inflates at most ``_CHUNK_BYTES`` per step, so a bomb never expands in one call."""
    data = content
    while True:
        chunk = decompressor.decompress(data, _CHUNK_BYTES)
        if chunk:
            yield chunk
        data = b""
        if decompressor.eof:
            return
        if not chunk and decompressor.needs_input:
            raise EOFError("the compressed data ends early")


class _Decompressor:
    """zlib's, bz2's and lzma's decompressors behind one shape (``max_length``, ``eof``)."""

    def __init__(
        self, inner: zlib._Decompress | bz2.BZ2Decompressor | lzma.LZMADecompressor
    ) -> None:
        self.inner = inner

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if isinstance(self.inner, bz2.BZ2Decompressor | lzma.LZMADecompressor):
            return self.inner.decompress(data, max_length)
        return self.inner.decompress(self.inner.unconsumed_tail + data, max_length)

    @property
    def eof(self) -> bool:
        return bool(self.inner.eof)

    @property
    def needs_input(self) -> bool:
        if isinstance(self.inner, bz2.BZ2Decompressor | lzma.LZMADecompressor):
            return bool(self.inner.needs_input)
        return not self.inner.unconsumed_tail


_STREAMS: dict[str, Callable[[bytes], Iterator[bytes]]] = {
    "gzip": lambda data: _decompressed(
        _Decompressor(zlib.decompressobj(16 + zlib.MAX_WBITS)), data
    ),
    "bzip2": lambda data: _decompressed(_Decompressor(bz2.BZ2Decompressor()), data),
    "xz": lambda data: _decompressed(_Decompressor(lzma.LZMADecompressor()), data),
}
