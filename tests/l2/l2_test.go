package l2_test

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/devnet/devkeys"
	rollupconfig "github.com/bilayer/bilayer/rollup/config"
)

// TestL2 runs the L2 scenarios on one cluster (a validator, a full node,
// the sequencer following the validator and the challenger following the
// full node), one after the other: each later step relies on the L2 the
// earlier ones left. Value conservation is checked over every L2 block the
// steps before it made; then the challenger's agreement under load, the
// safe and finalized heads, a sequencer rebuilt from the L1, and a batcher
// paused past the sequencing window (which replaces part of the
// sequencer's unsafe chain, so it comes last).
func TestL2(t *testing.T) {
	skipShort(t)
	e := newEnv(t)
	steps := []struct {
		name string
		run  func(*testing.T, *env)
	}{
		{"EthclientTransferCommits", testEthclientTransfer},
		{"WrongChainIDIsRefused", testWrongChainID},
		{"L1DataFeeIsChargedAndPaidToTheVault", testL1DataFee},
		{"DepositIsCreditedOnceAtItsOrigin", testDeposit},
		{"IdleL2MakesOneBlockPerNewOrigin", testIdle},
		{"StuckTransactionKeepsTheL2Idle", testIdleWithStuckTx},
		{"WithdrawalIsOneL2Transaction", testWithdrawalInitiated},
		{"KillNineUnderLoadKeepsConfirmedTransactions", testKillUnderLoad},
		{"ValueIsConservedAtEveryL2Block", testConservation},
		{"ChallengerDerivesTheSameChainFromTheL1", testChallengerAgrees},
		{"SafeAndFinalizedFollowTheChallengeWindow", testSafeAndFinalized},
		{"WithdrawalIsPaidOnL1WBlocksAfterItsBatch", testWithdrawalPaid},
		{"WipedSequencerRebuildsFromTheL1", testWipedSequencerRebuilds},
		{"BatcherPausedPastTheWindowResequences", testBatcherPauseResequences},
		{"HonestRunMakesTheChallengerSendNothing", testHonestRunHasNoChallenge},
	}
	for _, s := range steps {
		if !t.Run(s.name, func(t *testing.T) { s.run(t, e) }) {
			t.FailNow() // later steps assume the earlier ones' L2
		}
	}
}

