package execution

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/stateless"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/statedb"
	"github.com/bilayer/bilayer/core/syscontract"
)

// Options tune a BlockExecutor.
type Options struct {
	// CollectWitness records every trie node the block reads or needs to
	// compute its post-state root; Finish returns them in Result.Witness.
	// The StateDB must be fresh (opened at the parent root, never read).
	CollectWitness bool
	// L2 are the inputs of an L2 block (its L1 origin and the L1
	// operations applied before its transactions), from the block's
	// L2Extras. Required when Config.L2 is set, refused otherwise.
	L2 *block.L2Extras
}

// BlockExecutor applies transactions one by one to a block's state. Block
// builders (proposer, sequencer) use it to try transactions and skip the
// invalid ones; verifiers use it through ApplyBlock. It is not safe for
// concurrent use.
type BlockExecutor struct {
	cfg      Config
	signer   types.Signer
	state    *state.StateDB
	header   *types.Header
	reg      *syscontract.Registry
	block    syscontract.BlockInfo
	baseFee  *uint256.Int
	gasUsed  uint64
	txs      []*types.Transaction
	receipts types.Receipts
	witness  *stateless.Witness
	finished bool
	// L2 only: the origin's base fee (prices the L1 data fee) and the
	// outcomes of the block's L1 operations.
	originBaseFee *big.Int
	operations    []OperationResult
	withdrawals   []block.Withdrawal // initiated so far (forced ones, then the transactions')
}

// NewBlockExecutor prepares the execution of the block described by header
// (Number, Time, Coinbase, GasLimit and BaseFee are used) on sdb, the state
// at the parent's root. reg may be nil (no system contracts).
func NewBlockExecutor(cfg Config, sdb *state.StateDB, header *types.Header, reg *syscontract.Registry, opts Options) (*BlockExecutor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if header.Number == nil || header.BaseFee == nil {
		return nil, fmt.Errorf("%w: header lacks a number or base fee", ErrInvalidBlock)
	}
	baseFee, overflow := uint256.FromBig(header.BaseFee)
	if overflow || header.BaseFee.Sign() < 0 {
		return nil, fmt.Errorf("%w: base fee %s out of range", ErrInvalidBlock, header.BaseFee)
	}
	if err := checkL2Inputs(cfg, header, opts.L2); err != nil {
		return nil, fmt.Errorf("block %d: %w: %w", header.Number, ErrInvalidBlock, err)
	}
	if cfg.L2 != nil && cfg.L2.Queue != nil && !reg.IsSystemContract(cfg.L2.Queue.Address()) {
		return nil, fmt.Errorf("%w: the L2 system contracts lack the withdrawal queue %s (use L2Rules.SystemContracts)", ErrBadConfig, cfg.L2.Queue.Address())
	}
	e := &BlockExecutor{
		cfg: cfg, signer: Signer(cfg.ChainID), state: sdb, header: header, reg: reg,
		block: syscontract.BlockInfoFromHeader(cfg.ChainID, header), baseFee: baseFee,
	}
	if opts.CollectWitness {
		w, err := stateless.NewWitness(header, nil, false)
		if err != nil {
			return nil, fmt.Errorf("start witness of block %d: %w", header.Number, err)
		}
		e.witness = w
		sdb.StartPrefetcher("bilayer", w)
	}
	if opts.L2 != nil {
		e.originBaseFee = new(big.Int).Set(opts.L2.Origin.BaseFee)
		ops, err := e.applyOperations(opts.L2.Operations)
		if err != nil {
			e.Abort()
			return nil, fmt.Errorf("block %d: %w", header.Number, err)
		}
		e.operations = ops
	}
	return e, nil
}

// GasUsed is the gas used by the transactions applied so far.
func (e *BlockExecutor) GasUsed() uint64 { return e.gasUsed }

// GasLeft is the block gas still available.
func (e *BlockExecutor) GasLeft() uint64 { return e.header.GasLimit - e.gasUsed }

// Receipts returns the receipts of the transactions applied so far.
func (e *BlockExecutor) Receipts() types.Receipts { return e.receipts }

// ApplyTx validates tx and, if it is valid, applies it and returns its
// receipt. A failed system-contract call is still a valid transaction
// (receipt status 0, fee charged). If tx is invalid, ApplyTx returns an
// *InvalidTxError (see IsInvalidTx) and the state is untouched, so the
// caller may skip it. Any other error (ErrStateUnavailable, ErrFinished)
// means the block cannot be completed; the executor is then unusable.
func (e *BlockExecutor) ApplyTx(tx *types.Transaction) (*types.Receipt, error) {
	if e.finished {
		return nil, ErrFinished
	}
	from, err := e.validate(tx)
	if dbErr := e.state.Error(); dbErr != nil {
		return nil, e.fail(fmt.Errorf("apply tx %s: %w: %w", tx.Hash(), ErrStateUnavailable, dbErr))
	}
	if err != nil {
		return nil, err
	}
	receipt := e.execute(tx, from)
	if dbErr := e.state.Error(); dbErr != nil {
		return nil, e.fail(fmt.Errorf("apply tx %s: %w: %w", tx.Hash(), ErrStateUnavailable, dbErr))
	}
	return receipt, nil
}

// fail makes the executor unusable after a failure of the block (not of a
// transaction) and returns err.
func (e *BlockExecutor) fail(err error) error {
	e.Abort()
	return err
}

