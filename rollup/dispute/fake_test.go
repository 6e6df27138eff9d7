package dispute

import (
	"context"
	"fmt"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/l1"
)

// fakeL1 is an L1 with a rollup contract that recorded some disputes: its
// views answer from the fields, with the contract's ABI encoding.
type fakeL1 struct {
	disputes []contract.Dispute
	// batches answers batch(i); batchAt records the block each batch(i)
	// call was made at.
	batches map[uint64]contract.BatchInfo
	batchAt []block.L1Number
	logs    []types.Log
	// receipts and txs by hash (with the sender).
	receipts map[common.Hash]*types.Receipt
	txs      map[common.Hash]sentTx
	// replay is the revert reason of every Call (none: Call succeeds);
	// replayAt records the blocks replays ran on.
	replay   string
	replayAt []block.L1Number
}

type sentTx struct {
	tx   *types.Transaction
	from common.Address
}

func newFake() *fakeL1 {
	return &fakeL1{batches: map[uint64]contract.BatchInfo{}, receipts: map[common.Hash]*types.Receipt{}, txs: map[common.Hash]sentTx{}}
}

func (f *fakeL1) CallContract(_ context.Context, to common.Address, data []byte, at *block.L1Number) ([]byte, error) {
	if to != contract.Address || len(data) < 4 {
		return nil, fmt.Errorf("fake: call of %s", to)
	}
	m, err := contract.ABI().MethodById(data[:4])
	if err != nil {
		return nil, err
	}
	args, err := m.Inputs.Unpack(data[4:])
	if err != nil {
		return nil, err
	}
	switch m.Name {
	case "disputeCount":
		return m.Outputs.Pack(uint64(len(f.disputes)))
	case "dispute":
		i := args[0].(uint64)
		if i >= uint64(len(f.disputes)) {
			return nil, fmt.Errorf("fake: %w", &l1.RevertError{Reason: contract.ErrNoDispute.Error()})
		}
		d := f.disputes[i]
		return m.Outputs.Pack(uint64(d.L2Block), d.BatchIndex, d.Challenger, uint64(d.L1Block),
			[32]byte(d.Posted.Root), [32]byte(d.Posted.StateRoot), [32]byte(d.Posted.WithdrawalsRoot), [32]byte(d.Posted.BlockHash),
			[32]byte(d.Computed.Root), [32]byte(d.Computed.StateRoot), [32]byte(d.Computed.WithdrawalsRoot), [32]byte(d.Computed.BlockHash),
			d.Reward, d.Burned, d.Poster)
	case "batch":
		i := args[0].(uint64)
		if at == nil {
			return nil, fmt.Errorf("fake: batch(%d) at the head", i)
		}
		f.batchAt = append(f.batchAt, *at)
		b, ok := f.batches[i]
		if !ok {
			return nil, fmt.Errorf("fake: %w", &l1.RevertError{Reason: "rollup: no such batch"})
		}
		return m.Outputs.Pack(uint64(b.FirstBlock), b.BlockCount, uint64(b.L1Block), [32]byte(b.Root), b.Final, b.LeafCount, b.Poster)
	}
	return nil, fmt.Errorf("fake: unexpected call of %s", m.Name)
}

func (f *fakeL1) Call(_ context.Context, msg ethereum.CallMsg, at *block.L1Number) ([]byte, error) {
	if at == nil {
		return nil, fmt.Errorf("fake: replay at the head")
	}
	f.replayAt = append(f.replayAt, *at)
	if f.replay == "" {
		return nil, nil
	}
	return nil, fmt.Errorf("l1: call %s at block %d: %w", msg.To, *at, &l1.RevertError{Reason: f.replay})
}

func (f *fakeL1) FilterLogs(_ context.Context, q ethereum.FilterQuery) ([]types.Log, error) {
	var out []types.Log
	for _, lg := range f.logs {
		if q.FromBlock != nil && lg.BlockNumber < q.FromBlock.Uint64() || q.ToBlock != nil && lg.BlockNumber > q.ToBlock.Uint64() {
			continue
		}
		if len(q.Addresses) > 0 && !slices.Contains(q.Addresses, lg.Address) {
			continue
		}
		match := true
		for i, want := range q.Topics {
			if len(want) > 0 && (i >= len(lg.Topics) || !slices.Contains(want, lg.Topics[i])) {
				match = false
			}
		}
		if match {
			out = append(out, lg)
		}
	}
	return out, nil
}

