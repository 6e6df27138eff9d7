package contract

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/rollup/batch"
	rollupconfig "github.com/bilayer/bilayer/rollup/config"
	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"
	"github.com/klauspost/compress/zstd"
)

func TestABIFileAndAddress(t *testing.T) {
	shipped, err := os.ReadFile(filepath.Join("..", "..", "abi", "rollup.json"))
	if err != nil || string(shipped) != rollupABI {
		t.Fatalf("abi/rollup.json differs from the embedded ABI: %v", err)
	}
	if Address != common.HexToAddress("0x0000000000000000000000000000000000001002") {
		t.Fatal("the fixed address moved")
	}
	a := ABI()
	if !a.Methods["bond"].IsPayable() || a.Methods["submitBatch"].IsPayable() || !a.Methods["batch"].IsConstant() ||
		!a.Methods["lastAccepted"].IsConstant() || a.Methods["unbond"].IsConstant() {
		t.Fatal("ABI mutabilities are wrong")
	}
	for name, sig := range map[string]string{
		"BatchAccepted":  "BatchAccepted(uint64,uint64,uint64,bytes32)",
		"BatchFinalized": "BatchFinalized(uint64,uint64)",
	} {
		if a.Events[name].Sig != sig {
			t.Errorf("event %s has signature %s, want %s", name, a.Events[name].Sig, sig)
		}
	}
	if BatchAcceptedTopic() != a.Events["BatchAccepted"].ID || BatchFinalizedTopic() != a.Events["BatchFinalized"].ID {
		t.Fatal("topics are wrong")
	}
}

func TestNewRefusesConfigsItCannotRun(t *testing.T) {
	good, err := rollupconfig.FromGenesis(testGenesis(), common.Hash{})
	if err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(c *rollupconfig.Config){
		"window beyond the history": func(c *rollupconfig.Config) { c.SequencingWindow = HistorySize },
		"no challenge window":       func(c *rollupconfig.Config) { c.ChallengeWindow = 0 },
		"timeout within the window": func(c *rollupconfig.Config) { c.SequencerTimeout = c.SequencingWindow },
		"no bond":                   func(c *rollupconfig.Config) { c.SequencerBond = new(big.Int) },
		"bond above 256 bits":       func(c *rollupconfig.Config) { c.SequencerBond = new(big.Int).Lsh(big.NewInt(1), 256) },
	} {
		c := *good
		mutate(&c)
		if _, err := New(&c); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := New(nil); !errors.Is(err, ErrBadConfig) {
		t.Errorf("nil config: %v", err)
	}
}

// TestPackSubmitBatchMatchesTheABI compares the hand-built calldata with
// go-ethereum's ABI encoder, and the calldata limit with the largest batch.
func TestPackSubmitBatchMatchesTheABI(t *testing.T) {
	for _, n := range []int{0, 1, 31, 32, 33, 1000} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i + 1)
		}
		want, err := ABI().Pack("submitBatch", data)
		if err != nil {
			t.Fatal(err)
		}
		if got := PackSubmitBatch(data); string(got) != string(want) {
			t.Fatalf("%d bytes: calldata differs from the ABI encoder's", n)
		}
	}
	for _, data := range [][]byte{nil, {1, 2, 3}, make([]byte, 100)} {
		got, err := UnpackSubmitBatchInput(PackSubmitBatch(data))
		if err != nil || string(got) != string(data) {
			t.Fatalf("unpacked %x, %v; packed %x", got, err, data)
		}
	}
	if _, err := UnpackSubmitBatchInput(PackBond()); !errors.Is(err, ErrBadResponse) {
		t.Fatalf("bond() calldata unpacked as a batch: %v", err)
	}
	// The limit is set by the larger challenge calldata (TestPackChallengeMatchesTheABI);
	// the contract refuses a batch one byte over MaxBatchSize itself.
	if got := len(PackSubmitBatch(make([]byte, MaxBatchSize))); got > MaxCallDataSize {
		t.Fatalf("a maximal batch takes %d bytes of calldata, the limit is %d", got, MaxCallDataSize)
	}
}

