package statedb

import (
	"fmt"
	"maps"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"
)

// ApplyAlloc writes a genesis allocation into an empty state, commits it as
// block 0 and returns the state root. Accounts are applied in address order;
// a balance that does not fit 256 bits is an error.
func (d *DB) ApplyAlloc(alloc map[common.Address]types.Account) (common.Hash, error) {
	sdb, err := d.StateAt(types.EmptyRootHash)
	if err != nil {
		return common.Hash{}, fmt.Errorf("apply genesis alloc: %w", err)
	}
	for _, addr := range slices.SortedFunc(maps.Keys(alloc), common.Address.Cmp) {
		acct := alloc[addr]
		if acct.Balance != nil {
			bal, overflow := uint256.FromBig(acct.Balance)
			if overflow || acct.Balance.Sign() < 0 {
				return common.Hash{}, fmt.Errorf("apply genesis alloc: balance of %s out of range: %s", addr, acct.Balance)
			}
			sdb.SetBalance(addr, bal, tracing.BalanceIncreaseGenesisBalance)
		}
		sdb.SetNonce(addr, acct.Nonce, tracing.NonceChangeGenesis)
		if len(acct.Code) > 0 {
			sdb.SetCode(addr, acct.Code, tracing.CodeChangeGenesis)
		}
		for key, value := range acct.Storage {
			sdb.SetState(addr, key, value)
		}
	}
	root, err := d.Commit(sdb, 0)
	if err != nil {
		return common.Hash{}, fmt.Errorf("apply genesis alloc: %w", err)
	}
	return root, nil
}
