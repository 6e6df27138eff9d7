package ethrpc

import (
	"cmp"
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/bilayer/bilayer/core/block"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/ethereum/go-ethereum/triedb"
	"github.com/ethereum/go-ethereum/triedb/hashdb"
	"github.com/holiman/uint256"
)

// chainBackend is a small in-memory chain for testing the RPC surface: it
// applies plain transfers itself (the real state transition is tested in
// core/execution) and records receipts with one synthetic log per block so
// log queries have something to find.
type chainBackend struct {
	// mu guards what the tests change while the server reads: blocks,
	// receipts, txs and pool.
	mu       sync.RWMutex
	chainID  *big.Int
	signer   types.Signer
	sdb      state.Database
	blocks   []*block.Block
	receipts map[common.Hash]types.Receipts
	txs      map[common.Hash][2]uint64
	pool     map[common.Hash]*types.Transaction
	sendErr  error
	callRet  []byte
	callErr  error
	// nextSystemLog, when set, is the system log of the next block
	// addBlock makes (as an end-of-block hook's), kept in sysLogs.
	nextSystemLog *types.Log
	sysLogs       map[common.Hash][]*types.Log
	timeShift     uint64
	// reads counts BlockByNumber calls by height.
	reads sync.Map
}

var (
	testChainID  = big.NewInt(1337)
	testBaseFee  = big.NewInt(1_000_000_000)
	logEmitter   = common.HexToAddress("0x4200000000000000000000000000000000000001")
	logTopic     = crypto.Keccak256Hash([]byte("Transfer(address,uint256)"))
	testSlotKey  = common.HexToHash("0x01")
	testSlotData = common.HexToHash("0xbeef")
)

func newChainBackend(t *testing.T, funded common.Address) *chainBackend {
	t.Helper()
	tdb := triedb.NewDatabase(rawdb.NewMemoryDatabase(), &triedb.Config{HashDB: hashdb.Defaults})
	c := &chainBackend{
		chainID: testChainID, signer: types.LatestSignerForChainID(testChainID), sdb: state.NewDatabase(tdb, nil),
		receipts: map[common.Hash]types.Receipts{}, txs: map[common.Hash][2]uint64{}, pool: map[common.Hash]*types.Transaction{},
	}
	st, err := state.New(types.EmptyRootHash, c.sdb)
	if err != nil {
		t.Fatal(err)
	}
	st.SetBalance(funded, uint256.MustFromBig(new(big.Int).Mul(big.NewInt(100), big.NewInt(1e18))), tracing.BalanceChangeUnspecified)
	st.SetState(logEmitter, testSlotKey, testSlotData)
	st.SetNonce(logEmitter, 1, tracing.NonceChangeUnspecified)
	root := c.commit(t, st, 0)
	c.blocks = append(c.blocks, block.Assemble(&types.Header{
		Root: root, ReceiptHash: types.EmptyReceiptsHash, Number: new(big.Int), GasLimit: 30_000_000, BaseFee: testBaseFee,
	}, nil, block.Extras{}))
	c.receipts[c.blocks[0].Hash()] = nil
	return c
}

func (c *chainBackend) commit(t *testing.T, st *state.StateDB, n uint64) common.Hash {
	t.Helper()
	root, err := st.Commit(params.Rules{IsEIP158: true}, n)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.sdb.TrieDB().Commit(root, false); err != nil {
		t.Fatal(err)
	}
	return root
}

