package execution

import (
	"errors"
	"math"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/core/block"
)

// TestNextL2Header: the header after a parent links to it, pays the fee
// vault, keeps the gas limit and follows EIP-1559; a parent the rule
// cannot extend is an error, never a panic.
func TestNextL2Header(t *testing.T) {
	cfg := l2Env(t, 1, 0).cfg
	parent := &types.Header{Number: big.NewInt(9), GasLimit: 30_000_000, GasUsed: 20_000_000, BaseFee: big.NewInt(1_000_000), Time: 50}
	h, err := NextL2Header(cfg, parent, 51)
	if err != nil {
		t.Fatal(err)
	}
	if h.ParentHash != parent.Hash() || h.Coinbase != testVault || h.Number.Uint64() != 10 || h.GasLimit != parent.GasLimit ||
		h.Time != 51 || h.BaseFee.Cmp(NextBaseFee(cfg, parent.GasLimit, parent.GasUsed, parent.BaseFee)) != 0 ||
		h.BaseFee.Cmp(parent.BaseFee) <= 0 {
		t.Fatalf("header %+v", h)
	}
	l1 := cfg
	l1.L2 = nil
	noElasticity := cfg
	noElasticity.ElasticityMultiplier = 0
	for name, c := range map[string]struct {
		cfg    Config
		parent *types.Header
	}{
		"no L2 rules":       {l1, parent},
		"no parent":         {cfg, nil},
		"no number":         {cfg, &types.Header{BaseFee: big.NewInt(1)}},
		"the last number":   {cfg, &types.Header{Number: new(big.Int).SetUint64(math.MaxUint64), BaseFee: big.NewInt(1)}},
		"a huge number":     {cfg, &types.Header{Number: new(big.Int).Lsh(big.NewInt(1), 70), BaseFee: big.NewInt(1)}},
		"no base fee":       {cfg, &types.Header{Number: big.NewInt(1)}},
		"negative base fee": {cfg, &types.Header{Number: big.NewInt(1), BaseFee: big.NewInt(-1)}},
		"zero elasticity":   {noElasticity, parent},
	} {
		if _, err := NextL2Header(c.cfg, c.parent, 1); !errors.Is(err, ErrInvalidBlock) && !errors.Is(err, ErrBadConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestSealL2BlockCommitsToTheExecution: the sealed block carries the
// execution's roots, gas and bloom, commits to its extras, and leaves the
// header given untouched.
func TestSealL2BlockCommitsToTheExecution(t *testing.T) {
	e := l2Env(t, 2, 0)
	to := common.HexToAddress("0xb0b")
	tx := e.dyn(0, 0, &to, big.NewInt(1), TxGas, nil)
	header := l2Header(1)
	extras := l2Extras()
	res, err := ApplyBlock(e.cfg, e.state(), header, []*types.Transaction{tx}, e.reg, RejectInvalid, Options{L2: extras})
	if err != nil {
		t.Fatal(err)
	}
	b := SealL2Block(header, *extras, res)
	h := b.Header
	if h.Root != res.StateRoot || h.ReceiptHash != res.ReceiptsRoot || h.GasUsed != res.GasUsed || h.Bloom != res.Bloom ||
		h.TxHash != res.TxRoot || h.MixDigest != extras.Hash() || len(b.Transactions) != 1 || b.L2 == nil {
		t.Fatalf("sealed header %+v", h)
	}
	if err := res.CheckHeader(h); err != nil {
		t.Fatal(err)
	}
	if err := b.CheckCommitments(); err != nil {
		t.Fatal(err)
	}
	if header.Root != (common.Hash{}) || header.GasUsed != 0 {
		t.Fatal("SealL2Block changed the header it was given")
	}
	if b.Hash() != block.AssembleL2(h, res.Transactions, *extras).Hash() {
		t.Fatal("the hash is not AssembleL2's")
	}
}
