package execution

import (
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"

	"github.com/bilayer/bilayer/core/statedb"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/core/syscontract/example"
)

// TestTransferFees proves a plain transfer uses exactly 21000 gas, the
// sender pays value + gasUsed × effective price, the tip goes to the
// coinbase, the base fee is burned, and the receipt is complete — for a
// dynamic-fee and a legacy transaction.
func TestTransferFees(t *testing.T) {
	to := common.HexToAddress("0xb0b")
	tests := []struct {
		name  string
		inner types.TxData
		price int64 // expected effective gas price
	}{
		{"dynamic fee, tip below headroom", &types.DynamicFeeTx{ChainID: testChainID, Gas: 50_000, GasTipCap: big.NewInt(2), GasFeeCap: big.NewInt(5_000), To: &to, Value: big.NewInt(777)}, 1_002},
		{"dynamic fee, tip capped by fee cap", &types.DynamicFeeTx{ChainID: testChainID, Gas: 50_000, GasTipCap: big.NewInt(900), GasFeeCap: big.NewInt(1_100), To: &to, Value: big.NewInt(777)}, 1_100},
		{"legacy", &types.LegacyTx{Gas: 50_000, GasPrice: big.NewInt(1_300), To: &to, Value: big.NewInt(777)}, 1_300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, 1)
			sdb := e.state()
			x, err := NewBlockExecutor(e.cfg, sdb, e.header(3), e.reg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			tx := e.sign(0, tt.inner)
			r := mustApply(e, x, tx)
			from := addrOf(e.keys[0])
			fee := new(big.Int).Mul(big.NewInt(TxGas), big.NewInt(tt.price))
			wantFrom := new(big.Int).Sub(ether, fee)
			wantFrom.Sub(wantFrom, big.NewInt(777))
			if got := sdb.GetBalance(from).ToBig(); got.Cmp(wantFrom) != 0 {
				t.Errorf("sender balance %s, want %s", got, wantFrom)
			}
			if got := sdb.GetBalance(to).Uint64(); got != 777 {
				t.Errorf("recipient balance %d", got)
			}
			tip := uint64(TxGas * (tt.price - testBaseFee.Int64()))
			if got := sdb.GetBalance(testCoinbase).Uint64(); got != tip {
				t.Errorf("coinbase got %d, want tip %d", got, tip)
			}
			if sdb.GetNonce(from) != 1 {
				t.Errorf("nonce %d", sdb.GetNonce(from))
			}
			// Burn: the sender lost fee; only the tip reappeared.
			burned := new(big.Int).Sub(fee, new(big.Int).SetUint64(tip))
			if want := big.NewInt(TxGas * testBaseFee.Int64()); burned.Cmp(want) != 0 {
				t.Errorf("burned %s, want %s", burned, want)
			}
			want := types.Receipt{Type: tx.Type(), Status: 1, CumulativeGasUsed: TxGas, GasUsed: TxGas, TxHash: tx.Hash(),
				EffectiveGasPrice: big.NewInt(tt.price), BlockNumber: big.NewInt(3), TransactionIndex: 0}
			if r.Type != want.Type || r.Status != want.Status || r.CumulativeGasUsed != want.CumulativeGasUsed || r.GasUsed != want.GasUsed ||
				r.TxHash != want.TxHash || r.EffectiveGasPrice.Cmp(want.EffectiveGasPrice) != 0 || r.BlockNumber.Cmp(want.BlockNumber) != 0 || len(r.Logs) != 0 {
				t.Errorf("receipt %+v", r)
			}
		})
	}
}

