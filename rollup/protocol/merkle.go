package protocol

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Domain-separation prefixes of the batch Merkle tree: a leaf hashes 0x00
// and its 64 bytes, an inner node 0x01 and its two children, so no inner
// node can be passed off as a leaf (or the reverse).
const (
	leafPrefix byte = 0x00
	nodePrefix byte = 0x01
)

// ErrMerkleIndex means a Merkle proof was asked for a leaf the tree does
// not have.
var ErrMerkleIndex = errors.New("leaf index outside the tree")

// Leaf returns the Merkle leaf of one L2 block:
// keccak256(0x00 ‖ inputsHash ‖ outputRoot).
func Leaf(inputsHash, outputRoot common.Hash) common.Hash {
	return crypto.Keccak256Hash([]byte{leafPrefix}, inputsHash[:], outputRoot[:])
}

// innerNode returns keccak256(0x01 ‖ left ‖ right).
func innerNode(left, right common.Hash) common.Hash {
	return crypto.Keccak256Hash([]byte{nodePrefix}, left[:], right[:])
}

// MerkleRoot returns the root of the binary Merkle tree over leaves (each
// a Leaf). The tree is built level by level from the leaves: nodes 2k and
// 2k+1 of a level become node k of the next, innerNode(2k, 2k+1); a level
// with an odd count promotes its last node to the next level unchanged
// (it is neither duplicated nor hashed alone). This is the shape of RFC
// 6962: the root over n > 1 leaves is innerNode(root of the first k,
// root of the rest) with k the largest power of two below n. The root of
// one leaf is the leaf itself; the root of no leaves is the zero hash.
//
// The root does not commit to the number of leaves: a proof is checked
// against a root and the count it was built over (the rollup contract
// keeps both per batch), never a count taken from the prover.
func MerkleRoot(leaves []common.Hash) common.Hash {
	if len(leaves) == 0 {
		return common.Hash{}
	}
	level := make([]common.Hash, len(leaves))
	copy(level, leaves)
	for n := len(level); n > 1; n = (n + 1) / 2 {
		for k := 0; k < n/2; k++ {
			level[k] = innerNode(level[2*k], level[2*k+1])
		}
		if n%2 == 1 {
			level[n/2] = level[n-1]
		}
	}
	return level[0]
}

// MerkleProof returns the proof that leaves[index] is in the tree of
// MerkleRoot(leaves): the sibling at each level from the leaf up, levels
// where the path's node is promoted having none. Its length is fixed by
// index and len(leaves). It fails with ErrMerkleIndex for an index
// outside the leaves.
func MerkleProof(leaves []common.Hash, index uint64) ([][32]byte, error) {
	if index >= uint64(len(leaves)) {
		return nil, fmt.Errorf("%w: leaf %d of %d", ErrMerkleIndex, index, len(leaves))
	}
	level := make([]common.Hash, len(leaves))
	copy(level, leaves)
	var proof [][32]byte
	i := int(index)
	for n := len(level); n > 1; n = (n + 1) / 2 {
		if sib := i ^ 1; sib < n {
			proof = append(proof, level[sib])
		}
		for k := 0; k < n/2; k++ {
			level[k] = innerNode(level[2*k], level[2*k+1])
		}
		if n%2 == 1 {
			level[n/2] = level[n-1]
		}
		i /= 2
	}
	return proof, nil
}

// VerifyMerkleProof reports whether proof shows that leaf is leaf number
// index of a tree of count leaves whose root is root (the tree of
// MerkleRoot). It is false for an index outside the tree and for a proof
// of any other length than the path needs.
func VerifyMerkleProof(root, leaf common.Hash, index, count uint64, proof [][32]byte) bool {
	if index >= count {
		return false
	}
	h, used := leaf, 0
	for n, i := count, index; n > 1; n, i = n-n/2, i/2 {
		if i^1 >= n {
			continue // the last node of an odd level: promoted
		}
		if used == len(proof) {
			return false
		}
		sib := common.Hash(proof[used])
		used++
		if i%2 == 0 {
			h = innerNode(h, sib)
		} else {
			h = innerNode(sib, h)
		}
	}
	return used == len(proof) && h == root
}
