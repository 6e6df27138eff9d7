package node

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/node/signer"
	"github.com/bilayer/bilayer/node/wire"
	"github.com/bilayer/bilayer/p2p"
	"github.com/bilayer/bilayer/store/memdb"
	"github.com/ethereum/go-ethereum/crypto"
)

// Regression tests of issue 15 (liveness and accountability faults of the
// driver), each staged event by event on one driver (driverHarness).

// TestDecidedHeightCompletesFromSyncedBlock: a restarted proposer whose
// database lacks its valid value's block (written before value blocks were
// saved, or lost) re-proposes that value, the others precommit it, and the
// node decides a block it does not hold. Sync then brings the block: the
// node must commit it and go on. It used to drop every synced block while
// decided and stay stuck until restarted.
func TestDecidedHeightCompletesFromSyncedBlock(t *testing.T) {
	h := newDriverHarness(t)
	self := h.proposerOf(1, 1)
	others := h.others(self)
	b1, bc1 := h.nextBlock(self, 0, others)
	id := consensus.BlockID(b1.Hash())
	db := memdb.New()
	st := consensus.PersistedState{Height: 1, Round: 1, Step: consensus.StepPropose, LockedRound: consensus.NilRound,
		ValidValue: id, ValidRound: 0, ValidPOL: h.votes(others, consensus.Prevote, 1, 0, id)}
	if err := saveConsensusState(db, st); err != nil {
		t.Fatal(err)
	}
	h.start(self, db, nil)
	for _, v := range h.votes(others, consensus.Precommit, 1, 1, id) {
		h.deliver(evMessage{msg: consensusMsg{vote: &v}})
	}
	if !h.d.m.Decided() || h.head() != 0 {
		t.Fatalf("setup: decided %v, head %d: want decided without the block", h.d.m.Decided(), h.head())
	}
	h.deliver(evSynced{block: b1, commit: bc1})
	if h.head() != 1 {
		t.Fatalf("head %d after the decided block arrived from sync, want 1 (the node dropped it while decided)", h.head())
	}
	if h.d.m.Height() != 2 || h.d.m.Decided() {
		t.Fatalf("machine at height %d (decided %v), want height 2 under way", h.d.m.Height(), h.d.m.Decided())
	}
}

// TestDecidedHeightCompletesFromResentProposal: the same stuck node also
// completes when the proposal carrying the decided block arrives again
// (the proposer re-sends its messages every second).
func TestDecidedHeightCompletesFromResentProposal(t *testing.T) {
	h := newDriverHarness(t)
	p := h.proposerOf(1, 0)
	self := h.others(p)[0]
	signers := h.others(self)
	b1, _ := h.nextBlock(p, 0, signers)
	id := consensus.BlockID(b1.Hash())
	h.start(self, memdb.New(), nil)
	// The node decides from the proposal it validated, then loses the block
	// (as a restarted proposer that never held it would be).
	msg := h.proposal(p, b1, 0, consensus.NilRound, nil)
	h.deliver(evMessage{msg: msg})
	delete(h.d.blocks, id)
	delete(h.d.executed, id)
	for _, v := range h.votes(signers, consensus.Precommit, 1, 0, id) {
		h.deliver(evMessage{msg: consensusMsg{vote: &v}})
	}
	if !h.d.m.Decided() || h.head() != 0 {
		t.Fatalf("setup: decided %v, head %d: want decided without the block", h.d.m.Decided(), h.head())
	}
	h.deliver(evMessage{msg: h.proposal(p, b1, 0, consensus.NilRound, nil)})
	if h.head() != 1 {
		t.Fatalf("head %d after the decided block's proposal arrived again, want 1", h.head())
	}
}

