"""Decompression bounds on real compressed files: bombs of every format the exchange recognises
are refused, inside archives too, whatever sizes they declare; ordinary files pass."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import struct
import zipfile
from collections.abc import Callable

import pytest

from marketplace.archives import ArchiveRefused, Bounds, check_expansion

MIB = 1024 * 1024
SMALL = Bounds(expanded_bytes_max=4 * MIB, members_max=50, nesting_depth_max=3)


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def zip_bomb(expanded_bytes: int) -> bytes:
    """One member of zeros, written in chunks: a few kilobytes per 16 MiB."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("zeros.bin", "w", force_zip64=True) as member,
    ):
        for _ in range(expanded_bytes // MIB):
            member.write(bytes(MIB))
    return buffer.getvalue()


COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "bzip2": bz2.compress,
    "gzip": gzip.compress,
    "xz": lzma.compress,
    "zip": lambda data: zip_of({"data.bin": data}),
}


def _refused(content: bytes, bounds: Bounds = SMALL) -> ArchiveRefused:
    with pytest.raises(ArchiveRefused) as refused:
        check_expansion(content, bounds)
    return refused.value


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_a_bomb_of_each_format_is_refused_as_too_large(kind: str) -> None:
    bomb = COMPRESSORS[kind](bytes(16 * MIB))
    assert len(bomb) < 64 * 1024  # small on the wire, 16 MiB unpacked
    refused = _refused(bomb)
    assert refused.too_large
    assert f"expands to more than {4 * MIB} bytes" in str(refused)


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_a_compressed_file_within_the_bounds_passes(kind: str) -> None:
    check_expansion(COMPRESSORS[kind](b"id,name\n1,apple\n" * 1000), SMALL)


def test_a_zip_of_streamed_zeros_is_refused() -> None:
    bomb = zip_bomb(16 * MIB)
    assert len(bomb) < 64 * 1024
    assert _refused(bomb).too_large


def test_archives_inside_an_archive_count_against_one_budget() -> None:
    inner = zip_bomb(2 * MIB)
    outer = zip_of({f"part{n}.zip": inner for n in range(4)})  # 8 MiB in all, 2 MiB each
    assert sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(outer)).infolist()) < MIB
    assert _refused(outer).too_large


def test_a_gzip_inside_a_zip_is_expanded_too() -> None:
    outer = zip_of({"dump.sql.gz": gzip.compress(bytes(16 * MIB))})
    assert _refused(outer).too_large


def test_archives_nested_too_deep_are_refused() -> None:
    content = b"plain text"
    for _ in range(4):
        content = gzip.compress(content)
    refused = _refused(content)
    assert "nests archives more than 3 deep" in str(refused)


def test_too_many_members_are_refused() -> None:
    refused = _refused(zip_of({f"f{n}.txt": b"x" for n in range(51)}))
    assert (refused.too_large, str(refused)) == (
        True,
        "the file is an archive of more than 50 files",
    )


def _understate_sizes(archive: bytes, size: int) -> bytes:
    """The zip with every member's declared uncompressed size replaced by ``size``."""
    data = bytearray(archive)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        while at != -1:
            data[at + offset : at + offset + 4] = struct.pack("<I", size)
            at = data.find(signature, at + 4)
    return bytes(data)


def test_a_zip_that_understates_its_sizes_is_refused() -> None:
    liar = _understate_sizes(zip_of({"data.bin": bytes(16 * MIB)}), 1000)
    assert zipfile.ZipFile(io.BytesIO(liar)).infolist()[0].file_size == 1000
    refused = _refused(liar)
    assert not refused.too_large
    assert "cannot be read" in str(refused)


def test_a_truncated_gzip_is_refused_as_unreadable() -> None:
    refused = _refused(gzip.compress(b"x" * 100_000)[:-6])
    assert not refused.too_large
    assert "cannot be expanded" in str(refused)


def test_files_that_are_not_compressed_pass_untouched() -> None:
    check_expansion(b"%PDF-1.4 " + bytes(8 * MIB), SMALL)
    check_expansion(b"PK", SMALL)  # too short to be a zip: not one
