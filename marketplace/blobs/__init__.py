"""Blob storage (content-addressed, ciphertext only) and envelope encryption."""

from marketplace.blobs.envelope import (
    DecryptionError,
    StreamEncryptor,
    decrypt_stream,
    new_data_key,
    unwrap_key,
    wrap_key,
)
from marketplace.blobs.store import (
    BlobNotFound,
    BlobStore,
    BlobWriter,
    FileBlobStore,
    blob_store_from_url,
)

__all__ = [
    "BlobNotFound",
    "BlobStore",
    "BlobWriter",
    "DecryptionError",
    "FileBlobStore",
    "StreamEncryptor",
    "blob_store_from_url",
    "decrypt_stream",
    "new_data_key",
    "unwrap_key",
    "wrap_key",
]
