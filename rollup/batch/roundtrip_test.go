package batch

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

// roomyLimits are limits no test batch reaches unless it means to.
func roomyLimits() Limits {
	lim := DefaultLimits()
	lim.MaxTxsPerBlock = 10_000
	lim.MaxWithdrawalsPerBlock = 10_000
	return lim
}

// roundTrip encodes b, decodes it, checks the result is b, and checks
// that the payload is canonical: re-encoding the decoded batch writes the
// same payload bytes.
func roundTrip(t *testing.T, enc *Encoder, b *Batch) []byte {
	t.Helper()
	data, err := enc.Encode(b)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	got, err := Decode(data, roomyLimits())
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	checkSameBatch(t, b, got)
	payload, err := decompress(data[1:], roomyLimits().MaxDecompressedBytes)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := encodePayload(got)
	if err != nil {
		t.Fatalf("re-encode: %v", err)
	}
	if again := bytes.Join(parts, nil); !bytes.Equal(again, payload) {
		t.Fatalf("re-encoded payload differs: %d bytes, want %d", len(again), len(payload))
	}
	return data
}

// TestRoundTripRandom round-trips random batches of many shapes: empty
// blocks, single transactions, many small blocks, big blocks, legacy,
// access-list and dynamic-fee transactions signed or with arbitrary
// signature values, edge-case numbers, data, withdrawals.
func TestRoundTripRandom(t *testing.T) {
	enc, err := NewEncoder()
	if err != nil {
		t.Fatal(err)
	}
	shapes := []shape{
		{blocks: 1},
		{blocks: 1, maxTxs: 1},
		{blocks: 2, maxTxs: 3, withdrawals: true},
		{blocks: 9, maxTxs: 2},
		{blocks: 17, maxTxs: 8, withdrawals: true},
		{blocks: 300},
		{blocks: 300, maxTxs: 1, withdrawals: true},
		{blocks: 3, maxTxs: 200, withdrawals: true},
	}
	for seed := range uint64(4) {
		rng := newRand(100 + seed)
		keys := newKeys(t, rng, 8)
		for _, sh := range shapes {
			t.Run(fmt.Sprintf("seed%d/%dx%d", seed, sh.blocks, sh.maxTxs), func(t *testing.T) {
				roundTrip(t, enc, randBatch(t, rng, keys, sh))
			})
		}
	}
}

