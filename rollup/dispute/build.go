package dispute

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/l1"
)

// L1 is what a Reader reads from the L1 chain. *l1.Client has all but
// TransactionByHash; NewL1 adds it.
type L1 interface {
	// CallContract runs a read-only call of to with data on the state
	// after block atBlock (the head if nil).
	CallContract(ctx context.Context, to common.Address, data []byte, atBlock *block.L1Number) ([]byte, error)
	// Call runs msg read-only on the state after atBlock; a revert is an
	// error wrapping an *l1.RevertError.
	Call(ctx context.Context, msg ethereum.CallMsg, atBlock *block.L1Number) ([]byte, error)
	// FilterLogs returns the logs matching q.
	FilterLogs(ctx context.Context, q ethereum.FilterQuery) ([]types.Log, error)
	// TransactionReceipt returns the receipt of an included transaction;
	// an error wrapping ethereum.NotFound if it is not included.
	TransactionReceipt(ctx context.Context, hash common.Hash) (*types.Receipt, error)
	// TransactionByHash returns an included transaction and its sender;
	// an error wrapping ethereum.NotFound if there is none.
	TransactionByHash(ctx context.Context, hash common.Hash) (*types.Transaction, common.Address, error)
}

// Limits of the lookups.
const (
	// MaxList is the most reports List returns (the newest disputes).
	MaxList = 100
	// MaxScan is the most dispute records a lookup by L2 block reads,
	// newest first.
	MaxScan = 4096
)

// Errors of the lookups; test with errors.Is.
var (
	// ErrNoDispute means no dispute record matches (none yet, no such
	// index, or none naming the L2 block asked for).
	ErrNoDispute = errors.New("no such dispute")
	// ErrNotAChallenge means an L1 transaction is not a call of the rollup
	// contract's challenge.
	ErrNotAChallenge = errors.New("not a challenge")
)

// Reader builds Reports from the L1.
type Reader struct {
	l1 L1
}

// New returns a Reader over l1.
func New(l1 L1) *Reader { return &Reader{l1: l1} }

// Find explains the dispute sel selects (the newest one if sel is empty).
func (r *Reader) Find(ctx context.Context, sel Selector) (*Report, error) {
	if err := sel.Check(); err != nil {
		return nil, err
	}
	switch {
	case sel.L1Tx != nil:
		return r.ByL1Tx(ctx, *sel.L1Tx)
	case sel.L2Block != nil:
		return r.ByL2Block(ctx, block.L2Number(*sel.L2Block))
	case sel.Index != nil:
		return r.ByIndex(ctx, uint64(*sel.Index))
	}
	return r.Latest(ctx)
}

// Count returns the number of dispute records (successful challenges).
func (r *Reader) Count(ctx context.Context) (uint64, error) {
	ret, err := r.l1.CallContract(ctx, contract.Address, contract.PackDisputeCount(), nil)
	if err != nil {
		return 0, fmt.Errorf("read the rollup contract's disputeCount: %w", err)
	}
	n, err := contract.UnpackDisputeCount(ret)
	if err != nil {
		return 0, fmt.Errorf("read the rollup contract's disputeCount: %w", err)
	}
	return n, nil
}

// record reads dispute record i.
func (r *Reader) record(ctx context.Context, i uint64) (contract.Dispute, error) {
	ret, err := r.l1.CallContract(ctx, contract.Address, contract.PackDispute(i), nil)
	if err != nil {
		return contract.Dispute{}, fmt.Errorf("read the rollup contract's dispute(%d): %w", i, err)
	}
	d, err := contract.UnpackDispute(i, ret)
	if err != nil {
		return contract.Dispute{}, fmt.Errorf("read the rollup contract's dispute(%d): %w", i, err)
	}
	return d, nil
}

// Latest explains the newest dispute.
func (r *Reader) Latest(ctx context.Context) (*Report, error) {
	n, err := r.Count(ctx)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: the rollup contract has recorded no dispute (no challenge has succeeded)", ErrNoDispute)
	}
	return r.ByIndex(ctx, n-1)
}

// ByIndex explains dispute record i.
func (r *Reader) ByIndex(ctx context.Context, i uint64) (*Report, error) {
	n, err := r.Count(ctx)
	if err != nil {
		return nil, err
	}
	if i >= n {
		return nil, fmt.Errorf("%w: dispute %d, the rollup contract has recorded %d", ErrNoDispute, i, n)
	}
	d, err := r.record(ctx, i)
	if err != nil {
		return nil, err
	}
	return r.explain(ctx, d, nil)
}