// twoHeights picks the harness's validator as one that proposes neither
// height 1 nor height 2 (self), and builds the others' blocks for both
// heights, signed by everyone else (signers), with block 1's certificate.
func twoHeights(h *driverHarness) (self, p1, p2 int, signers []int, b1 *block.Block, bc1 *block.Commit, b2 *block.Block) {
	h.t.Helper()
	p1, p2 = h.proposerOf(1, 0), h.proposerOf(2, 0)
	self = h.others(p1, p2)[0]
	signers = h.others(self)
	b1, bc1 = h.nextBlock(p1, 0, signers)
	b2, _ = h.nextBlock(p2, 0, signers)
	return self, p1, p2, signers, b1, bc1, b2
}

// TestBufferedNextHeightMessagesAreReplayed: proposals and votes of the
// next height that arrive while the node is still deciding the current
// one are buffered; when the current height is applied at once (a synced
// block, or a height that took longer than the block time) they must be
// replayed, or the next height waits for re-sends and one slow height
// makes the next slow.
func TestBufferedNextHeightMessagesAreReplayed(t *testing.T) {
	for _, path := range []string{"synced block", "slow height"} {
		t.Run(path, func(t *testing.T) {
			h := newDriverHarness(t)
			self, p1, p2, signers, b1, bc1, b2 := twoHeights(h)
			id1, id2 := consensus.BlockID(b1.Hash()), consensus.BlockID(b2.Hash())
			h.start(self, memdb.New(), nil)

			// Height 2's messages arrive early and are buffered.
			h.deliver(evMessage{msg: h.proposal(p2, b2, 0, consensus.NilRound, nil)})
			for _, t := range []consensus.VoteType{consensus.Prevote, consensus.Precommit} {
				for _, v := range h.votes(signers, t, 2, 0, id2) {
					h.deliver(evMessage{msg: consensusMsg{vote: &v}})
				}
			}
			if len(h.d.future) == 0 {
				t.Fatal("setup: nothing buffered for height 2")
			}

			if path == "synced block" {
				h.deliver(evSynced{block: b1, commit: bc1})
			} else {
				// Height 1 took longer than the block time (pacing.go
				// schedules the next from the slot).
				h.d.heightStart = time.Now().Add(-time.Hour)
				h.d.slot = h.d.heightStart
				h.deliver(evMessage{msg: h.proposal(p1, b1, 0, consensus.NilRound, nil)})
				for _, t := range []consensus.VoteType{consensus.Prevote, consensus.Precommit} {
					for _, v := range h.votes(signers, t, 1, 0, id1) {
						h.deliver(evMessage{msg: consensusMsg{vote: &v}})
					}
				}
			}
			if h.head() != 2 {
				t.Fatalf("head %d, want 2: height 2's buffered proposal and votes were not replayed (machine at height %d)", h.head(), h.d.m.Height())
			}
		})
	}
}

// TestSignerStoreFailureHaltsTheDriver: when the double-sign guard cannot
// save its state, the validator must halt and say why, as it does when
// the consensus state cannot be saved, instead of going on as a silent
// non-voter that only logs warnings.
func TestSignerStoreFailureHaltsTheDriver(t *testing.T) {
	h := newDriverHarness(t)
	p := h.proposerOf(1, 0)
	self := h.others(p)[0]
	b1, _ := h.nextBlock(p, 0, h.others(self))
	guard := signer.NewMemStore()
	h.start(self, memdb.New(), guard)
	guard.Crash(signer.CrashBeforeSave)
	h.deliver(evMessage{msg: h.proposal(p, b1, 0, consensus.NilRound, nil)})
	if h.d.halted == nil {
		t.Fatal("the driver goes on after its signer failed to save: the validator is a silent non-voter")
	}
	if !errors.Is(h.d.halted, signer.ErrStoreFailed) || !errors.Is(h.d.halted, signer.ErrCrashed) {
		t.Fatalf("halt reason %q does not name the signer's store failure", h.d.halted)
	}
	h.d.publishStatus()
	if st := h.n.Status().Step; !strings.HasPrefix(st, "halted") || !strings.Contains(st, "double-sign guard") {
		t.Fatalf("status %q does not say why the driver halted", st)
	}
}

