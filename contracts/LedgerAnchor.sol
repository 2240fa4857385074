// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title LedgerAnchor
/// @notice Anchors the Merkle roots of Databourse's journal in contiguous batches, so that the
/// anchored history can only grow at its end: never forked, never rewritten.
/// @dev Leaves follow OpenZeppelin's StandardMerkleTree for `(uint64 seq, bytes32 entryHash)`:
/// `keccak256(bytes.concat(keccak256(abi.encode(seq, entryHash))))`, sorted pairs.
/// Gas: one anchor writes two fresh slots (root, packed range) and updates one packed slot
/// (batch count, last anchored seq), whatever the batch size.
contract LedgerAnchor is AccessControl {
    /// @notice Role allowed to call {anchor}.
    bytes32 public constant RECORDER_ROLE = keccak256("RECORDER_ROLE");

    /// @dev A batch's root and its inclusive seq range; the range packs into one slot.
    struct Batch {
        bytes32 root;
        uint64 firstSeq;
        uint64 lastSeq;
    }

    /// @dev `firstSeq` is not `lastAnchoredSeq + 1`.
    error AnchorNotContiguous(uint64 expected, uint64 got);
    /// @dev `lastSeq < firstSeq`.
    error InvalidRange(uint64 firstSeq, uint64 lastSeq);
    /// @dev The root is zero (no tree hashes to zero: it would be a mistake).
    error ZeroRoot();
    /// @dev No batch has this id.
    error UnknownBatch(uint64 batchId);

    /// @notice A batch was anchored.
    event Anchored(uint64 indexed batchId, bytes32 root, uint64 firstSeq, uint64 lastSeq);

    mapping(uint64 batchId => Batch) private _batches;
    // Both counters share one slot: an anchor reads and writes it once.
    uint64 private _batchCount;
    uint64 private _lastAnchoredSeq;

    /// @param admin Gets DEFAULT_ADMIN_ROLE (grants and revokes roles).
    /// @param recorder Gets RECORDER_ROLE (anchors batches).
    constructor(address admin, address recorder) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(RECORDER_ROLE, recorder);
    }

    /// @notice Anchors the root of the batch of entries `firstSeq..lastSeq` (inclusive).
    /// @dev Batches are contiguous: `firstSeq` must be `lastAnchoredSeq() + 1`. Batch ids are
    /// 1, 2, 3... in anchoring order.
    /// @param root Merkle root of the batch (OpenZeppelin StandardMerkleTree).
    /// @param firstSeq First journal seq in the batch.
    /// @param lastSeq Last journal seq in the batch.
    /// @return batchId The id of the new batch.
    function anchor(bytes32 root, uint64 firstSeq, uint64 lastSeq)
        external
        onlyRole(RECORDER_ROLE)
        returns (uint64 batchId)
    {
        if (root == bytes32(0)) revert ZeroRoot();
        if (lastSeq < firstSeq) revert InvalidRange(firstSeq, lastSeq);
        uint64 expected = _lastAnchoredSeq + 1;
        if (firstSeq != expected) revert AnchorNotContiguous(expected, firstSeq);

        batchId = _batchCount + 1;
        _batches[batchId] = Batch(root, firstSeq, lastSeq);
        _batchCount = batchId;
        _lastAnchoredSeq = lastSeq;
        emit Anchored(batchId, root, firstSeq, lastSeq);
    }

    /// @notice The last journal seq anchored so far (0 before the first batch).
    /// @return The last anchored seq.
    function lastAnchoredSeq() external view returns (uint64) {
        return _lastAnchoredSeq;
    }

    /// @notice How many batches are anchored; ids run from 1 to this number.
    /// @return The number of batches.
    function batchCount() external view returns (uint64) {
        return _batchCount;
    }

    /// @notice One anchored batch.
    /// @dev Reverts with {UnknownBatch} when no batch has this id.
    /// @param batchId The batch id (1-based).
    /// @return root The batch's Merkle root.
    /// @return firstSeq The first seq in the batch.
    /// @return lastSeq The last seq in the batch.
    function batch(uint64 batchId)
        external
        view
        returns (bytes32 root, uint64 firstSeq, uint64 lastSeq)
    {
        Batch storage b = _batch(batchId);
        return (b.root, b.firstSeq, b.lastSeq);
    }

    /// @notice Whether `(seq, entryHash)` is a leaf of batch `batchId`, by its inclusion proof.
    /// @dev False when `seq` is outside the batch's range; reverts with {UnknownBatch} when no
    /// batch has this id.
    /// @param batchId The batch that should contain the entry.
    /// @param seq The entry's journal seq.
    /// @param entryHash The entry's keccak256 hash.
    /// @param proof The sibling hashes from the leaf up to the root.
    /// @return True when the proof leads from the leaf to the batch's root.
    function verify(uint64 batchId, uint64 seq, bytes32 entryHash, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        Batch storage b = _batch(batchId);
        if (seq < b.firstSeq || seq > b.lastSeq) return false;
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(seq, entryHash))));
        return MerkleProof.verifyCalldata(proof, b.root, leaf);
    }

    function _batch(uint64 batchId) private view returns (Batch storage b) {
        if (batchId == 0 || batchId > _batchCount) revert UnknownBatch(batchId);
        return _batches[batchId];
    }
}
