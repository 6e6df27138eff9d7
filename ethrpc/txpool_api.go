package ethrpc

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/txpool"
)

// TxPoolBackend is an optional Backend interface: a Backend with a
// transaction pool, which the txpool_ namespace lists and
// newPendingTransactions subscriptions and filters watch.
type TxPoolBackend interface {
	// TxPoolContent returns the pooled transactions.
	TxPoolContent() PoolContent
}

// TxPoolCounter is an optional TxPoolBackend interface: a pool that counts
// its pending and queued transactions without listing them
// (txpool_status).
type TxPoolCounter interface {
	TxPoolCounts() (pending, queued int)
}

// PoolContent is a pool's transactions by sender, each sender's in nonce
// order.
type PoolContent struct {
	// Pending can be included now: their nonces follow the account's
	// without a gap.
	Pending map[common.Address][]*types.Transaction
	// Queued wait for a nonce gap to fill. A pool that cannot list them
	// leaves it empty and says how many there are in QueuedCount.
	Queued map[common.Address][]*types.Transaction
	// QueuedCount is the number of queued transactions.
	QueuedCount int
}

// PoolContentOf lists p: the pending transactions (every sender's run of
// consecutive nonces from its account nonce, whatever their fee cap, as
// geth counts them) and the queued ones, which wait behind a nonce gap.
func PoolContentOf(p *txpool.Pool) PoolContent {
	c := PoolContent{Pending: map[common.Address][]*types.Transaction{}, Queued: map[common.Address][]*types.Transaction{}}
	if p == nil {
		return c
	}
	c.Pending, c.Queued = p.Content()
	for _, txs := range c.Queued {
		c.QueuedCount += len(txs)
	}
	return c
}

// TxPoolAPI is the txpool_ namespace, as geth and anvil serve it.
type TxPoolAPI struct {
	b      Backend
	signer types.Signer
}

// NewTxPoolAPI returns the txpool_ namespace over b; a Backend that is not
// a TxPoolBackend has an empty pool.
func NewTxPoolAPI(b Backend) *TxPoolAPI {
	return &TxPoolAPI{b: b, signer: types.LatestSignerForChainID(b.ChainID())}
}

func (api *TxPoolAPI) content() PoolContent {
	if tb, ok := api.b.(TxPoolBackend); ok {
		return tb.TxPoolContent()
	}
	return PoolContent{}
}

// Status returns the number of pending and queued transactions
// (txpool_status).
func (api *TxPoolAPI) Status() map[string]hexutil.Uint {
	if tc, ok := api.b.(TxPoolCounter); ok {
		pending, queued := tc.TxPoolCounts()
		return map[string]hexutil.Uint{"pending": hexutil.Uint(pending), "queued": hexutil.Uint(queued)}
	}
	c := api.content()
	pending := 0
	for _, txs := range c.Pending {
		pending += len(txs)
	}
	return map[string]hexutil.Uint{"pending": hexutil.Uint(pending), "queued": hexutil.Uint(c.QueuedCount)}
}

// Content returns the pooled transactions by sender and nonce
// (txpool_content).
func (api *TxPoolAPI) Content() (map[string]map[string]map[string]map[string]any, error) {
	c := api.content()
	out := map[string]map[string]map[string]map[string]any{"pending": {}, "queued": {}}
	for kind, m := range map[string]map[common.Address][]*types.Transaction{"pending": c.Pending, "queued": c.Queued} {
		for from, txs := range m {
			byNonce, err := api.byNonce(txs)
			if err != nil {
				return nil, err
			}
			out[kind][from.Hex()] = byNonce
		}
	}
	return out, nil
}

// ContentFrom returns one sender's pooled transactions by nonce
// (txpool_contentFrom).
func (api *TxPoolAPI) ContentFrom(addr common.Address) (map[string]map[string]map[string]any, error) {
	c := api.content()
	pending, err := api.byNonce(c.Pending[addr])
	if err != nil {
		return nil, err
	}
	queued, err := api.byNonce(c.Queued[addr])
	if err != nil {
		return nil, err
	}
	return map[string]map[string]map[string]any{"pending": pending, "queued": queued}, nil
}

// Inspect summarizes the pooled transactions as geth does:
// "to: value wei + gas gas × price wei" (txpool_inspect).
func (api *TxPoolAPI) Inspect() map[string]map[string]map[string]string {
	c := api.content()
	out := map[string]map[string]map[string]string{"pending": {}, "queued": {}}
	for kind, m := range map[string]map[common.Address][]*types.Transaction{"pending": c.Pending, "queued": c.Queued} {
		for from, txs := range m {
			byNonce := map[string]string{}
			for _, tx := range txs {
				to := "contract creation"
				if tx.To() != nil {
					to = tx.To().Hex()
				}
				byNonce[fmt.Sprint(tx.Nonce())] = fmt.Sprintf("%s: %v wei + %v gas × %v wei", to, tx.Value(), tx.Gas(), tx.GasFeeCap())
			}
			out[kind][from.Hex()] = byNonce
		}
	}
	return out
}

func (api *TxPoolAPI) byNonce(txs []*types.Transaction) (map[string]map[string]any, error) {
	out := make(map[string]map[string]any, len(txs))
	for _, tx := range txs {
		m, err := RPCTransaction(tx, api.signer, nil)
		if err != nil {
			return nil, err
		}
		out[fmt.Sprint(tx.Nonce())] = m
	}
	return out, nil
}
