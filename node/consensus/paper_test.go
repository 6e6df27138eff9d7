package consensus

import (
	"slices"
	"testing"
)

// Tests named after the lines of Algorithm 1 in "The latest gossip on BFT
// consensus". The harness is v3 of four equal validators unless a test says
// otherwise; proposer(h=1, r) = v(r mod 4).

// lockOnA brings the harness to: locked and valid A in round 0, precommitted.
func lockOnA(h *harness) {
	h.start()
	h.feed(ProposalReceived{Proposal: h.proposal(0, NilRound, "A")})
	h.feed(ValidationResult{Height: 1, BlockID: value("A"), Valid: true})
	h.feed(VoteReceived{Vote: h.vote(0, Prevote, 0, "A")})
	h.feed(VoteReceived{Vote: h.vote(1, Prevote, 0, "A")})
}

// toRound moves the harness to round r by f+1 messages of round r.
func toRound(h *harness, r Round) {
	h.feed(VoteReceived{Vote: h.vote(0, Precommit, r, "nil")})
	h.feed(VoteReceived{Vote: h.vote(1, Precommit, r, "nil")})
}

func TestLine11ProposerWithoutValidValueProposesGetValue(t *testing.T) {
	h := newHarness(t, 4, 0)
	h.start()
	h.mustDo("build value h=1 r=0")
	h.feed(ValueBuilt{Height: 1, Round: 0, BlockID: value("A")})
	h.mustDo("sign proposal h=1 r=0 aaaaaaaa pol=-1 by v0(us)")
	h.mustDo("broadcast proposal h=1 r=0 aaaaaaaa pol=-1 by v0(us)")
	h.mustDo("sign prevote h=1 r=0 aaaaaaaa by v0(us)") // its own value is valid without asking
}

func TestLine11ProposerWithValidValueReproposesIt(t *testing.T) {
	h := newHarness(t, 4, 3)
	lockOnA(h)
	toRound(h, 3)
	h.mustDo("sign proposal h=1 r=3 aaaaaaaa pol=0 by v3(us)")
	h.mustNotDo("build value")
	h.mustDo("broadcast proposal h=1 r=3 aaaaaaaa pol=0 by v3(us) with 3 pol prevotes")
}

func TestLine22UnlockedPrevotesValidProposal(t *testing.T) {
	h := newHarness(t, 4, 3)
	h.start()
	h.feed(ProposalReceived{Proposal: h.proposal(0, NilRound, "A")})
	h.mustDo("validate h=1 aaaaaaaa")
	h.mustNotDo("sign prevote") // valid(v) is not known yet
	h.feed(ValidationResult{Height: 1, BlockID: value("A"), Valid: true})
	h.mustDo("sign prevote h=1 r=0 aaaaaaaa")
}

func TestLine22InvalidProposalGetsNilPrevote(t *testing.T) {
	h := newHarness(t, 4, 3)
	h.start()
	h.feed(ProposalReceived{Proposal: h.proposal(0, NilRound, "A")})
	h.feed(ValidationResult{Height: 1, BlockID: value("A"), Valid: false})
	h.mustDo("sign prevote h=1 r=0 nil")
}

func TestLine22LockedPrevotesNilForAnotherValue(t *testing.T) {
	h := newHarness(t, 4, 3)
	lockOnA(h)
	toRound(h, 1)
	h.feed(ProposalReceived{Proposal: h.proposal(1, NilRound, "B")})
	h.feed(ValidationResult{Height: 1, BlockID: value("B"), Valid: true})
	h.mustDo("sign prevote h=1 r=1 nil")
}

func TestLine22LockedPrevotesItsLockedValue(t *testing.T) {
	h := newHarness(t, 4, 3)
	lockOnA(h)
	toRound(h, 1)
	h.feed(ProposalReceived{Proposal: h.proposal(1, NilRound, "A")})
	h.mustDo("sign prevote h=1 r=1 aaaaaaaa") // validity of A is remembered for the height
}

func TestLine28PolkaAfterLockUnlocks(t *testing.T) {
	h := newHarness(t, 4, 3)
	lockOnA(h)
	toRound(h, 2)
	for i := 0; i < 3; i++ {
		h.feed(VoteReceived{Vote: h.vote(i, Prevote, 1, "B")})
	}
	h.feed(ProposalReceived{Proposal: h.proposal(2, 1, "B")})
	h.feed(ValidationResult{Height: 1, BlockID: value("B"), Valid: true})
	h.mustDo("sign prevote h=1 r=2 bbbbbbbb")
}

