package protocol

import (
	"errors"
	"math/big"
	"testing"

	"github.com/bilayer/bilayer/core/block"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"
)

// proveFixture: batches of L2 blocks 1–3 and 4–8 (origins 40, 41, …), and
// an own header for block 5 whose hash and state root block 5's claim
// carries.
func proveFixture(t *testing.T) (b1, b2 *Batch, parent *types.Header, extras *block.L2Extras) {
	t.Helper()
	extras = &block.L2Extras{Origin: block.L1Ref{Number: 42, Hash: l1Hash(42), BaseFee: big.NewInt(7)}}
	parent = &types.Header{Number: big.NewInt(5), Root: common.Hash{5}, MixDigest: extras.Hash(), BaseFee: big.NewInt(1), Time: 77}
	mk := func(from, to block.L2Number) *Batch {
		b := &Batch{ParentHash: l2Hash(from - 1)}
		for n := from; n <= to; n++ {
			blk := Block{Number: n, Time: 70 + uint64(n), Origin: 40 + block.L1Number(n/2), Transactions: txs(int(n % 3)),
				StateRoot: common.Hash{byte(n)}, BlockHash: l2Hash(n)}
			if n == 5 {
				blk.BlockHash = parent.Hash()
				blk.Withdrawals = []Withdrawal{{Nonce: 3, To: common.Address{9}, Amount: big.NewInt(11)}}
			}
			b.Blocks = append(b.Blocks, blk)
		}
		return b
	}
	return mk(1, 3), mk(4, 8), parent, extras
}

func historyAll(n block.L1Number) (common.Hash, uint64, bool) { return l1Hash(n), l1Time(n), true }

