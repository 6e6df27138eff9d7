package execution

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/statedb"
	"github.com/bilayer/bilayer/core/syscontract"
)

// L1FeeScalarUnit is the denominator of L2Rules.L1FeeScalar: a scalar of
// 1,000,000 charges one origin base fee per estimated compressed byte.
const L1FeeScalarUnit = 1_000_000

// Errors of the L2 additions to the state transition.
var (
	// ErrBlockTxCap means an L2 block already holds its cap of transactions.
	ErrBlockTxCap = errors.New("block transaction cap reached")
	// ErrL2Inputs means the L2 inputs of a block (its extras) are missing,
	// malformed, or given to an L1 chain.
	ErrL2Inputs = errors.New("bad L2 block inputs")
	// ErrOperationFailed is the reason a forced operation that the L2
	// state cannot honour (a balance too low) is recorded as failed.
	ErrOperationFailed = errors.New("operation failed")
)

// L2Rules are the state-transition rules that make a chain an L2. A Config
// with L2 == nil is the L1.
type L2Rules struct {
	// FeeVault receives every fee (base fee, tip, L1 data fee): nothing is
	// burned on L2, since every L2 wei is backed by one locked on L1. It
	// must be every L2 header's Coinbase.
	FeeVault common.Address
	// L1FeeScalar prices L1 data in millionths (L1FeeScalarUnit) of the
	// origin's base fee per estimated compressed byte.
	L1FeeScalar uint64
	// MaxTxsPerBlock caps the transactions of one block (0: no cap), so
	// that a block's witness fits one L1 challenge transaction.
	MaxTxsPerBlock int
	// Queue is the L2 withdrawal queue (nil: the L2 initiates no
	// withdrawals and forced withdrawals are malformed inputs). The
	// executor's registry must hold it: SystemContracts builds one.
	Queue WithdrawalQueue
}

// WithdrawalQueue is the L2 system contract that turns L2 value into
// withdrawals paid on L1 (bridge/withdrawalqueue implements it). The state
// transition runs it for forced withdrawals and reads a block's
// withdrawal list back from its logs.
type WithdrawalQueue interface {
	syscontract.Contract
	// InitiateCallData is the calldata of a withdrawal to l1Recipient: a
	// forced withdrawal runs it as the account's own call.
	InitiateCallData(l1Recipient common.Address) []byte
	// Withdrawals decodes the withdrawals the queue's logs record, in
	// order, ignoring other contracts' logs.
	Withdrawals(logs []*types.Log) ([]block.Withdrawal, error)
}

// ForcedWithdrawalGas is the gas a forced withdrawal's call to the
// withdrawal queue may use. It is protocol work before the transactions
// and does not count against the block's gas limit.
const ForcedWithdrawalGas = 100_000

// SystemContracts returns a registry of the L2's system contracts (the
// withdrawal queue), for the executors of an L2 chain. It returns nil
// when the rules have none.
func (r *L2Rules) SystemContracts() (*syscontract.Registry, error) {
	if r == nil || r.Queue == nil {
		return nil, nil
	}
	reg, err := syscontract.NewRegistry(r.Queue)
	if err != nil {
		return nil, fmt.Errorf("L2 system contracts: %w", err)
	}
	return reg, nil
}

// EstimatedCompressedSize estimates how many bytes a transaction costs in a
// compressed batch from its canonical encoding: non-zero bytes count one,
// zero bytes a quarter (calldata gas / 16, as the OP Stack's Ecotone
// estimate). A random-recipient transfer estimates at about 100 bytes,
// close to what the batch codec achieves.
func EstimatedCompressedSize(encoded []byte) uint64 {
	var zeros uint64
	for _, b := range encoded {
		if b == 0 {
			zeros++
		}
	}
	return uint64(len(encoded)) - zeros + zeros/4
}

// L1DataFee is what an L2 transaction pays for its share of the L1 batch:
// EstimatedCompressedSize × originBaseFee × scalar / L1FeeScalarUnit.
func L1DataFee(rules *L2Rules, tx *types.Transaction, originBaseFee *big.Int) (*big.Int, error) {
	if rules == nil || originBaseFee == nil || rules.L1FeeScalar == 0 {
		return new(big.Int), nil
	}
	enc, err := tx.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encode tx %s for its L1 data fee: %w", tx.Hash(), err)
	}
	fee := new(big.Int).SetUint64(EstimatedCompressedSize(enc))
	fee.Mul(fee, originBaseFee)
	fee.Mul(fee, new(big.Int).SetUint64(rules.L1FeeScalar))
	return fee.Div(fee, big.NewInt(L1FeeScalarUnit)), nil
}