// ByL2Block explains the newest dispute naming L2 block n (of the newest
// MaxScan).
func (r *Reader) ByL2Block(ctx context.Context, n block.L2Number) (*Report, error) {
	count, err := r.Count(ctx)
	if err != nil {
		return nil, err
	}
	low := uint64(0)
	if count > MaxScan {
		low = count - MaxScan
	}
	for i := count; i > low; i-- {
		d, err := r.record(ctx, i-1)
		if err != nil {
			return nil, err
		}
		if d.L2Block == n {
			return r.explain(ctx, d, nil)
		}
	}
	if low > 0 {
		return nil, fmt.Errorf("%w: none of the newest %d of %d disputes names L2 block %d", ErrNoDispute, MaxScan, count, n)
	}
	return nil, fmt.Errorf("%w: none of the %d disputes names L2 block %d", ErrNoDispute, count, n)
}

// List explains the newest disputes, newest first: at most limit of them
// (MaxList if limit is 0 or above it).
func (r *Reader) List(ctx context.Context, limit int) ([]*Report, error) {
	if limit <= 0 || limit > MaxList {
		limit = MaxList
	}
	count, err := r.Count(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*Report, 0, min(count, uint64(limit)))
	for i := count; i > 0 && len(out) < limit; i-- {
		d, err := r.record(ctx, i-1)
		if err != nil {
			return nil, err
		}
		rep, err := r.explain(ctx, d, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, rep)
	}
	return out, nil
}

// ByL1Tx explains the challenge in L1 transaction hash: the dispute its
// Challenged log names, or, if it reverted, why the contract refused it.
func (r *Reader) ByL1Tx(ctx context.Context, hash common.Hash) (*Report, error) {
	rc, err := r.l1.TransactionReceipt(ctx, hash)
	if errors.Is(err, ethereum.NotFound) {
		return nil, fmt.Errorf("L1 transaction %s is in no L1 block (unknown to the L1 node, or still pending): %w", hash, err)
	}
	if err != nil {
		return nil, fmt.Errorf("read the receipt of L1 transaction %s: %w", hash, err)
	}
	if rc.BlockNumber == nil {
		return nil, fmt.Errorf("the receipt of L1 transaction %s names no block", hash)
	}
	for _, lg := range rc.Logs {
		if lg == nil || lg.Address != contract.Address || len(lg.Topics) == 0 || lg.Topics[0] != contract.ChallengedTopic() {
			continue
		}
		ev, err := contract.ParseChallenged(lg)
		if err != nil {
			return nil, fmt.Errorf("L1 transaction %s: %w", hash, err)
		}
		d, err := r.record(ctx, ev.Dispute)
		if err != nil {
			return nil, err
		}
		if d.L2Block != ev.L2Block || d.L1Block != block.L1Number(rc.BlockNumber.Uint64()) {
			return nil, fmt.Errorf("L1 transaction %s: its Challenged log names dispute %d of L2 block %d in L1 block %d, the record says L2 block %d, L1 block %d",
				hash, ev.Dispute, ev.L2Block, rc.BlockNumber, d.L2Block, d.L1Block)
		}
		return r.explain(ctx, d, &L1Tx{Hash: hash, L1Block: hexutil.Uint64(rc.BlockNumber.Uint64()), TxIndex: hexutil.Uint64(rc.TransactionIndex),
			From: &d.Challenger})
	}

	tx, from, err := r.l1.TransactionByHash(ctx, hash)
	if err != nil {
		return nil, fmt.Errorf("read L1 transaction %s: %w", hash, err)
	}
	if tx.To() == nil || *tx.To() != contract.Address {
		to := "no address (it creates a contract)"
		if tx.To() != nil {
			to = tx.To().Hex()
		}
		return nil, fmt.Errorf("%w: L1 transaction %s was sent to %s, not to the rollup contract %s", ErrNotAChallenge, hash, to, contract.Address)
	}
	l2Block, _, err := contract.UnpackChallengeInput(tx.Data())
	if err != nil {
		return nil, fmt.Errorf("%w: L1 transaction %s calls the rollup contract's %s, not challenge(l2Block, proof)", ErrNotAChallenge, hash, methodName(tx.Data()))
	}
	if rc.Status == types.ReceiptStatusSuccessful {
		return nil, fmt.Errorf("L1 transaction %s: a challenge of L2 block %d that succeeded but emitted no Challenged log", hash, l2Block)
	}
	return r.refused(ctx, tx, from, rc, l2Block)
}

// methodName names the rollup contract method calldata calls, or gives
// its selector.
func methodName(calldata []byte) string {
	if len(calldata) < 4 {
		return "fallback (no method selector)"
	}
	if m, err := contract.ABI().MethodById(calldata[:4]); err == nil {
		return m.Name
	}
	return "unknown method " + hexutil.Encode(calldata[:4])
}

