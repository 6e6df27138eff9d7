package sequencer

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/bridge/withdrawalqueue"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/ethrpc"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/l2chain"
)

// Withdrawal statuses of rollup_withdrawalStatus, in the order a
// withdrawal goes through them.
const (
	// WithdrawalInitiated: the withdrawal is in an unsafe L2 block; no
	// batch on L1 holds it yet.
	WithdrawalInitiated = "initiated"
	// WithdrawalSafe: its batch is accepted on L1, in its challenge window.
	WithdrawalSafe = "safe"
	// WithdrawalFinalized: its batch is final; the L1's end-of-block
	// payout pays it, in nonce order.
	WithdrawalFinalized = "finalized"
	// WithdrawalPaid: the L1 bridge paid it to its recipient.
	WithdrawalPaid = "paid"
)

// ErrNoWithdrawal is wrapped by the answers of rollup_withdrawalStatus
// that name no withdrawal (an unknown nonce or transaction, a transaction
// that initiated none, a forced withdrawal not applied or failed).
var ErrNoWithdrawal = errors.New("no such withdrawal")

// blockTimeSpan is how many recent L1 blocks the L1 block time is
// measured over (whole-second timestamps need a few to time sub-second
// blocks).
const blockTimeSpan = 32

// L1Operation names an L1 bridge operation in rollup_withdrawalStatus.
type L1Operation struct {
	L1Block hexutil.Uint64 `json:"l1Block"`
	Index   hexutil.Uint64 `json:"index"`
}

// WithdrawalStatus is the rollup_withdrawalStatus result: a withdrawal,
// where it is on its way to the L1 payout, and the time left.
type WithdrawalStatus struct {
	Nonce hexutil.Uint64 `json:"nonce"`
	// From is the L2 account that burned Amount wei; To the L1 recipient.
	From   common.Address `json:"from"`
	To     common.Address `json:"to"`
	Amount *hexutil.Big   `json:"amount"`
	// L2Block and L2BlockHash name the L2 block that initiated it; L2TxHash
	// its transaction, or L1Operation the forced withdrawal that made it.
	L2Block     hexutil.Uint64 `json:"l2Block"`
	L2BlockHash common.Hash    `json:"l2BlockHash"`
	L2TxHash    *common.Hash   `json:"l2TxHash,omitempty"`
	L1Operation *L1Operation   `json:"l1Operation,omitempty"`
	// Status is WithdrawalInitiated, WithdrawalSafe, WithdrawalFinalized
	// or WithdrawalPaid.
	Status string `json:"status"`
	// BatchIndex and AcceptedL1Block name the L1 batch holding it and the
	// L1 block that accepted that batch (once posted).
	BatchIndex      *hexutil.Uint64 `json:"batchIndex,omitempty"`
	AcceptedL1Block *hexutil.Uint64 `json:"acceptedL1Block,omitempty"`
	// ChallengeWindow is the rollup's W in L1 blocks, as the L1 shows it
	// (the acceptance-to-finalization span of the newest final batch);
	// absent until a batch has finalized.
	ChallengeWindow *hexutil.Uint64 `json:"challengeWindow,omitempty"`
	// PayoutL1Block is the L1 block whose end-of-block hook pays it:
	// acceptance + W while safe, the next block once finalized (payouts
	// queue when more are due than one block pays), the block that paid
	// it once paid. Absent while initiated or while W is unknown.
	PayoutL1Block *hexutil.Uint64 `json:"payoutL1Block,omitempty"`
	// L1Head is the L1 block the answer was read at.
	L1Head hexutil.Uint64 `json:"l1Head"`
	// L1BlockTimeMs is the L1 block time in milliseconds, measured over
	// the last blocks.
	L1BlockTimeMs hexutil.Uint64 `json:"l1BlockTimeMs"`
	// BlocksLeft is how many L1 blocks remain until the payout, and
	// SecondsLeft that many blocks at L1BlockTimeMs (rounded up). While
	// initiated they are a lower bound (W, and the batch is not posted
	// yet); absent when W is unknown; 0 once paid.
	BlocksLeft  *hexutil.Uint64 `json:"blocksLeft,omitempty"`
	SecondsLeft *hexutil.Uint64 `json:"secondsLeft,omitempty"`
	// PaidL1Block and PaidL1BlockHash name the L1 block that paid it. A
	// payout is made by that block's end-of-block hook, not by a
	// transaction, so there is no transaction hash to give.
	PaidL1Block     *hexutil.Uint64 `json:"paidL1Block,omitempty"`
	PaidL1BlockHash *common.Hash    `json:"paidL1BlockHash,omitempty"`
}