// TestRoundTripThousandTransfers round-trips blocks of 1,000 signed
// transfers, the devnet's per-block cap, and checks the senders recover.
func TestRoundTripThousandTransfers(t *testing.T) {
	enc, err := NewEncoder()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range transferProfiles {
		t.Run(p.name, func(t *testing.T) {
			rng := newRand(7)
			keys := newKeys(t, rng, transfers)
			b := transferBlock(t, rng, keys, p)
			b.Blocks = append(b.Blocks, transferBlock(t, rng, keys, p).Blocks[0])
			b.Blocks[1].Number = b.Blocks[0].Number + 1
			b.Blocks[1].Time = b.Blocks[0].Time
			b.Blocks[1].Origin = b.Blocks[0].Origin + 1
			data := roundTrip(t, enc, b)
			got, err := Decode(data, DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			signer := types.LatestSignerForChainID(big.NewInt(testChainID))
			for i, tx := range got.Blocks[1].Transactions[:10] {
				from, err := types.Sender(signer, tx)
				if err != nil {
					t.Fatalf("transaction %d: %v", i, err)
				}
				if want := crypto.PubkeyToAddress(keys[i].PublicKey); from != want {
					t.Fatalf("transaction %d: sender %x, want %x", i, from, want)
				}
			}
		})
	}
}

// TestRoundTripEdges round-trips the extremes of every field.
func TestRoundTripEdges(t *testing.T) {
	enc, err := NewEncoder()
	if err != nil {
		t.Fatal(err)
	}
	max256 := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	max255 := new(big.Int).Rsh(max256, 1)
	pow77 := new(big.Int).Exp(big.NewInt(10), big.NewInt(77), nil)
	values := []*big.Int{
		new(big.Int), big.NewInt(1), big.NewInt(9), big.NewInt(10), big.NewInt(255), big.NewInt(256),
		new(big.Int).SetUint64(math.MaxUint64), new(big.Int).Add(new(big.Int).SetUint64(math.MaxUint64), big.NewInt(1)),
		new(big.Int).SetUint64(10_000_000_000_000_000_000), // 10^19 > 2^63
		pow77, new(big.Int).Add(pow77, big.NewInt(1)), max256, max255,
		new(big.Int).Sub(max256, big.NewInt(5)), // ends in 0
	}
	to := common.Address{0xff}
	var txs []*types.Transaction
	for i, v := range values {
		sig := func(tx types.TxData) *types.Transaction {
			chain := big.NewInt(testChainID)
			s := make([]byte, 65)
			v.FillBytes(s[:32])
			new(big.Int).Rsh(values[(i+1)%len(values)], 1).FillBytes(s[32:64])
			s[64] = byte(i % 2)
			signed, err := types.NewTx(tx).WithSignature(types.LatestSignerForChainID(chain), s)
			if err != nil {
				t.Fatal(err)
			}
			return signed
		}
		w := values[(i+5)%len(values)]
		txs = append(txs,
			sig(&types.LegacyTx{Nonce: math.MaxUint64, GasPrice: v, Gas: math.MaxUint64, To: &to, Value: w, Data: []byte{0}}),
			sig(&types.AccessListTx{ChainID: big.NewInt(testChainID), GasPrice: w, To: &to, Value: v, AccessList: types.AccessList{}}),
			sig(&types.DynamicFeeTx{ChainID: big.NewInt(testChainID), Nonce: uint64(i), GasTipCap: v, GasFeeCap: w, Gas: 21000, To: &to, Value: v}),
		)
	}
	b := &Batch{
		ParentHash: common.Hash{0xff},
		Blocks: []Block{
			{Number: math.MaxUint64 - 2, Time: math.MaxUint64 - 1, Origin: math.MaxUint64 - 1, Transactions: txs},
			{Number: math.MaxUint64 - 1, Time: math.MaxUint64 - 1, Origin: math.MaxUint64,
				Withdrawals: []Withdrawal{{Nonce: math.MaxUint64, Amount: max256}, {Amount: new(big.Int)}}},
			{Number: math.MaxUint64, Time: math.MaxUint64, Origin: math.MaxUint64, StateRoot: common.Hash{1}, BlockHash: common.Hash{2}},
		},
	}
	roundTrip(t, enc, b)

	// Chain ids: the smallest and the largest a batch carries, legacy
	// and typed.
	for _, id := range []uint64{1, math.MaxUint64} {
		chain := new(big.Int).SetUint64(id)
		key, _ := crypto.ToECDSA(bytes.Repeat([]byte{7}, 32))
		signer := types.LatestSignerForChainID(chain)
		legacy, err := types.SignNewTx(key, signer, &types.LegacyTx{To: &to, Value: big.NewInt(1)})
		if err != nil {
			t.Fatal(err)
		}
		dynamic, err := types.SignNewTx(key, signer, &types.DynamicFeeTx{ChainID: chain, To: &to})
		if err != nil {
			t.Fatal(err)
		}
		roundTrip(t, enc, &Batch{Blocks: []Block{{Transactions: []*types.Transaction{legacy, dynamic}}}})
	}
}

// TestDecimalForm checks splitDecimal and decodeDecimal against a naive
// definition: v = m × 10^e with e maximal, for random and edge numbers.
func TestDecimalForm(t *testing.T) {
	rng := newRand(3)
	for i := range 20_000 {
		v := randBig(rng, 256)
		if i%3 == 0 { // many trailing zeros
			v = new(big.Int).Mul(new(big.Int).SetUint64(rng.Uint64N(1000)), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(rng.IntN(60))), nil))
			if v.BitLen() > 256 {
				continue
			}
		}
		var buf [maxMantissa]byte
		exp, mant, err := splitDecimal(v, &buf)
		if err != nil {
			t.Fatalf("%v: %v", v, err)
		}
		// Naive: strip decimal zeros one by one.
		m, e := new(big.Int).Set(v), 0
		for m.Sign() > 0 && new(big.Int).Mod(m, big.NewInt(10)).Sign() == 0 {
			m.Div(m, big.NewInt(10))
			e++
		}
		if int(exp) != e || !bytes.Equal(mant, m.Bytes()) {
			t.Fatalf("%v: got (%x, %d), want (%x, %d)", v, mant, exp, m.Bytes(), e)
		}
		got := new(big.Int)
		if err := decodeDecimal(got, exp, mant); err != nil || got.Cmp(v) != 0 {
			t.Fatalf("%v: decoded %v, %v", v, got, err)
		}
	}
	var u uint256.Int
	u.SetAllOne()
	if _, _, err := splitDecimal(new(big.Int).Add(u.ToBig(), big.NewInt(1)), new([maxMantissa]byte)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("2^256: %v", err)
	}
	if _, _, err := splitDecimal(big.NewInt(-1), new([maxMantissa]byte)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("-1: %v", err)
	}
}