// testEthclientTransfer: a dynamic-fee transfer signed for chain 1338 with
// go-ethereum and sent through ethclient commits; the hash go-ethereum
// computes for its block equals the hash in the receipt, in
// eth_getBlockByNumber and eth_getBlockByHash, and the parent link holds;
// the recipient holds the value from that block on and the sender paid
// value + gasUsed × effectiveGasPrice + l1Fee.
func testEthclientTransfer(t *testing.T, e *env) {
	ctx := testCtx(t, 60*time.Second)
	l2 := e.l2()
	if id, err := l2.ChainID(ctx); err != nil || id.Uint64() != e.c.Genesis.Rollup.L2ChainID {
		t.Fatalf("L2 chain id %v (err %v), want %d", id, err, e.c.Genesis.Rollup.L2ChainID)
	}
	dev := devAccount(t, 0)
	to := freshAddress(t)
	value := big.NewInt(1_234_567_890_000)
	tx, err := transfer(ctx, l2, e.l2Signer, dev.Key, to, value)
	if err != nil {
		t.Fatal(err)
	}
	if err := l2.SendTransaction(ctx, tx); err != nil {
		t.Fatalf("send transfer: %v", err)
	}
	r, err := waitReceipt(ctx, l2, tx.Hash())
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != types.ReceiptStatusSuccessful || r.GasUsed != 21_000 || r.TxHash != tx.Hash() {
		t.Fatalf("receipt: status %d, gas used %d, tx %s; want success, 21000, %s", r.Status, r.GasUsed, r.TxHash, tx.Hash())
	}
	n := r.BlockNumber.Uint64()
	b, err := e.l2BlockChecked(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	if b.Hash() != r.BlockHash {
		t.Fatalf("receipt names block %s, go-ethereum computes %s for block %d", r.BlockHash, b.Hash(), n)
	}
	if b.Transaction(tx.Hash()) == nil {
		t.Fatalf("block %d does not hold %s", n, tx.Hash())
	}
	if byHash, err := l2.BlockByHash(ctx, r.BlockHash); err != nil || byHash.Hash() != r.BlockHash {
		t.Fatalf("eth_getBlockByHash(%s): %v (err %v)", r.BlockHash, byHash, err)
	}
	parent, err := e.l2BlockChecked(ctx, n-1)
	if err != nil {
		t.Fatal(err)
	}
	if b.ParentHash() != parent.Hash() {
		t.Fatalf("block %d parent hash %s, block %d is %s", n, b.ParentHash(), n-1, parent.Hash())
	}
	if b.Coinbase() != rollupconfig.FeeVault {
		t.Fatalf("block %d coinbase %s, want the fee vault %s", n, b.Coinbase(), rollupconfig.FeeVault)
	}
	if got, _, err := l2.TransactionByHash(ctx, tx.Hash()); err != nil || got.Hash() != tx.Hash() {
		t.Fatalf("eth_getTransactionByHash: %v (err %v)", got, err)
	}
	raw, err := e.rawReceipt(ctx, tx.Hash())
	if err != nil {
		t.Fatal(err)
	}
	fee, err := raw.fee()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.l2Balance(ctx, to, big64(n)); err != nil || got.Cmp(value) != 0 {
		t.Fatalf("recipient balance at block %d: %v (err %v), want %s", n, got, err, value)
	}
	if got, err := e.l2Balance(ctx, to, big64(n-1)); err != nil || got.Sign() != 0 {
		t.Fatalf("recipient balance before block %d: %v (err %v), want 0", n, got, err)
	}
	before, err := e.l2Balance(ctx, dev.Address, big64(n-1))
	if err != nil {
		t.Fatal(err)
	}
	after, err := e.l2Balance(ctx, dev.Address, big64(n))
	if err != nil {
		t.Fatal(err)
	}
	if want := new(big.Int).Sub(new(big.Int).Sub(before, value), fee); after.Cmp(want) != 0 {
		t.Fatalf("sender balance %s after block %d, want %s - value %s - fee %s (gas and l1Fee %s) = %s", after, n, before, value, fee, raw.L1Fee, want)
	}
	t.Logf("transfer in L2 block %d (%s); paid %s wei of which l1Fee %s", n, r.BlockHash, fee, raw.L1Fee)
}

// testWrongChainID: a transfer signed for the L1 (chain 1337) sent to the
// L2 is refused with "invalid chain id: want 1338" and is not pooled.
func testWrongChainID(t *testing.T, e *env) {
	ctx := testCtx(t, 30*time.Second)
	dev := devAccount(t, 0)
	tx, err := transfer(ctx, e.l2(), e.l1Signer, dev.Key, freshAddress(t), big.NewInt(1))
	if err != nil {
		t.Fatal(err)
	}
	err = e.l2().SendTransaction(ctx, tx)
	want := fmt.Sprintf("invalid chain id: want %d", e.c.Genesis.Rollup.L2ChainID)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("sending a chain-%d transaction to the L2: err %v, want it to contain %q", e.c.Genesis.ChainID, err, want)
	}
	if _, _, err := e.l2().TransactionByHash(ctx, tx.Hash()); !isNotFound(err) {
		t.Fatalf("the refused transaction: eth_getTransactionByHash err %v, want not found", err)
	}
}

