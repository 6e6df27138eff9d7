package execution

import (
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/core/block"
)

var (
	testVault       = common.HexToAddress("0x0000000000000000000000000000000000002002")
	testOriginFee   = big.NewInt(7_000_000)
	testL1FeeScalar = uint64(16 * L1FeeScalarUnit)
)

// l2Env is newEnv made an L2: chain rules with a fee vault, a data-fee
// scalar and a transaction cap.
func l2Env(t *testing.T, n, txCap int) *env {
	e := newEnv(t, n)
	e.cfg.L2 = &L2Rules{FeeVault: testVault, L1FeeScalar: testL1FeeScalar, MaxTxsPerBlock: txCap}
	return e
}

func l2Header(number int64) *types.Header {
	return &types.Header{Number: big.NewInt(number), Time: uint64(number), Coinbase: testVault,
		GasLimit: testGasLimit, BaseFee: new(big.Int).Set(testBaseFee)}
}

func l2Extras(ops ...block.Operation) *block.L2Extras {
	return &block.L2Extras{Origin: block.L1Ref{Number: 3, Hash: common.HexToHash("0x0a"), BaseFee: new(big.Int).Set(testOriginFee)}, Operations: ops}
}

func deposit(l1 block.L1Number, index uint64, to common.Address, amount *big.Int) block.Operation {
	return block.Operation{Kind: block.OpDeposit, L1Block: l1, Index: index, From: common.HexToAddress("0xd0"), To: to, Amount: amount}
}

// sumBalances adds up the balances of addrs in sdb.
func sumBalances(sdb *state.StateDB, addrs ...common.Address) *big.Int {
	total := new(big.Int)
	for _, a := range addrs {
		total.Add(total, sdb.GetBalance(a).ToBig())
	}
	return total
}

// TestL2DepositThenSpend proves a deposit is minted before the block's
// transactions: a fresh account funded only by the deposit spends it in
// the same block, and the deposit is reported applied.
func TestL2DepositThenSpend(t *testing.T) {
	e := l2Env(t, 2, 0)
	fresh := testKey(99)
	freshAddr := addrOf(fresh)
	e.keys = append(e.keys, fresh)
	to := common.HexToAddress("0xb0b")
	tx := e.dyn(2, 0, &to, big.NewInt(1_000), TxGas, nil)
	sdb := e.state()
	res, err := ApplyBlock(e.cfg, sdb, l2Header(1), []*types.Transaction{tx}, e.reg, RejectInvalid,
		Options{L2: l2Extras(deposit(3, 0, freshAddr, ether))})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Operations) != 1 || res.Operations[0].Err != nil || res.Operations[0].ID != (block.OperationID{L1Block: 3, Index: 0}) {
		t.Fatalf("operations %+v", res.Operations)
	}
	if got := sdb.GetBalance(to).Uint64(); got != 1_000 {
		t.Errorf("recipient %d", got)
	}
	// Value is conserved: the deposit is the only new value, and what the
	// sender lost went to the recipient and the fee vault.
	if got := sumBalances(sdb, freshAddr, to, testVault); got.Cmp(ether) != 0 {
		t.Errorf("fresh + recipient + vault = %s, want the deposit %s", got, ether)
	}
}

