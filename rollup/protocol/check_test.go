package protocol

import (
	"encoding/binary"
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/bilayer/bilayer/core/block"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// The test L1: block n has time l1Time(n) and hash l1Hash(n).
func l1Time(n block.L1Number) uint64 { return 1_000 + 2*uint64(n) }

func l1Hash(n block.L1Number) common.Hash {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(n))
	return crypto.Keccak256Hash([]byte("l1"), b[:])
}

func l2Hash(n block.L2Number) common.Hash {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(n))
	return crypto.Keccak256Hash([]byte("l2"), b[:])
}

// history is an L1 history holding blocks [lo, hi) except the holes.
type history struct {
	lo, hi block.L1Number
	holes  map[block.L1Number]bool
}

func (hs history) lookup(n block.L1Number) (common.Hash, uint64, bool) {
	if n < hs.lo || n >= hs.hi || hs.holes[n] {
		return common.Hash{}, 0, false
	}
	return l1Hash(n), l1Time(n), true
}

func tx(nonce, gas uint64) *types.Transaction {
	return types.NewTx(&types.LegacyTx{Nonce: nonce, Gas: gas, To: &common.Address{7}, GasPrice: big.NewInt(1)})
}

func txs(n int) types.Transactions {
	out := make(types.Transactions, n)
	for i := range out {
		out[i] = tx(uint64(i), 21_000)
	}
	return out
}

// baseContext: L1 block 100 (time 1200) includes the batch; the history
// holds L1 blocks 40 to 99; S = 20; the last accepted L2 block is 10, at
// origin 85 (time 1170), with time 1171.
func baseContext(hs *history) CheckContext {
	*hs = history{lo: 40, hi: 100, holes: map[block.L1Number]bool{}}
	return CheckContext{
		Last:     Head{Number: 10, Hash: l2Hash(10), Time: l1Time(85) + 1, Origin: 85},
		L1Number: 100, L1Time: l1Time(100),
		Origin: hs.lookup, SequencingWindow: 20,
		Caps: Caps{MaxBlocks: 8, MaxTxsPerBlock: 3, MaxWithdrawalsPerBlock: 2, L2GasLimit: 1_000_000},
	}
}

func blk(n block.L2Number, origin block.L1Number, time uint64, ntx int) Block {
	return Block{Number: n, Time: time, Origin: origin, Transactions: txs(ntx), StateRoot: h("state"), BlockHash: l2Hash(n)}
}

// baseBatch is valid in baseContext: blocks 11 to 15, origins 85 to 88.
func baseBatch() *Batch {
	b := &Batch{ParentHash: l2Hash(10), Blocks: []Block{
		blk(11, 85, 1171, 2),
		blk(12, 86, 1172, 1),
		blk(13, 86, 1175, 3),
		blk(14, 87, 1175, 0),
		blk(15, 88, 1180, 1),
	}}
	b.Blocks[1].Withdrawals = []Withdrawal{{Nonce: 0, From: common.Address{1}, To: common.Address{2}, Amount: big.NewInt(5)}}
	return b
}

// windowContext: as baseContext, but the last accepted block is at origin
// 79 (time 1163): at L1 block 100 with S = 20 the windows of 79 and 80
// have closed, 81's has not.
func windowContext(hs *history) CheckContext {
	c := baseContext(hs)
	c.Last = Head{Number: 10, Hash: l2Hash(10), Time: l1Time(79) + 5, Origin: 79}
	return c
}

// windowBatch is valid in windowContext: the deposit-only block for 80,
// then blocks at 81 with transactions.
func windowBatch() *Batch {
	b := &Batch{ParentHash: l2Hash(10), Blocks: []Block{
		blk(11, 80, 1163, 0),
		blk(12, 81, 1170, 2),
		blk(13, 81, 1171, 1),
	}}
	b.Blocks[0].Withdrawals = []Withdrawal{{Nonce: 3, Amount: big.NewInt(9)}} // a forced withdrawal
	return b
}

func renumber(b *Batch, from int, delta int64) {
	for i := from; i < len(b.Blocks); i++ {
		b.Blocks[i].Number = block.L2Number(int64(b.Blocks[i].Number) + delta)
	}
}

