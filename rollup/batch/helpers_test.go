package batch

import (
	"crypto/ecdsa"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/bilayer/bilayer/core/block"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// testChainID is the devnet L2 chain id.
const testChainID = 1338

const gwei = 1_000_000_000

// newRand returns the seeded generator every test draws from.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x62617463680a)) }

// newKeys derives n secp256k1 keys from the generator.
func newKeys(t testing.TB, rng *rand.Rand, n int) []*ecdsa.PrivateKey {
	t.Helper()
	keys := make([]*ecdsa.PrivateKey, n)
	for i := range keys {
		for {
			var seed [32]byte
			for j := range seed {
				seed[j] = byte(rng.Uint32())
			}
			k, err := crypto.ToECDSA(seed[:])
			if err == nil {
				keys[i] = k
				break
			}
		}
	}
	return keys
}

func randAddress(rng *rand.Rand) (a common.Address) {
	for i := range a {
		a[i] = byte(rng.Uint32())
	}
	return a
}

func randHash(rng *rand.Rand) (h common.Hash) {
	for i := range h {
		h[i] = byte(rng.Uint32())
	}
	return h
}

// randBig returns a number of up to bits bits, biased towards the edges:
// zero, one, round decimals, all ones.
func randBig(rng *rand.Rand, bits int) *big.Int {
	switch rng.IntN(8) {
	case 0:
		return new(big.Int)
	case 1:
		return big.NewInt(1)
	case 2: // round: m × 10^e
		v := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(rng.IntN(60))), nil)
		v.Mul(v, big.NewInt(int64(rng.IntN(1000)+1)))
		if v.BitLen() > bits {
			return big.NewInt(10)
		}
		return v
	case 3: // 2^bits - 1
		v := new(big.Int).Lsh(big.NewInt(1), uint(bits))
		return v.Sub(v, big.NewInt(1))
	}
	n := rng.IntN(bits) + 1
	v := new(big.Int)
	for range (n + 63) / 64 {
		v.Lsh(v, 64)
		v.Or(v, new(big.Int).SetUint64(rng.Uint64()))
	}
	return v.Rsh(v, uint(((n+63)/64)*64-n))
}

// randTx returns a transaction of a random representable kind and shape:
// signed with a real key, or with random signature values.
func randTx(t testing.TB, rng *rand.Rand, key *ecdsa.PrivateKey) *types.Transaction {
	t.Helper()
	to := randAddress(rng)
	var data []byte
	if rng.IntN(4) == 0 {
		data = make([]byte, rng.IntN(300))
		for i := range data {
			if rng.IntN(2) == 0 {
				data[i] = byte(rng.Uint32())
			}
		}
	}
	nonce := rng.Uint64() >> rng.IntN(64)
	gas := uint64(21000)
	if rng.IntN(3) == 0 {
		gas = rng.Uint64() >> rng.IntN(64)
	}
	chain := big.NewInt(testChainID)
	var inner types.TxData
	switch rng.IntN(3) {
	case 0:
		inner = &types.LegacyTx{Nonce: nonce, GasPrice: randBig(rng, 256), Gas: gas, To: &to, Value: randBig(rng, 256), Data: data}
	case 1:
		inner = &types.AccessListTx{ChainID: chain, Nonce: nonce, GasPrice: randBig(rng, 256), Gas: gas, To: &to, Value: randBig(rng, 256), Data: data}
	default:
		inner = &types.DynamicFeeTx{ChainID: chain, Nonce: nonce, GasTipCap: randBig(rng, 256), GasFeeCap: randBig(rng, 256),
			Gas: gas, To: &to, Value: randBig(rng, 256), Data: data}
	}
	if rng.IntN(2) == 0 {
		tx, err := types.SignNewTx(key, types.LatestSignerForChainID(chain), inner)
		if err != nil {
			t.Fatal(err)
		}
		return tx
	}
	// Random signature values: the format carries any r < 2^256 and
	// s < 2^255, valid or not.
	tx := types.NewTx(inner)
	r, s := randBig(rng, 256), randBig(rng, 255)
	sig := make([]byte, 65)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:64])
	sig[64] = byte(rng.IntN(2))
	tx, err := tx.WithSignature(types.LatestSignerForChainID(chain), sig)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// shape says how randBatch builds a batch.
type shape struct {
	blocks      int
	maxTxs      int // per block
	withdrawals bool
}

// randBatch returns a batch of the shape, with random times, origins,
// roots, transactions and withdrawals.
func randBatch(t testing.TB, rng *rand.Rand, keys []*ecdsa.PrivateKey, sh shape) *Batch {
	t.Helper()
	b := &Batch{ParentHash: randHash(rng), Blocks: make([]Block, sh.blocks)}
	number := block.L2Number(rng.Uint64() >> rng.IntN(64) >> 1)
	tm := rng.Uint64() >> rng.IntN(64) >> 1
	origin := block.L1Number(rng.Uint64() >> rng.IntN(64) >> 1)
	for i := range b.Blocks {
		blk := &b.Blocks[i]
		if i > 0 {
			number++
			if rng.IntN(4) == 0 {
				tm += uint64(rng.IntN(3))
			}
			if rng.IntN(3) == 0 {
				origin++
			}
		}
		blk.Number, blk.Time, blk.Origin = number, tm, origin
		blk.StateRoot, blk.BlockHash = randHash(rng), randHash(rng)
		if sh.maxTxs > 0 {
			for range rng.IntN(sh.maxTxs + 1) {
				blk.Transactions = append(blk.Transactions, randTx(t, rng, keys[rng.IntN(len(keys))]))
			}
		}
		if sh.withdrawals {
			for range rng.IntN(4) {
				blk.Withdrawals = append(blk.Withdrawals, Withdrawal{
					Nonce: rng.Uint64() >> rng.IntN(64), From: randAddress(rng), To: randAddress(rng), Amount: randBig(rng, 256),
				})
			}
		}
	}
	return b
}