func revertsWith(t *testing.T, err error, sentinel error, reason string) {
	t.Helper()
	var rev *syscontract.RevertError
	if !errors.As(err, &rev) {
		t.Fatalf("err %v is not a revert", err)
	}
	if sentinel != nil && !errors.Is(err, sentinel) {
		t.Fatalf("revert %q does not match %v", rev.Reason, sentinel)
	}
	if !strings.Contains(rev.Reason, reason) {
		t.Fatalf("revert reason %q does not say %q", rev.Reason, reason)
	}
}

func TestBondRules(t *testing.T) {
	e := newEnv(t)
	// Anyone may bond (a fallback proposer posts after the sequencer
	// timeout); bonds are per account.
	if _, _, err := e.run(stranger, eth(3), PackBond()); err != nil {
		t.Fatalf("a stranger's bond: %v", err)
	}
	if got := ReadBond(e.st, stranger); got.Cmp(eth(3).ToBig()) != 0 || ReadBond(e.st, sequencer).Sign() != 0 {
		t.Fatalf("bonds: stranger %s, sequencer %s", got, ReadBond(e.st, sequencer))
	}
	if _, _, err := e.run(stranger, nil, PackUnbond()); err != nil {
		t.Fatalf("a stranger's unbond: %v", err)
	}
	_, _, err := e.run(sequencer, nil, PackBond())
	revertsWith(t, err, nil, "bond of 0 wei")
	_, _, err = e.run(sequencer, nil, PackUnbond())
	revertsWith(t, err, ErrNothingBonded, "nothing bonded")

	logsBefore := len(e.st.Logs())
	e.bond(eth(4))
	e.bond(eth(6))
	if got := ReadBond(e.st, sequencer); got.Cmp(eth(10).ToBig()) != 0 {
		t.Fatalf("bond %s", got)
	}
	ret, err := e.view(PackBondOf(sequencer))
	if got, uerr := UnpackBondOf(ret); err != nil || uerr != nil || got.Cmp(eth(10).ToBig()) != 0 {
		t.Fatalf("bondOf = %v, %v, %v", got, err, uerr)
	}
	if !e.st.GetBalance(Address).Eq(eth(10)) {
		t.Fatal("the contract does not hold the bond")
	}
	logs := e.st.Logs()[logsBefore:]
	if len(logs) != 2 || logs[1].Topics[0] != ABI().Events["Bonded"].ID || logs[1].Topics[1] != common.BytesToHash(sequencer[:]) {
		t.Fatalf("Bonded logs %+v", logs)
	}
	before := e.st.GetBalance(sequencer).Clone()
	ret, _, err = e.run(sequencer, nil, PackUnbond())
	if err != nil {
		t.Fatal(err)
	}
	if got := new(uint256.Int).Sub(e.st.GetBalance(sequencer), before); !got.Eq(eth(10)) {
		t.Fatalf("unbond paid %s", got)
	}
	if out, _ := ABI().Unpack("unbond", ret); out[0].(*big.Int).Cmp(eth(10).ToBig()) != 0 {
		t.Fatalf("unbond returned %v", out)
	}
	if ReadBond(e.st, sequencer).Sign() != 0 || !e.st.GetBalance(Address).IsZero() {
		t.Fatal("the bond is still held")
	}
}

// TestUnbondWaitsForTheChallengeWindow: after a batch accepted in L1 block
// A, unbond reverts until block A+W (naming it) and pays after it.
func TestUnbondWaitsForTheChallengeWindow(t *testing.T) {
	e := newEnv(t)
	e.bond(eth(10))
	e.advanceTo(5)
	e.mustSubmit(e.nextBatch(2, 1))
	accepted := e.block
	for e.block <= accepted+window {
		_, _, err := e.run(sequencer, nil, PackUnbond())
		revertsWith(t, err, ErrBondLocked, "unbond after L1 block 35")
		e.endBlock()
	}
	if _, _, err := e.run(sequencer, nil, PackUnbond()); err != nil {
		t.Fatalf("unbond in L1 block %d: %v", e.block, err)
	}
	if _, _, err := e.submit(e.nextBatch(1, 0)); !errors.Is(err, ErrBondTooLow) {
		t.Fatalf("a batch after unbonding: %v", err)
	}
}

