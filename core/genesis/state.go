package genesis

import (
	"bytes"
	"fmt"
	"math/big"
	"slices"

	"github.com/bilayer/bilayer/core/block"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"
)

// ApplyState writes the genesis allocations into st. The caller commits st
// and passes the resulting root to Block.
func (g *Genesis) ApplyState(st *state.StateDB) error {
	addrs := make([]common.Address, 0, len(g.Alloc))
	for a := range g.Alloc {
		addrs = append(addrs, a)
	}
	slices.SortFunc(addrs, func(a, b common.Address) int { return bytes.Compare(a[:], b[:]) })
	for _, addr := range addrs {
		acc := g.Alloc[addr]
		bal, overflow := uint256.FromBig(acc.Balance.Big())
		if overflow {
			return fmt.Errorf("genesis alloc %s: balance overflows 256 bits", addr)
		}
		st.SetBalance(addr, bal, tracing.BalanceIncreaseGenesisBalance)
		st.SetNonce(addr, acc.Nonce, tracing.NonceChangeGenesis)
		for k, v := range acc.Storage {
			st.SetState(addr, k, v)
		}
	}
	if err := st.Error(); err != nil {
		return fmt.Errorf("apply genesis state: %w", err)
	}
	return nil
}

// ValidatorSet returns the genesis validators in canonical order (sorted by
// address) with their voting power.
func (g *Genesis) ValidatorSet() []block.Validator {
	vals := make([]block.Validator, 0, len(g.Validators))
	for _, v := range g.Validators {
		vals = append(vals, block.Validator{Address: v.Address, Power: VotingPower(v.Stake.Big()).Uint64()})
	}
	slices.SortFunc(vals, func(a, b block.Validator) int { return bytes.Compare(a.Address[:], b.Address[:]) })
	return vals
}

// Block returns the genesis block for the given post-allocation state root.
// Its hash identifies the chain: peers with another genesis hash are on
// another chain.
func (g *Genesis) Block(stateRoot common.Hash) *block.Block {
	valsHash := block.ValidatorSetHash(g.ValidatorSet())
	return block.Assemble(&types.Header{
		ParentHash:  common.Hash{},
		Root:        stateRoot,
		ReceiptHash: types.EmptyReceiptsHash,
		Number:      new(big.Int),
		GasLimit:    g.GasLimit,
		Time:        g.Timestamp,
		Extra:       slices.Clone(g.ExtraData),
		BaseFee:     g.BaseFee.Initial.Big(),
	}, nil, block.Extras{ValidatorsHash: valsHash, NextValidatorsHash: valsHash})
}
