package protocol

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// naiveRoot is the RFC 6962 definition, recursively: the root over n > 1
// leaves hashes the root of the first k (the largest power of two below
// n) with the root of the rest.
func naiveRoot(leaves []common.Hash) common.Hash {
	switch len(leaves) {
	case 0:
		return common.Hash{}
	case 1:
		return leaves[0]
	}
	k := splitPoint(len(leaves))
	l, r := naiveRoot(leaves[:k]), naiveRoot(leaves[k:])
	return crypto.Keccak256Hash([]byte{0x01}, l[:], r[:])
}

// splitPoint is the largest power of two below n (n > 1).
func splitPoint(n int) int {
	k := 1
	for k*2 < n {
		k *= 2
	}
	return k
}

// naiveProof is RFC 6962's audit path, leaf first.
func naiveProof(leaves []common.Hash, m int) [][32]byte {
	if len(leaves) <= 1 {
		return nil
	}
	k := splitPoint(len(leaves))
	if m < k {
		return append(naiveProof(leaves[:k], m), naiveRoot(leaves[k:]))
	}
	return append(naiveProof(leaves[k:], m-k), naiveRoot(leaves[:k]))
}

func testLeaves(n int) []common.Hash {
	out := make([]common.Hash, n)
	for i := range out {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(i))
		out[i] = Leaf(crypto.Keccak256Hash(b[:]), crypto.Keccak256Hash(b[:], b[:]))
	}
	return out
}

// TestMerkleMatchesNaive compares the level-by-level tree with the
// recursive definition for every size up to 70 and every leaf.
func TestMerkleMatchesNaive(t *testing.T) {
	for n := 0; n <= 70; n++ {
		leaves := testLeaves(n)
		root := MerkleRoot(leaves)
		if want := naiveRoot(leaves); root != want {
			t.Fatalf("n=%d: root %s, naive %s", n, root, want)
		}
		for i := range n {
			proof, err := MerkleProof(leaves, uint64(i))
			if err != nil {
				t.Fatal(err)
			}
			if want := naiveProof(leaves, i); !slices.Equal(proof, want) {
				t.Fatalf("n=%d i=%d: proof %x, naive %x", n, i, proof, want)
			}
			if !VerifyMerkleProof(root, leaves[i], uint64(i), uint64(n), proof) {
				t.Fatalf("n=%d i=%d: a valid proof is refused", n, i)
			}
		}
		if _, err := MerkleProof(leaves, uint64(n)); err == nil {
			t.Fatalf("n=%d: a proof for a leaf past the end", n)
		}
	}
}

// TestMerkleShape pins the tree's shape on small sizes: an odd node is
// promoted, never duplicated.
func TestMerkleShape(t *testing.T) {
	l := testLeaves(5)
	n := innerNode
	if got := MerkleRoot(l[:1]); got != l[0] {
		t.Fatal("the root of one leaf is not the leaf")
	}
	if got, want := MerkleRoot(l[:3]), n(n(l[0], l[1]), l[2]); got != want {
		t.Fatal("3 leaves: the odd leaf is not promoted")
	}
	if got, want := MerkleRoot(l[:5]), n(n(n(l[0], l[1]), n(l[2], l[3])), l[4]); got != want {
		t.Fatal("5 leaves: wrong shape")
	}
	if MerkleRoot(l[:3]) == MerkleRoot(append(slices.Clone(l[:3]), l[2])) {
		t.Fatal("duplicating the last leaf keeps the root (Bitcoin's malleability)")
	}
	if MerkleRoot(nil) != (common.Hash{}) {
		t.Fatal("the empty tree's root is not zero")
	}
}

// TestLeavesAndNodesAreSeparated: a leaf over (a, b) differs from an inner
// node over (a, b), so no inner node passes for a leaf.
func TestLeavesAndNodesAreSeparated(t *testing.T) {
	a, b := h("a"), h("b")
	if Leaf(a, b) == innerNode(a, b) || Leaf(a, b) == crypto.Keccak256Hash(a[:], b[:]) {
		t.Fatal("leaves and inner nodes share a domain")
	}
	leaves := testLeaves(4)
	root := MerkleRoot(leaves)
	// The inner node over leaves 0 and 1, presented as leaf 0 of a 2-leaf tree.
	left, right := innerNode(leaves[0], leaves[1]), innerNode(leaves[2], leaves[3])
	if !VerifyMerkleProof(root, left, 0, 2, [][32]byte{right}) {
		t.Fatal("sanity: the 2-leaf view of the tree does not verify")
	}
	// It verifies only as what it is, an inner node; no (inputs, output)
	// pair hashes to it as a leaf, which is what the domains guarantee.
	if Leaf(leaves[0], leaves[1]) == left {
		t.Fatal("an inner node is a leaf hash")
	}
}

