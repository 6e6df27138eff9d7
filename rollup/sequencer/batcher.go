package sequencer

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/batch"
	"github.com/bilayer/bilayer/rollup/protocol"
)

// RollupL1 is the batcher's view of the L1 rollup contract.
type RollupL1 interface {
	// HeadNumber returns the newest L1 block.
	HeadNumber(ctx context.Context) (block.L1Number, error)
	// LastAccepted returns the last L2 block the contract accepted.
	LastAccepted(ctx context.Context) (protocol.Head, error)
	// FinalizedBlock returns the newest L2 block past the challenge window.
	FinalizedBlock(ctx context.Context) (block.L2Number, error)
	// Bonded returns the sequencer's bond.
	Bonded(ctx context.Context) (*big.Int, error)
	// Bond adds amount to the sequencer's bond and waits for it.
	Bond(ctx context.Context, amount *big.Int) error
	// Submit posts a batch and waits for its receipt; a refusal is an
	// error carrying the contract's reason.
	Submit(ctx context.Context, data []byte) (*types.Receipt, error)
}

// BatcherConfig tunes batch posting.
type BatcherConfig struct {
	// Bond is the bond the contract requires before posting.
	Bond *big.Int
	// Limits are the contract's batch limits.
	Limits batch.Limits
	// MaxGas bounds the gas of one submitBatch transaction (0: no bound),
	// so a batch of many withdrawals (each stored until paid) still fits
	// an L1 block: the batcher posts fewer blocks when one would not.
	MaxGas uint64
	// TargetBytes posts a batch as soon as this much is waiting.
	TargetBytes int
	// PostAfter posts a batch once the oldest unposted block's origin is
	// this many L1 blocks old, however small the batch.
	PostAfter uint64
	// PollInterval is how often the batcher looks at the L1.
	PollInterval time.Duration
	// PauseFor stops posting for this many L1 blocks after the batcher
	// starts (a development switch: the sequencing window then passes the
	// unsafe chain by, and the sequencer must re-sequence).
	PauseFor uint64
	// BadOutputAt, when set, posts a wrong output for this L2 block the
	// first time it is posted (a development switch, to show a fraud proof
	// win); BadOutput says how it is wrong.
	BadOutputAt block.L2Number
	BadOutput   BadOutputKind
	// BadWithdrawalTo receives the withdrawal a BadWithdrawals output
	// invents (the sequencer's own address).
	BadWithdrawalTo common.Address
}

// BadOutputKind is how the development switch falsifies an output.
type BadOutputKind string

// The ways to post a wrong output.
const (
	// BadStateRootByte flips one byte of the state root.
	BadStateRootByte BadOutputKind = "flip-state-root"
	// BadZeroStateRoot posts a zero state root.
	BadZeroStateRoot BadOutputKind = "zero-state-root"
	// BadBlockHash posts a wrong block hash.
	BadBlockHash BadOutputKind = "wrong-block-hash"
	// BadWithdrawals adds a withdrawal the block never initiated (its
	// withdrawals root is then wrong).
	BadWithdrawals BadOutputKind = "wrong-withdrawals"
	// BadWrongParent posts block N with its right state root on a wrong
	// parent: the output of N−1 gets a wrong state root (one byte
	// flipped) and the hash of its header with that root, and block N
	// the hash of its own header re-parented on that wrong N−1, so the
	// posted hashes link. The first wrong output is N−1's, and that is
	// the one to prove: a proof of N re-executes on the posted parent,
	// which no honest chain has. N must be at least 2.
	BadWrongParent BadOutputKind = "wrong-parent"
)

// BadOutputKinds lists every BadOutputKind, in the order --help shows them.
var BadOutputKinds = []BadOutputKind{BadStateRootByte, BadZeroStateRoot, BadBlockHash, BadWithdrawals, BadWrongParent}

