package watch

import (
	"fmt"
	"maps"
	"slices"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// The L1 side of Step: new L1 blocks, the rollup contract's and the
// bridge's logs, disputes and the validator set.

// l1 takes in the L1 head, its new blocks and the rollup's and the
// bridge's logs.
func (st *stepper) l1(o *L1Obs, failed bool) {
	s := st.s
	if o == nil {
		if failed {
			st.checkStall()
		}
		return
	}
	if !s.L1Seen {
		s.L1Seen, s.L1MovedAt = true, st.now
	}
	switch {
	case o.Head > s.L1Head:
		if s.L1Stalled {
			st.emit(KindL1, false, "the L1 moves again: block %d came %s after block %d", o.Head,
				roundDuration(st.now.Sub(s.L1MovedAt)), s.L1Head)
		}
		s.L1Head, s.L1MovedAt, s.L1Stalled = o.Head, st.now, false
	default:
		st.checkStall()
	}
	if o.From > o.To {
		return
	}
	if !o.Seed {
		st.txLine(KindL1, "L1", o.Blocks, reportedTxs(o.Logs))
	}
	for i := range o.Logs {
		st.l1Log(&o.Logs[i], o.Seed)
	}
	s.L1Next = max(s.L1Next, o.To+1)
}

// checkStall reports an L1 that has not moved for a while.
func (st *stepper) checkStall() {
	s := st.s
	stall := max(minStall, 5*st.cfg.L1BlockTime)
	if !s.L1Seen || s.L1Stalled || st.now.Sub(s.L1MovedAt) < stall {
		return
	}
	s.L1Stalled = true
	st.emit(KindL1, true, "the L1 is stalled: no block after %d for %s (%s validators voting)",
		s.L1Head, roundDuration(st.now.Sub(s.L1MovedAt)), votingString(s.Voting, s.SetSize))
}

// l1Log interprets one rollup or bridge log; seed logs only update the
// State.
func (st *stepper) l1Log(l *types.Log, seed bool) {
	s := st.s
	switch l.Address {
	case contract.Address:
		if len(l.Topics) == 0 {
			return
		}
		switch l.Topics[0] {
		case contract.BatchAcceptedTopic():
			b, err := contract.ParseBatchAccepted(l)
			if err != nil {
				return
			}
			st.batchAccepted(b, seed)
		case contract.BatchFinalizedTopic():
			f, err := contract.ParseBatchFinalized(l)
			if err != nil {
				return
			}
			st.batchFinalized(f, seed)
		case contract.ChallengedTopic():
			c, err := contract.ParseChallenged(l)
			if err != nil {
				return
			}
			st.challenged(c, seed)
		case contract.WithdrawalPayoutHaltedTopic():
			h, err := contract.ParseWithdrawalPayoutHalted(l)
			if err != nil || seed {
				return
			}
			st.emit(KindWithdrawal, true, "withdrawal payouts halted at withdrawal #%d (%s) in L1 block %d: %s; they resume once it can be paid",
				h.Nonce, ether(h.Amount), h.L1Block, h.Reason)
		}
	case bridge.Address:
		if len(l.Topics) > 0 && l.Topics[0] == bridge.WithdrawalPaidTopic() {
			p, err := bridge.ParseWithdrawalPaid(l)
			if err != nil {
				return
			}
			w, ok := s.Withdrawals[p.Nonce]
			delete(s.Withdrawals, p.Nonce)
			if seed {
				return
			}
			from := ""
			if ok {
				from = fmt.Sprintf(" (requested in L2 block %d, %s ago)", w.L2Block, roundDuration(st.now.Sub(w.SeenAt)))
			}
			st.emit(KindWithdrawal, false, "withdrawal #%d paid in L1 block %d: %s to %s%s",
				p.Nonce, p.L1Block, ether(p.Amount), shortAddr(p.To), from)
			return
		}
		op, err := bridge.ParseOperation(l)
		if err != nil || seed {
			return
		}
		if len(s.Ops) < maxOps {
			s.Ops[op.ID()] = PendingOp{Op: op, SeenAt: st.now}
		}
		st.emit(KindDeposit, false, "%s %s: %s, in L1 block %d; the L2 applies it once its L1 origin reaches that block",
			opKindName(op.Kind), opID(op.ID()), opSentence(&op), op.L1Block)
	}
}

// batchAccepted records a batch in its window and reports one that holds
// transactions.
func (st *stepper) batchAccepted(b contract.BatchAccepted, seed bool) {
	s := st.s
	first, last := uint64(b.FirstBlock), uint64(b.LastBlock)
	var act Activity
	for n, a := range s.Busy {
		if n >= first && n <= last {
			act = act.add(a)
		}
	}
	if len(s.Batches) >= maxBatches {
		delete(s.Batches, slices.Min(slices.Collect(maps.Keys(s.Batches))))
	}
	s.Batches[b.Index] = Batch{First: first, Last: last, L1Block: uint64(b.L1Block), Activity: act}
	if seed || act.empty() {
		return
	}
	st.emit(KindBatch, false, "batch %d posted in L1 block %d: %s (%s) now safe; final after L1 block %d (%s)",
		b.Index, b.L1Block, blockRange(first, last), activityString(act), uint64(b.L1Block)+st.cfg.ChallengeWindow,
		about(st.windowDuration()))
}

// batchFinalized drops a batch from the window and reports one that held
// transactions.
func (st *stepper) batchFinalized(f contract.BatchFinalized, seed bool) {
	s := st.s
	b, ok := s.Batches[f.Index]
	delete(s.Batches, f.Index)
	if seed || !ok || b.Activity.empty() {
		return
	}
	wds := 0
	for _, w := range s.Withdrawals {
		if w.L2Block >= b.First && w.L2Block <= b.Last {
			wds++
		}
	}
	pay := ""
	if wds > 0 {
		pay = fmt.Sprintf("; the L1 pays its %s now", plural(wds, "withdrawal"))
	}
	st.emit(KindBatch, false, "batch %d finalized in L1 block %d: %s (%s) now final%s",
		f.Index, f.L1Block, blockRange(b.First, b.Last), activityString(b.Activity), pay)
}

// challenged reports a decided dispute and forgets what it deleted.
func (st *stepper) challenged(c contract.Challenged, seed bool) {
	s := st.s
	for i := range s.Batches {
		if i >= c.BatchIndex {
			delete(s.Batches, i)
		}
	}
	n := uint64(c.L2Block)
	for k := range s.Busy {
		if k >= n {
			delete(s.Busy, k)
		}
	}
	for k, w := range s.Withdrawals {
		if w.L2Block >= n {
			delete(s.Withdrawals, k)
		}
	}
	if s.L2Seen && s.L2Next > n {
		s.L2Next, s.L2Last = n, common.Hash{}
	}
	if seed {
		return
	}
	st.emit(KindDispute, true, "DISPUTE decided in L1 block %d: the posted output of L2 block %d was wrong (challenger %s, dispute #%d). "+
		"Batches from #%d on are deleted; the poster %s lost %s of bond (%s to the challenger, %s burned); the L2 continues from block %d. "+
		"\"wallet dispute show\" explains it.",
		c.L1Block, c.L2Block, shortAddr(c.Challenger), c.Dispute, c.BatchIndex, shortAddr(c.Poster),
		ether(sum(c.Reward, c.Burned)), ether(c.Reward), ether(c.Burned), c.L2Block-1)
}

// validators takes in the validators' heads and the set.
func (st *stepper) validators(vs []ValidatorObs, set []common.Address) {
	s := st.s
	if len(vs) == 0 && set == nil {
		return
	}
	var top uint64
	heads := map[string]uint64{}
	for _, v := range vs {
		if v.OK && !s.Down[v.Name] {
			heads[v.Name] = v.Head
			top = max(top, v.Head)
		}
	}
	members := st.cfg.Validators
	if set != nil {
		members = nil
		for _, a := range set {
			for _, n := range st.cfg.Validators {
				if n.Address == a {
					members = append(members, n)
				}
			}
		}
		if size := len(set); s.SetSize != 0 && size != s.SetSize {
			st.emit(KindL1, size < s.SetSize, "the validator set changed: %d → %d validators", s.SetSize, size)
		}
		s.SetSize = len(set)
	} else if s.SetSize == 0 {
		s.SetSize = len(st.cfg.Validators)
	}
	voting := 0
	for _, n := range members {
		if h, ok := heads[n.Name]; ok && h+2 >= top {
			voting++
		}
	}
	s.Voting = voting
}