func u64ptr(n uint64) *hexutil.Uint64 { v := hexutil.Uint64(n); return &v }

// WithdrawalStatus says where a withdrawal is (rollup_withdrawalStatus):
// initiated (in an unsafe L2 block), safe (its batch accepted on L1),
// finalized (its batch final) or paid, with its batch, the L1 block of
// the payout and the L1 blocks and seconds left. ref is an L2 transaction
// hash, a withdrawal nonce, or {"l1Block", "index"} naming the L1
// operation of a forced withdrawal (WithdrawalRef). The status comes from
// the L1 rollup contract, read at the L1 head.
func (api *BridgeAPI) WithdrawalStatus(ctx context.Context, ref WithdrawalRef) (*WithdrawalStatus, error) {
	if api.l1 == nil {
		return nil, errNoL1
	}
	loc, err := api.locateWithdrawal(ref)
	if err != nil {
		return nil, err
	}
	w := loc.withdrawal
	st := &WithdrawalStatus{Nonce: hexutil.Uint64(w.Nonce), From: w.From, To: w.To, Amount: (*hexutil.Big)(w.Amount),
		L2Block: hexutil.Uint64(loc.block.Number()), L2BlockHash: loc.block.Hash(), L2TxHash: loc.tx}
	if op := loc.op; op != nil {
		st.L1Operation = &L1Operation{L1Block: hexutil.Uint64(op.L1Block), Index: hexutil.Uint64(op.Index)}
	}
	head, err := api.l1.HeadNumber(ctx)
	if err != nil {
		return nil, fmt.Errorf("withdrawal %d: %w", w.Nonce, err)
	}
	st.L1Head = hexutil.Uint64(head)
	blockTime, err := api.l1BlockTime(ctx, head)
	if err != nil {
		return nil, fmt.Errorf("withdrawal %d: %w", w.Nonce, err)
	}
	st.L1BlockTimeMs = hexutil.Uint64(blockTime.Milliseconds())
	if err := api.fillProgress(ctx, st, head); err != nil {
		return nil, fmt.Errorf("withdrawal %d: %w", w.Nonce, err)
	}
	if st.BlocksLeft != nil {
		secs := (time.Duration(*st.BlocksLeft)*blockTime + time.Second - 1) / time.Second
		st.SecondsLeft = u64ptr(uint64(secs))
	}
	return st, nil
}

// fillProgress fills the status, batch, payout block and blocks left from
// the rollup contract at L1 block head.
func (api *BridgeAPI) fillProgress(ctx context.Context, st *WithdrawalStatus, head block.L1Number) error {
	nonce := uint64(st.Nonce)
	info, err := api.withdrawalInfoAt(ctx, nonce, head)
	if err != nil {
		return err
	}
	window, known, err := api.challengeWindow(ctx, head)
	if err != nil {
		return err
	}
	if known {
		st.ChallengeWindow = u64ptr(window)
	}
	if info.Status == contract.WithdrawalUnknown {
		st.Status = WithdrawalInitiated
		if known {
			st.BlocksLeft = u64ptr(window) // at least: the batch is not posted yet
		}
		return nil
	}
	index, b, err := api.batchOf(ctx, block.L2Number(st.L2Block), head)
	if err != nil {
		return err
	}
	st.BatchIndex, st.AcceptedL1Block = u64ptr(index), u64ptr(uint64(b.L1Block))
	switch info.Status {
	case contract.WithdrawalAccepted:
		st.Status = WithdrawalSafe
		if known {
			payout := uint64(b.L1Block) + window
			st.PayoutL1Block = u64ptr(payout)
			st.BlocksLeft = u64ptr(max(payout, uint64(head)+1) - uint64(head))
		}
	case contract.WithdrawalFinal:
		// Final at the head and not paid by its hook: the payouts queue,
		// and the next blocks pay on.
		st.Status = WithdrawalFinalized
		st.PayoutL1Block, st.BlocksLeft = u64ptr(uint64(head)+1), u64ptr(1)
	case contract.WithdrawalPaid:
		st.Status = WithdrawalPaid
		paid, err := api.paidAt(ctx, nonce, b.L1Block+1, head)
		if err != nil {
			return err
		}
		h, err := api.l1.Header(ctx, paid)
		if err != nil {
			return fmt.Errorf("the L1 block that paid it: %w", err)
		}
		hash := h.Hash()
		st.PaidL1Block, st.PaidL1BlockHash, st.PayoutL1Block = u64ptr(uint64(paid)), &hash, u64ptr(uint64(paid))
		st.BlocksLeft = u64ptr(0)
	}
	return nil
}

