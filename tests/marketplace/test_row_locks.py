"""Every exclusive row lock the marketplace and the ledger take is ``FOR NO KEY UPDATE``
(SQLAlchemy's ``with_for_update(key_share=True)``), never ``FOR UPDATE``: PostgreSQL
key-share-locks the row a foreign key names each time it checks that key (an insert, and any
second update of a row in one transaction), and ``FOR UPDATE`` is the one mode that waits for
that key-share lock. A transaction that had locked the journal head and then checked a key would
wait for one that had locked the parent ``FOR UPDATE`` and waited for the head: a deadlock
(docs/architecture.md, "Lock order")."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (ROOT / "marketplace", ROOT / "ledger")  # the ledger's journal head and worker lease


def _exclusive(options: list[tuple[str | None, ast.expr]]) -> bool:
    """Whether the options of a row lock (name, value) ask for ``FOR UPDATE``: neither
    ``key_share`` nor a share lock (``read``) is set."""
    return not any(
        name in ("key_share", "read") and isinstance(value, ast.Constant) and value.value
        for name, value in options
    )


def _row_locks(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, source) of each ``with_for_update(...)`` call, or ``with_for_update={...}``
    argument (``session.get``), that takes ``FOR UPDATE``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        asked: list[list[tuple[str | None, ast.expr]]] = []
        if isinstance(node.func, ast.Attribute) and node.func.attr == "with_for_update":
            asked.append([(k.arg, k.value) for k in node.keywords])
        for k in node.keywords:
            if k.arg == "with_for_update":
                given = k.value
                pairs = (
                    zip(given.keys, given.values, strict=True)
                    if isinstance(given, ast.Dict)
                    else ()
                )
                asked.append([(getattr(key, "value", None), v) for key, v in pairs])
        if any(_exclusive(options) for options in asked):
            found.append((node.lineno, ast.unparse(node)))
    return found


def test_no_row_lock_waits_for_a_foreign_key_check() -> None:
    found = {
        f"{path.relative_to(ROOT)}:{line}": source
        for package in PACKAGES
        for path in sorted(package.rglob("*.py"))
        for line, source in _row_locks(ast.parse(path.read_text()))
    }
    assert found == {}


def test_the_check_finds_a_plain_for_update() -> None:
    tree = ast.parse("q.with_for_update()\ns.get(A, 1, with_for_update={'nowait': True})")
    assert [line for line, _ in _row_locks(tree)] == [1, 2]
    tree = ast.parse(
        "q.with_for_update(key_share=True)\ns.get(A, 1, with_for_update={'read': True})"
    )
    assert _row_locks(tree) == []
