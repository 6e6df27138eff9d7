package ethrpc

import (
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/bilayer/bilayer/core/block"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
)

// RPCBlock renders a block as Ethereum nodes do. With fullTx the
// transactions are objects, otherwise hashes.
func RPCBlock(b *block.Block, fullTx bool, signer types.Signer) (map[string]any, error) {
	h := b.Header
	hash := b.Hash()
	fields := map[string]any{
		"number":           (*hexutil.Big)(h.Number),
		"hash":             hash,
		"parentHash":       h.ParentHash,
		"nonce":            h.Nonce,
		"mixHash":          h.MixDigest,
		"sha3Uncles":       h.UncleHash,
		"logsBloom":        h.Bloom,
		"stateRoot":        h.Root,
		"miner":            h.Coinbase,
		"difficulty":       (*hexutil.Big)(h.Difficulty),
		"totalDifficulty":  (*hexutil.Big)(new(big.Int)),
		"extraData":        hexutil.Bytes(h.Extra),
		"gasLimit":         hexutil.Uint64(h.GasLimit),
		"gasUsed":          hexutil.Uint64(h.GasUsed),
		"timestamp":        hexutil.Uint64(h.Time),
		"transactionsRoot": h.TxHash,
		"receiptsRoot":     h.ReceiptHash,
		"baseFeePerGas":    (*hexutil.Big)(h.BaseFee),
		"uncles":           []common.Hash{},
		"size":             hexutil.Uint64(ethBlock(b).Size()),
	}
	if fullTx {
		txs := make([]map[string]any, len(b.Transactions))
		for i, tx := range b.Transactions {
			m, err := RPCTransaction(tx, signer, &TxPosition{BlockHash: hash, BlockNumber: b.Number(), Index: uint64(i), BaseFee: h.BaseFee})
			if err != nil {
				return nil, fmt.Errorf("render tx %d of block %d: %w", i, b.Number(), err)
			}
			txs[i] = m
		}
		fields["transactions"] = txs
	} else {
		hashes := make([]common.Hash, len(b.Transactions))
		for i, tx := range b.Transactions {
			hashes[i] = tx.Hash()
		}
		fields["transactions"] = hashes
	}
	return fields, nil
}

// ethBlock converts a block to go-ethereum's type (for its size).
func ethBlock(b *block.Block) *types.Block {
	return types.NewBlockWithHeader(b.Header).WithBody(types.Body{Transactions: b.Transactions})
}

// TxPosition locates a committed transaction.
type TxPosition struct {
	BlockHash   common.Hash
	BlockNumber uint64
	Index       uint64
	BaseFee     *big.Int
}

// RPCTransaction renders a transaction as Ethereum nodes do: go-ethereum's
// own JSON form (which ethclient decodes and hashes), plus the sender and,
// for a committed transaction, its position and effective gas price. pos is
// nil for a pending transaction.
func RPCTransaction(tx *types.Transaction, signer types.Signer, pos *TxPosition) (map[string]any, error) {
	enc, err := tx.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("encode tx %s: %w", tx.Hash(), err)
	}
	var fields map[string]any
	if err := json.Unmarshal(enc, &fields); err != nil {
		return nil, fmt.Errorf("re-decode tx %s: %w", tx.Hash(), err)
	}
	from, err := types.Sender(signer, tx)
	if err != nil {
		return nil, fmt.Errorf("sender of tx %s: %w", tx.Hash(), err)
	}
	fields["from"] = from
	fields["blockHash"] = nil
	fields["blockNumber"] = nil
	fields["transactionIndex"] = nil
	if pos != nil {
		fields["blockHash"] = pos.BlockHash
		fields["blockNumber"] = hexutil.Uint64(pos.BlockNumber)
		fields["transactionIndex"] = hexutil.Uint64(pos.Index)
		if tx.Type() != types.LegacyTxType && pos.BaseFee != nil {
			fields["gasPrice"] = (*hexutil.Big)(effectiveGasPrice(tx, pos.BaseFee))
		}
	} else if tx.Type() != types.LegacyTxType {
		fields["gasPrice"] = (*hexutil.Big)(tx.GasFeeCap())
	}
	return fields, nil
}

// effectiveGasPrice is what a transaction pays per gas at baseFee.
func effectiveGasPrice(tx *types.Transaction, baseFee *big.Int) *big.Int {
	tip := new(big.Int).Sub(tx.GasFeeCap(), baseFee)
	if tip.Cmp(tx.GasTipCap()) > 0 {
		tip.Set(tx.GasTipCap())
	}
	return tip.Add(tip, baseFee)
}

// RPCReceipt renders a receipt as Ethereum nodes do, with the sender,
// recipient and contract address that go-ethereum's own receipt JSON lacks.
func RPCReceipt(r *types.Receipt, tx *types.Transaction, signer types.Signer) (map[string]any, error) {
	from, err := types.Sender(signer, tx)
	if err != nil {
		return nil, fmt.Errorf("sender of tx %s: %w", tx.Hash(), err)
	}
	logs := r.Logs
	if logs == nil {
		logs = []*types.Log{}
	}
	fields := map[string]any{
		"type":              hexutil.Uint(r.Type),
		"status":            hexutil.Uint64(r.Status),
		"cumulativeGasUsed": hexutil.Uint64(r.CumulativeGasUsed),
		"logsBloom":         r.Bloom,
		"logs":              logs,
		"transactionHash":   r.TxHash,
		"contractAddress":   nil,
		"gasUsed":           hexutil.Uint64(r.GasUsed),
		"effectiveGasPrice": (*hexutil.Big)(r.EffectiveGasPrice),
		"blockHash":         r.BlockHash,
		"blockNumber":       (*hexutil.Big)(r.BlockNumber),
		"transactionIndex":  hexutil.Uint(r.TransactionIndex),
		"from":              from,
		"to":                tx.To(),
	}
	return fields, nil
}
