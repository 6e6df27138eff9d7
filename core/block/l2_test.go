package block

import (
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"
)

func testL2Block() *Block {
	extras := L2Extras{
		Origin: L1Ref{Number: 12, Hash: common.HexToHash("0x1234"), BaseFee: big.NewInt(1_000_000_007)},
		Operations: []Operation{{Kind: OpDeposit, L1Block: 12, Index: 0, From: common.HexToAddress("0xa"),
			To: common.HexToAddress("0xb"), Amount: big.NewInt(5)}},
	}
	return AssembleL2(&types.Header{Number: big.NewInt(7), Time: 100, GasLimit: 30_000_000, BaseFee: big.NewInt(1),
		Coinbase: common.HexToAddress("0x2002")}, nil, extras)
}

// TestL2BlockCommitments proves an L2 header commits to its extras through
// MixDigest: a consistent block passes, a changed operation fails, and L1
// consensus data beside L2 extras is refused.
func TestL2BlockCommitments(t *testing.T) {
	b := testL2Block()
	if !b.IsL2() {
		t.Fatal("not an L2 block")
	}
	if err := b.CheckCommitments(); err != nil {
		t.Fatal(err)
	}
	b.L2.Operations[0].Amount = big.NewInt(6)
	if err := b.CheckCommitments(); !errors.Is(err, ErrL2ExtrasHash) {
		t.Errorf("changed deposit: %v", err)
	}
	b = testL2Block()
	b.Extras.LastCommit = &Commit{Height: 6}
	if err := b.CheckCommitments(); !errors.Is(err, ErrUnexpectedCommit) {
		t.Errorf("L1 commit on an L2 block: %v", err)
	}
	b = testL2Block()
	b.L2.Origin.BaseFee = nil
	if err := b.CheckCommitments(); !errors.Is(err, ErrBadOperation) {
		t.Errorf("origin without base fee: %v", err)
	}
}

// TestL2BlockEncoding proves an L2 block round-trips through Encode and
// Decode with its extras, and that an L1 block's encoding is unchanged by
// the optional L2 field (the same bytes as the three-field form).
func TestL2BlockEncoding(t *testing.T) {
	b := testL2Block()
	enc, err := b.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(enc, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if got.Hash() != b.Hash() || got.L2 == nil || got.L2.Hash() != b.L2.Hash() {
		t.Fatal("L2 block did not round-trip")
	}
	l1 := Assemble(&types.Header{Number: big.NewInt(1), BaseFee: big.NewInt(1)}, nil, Extras{})
	enc1, err := l1.Encode()
	if err != nil {
		t.Fatal(err)
	}
	old, err := rlp.EncodeToBytes(struct {
		Header       *types.Header
		Transactions types.Transactions
		Extras       Extras
	}{l1.Header, l1.Transactions, l1.Extras})
	if err != nil {
		t.Fatal(err)
	}
	if string(enc1) != string(old) {
		t.Error("the L2 field changed the encoding of L1 blocks")
	}
	if d, err := Decode(enc1, 1<<20); err != nil || d.L2 != nil {
		t.Errorf("L1 block decodes with L2 extras %v: %v", d.L2, err)
	}
}
