package contract

import (
	"crypto/ecdsa"
	"encoding/binary"
	"log/slog"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/core/genesis"
	rollupconfig "github.com/bilayer/bilayer/rollup/config"
	"github.com/bilayer/bilayer/rollup/l2chain"
	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/bilayer/bilayer/store/memdb"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

// l2env is the test L1 (env) with the bridge registered, and a real L2
// chain (rollup/l2chain over memdb) from the same rollup config: its
// blocks are executed with core/execution, posted as batches (honestly or
// not) and challenged with real fraud proofs.
type l2env struct {
	*env
	chain  *l2chain.Chain
	keys   []*ecdsa.PrivateKey
	addrs  []common.Address
	nonces []uint64
	// others are funded L2 accounts without keys: transfer recipients.
	others []common.Address
	next   int
	rng    *rand.Rand
}

// key derives the test's L2 key i.
func key(i int) *ecdsa.PrivateKey {
	var seed [8]byte
	binary.BigEndian.PutUint64(seed[:], uint64(i)+1)
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte("fraud test key"), seed[:]))
	if err != nil {
		panic(err) // a keccak output is a valid key with overwhelming probability
	}
	return k
}

// newL2Env funds nkeys keyed accounts (100 ETH) and nothers recipients
// (1 ETH) on L2, backed by the L1 bridge, with txCap transactions per L2
// block.
func newL2Env(t testing.TB, nkeys, nothers int, txCap uint64) *l2env {
	t.Helper()
	f := &l2env{rng: rand.New(rand.NewPCG(uint64(nkeys), uint64(nothers)))}
	g := testGenesis()
	g.Rollup.MaxTxsPerBlock = txCap
	g.Rollup.L2Alloc = map[common.Address]genesis.Account{}
	total := new(big.Int)
	for i := range nkeys {
		k := key(i)
		a := crypto.PubkeyToAddress(k.PublicKey)
		f.keys, f.addrs, f.nonces = append(f.keys, k), append(f.addrs, a), append(f.nonces, 0)
		g.Rollup.L2Alloc[a] = genesis.Account{Balance: genesis.Ether(100)}
		total.Add(total, genesis.Ether(100).Big())
	}
	for i := range nothers {
		a := common.BytesToAddress(crypto.Keccak256([]byte("recipient"), binary.BigEndian.AppendUint64(nil, uint64(i))))
		f.others = append(f.others, a)
		g.Rollup.L2Alloc[a] = genesis.Account{Balance: genesis.Ether(1)}
		total.Add(total, genesis.Ether(1).Big())
	}
	g.Alloc[rollupconfig.BridgeAddress] = genesis.Account{Balance: genesis.NewAmount(total)}
	br, err := bridge.New(bridge.Config{Payer: Address})
	if err != nil {
		t.Fatal(err)
	}
	f.env = newEnvWith(t, g, br)
	// The L2 side knows the L1 genesis hash, as the sequencer does.
	l2cfg, err := rollupconfig.FromGenesis(g, l1Hash(0))
	if err != nil {
		t.Fatal(err)
	}
	f.chain, err = l2chain.Open(memdb.New(), l2cfg.ExecutionConfig(), nil,
		l2chain.Genesis{Alloc: l2cfg.L2GenesisAlloc(), Block: l2cfg.L2GenesisBlock}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.chain.Close() })
	if got, want := f.chain.GenesisHash(), f.c.L2GenesisHash(l1Hash(0)); got != want {
		t.Fatalf("L2 genesis %s, the contract's %s", got, want)
	}
	return f
}

// deposit deposits amount wei from stranger to the L2 account to, in the
// current L1 block.
func (f *l2env) deposit(to common.Address, amount *uint256.Int) {
	f.t.Helper()
	if _, _, err := f.reg.Run(f.st, f.info(), stranger, bridge.Address, amount, bridge.PackDeposit(to), 1_000_000); err != nil {
		f.t.Fatal(err)
	}
}

