// Reads {"values": [[seq, "0x…entryHash"], …], "proofs": [[index, ["0x…", …]], …]} on stdin and
// answers with OpenZeppelin's own StandardMerkleTree: the root, every leaf's proof, and whether
// each given proof verifies.
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { values, proofs } = JSON.parse(input);
const tree = StandardMerkleTree.of(values, ["uint64", "bytes32"]);
const out = {
  root: tree.root,
  proofs: values.map((_, i) => tree.getProof(i)),
  verified: proofs.map(([i, proof]) => StandardMerkleTree.verify(tree.root, ["uint64", "bytes32"], values[i], proof)),
};
process.stdout.write(JSON.stringify(out));
