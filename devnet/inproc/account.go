package inproc

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/bridge/withdrawalqueue"
	"github.com/bilayer/bilayer/ethrpc"
)

// Gas limits of the transactions an Account signs: the intrinsic gas, the
// calldata and the method's gas (bridge.DepositGas, bridge.ForceOperationGas,
// withdrawalqueue.InitiateGas), with room to spare; only the gas used is
// charged.
const (
	// DepositTxGas is the gas limit of an L1 deposit.
	DepositTxGas = 100_000
	// ForceTxGas is the gas limit of an L1 forced operation.
	ForceTxGas = 100_000
	// WithdrawTxGas is the gas limit of an L2 withdrawal.
	WithdrawTxGas = 100_000
	// TransferTxGas is the gas limit of a plain transfer.
	TransferTxGas = 21_000
)

// feeCapMultiplier is how many base fees (of the head when the account
// was made) an Account's transactions may pay, on top of the tip: room
// for the base fee to rise under a burst.
const feeCapMultiplier = 4

// Account signs and sends one key's transactions on one layer (the L1 or
// the L2) with nonces it tracks itself, so that a test can send a burst
// of transactions without a round trip for each: Sign takes the next
// nonce, Send posts signed transactions in JSON-RPC batches. An Account
// is not safe for concurrent use.
type Account struct {
	// Key signs; Address is its address on both layers.
	Key     *ecdsa.PrivateKey
	Address common.Address
	// Client reads the layer (receipts, nonces).
	Client *ethclient.Client

	rpc     *rpc.Client
	signer  types.Signer
	chainID *big.Int
	nonce   uint64
	tip     *big.Int
	feeCap  *big.Int
}

// L1Account returns an Account of key on the L1, starting at its pending
// nonce.
func (r *Rollup) L1Account(ctx context.Context, key *ecdsa.PrivateKey) (*Account, error) {
	return newAccount(ctx, r.L1.RPC(), new(big.Int).SetUint64(r.Genesis.ChainID), key)
}

// L2Account returns an Account of key on the L2 (through the sequencer's
// RPC), starting at its pending nonce.
func (r *Rollup) L2Account(ctx context.Context, key *ecdsa.PrivateKey) (*Account, error) {
	return newAccount(ctx, r.L2.Client(), new(big.Int).SetUint64(r.Config.L2ChainID), key)
}

func newAccount(ctx context.Context, rc *rpc.Client, chainID *big.Int, key *ecdsa.PrivateKey) (*Account, error) {
	a := &Account{Key: key, Address: crypto.PubkeyToAddress(key.PublicKey), Client: ethclient.NewClient(rc), rpc: rc,
		signer: types.LatestSignerForChainID(chainID), chainID: chainID}
	var err error
	if a.nonce, err = a.Client.PendingNonceAt(ctx, a.Address); err != nil {
		return nil, fmt.Errorf("pending nonce of %s on chain %s: %w", a.Address, chainID, err)
	}
	head, err := a.Client.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("head of chain %s: %w", chainID, err)
	}
	if a.tip, err = a.Client.SuggestGasTipCap(ctx); err != nil {
		return nil, fmt.Errorf("tip of chain %s: %w", chainID, err)
	}
	base := head.BaseFee
	if base == nil {
		base = new(big.Int)
	}
	a.feeCap = new(big.Int).Add(new(big.Int).Mul(base, big.NewInt(feeCapMultiplier)), a.tip)
	return a, nil
}

// Nonce returns the nonce the next signed transaction takes.
func (a *Account) Nonce() uint64 { return a.nonce }

// Sign signs a dynamic-fee transaction to to with the next nonce.
func (a *Account) Sign(to common.Address, value *big.Int, gas uint64, data []byte) (*types.Transaction, error) {
	tx, err := types.SignNewTx(a.Key, a.signer, &types.DynamicFeeTx{ChainID: a.chainID, Nonce: a.nonce, GasTipCap: a.tip,
		GasFeeCap: a.feeCap, Gas: gas, To: &to, Value: value, Data: data})
	if err != nil {
		return nil, fmt.Errorf("sign a transaction of %s (nonce %d): %w", a.Address, a.nonce, err)
	}
	a.nonce++
	return tx, nil
}