func (e *BlockExecutor) validate(tx *types.Transaction) (common.Address, error) {
	from, err := CheckTx(e.cfg, e.signer, e.reg, tx, e.header.BaseFee, e.header.GasLimit)
	if err != nil {
		return from, err
	}
	if tx.Gas() > e.GasLeft() {
		return from, invalid(ErrBlockGasLimit, "gas limit %d, block has %d left", tx.Gas(), e.GasLeft())
	}
	if l2 := e.cfg.L2; l2 != nil && l2.MaxTxsPerBlock > 0 && len(e.txs) >= l2.MaxTxsPerBlock {
		return from, invalid(ErrBlockTxCap, "%d transactions", len(e.txs))
	}
	l1Fee, err := e.l1DataFee(tx)
	if err != nil {
		return from, err
	}
	return from, checkState(e.state, tx, from, l1Fee)
}

// l1DataFee is tx's L1 data fee in this block (zero on the L1).
func (e *BlockExecutor) l1DataFee(tx *types.Transaction) (*uint256.Int, error) {
	if e.cfg.L2 == nil {
		return new(uint256.Int), nil
	}
	fee, err := L1DataFee(e.cfg.L2, tx, e.originBaseFee)
	if err != nil {
		return nil, invalid(ErrTxTooLarge, "%v", err)
	}
	f, overflow := uint256.FromBig(fee)
	if overflow {
		return nil, invalid(ErrInsufficientFunds, "L1 data fee above 2^256-1")
	}
	return f, nil
}

// execute applies a validated transaction: nonce, fee purchase, the value
// transfer or system call, refund, tip; then the receipt.
func (e *BlockExecutor) execute(tx *types.Transaction, from common.Address) *types.Receipt {
	sdb, index, hash := e.state, len(e.txs), tx.Hash()
	sdb.SetTxContext(hash, index, 0)

	price := effectiveGasPrice(tx, e.baseFee)
	gasLimit := tx.Gas()
	sdb.SetNonce(from, tx.Nonce()+1, tracing.NonceChangeUnspecified)
	sdb.SubBalance(from, new(uint256.Int).Mul(price, uint256.NewInt(gasLimit)), tracing.BalanceDecreaseGasBuy)

	value, _ := uint256.FromBig(tx.Value()) // range checked by CheckState
	intrinsic := IntrinsicGas(tx.Data())
	gasUsed, status := intrinsic, types.ReceiptStatusSuccessful
	if to := *tx.To(); e.reg.IsSystemContract(to) {
		_, left, callErr := e.reg.Run(sdb, e.block, from, to, value, tx.Data(), gasLimit-intrinsic)
		gasUsed = gasLimit - left
		if callErr != nil {
			status = types.ReceiptStatusFailed
		}
	} else if !value.IsZero() {
		sdb.SubBalance(from, value, tracing.BalanceChangeTransfer)
		sdb.AddBalance(to, value, tracing.BalanceChangeTransfer)
	}
	if refund := gasLimit - gasUsed; refund > 0 {
		sdb.AddBalance(from, new(uint256.Int).Mul(price, uint256.NewInt(refund)), tracing.BalanceIncreaseGasReturn)
	}
	if e.cfg.L2 != nil {
		// L2: nothing is burned. Base fee, tip and the L1 data fee all go
		// to the fee vault (the header's Coinbase, checked at the start).
		l1Fee, _ := e.l1DataFee(tx) // computed without error by validate
		fees := new(uint256.Int).Mul(price, uint256.NewInt(gasUsed))
		sdb.SubBalance(from, l1Fee, tracing.BalanceDecreaseGasBuy)
		sdb.AddBalance(e.header.Coinbase, fees.Add(fees, l1Fee), tracing.BalanceIncreaseRewardTransactionFee)
	} else if tip := new(uint256.Int).Sub(price, e.baseFee); !tip.IsZero() {
		sdb.AddBalance(e.header.Coinbase, tip.Mul(tip, uint256.NewInt(gasUsed)), tracing.BalanceIncreaseRewardTransactionFee)
	}
	sdb.Finalise(statedb.Rules())

	e.gasUsed += gasUsed
	e.txs = append(e.txs, tx)
	receipt := &types.Receipt{
		Type:              tx.Type(),
		Status:            status,
		CumulativeGasUsed: e.gasUsed,
		TxHash:            hash,
		GasUsed:           gasUsed,
		EffectiveGasPrice: price.ToBig(),
		BlockNumber:       e.header.Number,
		TransactionIndex:  uint(index),
		Logs:              sdb.GetLogs(hash, e.header.Number.Uint64(), common.Hash{}, e.header.Time),
	}
	if receipt.Logs == nil {
		receipt.Logs = []*types.Log{}
	}
	receipt.Bloom = types.CreateBloom(receipt)
	e.receipts = append(e.receipts, receipt)
	return receipt
}

// effectiveGasPrice is baseFee + min(tip cap, fee cap − baseFee); the
// caller has checked fee cap ≥ baseFee and both fit 256 bits.
func effectiveGasPrice(tx *types.Transaction, baseFee *uint256.Int) *uint256.Int {
	feeCap, _ := uint256.FromBig(tx.GasFeeCap())
	tip, _ := uint256.FromBig(tx.GasTipCap())
	headroom := new(uint256.Int).Sub(feeCap, baseFee)
	if tip.Lt(headroom) {
		headroom = tip
	}
	return headroom.Add(headroom, baseFee)
}