// transfers returns k signed L2 transfers, round-robin over the keys, to
// random recipients (keyed accounts and others alike).
func (f *l2env) transfers(k int) types.Transactions {
	f.t.Helper()
	signer := types.LatestSignerForChainID(big.NewInt(1338))
	var txs types.Transactions
	for range k {
		i := f.next % len(f.keys)
		f.next++
		to := f.addrs[f.rng.IntN(len(f.addrs))]
		if len(f.others) > 0 && f.rng.IntN(2) == 0 {
			to = f.others[f.rng.IntN(len(f.others))]
		}
		tx, err := types.SignNewTx(f.keys[i], signer, &types.DynamicFeeTx{
			ChainID: big.NewInt(1338), Nonce: f.nonces[i], Gas: 21_000, To: &to,
			Value: big.NewInt(1e9 + int64(f.rng.IntN(1000))), GasFeeCap: big.NewInt(100e9), GasTipCap: big.NewInt(1)})
		if err != nil {
			f.t.Fatal(err)
		}
		f.nonces[i]++
		txs = append(txs, tx)
	}
	return txs
}

// l2Block executes and commits the next L2 block at origin o (applying
// o's bridge operations if it advances), at the time of its parent or
// origin, with txs (all of which must be valid).
func (f *l2env) l2Block(o block.L1Number, txs types.Transactions) *block.Block {
	f.t.Helper()
	head := f.chain.Head()
	a := l2chain.Attributes{Time: max(head.Header.Time, l1Time(uint64(o))),
		Origin: block.L1Ref{Number: o, Hash: l1Hash(uint64(o)), BaseFee: l1BaseFee(uint64(o))}, OriginTime: l1Time(uint64(o))}
	if o != head.L2.Origin.Number {
		ops, err := bridge.ReadOperations(f.st, o)
		if err != nil {
			f.t.Fatal(err)
		}
		a.Operations = ops
	}
	ex, err := f.chain.Apply(a, txs)
	if err != nil {
		f.t.Fatal(err)
	}
	if len(ex.Result.Skipped) > 0 {
		f.t.Fatalf("L2 block %d skipped %+v", ex.Block.Number(), ex.Result.Skipped)
	}
	if err := f.chain.Commit(ex); err != nil {
		f.t.Fatal(err)
	}
	return ex.Block
}