// TestCheckBatchRules breaks each rule alone and expects its sentinel;
// the untouched batches are accepted.
func TestCheckBatchRules(t *testing.T) {
	type mut func(b *Batch, c *CheckContext, hs *history)
	cases := []struct {
		name   string
		window bool
		mutate mut
		want   error
	}{
		{"valid", false, func(*Batch, *CheckContext, *history) {}, nil},
		{"valid across a closed window", true, func(*Batch, *CheckContext, *history) {}, nil},
		{"no blocks", false, func(b *Batch, _ *CheckContext, _ *history) { b.Blocks = nil }, ErrNoBlocks},
		{"too many blocks", false, func(_ *Batch, c *CheckContext, _ *history) { c.Caps.MaxBlocks = 4 }, ErrTooManyBlocks},
		{"parent hash", false, func(b *Batch, _ *CheckContext, _ *history) { b.ParentHash = h("other") }, ErrParentHash},
		{"overlap with the accepted chain", false, func(b *Batch, _ *CheckContext, _ *history) { renumber(b, 0, -1) }, ErrOverlap},
		{"gap after the accepted chain", false, func(b *Batch, _ *CheckContext, _ *history) { renumber(b, 0, 1) }, ErrGap},
		{"gap inside", false, func(b *Batch, _ *CheckContext, _ *history) { renumber(b, 2, 1) }, ErrGap},
		{"repeat inside", false, func(b *Batch, _ *CheckContext, _ *history) { renumber(b, 2, -1) }, ErrOverlap},
		{"origin skips an L1 block", false, func(b *Batch, _ *CheckContext, _ *history) {
			for i := 1; i < len(b.Blocks); i++ {
				b.Blocks[i].Origin++
			}
		}, ErrOriginOrder},
		{"origin before the accepted one", false, func(b *Batch, _ *CheckContext, _ *history) { b.Blocks[0].Origin = 84 }, ErrOriginOrder},
		{"origin goes back inside", false, func(b *Batch, _ *CheckContext, _ *history) { b.Blocks[3].Origin = 85 }, ErrOriginOrder},
		{"origin the L1 never had", false, func(_ *Batch, c *CheckContext, _ *history) { c.L1Number = 88 }, ErrOriginFuture},
		{"origin older than the history", false, func(_ *Batch, _ *CheckContext, hs *history) { hs.holes[87] = true }, ErrOriginNotKept},
		{"time before the accepted block's", false, func(b *Batch, _ *CheckContext, _ *history) { b.Blocks[0].Time = 1170 }, ErrTimeDecreasing},
		{"time decreases inside", false, func(b *Batch, _ *CheckContext, _ *history) { b.Blocks[2].Time = 1171 }, ErrTimeDecreasing},
		{"time before the origin's", false, func(b *Batch, _ *CheckContext, _ *history) { b.Blocks[1].Time = 1171 }, ErrTimeBeforeOrigin},
		{"time ahead of the L1", false, func(b *Batch, _ *CheckContext, _ *history) { b.Blocks[4].Time = 1201 }, ErrTimeAheadOfL1},
		{"too many transactions", false, func(b *Batch, _ *CheckContext, _ *history) { b.Blocks[2].Transactions = txs(4) }, ErrTooManyTxs},
		{"transaction gas above the block's", false, func(b *Batch, _ *CheckContext, _ *history) {
			b.Blocks[0].Transactions[1] = tx(1, 1_000_001)
		}, ErrTxGasLimit},
		{"nil transaction", false, func(b *Batch, _ *CheckContext, _ *history) { b.Blocks[0].Transactions[0] = nil }, ErrNilTransaction},
		{"too many withdrawals", false, func(b *Batch, _ *CheckContext, _ *history) {
			b.Blocks[3].Withdrawals = make([]Withdrawal, 3)
			for i := range b.Blocks[3].Withdrawals {
				b.Blocks[3].Withdrawals[i].Amount = big.NewInt(1)
			}
		}, ErrTooManyWithdrawals},
		{"malformed withdrawal", false, func(b *Batch, _ *CheckContext, _ *history) {
			b.Blocks[1].Withdrawals[0].Amount = big.NewInt(-1)
		}, ErrBadWithdrawal},
		{"stays at an origin whose window closed", true, func(b *Batch, _ *CheckContext, _ *history) {
			b.Blocks = append([]Block{blk(11, 79, 1163, 0)}, b.Blocks...)
			renumber(b, 1, 1)
		}, ErrWindowStay},
		{"second block at an origin whose window closed", true, func(b *Batch, _ *CheckContext, _ *history) {
			b.Blocks = slices.Insert(b.Blocks, 1, blk(12, 80, 1163, 0))
			renumber(b, 2, 1)
		}, ErrWindowStay},
		{"transactions at an origin whose window closed", true, func(b *Batch, _ *CheckContext, _ *history) {
			b.Blocks[0].Transactions = txs(1)
		}, ErrWindowNotDepositOnly},
		{"later time at an origin whose window closed", true, func(b *Batch, _ *CheckContext, _ *history) {
			b.Blocks[0].Time++
		}, ErrWindowNotDepositOnly},
		{"window closing exactly at the including block", true, func(_ *Batch, c *CheckContext, _ *history) {
			c.L1Number, c.L1Time = 101, l1Time(101) // 81 + 20 = 101: block 12 must be deposit-only
		}, ErrWindowNotDepositOnly},
		{"no origin lookup", false, func(_ *Batch, c *CheckContext, _ *history) { c.Origin = nil }, ErrInvalidContext},
		{"zero cap", false, func(_ *Batch, c *CheckContext, _ *history) { c.Caps.L2GasLimit = 0 }, ErrInvalidContext},
		{"zero sequencing window", false, func(_ *Batch, c *CheckContext, _ *history) { c.SequencingWindow = 0 }, ErrInvalidContext},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var hs history
			c, b := baseContext(&hs), baseBatch()
			if tc.window {
				c, b = windowContext(&hs), windowBatch()
			}
			tc.mutate(b, &c, &hs)
			v, err := CheckBatch(b, c)
			if tc.want == nil {
				if v != Accept || err != nil {
					t.Fatalf("verdict %s, %v; want accept", v, err)
				}
				return
			}
			if v != Drop || !errors.Is(err, tc.want) {
				t.Fatalf("verdict %s, %v; want drop with %v", v, err, tc.want)
			}
			if naiveAccept(b, c) {
				t.Fatal("the naive rules accept what CheckBatch dropped")
			}
			t.Log(err)
		})
	}
	if v, err := CheckBatch(nil, baseContext(new(history))); v != Drop || !errors.Is(err, ErrNoBlocks) {
		t.Fatalf("nil batch: %s, %v", v, err)
	}
}

