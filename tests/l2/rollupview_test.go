package l2_test

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/bilayer/bilayer/devnet/cluster"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/protocol"
)

// rpcBlockNumber is the part of eth_getBlockByNumber the tag tests read.
type rpcBlockNumber struct {
	Number    hexutil.Uint64 `json:"number"`
	Hash      common.Hash    `json:"hash"`
	StateRoot common.Hash    `json:"stateRoot"`
}

// rollupView calls a view of the L1 rollup contract on validator 0 at L1
// block at (nil: the head).
func (e *env) rollupView(ctx context.Context, data []byte, at *uint64) ([]byte, error) {
	var n *big.Int
	if at != nil {
		n = big64(*at)
	}
	ret, err := e.l1c().CallContract(ctx, ethereum.CallMsg{To: &contract.Address, Data: data}, n)
	if err != nil {
		return nil, fmt.Errorf("rollup contract view at L1 block %v: %w", n, err)
	}
	return ret, nil
}

// lastAccepted is the contract's last accepted L2 block at L1 block at.
func (e *env) lastAccepted(ctx context.Context, at *uint64) (protocol.Head, error) {
	ret, err := e.rollupView(ctx, contract.PackLastAccepted(), at)
	if err != nil {
		return protocol.Head{}, err
	}
	return contract.UnpackLastAccepted(ret)
}

// contractFinalized is the contract's finalized L2 block at L1 block at.
func (e *env) contractFinalized(ctx context.Context, at *uint64) (uint64, error) {
	ret, err := e.rollupView(ctx, contract.PackFinalizedBlock(), at)
	if err != nil {
		return 0, err
	}
	n, err := contract.UnpackFinalizedBlock(ret)
	return uint64(n), err
}

// waitSequencerSafe waits until the sequencer's safe head reaches n and
// returns it.
func (e *env) waitSequencerSafe(t *testing.T, ctx context.Context, n uint64, timeout time.Duration) uint64 {
	t.Helper()
	var safe uint64
	cluster.Await(t, timeout, func() error {
		st, err := e.seq.SyncStatus(ctx)
		if err != nil {
			return err
		}
		if safe = uint64(st.SafeL2.Number); safe < n {
			return fmt.Errorf("the sequencer's safe head is %d (unsafe %d), want %d", safe, st.UnsafeL2.Number, n)
		}
		return nil
	})
	return safe
}

// waitVerified waits until the challenger has derived and checked up to
// L2 block n with agreed outputs, failing at once on a disagreement.
func (e *env) waitVerified(t *testing.T, ctx context.Context, n uint64, timeout time.Duration) cluster.SyncStatus {
	t.Helper()
	var st cluster.SyncStatus
	cluster.Await(t, timeout, func() error {
		var err error
		if st, err = e.ch.SyncStatus(ctx); err != nil {
			return err
		}
		v := st.Verification
		if v == nil {
			return errors.New("the challenger's rollup_syncStatus has no verification")
		}
		if d := v.FirstDisagreement; d != nil {
			t.Fatalf("the challenger disagrees with the posted output of L2 block %d (batch %d, L1 block %d): %v differ",
				d.Number, d.BatchIndex, d.L1Block, d.Fields)
		}
		if uint64(v.CheckedL2) < n || uint64(st.SafeL2.Number) < n || v.Agreed == 0 {
			return fmt.Errorf("the challenger derived to %d, checked to %d (%d agreed), want %d", st.SafeL2.Number, v.CheckedL2, v.Agreed, n)
		}
		return nil
	})
	return st
}

// compareChains checks that L2 blocks from through to have the same hash
// and state root on the sequencer and the challenger (batched requests).
func (e *env) compareChains(ctx context.Context, from, to uint64) error {
	const batch = 200
	for lo := from; lo <= to; lo += batch {
		hi := min(lo+batch-1, to)
		seq, err := blockRange(ctx, e.seq.RPC(), lo, hi)
		if err != nil {
			return fmt.Errorf("sequencer: %w", err)
		}
		ch, err := blockRange(ctx, e.ch.RPC(), lo, hi)
		if err != nil {
			return fmt.Errorf("challenger: %w", err)
		}
		for i := range seq {
			if seq[i].Hash != ch[i].Hash || seq[i].StateRoot != ch[i].StateRoot {
				return fmt.Errorf("L2 block %d: the sequencer has %s (state %s), the challenger %s (state %s)",
					lo+uint64(i), seq[i].Hash, seq[i].StateRoot, ch[i].Hash, ch[i].StateRoot)
			}
		}
	}
	return nil
}

// blockRange reads blocks lo through hi in one batch request.
func blockRange(ctx context.Context, c *rpc.Client, lo, hi uint64) ([]rpcBlockNumber, error) {
	out := make([]*rpcBlockNumber, hi-lo+1)
	reqs := make([]rpc.BatchElem, len(out))
	for i := range reqs {
		reqs[i] = rpc.BatchElem{Method: "eth_getBlockByNumber", Args: []any{hexutil.EncodeUint64(lo + uint64(i)), false}, Result: &out[i]}
	}
	if err := c.BatchCallContext(ctx, reqs); err != nil {
		return nil, fmt.Errorf("blocks %d-%d: %w", lo, hi, err)
	}
	blocks := make([]rpcBlockNumber, len(out))
	for i, r := range reqs {
		if r.Error != nil {
			return nil, fmt.Errorf("block %d: %w", lo+uint64(i), r.Error)
		}
		if out[i] == nil || uint64(out[i].Number) != lo+uint64(i) {
			return nil, fmt.Errorf("block %d: not found", lo+uint64(i))
		}
		blocks[i] = *out[i]
	}
	return blocks, nil
}