// TestInitializationAtL1Block1: before block 1 the state knows nothing;
// after, the last accepted block is the L2 genesis whose origin is the
// real L1 genesis, as the sequencer computes it from that hash.
func TestInitializationAtL1Block1(t *testing.T) {
	e := newEnv(t)
	if _, err := ReadLastAccepted(e.st); !errors.Is(err, ErrNotInitialized) {
		t.Fatalf("before block 1: %v", err)
	}
	// A view during block 1 already answers, from the block's parent.
	ret, err := e.view(PackLastAccepted())
	if err != nil {
		t.Fatal(err)
	}
	viewed, err := UnpackLastAccepted(ret)
	if err != nil {
		t.Fatal(err)
	}
	e.endBlock()
	head := e.head()
	seqCfg, err := rollupconfig.FromGenesis(e.gen, l1Hash(0))
	if err != nil {
		t.Fatal(err)
	}
	want := protocol.Head{Number: 0, Hash: seqCfg.L2GenesisBlock(e.c.L2GenesisStateRoot()).Hash(), Time: genesisTime, Origin: 0}
	if head != want || viewed != want {
		t.Fatalf("last accepted %+v (viewed in block 1: %+v), want the L2 genesis %+v", head, viewed, want)
	}
	if got, _ := ReadL2Genesis(e.st); got != want.Hash {
		t.Fatal("the recorded L2 genesis differs")
	}
	if got, _ := ReadL1Genesis(e.st); got != l1Hash(0) {
		t.Fatal("the recorded L1 genesis differs")
	}
	ret, err = e.view(PackL2Genesis())
	if h, root, uerr := UnpackL2Genesis(ret); err != nil || uerr != nil || h != want.Hash || root != e.c.L2GenesisStateRoot() {
		t.Fatalf("l2Genesis() = %s, %s, %v %v", h, root, err, uerr)
	}
	g0, err := ReadL1Block(e.st, 0)
	if err != nil || g0.Hash != l1Hash(0) || g0.Time != genesisTime || g0.BaseFee.Cmp(l1BaseFee(0)) != 0 {
		t.Fatalf("L1 genesis in the history: %+v, %v", g0, err)
	}
}

// TestFirstBatchInL1Block1 initializes the state from a batch in block 1,
// before the hook.
func TestFirstBatchInL1Block1(t *testing.T) {
	e := newEnv(t)
	e.bond(eth(10))
	b := &protocol.Batch{ParentHash: e.c.L2GenesisHash(l1Hash(0)), Blocks: []protocol.Block{
		{Number: 1, Time: genesisTime + 1, Origin: 0, StateRoot: common.Hash{1}, BlockHash: l2Hash(1)},
	}}
	if _, _, err := e.submit(b); err != nil {
		t.Fatal(err)
	}
	e.endBlock()
	if h := e.head(); h.Number != 1 || h.Hash != l2Hash(1) {
		t.Fatalf("head %+v", h)
	}
}

