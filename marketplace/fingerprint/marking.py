"""Per-buyer fingerprints for CSV tables: mark a copy for one licence, and name the licence a
leaked copy came from. Pure: bytes in, bytes or a ``Detection`` out; no database, no I/O.

The scheme (docs/fingerprints.md has the reasoning and the limits) follows Agrawal and Kiernan's
relational watermarking, with a licence's codeword in place of their single mark:

1. A cell is *markable* when it is a plain decimal number with at least ``FRACTION_DIGITS_MIN``
   digits after the point and some non-zero digit before its last one (``12.34``, ``-0.25``;
   not ``7``, ``1e5``, ``0.01``, ``N/A``), in a column that is not protected (the table schema's
   primary and foreign keys). Marking changes only a markable cell's last digit, by one
   (``d`` becomes ``d xor 1``: 4↔5, 8↔9), so markability is the same before and after.
2. A row is known by a keyed hash of its content, not its position: every cell, in column-name
   order, with a markable cell's last digit left out. Deleting, reordering or duplicating rows
   does not change the identity of the rows left.
3. Each markable cell gets a keyed hash of (row identity, column name) that picks one of
   ``CODEWORD_BITS`` positions and a mask bit. The licence's codeword (a keyed hash of its id)
   gives the bit for that position; the cell's last digit is made even or odd so that
   ``parity xor mask`` equals that bit. About half the markable cells change.
4. Detection reads every markable cell's bit, takes the majority at each position it reaches,
   and compares the codeword read with each candidate's. For a licence whose copy this is not,
   each position read agrees by chance with probability 1/2, independently (codewords are keyed
   hashes), so the number of agreements is Binomial(n, 1/2): its upper tail, multiplied by the
   number of candidates (Bonferroni), is the p-value reported. Below ``P_VALUE_MAX`` the best
   candidate is named; otherwise "no licence".

The key is per asset (``asset_key``), derived from the service secret with HKDF; it is never in
the file, and without it the marked cells cannot be told from the others.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from itertools import compress
from typing import NamedTuple

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

CODEWORD_BITS = 256  # positions of a licence's codeword; one keyed 32-byte hash
FRACTION_DIGITS_MIN = 2  # a value with one decimal (21.5) is left alone: a step of 0.1 shows
P_VALUE_MAX = 1e-9  # a detection weaker than this names no licence
POSITIONS_READ_MIN = 40  # fewer positions cannot reach P_VALUE_MAX: 2**-40 ≈ 9e-13
KEY_BYTES = 32
_HKDF_INFO = b"databourse fingerprint v1 asset "

# A plain decimal with at least FRACTION_DIGITS_MIN digits after the point.
_DECIMAL = re.compile(rf"[+-]?\d+\.\d{{{FRACTION_DIGITS_MIN},}}")


class NotMarkable(ValueError):
    """Bytes that cannot be fingerprinted or read: not UTF-8 CSV text, no header, too few
    markable cells."""


@dataclass(frozen=True)
class Detection:
    """What a leaked copy says about its licence.

    ``licence_id`` is None when no candidate is significant. ``positions_read`` codeword
    positions could be read from ``cells_read`` markable cells; ``positions_matched`` of them
    agree with the best candidate's codeword. ``p_value`` is the chance that a copy not made for
    that licence agrees as well or better (Binomial(n, 1/2) tail times the number of
    candidates); ``z_score`` is the same agreement in standard deviations above chance.
    """

    licence_id: int | None
    best_candidate: int | None  # named even when not significant, for the record
    positions_read: int
    positions_matched: int
    cells_read: int
    rows_read: int
    candidates: int
    p_value: float
    z_score: float

    @property
    def score(self) -> float:
        """The share of codeword positions read that agree with the best candidate."""
        return self.positions_matched / self.positions_read if self.positions_read else 0.0


def asset_key(secret: bytes, asset_id: int) -> bytes:
    """The asset's fingerprint key: HKDF-SHA256 of the service secret, bound to the asset."""
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=None,
        info=_HKDF_INFO + str(asset_id).encode(),
    )
    return hkdf.derive(secret)


def codeword(key: bytes, licence_id: int) -> int:
    """The licence's ``CODEWORD_BITS``-bit codeword, as an integer."""
    digest = hashlib.blake2b(
        str(licence_id).encode(), key=key, person=b"fp-codeword", digest_size=32
    ).digest()
    return int.from_bytes(digest, "big")


@dataclass(frozen=True)
class _Table:
    header: list[str]
    rows: list[list[str]]
    newline: str
    bom: bool
    final_newline: bool


def _read(content: bytes) -> _Table:
    bom = content.startswith(b"\xef\xbb\xbf")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotMarkable(f"not UTF-8 text (byte {exc.start}); only UTF-8 CSV is marked") from exc
    if "\x00" in text:
        raise NotMarkable("a NUL byte: not a CSV text file")
    newline = "\r\n" if "\r\n" in text[:65536] else "\n"
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise NotMarkable(f"not readable as CSV: {exc}") from exc
    if not records or not records[0]:
        raise NotMarkable("no header row: a CSV table starts with its column names")
    return _Table(
        header=records[0],
        rows=records[1:],
        newline=newline,
        bom=bom,
        final_newline=text.endswith(("\n", "\r")),
    )


def _write(table: _Table, rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=table.newline)
    writer.writerow(table.header)
    writer.writerows(rows)
    text = out.getvalue()
    if not table.final_newline:
        text = text.removesuffix(table.newline)
    return (b"\xef\xbb\xbf" if table.bom else b"") + text.encode()


