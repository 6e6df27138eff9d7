package sequencer

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/dispute"
	"github.com/bilayer/bilayer/rollup/l1"
	"github.com/bilayer/bilayer/rollup/l2chain"
	"github.com/bilayer/bilayer/rollup/protocol"
)

// RollupAPI is the rollup_ namespace of the sequencer's L2 RPC: the
// bridge lookups of BridgeAPI (rollup_depositStatus,
// rollup_withdrawalStatus) and the sequencer's own heads, outputs, batches
// and disputes.
type RollupAPI struct {
	*BridgeAPI
	seq *Sequencer
}

// BridgeAPI answers where a deposit or forced operation and a withdrawal
// are (rollup_depositStatus, rollup_withdrawalStatus) from an L2 chain and
// the L1. The sequencer serves it inside RollupAPI; the challenger serves
// it over the chain it derives from the L1 alone, so a user can follow a
// forced exit when the sequencer is gone.
type BridgeAPI struct {
	chain *l2chain.Chain
	ops   OperationView
	l1    *l1.Client // may be nil: no batch lookups
	// window is the rollup's challenge window W (0: read off the L1).
	window uint64
}

// OperationView is what the deposit lookup reads of the process that
// follows the L1: the newest L1 block it has read, and an operation of an
// L1 block after the L2 head's origin (seen on L1, not yet applied on L2).
type OperationView interface {
	L1Head() block.L1Number
	PendingOperation(ctx context.Context, id block.OperationID) (*block.Operation, error)
}

// APIOption configures a RollupAPI or BridgeAPI. (An option, not a
// method: every exported method of the API is served over JSON-RPC.)
type APIOption func(*BridgeAPI)

// WithChallengeWindow tells the API the rollup's challenge window W (the
// genesis's rollup.challengeWindow), so withdrawal countdowns are exact
// before any batch has finalized.
func WithChallengeWindow(w uint64) APIOption { return func(api *BridgeAPI) { api.window = w } }

// NewRollupAPI returns the rollup_ API over the sequencer's chain; l1c
// (may be nil) answers the questions only the L1 contract can.
func NewRollupAPI(chain *l2chain.Chain, seq *Sequencer, l1c *l1.Client, opts ...APIOption) *RollupAPI {
	var ops OperationView
	if seq != nil {
		ops = seq
	}
	return &RollupAPI{BridgeAPI: NewBridgeAPI(chain, ops, l1c, opts...), seq: seq}
}

// NewBridgeAPI returns the deposit and withdrawal lookups over chain; ops
// tells pending operations apart from unknown ones, l1c (may be nil)
// answers what only the L1 contract can.
func NewBridgeAPI(chain *l2chain.Chain, ops OperationView, l1c *l1.Client, opts ...APIOption) *BridgeAPI {
	api := &BridgeAPI{chain: chain, ops: ops, l1: l1c}
	for _, o := range opts {
		o(api)
	}
	return api
}

// L1BlockRef is an L1 block as the rollup RPC names it.
type L1BlockRef struct {
	Number hexutil.Uint64 `json:"number"`
	Hash   common.Hash    `json:"hash"`
}

// L2BlockRef is an L2 block with its L1 origin.
type L2BlockRef struct {
	Number    hexutil.Uint64 `json:"number"`
	Hash      common.Hash    `json:"hash"`
	Timestamp hexutil.Uint64 `json:"timestamp"`
	L1Origin  L1BlockRef     `json:"l1origin"`
}

// SyncStatus is the rollup_syncStatus result: the three L2 heads (DESIGN
// §6) and the newest L1 block the sequencer has seen.
type SyncStatus struct {
	UnsafeL2    L2BlockRef     `json:"unsafeL2"`
	SafeL2      L2BlockRef     `json:"safeL2"`
	FinalizedL2 L2BlockRef     `json:"finalizedL2"`
	HeadL1      hexutil.Uint64 `json:"headL1"`
}

func refOf(b *block.Block) L2BlockRef {
	r := L2BlockRef{Number: hexutil.Uint64(b.Number()), Hash: b.Hash(), Timestamp: hexutil.Uint64(b.Header.Time)}
	if b.L2 != nil {
		r.L1Origin = L1BlockRef{Number: hexutil.Uint64(b.L2.Origin.Number), Hash: b.L2.Origin.Hash}
	}
	return r
}

// SyncStatus returns the three L2 heads with their L1 origins: unsafe (the
// sequencer's newest block), safe (its batch was accepted on L1) and
// finalized (its batch outlived the challenge window).
func (api *RollupAPI) SyncStatus() (*SyncStatus, error) {
	head := api.chain.Head()
	safe, err := api.chain.BlockByNumber(block.L2Number(min(api.seq.Safe(), head.Number())))
	if err != nil {
		return nil, fmt.Errorf("safe head: %w", err)
	}
	fin, err := api.chain.BlockByNumber(block.L2Number(min(api.seq.Finalized(), head.Number())))
	if err != nil {
		return nil, fmt.Errorf("finalized head: %w", err)
	}
	return &SyncStatus{UnsafeL2: refOf(head), SafeL2: refOf(safe), FinalizedL2: refOf(fin),
		HeadL1: hexutil.Uint64(api.seq.L1Head())}, nil
}

