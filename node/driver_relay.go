package node

import (
	"context"
	"time"

	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/node/wire"
	"github.com/ethereum/go-ethereum/common"
)

// Re-sending the votes of others (issue 15). Tendermint's liveness rests on
// gossip: a message one correct process received reaches every correct
// process after GST. Re-sending only its own messages is not enough against
// a byzantine validator (under a third of the power) that sends a vote
// once, to some honest nodes only, while the others miss the relay: those
// that got its precommit reach 2f+1 and move to the next round, the others
// wait in the precommit step for a quorum that never comes, and the next
// round never gets 2f+1 prevotes — the height stalls for good
// (TestDriverSimulationWithholdingValidator). So the driver also re-sends
// the prevotes and precommits of other validators it holds for its current
// and previous round, as CometBFT's vote gossip sends a peer the votes of
// its round that it lacks.
//
// Each is re-published as the exact signed vote, in a new envelope: peers
// identify a consensus message by its signed content (wire.MessageID), so
// one that already holds it drops the copy before verifying it, and one
// that missed it verifies, uses and relays it. A copy of a message a peer
// already holds is no reject: p2p.SeenCache scores a sender down only for
// DuplicateLimit (16) copies of one message within DefaultSeenTTL (4 s),
// and a vote goes out from here at most once per resendInterval (1 s), plus
// the transport's relay of a copy accepted anew (at most once per TTL).
// Publishing checks no message id, so the re-send of a vote this node
// received (and accepted) itself goes out like its own re-sends do.

// Bounds of the votes held for re-sending.
const (
	// relayAfter is how long a height must have run before the driver
	// re-sends the votes of others: a height that decides in time costs no
	// extra traffic.
	relayAfter = resendInterval
	// relayValuesPerSlot is how many different votes of one validator,
	// round and type are held: the first and one conflicting, so an
	// equivocation also reaches those who saw one side only.
	relayValuesPerSlot = 2
)

// heardSlot is one validator's vote slot at the current height.
type heardSlot struct {
	round     consensus.Round
	typ       consensus.VoteType
	validator common.Address
}

// heardVote is a vote of another validator held for re-sending: its slot,
// value and signed encoding.
type heardVote struct {
	slot    heardSlot
	blockID consensus.BlockID
	payload []byte
}

// hear keeps v, a verified vote of the current height, for re-sending if
// it is another validator's, of a round the machine holds, and not held
// yet. At most relayValuesPerSlot votes per slot are kept, of rounds from
// the previous one to the machine's MaxRoundsAhead, so what is held is
// bounded by the validators times the rounds the machine itself keeps.
func (d *driver) hear(v consensus.Vote) {
	r := d.m.Round()
	if v.Validator == d.n.self || v.Height != d.m.Height() || v.Round < r-1 || v.Round > r+d.maxRoundsAhead() {
		return
	}
	slot := heardSlot{round: v.Round, typ: v.Type, validator: v.Validator}
	if d.heardSlots == nil {
		d.heardSlots = make(map[heardSlot][]consensus.BlockID)
	}
	ids := d.heardSlots[slot]
	for _, id := range ids {
		if id == v.BlockID {
			return
		}
	}
	if len(ids) >= relayValuesPerSlot {
		return
	}
	payload, err := wire.EncodeVote(v)
	if err != nil {
		return
	}
	d.heardSlots[slot] = append(ids, v.BlockID)
	d.heard = append(d.heard, heardVote{slot: slot, blockID: v.BlockID, payload: payload})
}

// maxRoundsAhead is how far past its round the machine keeps messages.
func (d *driver) maxRoundsAhead() consensus.Round {
	if ahead := d.n.ccfg.MaxRoundsAhead; ahead > 0 {
		return ahead
	}
	return consensus.DefaultMaxRoundsAhead
}

// resendHeard re-publishes the held votes of others of the current and the
// previous round, once a height has run relayAfter, and forgets those of
// older rounds.
func (d *driver) resendHeard(ctx context.Context) {
	r := d.m.Round()
	kept := d.heard[:0]
	for _, hv := range d.heard {
		if hv.slot.round < r-1 {
			delete(d.heardSlots, hv.slot)
			continue
		}
		kept = append(kept, hv)
	}
	clear(d.heard[len(kept):])
	d.heard = kept
	if time.Since(d.heightStart) < relayAfter {
		return
	}
	for _, hv := range d.heard {
		if hv.slot.round <= r {
			d.publish(ctx, wire.KindVote, hv.payload)
		}
	}
}