// TestHistoryRecordedAndReadable: every finished block is readable, from
// the state and through the views, until HistorySize newer blocks
// replaced it; the current block is never readable.
func TestHistoryRecordedAndReadable(t *testing.T) {
	e := newEnv(t)
	e.advanceTo(HistorySize + 50)
	now := e.block // finished: blocks below now
	for _, n := range []uint64{0, 1, 49, 50, 51, now - HistorySize - 1, now - HistorySize, now - HistorySize + 1, now - 2, now - 1, now, now + 1} {
		l1, err := ReadL1Block(e.st, block.L1Number(n))
		kept := n+HistorySize >= now && n+1 < now // the state holds complete entries: n+1 finished too
		if kept != (err == nil) {
			t.Fatalf("L1 block %d at %d: read %+v, %v; kept=%v", n, now, l1, err, kept)
		}
		if kept && (l1.Hash != l1Hash(n) || l1.Time != l1Time(n) || l1.BaseFee.Cmp(l1BaseFee(n)) != 0 || l1.Number != block.L1Number(n)) {
			t.Fatalf("L1 block %d: %+v", n, l1)
		}
		// A call in block now also knows now-1 (its parent).
		inCall := n+HistorySize >= now && n < now
		ret, err := e.view(PackL1BlockInfo(block.L1Number(n)))
		if inCall != (err == nil) {
			t.Fatalf("l1BlockInfo(%d) in block %d: %v; want ok=%v", n, now, err, inCall)
		}
		if !inCall {
			revertsWith(t, err, ErrNotInHistory, "not in the history")
			continue
		}
		info, uerr := UnpackL1BlockInfo(block.L1Number(n), ret)
		if uerr != nil || info.Hash != l1Hash(n) || info.Time != l1Time(n) || info.BaseFee.Cmp(l1BaseFee(n)) != 0 {
			t.Fatalf("l1BlockInfo(%d) = %+v, %v", n, info, uerr)
		}
		ret, _ = e.view(PackL1BlockHash(block.L1Number(n)))
		if h, _ := UnpackL1BlockHash(ret); h != l1Hash(n) {
			t.Fatalf("l1BlockHash(%d) = %s", n, h)
		}
	}
}

// TestValidBatchAccepted checks every stored field of accepted batches.
func TestValidBatchAccepted(t *testing.T) {
	e := newEnv(t)
	e.bond(eth(10))
	e.advanceTo(6)
	b := e.nextBatch(5, 2)
	b.Blocks[1].Withdrawals = []protocol.Withdrawal{{Nonce: 0, From: common.Address{1}, To: common.Address{2}, Amount: big.NewInt(7)}}
	b.Blocks[3].Withdrawals = []protocol.Withdrawal{{Nonce: 1, From: common.Address{3}, To: common.Address{4}, Amount: big.NewInt(8)}}
	logsBefore := len(e.st.Logs())
	if index := e.mustSubmit(b); index != 0 {
		t.Fatalf("index %d", index)
	}
	got, err := ReadBatch(e.st, 0)
	if err != nil {
		t.Fatal(err)
	}
	wroot, _ := protocol.WithdrawalsRoot(append(append([]protocol.Withdrawal{}, b.Blocks[1].Withdrawals...), b.Blocks[3].Withdrawals...))
	want := BatchInfo{Index: 0, FirstBlock: 1, BlockCount: 5, LeafCount: 5, L1Block: 6, Root: expectedRoot(t, b), WithdrawalCount: 2,
		PostedWithdrawals: 2, WithdrawalsRoot: wroot, Poster: sequencer}
	if got != want {
		t.Fatalf("batch %+v, want %+v", got, want)
	}
	last := b.Blocks[4]
	if h := e.head(); h != (protocol.Head{Number: 5, Hash: last.BlockHash, Time: last.Time, Origin: last.Origin}) {
		t.Fatalf("last accepted %+v", h)
	}
	logs := e.st.Logs()[logsBefore:]
	if len(logs) != 1 {
		t.Fatalf("%d logs", len(logs))
	}
	logs[0].BlockNumber = 6
	ev, err := ParseBatchAccepted(logs[0])
	if err != nil || ev != (BatchAccepted{Index: 0, FirstBlock: 1, LastBlock: 5, Root: want.Root, L1Block: 6}) {
		t.Fatalf("BatchAccepted %+v, %v", ev, err)
	}
	// The next batch builds on the claimed hash of block 5.
	e.endBlock()
	b2 := e.nextBatch(3, 0)
	if b2.ParentHash != last.BlockHash {
		t.Fatal("test setup: the next batch's parent")
	}
	if index := e.mustSubmit(b2); index != 1 {
		t.Fatalf("second index %d", index)
	}
	got2, _ := ReadBatch(e.st, 1)
	if got2.FirstBlock != 6 || got2.BlockCount != 3 || got2.L1Block != 7 || got2.Root != expectedRoot(t, b2) ||
		got2.WithdrawalCount != 0 || got2.WithdrawalsRoot != (common.Hash{}) || got2.FirstWithdrawal != 2 {
		t.Fatalf("second batch %+v", got2)
	}
	if ReadBatchCount(e.st) != 2 {
		t.Fatal("batch count")
	}
}

