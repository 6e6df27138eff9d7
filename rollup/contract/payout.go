package contract

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/bridge/withdrawalqueue"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
)

// Withdrawal payouts (doc.go has the rules and the storage layout).
const (
	// MaxPayoutsPerBlock bounds the withdrawals one end-of-block hook
	// pays; the rest wait for the next blocks.
	MaxPayoutsPerBlock = 256
	// PayoutGas is charged per payout for its reads (the withdrawal's
	// three words, the bridge's balance).
	PayoutGas = 2_000
	// MaxPayoutGas bounds the metered gas of one payout: PayoutGas, the
	// internal call to the bridge's payWithdrawal (InternalCallGas, its
	// fixed gas, a storage write, a transfer and the WithdrawalPaid log:
	// 21,456) and clearing the withdrawal's three words (15,000), 38,456
	// in all. The hook starts a payout only with this much gas left
	// (plus payoutReserveGas), so a payout never runs out of gas halfway.
	MaxPayoutGas = 40_000
	// payoutReserveGas is kept for the payout cursor's write and a
	// WithdrawalPayoutHalted log.
	payoutReserveGas = 20_000
	// maxHaltReason bounds the reason a WithdrawalPayoutHalted log carries.
	maxHaltReason = 256
)

// ErrWithdrawalNonce means a batch's withdrawals are not numbered on from
// the accepted chain's: the L2 numbers its withdrawals from 0 in the order
// it initiates them, so the first withdrawal of a batch carries the count
// of those before it and each next one the next nonce.
var ErrWithdrawalNonce = errors.New("withdrawal nonces do not continue the accepted chain's")

// ErrWithdrawalRecipient means a batch carries a withdrawal to an address
// the L2 withdrawal queue never pays out to (the zero address, an L1
// system contract or a precompile): no honest L2 block holds one.
var ErrWithdrawalRecipient = errors.New("withdrawal to a reserved L1 address")

// Words of a stored withdrawal, from its base slot.
const (
	withdrawalWordFrom   = 0 // from | l2Block << 160
	withdrawalWordTo     = 1 // to | nonce << 160
	withdrawalWordAmount = 2 // uint256
	withdrawalWords      = 3
)

// withdrawalSlot is word w of the withdrawal with nonce.
func withdrawalSlot(nonce, w uint64) common.Hash {
	return offset(mapSlot(syscontract.Uint64Key(nonce), slotWithdrawals), w)
}

// packAddrU64 packs an address into the low-order 20 bytes of a word and
// v into the 8 bytes above it (Solidity's packing of address, uint64).
func packAddrU64(a common.Address, v uint64) common.Hash {
	var w common.Hash
	copy(w[12:], a[:])
	binary.BigEndian.PutUint64(w[4:12], v)
	return w
}

func unpackAddrU64(w common.Hash) (common.Address, uint64) {
	return common.BytesToAddress(w[12:]), binary.BigEndian.Uint64(w[4:12])
}

// StoredWithdrawal is a withdrawal the contract keeps from its batch's
// acceptance until it is paid, with the L2 block that initiated it.
type StoredWithdrawal struct {
	protocol.Withdrawal
	L2Block block.L2Number
}

// nextWithdrawal returns the nonce the next accepted withdrawal must
// carry: the number of withdrawals the accepted chain holds (the standing
// blocks of the last batch included, so a truncation lowers it).
func nextWithdrawal(r store) (uint64, error) {
	n := getU64(r, slotBatchCount)
	if n == 0 {
		return 0, nil
	}
	b, err := readBatch(r, n-1)
	if err != nil {
		return 0, err
	}
	return b.FirstWithdrawal + b.WithdrawalCount, nil
}

// finalWithdrawals returns the number of withdrawals in final batches
// (those with a nonce below it may be paid).
func finalWithdrawals(r store) (uint64, error) {
	f := getU64(r, slotFinalizedNext)
	if f == 0 {
		return 0, nil
	}
	b, err := readBatch(r, f-1)
	if err != nil {
		return 0, err
	}
	return b.FirstWithdrawal + b.WithdrawalCount, nil
}

// checkWithdrawalNonces checks that b's withdrawals, in block order, carry
// the nonces first, first+1, ..., and that none pays a reserved address.
func checkWithdrawalNonces(b *protocol.Batch, first uint64) error {
	next := first
	for i := range b.Blocks {
		for j, w := range b.Blocks[i].Withdrawals {
			if w.Nonce != next {
				return fmt.Errorf("%w: withdrawal #%d of L2 block %d has nonce %d, the next is %d",
					ErrWithdrawalNonce, j, b.Blocks[i].Number, w.Nonce, next)
			}
			if withdrawalqueue.ReservedRecipient(w.To) {
				return fmt.Errorf("%w: withdrawal %d of L2 block %d pays %s", ErrWithdrawalRecipient, w.Nonce, b.Blocks[i].Number, w.To)
			}
			next++
		}
	}
	return nil
}

