package execution

import (
	"math"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"

	"github.com/bilayer/bilayer/core/syscontract"
)

// Signer returns the transaction signer for chainID. It understands every
// Ethereum transaction type; CheckTx narrows that to legacy EIP-155,
// access-list (empty) and dynamic-fee transactions.
func Signer(chainID *big.Int) types.Signer { return types.LatestSignerForChainID(chainID) }

// CheckTx runs every check that needs no state and returns the sender:
// type, replay protection, chain id, access list, recipient, size, calldata
// destination, fee fields, intrinsic gas, gas limit against blockGasLimit
// (skipped if 0), fee cap against baseFee (skipped if nil), and finally the
// signature. The mempool calls it on admission; ApplyTx calls it again.
// Every failure is an *InvalidTxError.
func CheckTx(cfg Config, signer types.Signer, reg *syscontract.Registry, tx *types.Transaction, baseFee *big.Int, blockGasLimit uint64) (common.Address, error) {
	if err := checkEnvelope(cfg, reg, tx); err != nil {
		return common.Address{}, err
	}
	if err := checkGasAndFees(tx, baseFee, blockGasLimit); err != nil {
		return common.Address{}, err
	}
	from, err := types.Sender(signer, tx)
	if err != nil {
		return common.Address{}, invalid(ErrInvalidSignature, "%v", err)
	}
	return from, nil
}

func checkEnvelope(cfg Config, reg *syscontract.Registry, tx *types.Transaction) error {
	switch tx.Type() {
	case types.LegacyTxType:
		if !tx.Protected() {
			return invalid(ErrUnprotectedTx, "")
		}
	case types.AccessListTxType, types.DynamicFeeTxType:
	default:
		return invalid(ErrUnsupportedTxType, "type %d; use a dynamic-fee (type 2) or legacy EIP-155 transaction", tx.Type())
	}
	if id := tx.ChainId(); id.Cmp(cfg.ChainID) != 0 {
		return invalid(ErrInvalidChainID, "want %s, have %s", cfg.ChainID, id)
	}
	if len(tx.AccessList()) > 0 {
		return invalid(ErrAccessList, "")
	}
	to := tx.To()
	if to == nil {
		return invalid(ErrContractCreation, "")
	}
	limit := cfg.MaxTxSize
	isSystem := reg.IsSystemContract(*to)
	if isSystem {
		maxData := reg.MaxCallDataSize(*to)
		if uint64(len(tx.Data())) > maxData {
			return invalid(ErrTxTooLarge, "calldata of %d bytes, contract %s accepts at most %d", len(tx.Data()), to, maxData)
		}
		limit = max(limit, maxData+txEnvelopeAllowance)
	}
	if size := tx.Size(); size > limit {
		return invalid(ErrTxTooLarge, "%d bytes, limit %d", size, limit)
	}
	if !isSystem && len(tx.Data()) > 0 {
		return invalid(ErrCalldataToAccount, "%s has no code; send value without data", to)
	}
	return nil
}

func checkGasAndFees(tx *types.Transaction, baseFee *big.Int, blockGasLimit uint64) error {
	feeCap, tip := tx.GasFeeCap(), tx.GasTipCap()
	if feeCap.BitLen() > 256 {
		return invalid(ErrFeeCapTooHigh, "")
	}
	if tip.BitLen() > 256 {
		return invalid(ErrTipTooHigh, "")
	}
	if tip.Cmp(feeCap) > 0 {
		return invalid(ErrTipAboveFeeCap, "max priority fee %s, max fee %s", tip, feeCap)
	}
	if need := IntrinsicGas(tx.Data()); tx.Gas() < need {
		return invalid(ErrIntrinsicGas, "gas limit %d, need at least %d", tx.Gas(), need)
	}
	if blockGasLimit > 0 && tx.Gas() > blockGasLimit {
		return invalid(ErrGasLimitTooHigh, "gas limit %d, block gas limit %d", tx.Gas(), blockGasLimit)
	}
	if baseFee != nil {
		return CheckBaseFee(tx, baseFee)
	}
	return nil
}

// CheckBaseFee checks the one stateless rule that depends on the block: the
// fee cap must cover the base fee (ErrFeeCapBelowBaseFee, an
// *InvalidTxError). CheckTx with a base fee applies it; a caller that knows
// tx passed CheckTx without one may apply it alone.
func CheckBaseFee(tx *types.Transaction, baseFee *big.Int) error {
	if tx.GasFeeCapIntCmp(baseFee) < 0 {
		return invalid(ErrFeeCapBelowBaseFee, "max fee per gas %s, base fee %s", tx.GasFeeCap(), baseFee)
	}
	return nil
}

// CheckState checks a transaction from sender against the state: its nonce
// must be the account's next nonce, and the balance must cover
// value + gas limit × max fee per gas. Every failure is an *InvalidTxError.
// The caller must check sdb.Error() afterwards: a failed state read makes
// this verdict meaningless.
func CheckState(sdb *state.StateDB, tx *types.Transaction, from common.Address) error {
	return checkState(sdb, tx, from, nil)
}

// checkState is CheckState with an extra amount the balance must also
// cover (an L2 transaction's L1 data fee; nil on the L1).
func checkState(sdb *state.StateDB, tx *types.Transaction, from common.Address, extra *uint256.Int) error {
	next := sdb.GetNonce(from)
	switch {
	case tx.Nonce() < next:
		return invalid(ErrNonceTooLow, "next nonce is %d, tx has %d", next, tx.Nonce())
	case tx.Nonce() > next:
		return invalid(ErrNonceTooHigh, "next nonce is %d, tx has %d", next, tx.Nonce())
	case next == math.MaxUint64:
		return invalid(ErrNonceMax, "account %s", from)
	}
	balance := sdb.GetBalance(from)
	need, overflow := maxCost(tx)
	if extra != nil && !overflow {
		need, overflow = new(uint256.Int).AddOverflow(need, extra)
	}
	if overflow {
		return invalid(ErrInsufficientFunds, "balance %s, needed more than 2^256-1", balance)
	}
	if balance.Lt(need) {
		return invalid(ErrInsufficientFunds, "balance %s, needed %s", balance, need)
	}
	return nil
}

// maxCost is value + gas × fee cap, the most a transaction can spend.
func maxCost(tx *types.Transaction) (*uint256.Int, bool) {
	feeCap, o1 := uint256.FromBig(tx.GasFeeCap())
	value, o2 := uint256.FromBig(tx.Value())
	cost, o3 := new(uint256.Int).MulOverflow(feeCap, uint256.NewInt(tx.Gas()))
	cost, o4 := cost.AddOverflow(cost, value)
	return cost, o1 || o2 || o3 || o4
}