// rollupView calls a view of the L1 rollup contract on the state after L1
// block at.
func (api *BridgeAPI) rollupView(ctx context.Context, data []byte, at block.L1Number) ([]byte, error) {
	return api.l1.CallContract(ctx, contract.Address, data, &at)
}

// withdrawalInfoAt reads withdrawalStatus(nonce) after L1 block at.
func (api *BridgeAPI) withdrawalInfoAt(ctx context.Context, nonce uint64, at block.L1Number) (contract.WithdrawalInfo, error) {
	ret, err := api.rollupView(ctx, contract.PackWithdrawalStatus(nonce), at)
	if err != nil {
		return contract.WithdrawalInfo{}, fmt.Errorf("rollup contract withdrawalStatus(%d) at L1 block %d: %w", nonce, at, err)
	}
	return contract.UnpackWithdrawalStatus(nonce, ret)
}

// batchAt reads batch(index) after L1 block at.
func (api *BridgeAPI) batchAt(ctx context.Context, index uint64, at block.L1Number) (contract.BatchInfo, error) {
	ret, err := api.rollupView(ctx, contract.PackBatch(index), at)
	if err != nil {
		return contract.BatchInfo{}, fmt.Errorf("rollup contract batch(%d) at L1 block %d: %w", index, at, err)
	}
	return contract.UnpackBatch(index, ret)
}

// batchOf returns the index and the record of the batch holding L2 block n.
func (api *BridgeAPI) batchOf(ctx context.Context, n block.L2Number, at block.L1Number) (uint64, contract.BatchInfo, error) {
	ret, err := api.rollupView(ctx, contract.PackBatchOfBlock(n), at)
	if err != nil {
		return 0, contract.BatchInfo{}, fmt.Errorf("rollup contract batchOfBlock(%d): %w", n, err)
	}
	index, err := contract.UnpackBatchOfBlock(ret)
	if err != nil {
		return 0, contract.BatchInfo{}, err
	}
	b, err := api.batchAt(ctx, index, at)
	return index, b, err
}

// challengeWindow is the rollup's W as WithChallengeWindow gave it, else
// read off the L1: the newest final batch
// became final W blocks after the block that accepted it (its
// end-of-block hook finalizes a batch in block acceptance + W). known is
// false while no batch is final.
func (api *BridgeAPI) challengeWindow(ctx context.Context, head block.L1Number) (window uint64, known bool, err error) {
	if api.window > 0 {
		return api.window, true, nil
	}
	ret, err := api.rollupView(ctx, contract.PackFinalizedBatchCount(), head)
	if err != nil {
		return 0, false, fmt.Errorf("rollup contract finalizedBatchCount: %w", err)
	}
	count, err := contract.UnpackFinalizedBatchCount(ret)
	if err != nil || count == 0 {
		return 0, false, err
	}
	last, err := api.batchAt(ctx, count-1, head)
	if err != nil {
		return 0, false, err
	}
	final, err := firstL1Block(last.L1Block+1, head, func(n block.L1Number) (bool, error) {
		b, err := api.batchAt(ctx, count-1, n)
		return err == nil && b.Final, err
	})
	if err != nil {
		return 0, false, fmt.Errorf("when batch %d became final: %w", count-1, err)
	}
	return uint64(final - last.L1Block), true, nil
}

