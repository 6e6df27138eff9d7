package node

import (
	"errors"
	"fmt"
	"sync"

	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/node/wire"
	"github.com/bilayer/bilayer/p2p"
	"github.com/ethereum/go-ethereum/common"
)

// Errors of the gossip checks of a proposal.
var (
	errWrongProposer = errors.New("proposal signed by a validator that is not the round's proposer")
	errBadPOL        = errors.New("bad proposal justification")
	errRoundTooFar   = errors.New("proposal round too far ahead")
)

// proposerCache remembers the proposer schedule of each validator set the
// gossip checks met, so naming the proposer of a round costs one election
// per round per height, not one per message.
type proposerCache struct {
	mu     sync.Mutex
	byVals map[*consensus.ValidatorSet]*consensus.ProposerSchedule
}

// proposerCacheSize bounds the schedules kept (sets of heights next to
// next+futureHeights, plus a few left behind).
const proposerCacheSize = 8

// proposer returns the proposer of round r of the height vals governs.
func (c *proposerCache) proposer(vals *consensus.ValidatorSet, r consensus.Round) common.Address {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.byVals[vals]
	if !ok {
		if c.byVals == nil || len(c.byVals) >= proposerCacheSize {
			c.byVals = make(map[*consensus.ValidatorSet]*consensus.ProposerSchedule)
		}
		s = consensus.NewProposerSchedule(vals)
		c.byVals[vals] = s
	}
	return s.Proposer(r)
}

// maxRound is the highest round of height h the consensus machine would
// take a message of now: MaxRoundsAhead beyond its current round at its
// current height, beyond round 0 at a later height.
func (n *Node) maxRound(h consensus.Height) consensus.Round {
	ahead := n.ccfg.MaxRoundsAhead
	if ahead <= 0 {
		ahead = consensus.DefaultMaxRoundsAhead
	}
	if st := n.Status(); st.Height == uint64(h) && st.Round > 0 {
		return consensus.Round(st.Round) + ahead
	}
	return ahead
}

// checkProposalRights checks, after its signature, what a proposal claims
// beyond membership: that its signer is the proposer of its round (issue 16
// item 6), so a block from anyone else is never kept, and that its
// proof-of-lock list is a real one (item 3). Who proposes a round follows
// from the validator set, which a relaying peer that lags may have assumed
// differently across an epoch change (see verifyVerdict): a proposal from
// the wrong proposer is therefore ignored (neither kept nor relayed), not
// rejected. A malformed justification is invalid everywhere: rejected.
func (n *Node) checkProposalRights(m *wire.ProposalMsg, vals *consensus.ValidatorSet) (p2p.Verdict, error) {
	p := m.Proposal
	if p.Round > n.maxRound(p.Height) {
		return p2p.Ignore, fmt.Errorf("%w: round %d of height %d", errRoundTooFar, p.Round, p.Height)
	}
	if want := n.proposers.proposer(vals, p.Round); want != p.Proposer {
		return p2p.Ignore, fmt.Errorf("%w: %s signed round %d of height %d, proposer %s", errWrongProposer, p.Proposer, p.Round, p.Height, want)
	}
	return n.checkPOL(p, m.POL, vals)
}

// checkPOL checks a proposal's justification, the prevotes of its POL round
// for its block that a re-proposal carries. The list is not covered by the
// proposer's signature, so anyone could pad it: a list needs a POL round
// (a proposal without one carries none), and holds only prevotes of that
// height, round and block in strictly increasing validator order, hence at
// most one per validator and one list per set of voters. The shape is
// checked before any signature is recovered, so padding costs no recovery.
// Then every signature is verified (at most one per validator): stopping at
// 2/3 would leave the rest unchecked, and every different unchecked tail
// would be one more message id that the whole network relays and verifies.
func (n *Node) checkPOL(p consensus.Proposal, pol []consensus.Vote, vals *consensus.ValidatorSet) (p2p.Verdict, error) {
	if len(pol) == 0 {
		return p2p.Accept, nil
	}
	if p.POLRound < 0 {
		return p2p.Reject, fmt.Errorf("%w: %d votes but no POL round", errBadPOL, len(pol))
	}
	for i, v := range pol {
		if v.Type != consensus.Prevote || v.Height != p.Height || v.Round != p.POLRound || v.BlockID != p.BlockID {
			return p2p.Reject, fmt.Errorf("%w: vote %d (%s) is not a prevote of round %d for the proposed block", errBadPOL, i, v, p.POLRound)
		}
		if i > 0 && pol[i-1].Validator.Cmp(v.Validator) >= 0 {
			return p2p.Reject, fmt.Errorf("%w: vote %d is not in increasing validator order", errBadPOL, i)
		}
	}
	for i, v := range pol {
		if err := consensus.VerifyVote(n.chainID, v, vals); err != nil {
			return verifyVerdict(err), fmt.Errorf("%w: vote %d: %w", errBadPOL, i, err)
		}
	}
	return p2p.Accept, nil
}
