"""ledger.merkle agrees with OpenZeppelin's own JavaScript StandardMerkleTree."""

from pathlib import Path

import pytest

from ledger.canonical import keccak256
from ledger.merkle import MerkleTree, leaf_hash, verify_proof
from tests.node_scripts import run_node

SCRIPT = Path(__file__).with_name("oz_merkle.mjs")


def _openzeppelin(values: list[list[object]], proofs: list[list[object]]) -> dict[str, object]:
    result: dict[str, object] = run_node(
        SCRIPT, {"values": values, "proofs": proofs}, package="@openzeppelin/merkle-tree"
    )
    return result


def _entries(count: int, first_seq: int = 1) -> list[tuple[int, bytes]]:
    return [(s, keccak256(f"entry {s}".encode())) for s in range(first_seq, first_seq + count)]


@pytest.mark.parametrize("count", [1, 2, 3, 7, 64, 257])
def test_root_and_every_proof_match_openzeppelin(count: int) -> None:
    entries = _entries(count, first_seq=1000)
    leaves = [leaf_hash(seq, h) for seq, h in entries]
    tree = MerkleTree.build(leaves)
    ours = [["0x" + p.hex() for p in tree.proof(leaf)] for leaf in leaves]
    values: list[list[object]] = [[seq, "0x" + h.hex()] for seq, h in entries]
    theirs = _openzeppelin(values, [[i, proof] for i, proof in enumerate(ours)])
    assert theirs["root"] == "0x" + tree.root.hex()
    assert theirs["proofs"] == ours
    assert theirs["verified"] == [True] * count


def test_openzeppelin_rejects_a_tampered_proof_of_ours() -> None:
    entries = _entries(8)
    leaves = [leaf_hash(seq, h) for seq, h in entries]
    tree = MerkleTree.build(leaves)
    proof = ["0x" + p.hex() for p in tree.proof(leaves[3])]
    proof[0] = "0x" + bytes(32).hex()
    values: list[list[object]] = [[seq, "0x" + h.hex()] for seq, h in entries]
    assert _openzeppelin(values, [[3, proof]])["verified"] == [False]


def test_a_proof_for_another_seq_does_not_verify() -> None:
    entries = _entries(5)
    leaves = [leaf_hash(seq, h) for seq, h in entries]
    tree = MerkleTree.build(leaves)
    seq, entry_hash = entries[2]
    proof = tree.proof(leaves[2])
    assert verify_proof(tree.root, leaf_hash(seq, entry_hash), proof)
    assert not verify_proof(tree.root, leaf_hash(seq + 1, entry_hash), proof)


def test_an_empty_tree_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one leaf"):
        MerkleTree.build([])
