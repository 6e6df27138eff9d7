package execution

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"

	"github.com/bilayer/bilayer/core/statedb"
)

// TestApplyTxRejections is the table of every reason a transaction is
// invalid: each gives its own sentinel, a message with the details a user
// needs, and leaves the state exactly as it was.
func TestApplyTxRejections(t *testing.T) {
	to := common.HexToAddress("0xb0b")
	huge := new(big.Int).Lsh(big.NewInt(1), 256)
	tests := []struct {
		name    string
		prepare func(e *env, x *BlockExecutor) // optional: fill the block first
		tx      func(e *env) *types.Transaction
		want    error
		msg     string
	}{
		{name: "wrong chain id", want: ErrInvalidChainID, msg: "invalid chain id: want 1337, have 1",
			tx: func(e *env) *types.Transaction {
				tx, _ := types.SignNewTx(e.keys[0], types.LatestSignerForChainID(big.NewInt(1)),
					&types.DynamicFeeTx{ChainID: big.NewInt(1), Gas: TxGas, GasFeeCap: big.NewInt(5000), To: &to, Value: big.NewInt(1)})
				return tx
			}},
		{name: "unprotected legacy", want: ErrUnprotectedTx, msg: "EIP-155",
			tx: func(e *env) *types.Transaction {
				tx, _ := types.SignNewTx(e.keys[0], types.HomesteadSigner{},
					&types.LegacyTx{Gas: TxGas, GasPrice: big.NewInt(5000), To: &to, Value: big.NewInt(1)})
				return tx
			}},
		{name: "blob tx", want: ErrUnsupportedTxType, msg: "type 3",
			tx: func(e *env) *types.Transaction {
				return e.sign(0, &types.BlobTx{ChainID: uint256.NewInt(1337), Gas: TxGas, GasFeeCap: uint256.NewInt(5000),
					BlobFeeCap: uint256.NewInt(1), To: to, BlobHashes: []common.Hash{{1}}})
			}},
		{name: "set-code tx", want: ErrUnsupportedTxType, msg: "type 4",
			tx: func(e *env) *types.Transaction {
				return e.sign(0, &types.SetCodeTx{ChainID: uint256.NewInt(1337), Gas: TxGas, GasFeeCap: uint256.NewInt(5000),
					To: to, AuthList: []types.SetCodeAuthorization{{}}})
			}},
		{name: "access list", want: ErrAccessList, msg: "access lists are not supported",
			tx: func(e *env) *types.Transaction {
				return e.sign(0, &types.DynamicFeeTx{ChainID: testChainID, Gas: 30_000, GasFeeCap: big.NewInt(5000), To: &to,
					AccessList: types.AccessList{{Address: to}}})
			}},
		{name: "bad signature", want: ErrInvalidSignature, msg: "invalid transaction signature",
			tx: func(e *env) *types.Transaction {
				return types.NewTx(&types.DynamicFeeTx{ChainID: testChainID, Gas: TxGas, GasFeeCap: big.NewInt(5000), To: &to,
					V: big.NewInt(0), R: big.NewInt(0), S: big.NewInt(0)})
			}},
		{name: "nonce too low", want: ErrNonceTooLow, msg: "nonce too low: next nonce is 1, tx has 0",
			prepare: func(e *env, x *BlockExecutor) { mustApply(e, x, e.dyn(0, 0, &to, big.NewInt(1), TxGas, nil)) },
			tx:      func(e *env) *types.Transaction { return e.dyn(0, 0, &to, big.NewInt(1), TxGas, nil) }},
		{name: "nonce too high", want: ErrNonceTooHigh, msg: "nonce too high: next nonce is 0, tx has 5",
			tx: func(e *env) *types.Transaction { return e.dyn(0, 5, &to, big.NewInt(1), TxGas, nil) }},
		{name: "nonce at max", want: ErrNonceMax, msg: "nonce has max value",
			prepare: func(e *env, x *BlockExecutor) {
				x.state.SetNonce(addrOf(e.keys[0]), math.MaxUint64, tracing.NonceChangeUnspecified)
			},
			tx: func(e *env) *types.Transaction { return e.dyn(0, math.MaxUint64, &to, big.NewInt(1), TxGas, nil) }},
		{name: "intrinsic gas", want: ErrIntrinsicGas, msg: "gas limit 20999, need at least 21000",
			tx: func(e *env) *types.Transaction { return e.dyn(0, 0, &to, big.NewInt(1), TxGas-1, nil) }},
		{name: "intrinsic gas with calldata", want: ErrIntrinsicGas, msg: "gas limit 21010, need at least 21608",
			tx: func(e *env) *types.Transaction {
				return e.dyn(0, 0, &counterAddr, nil, TxGas+10, append(e.pack("increment", big.NewInt(1)), 0, 0))
			}},
		{name: "gas above block limit", want: ErrGasLimitTooHigh, msg: "block gas limit 30000000",
			tx: func(e *env) *types.Transaction { return e.dyn(0, 0, &to, big.NewInt(1), testGasLimit+1, nil) }},
		{name: "block gas exhausted", want: ErrBlockGasLimit, msg: "block has 10000 left",
			prepare: func(e *env, x *BlockExecutor) {
				// A failing system call uses all its gas: fill the block to 10,000 short.
				mustApply(e, x, e.dyn(1, 0, &counterAddr, nil, testGasLimit-10_000, e.pack("spin", big.NewInt(1<<40))))
			},
			tx: func(e *env) *types.Transaction { return e.dyn(0, 0, &to, big.NewInt(1), TxGas, nil) }},
		{name: "fee cap below base fee", want: ErrFeeCapBelowBaseFee, msg: "max fee per gas below base fee: max fee per gas 999, base fee 1000",
			tx: func(e *env) *types.Transaction {
				return e.sign(0, &types.DynamicFeeTx{ChainID: testChainID, Gas: TxGas, GasFeeCap: big.NewInt(999), To: &to})
			}},
		{name: "legacy gas price below base fee", want: ErrFeeCapBelowBaseFee, msg: "base fee 1000",
			tx: func(e *env) *types.Transaction {
				return e.sign(0, &types.LegacyTx{Gas: TxGas, GasPrice: big.NewInt(1), To: &to})
			}},
		{name: "tip above fee cap", want: ErrTipAboveFeeCap, msg: "max priority fee 6000, max fee 5000",
			tx: func(e *env) *types.Transaction {
				return e.sign(0, &types.DynamicFeeTx{ChainID: testChainID, Gas: TxGas, GasTipCap: big.NewInt(6000), GasFeeCap: big.NewInt(5000), To: &to})
			}},
		{name: "fee cap over 256 bits", want: ErrFeeCapTooHigh, msg: "2^256-1",
			tx: func(e *env) *types.Transaction {
				return e.sign(0, &types.DynamicFeeTx{ChainID: testChainID, Gas: TxGas, GasFeeCap: huge, To: &to})
			}},
		{name: "tip over 256 bits", want: ErrTipTooHigh, msg: "2^256-1",
			tx: func(e *env) *types.Transaction {
				return e.sign(0, &types.DynamicFeeTx{ChainID: testChainID, Gas: TxGas, GasTipCap: huge, GasFeeCap: big.NewInt(5000), To: &to})
			}},
		{name: "insufficient funds", want: ErrInsufficientFunds, msg: "insufficient funds for gas * price + value: balance 1000000000000000000, needed 1000000000105000000",
			tx: func(e *env) *types.Transaction { return e.dyn(0, 0, &to, new(big.Int).Set(ether), TxGas, nil) }},
		{name: "value over 256 bits", want: ErrInsufficientFunds, msg: "needed more than 2^256-1",
			tx: func(e *env) *types.Transaction { return e.dyn(0, 0, &to, huge, TxGas, nil) }},
		{name: "too large", want: ErrTxTooLarge, msg: "limit 131072",
			tx: func(e *env) *types.Transaction {
				return e.dyn(0, 0, &to, nil, 5_000_000, make([]byte, DefaultMaxTxSize))
			}},
		{name: "calldata above contract limit", want: ErrTxTooLarge, msg: "accepts at most 131072",
			tx: func(e *env) *types.Transaction {
				return e.dyn(0, 0, &counterAddr, nil, 5_000_000, make([]byte, DefaultMaxTxSize+1))
			}},
		{name: "contract creation", want: ErrContractCreation, msg: "need a recipient",
			tx: func(e *env) *types.Transaction { return e.dyn(0, 0, nil, nil, 100_000, []byte{0x60}) }},
		{name: "calldata to account", want: ErrCalldataToAccount, msg: "calldata sent to an account that is not a system contract",
			tx: func(e *env) *types.Transaction { return e.dyn(0, 0, &to, nil, 50_000, []byte{1, 2, 3, 4}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, 2)
			sdb := e.state()
			x, err := NewBlockExecutor(e.cfg, sdb, e.header(1), e.reg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if tt.prepare != nil {
				tt.prepare(e, x)
			}
			gasBefore, receiptsBefore := x.GasUsed(), len(x.Receipts())
			rootBefore := sdb.IntermediateRoot(statedb.Rules())
			r, err := x.ApplyTx(tt.tx(e))
			if !errors.Is(err, tt.want) || !IsInvalidTx(err) {
				t.Fatalf("err = %v, want invalid tx %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("message %q lacks %q", err, tt.msg)
			}
			if r != nil {
				t.Error("receipt for an invalid tx")
			}
			if got := sdb.IntermediateRoot(statedb.Rules()); got != rootBefore {
				t.Error("invalid tx changed the state")
			}
			if x.GasUsed() != gasBefore || len(x.Receipts()) != receiptsBefore {
				t.Error("invalid tx changed the block's gas or receipts")
			}
		})
	}
}

func mustApply(e *env, x *BlockExecutor, tx *types.Transaction) *types.Receipt {
	e.t.Helper()
	r, err := x.ApplyTx(tx)
	if err != nil {
		e.t.Fatalf("apply %s: %v", tx.Hash(), err)
	}
	return r
}

// TestCheckTxAcceptsWalletTxTypes proves legacy EIP-155, empty access-list
// and dynamic-fee transactions pass and recover the right sender.
func TestCheckTxAcceptsWalletTxTypes(t *testing.T) {
	e := newEnv(t, 1)
	to := common.HexToAddress("0xb0b")
	for _, inner := range []types.TxData{
		&types.LegacyTx{Gas: TxGas, GasPrice: big.NewInt(5000), To: &to},
		&types.AccessListTx{ChainID: testChainID, Gas: TxGas, GasPrice: big.NewInt(5000), To: &to},
		&types.DynamicFeeTx{ChainID: testChainID, Gas: TxGas, GasFeeCap: big.NewInt(5000), To: &to},
	} {
		tx := e.sign(0, inner)
		from, err := CheckTx(e.cfg, e.signer, e.reg, tx, testBaseFee, testGasLimit)
		if err != nil {
			t.Fatalf("type %d: %v", tx.Type(), err)
		}
		if from != addrOf(e.keys[0]) {
			t.Errorf("type %d: sender %s", tx.Type(), from)
		}
	}
	if crypto.PubkeyToAddress(e.keys[0].PublicKey) != addrOf(e.keys[0]) {
		t.Fatal("key helper broken")
	}
}
