package syscontract

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/holiman/uint256"
)

// EndBlockOutcome reports one contract's end-of-block hook.
type EndBlockOutcome struct {
	Address common.Address
	GasUsed uint64
	// Err is non-nil if the hook failed or ran out of gas; its changes for
	// this block were then reverted. The block is still valid.
	Err error
}

// EndBlock runs the end-of-block hook of every EndBlocker, in address
// order, each within its own gas budget and snapshot. Logs are added to the
// StateDB under its current transaction context. Database failures are
// recorded in the StateDB (sdb.Error()) and must be checked by the caller.
func (r *Registry) EndBlock(sdb *state.StateDB, block BlockInfo) []EndBlockOutcome {
	if r == nil {
		return nil
	}
	var out []EndBlockOutcome
	for _, addr := range r.order {
		e := r.entries[addr]
		if e.endBlocker == nil {
			continue
		}
		ensureAccount(sdb, addr)
		budget := e.endBlocker.EndBlockGas()
		ctx := &Context{
			state: sdb, contract: e.contract, block: block,
			value: new(uint256.Int), gasLeft: budget, metered: true, reg: r,
		}
		snap := sdb.Snapshot()
		err := safeEndBlock(e.endBlocker, ctx)
		if err != nil {
			sdb.RevertToSnapshot(snap)
		}
		out = append(out, EndBlockOutcome{Address: addr, GasUsed: budget - ctx.gasLeft, Err: err})
	}
	return out
}

func safeEndBlock(eb EndBlocker, ctx *Context) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = revertf(ErrContractPanic, "end block: %v", p)
		}
	}()
	return eb.EndBlock(ctx)
}
