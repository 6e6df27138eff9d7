package contract

import (
	"errors"
	"math/big"
	"testing"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/ethereum/go-ethereum/rlp"
)

// TestInvalidChallengesChangeNothing: each malformed or mismatched proof
// is refused as an invalid challenge with its own reason, never a verdict,
// and the state stays as it was.
func TestInvalidChallengesChangeNothing(t *testing.T) {
	f := newL2Env(t, 8, 8, 4)
	s := f.runScenario(variants[0].mutate) // block 6 is wrong
	good := f.mustProof(6, s.posted[1], s.posted[1])
	if err := f.simulate(6, encodeProof(t, good)); err != nil {
		t.Fatalf("the unmodified proof fails: %v", err)
	}
	enc := encodeProof(t, good)
	w, err := execution.DecodeWitness(good.Witness, protocol.MaxFraudProofSize)
	if err != nil {
		t.Fatal(err)
	}
	lacking := f.witnessLackingANode(6, good, w)
	other := func(mut func(p *protocol.FraudProof)) []byte {
		p := *good
		p.Path = append([][32]byte{}, good.Path...)
		p.ParentPath = append([][32]byte{}, good.ParentPath...)
		p.Transactions = append([][]byte{}, good.Transactions...)
		mut(&p)
		return encodeProof(t, &p)
	}
	header4, _ := rlp.EncodeToBytes(f.l2(4).Header)
	extras6, _ := rlp.EncodeToBytes(f.l2(6).L2) // origin 4 with a deposit; block 5 has origin 3 and none
	cases := []struct {
		name   string
		n      block.L2Number
		data   []byte
		reason error
	}{
		{"empty proof", 6, nil, ErrProofMalformed},
		{"truncated proof", 6, enc[:len(enc)/2], ErrProofMalformed},
		{"unknown version", 6, append([]byte{9}, enc[1:]...), ErrProofMalformed},
		{"trailing bytes", 6, append(append([]byte{}, enc...), 0), ErrProofMalformed},
		{"another block number", 7, enc, ErrProofBlock},
		{"the genesis", 0, other(func(p *protocol.FraudProof) { p.Number = 0 }), ErrNotChallengeable},
		{"a block never posted", 10, other(func(p *protocol.FraudProof) { p.Number = 10 }), ErrNotChallengeable},
		{"flipped byte in Path", 6, other(func(p *protocol.FraudProof) { p.Path[0][3] ^= 1 }), ErrBadPath},
		{"longer Path", 6, other(func(p *protocol.FraudProof) { p.Path = append(p.Path, [32]byte{}) }), ErrBadPath},
		{"no Path", 6, other(func(p *protocol.FraudProof) { p.Path = nil }), ErrBadPath},
		{"another time", 6, other(func(p *protocol.FraudProof) { p.Time++ }), ErrBadPath},
		{"a transaction left out", 6, other(func(p *protocol.FraudProof) { p.Transactions = p.Transactions[1:] }), ErrBadPath},
		{"the posted state root corrected", 6, other(func(p *protocol.FraudProof) { p.StateRoot = f.l2(6).Header.Root }), ErrBadPath},
		{"an origin not in the history", 6, other(func(p *protocol.FraudProof) { p.Origin = 1 << 40 }), ErrBadOrigin},
		{"a garbled transaction", 6, other(func(p *protocol.FraudProof) { p.Transactions[0] = []byte{2, 0xc0} }), ErrProofMalformed},
		{"a malformed withdrawal", 6, other(func(p *protocol.FraudProof) {
			p.Withdrawals = []protocol.Withdrawal{{Amount: new(big.Int).Lsh(big.NewInt(1), 256)}}
		}), ErrProofMalformed},
		{"flipped byte in ParentPath", 6, other(func(p *protocol.FraudProof) { p.ParentPath[0][0] ^= 1 }), ErrBadParentPath},
		{"another parent inputs hash", 6, other(func(p *protocol.FraudProof) { p.ParentInputsHash[0] ^= 1 }), ErrBadParentPath},
		{"another parent withdrawals root", 6, other(func(p *protocol.FraudProof) { p.ParentWithdrawalsRoot[0] ^= 1 }), ErrBadParentPath},
		{"the header of another block as parent", 6, other(func(p *protocol.FraudProof) {
			p.ParentHeader, p.ParentExtras = header4, mustRLP(t, f.l2(4).L2)
		}), ErrBadParent},
		{"parent extras the header does not commit to", 6, other(func(p *protocol.FraudProof) { p.ParentExtras = extras6 }), ErrProofMalformed},
		{"garbled parent header", 6, other(func(p *protocol.FraudProof) { p.ParentHeader = []byte{0xc1, 0x80} }), ErrProofMalformed},
		{"a witness missing one node", 6, other(func(p *protocol.FraudProof) { p.Witness = lacking }), ErrWitnessIncomplete},
		{"an empty witness", 6, other(func(p *protocol.FraudProof) { p.Witness = mustRLP(t, &execution.Witness{}) }), ErrWitnessIncomplete},
		{"a garbled witness", 6, other(func(p *protocol.FraudProof) { p.Witness = []byte{0xff} }), ErrProofMalformed},
		{"too many transactions", 6, other(func(p *protocol.FraudProof) {
			for range 5 {
				p.Transactions = append(p.Transactions, p.Transactions[0])
			}
		}), ErrProofMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := f.root()
			_, gas, err := f.challenge(tc.n, tc.data)
			revertsWith(t, err, tc.reason, "rollup: invalid challenge: ")
			if !errors.Is(err, ErrInvalidChallenge) {
				t.Fatalf("not an invalid challenge: %v", err)
			}
			if f.root() != before || ReadBatchCount(f.st) != 3 || ReadDisputeCount(f.st) != 0 {
				t.Fatal("a refused challenge changed the state")
			}
			if gas > ChallengeGas {
				t.Fatalf("%d gas", gas)
			}
			t.Log(err)
		})
	}
	// Truncated calldata does not even decode as the method's arguments.
	before := f.root()
	_, _, err = f.run(stranger, nil, PackChallenge(6, enc)[:100])
	revertsWith(t, err, syscontract.ErrBadArguments, "challenge")
	if f.root() != before {
		t.Fatal("truncated calldata changed the state")
	}
	// After all that, the proof still wins.
	if _, _, err := f.challenge(6, enc); err != nil {
		t.Fatal(err)
	}
}