// TestCheckBatchExtremes: numbers at the ends of their ranges are dropped
// with a reason, never wrap around or panic.
func TestCheckBatchExtremes(t *testing.T) {
	var hs history
	c := baseContext(&hs)
	c.Last.Number = math.MaxUint64
	b := baseBatch()
	b.Blocks = b.Blocks[:1]
	b.Blocks[0].Number = 0
	if _, err := CheckBatch(b, c); !errors.Is(err, ErrOverlap) {
		t.Fatalf("after the last L2 number: %v", err)
	}
	b.Blocks[0].Number = math.MaxUint64
	if _, err := CheckBatch(b, c); !errors.Is(err, ErrOverlap) {
		t.Fatalf("the last L2 number again: %v", err)
	}
	c = baseContext(&hs)
	c.Last.Origin = math.MaxUint64
	b = baseBatch()
	b.Blocks[0].Origin = 0
	if _, err := CheckBatch(b, c); !errors.Is(err, ErrOriginOrder) {
		t.Fatalf("origin wrapping around: %v", err)
	}
	c = baseContext(&hs)
	c.SequencingWindow = math.MaxUint64
	if v, err := CheckBatch(baseBatch(), c); v != Accept {
		t.Fatalf("huge window: %v", err)
	}
	c.L1Number, c.SequencingWindow = math.MaxUint64, 1
	hs.hi = math.MaxUint64
	if _, err := CheckBatch(baseBatch(), c); !errors.Is(err, ErrWindowStay) {
		t.Fatalf("every window closed: %v", err)
	}
}