def markable(cell: str) -> bool:
    """Whether marking may change this cell's last digit (see the module's step 1)."""
    # Some digit but the last must be non-zero, so that no mark turns 0.01 into 0.00 (-0.00).
    return (
        "." in cell  # most cells are rejected here, without the pattern
        and _DECIMAL.fullmatch(cell) is not None
        and cell[:-1].strip("+-0.") != ""
    )


class _Cell(NamedTuple):
    row: int  # index in the table's rows
    column: int
    position: int  # in the codeword
    mask: int


def _cells(key: bytes, table: _Table, protected: Collection[str]) -> list[_Cell]:
    """Every markable cell, with its codeword position and mask bit. Column by column, so that
    the per-cell work stays in comprehensions (a 3,000-row table takes a few milliseconds)."""
    header, width = table.header, len(table.header)
    rows = [i for i, row in enumerate(table.rows) if len(row) == width]  # ragged rows: no mark
    columns = list(zip(*(table.rows[i] for i in rows), strict=True)) if rows else []
    marks: dict[int, list[bool]] = {
        i: list(map(markable, columns[i]))
        for i in range(len(columns))
        if header[i] not in protected
    }
    # The row's identity reads its cells in column-name order, so that moving columns keeps it.
    named: list[list[str]] = []
    for i in sorted(range(len(columns)), key=header.__getitem__):
        prefix, flags = f"{header[i]}\x1f", marks.get(i)
        if flags is None:
            named.append([prefix + v for v in columns[i]])
        else:
            named.append(
                [prefix + (v[:-1] if m else v) for v, m in zip(columns[i], flags, strict=True)]
            )
    identities = [
        hashlib.blake2b(c.encode(), key=key, person=b"fp-row", digest_size=16).digest()
        for c in map("\x1e".join, zip(*named, strict=True))
    ]
    cells: list[_Cell] = []
    for i, flags in marks.items():
        name = header[i].encode()
        for n in compress(range(len(flags)), flags):
            # The identity is a keyed hash already: an unkeyed one of it stays secret.
            digest = hashlib.blake2b(identities[n] + name, digest_size=8).digest()
            value = int.from_bytes(digest, "big")
            cells.append(_Cell(rows[n], i, value % CODEWORD_BITS, (value >> 16) & 1))
    return cells


class Marker:
    """One table, read once, from which each licence's copy is made: the analysis (which cells
    carry which codeword position) does not depend on the licence."""

    def __init__(self, content: bytes, key: bytes, *, protected: Collection[str] = ()) -> None:
        self._table = _read(content)
        self._cells = _cells(key, self._table, protected)
        self._key = key
        if len(self._cells) < POSITIONS_READ_MIN:
            raise NotMarkable(
                f"{len(self._cells)} markable cells (decimal numbers with at least "
                f"{FRACTION_DIGITS_MIN} fraction digits, outside key columns); a fingerprint "
                f"needs {POSITIONS_READ_MIN}"
            )

    def copy_for(self, licence_id: int) -> bytes:
        """The table with the licence's fingerprint: same header, rows, order and cells but for
        last digits of markable cells (each changed by one, or not at all)."""
        word = codeword(self._key, licence_id)
        rows = [list(row) for row in self._table.rows]
        for cell in self._cells:
            row = rows[cell.row]
            value = row[cell.column]
            if (int(value[-1]) & 1) ^ cell.mask != (word >> cell.position) & 1:
                row[cell.column] = value[:-1] + str(int(value[-1]) ^ 1)
        return _write(self._table, rows)


def mark(content: bytes, licence_id: int, key: bytes, *, protected: Collection[str] = ()) -> bytes:
    """The CSV ``content`` with the licence's fingerprint (``Marker(...).copy_for``)."""
    return Marker(content, key, protected=protected).copy_for(licence_id)


def _binomial_tail(n: int, k: int) -> float:
    """P(X >= k) for X ~ Binomial(n, 1/2), exactly."""
    return float(sum(math.comb(n, j) for j in range(k, n + 1)) / 2**n)


def _read_codeword(
    content: bytes, key: bytes, protected: Collection[str]
) -> tuple[dict[int, int], int, int]:
    """The codeword bits the copy carries (position → majority bit; ties left out), the number
    of markable cells read, and of rows."""
    table = _read(content)
    votes = [[0, 0] for _ in range(CODEWORD_BITS)]
    cells = 0
    for cell in _cells(key, table, protected):
        cells += 1
        votes[cell.position][(int(table.rows[cell.row][cell.column][-1]) & 1) ^ cell.mask] += 1
    bits = {p: int(ones > zeros) for p, (zeros, ones) in enumerate(votes) if zeros != ones}
    return bits, cells, len(table.rows)


def detect(
    content: bytes,
    candidates: Iterable[int],
    key: bytes,
    *,
    protected: Collection[str] = (),
    comparisons: int | None = None,
) -> Detection:
    """The licence among ``candidates`` whose fingerprint ``content`` carries, or none.
    ``comparisons`` is the number of licences the p-value is corrected for (the candidates by
    default; more when the candidates are one group of several tried)."""
    bits, cells, rows = _read_codeword(content, key, protected)
    ids = sorted(set(candidates))
    tried = max(len(ids), comparisons or 0, 1)
    best: int | None = None
    matched = -1
    for licence_id in ids:
        word = codeword(key, licence_id)
        agree = sum(1 for p, b in bits.items() if (word >> p) & 1 == b)
        if agree > matched:
            best, matched = licence_id, agree
    n = len(bits)
    if best is None or n == 0:
        return Detection(None, best, n, max(matched, 0), cells, rows, len(ids), 1.0, 0.0)
    p_value = min(1.0, _binomial_tail(n, matched) * tried)
    z_score = (2 * matched - n) / math.sqrt(n)
    named = best if p_value < P_VALUE_MAX else None
    return Detection(named, best, n, matched, cells, rows, len(ids), p_value, z_score)
