"""HTTP ``Range`` (RFC 9110 §14): one byte range of a file of known size. Pure.

``bytes=a-b``, ``bytes=a-`` and ``bytes=-n`` (the last n bytes) are served; a range past the
end, a malformed header or several ranges at once are refused (416), so a client never gets a
different answer than it asked for."""

from __future__ import annotations

import re
from typing import Final

# Blanks may stand around "=" and "-" (clients write "bytes = 0-9"), never inside a number;
# the unit is case-insensitive (RFC 9110 §14.1: "Bytes=0-9" is a byte range too).
_RANGE: Final = re.compile(r"bytes *= *(\d{0,19}) *- *(\d{0,19})", re.IGNORECASE)


class BadRange(ValueError):
    pass


def parse(header: str, size: int) -> tuple[int, int]:
    """``[start, stop)`` of a file of ``size`` bytes; BadRange when none is satisfiable."""
    found = _RANGE.fullmatch(header.strip())
    if found is None:
        raise BadRange(
            "send one byte range, as bytes=START-END, bytes=START- or bytes=-LAST (several "
            "ranges at once are not served)"
        )
    first, last = found.group(1), found.group(2)
    if not first and not last:
        raise BadRange("the range names no bytes")
    if not first:  # a suffix: the last n bytes
        n = int(last)
        if n == 0 or size == 0:
            raise BadRange(f"the range names no bytes of a {size}-byte file")
        return max(0, size - n), size
    start = int(first)
    stop = size if not last else min(int(last) + 1, size)
    if last and int(last) < start:
        raise BadRange("the range ends before it starts")
    if start >= size:
        raise BadRange(f"the range starts at byte {start}, past the end of a {size}-byte file")
    return start, stop