// TestSystemCallReceipts proves system calls: success with logs stamped
// with the tx, failure that keeps only nonce and fee, and a gas limit below
// the method's cost that burns all gas; cumulative gas and indexes add up.
func TestSystemCallReceipts(t *testing.T) {
	e := newEnv(t, 2)
	sdb := e.state()
	x, err := NewBlockExecutor(e.cfg, sdb, e.header(5), e.reg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	alice, bob := addrOf(e.keys[0]), addrOf(e.keys[1])

	incData := e.pack("increment", big.NewInt(4))
	inc := e.dyn(0, 0, &counterAddr, nil, 100_000, incData)
	r1 := mustApply(e, x, inc)
	if r1.Status != types.ReceiptStatusSuccessful || r1.GasUsed != IntrinsicGas(incData)+example.IncrementGas {
		t.Fatalf("increment receipt status %d gas %d", r1.Status, r1.GasUsed)
	}
	if len(r1.Logs) != 1 {
		t.Fatalf("%d logs", len(r1.Logs))
	}
	l := r1.Logs[0]
	if l.Address != counterAddr || l.TxHash != inc.Hash() || l.TxIndex != 0 || l.Index != 0 || l.BlockNumber != 5 {
		t.Errorf("log %+v", l)
	}
	if !r1.Bloom.Test(counterAddr.Bytes()) {
		t.Error("bloom lacks the contract address")
	}

	depositData := e.pack("deposit")
	dep := e.dyn(1, 0, &counterAddr, big.NewInt(5_000), 100_000, depositData)
	r2 := mustApply(e, x, dep)
	if r2.Status != 1 || r2.TransactionIndex != 1 || r2.Logs[0].Index != 1 || r2.Logs[0].TxIndex != 1 {
		t.Errorf("deposit receipt %+v log %+v", r2, r2.Logs)
	}
	if got := sdb.GetBalance(counterAddr).Uint64(); got != 5_000 {
		t.Errorf("contract balance %d", got)
	}

	failData := e.pack("fail", "no")
	before := sdb.GetBalance(alice).Clone()
	fail := e.dyn(0, 1, &counterAddr, nil, 100_000, failData)
	r3 := mustApply(e, x, fail)
	wantGas := IntrinsicGas(failData) + example.FailGas
	if r3.Status != types.ReceiptStatusFailed || r3.GasUsed != wantGas || len(r3.Logs) != 0 {
		t.Errorf("fail receipt status %d gas %d (want %d) logs %d", r3.Status, r3.GasUsed, wantGas, len(r3.Logs))
	}
	paid := new(uint256.Int).Sub(before, sdb.GetBalance(alice))
	if paid.Uint64() != wantGas*1_002 || sdb.GetNonce(alice) != 2 {
		t.Errorf("failed call cost %s, nonce %d", paid, sdb.GetNonce(alice))
	}
	if got := sdb.GetState(counterAddr, syscontract.Slot(0)); got != common.BigToHash(big.NewInt(4)) {
		t.Errorf("failed call changed storage: %s", got)
	}

	short := e.dyn(1, 1, &counterAddr, nil, IntrinsicGas(incData)+example.IncrementGas-1, incData)
	r4 := mustApply(e, x, short)
	if r4.Status != types.ReceiptStatusFailed || r4.GasUsed != short.Gas() {
		t.Errorf("under-gassed call: status %d gas used %d, want all %d", r4.Status, r4.GasUsed, short.Gas())
	}
	if r4.CumulativeGasUsed != r1.GasUsed+r2.GasUsed+r3.GasUsed+r4.GasUsed || x.GasUsed() != r4.CumulativeGasUsed {
		t.Errorf("cumulative gas %d", r4.CumulativeGasUsed)
	}
	if sdb.GetBalance(bob).Cmp(uint256.MustFromBig(ether)) >= 0 {
		t.Error("bob paid nothing")
	}
}

// TestLargeCalldataToDeclaringContract proves a call above 128 KiB is
// accepted by a contract that declares a 4 MiB limit and pays calldata gas.
func TestLargeCalldataToDeclaringContract(t *testing.T) {
	e := newEnv(t, 1)
	payload := make([]byte, 1<<20)
	for i := range payload {
		payload[i] = byte(i)
	}
	data := e.pack("echo", payload)
	gas := IntrinsicGas(data) + example.EchoGas
	x, err := NewBlockExecutor(e.cfg, e.state(), e.header(1), e.reg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := mustApply(e, x, e.dyn(0, 0, &bigDataAddr, nil, gas, data))
	if r.Status != 1 || r.GasUsed != gas || gas < 16*(1<<20)*3/4 {
		t.Fatalf("status %d gas used %d of %d", r.Status, r.GasUsed, gas)
	}
	_, err = x.ApplyTx(e.dyn(0, 1, &bigDataAddr, nil, gas, append(data, make([]byte, 4<<20)...)))
	if !errors.Is(err, ErrTxTooLarge) {
		t.Fatalf("5 MiB call: %v", err)
	}
}

// TestFinishRunsEndBlockAndRoots proves Finish runs the hooks after the
// transactions (their logs in SystemLogs and the bloom, not in gas used),
// and refuses further use.
func TestFinishRunsEndBlockAndRoots(t *testing.T) {
	e := newEnv(t, 1)
	sdb := e.state()
	x, err := NewBlockExecutor(e.cfg, sdb, e.header(9), e.reg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	to := common.HexToAddress("0xb0b")
	mustApply(e, x, e.dyn(0, 0, &to, big.NewInt(1), TxGas, nil))
	res, err := x.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if res.GasUsed != TxGas || len(res.Receipts) != 1 || len(res.Transactions) != 1 {
		t.Errorf("result gas %d receipts %d", res.GasUsed, len(res.Receipts))
	}
	var ran bool
	for _, o := range res.EndBlock {
		if o.Address == counterAddr {
			ran = o.Err == nil && o.GasUsed > 0
		}
	}
	if !ran || len(res.SystemLogs) != 1 || res.SystemLogs[0].TxIndex != 1 {
		t.Fatalf("end block outcomes %+v logs %+v", res.EndBlock, res.SystemLogs)
	}
	if !res.Bloom.Test(res.SystemLogs[0].Topics[0].Bytes()) {
		t.Error("bloom lacks the end-block event")
	}
	if res.StateRoot != sdb.IntermediateRoot(statedb.Rules()) {
		t.Error("state root differs from the StateDB's")
	}
	hdr := e.header(9)
	hdr.Root, hdr.ReceiptHash, hdr.TxHash, hdr.GasUsed, hdr.Bloom = res.StateRoot, res.ReceiptsRoot, res.TxRoot, res.GasUsed, res.Bloom
	if err := res.CheckHeader(hdr); err != nil {
		t.Errorf("CheckHeader of own result: %v", err)
	}
	hdr.GasUsed++
	if err := res.CheckHeader(hdr); !errors.Is(err, ErrInvalidBlock) {
		t.Errorf("CheckHeader with wrong gas: %v", err)
	}
	StampBlockHash(common.HexToHash("0xabc"), res.Receipts, res.SystemLogs)
	if res.Receipts[0].BlockHash != common.HexToHash("0xabc") || res.SystemLogs[0].BlockHash != common.HexToHash("0xabc") {
		t.Error("block hash not stamped")
	}
	if _, err := x.ApplyTx(e.dyn(0, 1, &to, big.NewInt(1), TxGas, nil)); !errors.Is(err, ErrFinished) {
		t.Errorf("ApplyTx after Finish: %v", err)
	}
}

// TestFillStopsAtTheGasTarget proves FillLimits.MaxGas: Fill closes the
// block once its gas used reaches the target, with more candidates left,
// and applies every candidate without one; FillStats.ClosedBy says which
// (the gas target, the fill time's Enough, or the source running out).
func TestFillStopsAtTheGasTarget(t *testing.T) {
	e := newEnv(t, 10)
	to := common.HexToAddress("0xb0b")
	var txs []*types.Transaction
	for i := range 10 {
		txs = append(txs, e.dyn(i, 0, &to, big.NewInt(1), TxGas, nil))
	}
	for _, c := range []struct {
		maxGas  uint64
		enough  int // Enough says so after this many candidates (0: never)
		want    int
		closure FillClose
	}{{0, 0, 10, ClosedBySource}, {3 * TxGas, 0, 3, ClosedByGasTarget}, {3*TxGas + 1, 0, 4, ClosedByGasTarget}, {1, 0, 1, ClosedByGasTarget},
		{0, 5, 5, ClosedByEnough}, {3 * TxGas, 5, 3, ClosedByGasTarget}} {
		x, err := NewBlockExecutor(e.cfg, e.state(), e.header(1), e.reg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		src := &sliceSource{txs: txs}
		lim := FillLimits{MaxGas: c.maxGas}
		if c.enough > 0 {
			lim.Enough = func() bool { return src.pos >= c.enough }
		}
		st, err := x.Fill(src, lim)
		if err != nil || st.Included != c.want || src.pos != c.want || st.ClosedBy != c.closure {
			t.Errorf("MaxGas %d, enough after %d: %+v at %d, %v; want %d included, closed by %s", c.maxGas, c.enough, st, src.pos, err, c.want, c.closure)
		}
		x.Abort()
	}
}
