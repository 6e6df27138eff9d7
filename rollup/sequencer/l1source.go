package sequencer

import (
	"context"
	"fmt"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/l1"
)

// RPCL1 is the L1Source of a running sequencer: the L1's JSON-RPC, with
// each block's bridge operations read through the bridge's view at that
// block.
type RPCL1 struct {
	Client *l1.Client
}

// HeadNumber returns the newest L1 block.
func (r RPCL1) HeadNumber(ctx context.Context) (block.L1Number, error) {
	return r.Client.HeadNumber(ctx)
}

// L1Block returns L1 block n with the operations the bridge recorded in it.
func (r RPCL1) L1Block(ctx context.Context, n block.L1Number) (*L1Block, error) {
	ref, err := r.Client.BlockRef(ctx, n)
	if err != nil {
		return nil, err
	}
	ret, err := r.Client.CallContract(ctx, bridge.Address, bridge.PackOperationsCall(n), &n)
	if err != nil {
		return nil, fmt.Errorf("bridge operations of L1 block %d: %w", n, err)
	}
	ops, err := bridge.UnpackOperations(ret)
	if err != nil {
		return nil, fmt.Errorf("bridge operations of L1 block %d: %w", n, err)
	}
	for i, op := range ops {
		if op.L1Block != n || op.Index != uint64(i) {
			return nil, fmt.Errorf("bridge operations of L1 block %d: operation %d is %d/%d", n, i, op.L1Block, op.Index)
		}
	}
	return &L1Block{Ref: ref.L1Ref, Time: ref.Time, Operations: ops}, nil
}