// paidAt returns the L1 block, in [from, head], whose payout paid nonce
// (paid as of head): the block of the bridge's WithdrawalPaid log for it,
// or, from a node that does not serve end-of-block logs (or beyond one
// eth_getLogs range), the first block whose state says paid (a binary
// search over the L1's state history).
func (api *BridgeAPI) paidAt(ctx context.Context, nonce uint64, from, head block.L1Number) (block.L1Number, error) {
	from = min(from, head)
	if n, ok := api.paidLog(ctx, nonce, from, min(head, from+ethrpc.MaxLogRange-1)); ok {
		return n, nil
	}
	n, err := firstL1Block(from, head, func(n block.L1Number) (bool, error) {
		info, err := api.withdrawalInfoAt(ctx, nonce, n)
		return err == nil && info.Status == contract.WithdrawalPaid, err
	})
	if err != nil {
		return 0, fmt.Errorf("the L1 block that paid it: %w", err)
	}
	return n, nil
}

// paidLog looks for the WithdrawalPaid log of nonce in L1 blocks from to
// to; ok is false when there is none or the node does not answer.
func (api *BridgeAPI) paidLog(ctx context.Context, nonce uint64, from, to block.L1Number) (block.L1Number, bool) {
	var topic common.Hash
	binary.BigEndian.PutUint64(topic[24:], nonce)
	logs, err := api.l1.FilterLogs(ctx, ethereum.FilterQuery{FromBlock: new(big.Int).SetUint64(uint64(from)), ToBlock: new(big.Int).SetUint64(uint64(to)),
		Addresses: []common.Address{bridge.Address}, Topics: [][]common.Hash{{bridge.WithdrawalPaidTopic()}, {topic}}})
	if err != nil {
		return 0, false
	}
	for i := range logs {
		if p, err := bridge.ParseWithdrawalPaid(&logs[i]); err == nil && p.Nonce == nonce {
			return p.L1Block, true
		}
	}
	return 0, false
}