// checkSameBatch fails unless got carries exactly what want carries:
// every field, and transactions with the same hashes.
func checkSameBatch(t testing.TB, want, got *Batch) {
	t.Helper()
	if got.ParentHash != want.ParentHash {
		t.Fatalf("parent hash %x, want %x", got.ParentHash, want.ParentHash)
	}
	if len(got.Blocks) != len(want.Blocks) {
		t.Fatalf("%d blocks, want %d", len(got.Blocks), len(want.Blocks))
	}
	for i := range want.Blocks {
		w, g := &want.Blocks[i], &got.Blocks[i]
		if g.Number != w.Number || g.Time != w.Time || g.Origin != w.Origin || g.StateRoot != w.StateRoot || g.BlockHash != w.BlockHash {
			t.Fatalf("block %d: got (%d, %d, %d, %x, %x), want (%d, %d, %d, %x, %x)", i,
				g.Number, g.Time, g.Origin, g.StateRoot, g.BlockHash, w.Number, w.Time, w.Origin, w.StateRoot, w.BlockHash)
		}
		if len(g.Transactions) != len(w.Transactions) {
			t.Fatalf("block %d: %d transactions, want %d", i, len(g.Transactions), len(w.Transactions))
		}
		for j := range w.Transactions {
			if g.Transactions[j].Hash() != w.Transactions[j].Hash() {
				t.Fatalf("block %d transaction %d: hash %x, want %x", i, j, g.Transactions[j].Hash(), w.Transactions[j].Hash())
			}
		}
		if len(g.Withdrawals) != len(w.Withdrawals) {
			t.Fatalf("block %d: %d withdrawals, want %d", i, len(g.Withdrawals), len(w.Withdrawals))
		}
		for j := range w.Withdrawals {
			gw, ww := &g.Withdrawals[j], &w.Withdrawals[j]
			if gw.Nonce != ww.Nonce || gw.From != ww.From || gw.To != ww.To || gw.Amount.Cmp(ww.Amount) != 0 {
				t.Fatalf("block %d withdrawal %d: got %+v, want %+v", i, j, *gw, *ww)
			}
		}
	}
}

// transferProfile says how the size test draws values.
type transferProfile struct {
	name  string
	value func(rng *rand.Rand) *big.Int
}

// transferProfiles are the value distributions the size test measures.
var transferProfiles = []transferProfile{
	// 18 random decimal digits of wei: 0.1 to 1 ETH to the last wei.
	{"random18digits", func(rng *rand.Rand) *big.Int {
		return new(big.Int).SetUint64(1e17 + rng.Uint64N(9e17))
	}},
	// What wallet users type: up to 1 ETH with six decimals (micro-ETH).
	{"walletAmounts", func(rng *rand.Rand) *big.Int {
		v := new(big.Int).SetUint64(1 + rng.Uint64N(999_999))
		return v.Mul(v, big.NewInt(1e12))
	}},
}

// transferBlock returns one block of n signed random-recipient transfers
// from n distinct senders, with the fields a devnet wallet sets: chain
// 1338, a small nonce, 21,000 gas, a 1 gwei tip, a fee cap of 2×baseFee +
// tip for one of a few recent base fees.
func transferBlock(t testing.TB, rng *rand.Rand, keys []*ecdsa.PrivateKey, p transferProfile) *Batch {
	t.Helper()
	chain := big.NewInt(testChainID)
	signer := types.LatestSignerForChainID(chain)
	tip := big.NewInt(gwei)
	// Base fees as the L2's EIP-1559 rule moves them from 1 gwei.
	baseFees := []int64{gwei, 875_000_000, 984_375_000, 861_328_125}
	b := &Batch{ParentHash: randHash(rng), Blocks: []Block{{Number: 1234, Time: 1_750_000_000, Origin: 567, StateRoot: randHash(rng), BlockHash: randHash(rng)}}}
	for _, key := range keys {
		to := randAddress(rng)
		feeCap := big.NewInt(2*baseFees[rng.IntN(len(baseFees))] + gwei)
		tx, err := types.SignNewTx(key, signer, &types.DynamicFeeTx{
			ChainID: chain, Nonce: uint64(rng.IntN(8)), GasTipCap: tip, GasFeeCap: feeCap,
			Gas: 21000, To: &to, Value: p.value(rng),
		})
		if err != nil {
			t.Fatal(err)
		}
		b.Blocks[0].Transactions = append(b.Blocks[0].Transactions, tx)
	}
	return b
}
