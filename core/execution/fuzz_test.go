package execution

import (
	"encoding/binary"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"
)

// seedTxs returns encodings of valid transactions of every accepted type,
// plus refused types, to seed the fuzzers.
func seedTxs(e *env) [][]byte {
	to := common.HexToAddress("0xb0b")
	txs := []*types.Transaction{
		e.dyn(0, 0, &to, big.NewInt(1), TxGas, nil),
		e.dyn(0, 0, &counterAddr, big.NewInt(1), 100_000, e.pack("deposit")),
		e.dyn(1, 0, &counterAddr, nil, 100_000, e.pack("increment", big.NewInt(3))),
		e.dyn(1, 1, &counterAddr, nil, 100_000, e.pack("spin", big.NewInt(50))),
		e.sign(0, &types.LegacyTx{Nonce: 1, Gas: TxGas, GasPrice: big.NewInt(2000), To: &to, Value: big.NewInt(2)}),
		e.sign(1, &types.AccessListTx{ChainID: testChainID, Nonce: 2, Gas: TxGas, GasPrice: big.NewInt(2000), To: &to}),
	}
	var out [][]byte
	for _, tx := range txs {
		b, err := tx.MarshalBinary()
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzDecodeTransaction feeds arbitrary bytes to the transaction decoder
// and, when they decode, to every validation step and ApplyTx: nothing may
// panic, and an invalid verdict must be an *InvalidTxError.
func FuzzDecodeTransaction(f *testing.F) {
	base := newEnv(f, 2)
	for _, s := range seedTxs(base) {
		f.Add(s)
	}
	f.Add([]byte{0x02, 0xc0})
	f.Add([]byte{0x03})
	f.Fuzz(func(t *testing.T, data []byte) {
		e := *base // same database, this iteration's *testing.T
		e.t = t
		var tx types.Transaction
		if err := tx.UnmarshalBinary(data); err != nil {
			return
		}
		from, err := CheckTx(e.cfg, e.signer, e.reg, &tx, testBaseFee, testGasLimit)
		if err != nil {
			if !IsInvalidTx(err) {
				t.Fatalf("CheckTx error is not an InvalidTxError: %v", err)
			}
			return
		}
		sdb := e.state()
		if err := CheckState(sdb, &tx, from); err != nil && !IsInvalidTx(err) {
			t.Fatalf("CheckState error is not an InvalidTxError: %v", err)
		}
		x, err := NewBlockExecutor(e.cfg, sdb, e.header(1), e.reg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := x.ApplyTx(&tx); err != nil && !IsInvalidTx(err) {
			t.Fatalf("ApplyTx: %v", err)
		}
	})
}

// FuzzApplyBlock runs blocks of arbitrary transaction bytes (an RLP list of
// encodings) and of transactions signed from fuzzed parameters through
// ApplyBlock with SkipInvalid: no panic, no error, and the same roots when
// run twice on fresh states. Input layout: a 2-byte length n, n bytes of
// RLP-encoded transactions, then 20-byte parameter chunks.
//
// Run it with -fuzzminimizetime 0: go-ethereum's StateDB iterates maps and
// hashes in goroutines, so coverage differs between runs of one input and
// the minimizer never settles (the fuzzer then sits in minimization and
// reports no progress).
func FuzzApplyBlock(f *testing.F) {
	base := newEnv(f, 4)
	enc, err := rlp.EncodeToBytes(seedTxs(base))
	if err != nil {
		f.Fatal(err)
	}
	params := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}
	f.Add(append(append(binary.BigEndian.AppendUint16(nil, uint16(len(enc))), enc...), params...))
	f.Add([]byte{0, 1, 0xc0})
	f.Fuzz(func(t *testing.T, data []byte) {
		e := *base // same database, this iteration's *testing.T
		e.t = t
		raw, params := splitFuzzInput(data)
		var blobs [][]byte
		if err := rlp.DecodeBytes(raw, &blobs); err != nil {
			blobs = nil
		}
		var txs []*types.Transaction
		for _, b := range blobs {
			tx := new(types.Transaction)
			if tx.UnmarshalBinary(b) == nil {
				txs = append(txs, tx)
			}
		}
		txs = append(txs, signedFromParams(&e, params)...)
		a, err := ApplyBlock(e.cfg, e.state(), e.header(1), txs, e.reg, SkipInvalid, Options{})
		if err != nil {
			t.Fatalf("ApplyBlock: %v", err)
		}
		b, err := ApplyBlock(e.cfg, e.state(), e.header(1), txs, e.reg, SkipInvalid, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if a.StateRoot != b.StateRoot || a.ReceiptsRoot != b.ReceiptsRoot || len(a.Transactions)+len(a.Skipped) != len(txs) {
			t.Fatal("non-deterministic block or lost transactions")
		}
	})
}

func splitFuzzInput(data []byte) (raw, params []byte) {
	if len(data) < 2 {
		return nil, nil
	}
	n := int(binary.BigEndian.Uint16(data))
	data = data[2:]
	n = min(n, len(data))
	return data[:n], data[n:]
}

// signedFromParams turns each 20-byte chunk of p into a signed transaction:
// key, nonce, recipient kind, method, value, gas and fee are all fuzzed.
func signedFromParams(e *env, p []byte) []*types.Transaction {
	methods := []string{"increment", "deposit", "withdraw", "fail", "spin", "echo", "count"}
	var txs []*types.Transaction
	for len(p) >= 20 && len(txs) < 16 {
		c := p[:20]
		p = p[20:]
		key := int(c[0]) % len(e.keys)
		nonce := uint64(c[1] % 4)
		value := new(big.Int).SetUint64(uint64(binary.BigEndian.Uint32(c[2:6])))
		gas := uint64(binary.BigEndian.Uint32(c[6:10])) % 200_000
		feeCap := big.NewInt(int64(binary.BigEndian.Uint16(c[10:12])))
		tip := big.NewInt(int64(c[12]))
		arg := new(big.Int).SetUint64(uint64(binary.BigEndian.Uint32(c[13:17])))
		var to common.Address
		var data []byte
		switch c[17] % 3 {
		case 0:
			to = common.BytesToAddress(c[18:20])
		case 1:
			to = addrOf(e.keys[int(c[18])%len(e.keys)])
		default:
			to = counterAddr
			data = fuzzCall(e, methods[int(c[18])%len(methods)], arg)
		}
		txs = append(txs, e.sign(key, &types.DynamicFeeTx{ChainID: testChainID, Nonce: nonce, GasTipCap: tip,
			GasFeeCap: feeCap, Gas: gas, To: &to, Value: value, Data: data}))
	}
	return txs
}

func fuzzCall(e *env, method string, arg *big.Int) []byte {
	switch method {
	case "increment", "withdraw", "spin":
		return e.pack(method, arg)
	case "fail":
		return e.pack(method, arg.String())
	case "echo":
		return e.pack(method, arg.Bytes())
	default:
		return e.pack(method)
	}
}
