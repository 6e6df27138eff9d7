package contract

import (
	"math/big"
	"slices"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/ethereum/go-ethereum/common"
)

// allWithdrawals returns b's withdrawals in order.
func allWithdrawals(b *protocol.Batch) []protocol.Withdrawal {
	var ws []protocol.Withdrawal
	for i := range b.Blocks {
		ws = append(ws, b.Blocks[i].Withdrawals...)
	}
	return ws
}

// renumber gives the posted withdrawals the nonces 0, 1, … in block order:
// what a sequencer that adds, removes or moves withdrawals must do for the
// contract to accept its batches.
func renumber(s *[3]*protocol.Batch) {
	var next uint64
	for _, b := range s {
		for i := range b.Blocks {
			for j := range b.Blocks[i].Withdrawals {
				b.Blocks[i].Withdrawals[j].Nonce = next
				next++
			}
		}
	}
}

// nextNonce returns the nonce after the last posted withdrawal's.
func nextNonce(s *[3]*protocol.Batch) uint64 {
	var next uint64
	for _, b := range s {
		for _, w := range allWithdrawals(b) {
			next = w.Nonce + 1
		}
	}
	return next
}

// wds returns the posted withdrawal list of block n, to mutate in place.
func wds(s *[3]*protocol.Batch, n block.L2Number) *[]protocol.Withdrawal {
	return &posted(s, n).Withdrawals
}

// listMutation is one way to post a wrong withdrawal list.
type listMutation struct {
	name string
	// mutate changes the posted batches (copies of the honest ones).
	mutate func(f *l2env, s *[3]*protocol.Batch)
	// renumber, after mutate, numbers the posted withdrawals on from 0
	// (renumber), so that the nonce rule passes.
	renumber bool
	// refused is the index of the batch submitBatch refuses
	// (ErrWithdrawalNonce, or refusedBy), or -1 if every batch is accepted.
	refused int
	// refusedBy is the sentinel of the refusal (nil: ErrWithdrawalNonce).
	refusedBy error
	// wrong is, for an accepted mutation, the first L2 block whose output
	// is wrong: the one the challenger proves.
	wrong block.L2Number
}