// refused explains a challenge transaction that reverted, replaying it on
// the state of its block's parent for the reason.
func (r *Reader) refused(ctx context.Context, tx *types.Transaction, from common.Address, rc *types.Receipt, l2Block block.L2Number) (*Report, error) {
	at := rc.BlockNumber.Uint64()
	rep := &Report{Verdict: VerdictRefused, L2Block: hexutil.Uint64(l2Block), Challenger: from,
		ChallengeTx: &L1Tx{Hash: rc.TxHash, L1Block: hexutil.Uint64(at), TxIndex: hexutil.Uint64(rc.TransactionIndex), From: &from, Failed: true}}
	if at == 0 {
		rep.Explanation = fmt.Sprintf("the challenge of L2 block %d reverted and changed nothing", l2Block)
		return rep, nil
	}
	parent := block.L1Number(at - 1)
	_, err := r.l1.Call(ctx, ethereum.CallMsg{From: from, To: tx.To(), Value: tx.Value(), Data: tx.Data(), Gas: tx.Gas()}, &parent)
	var rev *l1.RevertError
	switch {
	case errors.As(err, &rev):
		rep.Reason = rev.Reason
	case err == nil:
		rep.Notes = append(rep.Notes, fmt.Sprintf("replayed on the state of L1 block %d, the challenge does not revert: it ran out of gas, or a transaction before it in L1 block %d changed the outcome", parent, at))
	default:
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		rep.Notes = append(rep.Notes, fmt.Sprintf("replaying the challenge for its revert reason failed: %v", err))
	}
	switch {
	case strings.Contains(rep.Reason, "output is correct"):
		rep.Explanation = fmt.Sprintf("the challenge failed: the posted output of L2 block %d is correct; nothing was deleted or slashed, the challenger paid the gas", l2Block)
	case strings.Contains(rep.Reason, "invalid challenge"):
		rep.Explanation = fmt.Sprintf("the challenge of L2 block %d was invalid and proves nothing either way; nothing was deleted or slashed, the challenger paid the gas", l2Block)
	default:
		rep.Explanation = fmt.Sprintf("the challenge of L2 block %d reverted; nothing was deleted or slashed, the challenger paid the gas", l2Block)
	}
	return rep, nil
}

// explain builds the report of dispute record d; challengeTx is the
// challenge's transaction when the caller knows it.
func (r *Reader) explain(ctx context.Context, d contract.Dispute, challengeTx *L1Tx) (*Report, error) {
	idx, batch := hexutil.Uint64(d.Index), hexutil.Uint64(d.BatchIndex)
	rep := &Report{Verdict: VerdictOutputWrong, Dispute: &idx, L2Block: hexutil.Uint64(d.L2Block), BatchIndex: &batch,
		Claim: outputOf(d.Posted), Computed: outputOf(d.Computed), Challenger: d.Challenger, ChallengeTx: challengeTx,
		Bond: &Bond{Slashed: (*hexutil.Big)(total(d.Reward, d.Burned)), Reward: (*hexutil.Big)(nonNil(d.Reward)), Burned: (*hexutil.Big)(nonNil(d.Burned))}}
	rep.Differs = Differs(rep.Claim, rep.Computed)
	if d.Poster != (common.Address{}) {
		poster := d.Poster
		rep.Bond.Sequencer = &poster
	}
	rep.Explanation = fmt.Sprintf("the posted output was proven wrong: outputs from L2 block %d on deleted; its poster's bond was slashed, and it must re-bond before it posts again", d.L2Block)
	if (*big.Int)(rep.Bond.Slashed).Sign() == 0 {
		rep.Explanation = fmt.Sprintf("the posted output was proven wrong: outputs from L2 block %d on deleted; its poster had no bond left to slash (not re-bonded since an earlier dispute)", d.L2Block)
	}
	if rep.ChallengeTx == nil {
		tx, err := r.challengeTx(ctx, d)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			rep.Notes = append(rep.Notes, err.Error())
		}
		rep.ChallengeTx = tx
	}
	batchTx, err := r.batchTx(ctx, d)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		rep.Notes = append(rep.Notes, err.Error())
	}
	if batchTx != nil {
		rep.BatchTx = batchTx
		if rep.Bond.Sequencer == nil { // a record that does not name its poster
			rep.Bond.Sequencer = batchTx.From
		}
	}
	return rep, nil
}

func nonNil(v *big.Int) *big.Int {
	if v == nil {
		return new(big.Int)
	}
	return v
}

// u64Topic is the topic of an indexed uint64.
func u64Topic(n uint64) common.Hash { return common.BigToHash(new(big.Int).SetUint64(n)) }

