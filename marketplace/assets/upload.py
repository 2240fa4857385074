"""The upload pipeline: plaintext in, ciphertext out, in one pass and constant memory.

Each piece of the request body is counted against the size limit, hashed (SHA-256 and the chunk
Merkle tree), checked against its declared format, encrypted segment by segment under a fresh
data key and written to a temporary blob. Nothing is kept but one segment and one chunk. On
``finish`` the data key is wrapped by the master key, bound to the blob's key; the blob becomes
visible only on ``commit``. ``abort`` (or any exception inside ``with``) deletes the temporary
file.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from marketplace.assets.content import ContentHasher, ContentIdentity
from marketplace.assets.schema_infer import ContentChecker, checker_for
from marketplace.blobs.envelope import StreamEncryptor, new_data_key, wrap_key
from marketplace.blobs.store import BlobStore, BlobWriter


class UploadTooLarge(Exception):
    def __init__(self, limit_bytes: int) -> None:
        super().__init__(f"the upload is over the limit of {limit_bytes} bytes")
        self.limit_bytes = limit_bytes


@dataclass(frozen=True)
class UploadResult:
    identity: ContentIdentity
    table_schema: dict[str, Any] | None
    blob_key: str
    wrapped_key: bytes


class UploadPipeline:
    def __init__(
        self, store: BlobStore, content_format: str, size_bytes_max: int, master_key: bytes
    ) -> None:
        self._size_bytes_max = size_bytes_max
        self._master_key = master_key
        self._data_key = new_data_key()
        self._encryptor = StreamEncryptor(self._data_key)
        self._hasher = ContentHasher()
        self._checker: ContentChecker = checker_for(content_format)
        self._writer: BlobWriter = store.writer()
        self._writer.write(self._encryptor.header)
        self._received = 0
        self._committed = False

    @property
    def received_bytes(self) -> int:
        return self._received

    def feed(self, data: bytes) -> None:
        self._received += len(data)
        if self._received > self._size_bytes_max:
            raise UploadTooLarge(self._size_bytes_max)
        self._hasher.update(data)
        self._checker.update(data)
        sealed = self._encryptor.update(data)
        if sealed:
            self._writer.write(sealed)

    def finish(self) -> UploadResult:
        """Seal the last segment and run the final checks; the blob is not yet visible."""
        identity = self._hasher.finish()
        schema = self._checker.finish()
        self._writer.write(self._encryptor.finish())
        blob_key = self._writer.digest()
        wrapped = wrap_key(self._master_key, self._data_key, blob_key.encode())
        assert identity.size_bytes == self._received
        return UploadResult(identity, schema, blob_key, wrapped)

    def commit(self) -> str:
        key = self._writer.commit()
        self._committed = True
        return key

    def abort(self) -> None:
        if not self._committed:
            self._writer.abort()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.abort()