// storeWithdrawals stores the withdrawals of an accepted batch under their
// nonces (checked by checkWithdrawalNonces), each with its L2 block.
func storeWithdrawals(w writer, b *protocol.Batch) error {
	for i := range b.Blocks {
		blk := &b.Blocks[i]
		for j := range blk.Withdrawals {
			if err := writeWithdrawal(w, blk.Number, &blk.Withdrawals[j]); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeWithdrawal(w writer, n block.L2Number, wd *protocol.Withdrawal) error {
	amount, overflow := uint256.FromBig(wd.Amount)
	if overflow || wd.Amount.Sign() < 0 {
		return fmt.Errorf("%w: withdrawal %d: amount %v", protocol.ErrBadWithdrawal, wd.Nonce, wd.Amount)
	}
	for k, word := range [withdrawalWords]common.Hash{
		withdrawalWordFrom:   packAddrU64(wd.From, uint64(n)),
		withdrawalWordTo:     packAddrU64(wd.To, wd.Nonce),
		withdrawalWordAmount: amount.Bytes32(),
	} {
		if err := w.SetState(withdrawalSlot(wd.Nonce, uint64(k)), word); err != nil {
			return err
		}
	}
	return nil
}

// readWithdrawal reads the stored withdrawal nonce; ErrBadState if it is
// not stored as the contract writes it (every L2 block number is >= 1).
func readWithdrawal(r store, nonce uint64) (StoredWithdrawal, error) {
	from, l2Block := unpackAddrU64(r.GetState(withdrawalSlot(nonce, withdrawalWordFrom)))
	to, stored := unpackAddrU64(r.GetState(withdrawalSlot(nonce, withdrawalWordTo)))
	if l2Block == 0 || stored != nonce {
		return StoredWithdrawal{}, fmt.Errorf("%w: withdrawal %d is stored as nonce %d of L2 block %d", ErrBadState, nonce, stored, l2Block)
	}
	amount := r.GetState(withdrawalSlot(nonce, withdrawalWordAmount))
	return StoredWithdrawal{L2Block: block.L2Number(l2Block),
		Withdrawal: protocol.Withdrawal{Nonce: nonce, From: from, To: to, Amount: new(big.Int).SetBytes(amount[:])}}, nil
}

func clearWithdrawal(w writer, nonce uint64) error {
	for k := range uint64(withdrawalWords) {
		if err := w.SetState(withdrawalSlot(nonce, k), common.Hash{}); err != nil {
			return err
		}
	}
	return nil
}

// withdrawalsBefore returns how many of batch b's withdrawals the blocks
// before n initiated: they are stored in block order, so a binary search
// over their L2 block numbers finds the first of block n or later.
func withdrawalsBefore(r store, b *BatchInfo, n block.L2Number) uint64 {
	lo, hi := uint64(0), b.WithdrawalCount
	for lo < hi {
		mid := lo + (hi-lo)/2
		_, l2Block := unpackAddrU64(r.GetState(withdrawalSlot(b.FirstWithdrawal+mid, withdrawalWordFrom)))
		if block.L2Number(l2Block) < n {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// payout pays, in nonce order, the withdrawals of final batches not paid
// yet: at most MaxPayoutsPerBlock, each only with MaxPayoutGas (and the
// reserve) left, the rest in the next blocks. Each is paid by the bridge's
// payWithdrawal (an internal call: the bridge moves its own balance and
// emits WithdrawalPaid), then cleared, and the cursor (the next nonce to
// pay) moves past it; it never moves back, and final batches are never
// deleted, so no withdrawal is paid twice. A payout that cannot be made
// (the bridge's balance below the amount, which the invariant excludes,
// or a failed call) pays nothing of it: payouts halt at it, the first
// block that halts emits WithdrawalPayoutHalted, and every later block
// tries again. Nothing here reverts the hook (its history record and
// finalization stand) except a storage inconsistency in the batches.
func (c *Contract) payout(ctx *syscontract.Context) error {
	word := ctx.GetState(slotPayout)
	paid, halted := unpackU64(word, 0), unpackU64(word, 1)
	limit, err := finalWithdrawals(ctx)
	if err != nil {
		return err
	}
	start, wasHalted := paid, halted
	for paid < limit && paid-start < MaxPayoutsPerBlock && ctx.GasLeft() >= MaxPayoutGas+payoutReserveGas {
		if err := ctx.UseGas(PayoutGas); err != nil {
			return err
		}
		w, reason := payOne(ctx, paid)
		if reason != "" {
			if halted == 0 {
				if err := emitHalt(ctx, paid, w.Amount, reason); err != nil {
					return err
				}
				halted = 1
			}
			break
		}
		if err := clearWithdrawal(ctx, paid); err != nil {
			return err
		}
		paid, halted = paid+1, 0
	}
	if paid == start && halted == wasHalted {
		return nil
	}
	return ctx.SetState(slotPayout, packU64s(paid, halted))
}

// payOne pays the stored withdrawal nonce through the bridge and returns
// it, or the reason it could not be paid (nothing was then paid).
func payOne(ctx *syscontract.Context, nonce uint64) (StoredWithdrawal, string) {
	w, err := readWithdrawal(ctx, nonce)
	if err != nil {
		w.Amount = new(big.Int)
		return w, err.Error()
	}
	amount, _ := uint256.FromBig(w.Amount) // stored as 256 bits
	if bal := ctx.Balance(bridge.Address); bal.Lt(amount) {
		return w, fmt.Sprintf("the bridge holds %s wei, the withdrawal is %s wei", bal, amount)
	}
	if _, err := ctx.CallContract(bridge.Address, bridge.PackPayWithdrawal(nonce, w.To, amount)); err != nil {
		return w, err.Error()
	}
	return w, ""
}

func emitHalt(ctx *syscontract.Context, nonce uint64, amount *big.Int, reason string) error {
	if len(reason) > maxHaltReason {
		reason = reason[:maxHaltReason]
	}
	return ctx.Emit("WithdrawalPayoutHalted", nonce, amount, ctx.Balance(bridge.Address).ToBig(), reason)
}

// WithdrawalStatus is where a withdrawal is on its way to its payout.
type WithdrawalStatus uint8

// Withdrawal statuses, as withdrawalStatus(nonce) returns them.
const (
	// WithdrawalUnknown: no accepted batch holds the nonce (not posted
	// yet, or its batch was deleted by a challenge).
	WithdrawalUnknown WithdrawalStatus = iota
	// WithdrawalAccepted: in an accepted batch that is not final yet.
	WithdrawalAccepted
	// WithdrawalFinal: its batch is final; the end-of-block hook pays it
	// in nonce order.
	WithdrawalFinal
	// WithdrawalPaid: the bridge paid it.
	WithdrawalPaid
)

// String names the status.
func (s WithdrawalStatus) String() string {
	switch s {
	case WithdrawalUnknown:
		return "unknown"
	case WithdrawalAccepted:
		return "accepted"
	case WithdrawalFinal:
		return "final"
	case WithdrawalPaid:
		return "paid"
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// WithdrawalInfo is what the contract says of a withdrawal nonce: its
// status and, while the contract stores it (accepted or final), the
// withdrawal and its L2 block (otherwise only the nonce and a zero
// amount).
type WithdrawalInfo struct {
	Status WithdrawalStatus
	StoredWithdrawal
}

// withdrawalInfo returns the status of nonce and, while stored, the
// withdrawal.
func withdrawalInfo(r store, nonce uint64) (WithdrawalInfo, error) {
	info := WithdrawalInfo{StoredWithdrawal: StoredWithdrawal{Withdrawal: protocol.Withdrawal{Nonce: nonce, Amount: new(big.Int)}}}
	if nonce < unpackU64(r.GetState(slotPayout), 0) {
		info.Status = WithdrawalPaid
		return info, nil
	}
	final, err := finalWithdrawals(r)
	if err != nil {
		return WithdrawalInfo{}, err
	}
	accepted, err := nextWithdrawal(r)
	if err != nil {
		return WithdrawalInfo{}, err
	}
	switch {
	case nonce < final:
		info.Status = WithdrawalFinal
	case nonce < accepted:
		info.Status = WithdrawalAccepted
	default:
		return info, nil
	}
	if info.StoredWithdrawal, err = readWithdrawal(r, nonce); err != nil {
		return WithdrawalInfo{}, err
	}
	return info, nil
}

func (c *Contract) viewPaidWithdrawals(ctx *syscontract.Context, _ []any) ([]any, error) {
	return []any{unpackU64(ctx.GetState(slotPayout), 0)}, nil
}

func (c *Contract) viewWithdrawalStatus(ctx *syscontract.Context, args []any) ([]any, error) {
	info, err := withdrawalInfo(ctx, args[0].(uint64))
	if err != nil {
		return nil, err
	}
	return []any{uint8(info.Status), uint64(info.L2Block), info.From, info.To, info.Amount}, nil
}

// ReadPaidWithdrawals returns the number of withdrawals paid: they are
// paid in nonce order, so it is the nonce of the next one to pay.
func ReadPaidWithdrawals(st StateReader) uint64 {
	return unpackU64(st.GetState(Address, slotPayout), 0)
}

// ReadWithdrawalCounts returns the number of withdrawals in accepted
// batches, in final batches and paid (nonces below each are in that state
// or further).
func ReadWithdrawalCounts(st StateReader) (accepted, final, paid uint64, err error) {
	r := stateStore{st}
	if accepted, err = nextWithdrawal(r); err != nil {
		return 0, 0, 0, err
	}
	if final, err = finalWithdrawals(r); err != nil {
		return 0, 0, 0, err
	}
	return accepted, final, ReadPaidWithdrawals(st), nil
}

// ReadWithdrawal returns the status of withdrawal nonce and, while the
// contract stores it, the withdrawal.
func ReadWithdrawal(st StateReader, nonce uint64) (WithdrawalInfo, error) {
	return withdrawalInfo(stateStore{st}, nonce)
}