// TestMerkleProofRefusals: every change to a valid proof makes it fail.
func TestMerkleProofRefusals(t *testing.T) {
	leaves := testLeaves(11)
	root := MerkleRoot(leaves)
	for i := range uint64(11) {
		proof, _ := MerkleProof(leaves, i)
		other := leaves[(i+1)%11]
		if VerifyMerkleProof(root, other, i, 11, proof) {
			t.Fatalf("i=%d: another leaf verifies", i)
		}
		if VerifyMerkleProof(h("root"), leaves[i], i, 11, proof) {
			t.Fatalf("i=%d: verifies against another root", i)
		}
		for _, j := range []uint64{i ^ 1, i + 1, i + 2} {
			if j != i && j < 11 && VerifyMerkleProof(root, leaves[i], j, 11, proof) {
				t.Fatalf("i=%d: verifies at index %d", i, j)
			}
		}
		// The root does not commit to the count (the contract keeps the
		// count beside it), but a count whose path to leaf i has another
		// length fails.
		for _, c := range []uint64{2, 1 << 40} {
			if i < c && VerifyMerkleProof(root, leaves[i], i, c, proof) {
				t.Fatalf("i=%d: verifies with count %d", i, c)
			}
		}
		if len(proof) > 0 && VerifyMerkleProof(root, leaves[i], i, 11, proof[:len(proof)-1]) {
			t.Fatalf("i=%d: a truncated proof verifies", i)
		}
		if VerifyMerkleProof(root, leaves[i], i, 11, append(slices.Clone(proof), [32]byte{})) {
			t.Fatalf("i=%d: an extended proof verifies", i)
		}
		for k := range proof {
			bad := slices.Clone(proof)
			bad[k][k%32] ^= 1
			if VerifyMerkleProof(root, leaves[i], i, 11, bad) {
				t.Fatalf("i=%d: proof with element %d flipped verifies", i, k)
			}
		}
	}
	if VerifyMerkleProof(leaves[0], leaves[0], 1, 1, nil) || VerifyMerkleProof(common.Hash{}, common.Hash{}, 0, 0, nil) {
		t.Fatal("an index outside the tree verifies")
	}
	if !VerifyMerkleProof(leaves[0], leaves[0], 0, 1, nil) {
		t.Fatal("the one-leaf tree does not verify its leaf")
	}
	if VerifyMerkleProof(root, leaves[0], ^uint64(0)-1, ^uint64(0), nil) {
		t.Fatal("a huge tree verifies with an empty proof")
	}
}

// TestMerkleRandomSizes checks random large trees against the naive
// definition.
func TestMerkleRandomSizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 30 {
		n := 1 + rng.IntN(3000)
		leaves := testLeaves(n)
		root := MerkleRoot(leaves)
		if root != naiveRoot(leaves) {
			t.Fatalf("n=%d: root differs from the naive one", n)
		}
		i := rng.IntN(n)
		proof, _ := MerkleProof(leaves, uint64(i))
		if !slices.Equal(proof, naiveProof(leaves, i)) || !VerifyMerkleProof(root, leaves[i], uint64(i), uint64(n), proof) {
			t.Fatalf("n=%d i=%d: proof differs from the naive one or fails", n, i)
		}
	}
}

// FuzzMerkleProof: for any tree size and leaf, the proof verifies, agrees
// with the naive one, and fails once any byte changes or the index moves.
func FuzzMerkleProof(f *testing.F) {
	f.Add(uint16(1), uint16(0), uint16(0))
	f.Add(uint16(7), uint16(6), uint16(3))
	f.Add(uint16(300), uint16(255), uint16(1000))
	f.Fuzz(func(t *testing.T, n, i, flip uint16) {
		count := int(n%600) + 1
		idx := int(i) % count
		leaves := testLeaves(count)
		root := MerkleRoot(leaves)
		proof, err := MerkleProof(leaves, uint64(idx))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(proof, naiveProof(leaves, idx)) {
			t.Fatal("proof differs from the naive one")
		}
		if !VerifyMerkleProof(root, leaves[idx], uint64(idx), uint64(count), proof) {
			t.Fatal("valid proof refused")
		}
		if len(proof) > 0 {
			bad := slices.Clone(proof)
			k := int(flip) % (len(proof) * 32)
			bad[k/32][k%32] ^= 0x80
			if VerifyMerkleProof(root, leaves[idx], uint64(idx), uint64(count), bad) {
				t.Fatal("flipped proof verifies")
			}
		}
		if other := (idx + 1 + int(flip)%count) % count; other != idx &&
			VerifyMerkleProof(root, leaves[idx], uint64(other), uint64(count), proof) {
			t.Fatalf("proof of %d verifies at %d", idx, other)
		}
	})
}
