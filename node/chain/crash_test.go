package chain

import (
	"math/rand/v2"
	"testing"

	pebblestore "github.com/bilayer/bilayer/store/pebble"
	"github.com/ethereum/go-ethereum/core/types"
)

// TestCrashAfterCommitLosesNothing commits blocks on pebble's
// crash-simulating filesystem and crashes at each point, keeping a random
// share of unsynced data: after a restart the head is the last block whose
// commit returned, and its state is complete.
func TestCrashAfterCommitLosesNothing(t *testing.T) {
	env := newTestEnv(t, 1)
	fs := pebblestore.NewCrashableMemFS()
	db, err := pebblestore.Open("db", pebblestore.Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	c := env.open(t, db)
	rng := rand.New(rand.NewPCG(7, 7))
	for h := uint64(1); h <= 8; h++ {
		ex, err := c.Build(BuildParams{Time: h}, &sliceSource{txs: []*types.Transaction{env.transfer(t, 0, h-1, 1)}})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.CommitBlock(ex, nil); err != nil {
			t.Fatal(err)
		}
		clone := fs.CrashClone(pebblestore.CrashCloneCfg{UnsyncedDataPercent: rng.IntN(101), RNG: rng})
		crashed, err := pebblestore.Open("db", pebblestore.Options{FS: clone})
		if err != nil {
			t.Fatalf("reopen after crash at height %d: %v", h, err)
		}
		rc := env.open(t, crashed)
		if rc.Head().Number() != h || rc.Head().Hash() != c.Head().Hash() {
			t.Fatalf("crash after committing %d: restarted at %d", h, rc.Head().Number())
		}
		st, err := rc.HeadState()
		if err != nil {
			t.Fatalf("state after crash at %d: %v", h, err)
		}
		if got := st.GetNonce(crypto0(env)); got != h {
			t.Fatalf("nonce after crash at %d: %d", h, got)
		}
		if err := crashed.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}