// TestMaxTxOverhead checks maxTxOverhead against the largest transaction
// of each type the format carries.
func TestMaxTxOverhead(t *testing.T) {
	max256 := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	max255 := new(big.Int).Rsh(max256, 1)
	maxChain := new(big.Int).SetUint64(math.MaxUint64)
	legacyV := new(big.Int).Add(new(big.Int).Lsh(maxChain, 1), big.NewInt(36))
	to := common.Address{1}
	data := make([]byte, 1<<16)
	for _, inner := range []types.TxData{
		&types.LegacyTx{Nonce: math.MaxUint64, GasPrice: max256, Gas: math.MaxUint64, To: &to, Value: max256, Data: data, V: legacyV, R: max256, S: max255},
		&types.AccessListTx{ChainID: maxChain, Nonce: math.MaxUint64, GasPrice: max256, Gas: math.MaxUint64, To: &to, Value: max256, Data: data, V: big.NewInt(1), R: max256, S: max255},
		&types.DynamicFeeTx{ChainID: maxChain, Nonce: math.MaxUint64, GasTipCap: max256, GasFeeCap: max256, Gas: math.MaxUint64, To: &to, Value: max256, Data: data, V: big.NewInt(1), R: max256, S: max255},
	} {
		tx := types.NewTx(inner)
		if over := int(tx.Size()) - len(data); over > maxTxOverhead {
			t.Errorf("type %d: %d bytes besides data > %d", tx.Type(), over, maxTxOverhead)
		}
	}
}

