package execution

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/ethereum/go-ethereum/core/types"
)

// witnessEnv commits block 1 of mixedBlocks and returns block 2 with the
// witness of its execution and the expected result.
func witnessEnv(t *testing.T, keys int) (*env, []*types.Transaction, *Result) {
	t.Helper()
	e := newEnv(t, keys)
	b1, b2 := mixedBlocks(e, rand.New(rand.NewPCG(3, 4)))
	sdb := e.state()
	if _, err := ApplyBlock(e.cfg, sdb, e.header(1), b1, e.reg, RejectInvalid, Options{}); err != nil {
		t.Fatal(err)
	}
	root, err := e.db.Commit(sdb, 1)
	if err != nil {
		t.Fatal(err)
	}
	e.root = root
	// A stale tx (nonce too low) makes SkipInvalid read state it then skips.
	b2 = append(b2, b1[0])
	res, err := ApplyBlock(e.cfg, e.state(), e.header(2), b2, e.reg, SkipInvalid, Options{CollectWitness: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Witness == nil || len(res.Witness.State) == 0 {
		t.Fatal("no witness collected")
	}
	return e, b2, res
}

// TestWitnessRoundTrip proves a block re-executed from its encoded witness
// alone gives the same state and receipts roots (transfers to new accounts,
// storage writes and a storage deletion, failed calls, a skipped tx and an
// end-block hook included).
func TestWitnessRoundTrip(t *testing.T) {
	e, txs, res := witnessEnv(t, 40)
	enc, err := res.Witness.Encode()
	if err != nil {
		t.Fatal(err)
	}
	w, err := DecodeWitness(enc, len(enc))
	if err != nil {
		t.Fatal(err)
	}
	root, receipts, err := ExecuteStateless(e.cfg, w, e.root, e.header(2), txs, e.reg, SkipInvalid, nil)
	if err != nil {
		t.Fatal(err)
	}
	if root != res.StateRoot || receipts != res.ReceiptsRoot {
		t.Fatalf("stateless roots %s/%s, want %s/%s", root, receipts, res.StateRoot, res.ReceiptsRoot)
	}
	t.Logf("witness: %d nodes, %d bytes encoded", len(w.State), len(enc))
}

// TestWitnessMissingNode removes each node of a witness in turn: every
// re-execution must either fail with ErrStateUnavailable or (if the node
// was not needed) give the right root — never a different root.
func TestWitnessMissingNode(t *testing.T) {
	e, txs, res := witnessEnv(t, 12)
	failures := 0
	for i := range res.Witness.State {
		w := &Witness{Codes: res.Witness.Codes}
		w.State = append(w.State, res.Witness.State[:i]...)
		w.State = append(w.State, res.Witness.State[i+1:]...)
		root, _, err := ExecuteStateless(e.cfg, w, e.root, e.header(2), txs, e.reg, SkipInvalid, nil)
		switch {
		case err != nil && errors.Is(err, ErrStateUnavailable):
			failures++
		case err != nil:
			t.Fatalf("node %d: error without ErrStateUnavailable: %v", i, err)
		case root != res.StateRoot:
			t.Fatalf("node %d removed: wrong root %s, want %s", i, root, res.StateRoot)
		}
	}
	if failures == 0 {
		t.Fatal("removing nodes never failed: the witness check is not effective")
	}
	t.Logf("%d of %d single-node removals detected, the rest unneeded", failures, len(res.Witness.State))
	if _, _, err := ExecuteStateless(e.cfg, &Witness{}, e.root, e.header(2), txs, e.reg, SkipInvalid, nil); !errors.Is(err, ErrStateUnavailable) {
		t.Errorf("empty witness: %v", err)
	}
}

// TestDecodeWitnessLimits proves the size limit is applied before decoding
// and malformed input is a clear error.
func TestDecodeWitnessLimits(t *testing.T) {
	w := &Witness{State: [][]byte{{1, 2, 3}}, Codes: [][]byte{{0xfe}}}
	enc, err := w.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeWitness(enc, len(enc)-1); !errors.Is(err, ErrWitnessTooLarge) {
		t.Errorf("over limit: %v", err)
	}
	if _, err := DecodeWitness([]byte{0xff, 0x01}, 100); !errors.Is(err, ErrBadWitness) {
		t.Errorf("garbage: %v", err)
	}
	got, err := DecodeWitness(enc, len(enc))
	if err != nil || len(got.State) != 1 || got.Size() != 4 {
		t.Errorf("round trip %+v %v", got, err)
	}
}
