"""How deeply a JSON document nests, measured on its raw bytes without recursing.

Python's ``json`` parser recurses once per level of ``[`` / ``{``, and it is bounded only by the
interpreter's recursion limit. Importing py-evm (``eth``, the in-process EVM) and ``py_ecc``
raises that limit to 100,000, far past what the C stack holds, so a body of 100,000 ``[`` kills
the process with a segmentation fault instead of raising ``RecursionError``. Every JSON text the
service parses from a client is measured here first. Pure: no I/O.

Bytes are measured as ``json.loads`` reads them: it takes UTF-16 and UTF-32 too (told apart by
the zero bytes at the start), and in those a byte 0x22 is not always a quote (U+2200 is
``00 22`` in UTF-16-LE), so such data is measured once decoded as the parser decodes it.
"""

from __future__ import annotations

import json
import re

# A JSON string (escapes included), or an unterminated one running to the end of the data: so
# that every quote starts at most one match and a hostile body costs one linear pass.
_STRING = re.compile(rb'"[^"\\]*(?:\\[\s\S][^"\\]*)*(?:"|\\?\Z)')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def nesting_exceeds(data: bytes, depth_max: int) -> bool:
    """Whether ``data``, read as JSON, opens more than ``depth_max`` arrays or objects inside one
    another (brackets inside strings do not count). Any prefix a JSON parser accepts nests no
    deeper than this measures, so a parser never recurses past ``depth_max`` on data for which
    this returns False, whether or not the data is valid JSON."""
    encoding = json.detect_encoding(data)
    if encoding not in ("utf-8", "utf-8-sig"):  # no quote, bracket or brace in a UTF-8 BOM
        try:
            data = data.decode(encoding, "surrogatepass").encode("utf-8", "surrogatepass")
        except UnicodeDecodeError:  # the parser refuses it before reading a bracket
            return False
    if data.count(b"[") + data.count(b"{") <= depth_max:
        return False
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    depth = 0
    for byte in brackets:
        if byte in b"[{":
            depth += 1
            if depth > depth_max:
                return True
        else:
            depth -= 1
            if depth < 0:  # a parser stops at the first unbalanced close
                return False
    return False


# A JSON escape of a UTF-16 surrogate (\uD800 to \uDFFF) that is not itself escaped, and a
# surrogate's bytes as if UTF-8 (which Python's JSON parser reads too, as "surrogatepass").
_JSON_SURROGATE = re.compile(rb"(?<!\\)(?:\\\\)*(\\u[dD][89a-fA-F][0-9a-fA-F]{2})")
_RAW_SURROGATE = re.compile(rb"\xed[\xa0-\xbf]")


def lone_surrogate(data: bytes) -> bool:
    """Whether UTF-8 JSON text holds a surrogate not in a pair (a high one followed at once by a
    low one), escaped or as raw bytes: parsed, such a string cannot be encoded as UTF-8 again,
    so storing, hashing or signing it fails deep inside whatever reads it."""
    if _RAW_SURROGATE.search(data):
        return True
    pending = None  # where the last high surrogate's escape ended
    for found in _JSON_SURROGATE.finditer(data):
        escape = found.group(1)
        start, end = found.span(1)
        high = escape[3:4] in b"89abAB"
        if pending is not None:
            if high or start != pending:
                return True
            pending = None
        elif high:
            pending = end
        else:
            return True
    return pending is not None