// ParseBadOutputKind checks a --dev.bad-output-kind value.
func ParseBadOutputKind(s string) (BadOutputKind, error) {
	for _, k := range BadOutputKinds {
		if BadOutputKind(s) == k {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown bad-output kind %q: use %s, %s, %s, %s or %s", s, BadStateRootByte, BadZeroStateRoot, BadBlockHash, BadWithdrawals, BadWrongParent)
}

// DefaultBatcherConfig returns the devnet's posting policy.
func DefaultBatcherConfig() BatcherConfig {
	return BatcherConfig{Limits: batch.DefaultLimits(), TargetBytes: 512 << 10, PostAfter: 2,
		PollInterval: 500 * time.Millisecond}
}

// heads are the L1's view of the L2: the safe and finalized heads.
type heads struct {
	safe      protocol.Head
	finalized block.L2Number
}

// Safe is the newest L2 block whose batch the L1 accepted.
func (s *Sequencer) Safe() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return uint64(s.heads.safe.Number)
}

// PauseBatcherUntil stops batch posting until the L1 head reaches n.
func (s *Sequencer) PauseBatcherUntil(n block.L1Number) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pauseUntil = n
	s.log.Warn("Batch posting paused (development switch)", "untilL1", n)
}

// Finalized is the newest L2 block whose batch outlived the challenge
// window.
func (s *Sequencer) Finalized() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return uint64(s.heads.finalized)
}

