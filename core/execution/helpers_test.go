package execution

import (
	"crypto/ecdsa"
	"encoding/binary"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/bilayer/bilayer/core/statedb"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/core/syscontract/example"
)

var (
	testChainID  = big.NewInt(1337)
	testBaseFee  = big.NewInt(1_000)
	testCoinbase = common.HexToAddress("0xc014ba5e")
	counterAddr  = common.HexToAddress("0x00000000000000000000000000000000000000e1")
	bigDataAddr  = common.HexToAddress("0x00000000000000000000000000000000000000e2")
	ether        = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
)

const testGasLimit = 30_000_000

// testKey derives a deterministic key from an index.
func testKey(i uint64) *ecdsa.PrivateKey {
	var seed [8]byte
	binary.BigEndian.PutUint64(seed[:], i+1)
	k, err := crypto.ToECDSA(crypto.Keccak256(seed[:]))
	if err != nil {
		panic(err) // keccak output is a valid key with overwhelming probability
	}
	return k
}

func addrOf(k *ecdsa.PrivateKey) common.Address { return crypto.PubkeyToAddress(k.PublicKey) }

type env struct {
	t       testing.TB
	cfg     Config
	db      *statedb.DB
	root    common.Hash
	reg     *syscontract.Registry
	counter *example.Counter
	signer  types.Signer
	keys    []*ecdsa.PrivateKey
}

// newEnv funds n keys with 1 ether each in a fresh in-memory database and
// registers two Counters: one with the default calldata limit, one with 4 MiB.
func newEnv(t testing.TB, n int) *env {
	t.Helper()
	counter, err := example.New(example.Config{Address: counterAddr, EndBlockGas: 50_000})
	if err != nil {
		t.Fatal(err)
	}
	large, err := example.New(example.Config{Address: bigDataAddr, MaxCallDataSize: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := syscontract.NewRegistry(counter, large)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, cfg: DefaultConfig(testChainID), db: statedb.New(rawdb.NewMemoryDatabase()),
		reg: reg, counter: counter, signer: Signer(testChainID)}
	alloc := reg.Accounts()
	for i := 0; i < n; i++ {
		k := testKey(uint64(i))
		e.keys = append(e.keys, k)
		alloc[addrOf(k)] = types.Account{Balance: new(big.Int).Set(ether)}
	}
	if e.root, err = e.db.ApplyAlloc(alloc); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) state() *state.StateDB {
	e.t.Helper()
	sdb, err := e.db.StateAt(e.root)
	if err != nil {
		e.t.Fatal(err)
	}
	return sdb
}

func (e *env) header(number int64) *types.Header {
	return &types.Header{Number: big.NewInt(number), Time: uint64(number) * 2, Coinbase: testCoinbase,
		GasLimit: testGasLimit, BaseFee: new(big.Int).Set(testBaseFee)}
}

// dyn signs a dynamic-fee transaction from key i.
func (e *env) dyn(i int, nonce uint64, to *common.Address, value *big.Int, gas uint64, data []byte) *types.Transaction {
	return e.sign(i, &types.DynamicFeeTx{ChainID: testChainID, Nonce: nonce, GasTipCap: big.NewInt(2), GasFeeCap: big.NewInt(5_000),
		Gas: gas, To: to, Value: value, Data: data})
}

func (e *env) sign(i int, inner types.TxData) *types.Transaction {
	tx, err := types.SignNewTx(e.keys[i], e.signer, inner)
	if err != nil {
		e.t.Fatal(err)
	}
	return tx
}

func (e *env) pack(method string, args ...any) []byte {
	data, err := e.counter.ABI().Pack(method, args...)
	if err != nil {
		e.t.Fatal(err)
	}
	return data
}

func ptr(a common.Address) *common.Address { return &a }