// OperationResult is the outcome of one L1 operation applied on L2.
type OperationResult struct {
	ID   block.OperationID
	Kind block.OpKind
	// Err is nil when the operation was applied, else why it was recorded
	// as failed (it then changed nothing).
	Err error
}

// checkL2Inputs checks that an L2 chain gets L2 inputs and an L1 chain
// none, and that an L2 header pays its fees to the fee vault.
func checkL2Inputs(cfg Config, header *types.Header, l2 *block.L2Extras) error {
	switch {
	case cfg.L2 == nil && l2 != nil:
		return fmt.Errorf("%w: L2 extras given to an L1 chain", ErrL2Inputs)
	case cfg.L2 == nil:
		return nil
	case l2 == nil:
		return fmt.Errorf("%w: an L2 block needs its L1 origin and operations", ErrL2Inputs)
	case header.Coinbase != cfg.L2.FeeVault:
		return fmt.Errorf("%w: coinbase %s is not the fee vault %s", ErrL2Inputs, header.Coinbase, cfg.L2.FeeVault)
	}
	if err := l2.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrL2Inputs, err)
	}
	return nil
}

// applyOperations applies the L1 operations of an L2 block, in order,
// before its transactions: deposits mint, forced transfers move value the
// sender's L2 balance covers and are otherwise recorded as failed.
func (e *BlockExecutor) applyOperations(ops []block.Operation) ([]OperationResult, error) {
	results := make([]OperationResult, 0, len(ops))
	for i := range ops {
		op := &ops[i]
		amount, overflow := uint256.FromBig(op.Amount)
		if overflow {
			return nil, fmt.Errorf("%w: operation %d/%d amount overflows", ErrL2Inputs, op.L1Block, op.Index)
		}
		res := OperationResult{ID: op.ID(), Kind: op.Kind}
		switch op.Kind {
		case block.OpDeposit:
			e.state.AddBalance(op.To, amount, tracing.BalanceIncreaseWithdrawal)
		case block.OpForceWithdrawal:
			if err := e.forceWithdrawal(op, amount); err != nil {
				res.Err = err
			}
		case block.OpForceTransfer:
			if bal := e.state.GetBalance(op.From); bal.Lt(amount) {
				res.Err = fmt.Errorf("%w: force transfer of %s from %s: L2 balance %s", ErrOperationFailed, amount, op.From, bal)
				break
			}
			e.state.SubBalance(op.From, amount, tracing.BalanceChangeTransfer)
			e.state.AddBalance(op.To, amount, tracing.BalanceChangeTransfer)
		default:
			return nil, fmt.Errorf("%w: operation %d/%d: unknown kind %s", ErrL2Inputs, op.L1Block, op.Index, op.Kind)
		}
		results = append(results, res)
	}
	e.state.Finalise(statedb.Rules())
	if err := e.state.Error(); err != nil {
		return nil, fmt.Errorf("apply L1 operations: %w: %w", ErrStateUnavailable, err)
	}
	if q := e.cfg.L2.Queue; q != nil {
		// Only the forced withdrawals have logged so far.
		ws, err := q.Withdrawals(e.state.Logs())
		if err != nil {
			return nil, fmt.Errorf("%w: forced withdrawals: %w", ErrInvalidBlock, err)
		}
		e.withdrawals = ws
	}
	return results, nil
}

// forceWithdrawal runs a forced withdrawal as op.From's own call to the
// withdrawal queue, so it burns the value and takes the next nonce exactly
// as a withdrawal transaction would. It returns why the operation is
// recorded as failed (a balance too low), or nil.
func (e *BlockExecutor) forceWithdrawal(op *block.Operation, amount *uint256.Int) error {
	q := e.cfg.L2.Queue
	if q == nil {
		return fmt.Errorf("%w: force withdrawal of %s from %s: this L2 has no withdrawal queue", ErrOperationFailed, amount, op.From)
	}
	if bal := e.state.GetBalance(op.From); bal.Lt(amount) {
		return fmt.Errorf("%w: force withdrawal of %s from %s: L2 balance %s", ErrOperationFailed, amount, op.From, bal)
	}
	if _, _, err := e.reg.Run(e.state, e.block, op.From, q.Address(), amount, q.InitiateCallData(op.To), ForcedWithdrawalGas); err != nil {
		return fmt.Errorf("%w: force withdrawal of %s from %s: %w", ErrOperationFailed, amount, op.From, err)
	}
	return nil
}