// testL1DataFee: a legacy (EIP-155) transfer's receipt carries l1Fee > 0,
// equal to execution.L1DataFee of the transaction at the base fee of its
// block's L1 origin, read from the L1 header of that origin (which the
// block's MixDigest is shown to commit to); across that block the fee
// vault's balance rose by the sum over the block's receipts of gasUsed ×
// effectiveGasPrice + l1Fee, and the sender paid exactly its own.
func testL1DataFee(t *testing.T, e *env) {
	ctx := testCtx(t, 60*time.Second)
	l2 := e.l2()
	dev := devAccount(t, 1)
	nonce, err := l2.PendingNonceAt(ctx, dev.Address)
	if err != nil {
		t.Fatal(err)
	}
	f, err := suggestFees(ctx, l2)
	if err != nil {
		t.Fatal(err)
	}
	to := freshAddress(t)
	value := big.NewInt(7_000_000_000)
	tx, err := types.SignNewTx(dev.Key, types.NewEIP155Signer(e.l2Signer.ChainID()),
		&types.LegacyTx{Nonce: nonce, GasPrice: f.feeCap, Gas: 21_000, To: &to, Value: value})
	if err != nil {
		t.Fatal(err)
	}
	if err := l2.SendTransaction(ctx, tx); err != nil {
		t.Fatalf("send legacy transfer: %v", err)
	}
	if _, err := waitReceipt(ctx, l2, tx.Hash()); err != nil {
		t.Fatal(err)
	}
	r, err := e.rawReceipt(ctx, tx.Hash())
	if err != nil {
		t.Fatal(err)
	}
	n := uint64(r.BlockNumber)
	if r.Status != 1 || r.L1Fee == nil || r.L1Fee.ToInt().Sign() <= 0 {
		t.Fatalf("receipt: status %d, l1Fee %v; want success and l1Fee > 0", r.Status, r.L1Fee)
	}
	o, err := e.origins.at(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	l1Header, err := e.l1c().HeaderByNumber(ctx, big64(uint64(o.Origin.Number)))
	if err != nil {
		t.Fatal(err)
	}
	if uint64(r.L1OriginBlock) != uint64(o.Origin.Number) || r.L1GasPrice == nil || r.L1GasPrice.ToInt().Cmp(l1Header.BaseFee) != 0 {
		t.Fatalf("receipt says origin %d at L1 base fee %v; the block commits to origin %d whose L1 header has base fee %s",
			r.L1OriginBlock, r.L1GasPrice, o.Origin.Number, l1Header.BaseFee)
	}
	want, err := execution.L1DataFee(e.rules, tx, l1Header.BaseFee)
	if err != nil {
		t.Fatal(err)
	}
	if r.L1Fee.ToInt().Cmp(want) != 0 || uint64(r.L1FeeScalar) != e.rules.L1FeeScalar {
		t.Fatalf("l1Fee %s (scalar %d), want L1DataFee = %s (scalar %d, origin base fee %s)", r.L1Fee, r.L1FeeScalar, want, e.rules.L1FeeScalar, l1Header.BaseFee)
	}
	if r.EffectiveGasPrice == nil || r.EffectiveGasPrice.ToInt().Cmp(f.feeCap) != 0 {
		t.Fatalf("legacy transaction's effectiveGasPrice %v, want its gas price %s", r.EffectiveGasPrice, f.feeCap)
	}
	receipts, err := e.blockReceipts(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	paid := new(big.Int)
	for _, br := range receipts {
		fee, err := br.fee()
		if err != nil {
			t.Fatal(err)
		}
		paid.Add(paid, fee)
	}
	vaultBefore, err := e.l2Balance(ctx, rollupconfig.FeeVault, big64(n-1))
	if err != nil {
		t.Fatal(err)
	}
	vaultAfter, err := e.l2Balance(ctx, rollupconfig.FeeVault, big64(n))
	if err != nil {
		t.Fatal(err)
	}
	if rose := new(big.Int).Sub(vaultAfter, vaultBefore); rose.Cmp(paid) != 0 {
		t.Fatalf("fee vault rose by %s across block %d, want Σ gasUsed × effectiveGasPrice + l1Fee over its %d receipts = %s", rose, n, len(receipts), paid)
	}
	own, err := r.fee()
	if err != nil {
		t.Fatal(err)
	}
	before, err := e.l2Balance(ctx, dev.Address, big64(n-1))
	if err != nil {
		t.Fatal(err)
	}
	after, err := e.l2Balance(ctx, dev.Address, big64(n))
	if err != nil {
		t.Fatal(err)
	}
	if spent := new(big.Int).Sub(before, after); spent.Cmp(new(big.Int).Add(value, own)) != 0 {
		t.Fatalf("sender spent %s in block %d, want value %s + gas × price + l1Fee %s", spent, n, value, own)
	}
	t.Logf("block %d (origin L1 %d, base fee %s): l1Fee %s, %d receipt(s), vault +%s", n, o.Origin.Number, l1Header.BaseFee, r.L1Fee, len(receipts), paid)
}

// depositSlack is how many L1 blocks beyond deposit block + maxOriginLag
// the test grants the sequencer (it polls the L1; the machine is shared).
const depositSlack = 2

// testDeposit: two deposits through the L1 bridge (bridge.PackDeposit with
// value, from two accounts, to fresh L2 addresses) are each credited on L2
// exactly once: by the time the L1 head reaches deposit block D + 2 +
// depositSlack the credit is visible; the L2 block that applied it is the
// first whose origin reaches D (its origin is D, its parent's D-1, and its
// MixDigest commits to D's operations, this one included);
// rollup_depositStatus reports it applied in that block; the recipient
// holds nothing before that block and exactly the amount from then on,
// also after later origins.
func testDeposit(t *testing.T, e *env) {
	ctx := testCtx(t, 90*time.Second)
	type deposit struct {
		from   int
		to     common.Address
		amount *big.Int
		tx     *types.Transaction
		op     block.Operation
		seenAt uint64 // the L1 head read just before the credit was first seen
	}
	deps := []*deposit{
		{from: 0, to: freshAddress(t), amount: new(big.Int).Div(ether(3), big.NewInt(2))},
		{from: 1, to: freshAddress(t), amount: big.NewInt(250_000_000_000_000_000)},
	}
	l1 := e.l1c()
	for _, d := range deps {
		var err error
		if d.tx, err = e.sendDeposit(ctx, devAccount(t, d.from), d.to, d.amount); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range deps {
		var err error
		if d.op, err = e.depositOp(ctx, d.tx); err != nil {
			t.Fatal(err)
		}
		if d.op.To != d.to || d.op.Amount.Cmp(d.amount) != 0 || d.op.From != devAccount(t, d.from).Address {
			t.Fatalf("deposit log %+v; want %s to %s of %s", d.op, devAccount(t, d.from).Address, d.to, d.amount)
		}
		t.Logf("deposit %d/%d of %s wei to %s", d.op.L1Block, d.op.Index, d.amount, d.to)
	}

	// Poll the L1 head, then the L2 balances: a deposit still uncredited
	// after the L1 head passed D + maxOriginLag + slack is a failure.
	var late error
	err := waitFor(ctx, 60*time.Second, func() (bool, error) {
		head, err := l1.BlockNumber(ctx)
		if err != nil {
			return false, err
		}
		done := true
		for _, d := range deps {
			bal, err := e.l2Balance(ctx, d.to, nil)
			if err != nil {
				return false, err
			}
			if bal.Sign() != 0 {
				if d.seenAt == 0 {
					d.seenAt = head
				}
				continue
			}
			done = false
			if limit := uint64(d.op.L1Block) + e.maxOriginLag + depositSlack; head > limit {
				late = fmt.Errorf("deposit %d/%d not credited on L2 with the L1 head at %d (limit %d)", d.op.L1Block, d.op.Index, head, limit)
				return true, nil
			}
		}
		return done, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if late != nil {
		t.Fatal(late)
	}

	var lastL1 uint64
	for _, d := range deps {
		D := uint64(d.op.L1Block)
		lastL1 = max(lastL1, D)
		st, err := e.seq.DepositStatus(ctx, D, d.op.Index)
		if err != nil {
			t.Fatal(err)
		}
		if st.Status != "applied" || st.L2Block == nil || st.L2BlockHash == nil || st.Kind != "deposit" ||
			st.To == nil || *st.To != d.to || st.Amount == nil || st.Amount.ToInt().Cmp(d.amount) != 0 {
			t.Fatalf("rollup_depositStatus(%d, %d) = %+v; want applied, a deposit of %s to %s, with its L2 block", D, d.op.Index, st, d.amount, d.to)
		}
		n := uint64(*st.L2Block)
		b, err := e.l2BlockChecked(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if b.Hash() != *st.L2BlockHash {
			t.Fatalf("rollup_depositStatus names L2 block %d %s, the block is %s", n, *st.L2BlockHash, b.Hash())
		}
		o, err := e.origins.at(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		prev, err := e.origins.at(ctx, n-1)
		if err != nil {
			t.Fatal(err)
		}
		if uint64(o.Origin.Number) != D || uint64(prev.Origin.Number) >= D {
			t.Fatalf("deposit of L1 block %d applied in L2 block %d with origin %d (parent's %d); want the first block whose origin is %d",
				D, n, o.Origin.Number, prev.Origin.Number, D)
		}
		if d.op.Index >= uint64(len(o.Operations)) || !sameOp(o.Operations[d.op.Index], d.op) {
			t.Fatalf("L2 block %d commits to operations %+v, which lack deposit %+v", n, o.Operations, d.op)
		}
		if got, err := e.l2Balance(ctx, d.to, big64(n-1)); err != nil || got.Sign() != 0 {
			t.Fatalf("recipient %s holds %v (err %v) before block %d", d.to, got, err, n)
		}
		if got, err := e.l2Balance(ctx, d.to, big64(n)); err != nil || got.Cmp(d.amount) != 0 {
			t.Fatalf("recipient %s holds %v (err %v) after block %d, want %s", d.to, got, err, n, d.amount)
		}
		t.Logf("deposit %d/%d applied in L2 block %d (origin %d); first seen credited with the L1 head at %d", D, d.op.Index, n, o.Origin.Number, d.seenAt)
	}
	// Exactly once: later origins do not credit it again.
	if err := waitFor(ctx, 30*time.Second, func() (bool, error) {
		st, err := e.seq.SyncStatus(ctx)
		if err != nil {
			return false, err
		}
		return uint64(st.UnsafeL2.L1Origin.Number) >= lastL1+2, nil
	}); err != nil {
		t.Fatalf("L2 origin did not pass L1 block %d: %v", lastL1+2, err)
	}
	for _, d := range deps {
		if got, err := e.l2Balance(ctx, d.to, nil); err != nil || got.Cmp(d.amount) != 0 {
			t.Fatalf("recipient %s holds %v (err %v) at the head, want exactly %s", d.to, got, err, d.amount)
		}
	}
}

// sendDeposit sends deposit(to) with amount from dev to the L1 bridge
// through validator 0, with the gas the node estimates.
func (e *env) sendDeposit(ctx context.Context, dev devkeys.Account, to common.Address, amount *big.Int) (*types.Transaction, error) {
	l1 := e.l1c()
	data := bridge.PackDeposit(to)
	gas, err := l1.EstimateGas(ctx, ethereum.CallMsg{From: dev.Address, To: &bridge.Address, Value: amount, Data: data})
	if err != nil {
		return nil, fmt.Errorf("estimate deposit gas: %w", err)
	}
	nonce, err := l1.PendingNonceAt(ctx, dev.Address)
	if err != nil {
		return nil, fmt.Errorf("L1 nonce of %s: %w", dev.Address, err)
	}
	f, err := suggestFees(ctx, l1)
	if err != nil {
		return nil, err
	}
	tx, err := signDynamic(e.l1Signer, dev.Key, nonce, f, gas, bridge.Address, amount, data)
	if err != nil {
		return nil, err
	}
	if err := l1.SendTransaction(ctx, tx); err != nil {
		return nil, fmt.Errorf("send deposit to the L1: %w", err)
	}
	return tx, nil
}

// depositOp waits for a deposit's L1 receipt and returns the operation its
// one Deposit log records, checked against the receipt's block.
func (e *env) depositOp(ctx context.Context, tx *types.Transaction) (block.Operation, error) {
	r, err := waitReceipt(ctx, e.l1c(), tx.Hash())
	if err != nil {
		return block.Operation{}, err
	}
	if r.Status != types.ReceiptStatusSuccessful {
		return block.Operation{}, fmt.Errorf("deposit %s failed on L1", tx.Hash())
	}
	var ops []block.Operation
	for _, l := range r.Logs {
		if op, err := bridge.ParseDeposit(l); err == nil {
			ops = append(ops, op)
		}
	}
	if len(ops) != 1 || uint64(ops[0].L1Block) != r.BlockNumber.Uint64() || ops[0].Amount.Cmp(tx.Value()) != 0 {
		return block.Operation{}, fmt.Errorf("deposit %s in L1 block %d of %s wei logs %+v; want one Deposit of that block and amount",
			tx.Hash(), r.BlockNumber, tx.Value(), ops)
	}
	return ops[0], nil
}

// sameOp reports whether two operations are the same.
func sameOp(a, b block.Operation) bool {
	return a.Kind == b.Kind && a.L1Block == b.L1Block && a.Index == b.Index && a.From == b.From && a.To == b.To && a.Amount.Cmp(b.Amount) == 0
}

// waitFor polls cond until it reports done, fails, or timeout (or ctx)
// passes.
func waitFor(ctx context.Context, timeout time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		done, err := cond()
		if done && err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not done within %s (last error: %v)", timeout, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
		case <-tick.C:
		}
	}
}