// Output is the rollup_outputAtBlock result: an L2 block's output root and
// what it is made of, and how far it has come.
type Output struct {
	Number          hexutil.Uint64  `json:"number"`
	BlockHash       common.Hash     `json:"blockHash"`
	StateRoot       common.Hash     `json:"stateRoot"`
	WithdrawalsRoot common.Hash     `json:"withdrawalsRoot"`
	OutputRoot      common.Hash     `json:"outputRoot"`
	Status          string          `json:"status"`
	BatchIndex      *hexutil.Uint64 `json:"batchIndex,omitempty"`
}

// OutputAtBlock returns the output of L2 block n; status is "unsafe",
// "safe" or "finalized", with the index of the L1 batch holding it.
func (api *RollupAPI) OutputAtBlock(ctx context.Context, n hexutil.Uint64) (*Output, error) {
	b, err := api.chain.BlockByNumber(block.L2Number(n))
	if err != nil {
		return nil, fmt.Errorf("L2 block %d: %w", n, err)
	}
	ws, err := api.chain.Withdrawals(b)
	if err != nil {
		return nil, err
	}
	wroot, err := protocol.WithdrawalsRoot(ws)
	if err != nil {
		return nil, fmt.Errorf("L2 block %d: %w", n, err)
	}
	out := &Output{Number: n, BlockHash: b.Hash(), StateRoot: b.Header.Root, WithdrawalsRoot: wroot,
		OutputRoot: protocol.OutputRoot(b.Header.Root, wroot, b.Hash()), Status: "unsafe"}
	switch {
	case uint64(n) <= api.seq.Finalized():
		out.Status = "finalized"
	case uint64(n) <= api.seq.Safe():
		out.Status = "safe"
	}
	if out.Status != "unsafe" && n > 0 && api.l1 != nil {
		ret, err := api.l1.CallContract(ctx, contract.Address, contract.PackBatchOfBlock(block.L2Number(n)), nil)
		if err != nil {
			return nil, fmt.Errorf("batch of L2 block %d: %w", n, err)
		}
		idx, err := contract.UnpackBatchOfBlock(ret)
		if err != nil {
			return nil, err
		}
		out.BatchIndex = (*hexutil.Uint64)(&idx)
	}
	return out, nil
}

// Batch is the rollup_batch result: what the L1 rollup contract keeps of a
// batch.
type Batch struct {
	Index      hexutil.Uint64 `json:"index"`
	FirstBlock hexutil.Uint64 `json:"firstBlock"`
	LastBlock  hexutil.Uint64 `json:"lastBlock"`
	L1Block    hexutil.Uint64 `json:"l1Block"`
	Root       common.Hash    `json:"root"`
	Final      bool           `json:"final"`
	// Poster is the account that posted it: the sequencer, or a fallback
	// proposer after the sequencer timeout.
	Poster common.Address `json:"poster"`
}

// Batch returns batch index as the L1 rollup contract keeps it.
func (api *RollupAPI) Batch(ctx context.Context, index hexutil.Uint64) (*Batch, error) {
	if api.l1 == nil {
		return nil, fmt.Errorf("this node does not read the L1")
	}
	ret, err := api.l1.CallContract(ctx, contract.Address, contract.PackBatch(uint64(index)), nil)
	if err != nil {
		return nil, fmt.Errorf("batch %d: %w", index, err)
	}
	info, err := contract.UnpackBatch(uint64(index), ret)
	if err != nil {
		return nil, err
	}
	return &Batch{Index: index, FirstBlock: hexutil.Uint64(info.FirstBlock), LastBlock: hexutil.Uint64(info.LastBlock()),
		L1Block: hexutil.Uint64(info.L1Block), Root: info.Root, Final: info.Final, Poster: info.Poster}, nil
}

// Deposit statuses.
const (
	// StatusApplied: the operation is in an L2 block.
	StatusApplied = "applied"
	// StatusFailed: an L2 block applied the forced operation and recorded
	// it as failed (the sender's L2 balance could not cover it); it
	// changed nothing. Reason says why.
	StatusFailed = "failed"
	// StatusPending: the sequencer has seen it on L1; the L2 origin has not
	// reached its L1 block yet.
	StatusPending = "pending"
	// StatusUnknown: the sequencer has not seen it (its L1 block is newer
	// than what it has read, or there is no such operation).
	StatusUnknown = "unknown"
)

// DepositStatus is the rollup_depositStatus result.
type DepositStatus struct {
	L1Block hexutil.Uint64  `json:"l1Block"`
	Index   hexutil.Uint64  `json:"index"`
	Status  string          `json:"status"`
	Kind    string          `json:"kind,omitempty"`
	From    *common.Address `json:"from,omitempty"`
	To      *common.Address `json:"to,omitempty"`
	Amount  *hexutil.Big    `json:"amount,omitempty"`
	// L2Block and L2BlockHash name the block that applied it.
	L2Block     *hexutil.Uint64 `json:"l2Block,omitempty"`
	L2BlockHash *common.Hash    `json:"l2BlockHash,omitempty"`
	// L2Origin is the unsafe head's origin, L1Head the newest L1 block
	// seen: while pending, the origin must reach L1Block.
	L2Origin hexutil.Uint64 `json:"l2Origin"`
	L1Head   hexutil.Uint64 `json:"l1Head"`
	// Reason says why a failed operation failed.
	Reason string `json:"reason,omitempty"`
}

