package contract

import (
	"bytes"
	"errors"
	"math/big"
	"runtime"
	"testing"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
)

// TestPackChallengeMatchesTheABI compares the hand-built calldata with
// go-ethereum's ABI encoder and the calldata limit with the largest proof.
func TestPackChallengeMatchesTheABI(t *testing.T) {
	for _, n := range []int{0, 1, 31, 32, 33, 1000} {
		proof := make([]byte, n)
		for i := range proof {
			proof[i] = byte(i + 3)
		}
		want, err := ABI().Pack("challenge", uint64(77), proof)
		if err != nil {
			t.Fatal(err)
		}
		got := PackChallenge(77, proof)
		if !bytes.Equal(got, want) {
			t.Fatalf("%d bytes: calldata differs from the ABI encoder's", n)
		}
		l2, back, err := UnpackChallengeInput(got)
		if err != nil || l2 != 77 || !bytes.Equal(back, proof) {
			t.Fatalf("unpacked %d %x, %v", l2, back, err)
		}
	}
	if got := len(PackChallenge(1, make([]byte, protocol.MaxFraudProofSize))); got != MaxCallDataSize {
		t.Fatalf("a maximal proof takes %d bytes of calldata, the limit is %d", got, MaxCallDataSize)
	}
	if got := len(PackSubmitBatch(make([]byte, MaxBatchSize))); got > MaxCallDataSize {
		t.Fatalf("a maximal batch takes %d bytes of calldata, over the limit %d", got, MaxCallDataSize)
	}
	if _, _, err := UnpackChallengeInput(PackBond()); !errors.Is(err, ErrBadResponse) {
		t.Fatalf("bond() calldata unpacked as a challenge: %v", err)
	}
	a := ABI()
	if a.Methods["challenge"].IsConstant() || a.Methods["challenge"].IsPayable() || !a.Methods["dispute"].IsConstant() ||
		!a.Methods["disputeCount"].IsConstant() {
		t.Fatal("ABI mutabilities are wrong")
	}
	if sig := a.Events["Challenged"].Sig; sig != "Challenged(uint64,address,uint64,uint64,bytes32,bytes32,uint256,uint256,address)" {
		t.Fatalf("Challenged signature %s", sig)
	}
}

// variant is a way of posting a wrong output: mutate changes the posted
// batches, wrong is the first wrong block (the one to challenge).
type variant struct {
	name   string
	wrong  block.L2Number
	mutate func(s *[3]*protocol.Batch)
}

// posted returns block n of the scenario's posted batches.
func posted(s *[3]*protocol.Batch, n block.L2Number) *protocol.Block {
	b := s[batchOf(n)]
	return &b.Blocks[n-b.Blocks[0].Number]
}

var variants = []variant{
	{"flipped state-root byte", 6, func(s *[3]*protocol.Batch) { posted(s, 6).StateRoot[7] ^= 0x10 }},
	{"zero state root", 6, func(s *[3]*protocol.Batch) { posted(s, 6).StateRoot = common.Hash{} }},
	{"wrong block hash", 6, func(s *[3]*protocol.Batch) { posted(s, 6).BlockHash[0] ^= 1 }},
	{"wrong withdrawals list", 6, func(s *[3]*protocol.Batch) {
		posted(s, 6).Withdrawals = []protocol.Withdrawal{{Nonce: 0, From: common.Address{1}, To: common.Address{2}, Amount: big.NewInt(5)}}
	}},
	// The posted parent (5) is wrong and block 6 right on top of it: the
	// first wrong block is the parent.
	{"right state root on a wrong parent", 5, func(s *[3]*protocol.Batch) { posted(s, 5).StateRoot[0] ^= 1 }},
	// The first block of a batch: its parent is in the batch before.
	{"first block of a batch", 4, func(s *[3]*protocol.Batch) { posted(s, 4).StateRoot[31] ^= 1 }},
	// Block 1: its parent is the L2 genesis.
	{"block 1", 1, func(s *[3]*protocol.Batch) { posted(s, 1).StateRoot[31] ^= 1 }},
}

// TestChallengeWrongOutputs: for each way of posting a wrong output, one
// challenge transaction proves it: the outputs from the block on are
// deleted (its batch truncated, later batches gone), the bond moves
// exactly, the dispute is recorded, the sequencer must re-bond, and after
// re-bonding the correct blocks are posted again and finalize.
func TestChallengeWrongOutputs(t *testing.T) {
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) { testChallengeWrongOutput(t, v) })
	}
}

