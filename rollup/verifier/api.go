package verifier

import (
	"context"
	"errors"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/dispute"
	"github.com/bilayer/bilayer/rollup/l2chain"
)

// Finality reads the L1's view of the L2 heads (the rollup contract).
type Finality interface {
	// FinalizedBlock is the newest L2 block whose batch outlived the
	// challenge window.
	FinalizedBlock(ctx context.Context) (block.L2Number, error)
}

// API is the rollup_ namespace of the verifier's read-only L2 RPC.
type API struct {
	v        *Verifier
	chain    *l2chain.Chain
	finality Finality
	disputes *dispute.Reader // nil: no dispute lookups
}

// NewAPI returns the verifier's rollup_ API; disputes (may be nil) reads
// the L1 for rollup_dispute and rollup_disputes.
func NewAPI(v *Verifier, chain *l2chain.Chain, finality Finality, disputes *dispute.Reader) *API {
	return &API{v: v, chain: chain, finality: finality, disputes: disputes}
}

// BlockRef is an L2 block with its L1 origin.
type BlockRef struct {
	Number    hexutil.Uint64 `json:"number"`
	Hash      common.Hash    `json:"hash"`
	Timestamp hexutil.Uint64 `json:"timestamp"`
	L1Origin  struct {
		Number hexutil.Uint64 `json:"number"`
		Hash   common.Hash    `json:"hash"`
	} `json:"l1origin"`
}

// SyncStatus is the verifier's rollup_syncStatus: its heads (the derived
// chain is its unsafe and safe head), the finalized head from the L1, the
// L1 block it derived last, and how the posted outputs compared.
type SyncStatus struct {
	UnsafeL2     BlockRef       `json:"unsafeL2"`
	SafeL2       BlockRef       `json:"safeL2"`
	FinalizedL2  BlockRef       `json:"finalizedL2"`
	HeadL1       hexutil.Uint64 `json:"headL1"`
	Verification Verification   `json:"verification"`
}

// Verification says how the posted outputs compared with the derived ones.
type Verification struct {
	CheckedL2         hexutil.Uint64      `json:"checkedL2"`
	Agreed            hexutil.Uint64      `json:"agreed"`
	FirstDisagreement *OutputDisagreement `json:"firstDisagreement"`
}

// OutputDisagreement is a Disagreement as the RPC shows it: quantities in
// hex, as every other number of the Ethereum JSON-RPC.
type OutputDisagreement struct {
	Number          hexutil.Uint64 `json:"number"`
	BatchIndex      hexutil.Uint64 `json:"batchIndex"`
	L1Block         hexutil.Uint64 `json:"l1Block"`
	Fields          []string       `json:"fields"`
	PostedStateRoot common.Hash    `json:"postedStateRoot"`
	OwnStateRoot    common.Hash    `json:"ownStateRoot"`
	PostedBlockHash common.Hash    `json:"postedBlockHash"`
	OwnBlockHash    common.Hash    `json:"ownBlockHash"`
}

// rpcDisagreement renders d for the RPC (nil for nil).
func rpcDisagreement(d *Disagreement) *OutputDisagreement {
	if d == nil {
		return nil
	}
	return &OutputDisagreement{Number: hexutil.Uint64(d.Number), BatchIndex: hexutil.Uint64(d.BatchIndex), L1Block: hexutil.Uint64(d.L1Block),
		Fields: d.Fields, PostedStateRoot: d.PostedStateRoot, OwnStateRoot: d.OwnStateRoot,
		PostedBlockHash: d.PostedBlockHash, OwnBlockHash: d.OwnBlockHash}
}

func (api *API) ref(n uint64) (BlockRef, error) {
	b, err := api.chain.BlockByNumber(block.L2Number(n))
	if err != nil {
		return BlockRef{}, err
	}
	r := BlockRef{Number: hexutil.Uint64(b.Number()), Hash: b.Hash(), Timestamp: hexutil.Uint64(b.Header.Time)}
	r.L1Origin.Number, r.L1Origin.Hash = hexutil.Uint64(b.L2.Origin.Number), b.L2.Origin.Hash
	return r, nil
}

// SyncStatus returns the verifier's heads and verification.
func (api *API) SyncStatus(ctx context.Context) (*SyncStatus, error) {
	st := api.v.Status()
	head := api.chain.Head().Number()
	unsafe, err := api.ref(head)
	if err != nil {
		return nil, err
	}
	fin := uint64(0)
	if api.finality != nil {
		f, err := api.finality.FinalizedBlock(ctx)
		if err != nil {
			return nil, err
		}
		fin = min(uint64(f), head)
	}
	finalized, err := api.ref(fin)
	if err != nil {
		return nil, err
	}
	return &SyncStatus{UnsafeL2: unsafe, SafeL2: unsafe, FinalizedL2: finalized, HeadL1: hexutil.Uint64(st.L1),
		Verification: Verification{CheckedL2: hexutil.Uint64(st.Checked), Agreed: hexutil.Uint64(st.Agreed), FirstDisagreement: rpcDisagreement(st.FirstDisagreement)}}, nil
}

// errNoDisputes is the answer of the dispute lookups when the API has no
// L1 reader.
var errNoDisputes = errors.New("this node does not read the L1's disputes")

// Dispute explains a fraud-proof dispute from the L1 alone
// (rollup_dispute), as the sequencer's RPC does: the claim, the first
// wrong L2 block, the output fields that differ, the verdict, the bond
// flow and the L1 transactions. sel is optional (the newest dispute); an
// object {"l2Block": "0xa"}, {"l1Tx": "0x…"} or {"index": "0x0"}, or a
// string: a 32-byte hash is an L1 transaction, anything else an L2 block
// number.
func (api *API) Dispute(ctx context.Context, sel *dispute.Selector) (*dispute.Report, error) {
	if api.disputes == nil {
		return nil, errNoDisputes
	}
	return api.disputes.Lookup(ctx, sel)
}

// Disputes lists the newest disputes, newest first (rollup_disputes): at
// most limit of them and at most dispute.MaxList (100); absent or 0 means
// 100.
func (api *API) Disputes(ctx context.Context, limit *hexutil.Uint64) ([]*dispute.Report, error) {
	if api.disputes == nil {
		return nil, errNoDisputes
	}
	return api.disputes.ListUpTo(ctx, limit)
}
