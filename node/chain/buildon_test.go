package chain

import (
	"errors"
	"testing"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/store/memdb"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// TestBuildOnAnUncommittedParent is the proposer of the next height
// building ahead: block 2 is built on block 1's executed state while block
// 1 commits (on another goroutine), sealed with block 1's certificate, and
// a node that re-executes both from its own committed state gets the same
// roots and head.
func TestBuildOnAnUncommittedParent(t *testing.T) {
	env := newTestEnv(t, 3)
	proposer, verifier := env.open(t, memdb.New()), env.open(t, memdb.New())
	first := []*types.Transaction{env.transfer(t, 0, 0, 100), env.transfer(t, 1, 0, 100)}
	next := []*types.Transaction{env.transfer(t, 0, 1, 200), env.transfer(t, 2, 0, 300)}

	built, err := proposer.Build(BuildParams{Proposer: common.Address{0xaa}, Time: 1_700_000_001}, &sliceSource{txs: first})
	if err != nil {
		t.Fatal(err)
	}
	run, err := proposer.BuildOn(built, BuildParams{Proposer: common.Address{0xaa}, Time: 1_700_000_002}, &sliceSource{txs: next})
	if err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		ex  *Executed
		err error
	}
	done := make(chan outcome, 1)
	go func() { ex, err := run(); done <- outcome{ex, err} }()

	commit1 := &block.Commit{Height: 1, BlockHash: built.Block.Hash(),
		Signatures: []block.CommitSig{{Validator: common.Address{0xaa}, Signature: make([]byte, 65)}}}
	verified1, err := verifier.Execute(built.Block)
	if err != nil {
		t.Fatalf("verifier rejects block 1: %v", err)
	}
	if err := proposer.CommitBlock(built, commit1); err != nil {
		t.Fatal(err)
	}
	if err := verifier.CommitBlock(verified1, commit1); err != nil {
		t.Fatal(err)
	}
	out := <-done
	if out.err != nil {
		t.Fatal(out.err)
	}
	if _, err := proposer.BuildOn(built, BuildParams{}, &sliceSource{}); !errors.Is(err, ErrAlreadyCommitted) {
		t.Fatalf("building on a committed block's consumed state: %v", err)
	}

	ahead := out.ex.Seal(commit1)
	b2 := ahead.Block
	if len(b2.Transactions) != 2 || b2.Header.ParentHash != built.Block.Hash() || b2.Extras.LastCommit != commit1 {
		t.Fatalf("block 2: %d txs, parent %s, last commit %v", len(b2.Transactions), b2.Header.ParentHash, b2.Extras.LastCommit)
	}
	if err := b2.CheckCommitments(); err != nil {
		t.Fatalf("sealed block: %v", err)
	}
	if out.ex.Block.Hash() == b2.Hash() {
		t.Fatal("sealing with the certificate kept the unsealed hash")
	}
	for _, r := range ahead.Receipts {
		if r.BlockHash != b2.Hash() {
			t.Fatalf("receipt names block %s, want %s", r.BlockHash, b2.Hash())
		}
	}
	verified2, err := verifier.Execute(b2)
	if err != nil {
		t.Fatalf("verifier rejects the block built ahead: %v", err)
	}
	if err := proposer.CommitBlock(ahead, nil); err != nil {
		t.Fatal(err)
	}
	if err := verifier.CommitBlock(verified2, nil); err != nil {
		t.Fatal(err)
	}
	if proposer.Head().Hash() != verifier.Head().Hash() {
		t.Fatal("nodes diverged")
	}
	st, err := proposer.HeadState()
	if err != nil {
		t.Fatal(err)
	}
	if got := st.GetBalance(common.HexToAddress("0xdead")).Uint64(); got != 700 {
		t.Fatalf("recipient holds %d, want 700", got)
	}
	if got := st.GetNonce(crypto.PubkeyToAddress(env.keys[0].PublicKey)); got != 2 {
		t.Fatalf("sender 0's nonce is %d after both blocks, want 2", got)
	}
}