func testChallengeWrongOutput(t *testing.T, v variant) {
	f := newL2Env(t, 8, 8, 4)
	s := f.runScenario(v.mutate)
	n, bi := v.wrong, batchOf(v.wrong)
	var pb *protocol.Batch
	if n > 1 {
		pb = s.posted[batchOf(n-1)]
	}
	proof := encodeProof(t, f.mustProof(n, s.posted[bi], pb))
	if v.name == "right state root on a wrong parent" {
		// The builder says to challenge the parent; a proof of block 6
		// with the own parent is refused: the posted parent differs.
		if _, err := f.proof(6, s.posted[1], s.posted[1]); !errors.Is(err, protocol.ErrParentMismatch) {
			t.Fatalf("proof of block 6 on a wrong parent: %v", err)
		}
		p6 := f.mustProof(6, s.posted[1], s.honest[1])
		before := f.root()
		_, _, err := f.challenge(6, encodeProof(t, p6))
		revertsWith(t, err, ErrBadParentPath, "invalid challenge")
		if f.root() != before {
			t.Fatal("a refused challenge changed the state")
		}
	}

	supply, bal, held := f.supply(), f.st.GetBalance(stranger).Clone(), f.st.GetBalance(Address).Clone()
	logsBefore := len(f.st.Logs())
	ret, gas, err := f.challenge(n, proof)
	if err != nil {
		t.Fatalf("challenge of L2 block %d: %v", n, err)
	}
	if gas != ChallengeGas {
		t.Fatalf("challenge used %d gas, want the fixed %d", gas, ChallengeGas)
	}
	if idx, err := UnpackChallenge(ret); err != nil || idx != 0 {
		t.Fatalf("dispute index %d, %v", idx, err)
	}

	// The bond: half to the challenger, half burned.
	half := eth(5)
	if got := new(uint256.Int).Sub(f.st.GetBalance(stranger), bal); !got.Eq(half) {
		t.Fatalf("challenger received %s", got)
	}
	if got := new(uint256.Int).Sub(held, f.st.GetBalance(Address)); !got.Eq(eth(10)) {
		t.Fatalf("the contract paid out %s", got)
	}
	if got := new(uint256.Int).Sub(supply, f.supply()); !got.Eq(half) {
		t.Fatalf("total supply dropped by %s, want half the bond", got)
	}
	if ReadBond(f.st, sequencer).Sign() != 0 {
		t.Fatal("the sequencer kept a bond")
	}

	// The outputs from n on are gone.
	first := scenarioBatches[bi][0]
	wantCount := uint64(bi)
	if n > first {
		wantCount++
		got, err := ReadBatch(f.st, uint64(bi))
		if err != nil || got.FirstBlock != first || got.BlockCount != uint64(n-first) || got.LeafCount != uint64(len(s.posted[bi].Blocks)) ||
			got.Root != expectedRoot(t, s.posted[bi]) {
			t.Fatalf("truncated batch %+v, %v", got, err)
		}
		ret, err := f.view(PackBatch(uint64(bi)))
		if viewed, uerr := UnpackBatch(uint64(bi), ret); err != nil || uerr != nil || viewed.BlockCount != got.BlockCount || viewed.LeafCount != got.LeafCount ||
			viewed.Poster != sequencer || got.Poster != sequencer {
			t.Fatalf("batch view %+v, %v %v", viewed, err, uerr)
		}
	}
	if got := ReadBatchCount(f.st); got != wantCount {
		t.Fatalf("%d batches left, want %d", got, wantCount)
	}
	if _, err := ReadBatch(f.st, wantCount); !errors.Is(err, ErrNoBatch) {
		t.Fatalf("a deleted batch reads: %v", err)
	}
	for m := n; m <= 9; m++ {
		if _, err := ReadBatchOfBlock(f.st, m); !errors.Is(err, ErrNoBatch) {
			t.Fatalf("deleted L2 block %d is still in a batch: %v", m, err)
		}
	}
	parent := f.l2(n - 1)
	if h := f.head(); h != (protocol.Head{Number: n - 1, Hash: parent.Hash(), Time: parent.Header.Time, Origin: parent.L2.Origin.Number}) {
		t.Fatalf("last accepted %+v after the challenge", h)
	}

	// The record and the log.
	own := f.l2(n)
	pos := blockOf(t, s.posted[bi], n)
	pw, _ := protocol.WithdrawalsRoot(pos.Withdrawals)
	empty, _ := protocol.WithdrawalsRoot(nil)
	want := Dispute{Index: 0, L2Block: n, BatchIndex: uint64(bi), Challenger: stranger, L1Block: block.L1Number(f.block),
		Posted:   newOutput(pos.StateRoot, pw, pos.BlockHash),
		Computed: newOutput(own.Header.Root, empty, own.Hash()),
		Reward:   half.ToBig(), Burned: half.ToBig(), Poster: sequencer}
	d, err := ReadDispute(f.st, 0)
	if err != nil || !sameDispute(d, want) {
		t.Fatalf("dispute %+v, %v; want %+v", d, err, want)
	}
	ret, err = f.view(PackDispute(0))
	if viewed, uerr := UnpackDispute(0, ret); err != nil || uerr != nil || !sameDispute(viewed, want) {
		t.Fatalf("dispute view %+v, %v %v", viewed, err, uerr)
	}
	if ret, err := f.view(PackDisputeCount()); err != nil {
		t.Fatal(err)
	} else if c, _ := UnpackDisputeCount(ret); c != 1 || ReadDisputeCount(f.st) != 1 {
		t.Fatalf("dispute count %d", c)
	}
	if _, err := ReadDispute(f.st, 1); !errors.Is(err, ErrNoDispute) {
		t.Fatalf("dispute 1: %v", err)
	}
	logs := f.st.Logs()[logsBefore:]
	if len(logs) != 1 {
		t.Fatalf("%d logs", len(logs))
	}
	ev, err := ParseChallenged(logs[0])
	if err != nil || ev.L2Block != n || ev.Challenger != stranger || ev.BatchIndex != uint64(bi) || ev.Dispute != 0 ||
		ev.PostedOutput != want.Posted.Root || ev.ComputedOutput != want.Computed.Root ||
		ev.Reward.Cmp(half.ToBig()) != 0 || ev.Burned.Cmp(half.ToBig()) != 0 || ev.Poster != sequencer {
		t.Fatalf("Challenged %+v, %v", ev, err)
	}

	// The same proof again: the block is no longer posted.
	_, _, err = f.challenge(n, proof)
	revertsWith(t, err, ErrNotChallengeable, "invalid challenge")

	// The kept blocks of a truncated batch still prove against its
	// original leaf count: a challenge of the (correct) block before n.
	if n > first {
		p := f.mustProof(n-1, s.posted[bi], s.posted[batchOf(n-2)])
		_, _, err := f.challenge(n-1, encodeProof(t, p))
		revertsWith(t, err, ErrOutputCorrect, "output is correct")
	}

	// The sequencer may not post until it re-bonds; then the correct
	// blocks from n are accepted and finalize with the right outputs.
	repost := f.claims(n, 9)
	_, _, err = f.submit(repost)
	revertsWith(t, err, ErrBondTooLow, "re-bond first")
	f.bond(eth(10))
	idx := f.mustSubmit(repost)
	if idx != wantCount {
		t.Fatalf("re-posted batch has index %d, want %d", idx, wantCount)
	}
	accepted := f.block
	for f.block <= 5+window {
		f.endBlock()
	}
	if got, _ := ReadFinalizedBlock(f.st); got != n-1 {
		t.Fatalf("after the first batches' window the finalized block is %d, want %d (a truncated batch ends before the wrong block)", got, n-1)
	}
	for f.block <= accepted+window {
		f.endBlock()
	}
	if got, _ := ReadFinalizedBlock(f.st); got != 9 {
		t.Fatalf("finalized block %d, want 9", got)
	}
	for i := range ReadBatchCount(f.st) {
		b, err := ReadBatch(f.st, i)
		if err != nil || !b.Final {
			t.Fatalf("batch %d: %+v, %v", i, b, err)
		}
		// Every standing block's leaf is the honest one.
		honest := f.claims(b.FirstBlock, b.LastBlock())
		if i == idx && b.Root != expectedRoot(t, honest) {
			t.Fatalf("re-posted batch %d root differs from the honest one", i)
		}
	}
	if got := ReadBatchCount(f.st); got != wantCount+1 {
		t.Fatalf("%d batches", got)
	}
}