// RunBatcher posts the unsafe chain to the L1 until ctx ends: it bonds if
// needed, then on every poll refreshes the safe and finalized heads,
// re-sequences blocks the L1 would no longer accept, and posts a batch
// when one is due. L1 errors are logged and retried.
func (s *Sequencer) RunBatcher(ctx context.Context, rl RollupL1, cfg BatcherConfig) error {
	if cfg.BadOutputAt == 1 && cfg.BadOutput == BadWrongParent {
		return errors.New("batcher: a wrong-parent output falsifies the block before: it needs a bad-output block of at least 2")
	}
	s.batcher = cfg
	if cfg.PauseFor > 0 {
		head, err := rl.HeadNumber(ctx)
		if err != nil {
			return fmt.Errorf("batcher: %w", err)
		}
		s.PauseBatcherUntil(head + block.L1Number(cfg.PauseFor))
	}
	enc, err := batch.NewEncoder()
	if err != nil {
		return fmt.Errorf("batcher: %w", err)
	}
	t := time.NewTicker(cfg.PollInterval)
	defer t.Stop()
	var lastErr string
	for {
		// The bond is checked every time: a successful challenge takes
		// it, and the sequencer re-bonds before it posts again.
		if err := s.ensureBond(ctx, rl, cfg.Bond); err != nil {
			if ctx.Err() == nil {
				s.logOnce(&lastErr, "Cannot bond; retrying", err)
			}
		} else if err := s.batchStep(ctx, rl, enc); err != nil && ctx.Err() == nil {
			s.logOnce(&lastErr, "Batcher", err)
		} else if err == nil {
			lastErr = ""
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// logOnce logs err unless it repeats the last one.
func (s *Sequencer) logOnce(last *string, msg string, err error) {
	if err.Error() != *last {
		s.log.Warn(msg, "err", err)
		*last = err.Error()
	}
}

// ensureBond tops the sequencer's bond up to the required amount.
func (s *Sequencer) ensureBond(ctx context.Context, rl RollupL1, want *big.Int) error {
	have, err := rl.Bonded(ctx)
	if err != nil {
		return err
	}
	if want == nil || have.Cmp(want) >= 0 {
		return nil
	}
	missing := new(big.Int).Sub(want, have)
	s.log.Info("Bonding on L1", "amount", missing, "required", want)
	return rl.Bond(ctx, missing)
}

// batchStep is one look at the L1: heads, re-sequencing, posting.
func (s *Sequencer) batchStep(ctx context.Context, rl RollupL1, enc *batch.Encoder) error {
	la, err := rl.LastAccepted(ctx)
	if err != nil {
		return err
	}
	fin, err := rl.FinalizedBlock(ctx)
	if err != nil {
		return err
	}
	l1Head, err := rl.HeadNumber(ctx)
	if err != nil {
		return err
	}
	if err := s.checkAccepted(la); err != nil {
		// The L1 may have gone on without the sequencer (follow.go).
		if followed, ferr := s.followL1(ctx, rl, la, l1Head); followed || ferr != nil {
			return ferr
		}
		return err
	}
	s.mu.Lock()
	s.heads = heads{safe: la, finalized: fin}
	s.mu.Unlock()
	if s.metrics != nil {
		s.metrics.SafeHead.Set(float64(la.Number))
		s.metrics.FinalizedHead.Set(float64(fin))
	}
	s.mu.Lock()
	paused := l1Head < s.pauseUntil
	s.mu.Unlock()
	if paused {
		return nil
	}
	if err := s.resequenceExpired(ctx, la, l1Head); err != nil {
		return err
	}
	return s.post(ctx, rl, enc, la, l1Head)
}

// checkAccepted compares the L1's last accepted block with the own chain.
func (s *Sequencer) checkAccepted(la protocol.Head) error {
	if uint64(la.Number) > s.chain.Head().Number() {
		return fmt.Errorf("the L1 accepted L2 block %d, the own chain ends at %d: restart with an empty data directory to rebuild from the L1",
			la.Number, s.chain.Head().Number())
	}
	own, err := s.chain.BlockByNumber(la.Number)
	if err != nil {
		return err
	}
	if own.Hash() != la.Hash && la.Hash != s.wrongHash(la.Number) {
		return fmt.Errorf("the L1 accepted L2 block %d as %s, the own chain has %s", la.Number, la.Hash, own.Hash())
	}
	return nil
}

// resequenceExpired rewinds the unposted chain to before its first block
// the L1 would refuse: one whose origin's sequencing window closes before
// a batch could be included, unless it already has the deposit-only form
// the contract then demands. The removed transactions go back to the pool
// and the producer rebuilds on the L1's terms (NextBlock).
func (s *Sequencer) resequenceExpired(ctx context.Context, la protocol.Head, l1Head block.L1Number) error {
	s.prodMu.Lock()
	defer s.prodMu.Unlock()
	head := s.chain.Head().Number()
	parent, err := s.chain.BlockByNumber(la.Number)
	if err != nil {
		return err
	}
	for n := uint64(la.Number) + 1; n <= head; n++ {
		b, err := s.chain.BlockByNumber(block.L2Number(n))
		if err != nil {
			return err
		}
		x := b.L2.Origin.Number
		if !s.expired(x, l1Head) {
			return nil
		}
		advances := x == parent.L2.Origin.Number+1
		if !advances || len(b.Transactions) > 0 {
			return s.rewind(block.L2Number(n-1), x)
		}
		originTime, err := s.timeOfOrigin(ctx, x)
		if err != nil {
			return err
		}
		if b.Header.Time != max(parent.Header.Time, originTime) {
			return s.rewind(block.L2Number(n-1), x)
		}
		parent = b
	}
	return nil
}

// expired reports whether a block with origin x could no longer be posted
// with transactions: its window closes before a batch sent now lands.
func (s *Sequencer) expired(x block.L1Number, l1Head block.L1Number) bool {
	return uint64(x)+s.cfg.SequencingWindow <= uint64(l1Head)+s.cfg.InclusionMargin
}

// timeOfOrigin returns the time of L1 block x: remembered, or read from the
// L1 (a restarted sequencer does not remember the origins of the unposted
// blocks it made before; taking the block's own time instead would pass
// a block the contract refuses, and posting would stop for good).
func (s *Sequencer) timeOfOrigin(ctx context.Context, x block.L1Number) (uint64, error) {
	s.mu.Lock()
	t, ok := s.originTimes[x]
	s.mu.Unlock()
	if ok {
		return t, nil
	}
	b, err := s.l1.L1Block(ctx, x)
	if err != nil {
		return 0, fmt.Errorf("re-sequence: time of L1 block %d: %w", x, err)
	}
	return b.Time, nil
}

// rewind re-sequences from block n: the chain goes back to n, the
// removed transactions return to the pool. prodMu is held.
func (s *Sequencer) rewind(n block.L2Number, expiredOrigin block.L1Number) error {
	txs, err := s.chain.Rewind(n)
	if err != nil {
		return err
	}
	st, err := s.chain.HeadState()
	if err != nil {
		return err
	}
	head := s.chain.Head()
	s.pool.Reset(st, s.chain.NextBaseFee(head.Header))
	errs := s.pool.Add(txs...)
	lost := 0
	for _, err := range errs {
		if err != nil {
			lost++
		}
	}
	origin, err := s.l1.L1Block(context.Background(), head.L2.Origin.Number)
	if err != nil {
		return fmt.Errorf("re-sequence: origin of block %d: %w", head.Number(), err)
	}
	s.mu.Lock()
	s.originTime = origin.Time
	s.queue = nil // refetched from the new head's origin
	s.mu.Unlock()
	s.log.Warn("Re-sequencing: the sequencing window of an unposted block's origin closed, so the L1 would refuse it",
		"origin", expiredOrigin, "rewoundTo", n, "transactions", len(txs), "notRepooled", lost)
	s.Notify()
	return nil
}

// post sends the next batch when one is due.
func (s *Sequencer) post(ctx context.Context, rl RollupL1, enc *batch.Encoder, la protocol.Head, l1Head block.L1Number) error {
	head := s.chain.Head().Number()
	if head <= uint64(la.Number) {
		return nil
	}
	first, err := s.chain.BlockByNumber(la.Number + 1)
	if err != nil {
		return err
	}
	b, data, err := s.buildBatch(enc, la, head)
	if err != nil {
		return err
	}
	oldest := first.L2.Origin.Number
	due := len(data) >= s.batcher.TargetBytes || uint64(l1Head) >= uint64(oldest)+s.batcher.PostAfter ||
		len(b.Blocks) >= s.batcher.Limits.MaxBlocks
	if !due {
		return nil
	}
	last := b.Blocks[len(b.Blocks)-1].Number
	if s.falsifyBatch(b, la) {
		if data, err = enc.Encode(b); err != nil {
			return fmt.Errorf("encode the falsified batch: %w", err)
		}
	}
	start := time.Now()
	if _, err := rl.Submit(ctx, data); err != nil {
		return fmt.Errorf("post batch of L2 blocks %d-%d (%d bytes): %w", la.Number+1, last, len(data), err)
	}
	s.log.Info("Batch accepted on L1", "blocks", fmt.Sprintf("%d-%d", la.Number+1, last), "bytes", len(data),
		"txs", countTxs(b), "took", time.Since(start).Round(time.Millisecond))
	if s.metrics != nil {
		s.metrics.Batches.Inc()
		s.metrics.BatchBytes.Add(float64(len(data)))
	}
	return nil
}

// falsifyBatch applies the development switch to b, the batch about to
// be posted after la, and reports whether it changed b. The wrong output
// is posted once (a challenge deletes it, and the batch posted again is
// honest); a wrong-parent lie spread over two batches is continued in
// the second while the L1 holds the first.
func (s *Sequencer) falsifyBatch(b *batch.Batch, la protocol.Head) bool {
	bad := s.batcher.BadOutputAt
	if bad == 0 || len(b.Blocks) == 0 {
		return false
	}
	first, last := b.Blocks[0].Number, b.Blocks[len(b.Blocks)-1].Number
	in := func(n block.L2Number) bool { return n >= first && n <= last }
	if s.batcher.BadOutput != BadWrongParent {
		if s.badPosted || !in(bad) {
			return false
		}
		s.falsify(b, bad)
		s.badPosted = true
		return true
	}
	changed := false
	if !s.badPosted && in(bad-1) {
		s.falsify(b, bad-1)
		s.badPosted = true
		changed = true
	}
	if in(bad) {
		// Block N continues the lie only on top of the wrong N−1: the
		// one in this batch, or the L1's last accepted block.
		parent := la.Hash
		if in(bad - 1) {
			parent = b.Blocks[bad-1-first].BlockHash
		} else if la.Number != bad-1 {
			return changed
		}
		if wrong := s.wrongHash(bad - 1); wrong != (common.Hash{}) && parent == wrong {
			b.Blocks[bad-first].BlockHash = s.wrongHash(bad)
			s.log.Warn("DEVELOPMENT SWITCH: posting an L2 block with its right state root on the wrong parent before it",
				"l2Block", bad, "parent", wrong)
			changed = true
		}
	}
	return changed
}

// falsify makes the posted output of block n wrong, as the development
// switch asks, and says so loudly.
func (s *Sequencer) falsify(b *batch.Batch, n block.L2Number) {
	blk := &b.Blocks[n-b.Blocks[0].Number]
	switch s.batcher.BadOutput {
	case BadZeroStateRoot:
		blk.StateRoot = common.Hash{}
	case BadBlockHash:
		blk.BlockHash = s.wrongHash(n)
	case BadWithdrawals:
		blk.Withdrawals = append(blk.Withdrawals, protocol.Withdrawal{From: s.batcher.BadWithdrawalTo, To: s.batcher.BadWithdrawalTo, Amount: big.NewInt(1)})
	case BadWrongParent:
		blk.StateRoot[31] ^= 0x01
		blk.BlockHash = s.wrongHash(n)
	default:
		blk.StateRoot[31] ^= 0x01
	}
	s.log.Warn("DEVELOPMENT SWITCH: posting a wrong output; the challenger should prove it wrong and take half the bond",
		"l2Block", n, "kind", s.batcher.BadOutput)
}

// wrongHash is the block hash the development switch posts for own block
// n in place of the right one, or zero if it posts none: for
// wrong-block-hash, block N's hash with its first byte flipped; for
// wrong-parent, the hash of N−1's header with the flipped state root, and
// that of N's header re-parented on it. Only the switch posts these
// hashes, so the L1 holding one means the switch posted it.
func (s *Sequencer) wrongHash(n block.L2Number) common.Hash {
	bad := s.batcher.BadOutputAt
	if bad == 0 || n == 0 {
		return common.Hash{}
	}
	switch kind := s.batcher.BadOutput; {
	case kind == BadBlockHash && n == bad:
		own, err := s.chain.BlockByNumber(n)
		if err != nil {
			return common.Hash{}
		}
		h := own.Hash()
		h[0] ^= 0xff
		return h
	case kind == BadWrongParent && (n == bad-1 || n == bad):
		own, err := s.chain.BlockByNumber(n)
		if err != nil {
			return common.Hash{}
		}
		hdr := types.CopyHeader(own.Header)
		if n == bad-1 {
			hdr.Root[31] ^= 0x01
		} else if hdr.ParentHash = s.wrongHash(n - 1); hdr.ParentHash == (common.Hash{}) {
			return common.Hash{}
		}
		return hdr.Hash()
	}
	return common.Hash{}
}

func countTxs(b *batch.Batch) int {
	n := 0
	for i := range b.Blocks {
		n += len(b.Blocks[i].Transactions)
	}
	return n
}

// buildBatch encodes the unposted blocks after la, as many as fit the
// limits (fewer blocks when the encoding is too large, or its submission
// would need more than MaxGas).
func (s *Sequencer) buildBatch(enc *batch.Encoder, la protocol.Head, head uint64) (*batch.Batch, []byte, error) {
	last := min(head, uint64(la.Number)+uint64(s.batcher.Limits.MaxBlocks))
	for {
		b, err := s.batchOf(la, block.L2Number(last))
		if err != nil {
			return nil, nil, err
		}
		data, err := enc.Encode(b)
		if err != nil {
			return nil, nil, fmt.Errorf("encode batch of L2 blocks %d-%d: %w", la.Number+1, last, err)
		}
		gas := SubmitGas(b, data)
		fitsGas := s.batcher.MaxGas == 0 || gas <= s.batcher.MaxGas
		if len(data) <= s.batcher.Limits.MaxBatchBytes && fitsGas {
			return b, data, nil
		}
		if last == uint64(la.Number)+1 {
			return nil, nil, fmt.Errorf("L2 block %d alone encodes to %d bytes (limit %d) and needs %d gas to post (limit %d)",
				last, len(data), s.batcher.Limits.MaxBatchBytes, gas, s.batcher.MaxGas)
		}
		last = uint64(la.Number) + (last-uint64(la.Number))/2
	}
}

// batchOf is the batch of the own blocks after la up to last.
func (s *Sequencer) batchOf(la protocol.Head, last block.L2Number) (*batch.Batch, error) {
	b := &batch.Batch{ParentHash: la.Hash}
	for n := la.Number + 1; n <= last; n++ {
		blk, err := s.chain.BlockByNumber(n)
		if err != nil {
			return nil, err
		}
		ws, err := s.chain.Withdrawals(blk)
		if err != nil {
			return nil, err
		}
		b.Blocks = append(b.Blocks, batch.Block{Number: n, Time: blk.Header.Time, Origin: blk.L2.Origin.Number,
			Transactions: blk.Transactions, StateRoot: blk.Header.Root, BlockHash: blk.Hash(), Withdrawals: ws})
	}
	return b, nil
}