// TestSubmitBatchGas: the fixed cost plus the per-block, per-transaction
// and per-withdrawal costs.
func TestSubmitBatchGas(t *testing.T) {
	e := newEnv(t)
	e.bond(eth(10))
	e.advanceTo(4)
	b := e.nextBatch(3, 2)
	b.Blocks[0].Withdrawals = []protocol.Withdrawal{{To: common.HexToAddress("0x7777777777777777777777777777777777777777"), Amount: big.NewInt(1)}}
	_, used, err := e.submit(b)
	if err != nil {
		t.Fatal(err)
	}
	if want := uint64(SubmitBatchGas + 3*BatchBlockGas + 6*BatchTxGas + BatchWithdrawalGas); used != want || BatchGas(b) != want {
		t.Fatalf("gas used %d (BatchGas %d), want %d", used, BatchGas(b), want)
	}
}

// TestGarbageIsRefusedAndChangesNothing: every malformed or rule-breaking
// submission reverts with a reason and leaves the state as it was.
func TestGarbageIsRefusedAndChangesNothing(t *testing.T) {
	e := newEnv(t)
	e.bond(eth(10))
	e.advanceTo(8)
	e.mustSubmit(e.nextBatchEvery(7, 1, 1)) // origins 1 to 7: the last is the parent of block 8
	real := e.realEncoding()
	rng := rand.New(rand.NewPCG(7, 8))
	random := make([]byte, 3000)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	relabel := func(mut func(b *protocol.Batch)) []byte {
		b := e.nextBatch(3, 1)
		mut(b)
		return encode(t, b)
	}
	cases := []struct {
		name     string
		from     common.Address
		data     []byte
		sentinel error
		reason   string
	}{
		{"empty", sequencer, nil, batch.ErrEmpty, "empty data"},
		{"stripped version byte", sequencer, real[1:], batch.ErrUnknownVersion, "unknown version"},
		{"unknown version", sequencer, append([]byte{2}, real[1:]...), batch.ErrUnknownVersion, "unknown version"},
		{"random bytes", sequencer, random, ErrUndecodable, "undecodable batch"},
		{"truncated", sequencer, real[:len(real)-3], ErrUndecodable, "undecodable batch"},
		{"trailing garbage", sequencer, append(append([]byte{}, real...), 0, 1, 2), batch.ErrTrailingData, "trailing data"},
		{"bad zstd frame", sequencer, corrupt(real, 1), batch.ErrBadFrame, "bad zstd frame"},
		{"malformed payload", sequencer, malformedPayload(t), ErrUndecodable, "undecodable batch"},
		{"gap", sequencer, relabel(func(b *protocol.Batch) { shift(b, 1) }), protocol.ErrGap, "gap"},
		{"overlap", sequencer, relabel(func(b *protocol.Batch) { shift(b, -1) }), protocol.ErrOverlap, "repeats L2 block numbers"},
		{"parent hash", sequencer, relabel(func(b *protocol.Batch) { b.ParentHash = common.Hash{1} }), protocol.ErrParentHash, "does not build on"},
		{"origin the L1 never had", sequencer, relabel(func(b *protocol.Batch) { originsFrom(b, 8, 0) }), protocol.ErrOriginFuture, "an origin the L1 never had"},
		{"origins out of order", sequencer, relabel(func(b *protocol.Batch) { originsFrom(b, 9, 0) }), protocol.ErrOriginOrder, "origins out of order"},
		{"origin before the accepted one", sequencer, relabel(func(b *protocol.Batch) { originsFrom(b, 6, 1) }), protocol.ErrOriginOrder, "origins out of order"},
		{"time ahead of the L1", sequencer, relabel(func(b *protocol.Batch) { b.Blocks[2].Time = l1Time(8) + 1 }), protocol.ErrTimeAheadOfL1, "ahead of the L1 clock"},
		{"too many transactions", sequencer, relabel(func(b *protocol.Batch) {
			for i := range 5 {
				b.Blocks[1].Transactions = append(b.Blocks[1].Transactions, l2Tx(uint64(10+i)))
			}
		}), batch.ErrTooManyTxs, "too many transactions"},
		{"from a stranger", stranger, relabel(func(*protocol.Batch) {}), ErrNotSequencer, "only the sequencer"},
		{"one byte over 4 MiB", sequencer, make([]byte, MaxBatchSize+1), ErrBatchTooLarge, "batch too large"},
		{"at 4 MiB the size check passes", sequencer, make([]byte, MaxBatchSize), ErrUndecodable, "undecodable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, count := e.root(), ReadBatchCount(e.st)
			_, _, err := e.run(tc.from, nil, PackSubmitBatch(tc.data))
			revertsWith(t, err, tc.sentinel, tc.reason)
			if errors.Is(err, ErrBatchTooLarge) != (tc.sentinel == ErrBatchTooLarge) {
				t.Fatalf("size check: %v", err)
			}
			if e.root() != before || ReadBatchCount(e.st) != count {
				t.Fatal("a refused batch changed the state")
			}
			t.Log(err)
		})
	}
}

