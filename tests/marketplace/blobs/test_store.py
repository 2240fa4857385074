import hashlib
from pathlib import Path

import pytest

from marketplace.blobs.store import BlobNotFound, FileBlobStore, blob_store_from_url


def test_committed_blob_is_stored_under_its_sha256(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    with store.writer() as w:
        w.write(b"abc")
        w.write(b"def")
        key = w.commit()
    assert key == hashlib.sha256(b"abcdef").hexdigest()
    with store.open(key) as f:
        assert f.read() == b"abcdef"
    assert store.exists(key)
    assert [p.name for p in store.stored_files()] == [key]


def test_a_failed_write_leaves_no_file(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)

    def interrupted() -> None:
        with store.writer() as w:
            w.write(b"partial")
            raise RuntimeError("client went away")

    with pytest.raises(RuntimeError):
        interrupted()
    assert store.stored_files() == []


def test_abort_removes_the_temporary_file(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    w = store.writer()
    w.write(b"x")
    w.abort()
    assert store.stored_files() == []


def test_delete_removes_a_blob_and_open_then_fails(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    with store.writer() as w:
        w.write(b"x")
        key = w.commit()
    store.delete(key)
    with pytest.raises(BlobNotFound):
        store.open(key)


def test_keys_that_are_not_hashes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BlobNotFound):
        FileBlobStore(tmp_path).open("../../etc/passwd")


def test_store_from_file_url(tmp_path: Path) -> None:
    store = blob_store_from_url(f"file://{tmp_path}/blobs")
    assert isinstance(store, FileBlobStore)
    assert store.root == (tmp_path / "blobs").resolve()
    with pytest.raises(ValueError, match="only file://"):
        blob_store_from_url("s3://bucket")