// TestBuildFraudProofOpensBothLeaves: the proof's paths verify against the
// batches' roots with the leaves the verifier rebuilds from the proof
// (the block's posted claims and origin; the parent's header, inputs hash
// and withdrawals root), and it round-trips through its encoding.
func TestBuildFraudProofOpensBothLeaves(t *testing.T) {
	_, b2, parent, extras := proveFixture(t)
	p, err := BuildFraudProof(ProofInputs{Number: 6, Batch: b2, ParentBatch: b2, Origins: historyAll,
		ParentHeader: parent, ParentExtras: extras, Witness: []byte{1, 2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	root, err := b2.Root(historyAll)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	p, err = DecodeFraudProof(enc)
	if err != nil {
		t.Fatal(err)
	}
	txs, err := p.DecodeTransactions()
	if err != nil {
		t.Fatal(err)
	}
	wroot, err := WithdrawalsRoot(p.Withdrawals)
	if err != nil {
		t.Fatal(err)
	}
	leaf := Leaf(InputsHash(6, p.Time, L1ID{Number: block.L1Number(p.Origin), Hash: l1Hash(block.L1Number(p.Origin))}, txs),
		OutputRoot(p.StateRoot, wroot, p.BlockHash))
	if !VerifyMerkleProof(root, leaf, 2, 5, p.Path) {
		t.Fatal("the block's path does not verify")
	}
	h, x, err := p.DecodeParent()
	if err != nil || h.Hash() != parent.Hash() || x.Hash() != extras.Hash() {
		t.Fatalf("parent %v", err)
	}
	pleaf := Leaf(p.ParentInputsHash, OutputRoot(h.Root, p.ParentWithdrawalsRoot, h.Hash()))
	if !VerifyMerkleProof(root, pleaf, 1, 5, p.ParentPath) {
		t.Fatal("the parent's path does not verify")
	}
	if string(p.Witness) != string([]byte{1, 2, 3}) || p.Number != 6 {
		t.Fatalf("proof %+v", p)
	}
}

// TestBuildFraudProofParentInAnotherBatch: block 4's parent is the last
// block of the batch before; block 1's is the genesis (no parent path).
func TestBuildFraudProofParentInAnotherBatch(t *testing.T) {
	b1, b2, _, _ := proveFixture(t)
	extras := &block.L2Extras{Origin: block.L1Ref{Number: 41, Hash: l1Hash(41), BaseFee: big.NewInt(7)}}
	h3 := &types.Header{Number: big.NewInt(3), Root: b1.Blocks[2].StateRoot, MixDigest: extras.Hash(), BaseFee: big.NewInt(1)}
	b1.Blocks[2].BlockHash = h3.Hash()
	p, err := BuildFraudProof(ProofInputs{Number: 4, Batch: b2, ParentBatch: b1, Origins: historyAll, ParentHeader: h3, ParentExtras: extras})
	if err != nil {
		t.Fatal(err)
	}
	root1, _ := b1.Root(historyAll)
	if !VerifyMerkleProof(root1, Leaf(p.ParentInputsHash, OutputRoot(h3.Root, p.ParentWithdrawalsRoot, h3.Hash())), 2, 3, p.ParentPath) {
		t.Fatal("the parent's path in the batch before does not verify")
	}
	gx := &block.L2Extras{Origin: block.L1Ref{Number: 0, Hash: l1Hash(0), BaseFee: big.NewInt(1)}}
	g := &types.Header{Number: new(big.Int), MixDigest: gx.Hash(), BaseFee: big.NewInt(1)}
	p, err = BuildFraudProof(ProofInputs{Number: 1, Batch: b1, Origins: historyAll, ParentHeader: g, ParentExtras: gx})
	if err != nil {
		t.Fatal(err)
	}
	if p.ParentPath != nil || p.ParentInputsHash != (common.Hash{}) {
		t.Fatal("block 1's proof carries a parent path")
	}
	var back types.Header
	if err := rlp.DecodeBytes(p.ParentHeader, &back); err != nil || back.Hash() != g.Hash() {
		t.Fatalf("genesis header %v", err)
	}
}

// TestBuildFraudProofRefusesWhatCannotProve lists the inputs the builder
// refuses, each with ErrProofInputs.
func TestBuildFraudProofRefusesWhatCannotProve(t *testing.T) {
	b1, b2, parent, extras := proveFixture(t)
	base := ProofInputs{Number: 6, Batch: b2, ParentBatch: b2, Origins: historyAll, ParentHeader: parent, ParentExtras: extras}
	otherParent := *parent
	otherParent.Root = common.Hash{0xee}
	for name, mut := range map[string]func(in *ProofInputs){
		"block 0":                    func(in *ProofInputs) { in.Number = 0 },
		"a block after the batch":    func(in *ProofInputs) { in.Number = 9 },
		"the wrong batch":            func(in *ProofInputs) { in.Batch = b1 },
		"no batch":                   func(in *ProofInputs) { in.Batch = nil },
		"no parent batch":            func(in *ProofInputs) { in.ParentBatch = nil },
		"no origins":                 func(in *ProofInputs) { in.Origins = nil },
		"an unknown origin":          func(in *ProofInputs) { in.Origins = history{lo: 0, hi: 43}.lookup },
		"a parent of another height": func(in *ProofInputs) { in.Number = 7 },
		"extras not committed":       func(in *ProofInputs) { in.ParentExtras = &block.L2Extras{Origin: block.L1Ref{BaseFee: big.NewInt(1)}} },
		"malformed extras":           func(in *ProofInputs) { in.ParentExtras = &block.L2Extras{} },
		"a nil transaction":          func(in *ProofInputs) { in.Batch = withNilTx(b2, 6) },
	} {
		in := base
		mut(&in)
		if _, err := BuildFraudProof(in); !errors.Is(err, ErrProofInputs) {
			t.Errorf("%s: %v", name, err)
		}
	}
	in := base
	in.ParentHeader = &otherParent
	in.ParentExtras = extras
	if _, err := BuildFraudProof(in); !errors.Is(err, ErrParentMismatch) || !errors.Is(err, ErrProofInputs) {
		t.Errorf("a parent posted otherwise: %v", err)
	}
}

func withNilTx(b *Batch, n block.L2Number) *Batch {
	c := &Batch{ParentHash: b.ParentHash, Blocks: append([]Block{}, b.Blocks...)}
	for i := range c.Blocks {
		if c.Blocks[i].Number == n {
			c.Blocks[i].Transactions = append(types.Transactions{nil}, c.Blocks[i].Transactions...)
		}
	}
	return c
}