// challengeTx finds the transaction of dispute d: the Challenged log of
// its L1 block that names it.
func (r *Reader) challengeTx(ctx context.Context, d contract.Dispute) (*L1Tx, error) {
	n := new(big.Int).SetUint64(uint64(d.L1Block))
	logs, err := r.l1.FilterLogs(ctx, ethereum.FilterQuery{FromBlock: n, ToBlock: n, Addresses: []common.Address{contract.Address},
		Topics: [][]common.Hash{{contract.ChallengedTopic()}, {u64Topic(uint64(d.L2Block))}}})
	if err != nil {
		return nil, fmt.Errorf("the challenge transaction of dispute %d: %w", d.Index, err)
	}
	for i := range logs {
		ev, err := contract.ParseChallenged(&logs[i])
		if err != nil {
			return nil, fmt.Errorf("the challenge transaction of dispute %d: L1 block %d log %d: %w", d.Index, d.L1Block, logs[i].Index, err)
		}
		if ev.Dispute == d.Index {
			who := ev.Challenger
			return &L1Tx{Hash: logs[i].TxHash, L1Block: hexutil.Uint64(logs[i].BlockNumber), TxIndex: hexutil.Uint64(logs[i].TxIndex), From: &who}, nil
		}
	}
	return nil, fmt.Errorf("the challenge transaction of dispute %d: L1 block %d has no Challenged log naming it", d.Index, d.L1Block)
}

// batchTx finds the L1 transaction that posted the claim of dispute d:
// the acceptance of batch d.BatchIndex as the contract kept it just before
// the challenge's L1 block, and its sender (the sequencer).
func (r *Reader) batchTx(ctx context.Context, d contract.Dispute) (*L1Tx, error) {
	what := fmt.Sprintf("the L1 transaction of batch %d (the claim)", d.BatchIndex)
	if d.L1Block == 0 {
		return nil, fmt.Errorf("%s: the dispute names L1 block 0", what)
	}
	before := d.L1Block - 1
	ret, err := r.l1.CallContract(ctx, contract.Address, contract.PackBatch(d.BatchIndex), &before)
	if err != nil {
		return nil, fmt.Errorf("%s: batch(%d) at L1 block %d: %w", what, d.BatchIndex, before, err)
	}
	info, err := contract.UnpackBatch(d.BatchIndex, ret)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	at := new(big.Int).SetUint64(uint64(info.L1Block))
	logs, err := r.l1.FilterLogs(ctx, ethereum.FilterQuery{FromBlock: at, ToBlock: at, Addresses: []common.Address{contract.Address},
		Topics: [][]common.Hash{{contract.BatchAcceptedTopic()}, {u64Topic(d.BatchIndex)}}})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	for i := range logs {
		ev, err := contract.ParseBatchAccepted(&logs[i])
		if err != nil {
			return nil, fmt.Errorf("%s: L1 block %d log %d: %w", what, info.L1Block, logs[i].Index, err)
		}
		if ev.Index != d.BatchIndex || d.L2Block < ev.FirstBlock || d.L2Block > ev.LastBlock {
			continue
		}
		out := &L1Tx{Hash: logs[i].TxHash, L1Block: hexutil.Uint64(logs[i].BlockNumber), TxIndex: hexutil.Uint64(logs[i].TxIndex)}
		_, from, err := r.l1.TransactionByHash(ctx, out.Hash)
		if err != nil {
			return out, fmt.Errorf("the sender of batch %d's L1 transaction %s (the sequencer): %w", d.BatchIndex, out.Hash, err)
		}
		out.From = &from
		return out, nil
	}
	return nil, fmt.Errorf("%s: L1 block %d has no BatchAccepted log of batch %d holding L2 block %d", what, info.L1Block, d.BatchIndex, d.L2Block)
}

// Lookup is rollup_dispute: Find with an optional selector (nil selects
// the newest dispute), its error saying what was asked.
func (r *Reader) Lookup(ctx context.Context, sel *Selector) (*Report, error) {
	if sel == nil {
		sel = &Selector{}
	}
	rep, err := r.Find(ctx, *sel)
	if err != nil {
		return nil, fmt.Errorf("explain %s: %w", sel, err)
	}
	return rep, nil
}

// ListUpTo is rollup_disputes: List with an optional limit (nil or 0:
// MaxList; larger values are capped at MaxList).
func (r *Reader) ListUpTo(ctx context.Context, limit *hexutil.Uint64) ([]*Report, error) {
	n := 0
	if limit != nil {
		n = int(min(uint64(*limit), MaxList))
	}
	reps, err := r.List(ctx, n)
	if err != nil {
		return nil, fmt.Errorf("list the disputes: %w", err)
	}
	return reps, nil
}