func TestLine28PolkaOlderThanLockKeepsLock(t *testing.T) {
	h := newHarness(t, 4, 3)
	h.start()
	// A polka for B in round 0 that we did not act on, then we lock A in round 1.
	for i := 0; i < 3; i++ {
		h.feed(VoteReceived{Vote: h.vote(i, Prevote, 0, "B")})
	}
	toRound(h, 1)
	h.feed(ProposalReceived{Proposal: h.proposal(1, NilRound, "A")})
	h.feed(ValidationResult{Height: 1, BlockID: value("A"), Valid: true})
	h.feed(VoteReceived{Vote: h.vote(0, Prevote, 1, "A")})
	h.feed(VoteReceived{Vote: h.vote(2, Prevote, 1, "A")})
	if st := h.m.State(); st.LockedValue != value("A") || st.LockedRound != 1 {
		t.Fatalf("not locked on A@1: %s", st)
	}
	toRound(h, 2)
	h.feed(ProposalReceived{Proposal: h.proposal(2, 0, "B")})
	h.feed(ValidationResult{Height: 1, BlockID: value("B"), Valid: true})
	h.mustDo("sign prevote h=1 r=2 nil") // lockedRound 1 > vr 0 and B ≠ A
}

func TestLine34PrevoteTimeoutOnlyAfterQuorumOfAny(t *testing.T) {
	h := newHarness(t, 4, 3)
	h.start()
	h.feed(TimeoutFired{Height: 1, Round: 0, Step: StepPropose})
	h.feed(VoteReceived{Vote: h.vote(0, Prevote, 0, "A")})
	h.mustNotDo("schedule timeout prevote")
	h.feed(VoteReceived{Vote: h.vote(1, Prevote, 0, "B")})
	h.mustDo("schedule timeout prevote h=1 r=0 after 500ms")
	h.feed(VoteReceived{Vote: h.vote(2, Prevote, 0, "B")})
	h.mustNotDo("schedule timeout prevote") // for the first time only
}

func TestLine36AfterPrecommitStepOnlyValidValueChanges(t *testing.T) {
	h := newHarness(t, 4, 3)
	h.start()
	h.feed(ProposalReceived{Proposal: h.proposal(0, NilRound, "A")})
	h.feed(ValidationResult{Height: 1, BlockID: value("A"), Valid: true})
	h.feed(VoteReceived{Vote: h.vote(0, Prevote, 0, "nil")})
	h.feed(VoteReceived{Vote: h.vote(1, Prevote, 0, "A")})
	h.feed(TimeoutFired{Height: 1, Round: 0, Step: StepPrevote})
	h.mustDo("sign precommit h=1 r=0 nil")
	h.feed(VoteReceived{Vote: h.vote(2, Prevote, 0, "A")})
	h.mustNotDo("sign precommit")
	st := h.m.State()
	if st.ValidValue != value("A") || st.ValidRound != 0 || st.LockedRound != NilRound {
		t.Fatalf("want valid A@0 and no lock, got %s", st)
	}
}

func TestLine44NilPolkaPrecommitsNil(t *testing.T) {
	h := newHarness(t, 4, 3)
	h.start()
	h.feed(TimeoutFired{Height: 1, Round: 0, Step: StepPropose})
	h.feed(VoteReceived{Vote: h.vote(0, Prevote, 0, "nil")})
	h.feed(VoteReceived{Vote: h.vote(1, Prevote, 0, "nil")})
	h.mustDo("sign precommit h=1 r=0 nil")
}

func TestLine47PrecommitTimeoutInAnyStep(t *testing.T) {
	h := newHarness(t, 4, 3)
	h.start()
	for i := 0; i < 3; i++ {
		h.feed(VoteReceived{Vote: h.vote(i, Precommit, 0, "nil")})
	}
	if h.m.CurrentStep() != StepPropose {
		t.Fatal("precommits moved the step")
	}
	h.feed(TimeoutFired{Height: 1, Round: 0, Step: StepPrecommit})
	if h.m.Round() != 1 {
		t.Fatalf("OnTimeoutPrecommit did not start round 1 (round %d)", h.m.Round())
	}
}

func TestLine49DecidesForAnEarlierRound(t *testing.T) {
	h := newHarness(t, 4, 3)
	h.start()
	h.feed(ProposalReceived{Proposal: h.proposal(0, NilRound, "A")})
	h.feed(ValidationResult{Height: 1, BlockID: value("A"), Valid: true})
	toRound(h, 2)
	for i := 0; i < 3; i++ {
		h.feed(VoteReceived{Vote: h.vote(i, Precommit, 0, "A")})
	}
	h.mustDo("commit h=1 r=0 aaaaaaaa with 3 precommits")
	if !h.m.Decided() {
		t.Fatal("not decided")
	}
	h.feed(VoteReceived{Vote: h.vote(0, Prevote, 2, "B")})
	if len(h.acts) != 0 {
		t.Fatalf("a decided machine acted: %v", h.acts)
	}
}