// TestL2FeesGoToVault proves nothing is burned on L2: base fee, tip and
// the L1 data fee all reach the fee vault; the data fee is
// EstimatedCompressedSize × origin base fee × scalar.
func TestL2FeesGoToVault(t *testing.T) {
	e := l2Env(t, 1, 0)
	to := common.HexToAddress("0xb0b")
	tx := e.dyn(0, 0, &to, big.NewInt(5), TxGas, nil)
	sdb := e.state()
	from := addrOf(e.keys[0])
	before := sumBalances(sdb, from, to, testVault)
	res, err := ApplyBlock(e.cfg, sdb, l2Header(1), []*types.Transaction{tx}, e.reg, RejectInvalid, Options{L2: l2Extras()})
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := tx.MarshalBinary()
	wantL1 := new(big.Int).SetUint64(EstimatedCompressedSize(enc))
	wantL1.Mul(wantL1, testOriginFee).Mul(wantL1, big.NewInt(16))
	gotL1, err := L1DataFee(e.cfg.L2, tx, testOriginFee)
	if err != nil || gotL1.Cmp(wantL1) != 0 || wantL1.Sign() == 0 {
		t.Fatalf("L1 data fee %s, want %s (%v)", gotL1, wantL1, err)
	}
	price := res.Receipts[0].EffectiveGasPrice
	wantVault := new(big.Int).Mul(price, big.NewInt(TxGas))
	wantVault.Add(wantVault, wantL1)
	if got := sdb.GetBalance(testVault).ToBig(); got.Cmp(wantVault) != 0 {
		t.Errorf("vault %s, want gas × price + L1 fee = %s", got, wantVault)
	}
	if after := sumBalances(sdb, from, to, testVault); after.Cmp(before) != 0 {
		t.Errorf("value not conserved: %s before, %s after", before, after)
	}
	// The L1 data fee must be covered: a sender who can pay gas and value
	// but not the data fee is refused.
	e2 := l2Env(t, 1, 0)
	poor := testKey(50)
	e2.keys = append(e2.keys, poor)
	gasCost := new(big.Int).Mul(big.NewInt(5_000), big.NewInt(TxGas))
	tx2 := e2.dyn(1, 0, &to, big.NewInt(1), TxGas, nil)
	_, err = ApplyBlock(e2.cfg, e2.state(), l2Header(1), []*types.Transaction{tx2}, e2.reg, RejectInvalid,
		Options{L2: l2Extras(deposit(3, 0, addrOf(poor), new(big.Int).Add(gasCost, big.NewInt(1))))})
	if !errors.Is(err, ErrInsufficientFunds) {
		t.Errorf("sender without the L1 data fee: %v, want ErrInsufficientFunds", err)
	}
}

