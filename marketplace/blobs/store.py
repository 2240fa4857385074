"""The blob-store interface and its content-addressed file backend.

A blob is written through a ``BlobWriter``: bytes go to a temporary file, their SHA-256 is
computed on the way, and ``commit()`` moves the file to ``<root>/<aa>/<bb>/<sha256>`` with an
atomic rename. ``abort()`` (or leaving the ``with`` block with an exception) deletes the
temporary file, so a failed write leaves nothing behind. The blob key is the SHA-256 of the
stored bytes: the store only ever sees ciphertext, so the key reveals nothing about content.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Protocol, Self
from urllib.parse import urlparse

_KEY = re.compile(r"^[0-9a-f]{64}$")


class BlobNotFound(LookupError):
    pass


class BlobWriter(Protocol):
    size_bytes: int

    def write(self, data: bytes) -> None: ...
    def digest(self) -> str: ...
    def commit(self) -> str: ...
    def abort(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class BlobStore(Protocol):
    def writer(self) -> BlobWriter: ...
    def open(self, key: str) -> BinaryIO: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...


def _check_key(key: str) -> str:
    if not _KEY.match(key):
        raise BlobNotFound(f"not a blob key: {key!r}")
    return key


class FileBlobWriter:
    def __init__(self, store: FileBlobStore) -> None:
        self._store = store
        store.tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=store.tmp_dir, prefix="upload-", suffix=".part")
        self._path = Path(name)
        self._file: BinaryIO | None = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self.size_bytes = 0
        self._key: str | None = None

    def write(self, data: bytes) -> None:
        assert self._file is not None, "write after commit or abort"
        self._file.write(data)
        self._hash.update(data)
        self.size_bytes += len(data)

    def digest(self) -> str:
        """The key the blob will have: SHA-256 (hex) of the bytes written so far."""
        return self._hash.hexdigest()

    def commit(self) -> str:
        assert self._file is not None, "commit after commit or abort"
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        key = self._hash.hexdigest()
        final = self._store.path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        self._path.replace(final)
        self._key = key
        return key

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._path.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._key is None:
            self.abort()


class FileBlobStore:
    """Content-addressed files under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp_dir = root / "tmp"

    def path(self, key: str) -> Path:
        _check_key(key)
        return self.root / key[:2] / key[2:4] / key

    def writer(self) -> FileBlobWriter:
        return FileBlobWriter(self)

    def open(self, key: str) -> BinaryIO:
        try:
            return self.path(key).open("rb")
        except FileNotFoundError as exc:
            raise BlobNotFound(f"no blob {key}") from exc

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def stored_files(self) -> list[Path]:
        """Every file in the store, temporary ones included (for tests and the sweeper)."""
        if not self.root.exists():
            return []
        return sorted(p for p in self.root.rglob("*") if p.is_file())


def blob_store_from_url(url: str) -> BlobStore:
    """``file://./var/blobs`` (relative to the working directory) or ``file:///abs/path``."""
    parsed = urlparse(url)
    if parsed.scheme != "file":
        raise ValueError(f"unsupported blob store {url!r}: only file:// is built in")
    raw = parsed.netloc + parsed.path
    return FileBlobStore(Path(raw).resolve())