func (s *DepositStatus) fill(op *block.Operation) {
	s.Kind = op.Kind.String()
	from, to := op.From, op.To
	s.From, s.To, s.Amount = &from, &to, (*hexutil.Big)(op.Amount)
}

// DepositStatus says where the L1 operation (deposit or forced operation)
// number index of L1 block l1Block is: applied in an L2 block, pending, or
// unknown to this node.
func (api *BridgeAPI) DepositStatus(ctx context.Context, l1Block, index hexutil.Uint64) (*DepositStatus, error) {
	head := api.chain.Head()
	st := &DepositStatus{L1Block: l1Block, Index: index, Status: StatusUnknown,
		L2Origin: hexutil.Uint64(head.L2.Origin.Number), L1Head: hexutil.Uint64(api.ops.L1Head())}
	target := block.OperationID{L1Block: block.L1Number(l1Block), Index: uint64(index)}
	if target.L1Block <= head.L2.Origin.Number {
		b, err := api.firstWithOrigin(target.L1Block)
		if err != nil {
			return nil, err
		}
		if b != nil {
			for i := range b.L2.Operations {
				if op := &b.L2.Operations[i]; op.ID() == target {
					n, h := hexutil.Uint64(b.Number()), b.Hash()
					st.Status, st.L2Block, st.L2BlockHash = StatusApplied, &n, &h
					st.fill(op)
					failed, err := api.chain.FailedOperations(b)
					if err != nil {
						return nil, err
					}
					if reason, ok := failed[target]; ok {
						st.Status, st.Reason = StatusFailed, reason
					}
					return st, nil
				}
			}
		}
		return st, nil
	}
	op, err := api.ops.PendingOperation(ctx, target)
	if err != nil {
		return nil, fmt.Errorf("L1 operation %d of L1 block %d: %w", index, l1Block, err)
	}
	if op != nil {
		st.Status = StatusPending
		st.fill(op)
	}
	return st, nil
}

// firstWithOrigin returns the first L2 block whose origin is l1, or nil if
// no block has that origin. Origins never decrease along the chain, so a
// binary search over heights finds it.
func (api *BridgeAPI) firstWithOrigin(l1 block.L1Number) (*block.Block, error) {
	headNum := int(api.chain.Head().Number())
	var searchErr error
	i := sort.Search(headNum+1, func(i int) bool {
		if searchErr != nil {
			return true
		}
		b, err := api.chain.BlockByNumber(block.L2Number(i))
		if err != nil {
			searchErr = err
			return true
		}
		return b.L2.Origin.Number >= l1
	})
	if searchErr != nil {
		return nil, fmt.Errorf("find the L2 block of origin %d: %w", l1, searchErr)
	}
	if i > headNum {
		return nil, nil
	}
	b, err := api.chain.BlockByNumber(block.L2Number(i))
	if err != nil {
		return nil, fmt.Errorf("find the L2 block of origin %d: %w", l1, err)
	}
	if b.L2.Origin.Number != l1 {
		return nil, nil
	}
	return b, nil
}

// errNoL1 is the answer of the L1 lookups when the node reads no L1.
var errNoL1 = errors.New("this node does not read the L1")

// Dispute explains a fraud-proof dispute from the L1 alone
// (rollup_dispute): the claim (the posted output), the first wrong L2
// block, the output fields that differ from the contract's re-execution,
// the verdict, the bond flow and the L1 transactions. sel is optional:
// absent or null selects the newest dispute; an object {"l2Block": "0xa"}
// (the newest dispute naming that block), {"l1Tx": "0x…"} (the challenge
// in that L1 transaction: a recorded dispute, or a refused challenge with
// its revert reason) or {"index": "0x0"} (a dispute record); or a string,
// a 32-byte hash being an L1 transaction and anything else an L2 block
// number. The result is a dispute.Report.
func (api *RollupAPI) Dispute(ctx context.Context, sel *dispute.Selector) (*dispute.Report, error) {
	if api.l1 == nil {
		return nil, errNoL1
	}
	return dispute.New(dispute.NewL1(api.l1)).Lookup(ctx, sel)
}

// Disputes lists the newest disputes, newest first, as rollup_dispute
// explains them (rollup_disputes): at most limit of them and at most
// dispute.MaxList (100); absent or 0 means 100.
func (api *RollupAPI) Disputes(ctx context.Context, limit *hexutil.Uint64) ([]*dispute.Report, error) {
	if api.l1 == nil {
		return nil, errNoL1
	}
	return dispute.New(dispute.NewL1(api.l1)).ListUpTo(ctx, limit)
}
