package wallet

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// ErrTxNotFound is returned when the node knows no transaction with the
// hash asked for.
var ErrTxNotFound = errors.New("transaction not found")

// Lookup returns the summary of transaction hash: pending, or with its
// receipt once it is in a block.
func (c *Client) Lookup(ctx context.Context, hash common.Hash) (*TxSummary, error) {
	tx, pending, err := c.eth.TransactionByHash(ctx, hash)
	if notFound(err) {
		return nil, fmt.Errorf("%w: %s is unknown to %s: check the hash, and --layer (l1 or l2)", ErrTxNotFound, hash, c.url)
	}
	if err != nil {
		return nil, c.wrap(fmt.Sprintf("read transaction %s", hash), err)
	}
	from, err := types.Sender(types.LatestSignerForChainID(tx.ChainId()), tx)
	if err != nil {
		return nil, fmt.Errorf("sender of transaction %s: %w", hash, err)
	}
	if pending {
		return Summarize(tx, from, nil, nil), nil
	}
	r, err := c.receipt(ctx, hash)
	if notFound(err) {
		// Between the two reads the node may have moved; call it pending.
		return Summarize(tx, from, nil, nil), nil
	}
	if err != nil {
		return nil, c.wrap(fmt.Sprintf("read receipt of %s", hash), err)
	}
	return c.summarizeMined(ctx, tx, from, r)
}

// summarizeMined summarizes a transaction with its receipt, reading the
// block's base fee when the node's receipt lacks effectiveGasPrice.
func (c *Client) summarizeMined(ctx context.Context, tx *types.Transaction, from common.Address, r *Receipt) (*TxSummary, error) {
	price := r.EffectiveGasPrice
	if price == nil {
		h, err := c.eth.HeaderByHash(ctx, r.BlockHash)
		if err != nil {
			return nil, c.wrap(fmt.Sprintf("read block %s of %s", r.BlockHash, tx.Hash()), err)
		}
		price = tx.GasPrice()
		if h.BaseFee != nil {
			price = EffectiveGasPrice(tx.GasFeeCap(), tx.GasTipCap(), h.BaseFee)
		}
	}
	s := Summarize(tx, from, r.Receipt, new(big.Int).Set(price))
	s.AddL1Fee(r.L1Fee)
	return s, nil
}

// Receipted summarizes a transaction this wallet sent, once its receipt is
// in (see WaitReceipt).
func (c *Client) Receipted(ctx context.Context, tx *types.Transaction, from common.Address, r *Receipt) (*TxSummary, error) {
	return c.summarizeMined(ctx, tx, from, r)
}