func sameDispute(a, b Dispute) bool {
	return a.Index == b.Index && a.L2Block == b.L2Block && a.BatchIndex == b.BatchIndex && a.Challenger == b.Challenger &&
		a.L1Block == b.L1Block && a.Posted == b.Posted && a.Computed == b.Computed &&
		a.Reward.Cmp(b.Reward) == 0 && a.Burned.Cmp(b.Burned) == 0 && a.Poster == b.Poster
}

// TestChallengeOfACorrectOutputFails: a valid proof against a correct
// output reverts "output is correct" and changes nothing — for block 1
// (parent: the genesis), the first block of a batch (parent in the batch
// before), a block applying a deposit, and the last posted block.
func TestChallengeOfACorrectOutputFails(t *testing.T) {
	f := newL2Env(t, 8, 8, 4)
	s := f.runScenario(nil)
	for _, n := range []block.L2Number{1, 2, 4, 6, 9} {
		var pb *protocol.Batch
		if n > 1 {
			pb = s.posted[batchOf(n-1)]
		}
		proof := encodeProof(t, f.mustProof(n, s.posted[batchOf(n)], pb))
		before, bal := f.root(), f.st.GetBalance(stranger).Clone()
		_, _, err := f.challenge(n, proof)
		revertsWith(t, err, ErrOutputCorrect, "output is correct: the challenge fails")
		if f.root() != before || !f.st.GetBalance(stranger).Eq(bal) || ReadBatchCount(f.st) != 3 {
			t.Fatalf("L2 block %d: a failed challenge changed the state", n)
		}
	}
}

