package verifier

import (
	"context"
	"fmt"

	"github.com/bilayer/bilayer/core/block"
)

// L1Head is the newest L1 block the verifier has derived from.
func (v *Verifier) L1Head() block.L1Number { return v.Status().L1 }

// PendingOperation returns L1 operation id if the verifier has read its L1
// block and the derived chain has not applied it yet (its block is after
// the L2 head's origin), else nil. With it the challenger's RPC answers
// rollup_depositStatus like the sequencer's, from the L1 alone.
func (v *Verifier) PendingOperation(ctx context.Context, id block.OperationID) (*block.Operation, error) {
	if id.L1Block > v.L1Head() || id.L1Block <= v.chain.Head().L2.Origin.Number {
		return nil, nil
	}
	b, err := v.src.L1Block(ctx, id.L1Block)
	if err != nil {
		return nil, fmt.Errorf("read L1 block %d: %w", id.L1Block, err)
	}
	for i := range b.Operations {
		if b.Operations[i].ID() == id {
			op := b.Operations[i]
			return &op, nil
		}
	}
	return nil, nil
}