// TestL2TxCap proves the per-block transaction cap: Fill stops at it and
// SkipInvalid leaves the excess out.
func TestL2TxCap(t *testing.T) {
	e := l2Env(t, 5, 3)
	to := common.HexToAddress("0xb0b")
	var txs []*types.Transaction
	for i := range 5 {
		txs = append(txs, e.dyn(i, 0, &to, big.NewInt(1), TxGas, nil))
	}
	res, err := ApplyBlock(e.cfg, e.state(), l2Header(1), txs, e.reg, SkipInvalid, Options{L2: l2Extras()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Transactions) != 3 || len(res.Skipped) != 2 || !errors.Is(res.Skipped[0].Err, ErrBlockTxCap) {
		t.Fatalf("%d included, skipped %+v", len(res.Transactions), res.Skipped)
	}
	x, err := NewBlockExecutor(e.cfg, e.state(), l2Header(1), e.reg, Options{L2: l2Extras()})
	if err != nil {
		t.Fatal(err)
	}
	src := &sliceSource{txs: txs}
	st, err := x.Fill(src, FillLimits{})
	if err != nil || st.Included != 3 || st.Skipped != 0 || src.pos != 3 {
		t.Fatalf("fill: %+v at %d, %v", st, src.pos, err)
	}
}

// TestL2InputsChecked proves the L2 inputs are required on an L2 chain,
// refused on the L1, and that an L2 block pays the fee vault only.
func TestL2InputsChecked(t *testing.T) {
	e := l2Env(t, 1, 0)
	if _, err := NewBlockExecutor(e.cfg, e.state(), l2Header(1), e.reg, Options{}); !errors.Is(err, ErrL2Inputs) {
		t.Errorf("L2 block without extras: %v", err)
	}
	h := l2Header(1)
	h.Coinbase = testCoinbase
	if _, err := NewBlockExecutor(e.cfg, e.state(), h, e.reg, Options{L2: l2Extras()}); !errors.Is(err, ErrL2Inputs) {
		t.Errorf("L2 block paying another coinbase: %v", err)
	}
	l1 := newEnv(t, 1)
	if _, err := NewBlockExecutor(l1.cfg, l1.state(), l1.header(1), l1.reg, Options{L2: l2Extras()}); !errors.Is(err, ErrL2Inputs) {
		t.Errorf("L1 block with L2 extras: %v", err)
	}
	bad := l2Extras(block.Operation{Kind: 9, Amount: big.NewInt(1)})
	if _, err := NewBlockExecutor(e.cfg, e.state(), l2Header(1), e.reg, Options{L2: bad}); !errors.Is(err, ErrInvalidBlock) {
		t.Errorf("unknown operation kind: %v", err)
	}
}

// TestL2ForceTransfer proves a forced transfer moves value the sender's
// L2 balance covers, and is recorded as failed (changing nothing) when it
// does not.
func TestL2ForceTransfer(t *testing.T) {
	e := l2Env(t, 1, 0)
	from := addrOf(e.keys[0])
	to := common.HexToAddress("0xb0b")
	ok := block.Operation{Kind: block.OpForceTransfer, L1Block: 3, Index: 0, From: from, To: to, Amount: big.NewInt(10)}
	tooMuch := block.Operation{Kind: block.OpForceTransfer, L1Block: 3, Index: 1, From: from, To: to, Amount: new(big.Int).Mul(ether, big.NewInt(2))}
	sdb := e.state()
	res, err := ApplyBlock(e.cfg, sdb, l2Header(1), nil, e.reg, RejectInvalid, Options{L2: l2Extras(ok, tooMuch)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Operations[0].Err != nil || !errors.Is(res.Operations[1].Err, ErrOperationFailed) {
		t.Fatalf("outcomes %+v", res.Operations)
	}
	if got := sdb.GetBalance(to).Uint64(); got != 10 {
		t.Errorf("recipient %d, want 10", got)
	}
}

// TestL2Stateless proves an L2 block (deposit, transfers, fees to the
// vault) re-executes from its witness alone to the same root.
func TestL2Stateless(t *testing.T) {
	e := l2Env(t, 3, 0)
	to := common.HexToAddress("0xb0b")
	txs := []*types.Transaction{e.dyn(0, 0, &to, big.NewInt(1), TxGas, nil), e.dyn(1, 0, &to, big.NewInt(2), TxGas, nil)}
	extras := l2Extras(deposit(3, 0, common.HexToAddress("0xcafe"), big.NewInt(77)))
	res, err := ApplyBlock(e.cfg, e.state(), l2Header(1), txs, e.reg, SkipInvalid, Options{CollectWitness: true, L2: extras})
	if err != nil {
		t.Fatal(err)
	}
	root, _, err := ExecuteStateless(e.cfg, res.Witness, e.root, l2Header(1), txs, e.reg, SkipInvalid, extras)
	if err != nil || root != res.StateRoot {
		t.Fatalf("stateless root %s, want %s: %v", root, res.StateRoot, err)
	}
	// Another deposit amount gives another root: the operations are part
	// of the transition, not decoration.
	other := l2Extras(deposit(3, 0, common.HexToAddress("0xcafe"), big.NewInt(78)))
	root2, _, err := ExecuteStateless(e.cfg, res.Witness, e.root, l2Header(1), txs, e.reg, SkipInvalid, other)
	if err == nil && root2 == res.StateRoot {
		t.Error("a different deposit gave the same root")
	}
}

// sliceSource is a TxSource over a fixed list (no sender grouping).
type sliceSource struct {
	txs []*types.Transaction
	pos int
}

func (s *sliceSource) Peek() *types.Transaction {
	if s.pos >= len(s.txs) {
		return nil
	}
	return s.txs[s.pos]
}
func (s *sliceSource) Shift() { s.pos++ }
func (s *sliceSource) Pop()   { s.pos++ }
