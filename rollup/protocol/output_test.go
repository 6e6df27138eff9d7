package protocol

import (
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
)

func h(s string) common.Hash { return crypto.Keccak256Hash([]byte(s)) }

// TestOutputRootIsVersion0Keccak checks the output root against its
// definition written out byte by byte.
func TestOutputRootIsVersion0Keccak(t *testing.T) {
	state, wroot, bh := h("state"), h("withdrawals"), h("block")
	buf := make([]byte, 0, 128)
	buf = append(buf, make([]byte, 32)...)
	buf = append(buf, state[:]...)
	buf = append(buf, wroot[:]...)
	buf = append(buf, bh[:]...)
	if got, want := OutputRoot(state, wroot, bh), crypto.Keccak256Hash(buf); got != want {
		t.Fatalf("output root %s, want %s", got, want)
	}
	if OutputRoot(state, wroot, bh) == OutputRoot(bh, wroot, state) {
		t.Fatal("the output root does not depend on the order of its fields")
	}
}

// TestWithdrawalsRoot checks the withdrawals root against a hand-built
// RLP encoding, and that malformed amounts are refused, not hashed.
func TestWithdrawalsRoot(t *testing.T) {
	empty, err := WithdrawalsRoot(nil)
	if err != nil || empty != crypto.Keccak256Hash([]byte{0xc0}) || empty != types.EmptyUncleHash {
		t.Fatalf("empty list root %s, %v", empty, err)
	}
	ws := []Withdrawal{
		{Nonce: 0, From: common.Address{1}, To: common.Address{2}, Amount: big.NewInt(1000)},
		{Nonce: 1, From: common.Address{3}, To: common.Address{4}, Amount: new(big.Int)},
	}
	var items [][]byte
	for _, w := range ws {
		var fields []byte
		for _, f := range []any{w.Nonce, w.From, w.To, w.Amount} {
			enc, err := rlp.EncodeToBytes(f)
			if err != nil {
				t.Fatal(err)
			}
			fields = append(fields, enc...)
		}
		items = append(items, fields)
	}
	list := func(payloads ...[]byte) []byte {
		var all []byte
		for _, p := range payloads {
			all = append(all, p...)
		}
		return append(rlpListHeader(len(all)), all...)
	}
	want := crypto.Keccak256Hash(list(list(items[0]), list(items[1])))
	got, err := WithdrawalsRoot(ws)
	if err != nil || got != want {
		t.Fatalf("root %s (%v), want %s", got, err, want)
	}
	swapped, _ := WithdrawalsRoot([]Withdrawal{ws[1], ws[0]})
	if swapped == got {
		t.Fatal("the root does not depend on the order of the withdrawals")
	}
	for name, amount := range map[string]*big.Int{
		"nil": nil, "negative": big.NewInt(-1), "257 bits": new(big.Int).Lsh(big.NewInt(1), 256),
	} {
		bad := []Withdrawal{ws[0], {Nonce: 1, Amount: amount}}
		if _, err := WithdrawalsRoot(bad); !errors.Is(err, ErrBadWithdrawal) {
			t.Errorf("%s amount: err %v, want ErrBadWithdrawal", name, err)
		}
	}
	maxAmount := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	if _, err := WithdrawalsRoot([]Withdrawal{{Amount: maxAmount}}); err != nil {
		t.Fatalf("2^256-1 wei refused: %v", err)
	}
}

// rlpListHeader is the RLP header of a list whose payload is n bytes.
func rlpListHeader(n int) []byte {
	if n < 56 {
		return []byte{0xc0 + byte(n)}
	}
	var lenBytes []byte
	for v := n; v > 0; v >>= 8 {
		lenBytes = append([]byte{byte(v)}, lenBytes...)
	}
	return append([]byte{0xf7 + byte(len(lenBytes))}, lenBytes...)
}

// TestInputsHash checks the inputs hash against its definition and that
// every input changes it.
func TestInputsHash(t *testing.T) {
	txs := types.Transactions{
		types.NewTx(&types.LegacyTx{Nonce: 1, Gas: 21_000, To: &common.Address{9}}),
		types.NewTx(&types.LegacyTx{Nonce: 2, Gas: 21_000, To: &common.Address{9}}),
	}
	origin := L1ID{Number: 42, Hash: h("origin")}
	txRoot := types.DeriveSha(txs, trie.NewStackTrie(nil))
	enc, err := rlp.EncodeToBytes([]any{uint64(7), uint64(1234), uint64(42), origin.Hash, txRoot})
	if err != nil {
		t.Fatal(err)
	}
	base := InputsHash(7, 1234, origin, txs)
	if want := crypto.Keccak256Hash(enc); base != want {
		t.Fatalf("inputs hash %s, want %s", base, want)
	}
	variants := map[string]common.Hash{
		"number":      InputsHash(8, 1234, origin, txs),
		"time":        InputsHash(7, 1235, origin, txs),
		"origin":      InputsHash(7, 1234, L1ID{Number: 43, Hash: origin.Hash}, txs),
		"origin hash": InputsHash(7, 1234, L1ID{Number: 42, Hash: h("other")}, txs),
		"tx order":    InputsHash(7, 1234, origin, types.Transactions{txs[1], txs[0]}),
		"no txs":      InputsHash(7, 1234, origin, nil),
	}
	for name, v := range variants {
		if v == base {
			t.Errorf("changing the %s leaves the inputs hash unchanged", name)
		}
	}
	blk := Block{Number: 7, Time: 1234, Origin: 42, Transactions: txs, StateRoot: h("s"), BlockHash: h("b"),
		Withdrawals: []Withdrawal{{Amount: big.NewInt(5)}}}
	wroot, _ := WithdrawalsRoot(blk.Withdrawals)
	leaf, err := blk.Leaf(origin.Hash)
	if err != nil || leaf != Leaf(base, OutputRoot(h("s"), wroot, h("b"))) {
		t.Fatalf("block leaf %s, %v", leaf, err)
	}
	blk.Withdrawals[0].Amount = nil
	if _, err := blk.Leaf(origin.Hash); !errors.Is(err, ErrBadWithdrawal) {
		t.Fatalf("leaf of a block with a malformed withdrawal: %v", err)
	}
}