func (f *fakeL1) TransactionReceipt(_ context.Context, hash common.Hash) (*types.Receipt, error) {
	r, ok := f.receipts[hash]
	if !ok {
		return nil, fmt.Errorf("l1: get receipt of %s: %w", hash, ethereum.NotFound)
	}
	return r, nil
}

func (f *fakeL1) TransactionByHash(_ context.Context, hash common.Hash) (*types.Transaction, common.Address, error) {
	t, ok := f.txs[hash]
	if !ok {
		return nil, common.Address{}, fmt.Errorf("l1: get transaction %s: %w", hash, ethereum.NotFound)
	}
	return t.tx, t.from, nil
}

// addTx records an included transaction with its receipt (and logs).
func (f *fakeL1) addTx(from common.Address, to common.Address, data []byte, l1Block uint64, index uint, ok bool, logs ...*types.Log) common.Hash {
	tx := types.NewTx(&types.DynamicFeeTx{ChainID: big.NewInt(1337), Nonce: uint64(len(f.txs)), To: &to, Gas: 3_000_000, Data: data,
		GasFeeCap: big.NewInt(1), GasTipCap: big.NewInt(1), Value: new(big.Int)})
	h := tx.Hash()
	status := types.ReceiptStatusFailed
	if ok {
		status = types.ReceiptStatusSuccessful
	}
	rc := &types.Receipt{Status: status, TxHash: h, BlockNumber: new(big.Int).SetUint64(l1Block), TransactionIndex: index}
	for _, lg := range logs {
		lg.TxHash, lg.BlockNumber, lg.TxIndex = h, l1Block, index
		rc.Logs = append(rc.Logs, lg)
		f.logs = append(f.logs, *lg)
	}
	f.receipts[h] = rc
	f.txs[h] = sentTx{tx: tx, from: from}
	return h
}

// acceptBatch records batch i (L2 blocks first..last) accepted in L1
// block l1Block by the sequencer, and returns its transaction's hash.
func (f *fakeL1) acceptBatch(seq common.Address, i uint64, first, last block.L2Number, l1Block uint64) common.Hash {
	root := common.Hash{byte(i), 0xba}
	f.batches[i] = contract.BatchInfo{Index: i, FirstBlock: first, BlockCount: uint64(last - first + 1), LeafCount: uint64(last - first + 1),
		L1Block: block.L1Number(l1Block), Root: root, Poster: seq}
	ev := contract.ABI().Events["BatchAccepted"]
	data, err := ev.Inputs.NonIndexed().Pack(uint64(first), uint64(last), [32]byte(root))
	if err != nil {
		panic(err)
	}
	lg := &types.Log{Address: contract.Address, Topics: []common.Hash{ev.ID, u64Topic(i)}, Data: data}
	return f.addTx(seq, contract.Address, contract.PackSubmitBatch([]byte{1, 2, 3}), l1Block, 0, true, lg)
}

// challenge records dispute d as won by a challenge transaction in
// d.L1Block, and returns its hash.
func (f *fakeL1) challenge(d contract.Dispute) common.Hash {
	d.Index = uint64(len(f.disputes))
	f.disputes = append(f.disputes, d)
	ev := contract.ABI().Events["Challenged"]
	data, err := ev.Inputs.NonIndexed().Pack(d.BatchIndex, d.Index, [32]byte(d.Posted.Root), [32]byte(d.Computed.Root), d.Reward, d.Burned, d.Poster)
	if err != nil {
		panic(err)
	}
	lg := &types.Log{Address: contract.Address, Topics: []common.Hash{ev.ID, u64Topic(uint64(d.L2Block)), common.BytesToHash(d.Challenger[:])}, Data: data}
	return f.addTx(d.Challenger, contract.Address, contract.PackChallenge(d.L2Block, []byte{1}), uint64(d.L1Block), 1, true, lg)
}