// TestUnbondedSequencerCannotPost: no bond, or less than required.
func TestUnbondedSequencerCannotPost(t *testing.T) {
	e := newEnv(t)
	e.advanceTo(3)
	_, _, err := e.submit(e.nextBatch(1, 0))
	revertsWith(t, err, ErrBondTooLow, "bonded 0 wei")
	e.bond(eth(9))
	_, _, err = e.submit(e.nextBatch(1, 0))
	revertsWith(t, err, ErrBondTooLow, "re-bond first (call bond() with the rest)")
	e.bond(eth(1))
	e.mustSubmit(e.nextBatch(1, 0))
}

// shift renumbers the blocks by d, keeping the parent hash.
func shift(b *protocol.Batch, d int64) {
	for i := range b.Blocks {
		b.Blocks[i].Number = block.L2Number(int64(b.Blocks[i].Number) + d)
	}
}

// originsFrom gives the first block origin o and the others o+step, the
// times at least their origins'.
func originsFrom(b *protocol.Batch, o block.L1Number, step block.L1Number) {
	for i := range b.Blocks {
		b.Blocks[i].Origin = o
		if i > 0 {
			b.Blocks[i].Origin = o + step
		}
		b.Blocks[i].Time = max(b.Blocks[i].Time, l1Time(uint64(b.Blocks[i].Origin)))
	}
	for i := 1; i < len(b.Blocks); i++ {
		b.Blocks[i].Time = max(b.Blocks[i].Time, b.Blocks[i-1].Time)
	}
}

// realEncoding is a well-formed batch in rollup/batch's format.
func (e *env) realEncoding() []byte {
	e.t.Helper()
	return encode(e.t, &protocol.Batch{ParentHash: common.Hash{1}, Blocks: []protocol.Block{
		{Number: 100, Time: 5, Origin: 2, Transactions: []*types.Transaction{l2Tx(0), l2Tx(1)}, BlockHash: common.Hash{2}},
		{Number: 101, Time: 6, Origin: 3, BlockHash: common.Hash{3}},
	}})
}

// malformedPayload is the version byte and a valid zstd frame whose
// content is not a batch.
func malformedPayload(t testing.TB) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderCRC(false))
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	payload := make([]byte, 300)
	for i := range payload {
		payload[i] = byte(i*7 + 3)
	}
	return enc.EncodeAll(payload, []byte{batch.Version1})
}

func corrupt(data []byte, i int) []byte {
	out := append([]byte{}, data...)
	out[i] ^= 0xff
	return out
}