// naiveAccept is the batch rules written plainly, as a second opinion
// for the property test (small numbers only).
func naiveAccept(b *Batch, c CheckContext) bool {
	if c.Origin == nil || c.SequencingWindow == 0 || c.Caps.MaxBlocks == 0 || c.Caps.MaxTxsPerBlock == 0 ||
		c.Caps.MaxWithdrawalsPerBlock == 0 || c.Caps.L2GasLimit == 0 {
		return false
	}
	if b == nil || len(b.Blocks) == 0 || uint64(len(b.Blocks)) > c.Caps.MaxBlocks || b.ParentHash != c.Last.Hash {
		return false
	}
	num, tm, org := int64(c.Last.Number), c.Last.Time, int64(c.Last.Origin)
	for _, x := range b.Blocks {
		o := int64(x.Origin)
		if int64(x.Number) != num+1 || (o != org && o != org+1) || o >= int64(c.L1Number) {
			return false
		}
		_, ot, ok := c.Origin(x.Origin)
		if !ok || x.Time < tm || x.Time < ot || x.Time > c.L1Time {
			return false
		}
		if o+int64(c.SequencingWindow) <= int64(c.L1Number) {
			if o == org || len(x.Transactions) > 0 || x.Time != max(tm, ot) {
				return false
			}
		}
		if uint64(len(x.Transactions)) > c.Caps.MaxTxsPerBlock || uint64(len(x.Withdrawals)) > c.Caps.MaxWithdrawalsPerBlock {
			return false
		}
		for _, t := range x.Transactions {
			if t == nil || t.Gas() > c.Caps.L2GasLimit {
				return false
			}
		}
		for _, w := range x.Withdrawals {
			if w.Amount == nil || w.Amount.Sign() < 0 {
				return false
			}
		}
		num, tm, org = int64(x.Number), x.Time, o
	}
	return true
}

// randomContext returns a random context with a random history.
func randomContext(rng *rand.Rand, hs *history) CheckContext {
	b := block.L1Number(30 + rng.IntN(200))
	*hs = history{lo: block.L1Number(rng.IntN(int(b))), hi: b, holes: map[block.L1Number]bool{}}
	if rng.IntN(8) == 0 {
		hs.holes[hs.lo+block.L1Number(rng.IntN(int(b-hs.lo)))] = true
	}
	lastOrigin := hs.lo + block.L1Number(rng.IntN(int(b-hs.lo)))
	l1t := l1Time(b) + uint64(rng.IntN(3))
	lastTime := l1Time(lastOrigin) + uint64(rng.IntN(int(l1t-l1Time(lastOrigin))+1))
	last := block.L2Number(rng.IntN(1000))
	return CheckContext{
		Last:     Head{Number: last, Hash: l2Hash(last), Time: lastTime, Origin: lastOrigin},
		L1Number: b, L1Time: l1t, Origin: hs.lookup,
		SequencingWindow: uint64(1 + rng.IntN(40)),
		Caps:             Caps{MaxBlocks: uint64(1 + rng.IntN(12)), MaxTxsPerBlock: uint64(1 + rng.IntN(4)), MaxWithdrawalsPerBlock: uint64(1 + rng.IntN(3)), L2GasLimit: 100_000},
	}
}

// randomValidBatch builds a batch the rules accept in c, or nil if the
// context admits none (the next origin is unknown and the current one's
// window has closed).
func randomValidBatch(rng *rand.Rand, c CheckContext) *Batch {
	b := &Batch{ParentHash: c.Last.Hash}
	p := c.Last
	n := 1 + rng.IntN(int(c.Caps.MaxBlocks))
	for range n {
		closed := expired(p.Origin, c.SequencingWindow, c.L1Number)
		_, _, nextKnown := c.Origin(p.Origin + 1)
		nextKnown = nextKnown && p.Origin+1 < c.L1Number
		_, _, curKnown := c.Origin(p.Origin)
		advance := nextKnown && (closed || !curKnown || rng.IntN(3) == 0)
		if !advance && (closed || !curKnown) {
			break
		}
		o := p.Origin
		if advance {
			o++
		}
		_, ot, _ := c.Origin(o)
		lo := max(p.Time, ot)
		if lo > c.L1Time {
			break
		}
		x := Block{Number: p.Number + 1, Origin: o, Time: lo, StateRoot: h("s"), BlockHash: l2Hash(p.Number + 1)}
		if !expired(o, c.SequencingWindow, c.L1Number) {
			x.Time += uint64(rng.IntN(int(min(c.L1Time-lo, 3)) + 1))
			x.Transactions = txs(rng.IntN(int(c.Caps.MaxTxsPerBlock) + 1))
		}
		for range rng.IntN(int(c.Caps.MaxWithdrawalsPerBlock) + 1) {
			x.Withdrawals = append(x.Withdrawals, Withdrawal{Amount: big.NewInt(int64(rng.IntN(100)))})
		}
		b.Blocks = append(b.Blocks, x)
		p = Head{Number: x.Number, Hash: x.BlockHash, Time: x.Time, Origin: x.Origin}
	}
	if len(b.Blocks) == 0 {
		return nil
	}
	return b
}