func mustRLP(t testing.TB, v any) []byte {
	t.Helper()
	enc, err := rlp.EncodeToBytes(v)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// witnessLackingANode returns good's witness without the first node (in
// order) whose absence the verifier notices.
func (f *l2env) witnessLackingANode(n block.L2Number, good *protocol.FraudProof, w *execution.Witness) []byte {
	f.t.Helper()
	for i := range w.State {
		enc := dropNode(f.t, w, i)
		p := *good
		p.Witness = enc
		if err := f.simulate(n, encodeProof(f.t, &p)); errors.Is(err, ErrWitnessIncomplete) {
			return enc
		}
	}
	f.t.Fatal("no node of the witness is needed")
	return nil
}

func dropNode(t testing.TB, w *execution.Witness, i int) []byte {
	t.Helper()
	cut := &execution.Witness{Codes: w.Codes}
	cut.State = append(cut.State, w.State[:i]...)
	cut.State = append(cut.State, w.State[i+1:]...)
	enc, err := cut.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// TestNoWitnessMakesACorrectOutputWrong removes each node of the witness
// of a correct block in turn: the challenge is then invalid ("the witness
// lacks a node") or fails ("output is correct"), never a verdict against
// the sequencer.
func TestNoWitnessMakesACorrectOutputWrong(t *testing.T) {
	f := newL2Env(t, 8, 8, 4)
	s := f.runScenario(nil)
	for _, n := range []block.L2Number{1, 6} {
		var pb *protocol.Batch
		if n > 1 {
			pb = s.posted[batchOf(n-1)]
		}
		good := f.mustProof(n, s.posted[batchOf(n)], pb)
		w, err := execution.DecodeWitness(good.Witness, protocol.MaxFraudProofSize)
		if err != nil {
			t.Fatal(err)
		}
		lacking := 0
		for i := range w.State {
			p := *good
			p.Witness = dropNode(t, w, i)
			err := f.simulate(n, encodeProof(t, &p))
			switch {
			case errors.Is(err, ErrWitnessIncomplete):
				lacking++
			case errors.Is(err, ErrOutputCorrect):
			default:
				t.Fatalf("L2 block %d without witness node %d: %v", n, i, err)
			}
		}
		if lacking == 0 {
			t.Fatalf("L2 block %d: no node was needed", n)
		}
		t.Logf("L2 block %d: %d of %d single-node removals noticed, the rest unneeded", n, lacking, len(w.State))
	}
}