// TestLimitsCheck checks that Limits.Check refuses what Decode would
// refuse for counts and sizes, and accepts the rest.
func TestLimitsCheck(t *testing.T) {
	rng := newRand(5)
	b := randBatch(t, rng, newKeys(t, rng, 2), shape{blocks: 4, maxTxs: 6, withdrawals: true})
	data, err := Encode(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := roomyLimits().Check(b); err != nil {
		t.Fatalf("check: %v", err)
	}
	maxTxs, maxWs, maxSize := 0, 0, 0
	for _, blk := range b.Blocks {
		maxTxs = max(maxTxs, len(blk.Transactions))
		maxWs = max(maxWs, len(blk.Withdrawals))
		for _, tx := range blk.Transactions {
			maxSize = max(maxSize, int(tx.Size()))
		}
	}
	for _, c := range []struct {
		set  func(*Limits)
		want error
	}{
		{func(l *Limits) { l.MaxBlocks = len(b.Blocks) - 1 }, ErrTooManyBlocks},
		{func(l *Limits) { l.MaxTxsPerBlock = maxTxs - 1 }, ErrTooManyTxs},
		{func(l *Limits) { l.MaxWithdrawalsPerBlock = maxWs - 1 }, ErrTooManyWithdrawals},
		{func(l *Limits) { l.MaxTxSize = maxSize - 1 }, ErrTxTooLarge},
		{func(l *Limits) { l.MaxBlocks = 0 }, ErrInvalidLimits},
	} {
		lim := roomyLimits()
		c.set(&lim)
		if err := lim.Check(b); !errors.Is(err, c.want) {
			t.Errorf("check: %v, want %v", err, c.want)
		}
		if _, err := Decode(data, lim); !errors.Is(err, c.want) {
			t.Errorf("decode: %v, want %v", err, c.want)
		}
	}
	if err := roomyLimits().Check(nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("nil batch: %v", err)
	}
}

// TestEncodeRefuses checks that Encode refuses, with the right sentinel,
// every batch the format cannot represent.
func TestEncodeRefuses(t *testing.T) {
	chain := big.NewInt(testChainID)
	key, _ := crypto.ToECDSA(bytes.Repeat([]byte{9}, 32))
	signer := types.LatestSignerForChainID(chain)
	to := common.Address{2}
	sign := func(inner types.TxData) *types.Transaction {
		tx, err := types.SignNewTx(key, signer, inner)
		if err != nil {
			t.Fatal(err)
		}
		return tx
	}
	withSig := func(inner types.TxData, v, r, s *big.Int) *types.Transaction {
		switch tx := inner.(type) {
		case *types.LegacyTx:
			tx.V, tx.R, tx.S = v, r, s
		case *types.DynamicFeeTx:
			tx.V, tx.R, tx.S = v, r, s
		}
		return types.NewTx(inner)
	}
	unprotected, err := types.SignNewTx(key, types.HomesteadSigner{}, &types.LegacyTx{To: &to})
	if err != nil {
		t.Fatal(err)
	}
	huge := new(big.Int).Lsh(big.NewInt(1), 256)
	good := sign(&types.DynamicFeeTx{ChainID: chain, To: &to, Gas: 21000})
	txBatch := func(txs ...*types.Transaction) *Batch {
		return &Batch{Blocks: []Block{{Number: 1, Transactions: txs}}}
	}
	cases := []struct {
		name string
		b    *Batch
		want error
	}{
		{"nil batch", nil, ErrMalformed},
		{"no blocks", &Batch{}, ErrMalformed},
		{"number gap", &Batch{Blocks: []Block{{Number: 1}, {Number: 3}}}, ErrNotConsecutive},
		{"number repeated", &Batch{Blocks: []Block{{Number: 1}, {Number: 1}}}, ErrNotConsecutive},
		{"number wraps", &Batch{Blocks: []Block{{Number: math.MaxUint64}, {Number: 0}}}, ErrNotConsecutive},
		{"time decreases", &Batch{Blocks: []Block{{Number: 1, Time: 5}, {Number: 2, Time: 4}}}, ErrTimeDecreasing},
		{"origin skips", &Batch{Blocks: []Block{{Number: 1, Origin: 5}, {Number: 2, Origin: 7}}}, ErrOriginJump},
		{"origin decreases", &Batch{Blocks: []Block{{Number: 1, Origin: 5}, {Number: 2, Origin: 4}}}, ErrOriginJump},
		{"origin wraps", &Batch{Blocks: []Block{{Number: 1, Origin: math.MaxUint64}, {Number: 2, Origin: 0}}}, ErrOriginJump},
		{"nil transaction", txBatch(good, nil), ErrMalformed},
		{"nil withdrawal amount", &Batch{Blocks: []Block{{Withdrawals: []Withdrawal{{}}}}}, ErrMalformed},
		{"negative withdrawal amount", &Batch{Blocks: []Block{{Withdrawals: []Withdrawal{{Amount: big.NewInt(-1)}}}}}, ErrMalformed},
		{"huge withdrawal amount", &Batch{Blocks: []Block{{Withdrawals: []Withdrawal{{Amount: huge}}}}}, ErrMalformed},
		{"contract creation", txBatch(sign(&types.DynamicFeeTx{ChainID: chain})), ErrUnsupportedTx},
		{"access list", txBatch(sign(&types.AccessListTx{ChainID: chain, To: &to,
			AccessList: types.AccessList{{Address: to}}})), ErrUnsupportedTx},
		{"dynamic access list", txBatch(sign(&types.DynamicFeeTx{ChainID: chain, To: &to,
			AccessList: types.AccessList{{Address: to, StorageKeys: []common.Hash{{}}}}})), ErrUnsupportedTx},
		{"blob", txBatch(types.NewTx(&types.BlobTx{ChainID: uint256.NewInt(testChainID), To: to})), ErrUnsupportedTx},
		{"set code", txBatch(types.NewTx(&types.SetCodeTx{ChainID: uint256.NewInt(testChainID), To: to})), ErrUnsupportedTx},
		{"unprotected legacy", txBatch(unprotected), ErrUnsupportedTx},
		{"legacy v 27", txBatch(withSig(&types.LegacyTx{To: &to}, big.NewInt(27), big.NewInt(1), big.NewInt(1))), ErrUnsupportedTx},
		{"legacy chain id 0", txBatch(withSig(&types.LegacyTx{To: &to}, big.NewInt(35), big.NewInt(1), big.NewInt(1))), ErrUnsupportedTx},
		{"legacy chain id above 64 bits", txBatch(withSig(&types.LegacyTx{To: &to}, new(big.Int).Lsh(big.NewInt(1), 80), big.NewInt(1), big.NewInt(1))), ErrUnsupportedTx},
		{"typed chain id 0", txBatch(withSig(&types.DynamicFeeTx{ChainID: new(big.Int), To: &to}, big.NewInt(0), big.NewInt(1), big.NewInt(1))), ErrUnsupportedTx},
		{"typed chain id above 64 bits", txBatch(withSig(&types.DynamicFeeTx{ChainID: huge, To: &to}, big.NewInt(0), big.NewInt(1), big.NewInt(1))), ErrUnsupportedTx},
		{"mixed chain ids", txBatch(good, sign(&types.DynamicFeeTx{ChainID: chain, To: &to}),
			types.NewTx(&types.DynamicFeeTx{ChainID: big.NewInt(1), To: &to})), ErrUnsupportedTx},
		{"y parity 2", txBatch(withSig(&types.DynamicFeeTx{ChainID: chain, To: &to}, big.NewInt(2), big.NewInt(1), big.NewInt(1))), ErrUnsupportedTx},
		{"s at 2^255", txBatch(withSig(&types.DynamicFeeTx{ChainID: chain, To: &to}, big.NewInt(0), big.NewInt(1), new(big.Int).Lsh(big.NewInt(1), 255))), ErrUnsupportedTx},
		{"r at 2^256", txBatch(withSig(&types.DynamicFeeTx{ChainID: chain, To: &to}, big.NewInt(0), huge, big.NewInt(1))), ErrUnsupportedTx},
		{"value at 2^256", txBatch(sign(&types.DynamicFeeTx{ChainID: chain, To: &to, Value: huge})), ErrUnsupportedTx},
		{"tip at 2^256", txBatch(sign(&types.DynamicFeeTx{ChainID: chain, To: &to, GasTipCap: huge})), ErrUnsupportedTx},
		{"fee cap at 2^256", txBatch(sign(&types.DynamicFeeTx{ChainID: chain, To: &to, GasFeeCap: huge})), ErrUnsupportedTx},
		{"gas price at 2^256", txBatch(sign(&types.LegacyTx{To: &to, GasPrice: huge})), ErrUnsupportedTx},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Encode(c.b); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
	// The same batch with the bad transaction left out encodes.
	if _, err := Encode(txBatch(good)); err != nil {
		t.Fatal(err)
	}
}