func TestLine49NoDecisionWithoutTheProposal(t *testing.T) {
	h := newHarness(t, 4, 3)
	h.start()
	for i := 0; i < 3; i++ {
		h.feed(VoteReceived{Vote: h.vote(i, Precommit, 0, "A")})
	}
	h.mustNotDo("commit h=1")
	h.feed(ProposalReceived{Proposal: h.proposal(0, NilRound, "A")})
	h.mustNotDo("commit h=1") // valid(v) still unknown
	h.feed(ValidationResult{Height: 1, BlockID: value("A"), Valid: true})
	h.mustDo("commit h=1 r=0 aaaaaaaa")
}

func TestLine55SkipsOnlyOnFPlusOne(t *testing.T) {
	h := newHarness(t, 4, 3)
	h.start()
	h.feed(VoteReceived{Vote: h.vote(0, Prevote, 7, "A")})
	if h.m.Round() != 0 {
		t.Fatalf("skipped on 1/4 of the stake")
	}
	h.feed(VoteReceived{Vote: h.vote(1, Prevote, 7, "A")})
	if h.m.Round() != 7 {
		t.Fatalf("did not skip to round 7 on 2/4 of the stake (round %d)", h.m.Round())
	}
}

func TestTimeoutsGrowWithRound(t *testing.T) {
	c := DefaultConfig()
	for r := Round(0); r < 10; r++ {
		if c.timeoutPropose(r+1) <= c.timeoutPropose(r) || c.timeoutPrevote(r+1) <= c.timeoutPrevote(r) || c.timeoutPrecommit(r+1) <= c.timeoutPrecommit(r) {
			t.Fatalf("a timeout does not grow at round %d", r)
		}
	}
	if c.timeoutPropose(2) != c.TimeoutPropose+2*c.TimeoutProposeDelta {
		t.Fatal("timeoutPropose(r) is not base + r*delta")
	}
}

func TestIgnoresOtherHeightsFarRoundsAndWrongProposers(t *testing.T) {
	h := newHarness(t, 4, 3)
	h.start()
	v := h.vote(0, Prevote, 0, "A")
	v.Height = 2
	h.feed(VoteReceived{Vote: h.signVote(0, v)})
	far := h.m.cfg.maxRoundsAhead() + 1
	h.feed(VoteReceived{Vote: h.vote(0, Prevote, far, "A")})
	h.feed(VoteReceived{Vote: h.vote(1, Prevote, far, "A")})
	if h.m.Round() != 0 {
		t.Fatal("acted on messages beyond MaxRoundsAhead")
	}
	p := h.proposal(0, NilRound, "A")
	p.Proposer = h.addrs[1] // not proposer(1, 0)
	h.feed(ProposalReceived{Proposal: p})
	h.mustNotDo("validate")
}

// TestPersistBeforeSignBeforeSend checks the driver contract over a whole
// height: every SignVote is preceded in its batch by a Persist naming it as
// Pending, and every broadcast of an own vote by a Persist holding it.
func TestPersistBeforeSignBeforeSend(t *testing.T) {
	h := newHarness(t, 4, 0)
	var batches [][]Action
	record := func(acts []Action) []Action { batches = append(batches, acts); return acts }
	var queue []Input
	drive := func(acts []Action) {
		for len(acts) > 0 {
			for _, a := range record(acts) {
				switch a := a.(type) {
				case SignVote:
					queue = append(queue, VoteSigned{Vote: h.signVote(0, a.Vote)})
				case SignProposal:
					queue = append(queue, ProposalSigned{Proposal: a.Proposal})
				case BuildValue:
					queue = append(queue, ValueBuilt{Height: a.Height, Round: a.Round, BlockID: value("A")})
				}
			}
			acts = nil
			if len(queue) > 0 {
				acts, queue = h.m.Step(queue[0]), queue[1:]
			}
		}
	}
	drive(h.m.Start())
	for i := 1; i < 4; i++ {
		drive(h.m.Step(VoteReceived{Vote: h.vote(i, Prevote, 0, "A")}))
	}
	for i := 1; i < 4; i++ {
		drive(h.m.Step(VoteReceived{Vote: h.vote(i, Precommit, 0, "A")}))
	}
	signs, sends := 0, 0
	for _, b := range batches {
		var last *PersistedState
		for _, a := range b {
			switch a := a.(type) {
			case Persist:
				st := a.State
				last = &st
			case SignVote:
				signs++
				if last == nil || last.Pending.Type != a.Vote.Type || last.Pending.Round != a.Vote.Round {
					t.Fatalf("SignVote %s not preceded by a Persist of it", a.Vote)
				}
			case BroadcastVote:
				sends++
				if last == nil || !slices.ContainsFunc(last.OwnVotes, func(v Vote) bool { return v.Type == a.Vote.Type && v.Round == a.Vote.Round }) {
					t.Fatalf("BroadcastVote %s not preceded by a Persist holding it", a.Vote)
				}
			}
		}
	}
	if signs != 2 || sends != 2 || !h.m.Decided() {
		t.Fatalf("signs=%d sends=%d decided=%v; want a full height", signs, sends, h.m.Decided())
	}
}
