package dispute

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/bilayer/bilayer/rollup/l1"
)

// rpcL1 is the L1 of a Reader over an L1 node's JSON-RPC.
type rpcL1 struct {
	*l1.Client
	eth *ethclient.Client
}

// NewL1 returns the L1 interface over an L1 JSON-RPC client.
func NewL1(c *l1.Client) L1 { return rpcL1{Client: c, eth: ethclient.NewClient(c.RPC())} }

// TransactionByHash returns the included transaction hash and its sender,
// recovered from its signature.
func (r rpcL1) TransactionByHash(ctx context.Context, hash common.Hash) (*types.Transaction, common.Address, error) {
	tx, pending, err := r.eth.TransactionByHash(ctx, hash)
	if err != nil {
		return nil, common.Address{}, fmt.Errorf("l1: get transaction %s: %w", hash, err)
	}
	if pending {
		return nil, common.Address{}, fmt.Errorf("l1: transaction %s is still pending: %w", hash, ethereum.NotFound)
	}
	from, err := types.Sender(types.LatestSignerForChainID(tx.ChainId()), tx)
	if err != nil {
		return nil, common.Address{}, fmt.Errorf("l1: the sender of transaction %s: %w", hash, err)
	}
	return tx, from, nil
}
