package wallet

import (
	"context"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"
)

// TransferPlan is everything needed to sign a value transfer, read from the
// node by PlanTransfer.
type TransferPlan struct {
	ChainID *big.Int
	From    common.Address
	To      common.Address
	Value   *big.Int
	Data    []byte // calldata, for a system-contract call
	Nonce   uint64
	Gas     uint64
	BaseFee *big.Int // of the latest block
	Tip     *big.Int // max priority fee per gas
	FeeCap  *big.Int // max fee per gas: FeeCap(BaseFee, Tip)
	Balance *big.Int // the sender's balance when planned
}

// PlanTransfer reads the chain id, from's pending nonce and balance, the
// suggested tip and the latest base fee, and estimates the gas of sending
// value from from to to. It returns an *InsufficientFundsError, without
// sending anything, when the balance does not cover value + gas × fee cap.
func (c *Client) PlanTransfer(ctx context.Context, from, to common.Address, value *big.Int) (*TransferPlan, error) {
	return c.PlanCall(ctx, from, to, value, nil)
}

// PlanCall is PlanTransfer for a call with calldata (a system contract's
// method): the gas estimate runs the call, so a call that would revert is
// refused here with the contract's reason, before anything is signed.
func (c *Client) PlanCall(ctx context.Context, from, to common.Address, value *big.Int, data []byte) (*TransferPlan, error) {
	p := &TransferPlan{From: from, To: to, Value: new(big.Int).Set(value), Data: data}
	var err error
	if p.ChainID, err = c.ChainID(ctx); err != nil {
		return nil, err
	}
	if p.Balance, err = c.Balance(ctx, from); err != nil {
		return nil, err
	}
	if p.Nonce, err = c.eth.PendingNonceAt(ctx, from); err != nil {
		return nil, c.wrap(fmt.Sprintf("read nonce of %s", from), err)
	}
	if p.Tip, err = c.eth.SuggestGasTipCap(ctx); err != nil {
		return nil, c.wrap("read suggested tip", err)
	}
	if p.BaseFee, err = c.BaseFee(ctx); err != nil {
		return nil, err
	}
	p.FeeCap = FeeCap(p.BaseFee, p.Tip)
	p.Gas, err = c.eth.EstimateGas(ctx, ethereum.CallMsg{From: from, To: &to, Value: value, Data: data})
	if err != nil && len(data) > 0 {
		return nil, c.wrap(fmt.Sprintf("call %s", to), err)
	}
	if err != nil {
		// A node may refuse to estimate for a sender that cannot pay; say
		// so in the wallet's words, with a plain transfer's gas.
		if ferr := CheckFunds(from, p.Balance, value, params.TxGas, p.FeeCap); ferr != nil {
			return nil, ferr
		}
		return nil, c.wrap(fmt.Sprintf("estimate gas of sending %s to %s", FormatEther(value), to), err)
	}
	if err := CheckFunds(from, p.Balance, value, p.Gas, p.FeeCap); err != nil {
		return nil, err
	}
	return p, nil
}

// Tx returns the unsigned EIP-1559 transaction of the plan.
func (p *TransferPlan) Tx() *types.DynamicFeeTx {
	to := p.To
	return &types.DynamicFeeTx{
		ChainID:   new(big.Int).Set(p.ChainID),
		Nonce:     p.Nonce,
		GasTipCap: new(big.Int).Set(p.Tip),
		GasFeeCap: new(big.Int).Set(p.FeeCap),
		Gas:       p.Gas,
		To:        &to,
		Value:     new(big.Int).Set(p.Value),
		Data:      p.Data,
	}
}

// Sign signs the plan's transaction with s, which must be the plan's
// sender.
func (p *TransferPlan) Sign(s Signer) (*types.Transaction, error) {
	if s.Address != p.From {
		return nil, fmt.Errorf("sign transfer: signer %s is not the sender %s", s.Address, p.From)
	}
	tx, err := types.SignNewTx(s.Key, types.LatestSignerForChainID(p.ChainID), p.Tx())
	if err != nil {
		return nil, fmt.Errorf("sign transfer: %w", err)
	}
	return tx, nil
}

// Send submits a signed transaction.
func (c *Client) Send(ctx context.Context, tx *types.Transaction) error {
	if err := c.eth.SendTransaction(ctx, tx); err != nil {
		return c.wrap(fmt.Sprintf("send transaction %s", tx.Hash()), err)
	}
	return nil
}