var listMutations = []listMutation{
	// One field of one withdrawal: accepted (the nonces still continue),
	// then proven wrong.
	{name: "recipient", refused: -1, wrong: 6, mutate: func(_ *l2env, s *[3]*protocol.Batch) { (*wds(s, 6))[1].To = thief }},
	{name: "recipient in the first batch", refused: -1, wrong: 2, mutate: func(_ *l2env, s *[3]*protocol.Batch) { (*wds(s, 2))[0].To = thief }},
	{name: "recipient in the first block of a batch", refused: -1, wrong: 8, mutate: func(_ *l2env, s *[3]*protocol.Batch) { (*wds(s, 8))[0].To = thief }},
	{name: "amount raised", refused: -1, wrong: 6, mutate: func(_ *l2env, s *[3]*protocol.Batch) {
		(*wds(s, 6))[1].Amount = new(big.Int).Add((*wds(s, 6))[1].Amount, big.NewInt(1e18))
	}},
	{name: "amount lowered by one wei", refused: -1, wrong: 6, mutate: func(_ *l2env, s *[3]*protocol.Batch) {
		(*wds(s, 6))[1].Amount = new(big.Int).Sub((*wds(s, 6))[1].Amount, big.NewInt(1))
	}},
	{name: "recipient an L1 system contract (the bridge)", refused: 1, refusedBy: ErrWithdrawalRecipient, mutate: func(_ *l2env, s *[3]*protocol.Batch) {
		(*wds(s, 6))[1].To = bridge.Address // the L2 queue refuses such a recipient, and so does the contract
	}},
	{name: "recipient a precompile", refused: 1, refusedBy: ErrWithdrawalRecipient, mutate: func(_ *l2env, s *[3]*protocol.Batch) {
		(*wds(s, 6))[1].To = common.HexToAddress("0x01")
	}},
	{name: "amount zero", refused: -1, wrong: 6, mutate: func(_ *l2env, s *[3]*protocol.Batch) { (*wds(s, 6))[1].Amount = new(big.Int) }},
	{name: "amount 2^256-1", refused: -1, wrong: 6, mutate: func(_ *l2env, s *[3]*protocol.Batch) {
		(*wds(s, 6))[1].Amount = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	}},
	{name: "forced withdrawal's recipient", refused: -1, wrong: 6, mutate: func(_ *l2env, s *[3]*protocol.Batch) { (*wds(s, 6))[0].To = thief }},
	{name: "sender", refused: -1, wrong: 6, mutate: func(f *l2env, s *[3]*protocol.Batch) {
		w := &(*wds(s, 6))[1]
		w.From = f.addrs[(slices.Index(f.addrs, w.From)+1)%len(f.addrs)] // another real L2 account
	}},
	// A nonce alone cannot change without breaking the nonce rule.
	{name: "nonce skips ahead", refused: 1, mutate: func(_ *l2env, s *[3]*protocol.Batch) { (*wds(s, 6))[1].Nonce++ }},
	{name: "nonce repeats the previous", refused: 1, mutate: func(_ *l2env, s *[3]*protocol.Batch) { (*wds(s, 6))[1].Nonce-- }},
	{name: "nonce of an earlier batch", refused: 1, mutate: func(_ *l2env, s *[3]*protocol.Batch) { (*wds(s, 5))[0].Nonce = 0 }},
	// An extra withdrawal.
	{name: "extra at the end, next nonce", refused: -1, wrong: 9, mutate: func(f *l2env, s *[3]*protocol.Batch) {
		*wds(s, 9) = append(*wds(s, 9), protocol.Withdrawal{Nonce: nextNonce(s), From: f.addrs[0], To: thief, Amount: big.NewInt(5e18)})
	}},
	{name: "extra in a block, later ones renumbered", refused: -1, wrong: 6, renumber: true, mutate: func(f *l2env, s *[3]*protocol.Batch) {
		*wds(s, 6) = append(*wds(s, 6), protocol.Withdrawal{From: f.addrs[0], To: thief, Amount: big.NewInt(5e18)})
	}},
	{name: "extra in a block that had none", refused: -1, wrong: 4, renumber: true, mutate: func(f *l2env, s *[3]*protocol.Batch) {
		*wds(s, 4) = []protocol.Withdrawal{{From: f.addrs[0], To: thief, Amount: big.NewInt(1)}}
	}},
	{name: "extra in L2 block 1, later ones renumbered", refused: -1, wrong: 1, renumber: true, mutate: func(f *l2env, s *[3]*protocol.Batch) {
		*wds(s, 1) = []protocol.Withdrawal{{From: f.addrs[1], To: thief, Amount: big.NewInt(1e18)}}
	}},
	{name: "extra with a wrong nonce", refused: 1, mutate: func(f *l2env, s *[3]*protocol.Batch) {
		*wds(s, 6) = append(*wds(s, 6), protocol.Withdrawal{Nonce: 99, From: f.addrs[0], To: thief, Amount: big.NewInt(5e18)})
	}},
	{name: "extra at the end with a wrong nonce", refused: 2, mutate: func(f *l2env, s *[3]*protocol.Batch) {
		*wds(s, 9) = append(*wds(s, 9), protocol.Withdrawal{Nonce: nextNonce(s) + 1, From: f.addrs[0], To: thief, Amount: big.NewInt(5e18)})
	}},
	// A missing withdrawal.
	{name: "missing, the last one", refused: -1, wrong: 9, mutate: func(_ *l2env, s *[3]*protocol.Batch) { *wds(s, 9) = nil }},
	{name: "missing, a block's last, later ones renumbered", refused: -1, wrong: 6, renumber: true, mutate: func(_ *l2env, s *[3]*protocol.Batch) {
		*wds(s, 6) = (*wds(s, 6))[:len(*wds(s, 6))-1]
	}},
	{name: "missing, the forced one, later ones renumbered", refused: -1, wrong: 6, renumber: true, mutate: func(_ *l2env, s *[3]*protocol.Batch) {
		*wds(s, 6) = (*wds(s, 6))[1:]
	}},
	{name: "missing, a block's first (the forced one)", refused: 1, mutate: func(_ *l2env, s *[3]*protocol.Batch) { *wds(s, 6) = (*wds(s, 6))[1:] }},
	{name: "missing, a batch's first", refused: 1, mutate: func(_ *l2env, s *[3]*protocol.Batch) { *wds(s, 5) = nil }},
	{name: "missing, a block's last, later ones not renumbered", refused: 1, mutate: func(_ *l2env, s *[3]*protocol.Batch) {
		*wds(s, 6) = (*wds(s, 6))[:len(*wds(s, 6))-1]
	}},
	// A duplicate.
	{name: "duplicate", refused: 1, mutate: func(_ *l2env, s *[3]*protocol.Batch) {
		*wds(s, 6) = slices.Insert(*wds(s, 6), 1, (*wds(s, 6))[0])
	}},
	{name: "duplicate in the next block", refused: 1, mutate: func(_ *l2env, s *[3]*protocol.Batch) {
		l := *wds(s, 6)
		*wds(s, 7) = append([]protocol.Withdrawal{l[len(l)-1]}, *wds(s, 7)...)
	}},
	{name: "duplicate with the next nonce, later ones renumbered", refused: -1, wrong: 6, renumber: true, mutate: func(_ *l2env, s *[3]*protocol.Batch) {
		*wds(s, 6) = slices.Insert(*wds(s, 6), 1, (*wds(s, 6))[0])
	}},
	{name: "earlier batch's withdrawal replayed with the next nonce", refused: -1, wrong: 9, mutate: func(_ *l2env, s *[3]*protocol.Batch) {
		replay := (*wds(s, 2))[0]
		replay.Nonce = nextNonce(s)
		*wds(s, 9) = append(*wds(s, 9), replay)
	}},
	// Two swapped.
	{name: "two swapped", refused: 1, mutate: func(_ *l2env, s *[3]*protocol.Batch) {
		l := *wds(s, 6)
		l[0], l[1] = l[1], l[0]
	}},
	{name: "two swapped across blocks", refused: 1, mutate: func(_ *l2env, s *[3]*protocol.Batch) {
		l := *wds(s, 6)
		l[len(l)-1], (*wds(s, 7))[0] = (*wds(s, 7))[0], l[len(l)-1]
	}},
	{name: "two swapped, nonces kept", refused: -1, wrong: 6, mutate: func(_ *l2env, s *[3]*protocol.Batch) {
		l := *wds(s, 6)
		l[0].From, l[0].To, l[0].Amount, l[1].From, l[1].To, l[1].Amount = l[1].From, l[1].To, l[1].Amount, l[0].From, l[0].To, l[0].Amount
	}},
	{name: "recipients swapped, nonces kept", refused: -1, wrong: 6, mutate: func(_ *l2env, s *[3]*protocol.Batch) {
		l := *wds(s, 6)
		l[0].To, l[2].To = l[2].To, l[0].To
	}},
	{name: "amounts swapped across blocks, nonces kept", refused: -1, wrong: 5, mutate: func(_ *l2env, s *[3]*protocol.Batch) {
		(*wds(s, 5))[0].Amount, (*wds(s, 6))[0].Amount = (*wds(s, 6))[0].Amount, (*wds(s, 5))[0].Amount
	}},
	// The same withdrawals in the same order, in another block: the nonces
	// continue, the blocks' lists are wrong.
	{name: "moved to the next block", refused: -1, wrong: 5, mutate: func(_ *l2env, s *[3]*protocol.Batch) {
		*wds(s, 6) = append(*wds(s, 5), *wds(s, 6)...)
		*wds(s, 5) = nil
	}},
	{name: "moved to the previous block", refused: -1, wrong: 6, mutate: func(_ *l2env, s *[3]*protocol.Batch) {
		*wds(s, 6) = append(*wds(s, 6), *wds(s, 7)...)
		*wds(s, 7) = nil
	}},
	{name: "moved into the previous batch", refused: -1, wrong: 7, mutate: func(_ *l2env, s *[3]*protocol.Batch) {
		*wds(s, 7) = append(*wds(s, 7), *wds(s, 8)...)
		*wds(s, 8) = nil
	}},
}