// TestChallengeWindowBoundary: a batch accepted in L1 block A may be
// challenged until block A+W included; from A+W+1 (final) it may not.
func TestChallengeWindowBoundary(t *testing.T) {
	f := newL2Env(t, 8, 8, 4)
	s := f.runScenario(variants[0].mutate)
	proof := encodeProof(t, f.mustProof(6, s.posted[1], s.posted[1]))
	f.advanceTo(5 + window)
	if err := f.simulate(6, proof); err != nil {
		t.Fatalf("in L1 block A+W: %v", err)
	}
	f.endBlock()
	if b, _ := ReadBatch(f.st, 1); !b.Final {
		t.Fatal("batch 1 is not final after block A+W")
	}
	before := f.root()
	_, _, err := f.challenge(6, proof)
	revertsWith(t, err, ErrBatchFinal, "challenge window ended at L1 block 35")
	if f.root() != before {
		t.Fatal("a refused challenge changed the state")
	}
}

// TestBuildFraudProofRefusals: the builder says what it cannot prove.
func TestBuildFraudProofRefusals(t *testing.T) {
	f := newL2Env(t, 4, 0, 4)
	s := f.runScenario(nil)
	w := f.witness(blockOf(t, s.posted[1], 6))
	parent := f.l2(5)
	base := protocol.ProofInputs{Number: 6, Batch: s.posted[1], ParentBatch: s.posted[1], Origins: testOrigins,
		ParentHeader: parent.Header, ParentExtras: parent.L2, Witness: w}
	if _, err := protocol.BuildFraudProof(base); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(in *protocol.ProofInputs){
		"block not in the batch":  func(in *protocol.ProofInputs) { in.Batch = s.posted[0] },
		"parent not in its batch": func(in *protocol.ProofInputs) { in.ParentBatch = s.posted[2] },
		"the wrong parent header": func(in *protocol.ProofInputs) { in.ParentHeader = f.l2(4).Header },
		"the wrong parent extras": func(in *protocol.ProofInputs) { in.ParentExtras = f.l2(2).L2 },
		"the genesis":             func(in *protocol.ProofInputs) { in.Number = 0 },
		"no origins":              func(in *protocol.ProofInputs) { in.Origins = nil },
		"an origin unknown": func(in *protocol.ProofInputs) {
			in.Origins = func(block.L1Number) (common.Hash, uint64, bool) { return common.Hash{}, 0, false }
		},
		"no parent header":          func(in *protocol.ProofInputs) { in.ParentHeader = nil },
		"a parent posted otherwise": func(in *protocol.ProofInputs) { in.ParentBatch = mutated(s.posted[1], 5) },
	} {
		in := base
		mut(&in)
		if _, err := protocol.BuildFraudProof(in); !errors.Is(err, protocol.ErrProofInputs) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// mutated returns a copy of b with block n's state root changed.
func mutated(b *protocol.Batch, n block.L2Number) *protocol.Batch {
	c := &protocol.Batch{ParentHash: b.ParentHash, Blocks: append([]protocol.Block{}, b.Blocks...)}
	for i := range c.Blocks {
		if c.Blocks[i].Number == n {
			c.Blocks[i].StateRoot[0] ^= 1
		}
	}
	return c
}

// TestChallengeOfAFullBlock: a block of MaxTxsPerBlock transfers over many
// accounts is challenged within the fixed verification gas, its proof
// within the calldata limit.
func TestChallengeOfAFullBlock(t *testing.T) {
	if testing.Short() {
		t.Skip("a 1,000-transaction block")
	}
	const txs = 1000
	f := newL2Env(t, txs, 4000, txs)
	f.bond(eth(10))
	f.endBlock()
	f.l2Block(1, f.transfers(txs))
	b := f.claims(1, 1)
	b.Blocks[0].StateRoot[0] ^= 1
	f.mustSubmit(b)
	f.endBlock()
	proof := encodeProof(t, f.mustProof(1, b, nil))
	calldata := PackChallenge(1, proof)
	if len(calldata) > MaxCallDataSize {
		t.Fatalf("%d bytes of calldata, the limit is %d", len(calldata), MaxCallDataSize)
	}
	intrinsic := execution.IntrinsicGas(calldata)
	_, gas, err := f.challenge(1, proof)
	if err != nil {
		t.Fatal(err)
	}
	if gas != ChallengeGas {
		t.Fatalf("verification used %d gas, the fixed cost is %d", gas, ChallengeGas)
	}
	if total := intrinsic + gas; total > f.gen.GasLimit {
		t.Fatalf("the challenge needs %d gas, the L1 block holds %d", total, f.gen.GasLimit)
	}
	t.Logf("%d transfers: proof %d bytes (witness %d), %d gas in all (calldata %d)", txs, len(proof),
		len(f.mustProof(1, b, nil).Witness), intrinsic+gas, intrinsic)
}

// BenchmarkChallengeVerification measures the verification of a challenge
// against a block of MaxTxsPerBlock (1,000) transfers among 100,000 L2
// accounts, as the L1 runs it (DESIGN goal: at most 100 ms of CPU).
func BenchmarkChallengeVerification(b *testing.B) {
	const txs = 1000
	f := newL2Env(b, txs, 100_000, txs)
	f.bond(eth(10))
	f.endBlock()
	f.l2Block(1, f.transfers(txs))
	batch := f.claims(1, 1)
	batch.Blocks[0].StateRoot[0] ^= 1
	f.mustSubmit(batch)
	f.endBlock()
	p := f.mustProof(1, batch, nil)
	proof := encodeProof(b, p)
	calldata := PackChallenge(1, proof)
	runtime.GC() // the set-up's garbage is not the verification's
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := f.reg.Call(f.st, f.info(), stranger, Address, nil, calldata, 100_000_000); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(p.Witness)), "witness-bytes")
	b.ReportMetric(float64(len(proof)), "proof-bytes")
	b.ReportMetric(float64(execution.IntrinsicGas(calldata)+ChallengeGas), "gas")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/verify")
}

// FuzzChallenge: whatever the proof, a challenge against correct outputs
// reverts without changing the state, and never panics.
func FuzzChallenge(f *testing.F) {
	e := newL2Env(f, 4, 4, 4)
	s := e.runScenario(nil)
	for _, n := range []block.L2Number{1, 4, 6} {
		var pb *protocol.Batch
		if n > 1 {
			pb = s.posted[batchOf(n-1)]
		}
		f.Add(uint64(n), encodeProof(f, e.mustProof(n, s.posted[batchOf(n)], pb)))
	}
	f.Add(uint64(3), []byte{protocol.FraudProofVersion, 0xc0})
	before := e.root()
	f.Fuzz(func(t *testing.T, n uint64, data []byte) {
		_, _, err := e.reg.Run(e.st, e.info(), stranger, Address, nil, PackChallenge(block.L2Number(n), data), 100_000_000)
		if !errors.Is(err, syscontract.ErrExecutionReverted) {
			t.Fatalf("not a revert: %v", err)
		}
		if e.root() != before {
			t.Fatal("a refused challenge changed the state")
		}
	})
}