// TestDiscardAParentThatWasNotDecided builds ahead on one of two
// proposals for height 1, commits the other, and discards the first: its
// staged state is gone, the committed one stays, and the discarded block
// cannot be committed any more.
func TestDiscardAParentThatWasNotDecided(t *testing.T) {
	env := newTestEnv(t, 2)
	c := env.open(t, memdb.New())
	lost, err := c.Build(BuildParams{Time: 1_700_000_001}, &sliceSource{txs: []*types.Transaction{env.transfer(t, 0, 0, 100)}})
	if err != nil {
		t.Fatal(err)
	}
	run, err := c.BuildOn(lost, BuildParams{Time: 1_700_000_002}, &sliceSource{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run(); err != nil { // waits for the staging
		t.Fatal(err)
	}
	if !c.StateDatabase().HasState(lost.Block.Header.Root) {
		t.Fatal("the staged state does not open")
	}
	decided, err := c.Build(BuildParams{Time: 1_700_000_001}, &sliceSource{txs: []*types.Transaction{env.transfer(t, 1, 0, 200)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CommitBlock(decided, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Discard(lost); err != nil {
		t.Fatal(err)
	}
	if c.StateDatabase().HasState(lost.Block.Header.Root) {
		t.Fatal("the discarded state still opens")
	}
	if _, err := c.HeadState(); err != nil {
		t.Fatalf("the committed state: %v", err)
	}
	if err := c.CommitBlock(lost, nil); !errors.Is(err, ErrAlreadyCommitted) {
		t.Fatalf("committing a discarded block: %v", err)
	}
}

// TestStageInBackgroundWhileVoting is every validator's path: the block it
// executed is staged on another goroutine while the height is voted on,
// and so is a second proposal of the height; the decided one commits
// (waiting for its staging), the pool's view of its senders comes from the
// staging, and the other is discarded without touching the committed state.
func TestStageInBackgroundWhileVoting(t *testing.T) {
	env := newTestEnv(t, 2)
	c := env.open(t, memdb.New())
	decided, err := c.Build(BuildParams{Time: 1_700_000_001}, &sliceSource{txs: []*types.Transaction{env.transfer(t, 0, 0, 100)}})
	if err != nil {
		t.Fatal(err)
	}
	other, err := c.Build(BuildParams{Time: 1_700_000_001, Proposer: common.Address{0xbb}},
		&sliceSource{txs: []*types.Transaction{env.transfer(t, 1, 0, 200)}})
	if err != nil {
		t.Fatal(err)
	}
	c.StageInBackground(decided)
	c.StageInBackground(other)
	c.StageInBackground(decided) // a second call changes nothing
	sender := crypto.PubkeyToAddress(env.keys[0].PublicKey)
	after, err := decided.Accounts(map[common.Address]bool{sender: true})
	if err != nil {
		t.Fatal(err)
	}
	if after[sender].Nonce != 1 {
		t.Fatalf("sender's nonce after the block: %d, want 1", after[sender].Nonce)
	}
	if err := c.CommitBlock(decided, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Discard(other); err != nil {
		t.Fatal(err)
	}
	if c.StateDatabase().HasState(other.Block.Header.Root) {
		t.Fatal("the discarded state still opens")
	}
	st, err := c.HeadState()
	if err != nil {
		t.Fatal(err)
	}
	if got := st.GetBalance(common.HexToAddress("0xdead")).Uint64(); got != 100 {
		t.Fatalf("recipient holds %d, want 100", got)
	}
	if _, err := decided.Accounts(map[common.Address]bool{sender: true}); !errors.Is(err, ErrAlreadyCommitted) {
		t.Fatalf("accounts of a committed block: %v", err)
	}
	if err := c.CommitBlock(decided, nil); !errors.Is(err, ErrAlreadyCommitted) {
		t.Fatalf("committing twice: %v", err)
	}
}
