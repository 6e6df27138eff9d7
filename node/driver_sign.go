package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/node/signer"
	"github.com/bilayer/bilayer/node/wire"
	"github.com/ethereum/go-ethereum/crypto"
)

// Signing and sending the driver's own consensus messages: votes and
// proposals through the double-sign guard, then gossip; re-sends.

// signerFailure tells a fault of the double-sign guard from a refusal. A
// refusal (a regression or a conflicting request) is the guard doing its
// job: the message is dropped. A guard that cannot save its state refuses
// every later request, so the validator would go on as a silent non-voter:
// like a failed persist, that halts the driver, naming the cause.
func signerFailure(what string, err error) error {
	if errors.Is(err, signer.ErrStoreFailed) {
		return fmt.Errorf("the double-sign guard cannot save its state, so this validator cannot sign (%s): %w", what, err)
	}
	return nil
}

func (d *driver) signVote(v consensus.Vote) (consensus.Input, error) {
	digest := consensus.VoteSignBytes(d.n.chainID, v)
	start := time.Now()
	sig, err := d.n.signer.Sign(signer.Request{Height: uint64(v.Height), Round: int32(v.Round), Step: signer.Step(v.Type.Step()), Digest: digest})
	d.signTook += time.Since(start)
	if err != nil {
		if fatal := signerFailure(v.String(), err); fatal != nil {
			return nil, fatal
		}
		d.n.log.Warn("Double-sign guard refused a vote", "vote", v.String(), "err", err)
		return nil, nil
	}
	v.Signature = sig
	if d.n.cfg.DevEquivocate && v.Type == consensus.Prevote && v.Height >= devEquivocateHeight && !d.n.selfJailed() {
		d.equivocate(v)
	}
	return consensus.VoteSigned{Vote: v}, nil
}

// devEquivocateHeight is the first height at which a --dev.equivocate
// validator equivocates (the chain has some history by then). It goes on
// equivocating at every height until it is slashed: a conflicting vote
// that reaches the others only after they decided its height is stale to
// them, so a single one may go unseen.
const devEquivocateHeight = 3

// equivocate is the development switch: it signs a second prevote for
// another value, bypassing the double-sign guard, and sends it, so the
// whole evidence and slashing path can be shown. New refuses it unless the
// genesis is a devnet's.
func (d *driver) equivocate(v consensus.Vote) {
	twin := v
	twin.BlockID = consensus.BlockID(crypto.Keccak256Hash([]byte("bilayer dev equivocate"), v.BlockID[:]))
	digest := consensus.VoteSignBytes(d.n.chainID, twin)
	sig, err := crypto.Sign(digest[:], d.n.cfg.ValidatorKey)
	if err != nil {
		d.n.log.Error("Dev equivocation: sign", "err", err)
		return
	}
	twin.Signature = sig
	payload, err := wire.EncodeVote(twin)
	if err != nil {
		d.n.log.Error("Dev equivocation: encode", "err", err)
		return
	}
	if !d.equivocated {
		d.n.log.Warn("DEV: signing two conflicting prevotes at every height until slashed (--dev.equivocate)", "height", v.Height, "round", v.Round)
	}
	d.equivocated = true
	d.publish(context.Background(), wire.KindVote, payload)
}

func (d *driver) signProposal(p consensus.Proposal) (consensus.Input, error) {
	digest := consensus.ProposalSignBytes(d.n.chainID, p)
	start := time.Now()
	sig, err := d.n.signer.Sign(signer.Request{Height: uint64(p.Height), Round: int32(p.Round), Step: signer.Step(consensus.StepPropose), Digest: digest})
	d.signTook += time.Since(start)
	if err != nil {
		if fatal := signerFailure(p.String(), err); fatal != nil {
			return nil, fatal
		}
		d.n.log.Warn("Double-sign guard refused a proposal", "proposal", p.String(), "err", err)
		return nil, nil
	}
	p.Signature = sig
	return consensus.ProposalSigned{Proposal: p}, nil
}

func (d *driver) publish(ctx context.Context, kind uint8, payload []byte) []byte {
	d.nonce++
	data, err := wire.EncodeEnvelope(kind, d.nonce, payload)
	if err == nil {
		err = d.n.consTopic.Publish(ctx, data)
	}
	if err != nil && ctx.Err() == nil {
		d.n.log.Warn("Could not publish consensus message", "err", err)
	}
	return payload
}

func (d *driver) broadcastVote(ctx context.Context, v consensus.Vote) {
	payload, err := wire.EncodeVote(v)
	if err != nil {
		d.n.log.Error("Encode own vote", "err", err)
		return
	}
	d.own = append(d.own, append([]byte{wire.KindVote}, d.publish(ctx, wire.KindVote, payload)...))
}

func (d *driver) broadcastProposal(ctx context.Context, a consensus.BroadcastProposal) {
	b := d.blocks[a.Proposal.BlockID]
	if b == nil {
		d.n.log.Error("Proposal for a block this node does not hold", "proposal", a.Proposal.String())
		return
	}
	enc, err := b.Encode()
	if err != nil {
		d.n.log.Error("Encode proposed block", "err", err)
		return
	}
	payload, err := wire.EncodeProposal(wire.ProposalMsg{Proposal: a.Proposal, Block: enc, POL: a.POL})
	if err != nil {
		d.n.log.Error("Encode own proposal", "err", err)
		return
	}
	d.own = append(d.own, append([]byte{wire.KindProposal}, d.publish(ctx, wire.KindProposal, payload)...))
	if d.proposalSent.IsZero() {
		d.proposalSent = time.Now()
	}
	d.n.log.Debug("Proposed block", "height", b.Number(), "round", a.Proposal.Round, "hash", b.Hash(), "txs", len(b.Transactions))
}

// resend re-publishes the own messages of the current height once it has
// run resendInterval, then the votes of others of its current and previous
// round (resendHeard).
func (d *driver) resend(ctx context.Context) {
	if d.halted != nil || d.m.Decided() {
		return
	}
	// Not before the height has run resendInterval: a message sent a
	// moment before the tick has not had time to be lost, and the
	// proposal is a whole block (issue 17: under load, proposals went out
	// twice in most heights).
	if time.Since(d.heightStart) >= resendInterval {
		for _, m := range d.own {
			d.publish(ctx, m[0], m[1:])
		}
	}
	d.resendHeard(ctx)
}
