package sequencer

import (
	"context"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/rollup/batch"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/l1"
	"github.com/bilayer/bilayer/rollup/protocol"
)

// RPCRollup is the batcher's RollupL1 over the L1's JSON-RPC: views with
// eth_call, transactions from the sequencer's key through an l1.Sender
// (nonces, fee bumps, revert reasons).
type RPCRollup struct {
	Client *l1.Client
	Sender *l1.Sender
	// Limits decode the batcher's own data again to price its gas.
	Limits batch.Limits
}

var _ RollupL1 = (*RPCRollup)(nil)

func (r *RPCRollup) view(ctx context.Context, data []byte) ([]byte, error) {
	return r.Client.CallContract(ctx, contract.Address, data, nil)
}

// HeadNumber returns the newest L1 block.
func (r *RPCRollup) HeadNumber(ctx context.Context) (block.L1Number, error) {
	return r.Client.HeadNumber(ctx)
}

// LastAccepted returns the contract's last accepted L2 block.
func (r *RPCRollup) LastAccepted(ctx context.Context) (protocol.Head, error) {
	ret, err := r.view(ctx, contract.PackLastAccepted())
	if err != nil {
		return protocol.Head{}, fmt.Errorf("rollup contract lastAccepted: %w", err)
	}
	return contract.UnpackLastAccepted(ret)
}

// FinalizedBlock returns the contract's finalized L2 block.
func (r *RPCRollup) FinalizedBlock(ctx context.Context) (block.L2Number, error) {
	ret, err := r.view(ctx, contract.PackFinalizedBlock())
	if err != nil {
		return 0, fmt.Errorf("rollup contract finalizedBlock: %w", err)
	}
	return contract.UnpackFinalizedBlock(ret)
}

// Bonded returns the sequencer's bond.
func (r *RPCRollup) Bonded(ctx context.Context) (*big.Int, error) {
	ret, err := r.view(ctx, contract.PackBondOf(r.Sender.Address()))
	if err != nil {
		return nil, fmt.Errorf("rollup contract bondOf: %w", err)
	}
	return contract.UnpackBondOf(ret)
}

// Bond sends amount to the contract's bond() and waits for it.
func (r *RPCRollup) Bond(ctx context.Context, amount *big.Int) error {
	if _, err := r.Sender.SendAndWait(ctx, contract.Address, amount, contract.PackBond(), 0); err != nil {
		return fmt.Errorf("bond %s wei: %w", amount, err)
	}
	return nil
}

// Submit posts batch data and waits for its receipt. The gas limit is
// computed (intrinsic and calldata gas plus contract.BatchGas), not
// estimated: an estimate runs at the head, where the batch's newest
// origin may not be in the contract's history yet.
func (r *RPCRollup) Submit(ctx context.Context, data []byte) (*types.Receipt, error) {
	b, err := batch.Decode(data, r.Limits)
	if err != nil {
		return nil, fmt.Errorf("decode own batch: %w", err)
	}
	return r.Sender.SendAndWait(ctx, contract.Address, nil, contract.PackSubmitBatch(data), SubmitGas(b, data))
}

// SubmitGas is the gas limit of the submitBatch transaction posting data,
// the encoding of b: intrinsic and calldata gas plus contract.BatchGas.
func SubmitGas(b *batch.Batch, data []byte) uint64 {
	return execution.IntrinsicGas(contract.PackSubmitBatch(data)) + contract.BatchGas(b)
}

// RPCFinality reads the finalized L2 block from the rollup contract (the
// verifier's view of finality).
type RPCFinality struct {
	Client *l1.Client
}

// FinalizedBlock returns the contract's finalized L2 block.
func (f RPCFinality) FinalizedBlock(ctx context.Context) (block.L2Number, error) {
	ret, err := f.Client.CallContract(ctx, contract.Address, contract.PackFinalizedBlock(), nil)
	if err != nil {
		return 0, fmt.Errorf("rollup contract finalizedBlock: %w", err)
	}
	return contract.UnpackFinalizedBlock(ret)
}