// Deposit signs an L1 deposit of amount wei to l2Recipient (an L1
// account's).
func (a *Account) Deposit(l2Recipient common.Address, amount *big.Int) (*types.Transaction, error) {
	return a.Sign(bridge.Address, amount, DepositTxGas, bridge.PackDeposit(l2Recipient))
}

// ForceWithdrawal signs an L1 forced withdrawal of amount wei from the
// account's L2 balance to itself on L1 (an L1 account's).
func (a *Account) ForceWithdrawal(amount *big.Int) (*types.Transaction, error) {
	v, overflow := uint256.FromBig(amount)
	if overflow || amount.Sign() < 0 {
		return nil, fmt.Errorf("forced withdrawal of %s wei: not a uint256", amount)
	}
	return a.Sign(bridge.Address, new(big.Int), ForceTxGas, bridge.PackForceWithdrawal(v))
}

// Withdraw signs an L2 withdrawal of amount wei to l1Recipient (an L2
// account's).
func (a *Account) Withdraw(l1Recipient common.Address, amount *big.Int) (*types.Transaction, error) {
	return a.Sign(withdrawalqueue.Address, amount, WithdrawTxGas, withdrawalqueue.PackInitiate(l1Recipient))
}

// Transfer signs a plain transfer of amount wei to to.
func (a *Account) Transfer(to common.Address, amount *big.Int) (*types.Transaction, error) {
	return a.Sign(to, amount, TransferTxGas, nil)
}

// Send posts txs to the account's layer (any sender's), in order.
func (a *Account) Send(ctx context.Context, txs ...*types.Transaction) error {
	return SendTransactions(ctx, a.rpc, txs)
}

// SendTransactions posts signed transactions with eth_sendRawTransaction,
// in order, in JSON-RPC batches of at most ethrpc.MaxBatchItems (the
// server runs a batch's calls in order, so one sender's nonces arrive in
// sequence). It returns every refusal, joined.
func SendTransactions(ctx context.Context, c *rpc.Client, txs []*types.Transaction) error {
	var errs []error
	for start := 0; start < len(txs); start += ethrpc.MaxBatchItems {
		chunk := txs[start:min(start+ethrpc.MaxBatchItems, len(txs))]
		batch := make([]rpc.BatchElem, len(chunk))
		hashes := make([]common.Hash, len(chunk))
		for i, tx := range chunk {
			raw, err := tx.MarshalBinary()
			if err != nil {
				return fmt.Errorf("encode transaction %s: %w", tx.Hash(), err)
			}
			batch[i] = rpc.BatchElem{Method: "eth_sendRawTransaction", Args: []any{hexutil.Bytes(raw)}, Result: &hashes[i]}
		}
		if err := c.BatchCallContext(ctx, batch); err != nil {
			return fmt.Errorf("send %d transactions: %w", len(chunk), err)
		}
		for i := range batch {
			if batch[i].Error != nil {
				errs = append(errs, fmt.Errorf("transaction %s (nonce %d): %w", chunk[i].Hash(), chunk[i].Nonce(), batch[i].Error))
			}
		}
	}
	return errors.Join(errs...)
}

// Receipt waits up to timeout for the receipt of the account's layer's
// transaction hash.
func (a *Account) Receipt(ctx context.Context, hash common.Hash, timeout time.Duration) (*types.Receipt, error) {
	var rc *types.Receipt
	err := within(ctx, timeout, func() error {
		var err error
		if rc, err = a.Client.TransactionReceipt(ctx, hash); err != nil {
			return fmt.Errorf("receipt of %s: %w", hash, err)
		}
		return nil
	})
	return rc, err
}

// WaitIncluded waits up to timeout until every transaction the account
// signed is in a block: its nonce at the head reaches Nonce.
func (a *Account) WaitIncluded(ctx context.Context, timeout time.Duration) error {
	return within(ctx, timeout, func() error {
		n, err := a.Client.NonceAt(ctx, a.Address, nil)
		if err != nil {
			return fmt.Errorf("nonce of %s: %w", a.Address, err)
		}
		if n < a.nonce {
			return fmt.Errorf("%s: %d of its %d transactions included", a.Address, n, a.nonce)
		}
		return nil
	})
}