// addBlock applies txs as plain transfers and appends the block.
func (c *chainBackend) addBlock(t *testing.T, txs ...*types.Transaction) *block.Block {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	parent := c.blocks[len(c.blocks)-1]
	n := parent.Number() + 1
	st, err := state.New(parent.Header.Root, c.sdb)
	if err != nil {
		t.Fatal(err)
	}
	var receipts types.Receipts
	var gasUsed uint64
	for i, tx := range txs {
		from, err := types.Sender(c.signer, tx)
		if err != nil {
			t.Fatal(err)
		}
		price := effectiveGasPrice(tx, testBaseFee)
		cost := new(big.Int).Add(tx.Value(), new(big.Int).Mul(price, big.NewInt(21000)))
		st.SubBalance(from, uint256.MustFromBig(cost), tracing.BalanceChangeUnspecified)
		st.AddBalance(*tx.To(), uint256.MustFromBig(tx.Value()), tracing.BalanceChangeUnspecified)
		st.SetNonce(from, tx.Nonce()+1, tracing.NonceChangeUnspecified)
		gasUsed += 21000
		r := &types.Receipt{Type: tx.Type(), Status: types.ReceiptStatusSuccessful, CumulativeGasUsed: gasUsed,
			TxHash: tx.Hash(), GasUsed: 21000, EffectiveGasPrice: price, TransactionIndex: uint(i)}
		if i == len(txs)-1 {
			r.Logs = []*types.Log{{Address: logEmitter, Topics: []common.Hash{logTopic, common.BytesToHash(from[:])}, Data: []byte{1}, TxHash: tx.Hash(), TxIndex: uint(i)}}
		}
		r.Bloom = types.CreateBloom(r)
		receipts = append(receipts, r)
		c.txs[tx.Hash()] = [2]uint64{n, uint64(i)}
	}
	root := c.commit(t, st, n)
	bloom := types.MergeBloom(receipts)
	sysLog := c.nextSystemLog
	c.nextSystemLog = nil
	if sysLog != nil {
		bloom.Add(sysLog.Address[:])
		for _, topic := range sysLog.Topics {
			bloom.Add(topic[:])
		}
	}
	b := block.Assemble(&types.Header{
		ParentHash: parent.Hash(), Coinbase: common.HexToAddress("0xc0ffee"), Root: root,
		ReceiptHash: block.ReceiptsRoot(receipts), Bloom: bloom, Number: new(big.Int).SetUint64(n),
		GasLimit: 30_000_000, GasUsed: gasUsed, Time: 1_700_000_000 + n + c.timeShift, BaseFee: testBaseFee,
	}, txs, block.Extras{})
	logIndex := uint(0)
	for _, r := range receipts {
		r.BlockHash, r.BlockNumber = b.Hash(), new(big.Int).SetUint64(n)
		for _, l := range r.Logs {
			l.BlockHash, l.BlockNumber, l.Index = b.Hash(), n, logIndex
			logIndex++
		}
	}
	if sysLog != nil {
		sysLog.BlockHash, sysLog.BlockNumber, sysLog.Index, sysLog.TxIndex = b.Hash(), n, logIndex, uint(len(txs))
		if c.sysLogs == nil {
			c.sysLogs = map[common.Hash][]*types.Log{}
		}
		c.sysLogs[b.Hash()] = []*types.Log{sysLog}
	}
	c.blocks = append(c.blocks, b)
	c.receipts[b.Hash()] = receipts
	return b
}

// SystemLogs implements SystemLogsBackend.
func (c *chainBackend) SystemLogs(_ context.Context, h common.Hash, _ types.Receipts) ([]*types.Log, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.sysLogs[h], nil
}

// rewind drops the blocks above n (as an L2 rolled back after a
// challenge); the next blocks get other timestamps, hence other hashes.
func (c *chainBackend) rewind(n uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.blocks = c.blocks[:n+1]
	c.timeShift += 1000
}

// TxPoolContent implements TxPoolBackend: every pooled transaction is
// pending.
func (c *chainBackend) TxPoolContent() PoolContent {
	c.mu.RLock()
	defer c.mu.RUnlock()
	pc := PoolContent{Pending: map[common.Address][]*types.Transaction{}, Queued: map[common.Address][]*types.Transaction{}}
	for _, tx := range c.pool {
		from, _ := types.Sender(c.signer, tx)
		pc.Pending[from] = append(pc.Pending[from], tx)
	}
	for _, txs := range pc.Pending {
		slices.SortFunc(txs, func(a, b *types.Transaction) int { return cmp.Compare(a.Nonce(), b.Nonce()) })
	}
	return pc
}

func (c *chainBackend) ChainID() *big.Int     { return c.chainID }
func (c *chainBackend) ClientVersion() string { return "bilayer/test" }
func (c *chainBackend) PeerCount() int        { return 3 }

