package contract

import (
	"encoding/binary"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/core/statedb"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/rollup/batch"
	rollupconfig "github.com/bilayer/bilayer/rollup/config"
	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

var (
	sequencer = common.HexToAddress("0x5e0000000000000000000000000000000000005e")
	stranger  = common.HexToAddress("0x0000000000000000000000000000000000bad000")
)

const (
	genesisTime = 1_700_000_000
	window      = 30 // W
	seqWindow   = 20 // S
)

func eth(n int64) *uint256.Int {
	return new(uint256.Int).Mul(uint256.NewInt(uint64(n)), uint256.NewInt(1e18))
}

// The test L1: block n has hash l1Hash(n), time genesisTime + 2n and
// base fee 1 gwei + n.
func l1Hash(n uint64) common.Hash {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return crypto.Keccak256Hash([]byte("test L1"), b[:])
}

func l1Time(n uint64) uint64 { return genesisTime + 2*n }

func l1BaseFee(n uint64) *big.Int {
	if n == 0 {
		return genesis.DefaultInitialBaseFee
	}
	return big.NewInt(1e9 + int64(n))
}

// env is an L1 state with the rollup contract, run block by block: calls
// made with call run in block e.block, endBlock finishes it.
type env struct {
	t     testing.TB
	gen   *genesis.Genesis
	cfg   *rollupconfig.Config
	c     *Contract
	reg   *syscontract.Registry
	db    *statedb.DB
	st    *state.StateDB
	block uint64
}

func testGenesis() *genesis.Genesis {
	g := &genesis.Genesis{
		ChainID: 1337, Timestamp: genesisTime, GasLimit: 200_000_000,
		Alloc:      map[common.Address]genesis.Account{},
		Validators: []genesis.Validator{{Address: common.Address{0xaa}, Stake: genesis.Ether(1000)}},
		Rollup: &genesis.Rollup{
			L2ChainID: 1338, L2BlockTime: genesis.Duration{Duration: 250 * time.Millisecond}, L2GasLimit: 50_000_000,
			MaxTxsPerBlock: 4, L2Alloc: map[common.Address]genesis.Account{{1}: {Balance: genesis.Ether(10)}},
			ChallengeWindow: window, SequencingWindow: seqWindow, MaxOriginLag: 2,
			SequencerBond: genesis.Ether(10), Sequencer: sequencer,
		},
	}
	g.Alloc[rollupconfig.BridgeAddress] = genesis.Account{Balance: genesis.Ether(10)}
	g.FillDefaults()
	return g
}

// newEnv starts at L1 block 1 (before its hook). The config knows no L1
// genesis hash, as the node's does not: the contract learns it on chain.
func newEnv(t testing.TB) *env { return newEnvWith(t, testGenesis()) }

// newEnvWith is newEnv for the genesis gen, with other system contracts
// registered beside the rollup contract (their genesis balances from
// gen.Alloc).
func newEnvWith(t testing.TB, gen *genesis.Genesis, others ...syscontract.Contract) *env {
	t.Helper()
	e := &env{t: t, gen: gen, block: 1}
	var err error
	if e.cfg, err = rollupconfig.FromGenesis(e.gen, common.Hash{}); err != nil {
		t.Fatal(err)
	}
	if e.c, err = New(e.cfg); err != nil {
		t.Fatal(err)
	}
	if e.reg, err = syscontract.NewRegistry(append([]syscontract.Contract{e.c}, others...)...); err != nil {
		t.Fatal(err)
	}
	alloc := e.reg.Accounts()
	for _, o := range others {
		if acc, ok := alloc[o.Address()]; ok {
			acc.Balance = gen.Alloc[o.Address()].Balance.Big()
			alloc[o.Address()] = acc
		}
	}
	alloc[sequencer] = types.Account{Balance: eth(1000).ToBig()}
	alloc[stranger] = types.Account{Balance: eth(1000).ToBig()}
	e.db = statedb.New(rawdb.NewMemoryDatabase())
	root, err := e.db.ApplyAlloc(alloc)
	if err != nil {
		t.Fatal(err)
	}
	if e.st, err = e.db.StateAt(root); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) info() syscontract.BlockInfo {
	return syscontract.BlockInfo{ChainID: big.NewInt(1337), ParentHash: l1Hash(e.block - 1), Number: e.block,
		Time: l1Time(e.block), BaseFee: l1BaseFee(e.block), GasLimit: 200_000_000}
}

// run sends a transaction's call to the contract in the current block.
func (e *env) run(from common.Address, value *uint256.Int, input []byte) ([]byte, uint64, error) {
	e.t.Helper()
	const gas = 100_000_000
	ret, left, err := e.reg.Run(e.st, e.info(), from, Address, value, input, gas)
	return ret, gas - left, err
}

// view runs an eth_call in the current block.
func (e *env) view(input []byte) ([]byte, error) {
	e.t.Helper()
	ret, _, err := e.reg.Call(e.st, e.info(), stranger, Address, nil, input, 10_000_000)
	return ret, err
}

// endBlock runs the current block's end-of-block hook and moves to the
// next block.
func (e *env) endBlock() {
	e.t.Helper()
	for _, o := range e.reg.EndBlock(e.st, e.info()) {
		if o.Err != nil {
			e.t.Fatalf("end of L1 block %d: %v", e.block, o.Err)
		}
		if o.GasUsed > EndBlockGasBudget {
			e.t.Fatalf("end of L1 block %d used %d gas", e.block, o.GasUsed)
		}
	}
	e.block++
}

// advanceTo finishes blocks until the current block is n.
func (e *env) advanceTo(n uint64) {
	e.t.Helper()
	for e.block < n {
		e.endBlock()
	}
}

func (e *env) bond(amount *uint256.Int) {
	e.t.Helper()
	if _, _, err := e.run(sequencer, amount, PackBond()); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) head() protocol.Head {
	e.t.Helper()
	h, err := ReadLastAccepted(e.st)
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

func (e *env) root() common.Hash { return e.st.IntermediateRoot(statedb.Rules()) }

// l2Key signs the test's L2 transactions.
var l2Key, _ = crypto.ToECDSA(common.LeftPadBytes([]byte{7}, 32))

// l2Tx is a signed L2 transfer.
func l2Tx(nonce uint64) *types.Transaction {
	tx, err := types.SignNewTx(l2Key, types.LatestSignerForChainID(big.NewInt(1338)), &types.DynamicFeeTx{
		ChainID: big.NewInt(1338), Nonce: nonce, Gas: 21_000, To: &common.Address{9},
		Value: big.NewInt(1), GasFeeCap: big.NewInt(1e9), GasTipCap: big.NewInt(1)})
	if err != nil {
		panic(err) // a fixed key and a valid transaction
	}
	return tx
}

func l2Hash(n block.L2Number) common.Hash {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(n))
	return crypto.Keccak256Hash([]byte("test L2"), b[:])
}

// nextBatch returns a batch of n blocks after the last accepted one, each
// with ntx transactions, the origin advancing by one every other block
// (never past the current L1 block's parent) and times at the origins'.
func (e *env) nextBatch(n, ntx int) *protocol.Batch { return e.nextBatchEvery(n, ntx, 2) }

// nextBatchEvery is nextBatch with the origin advancing every every
// blocks.
func (e *env) nextBatchEvery(n, ntx, every int) *protocol.Batch {
	e.t.Helper()
	h := e.head()
	b := &protocol.Batch{ParentHash: h.Hash}
	p := h
	for i := range n {
		o := p.Origin
		if i%every == 0 && uint64(o)+1 < e.block {
			o++
		}
		blk := protocol.Block{Number: p.Number + 1, Origin: o, Time: max(p.Time, l1Time(uint64(o))),
			StateRoot: crypto.Keccak256Hash([]byte("state"), l2Hash(p.Number+1).Bytes()), BlockHash: l2Hash(p.Number + 1)}
		for j := range ntx {
			blk.Transactions = append(blk.Transactions, l2Tx(uint64(j)))
		}
		b.Blocks = append(b.Blocks, blk)
		p = protocol.Head{Number: blk.Number, Hash: blk.BlockHash, Time: blk.Time, Origin: blk.Origin}
	}
	return b
}

// submit posts b from the sequencer in the current block.
func (e *env) submit(b *protocol.Batch) ([]byte, uint64, error) {
	e.t.Helper()
	return e.run(sequencer, nil, PackSubmitBatch(encode(e.t, b)))
}

func (e *env) mustSubmit(b *protocol.Batch) uint64 {
	e.t.Helper()
	ret, _, err := e.submit(b)
	if err != nil {
		e.t.Fatalf("batch of blocks %d-%d refused: %v", b.Blocks[0].Number, b.Blocks[len(b.Blocks)-1].Number, err)
	}
	index, err := UnpackSubmitBatch(ret)
	if err != nil {
		e.t.Fatal(err)
	}
	return index
}

// encode encodes b with rollup/batch, as the batcher does.
func encode(t testing.TB, b *protocol.Batch) []byte {
	t.Helper()
	encoderOnce.Do(func() { testEncoder, encoderErr = batch.NewEncoder() })
	if encoderErr != nil {
		t.Fatal(encoderErr)
	}
	data, err := testEncoder.Encode(b)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// One encoder for the tests: each holds tens of megabytes.
var (
	encoderOnce sync.Once
	testEncoder *batch.Encoder
	encoderErr  error
)

// expectedRoot computes a batch's Merkle root from the definitions, with
// the test L1's hashes.
func expectedRoot(t testing.TB, b *protocol.Batch) common.Hash {
	t.Helper()
	var leaves []common.Hash
	for _, blk := range b.Blocks {
		wroot, err := protocol.WithdrawalsRoot(blk.Withdrawals)
		if err != nil {
			t.Fatal(err)
		}
		in := protocol.InputsHash(blk.Number, blk.Time, protocol.L1ID{Number: blk.Origin, Hash: l1Hash(uint64(blk.Origin))}, blk.Transactions)
		leaves = append(leaves, protocol.Leaf(in, protocol.OutputRoot(blk.StateRoot, wroot, blk.BlockHash)))
	}
	return protocol.MerkleRoot(leaves)
}
