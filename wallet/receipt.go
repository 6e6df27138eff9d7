package wallet

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
)

// Receipt is a transaction receipt with the fields an L2 receipt adds to
// Ethereum's.
type Receipt struct {
	*types.Receipt
	// L1Fee is the L1 data fee an L2 transaction paid on top of its gas
	// (the receipt's l1Fee); nil on the L1.
	L1Fee *big.Int
}

// l2ReceiptFields are the fields of an L2 receipt that go-ethereum's
// types.Receipt does not decode.
type l2ReceiptFields struct {
	L1Fee *hexutil.Big `json:"l1Fee"`
}

// decodeReceipt decodes the JSON of eth_getTransactionReceipt; null is
// ethereum.NotFound.
func decodeReceipt(raw json.RawMessage) (*Receipt, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, ethereum.NotFound
	}
	var r types.Receipt
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("decode receipt: %w", err)
	}
	var extra l2ReceiptFields
	if err := json.Unmarshal(raw, &extra); err != nil {
		return nil, fmt.Errorf("decode receipt's l1Fee: %w", err)
	}
	return &Receipt{Receipt: &r, L1Fee: (*big.Int)(extra.L1Fee)}, nil
}

// receipt reads the receipt of hash, with the L2's l1Fee when the node
// serves it (ethclient would drop it).
func (c *Client) receipt(ctx context.Context, hash common.Hash) (*Receipt, error) {
	var raw json.RawMessage
	if err := c.rpc.CallContext(ctx, &raw, "eth_getTransactionReceipt", hash); err != nil {
		return nil, err
	}
	return decodeReceipt(raw)
}
