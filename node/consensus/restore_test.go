package consensus

import "testing"

// lastPersist returns the state of the last Persist among the actions of the
// harness's last command; with stopAt "sign", only those before the first
// SignVote (a crash between persisting and signing).
func lastPersist(t *testing.T, h *harness, stopAt string) PersistedState {
	t.Helper()
	var st *PersistedState
	for _, a := range h.acts {
		if _, isSign := a.(SignVote); isSign && stopAt == "sign" {
			break
		}
		if p, ok := a.(Persist); ok {
			s := p.State
			st = &s
		}
	}
	if st == nil {
		t.Fatal("no Persist action")
	}
	return *st
}

// restart replaces the harness's machine with one restored from st.
func restart(h *harness, st PersistedState) {
	h.m = RestoreMachine(DefaultConfig(), h.addrs[h.us], st, h.vals)
	h.start()
}

func TestRestoreResendsOwnVotesAndResumesStep(t *testing.T) {
	h := newHarness(t, 4, 3)
	lockOnA(h)
	restart(h, h.m.State())
	h.mustDo("broadcast prevote h=1 r=0 aaaaaaaa by v3(us)")
	h.mustDo("broadcast precommit h=1 r=0 aaaaaaaa by v3(us)")
	h.mustDo("schedule timeout precommit h=1 r=0")
	h.mustNotDo("sign")
}

// TestRestoreAsksAgainForPendingVote crashes after the Persist that precedes
// SignVote: the restarted machine asks for the same vote again (the signer
// then returns the identical signature if it had signed it).
func TestRestoreAsksAgainForPendingVote(t *testing.T) {
	h := newHarness(t, 4, 3)
	h.start()
	h.feed(ProposalReceived{Proposal: h.proposal(0, NilRound, "A")})
	h.feed(ValidationResult{Height: 1, BlockID: value("A"), Valid: true})
	st := lastPersist(t, h, "sign")
	if st.Pending.Type != Prevote || st.Pending.BlockID != value("A") {
		t.Fatalf("pending vote not persisted before signing: %s / %+v", st, st.Pending)
	}
	restart(h, st)
	h.mustDo("sign prevote h=1 r=0 aaaaaaaa by v3(us)")
	h.mustDo("broadcast prevote h=1 r=0 aaaaaaaa by v3(us)")
}

// TestRestoreKeepsLock: the lock survives a restart, so the restarted node
// still refuses another value (safety depends on it).
func TestRestoreKeepsLock(t *testing.T) {
	h := newHarness(t, 4, 3)
	lockOnA(h)
	restart(h, h.m.State())
	toRound(h, 1)
	h.feed(ProposalReceived{Proposal: h.proposal(1, NilRound, "B")})
	h.feed(ValidationResult{Height: 1, BlockID: value("B"), Valid: true})
	h.mustDo("sign prevote h=1 r=1 nil")
}

// TestRestoreProposerReproposesWithPersistedPOL: the POL persisted with the
// valid value travels with a re-proposal after a restart.
func TestRestoreProposerReproposesWithPersistedPOL(t *testing.T) {
	h := newHarness(t, 4, 3)
	lockOnA(h)
	restart(h, h.m.State())
	toRound(h, 3)
	h.mustDo("broadcast proposal h=1 r=3 aaaaaaaa pol=0 by v3(us) with 3 pol prevotes")
}
