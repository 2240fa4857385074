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
3. Each markable cell gets a word mixed from its row's identity and its column's secret word (a
   keyed hash of the column name), whose top bits pick one of ``CODEWORD_BITS`` positions and a
   mask bit. The licence's codeword (a keyed hash of its id)
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
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from itertools import compress

import polars as pl
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

CODEWORD_BITS = 256  # positions of a licence's codeword; one keyed 32-byte hash
FRACTION_DIGITS_MIN = 2  # a value with one decimal (21.5) is left alone: a step of 0.1 shows
P_VALUE_MAX = 1e-9  # a detection weaker than this names no licence
POSITIONS_READ_MIN = 40  # fewer positions cannot reach P_VALUE_MAX: 2**-40 ≈ 9e-13
KEY_BYTES = 32
_HKDF_INFO = b"databourse fingerprint v1 asset "

# A markable cell (step 1): an ASCII decimal with two or more fraction digits and a non-zero digit
# other than its last, either before the point or in the fraction. No look-around, so that the
# same pattern runs in Python's re and in polars (Rust regex).
assert FRACTION_DIGITS_MIN == 2, "the pattern below spells out two fraction digits"
_MARKABLE = r"[+-]?(?:[0-9]*[1-9][0-9]*\.[0-9]{2,}|[0-9]+\.[0-9]*[1-9][0-9]*[0-9])"
_MARKABLE_RE = re.compile(_MARKABLE)
_MIX = 0x9E3779B97F4A7C15  # odd 64-bit multiplier (Fibonacci hashing): spreads a word's bits up
_MASK64 = (1 << 64) - 1


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
    # A non-zero digit other than the last, so that no mark turns 0.01 into 0.00 (or -0.00).
    return _MARKABLE_RE.fullmatch(cell) is not None


def _markable_flags(column: Sequence[str]) -> list[bool]:
    """``markable`` for each cell of a column, in polars (a Python call per cell costs more
    than the rest of the analysis)."""
    flags: list[bool] = (
        pl.Series(column, dtype=pl.String).str.contains(f"^(?:{_MARKABLE})$").to_list()
    )
    return flags


# A markable cell: its row (index in the table's rows), column, codeword position and mask bit.
# A plain tuple: a named one costs more to make than everything else done per cell.
_Cell = tuple[int, int, int, int]


def _cells(key: bytes, table: _Table, protected: Collection[str]) -> list[_Cell]:
    """Every markable cell, with its codeword position and mask bit. Column by column, so that
    the per-cell work stays in comprehensions and polars."""
    header, width = table.header, len(table.header)
    rows = [i for i, row in enumerate(table.rows) if len(row) == width]  # ragged rows: no mark
    if not rows:
        return []
    columns: list[Sequence[str]] = list(zip(*(table.rows[i] for i in rows), strict=True))
    marks = {i: _markable_flags(columns[i]) for i in range(width) if header[i] not in protected}
    # The row's identity reads its cells in column-name order, so that moving columns keeps it;
    # the names are hashed once, ahead of every row.
    order = sorted(range(width), key=header.__getitem__)
    base = hashlib.blake2b(key=key, person=b"fp-row", digest_size=16)
    base.update("\x1f".join(header[i] for i in order).encode() + b"\x1d")
    shown: list[Sequence[str]] = []
    for i in order:
        if i in marks:
            pairs = zip(columns[i], marks[i], strict=True)
            shown.append([v[:-1] if m else v for v, m in pairs])
        else:
            shown.append(columns[i])
    words: list[int] = []
    for canonical in map("\x1e".join, zip(*shown, strict=True)):
        digest = base.copy()
        digest.update(canonical.encode())
        words.append(int.from_bytes(digest.digest()[:8], "big"))
    cells: list[_Cell] = []
    for i, flags in marks.items():
        # Each column has a secret word; a row's word xor it, multiplied, spreads into the top
        # bits, which pick the position (8 bits) and the mask (the next bit).
        salt = hashlib.blake2b(header[i].encode(), key=key, person=b"fp-column", digest_size=8)
        column_word = int.from_bytes(salt.digest(), "big")
        for n in compress(range(len(flags)), flags):
            value = ((words[n] ^ column_word) * _MIX) & _MASK64
            cells.append((rows[n], i, value >> 56, (value >> 55) & 1))
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
        for n, column, position, mask in self._cells:
            row = rows[n]
            value = row[column]
            if (int(value[-1]) & 1) ^ mask != (word >> position) & 1:
                row[column] = value[:-1] + str(int(value[-1]) ^ 1)
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
        n, column, position, mask = cell
        votes[position][(int(table.rows[n][column][-1]) & 1) ^ mask] += 1
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