// l2 returns the own L2 block n.
func (f *l2env) l2(n block.L2Number) *block.Block {
	f.t.Helper()
	b, err := f.chain.BlockByNumber(n)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// claims returns the honest batch of own blocks from to last.
func (f *l2env) claims(from, last block.L2Number) *protocol.Batch {
	f.t.Helper()
	b := &protocol.Batch{ParentHash: f.l2(from - 1).Hash()}
	for n := from; n <= last; n++ {
		x := f.l2(n)
		ws, err := f.chain.Withdrawals(x) // nil when the block initiated none
		if err != nil {
			f.t.Fatal(err)
		}
		b.Blocks = append(b.Blocks, protocol.Block{Number: n, Time: x.Header.Time, Origin: x.L2.Origin.Number,
			Transactions: x.Transactions, StateRoot: x.Header.Root, BlockHash: x.Hash(), Withdrawals: ws})
	}
	return b
}

// testOrigins is the test L1's origin lookup.
func testOrigins(n block.L1Number) (common.Hash, uint64, bool) {
	return l1Hash(uint64(n)), l1Time(uint64(n)), true
}

// witness re-executes the posted block pos on the own state of its parent,
// collecting the witness, as the challenger does.
func (f *l2env) witness(pos *protocol.Block) []byte {
	f.t.Helper()
	parent, own := f.l2(pos.Number-1), f.l2(pos.Number)
	cfg := f.chain.Config()
	header, err := execution.NextL2Header(cfg, parent.Header, pos.Time)
	if err != nil {
		f.t.Fatal(err)
	}
	sdb, err := f.chain.StateAt(pos.Number - 1)
	if err != nil {
		f.t.Fatal(err)
	}
	reg, err := cfg.L2.SystemContracts() // the withdrawal queue, as the chain runs it
	if err != nil {
		f.t.Fatal(err)
	}
	res, err := execution.ApplyBlock(cfg, sdb, header, pos.Transactions, reg, execution.SkipInvalid,
		execution.Options{CollectWitness: true, L2: own.L2})
	if err != nil {
		f.t.Fatal(err)
	}
	enc, err := res.Witness.Encode()
	if err != nil {
		f.t.Fatal(err)
	}
	return enc
}

// blockOf returns block n of b.
func blockOf(t testing.TB, b *protocol.Batch, n block.L2Number) *protocol.Block {
	t.Helper()
	for i := range b.Blocks {
		if b.Blocks[i].Number == n {
			return &b.Blocks[i]
		}
	}
	t.Fatalf("L2 block %d is not in the batch", n)
	return nil
}

// proof builds the fraud proof against block n posted in b, its parent
// posted in pb, with the own parent and a witness from re-execution.
func (f *l2env) proof(n block.L2Number, b, pb *protocol.Batch) (*protocol.FraudProof, error) {
	f.t.Helper()
	parent := f.l2(n - 1)
	return protocol.BuildFraudProof(protocol.ProofInputs{Number: n, Batch: b, ParentBatch: pb, Origins: testOrigins,
		ParentHeader: parent.Header, ParentExtras: parent.L2, Witness: f.witness(blockOf(f.t, b, n))})
}

func (f *l2env) mustProof(n block.L2Number, b, pb *protocol.Batch) *protocol.FraudProof {
	f.t.Helper()
	p, err := f.proof(n, b, pb)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func encodeProof(t testing.TB, p *protocol.FraudProof) []byte {
	t.Helper()
	enc, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// challenge sends challenge(n, proof) from stranger in the current block.
func (f *l2env) challenge(n block.L2Number, proof []byte) ([]byte, uint64, error) {
	f.t.Helper()
	return f.run(stranger, nil, PackChallenge(n, proof))
}

// simulate runs challenge(n, proof) as eth_call does: nothing persists.
func (f *l2env) simulate(n block.L2Number, proof []byte) error {
	f.t.Helper()
	_, _, err := f.reg.Call(f.st, f.info(), stranger, Address, nil, PackChallenge(n, proof), 100_000_000)
	return err
}

// supply is the L1 wei held by every account the tests fund or pay.
func (f *l2env) supply() *uint256.Int {
	total := new(uint256.Int)
	for _, a := range []common.Address{sequencer, stranger, Address, bridge.Address} {
		total.Add(total, f.st.GetBalance(a))
	}
	return total
}

// scenario is the common history of the fraud tests: deposits in L1
// blocks 2 and 4; L2 blocks 1–9 with origins 1,2,3,3,3,4,4,4,4 (blocks 2
// and 6 apply the deposits) and transfers; batches of blocks 1–3 and 4–7
// posted in L1 block 5 and 8–9 in block 6, each through mutate first
// (nil: honest). The current L1 block is then 7.
type scenario struct {
	honest, posted [3]*protocol.Batch
}

// scenarioBatches are the blocks of the scenario's three batches.
var scenarioBatches = [3][2]block.L2Number{{1, 3}, {4, 7}, {8, 9}}

func (f *l2env) runScenario(mutate func(s *[3]*protocol.Batch)) *scenario {
	f.t.Helper()
	f.bond(eth(10))
	f.endBlock()
	f.deposit(f.addrs[0], eth(3))
	f.advanceTo(4)
	fresh := common.HexToAddress("0xf2e5")
	f.deposit(fresh, eth(2))
	f.advanceTo(5)
	for i, o := range []block.L1Number{1, 2, 3, 3, 3, 4, 4, 4, 4} {
		f.l2Block(o, f.transfers(1+i%3))
	}
	s := &scenario{}
	for i, r := range scenarioBatches {
		s.honest[i] = f.claims(r[0], r[1])
		s.posted[i] = f.claims(r[0], r[1])
	}
	if mutate != nil {
		mutate(&s.posted)
	}
	f.mustSubmit(s.posted[0])
	f.mustSubmit(s.posted[1])
	f.endBlock()
	f.mustSubmit(s.posted[2])
	f.endBlock()
	return s
}

// batchOf returns which of the scenario's batches holds block n.
func batchOf(n block.L2Number) int {
	for i, r := range scenarioBatches {
		if n >= r[0] && n <= r[1] {
			return i
		}
	}
	return -1
}