// TestStateDependentVerdictsAreIgnore: a lagging node checks messages of
// heights above its next one against an assumed validator set, and
// membership depends on what the node knows, so a message from a validator
// outside that set is ignored, never rejected (its relayer is honest and
// must not be scored down). A signature that is not the claimed signer's
// is invalid everywhere and still rejected.
func TestStateDependentVerdictsAreIgnore(t *testing.T) {
	h := newDriverHarness(t)
	n := h.newNode(-1, memdb.New(), nil) // head 0: next height 1
	joiner := testKey(77)
	joinerAddr := crypto.PubkeyToAddress(joiner.PublicKey)
	sign := func(v consensus.Vote) consensus.Vote {
		digest := consensus.VoteSignBytes(n.chainID, v)
		sig, err := crypto.Sign(digest[:], joiner)
		if err != nil {
			t.Fatal(err)
		}
		v.Signature = sig
		return v
	}
	envelope := func(payload []byte, err error) []byte {
		if err != nil {
			t.Fatal(err)
		}
		data, err := wire.EncodeEnvelope(wire.KindVote, 1, payload)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	id := consensus.BlockID{1}
	for _, hh := range []consensus.Height{1, 2, 3} {
		// A joiner's vote: valid if it joined at a boundary this node has
		// not reached.
		v := sign(consensus.Vote{Type: consensus.Prevote, Height: hh, Round: 0, BlockID: id, Validator: joinerAddr})
		if got := n.validateConsensus("relayer", envelope(wire.EncodeVote(v))); got != p2p.Ignore {
			t.Errorf("height %d: a vote from a validator outside the known set gets %v, want ignore", hh, got)
		}
		// The same signature claimed for a member: a forgery.
		forged := v
		forged.Validator = h.addr(0)
		if got := n.validateConsensus("relayer", envelope(wire.EncodeVote(forged))); got != p2p.Reject {
			t.Errorf("height %d: a vote signed by another key than its validator's gets %v, want reject", hh, got)
		}
	}
	// A joiner's proposal, and a proposal justified by a joiner's prevote.
	b, _ := h.nextBlock(0, 0, h.others())
	p := consensus.Proposal{Height: 2, Round: 1, POLRound: 0, BlockID: consensus.BlockID(b.Hash()), Proposer: joinerAddr}
	digest := consensus.ProposalSignBytes(n.chainID, p)
	sig, err := crypto.Sign(digest[:], joiner)
	if err != nil {
		t.Fatal(err)
	}
	p.Signature = sig
	enc, err := b.Encode()
	if err != nil {
		t.Fatal(err)
	}
	pol := sign(consensus.Vote{Type: consensus.Prevote, Height: 2, Round: 0, BlockID: p.BlockID, Validator: joinerAddr})
	member := h.proposal(h.proposerOf(2, 1), b, 1, 0, []consensus.Vote{pol}).proposal
	for name, m := range map[string]wire.ProposalMsg{"joiner's proposal": {Proposal: p, Block: enc}, "joiner's justification": *member} {
		payload, err := wire.EncodeProposal(m)
		if err != nil {
			t.Fatal(err)
		}
		data, err := wire.EncodeEnvelope(wire.KindProposal, 1, payload)
		if err != nil {
			t.Fatal(err)
		}
		if got := n.validateConsensus("relayer", data); got != p2p.Ignore {
			t.Errorf("%s at a future height gets %v, want ignore", name, got)
		}
	}
}

// TestSyncedNextBlockDuringBlockTimeWait: a node that committed height 1
// itself waits out the block time before it starts height 2; if the
// others are further ahead, sync hands it block 2 meanwhile. The block
// must be applied (starting height 2 at once), not dropped: sync then
// waited syncApplyWait (10 s) for a head that could not move, and the node
// sat out up to ten seconds of heights (found by TestDriverSimulation).
func TestSyncedNextBlockDuringBlockTimeWait(t *testing.T) {
	h := newDriverHarnessWith(t, func(g *genesis.Genesis) { g.BlockTime.Duration = time.Minute })
	p1 := h.proposerOf(1, 0)
	self := h.others(p1)[0]
	signers := h.others(self)
	b1, _ := h.nextBlock(p1, 0, signers)
	b2, bc2 := h.nextBlock(h.proposerOf(2, 0), 0, signers)
	id1 := consensus.BlockID(b1.Hash())
	h.start(self, memdb.New(), nil)
	h.deliver(evMessage{msg: h.proposal(p1, b1, 0, consensus.NilRound, nil)})
	for _, t := range []consensus.VoteType{consensus.Prevote, consensus.Precommit} {
		for _, v := range h.votes(signers, t, 1, 0, id1) {
			h.deliver(evMessage{msg: consensusMsg{vote: &v}})
		}
	}
	if h.head() != 1 || h.d.m.Height() != 1 || !h.d.m.Decided() {
		t.Fatalf("setup: head %d, machine at %d (decided %v): want block 1 committed, waiting for the block time",
			h.head(), h.d.m.Height(), h.d.m.Decided())
	}
	h.deliver(evSynced{block: b2, commit: bc2})
	if h.head() != 2 {
		t.Fatalf("head %d after block 2 arrived from sync during the block-time wait, want 2 (the driver dropped it)", h.head())
	}
	// The block-time timer of height 1 firing later changes nothing.
	h.deliver(evApply{height: 1})
	if h.d.m.Height() != 3 || h.head() != 2 {
		t.Fatalf("machine at %d, head %d after the stale block-time timer, want 3 and 2", h.d.m.Height(), h.head())
	}
}

// TestNextHeightMessagesTellSyncTheHeightWasDecided: a validator that has
// not decided its height and hears verified messages of the next one
// (it started a moment after the others and missed its first height's
// votes) tells sync, which then fetches that height at once, with fresh
// statuses, instead of waiting two block times for a peer one block
// ahead. Once it has decided the height itself, next-height messages
// (others' clocks run ahead) tell sync nothing.
func TestNextHeightMessagesTellSyncTheHeightWasDecided(t *testing.T) {
	h := newDriverHarness(t)
	self, p1, p2, signers, b1, _, b2 := twoHeights(h)
	h.start(self, memdb.New(), nil)
	s := h.n.syncer
	for len(s.kick) > 0 { // pokes from starting
		<-s.kick
	}

	v := h.vote(p2, consensus.Prevote, 2, 0, consensus.BlockID(b2.Hash()))
	h.deliver(evMessage{msg: consensusMsg{vote: &v}})
	if got := s.passed.Load(); got != 1 {
		t.Fatalf("after a height-2 vote at height 1, sync was told height %d was decided elsewhere, want 1", got)
	}
	if len(s.kick) != 1 || !s.refresh.Load() {
		t.Fatalf("sync was not poked (%d) or not asked for fresh statuses (%v)", len(s.kick), s.refresh.Load())
	}

	// This node decides height 1 itself; height 2 has not started here.
	<-s.kick
	s.refresh.Store(false)
	s.passed.Store(0)
	h.deliver(evMessage{msg: h.proposal(p1, b1, 0, consensus.NilRound, nil)})
	for _, typ := range []consensus.VoteType{consensus.Prevote, consensus.Precommit} {
		for _, v := range h.votes(signers, typ, 1, 0, consensus.BlockID(b1.Hash())) {
			h.deliver(evMessage{msg: consensusMsg{vote: &v}})
		}
	}
	if !h.d.m.Decided() || h.head() != 1 {
		t.Fatalf("setup: height 1 not decided and committed (head %d)", h.head())
	}
	v = h.vote(p2, consensus.Precommit, 2, 0, consensus.BlockID(b2.Hash()))
	h.deliver(evMessage{msg: consensusMsg{vote: &v}})
	if got := s.passed.Load(); got != 0 || s.refresh.Load() {
		t.Fatalf("after deciding height 1, a height-2 vote told sync height %d was decided elsewhere (refresh %v)", got, s.refresh.Load())
	}
}