// mutate changes one random thing about a batch or its context.
func mutate(rng *rand.Rand, b *Batch, c *CheckContext, hs *history) {
	x := &b.Blocks[rng.IntN(len(b.Blocks))]
	switch rng.IntN(14) {
	case 0:
		x.Number += block.L2Number(rng.IntN(3)) - 1
	case 1:
		x.Origin += block.L1Number(rng.IntN(3)) - 1
	case 2:
		x.Origin += 2
	case 3:
		x.Time += uint64(rng.IntN(3)) - 1
	case 4:
		x.Time = c.L1Time + uint64(rng.IntN(2))
	case 5:
		x.Transactions = append(x.Transactions, tx(9, 21_000))
	case 6:
		x.Transactions = nil
	case 7:
		x.Transactions = append(x.Transactions, tx(9, c.Caps.L2GasLimit+uint64(rng.IntN(2))))
	case 8:
		x.Withdrawals = append(x.Withdrawals, Withdrawal{Amount: big.NewInt(int64(rng.IntN(3)) - 1)})
	case 9:
		b.ParentHash[rng.IntN(32)] ^= 1
	case 10:
		c.L1Number -= block.L1Number(rng.IntN(3))
		c.L1Time -= uint64(rng.IntN(5))
	case 11:
		c.SequencingWindow = uint64(1 + rng.IntN(40))
	case 12:
		hs.holes[x.Origin] = rng.IntN(2) == 0
	case 13:
		b.Blocks = append(b.Blocks, b.Blocks[len(b.Blocks)-1])
	}
}

// TestCheckBatchProperties: random valid batches are accepted; after a
// random change CheckBatch agrees with the naive rules, and a drop always
// names a sentinel.
func TestCheckBatchProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 26))
	var accepted, dropped int
	sentinels := []error{ErrNoBlocks, ErrTooManyBlocks, ErrParentHash, ErrOverlap, ErrGap, ErrOriginOrder, ErrOriginFuture,
		ErrOriginNotKept, ErrTimeDecreasing, ErrTimeBeforeOrigin, ErrTimeAheadOfL1, ErrWindowStay, ErrWindowNotDepositOnly,
		ErrTooManyTxs, ErrTxGasLimit, ErrNilTransaction, ErrTooManyWithdrawals, ErrBadWithdrawal}
	for i := range 20_000 {
		var hs history
		c := randomContext(rng, &hs)
		b := randomValidBatch(rng, c)
		if b == nil {
			continue
		}
		if v, err := CheckBatch(b, c); v != Accept {
			t.Fatalf("case %d: a valid batch is dropped: %v", i, err)
		}
		for range 1 + rng.IntN(2) {
			mutate(rng, b, &c, &hs)
		}
		v, err := CheckBatch(b, c)
		if want := naiveAccept(b, c); (v == Accept) != want {
			t.Fatalf("case %d: verdict %s (%v), the naive rules say accept=%v", i, v, err, want)
		}
		if v == Accept {
			accepted++
			continue
		}
		dropped++
		if !slices.ContainsFunc(sentinels, func(s error) bool { return errors.Is(err, s) }) {
			t.Fatalf("case %d: drop without a sentinel: %v", i, err)
		}
	}
	if accepted < 1000 || dropped < 5000 {
		t.Fatalf("weak coverage: %d accepted and %d dropped after a change", accepted, dropped)
	}
}

// FuzzCheckBatch: from any seed, a generated valid batch is accepted and,
// after random changes, CheckBatch agrees with the naive rules.
func FuzzCheckBatch(f *testing.F) {
	f.Add(uint64(1), uint64(2), uint8(1))
	f.Add(uint64(99), uint64(7), uint8(3))
	f.Fuzz(func(t *testing.T, s1, s2 uint64, changes uint8) {
		rng := rand.New(rand.NewPCG(s1, s2))
		var hs history
		c := randomContext(rng, &hs)
		b := randomValidBatch(rng, c)
		if b == nil {
			return
		}
		if v, err := CheckBatch(b, c); v != Accept {
			t.Fatalf("a valid batch is dropped: %v", err)
		}
		for range changes % 4 {
			mutate(rng, b, &c, &hs)
		}
		v, err := CheckBatch(b, c)
		if want := naiveAccept(b, c); (v == Accept) != want {
			t.Fatalf("verdict %s (%v), the naive rules say accept=%v", v, err, want)
		}
	})
}