func (c *chainBackend) ResolveBlockNumber(_ context.Context, n rpc.BlockNumber) (uint64, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	head := uint64(len(c.blocks) - 1)
	switch {
	case n == rpc.EarliestBlockNumber:
		return 0, nil
	case n < 0:
		return head, nil
	case uint64(n) > head:
		return 0, fmt.Errorf("block %d: %w", n, ErrNotFound)
	}
	return uint64(n), nil
}

func (c *chainBackend) BlockByNumber(_ context.Context, n uint64) (*block.Block, error) {
	count, _ := c.reads.LoadOrStore(n, new(atomic.Int64))
	count.(*atomic.Int64).Add(1)
	c.mu.RLock()
	defer c.mu.RUnlock()
	if n >= uint64(len(c.blocks)) {
		return nil, ErrNotFound
	}
	return c.blocks[n], nil
}

func (c *chainBackend) BlockByHash(_ context.Context, h common.Hash) (*block.Block, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, b := range c.blocks {
		if b.Hash() == h {
			return b, nil
		}
	}
	return nil, ErrNotFound
}

func (c *chainBackend) Receipts(_ context.Context, h common.Hash) (types.Receipts, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	r, ok := c.receipts[h]
	if !ok {
		return nil, ErrNotFound
	}
	return r, nil
}

func (c *chainBackend) TxLocation(_ context.Context, h common.Hash) (uint64, int, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	loc, ok := c.txs[h]
	if !ok {
		return 0, 0, ErrNotFound
	}
	return loc[0], int(loc[1]), nil
}

func (c *chainBackend) StateAt(_ context.Context, n uint64) (*state.StateDB, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if n >= uint64(len(c.blocks)) {
		return nil, ErrNotFound
	}
	return state.New(c.blocks[n].Header.Root, c.sdb)
}

func (c *chainBackend) SendTransaction(_ context.Context, tx *types.Transaction) error {
	if c.sendErr != nil {
		return c.sendErr
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pool[tx.Hash()] = tx
	return nil
}

func (c *chainBackend) PendingTransaction(h common.Hash) *types.Transaction {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.pool[h]
}
func (c *chainBackend) PendingNonce(addr common.Address) uint64 {
	c.mu.RLock()
	head := uint64(len(c.blocks) - 1)
	c.mu.RUnlock()
	st, _ := c.StateAt(context.Background(), head)
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := st.GetNonce(addr)
	for _, tx := range c.pool {
		if from, _ := types.Sender(c.signer, tx); from == addr && tx.Nonce() >= n {
			n = tx.Nonce() + 1
		}
	}
	return n
}
func (c *chainBackend) NextBaseFee(context.Context) (*big.Int, error) {
	return big.NewInt(875_000_000), nil
}
func (c *chainBackend) SuggestTip(context.Context) (*big.Int, error) {
	return big.NewInt(1_000_000), nil
}
func (c *chainBackend) Call(_ context.Context, _ CallArgs, _ uint64) ([]byte, error) {
	return c.callRet, c.callErr
}
func (c *chainBackend) EstimateGas(_ context.Context, args CallArgs, _ uint64) (uint64, error) {
	data, err := args.CallData()
	if err != nil {
		return 0, err
	}
	return 21000 + 16*uint64(len(data)), nil
}
func (c *chainBackend) Syncing(context.Context) (*SyncProgress, error) { return nil, nil }

func signTransfer(t *testing.T, key *ecdsa.PrivateKey, nonce uint64, to common.Address, value int64) *types.Transaction {
	t.Helper()
	tx, err := types.SignNewTx(key, types.LatestSignerForChainID(testChainID), &types.DynamicFeeTx{
		ChainID: testChainID, Nonce: nonce, GasTipCap: big.NewInt(2), GasFeeCap: big.NewInt(2_000_000_000),
		Gas: 21000, To: &to, Value: big.NewInt(value),
	})
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

var errTestNonce = errors.New("nonce too low: next nonce is 2, tx has 0")