// firstL1Block returns the first block in [lo, hi] where holds is true,
// given that it holds at hi and, once true, stays true (a binary search:
// at most log2(hi-lo)+1 calls).
func firstL1Block(lo, hi block.L1Number, holds func(block.L1Number) (bool, error)) (block.L1Number, error) {
	for lo < hi {
		mid := lo + (hi-lo)/2
		ok, err := holds(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return hi, nil
}

// l1BlockTime measures the L1 block time over the last blockTimeSpan
// blocks (block 0 left out: the genesis time may be long before block 1);
// with fewer blocks, or timestamps that did not move, it is the genesis
// default.
func (api *BridgeAPI) l1BlockTime(ctx context.Context, head block.L1Number) (time.Duration, error) {
	if head < 2 {
		return genesis.DefaultBlockTime, nil
	}
	from := head - min(head-1, blockTimeSpan)
	first, err := api.l1.Header(ctx, from)
	if err != nil {
		return 0, fmt.Errorf("L1 block time: %w", err)
	}
	last, err := api.l1.Header(ctx, head)
	if err != nil {
		return 0, fmt.Errorf("L1 block time: %w", err)
	}
	if last.Time <= first.Time {
		return genesis.DefaultBlockTime, nil
	}
	return time.Duration(last.Time-first.Time) * time.Second / time.Duration(head-from), nil
}

// located is a withdrawal found on the sequencer's chain.
type located struct {
	block      *block.Block
	withdrawal block.Withdrawal
	tx         *common.Hash       // the transaction that initiated it
	op         *block.OperationID // or the forced withdrawal that did
}

// locateWithdrawal finds the withdrawal ref names on the sequencer's chain.
func (api *BridgeAPI) locateWithdrawal(ref WithdrawalRef) (*located, error) {
	switch {
	case ref.TxHash != nil:
		return api.locateByTx(*ref.TxHash)
	case ref.Nonce != nil:
		return api.locateByNonce(*ref.Nonce)
	case ref.Operation != nil:
		return api.locateByOperation(*ref.Operation)
	}
	return nil, fmt.Errorf("%w: the reference names none", ErrNoWithdrawal)
}

// locateByTx finds the (first) withdrawal L2 transaction h initiated.
func (api *BridgeAPI) locateByTx(h common.Hash) (*located, error) {
	loc, err := api.chain.TxLocation(h)
	if l2chain.IsNotFound(err) {
		return nil, fmt.Errorf("%w: L2 transaction %s is not in the sequencer's chain (still pending, not an L2 transaction, or a wrong hash)",
			ErrNoWithdrawal, h)
	}
	if err != nil {
		return nil, fmt.Errorf("find L2 transaction %s: %w", h, err)
	}
	b, err := api.chain.BlockByNumber(block.L2Number(loc.Height))
	if err != nil {
		return nil, fmt.Errorf("L2 block %d of transaction %s: %w", loc.Height, h, err)
	}
	receipts, err := api.chain.Receipts(b)
	if err != nil {
		return nil, err
	}
	if int(loc.Index) >= len(receipts) {
		return nil, fmt.Errorf("L2 block %d has %d receipts, transaction %s is number %d", b.Number(), len(receipts), h, loc.Index)
	}
	r := receipts[loc.Index]
	for _, l := range r.Logs {
		if w, ok := initiated(l); ok {
			return &located{block: b, withdrawal: w, tx: &h}, nil
		}
	}
	if r.Status != types.ReceiptStatusSuccessful {
		return nil, fmt.Errorf("%w: L2 transaction %s failed in L2 block %d: it initiated no withdrawal", ErrNoWithdrawal, h, b.Number())
	}
	return nil, fmt.Errorf("%w: L2 transaction %s (L2 block %d) initiated no withdrawal: it did not call initiateWithdrawal on %s",
		ErrNoWithdrawal, h, b.Number(), withdrawalqueue.Address)
}

// initiated decodes a WithdrawalInitiated log of the queue.
func initiated(l *types.Log) (block.Withdrawal, bool) {
	if l.Address != withdrawalqueue.Address || len(l.Topics) == 0 || l.Topics[0] != withdrawalqueue.InitiatedTopic() {
		return block.Withdrawal{}, false
	}
	w, err := withdrawalqueue.ParseInitiated(l)
	return w, err == nil
}

// queueCount is the number of withdrawals initiated up to L2 block n: slot
// 0 of the withdrawal queue (its storage layout, bridge/withdrawalqueue's
// doc), read from the state after n.
func (api *BridgeAPI) queueCount(n uint64) (uint64, error) {
	st, err := api.chain.StateAt(block.L2Number(n))
	if err != nil {
		return 0, fmt.Errorf("L2 state after block %d: %w", n, err)
	}
	v := st.GetState(withdrawalqueue.Address, syscontract.Slot(0))
	return new(uint256.Int).SetBytes32(v[:]).Uint64(), nil
}

// locateByNonce finds withdrawal nonce: the first L2 block after which the
// queue counts more than nonce withdrawals initiated it.
func (api *BridgeAPI) locateByNonce(nonce uint64) (*located, error) {
	headNum := api.chain.Head().Number()
	count, err := api.queueCount(headNum)
	if err != nil {
		return nil, err
	}
	if nonce >= count {
		if count == 0 {
			return nil, fmt.Errorf("%w: withdrawal %d: the L2 has initiated no withdrawal yet", ErrNoWithdrawal, nonce)
		}
		return nil, fmt.Errorf("%w: withdrawal %d: the L2 has initiated %d withdrawals (nonces 0 to %d)", ErrNoWithdrawal, nonce, count, count-1)
	}
	var searchErr error
	n := sort.Search(int(headNum)+1, func(i int) bool {
		if searchErr != nil {
			return true
		}
		c, err := api.queueCount(uint64(i))
		searchErr = err
		return err == nil && c > nonce
	})
	if searchErr != nil {
		return nil, fmt.Errorf("find withdrawal %d: %w", nonce, searchErr)
	}
	b, err := api.chain.BlockByNumber(block.L2Number(n))
	if err != nil {
		return nil, fmt.Errorf("find withdrawal %d: %w", nonce, err)
	}
	ws, err := api.chain.Withdrawals(b)
	if err != nil {
		return nil, err
	}
	for i := range ws {
		if ws[i].Nonce == nonce {
			return api.sourceOf(b, ws, i)
		}
	}
	return nil, fmt.Errorf("find withdrawal %d: L2 block %d raised the count past it but lists nonces %s", nonce, n, nonces(ws))
}

func nonces(ws []block.Withdrawal) string {
	if len(ws) == 0 {
		return "none"
	}
	return fmt.Sprintf("%d to %d", ws[0].Nonce, ws[len(ws)-1].Nonce)
}

// forcedWithdrawals returns the forced withdrawals block b applied (not
// those it recorded as failed), in order: they initiated b's first
// withdrawals, before its transactions did.
func (api *BridgeAPI) forcedWithdrawals(b *block.Block) ([]block.Operation, error) {
	failed, err := api.chain.FailedOperations(b)
	if err != nil {
		return nil, err
	}
	var out []block.Operation
	for _, op := range b.L2.Operations {
		if _, bad := failed[op.ID()]; op.Kind == block.OpForceWithdrawal && !bad {
			out = append(out, op)
		}
	}
	return out, nil
}

// sourceOf names what initiated ws[i], withdrawal of block b: a forced
// withdrawal, or the transaction whose log carries its nonce.
func (api *BridgeAPI) sourceOf(b *block.Block, ws []block.Withdrawal, i int) (*located, error) {
	loc := &located{block: b, withdrawal: ws[i]}
	forced, err := api.forcedWithdrawals(b)
	if err != nil {
		return nil, err
	}
	if i < len(forced) {
		id := forced[i].ID()
		loc.op = &id
		return loc, nil
	}
	receipts, err := api.chain.Receipts(b)
	if err != nil {
		return nil, err
	}
	for _, r := range receipts {
		for _, l := range r.Logs {
			if w, ok := initiated(l); ok && w.Nonce == ws[i].Nonce {
				h := r.TxHash
				loc.tx = &h
				return loc, nil
			}
		}
	}
	return loc, nil
}

// locateByOperation finds the withdrawal a forced withdrawal initiated:
// the L2 block whose origin reached its L1 block applied it, and its
// forced withdrawals initiated that block's first withdrawals, in order.
func (api *BridgeAPI) locateByOperation(id block.OperationID) (*located, error) {
	name := fmt.Sprintf("forced withdrawal %d/%d", id.L1Block, id.Index)
	if origin := api.chain.Head().L2.Origin.Number; id.L1Block > origin {
		return nil, fmt.Errorf("%w: %s is not applied yet: the L2 has reached L1 block %d (rollup_depositStatus says when it is applied)",
			ErrNoWithdrawal, name, origin)
	}
	b, err := api.firstWithOrigin(id.L1Block)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fmt.Errorf("%w: %s: no L2 block applied the operations of L1 block %d", ErrNoWithdrawal, name, id.L1Block)
	}
	var op *block.Operation
	for i := range b.L2.Operations {
		if b.L2.Operations[i].ID() == id {
			op = &b.L2.Operations[i]
		}
	}
	if op == nil {
		return nil, fmt.Errorf("%w: %s: L1 block %d has no bridge operation %d", ErrNoWithdrawal, name, id.L1Block, id.Index)
	}
	if op.Kind != block.OpForceWithdrawal {
		return nil, fmt.Errorf("%w: %s: the operation is a %s, not a forced withdrawal", ErrNoWithdrawal, name, op.Kind)
	}
	failed, err := api.chain.FailedOperations(b)
	if err != nil {
		return nil, err
	}
	if reason, bad := failed[id]; bad {
		return nil, fmt.Errorf("%w: %s failed in L2 block %d, nothing was withdrawn: %s", ErrNoWithdrawal, name, b.Number(), reason)
	}
	forced, err := api.forcedWithdrawals(b)
	if err != nil {
		return nil, err
	}
	ws, err := api.chain.Withdrawals(b)
	if err != nil {
		return nil, err
	}
	for k := range forced {
		if forced[k].ID() != id {
			continue
		}
		if k >= len(ws) || ws[k].From != op.From || ws[k].Amount.Cmp(op.Amount) != 0 {
			return nil, fmt.Errorf("%s: L2 block %d lists %d withdrawals, not the forced one at position %d", name, b.Number(), len(ws), k)
		}
		return &located{block: b, withdrawal: ws[k], op: &id}, nil
	}
	return nil, fmt.Errorf("%s: not among the forced withdrawals of L2 block %d", name, b.Number())
}
