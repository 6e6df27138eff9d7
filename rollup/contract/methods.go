package contract

import (
	"fmt"
	"math/big"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
)

// genesisHead returns the L2 genesis as the first "last accepted" block,
// for the L1 genesis l1Genesis.
func (c *Contract) genesisHead(l1Genesis common.Hash) protocol.Head {
	return protocol.Head{Number: 0, Hash: c.L2GenesisHash(l1Genesis), Time: c.cfg.L1GenesisTime, Origin: 0}
}

// l1Genesis returns the L1 genesis hash: stored once the contract is
// initialized, else known during L1 block 1 as that block's parent.
func l1Genesis(r store, info syscontract.BlockInfo) (common.Hash, error) {
	if h := r.GetState(slotL1Genesis); h != (common.Hash{}) {
		return h, nil
	}
	if info.Number == 1 {
		return info.ParentHash, nil
	}
	return common.Hash{}, fmt.Errorf("%w: nothing recorded at L1 block %d", ErrNotInitialized, info.Number)
}

// ensureInit initializes the contract's state at its first use, which is
// in L1 block 1 (its end-of-block hook runs there if nothing else does):
// the L1 genesis hash (block 1's parent), the L2 genesis hash, the L2
// genesis as the last accepted block, and the L1 genesis in the history.
func (c *Contract) ensureInit(w writer, info syscontract.BlockInfo) error {
	if w.GetState(slotL1Genesis) != (common.Hash{}) {
		return nil
	}
	g, err := l1Genesis(w, info)
	if err != nil {
		return err
	}
	head := c.genesisHead(g)
	for _, set := range []func() error{
		func() error { return w.SetState(slotL1Genesis, g) },
		func() error { return w.SetState(slotL2Genesis, head.Hash) },
		func() error { return writeHead(w, head) },
		func() error { return recordL1(w, 0, common.Hash{}, c.cfg.L1GenesisTime, c.cfg.L1GenesisRef().BaseFee) },
		func() error { return w.SetState(histSlot(0, histWordHash), g) },
	} {
		if err := set(); err != nil {
			return err
		}
	}
	return nil
}

// lastAccepted returns the last accepted L2 block, the L2 genesis before
// any batch (also before the state is initialized, in L1 block 1).
func (c *Contract) lastAccepted(r store, info syscontract.BlockInfo) (protocol.Head, error) {
	if r.GetState(slotL1Genesis) != (common.Hash{}) {
		return readHead(r), nil
	}
	g, err := l1Genesis(r, info)
	if err != nil {
		return protocol.Head{}, err
	}
	return c.genesisHead(g), nil
}

// handleBond adds the call's value to the sender's bond. Any account may
// bond: the sequencer posts with its bond at any time, others once the
// sequencer timeout has passed (handleSubmitBatch).
func (c *Contract) handleBond(ctx *syscontract.Context, _ []any) ([]any, error) {
	who, value := ctx.Caller(), ctx.Value()
	if value.IsZero() {
		return nil, ctx.Revert("rollup: bond of 0 wei: send the amount to bond as the transaction value")
	}
	slot := mapSlot(syscontract.AddressKey(who), slotBonds)
	total := ctx.GetUint256(slot)
	if _, overflow := total.AddOverflow(total, value); overflow {
		return nil, ctx.Revert("rollup: bond above 2^256-1 wei")
	}
	if err := ctx.SetUint256(slot, total); err != nil {
		return nil, err
	}
	return nil, ctx.Emit("Bonded", who, value.ToBig(), total.ToBig())
}

// handleUnbond pays the sender's whole bond back once no batch of theirs
// is within its challenge window.
func (c *Contract) handleUnbond(ctx *syscontract.Context, _ []any) ([]any, error) {
	who := ctx.Caller()
	slot := mapSlot(syscontract.AddressKey(who), slotBonds)
	amount := ctx.GetUint256(slot)
	if amount.IsZero() {
		return nil, fmt.Errorf("%w: %s has no bond", ErrNothingBonded, who)
	}
	if last := getU64(ctx, mapSlot(syscontract.AddressKey(who), slotLastPosted)); last != 0 {
		until := last + c.cfg.ChallengeWindow
		if now := ctx.Block().Number; now <= until {
			return nil, fmt.Errorf("%w: your last batch was accepted in L1 block %d and may be challenged until L1 block %d: unbond after L1 block %d",
				ErrBondLocked, last, until, until)
		}
	}
	if err := ctx.SetUint256(slot, new(uint256.Int)); err != nil {
		return nil, err
	}
	if err := ctx.Transfer(who, amount); err != nil {
		return nil, err
	}
	if err := ctx.Emit("Unbonded", who, amount.ToBig()); err != nil {
		return nil, err
	}
	return []any{amount.ToBig()}, nil
}

// handleSubmitBatch decodes a batch, checks it with protocol.CheckBatch
// against the contract's state and, if it is accepted, records it. The
// sequencer named in the genesis may post at any time; any other account
// from fallbackFrom on. Either must hold the sequencer bond.
func (c *Contract) handleSubmitBatch(ctx *syscontract.Context, args []any) ([]any, error) {
	data, _ := args[0].([]byte)
	who, info := ctx.Caller(), ctx.Block()
	if who != c.cfg.Sequencer {
		from, since, err := c.fallbackFrom(ctx)
		if err != nil {
			return nil, err
		}
		if now := block.L1Number(info.Number); now < from {
			return nil, fmt.Errorf("%w: %s is not the sequencer %s; any bonded account may post from L1 block %d "+
				"(the sequencer timeout, %d L1 blocks, after L1 block %d of the last accepted batch or successful challenge), this is L1 block %d",
				ErrNotSequencer, who, c.cfg.Sequencer, from, c.cfg.SequencerTimeout, since, now)
		}
	}
	if bond := ctx.GetUint256(mapSlot(syscontract.AddressKey(who), slotBonds)); bond.Lt(c.bond) {
		return nil, fmt.Errorf("%w: bonded %s wei, %s wei required: re-bond first (call bond() with the rest)", ErrBondTooLow, bond, c.bond)
	}
	if len(data) > MaxBatchSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrBatchTooLarge, len(data), MaxBatchSize)
	}
	if err := c.ensureInit(ctx, info); err != nil {
		return nil, err
	}
	b, err := c.decode(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUndecodable, err)
	}
	if err := ctx.UseGas(BatchGas(b) - SubmitBatchGas); err != nil {
		return nil, err
	}
	now := block.L1Number(info.Number)
	lookup := func(n block.L1Number) (common.Hash, uint64, bool) {
		l1, ok := lookupL1(ctx, now, info.ParentHash, n)
		return l1.Hash, l1.Time, ok
	}
	v, err := protocol.CheckBatch(b, protocol.CheckContext{
		Last: readHead(ctx), L1Number: now, L1Time: info.Time, Origin: lookup,
		SequencingWindow: c.cfg.SequencingWindow, Caps: c.caps,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRefused, err)
	}
	if v != protocol.Accept {
		return nil, fmt.Errorf("%w: verdict %s", ErrRefused, v)
	}
	return c.accept(ctx, b, lookup)
}

// fallbackFrom returns the first L1 block in which an account other than
// the sequencer may post a batch, and the L1 block the sequencer timeout
// counts from: the newest of the block that accepted the last accepted
// batch, the block of the last successful challenge (its rollback opens
// the range again, and the sequencer gets the whole timeout to re-bond and
// post it) and L1 block 1 (the contract's initialization).
func (c *Contract) fallbackFrom(r store) (from, since block.L1Number, err error) {
	since = 1
	if n := getU64(r, slotBatchCount); n > 0 {
		b, err := readBatch(r, n-1)
		if err != nil {
			return 0, 0, err
		}
		since = max(since, b.L1Block)
	}
	if n := getU64(r, slotDisputeCount); n > 0 {
		since = max(since, block.L1Number(unpackU64(r.GetState(disputeSlot(n-1, disputeWordHead)), 2)))
	}
	return since + block.L1Number(c.cfg.SequencerTimeout), since, nil
}

// BatchGas is the gas submitBatch charges for b on top of the
// transaction's intrinsic and calldata gas (execution.IntrinsicGas of the
// calldata): SubmitBatchGas plus the per-block, per-transaction and
// per-withdrawal costs (the withdrawals are stored until paid). A batcher
// can set its gas limit from it without eth_estimateGas (which runs at the
// head, where the batch's newest origin may not be in the history yet).
func BatchGas(b *protocol.Batch) uint64 {
	gas := uint64(SubmitBatchGas)
	for i := range b.Blocks {
		blk := &b.Blocks[i]
		gas += BatchBlockGas + BatchTxGas*uint64(len(blk.Transactions)) + BatchWithdrawalGas*uint64(len(blk.Withdrawals))
	}
	return gas
}

// accept records an accepted batch: its record (with the sender as its
// poster), the new last accepted block, the sender's last batch, and the
// BatchAccepted log.
func (c *Contract) accept(ctx *syscontract.Context, b *protocol.Batch, lookup protocol.OriginLookup) ([]any, error) {
	root, err := b.Root(lookup)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRefused, err)
	}
	var ws []protocol.Withdrawal
	for i := range b.Blocks {
		ws = append(ws, b.Blocks[i].Withdrawals...)
	}
	firstNonce, err := nextWithdrawal(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkWithdrawalNonces(b, firstNonce); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRefused, err)
	}
	index := getU64(ctx, slotBatchCount)
	first, lastBlk := b.Blocks[0], b.Blocks[len(b.Blocks)-1]
	rec := BatchInfo{Index: index, FirstBlock: first.Number, BlockCount: uint64(len(b.Blocks)), LeafCount: uint64(len(b.Blocks)),
		L1Block: block.L1Number(ctx.Block().Number), Root: root, WithdrawalCount: uint64(len(ws)), FirstWithdrawal: firstNonce,
		PostedWithdrawals: uint64(len(ws)), Poster: ctx.Caller()}
	if len(ws) > 0 {
		if rec.WithdrawalsRoot, err = protocol.WithdrawalsRoot(ws); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrRefused, err)
		}
	}
	head := protocol.Head{Number: lastBlk.Number, Hash: lastBlk.BlockHash, Time: lastBlk.Time, Origin: lastBlk.Origin}
	for _, set := range []func() error{
		func() error { return writeBatch(ctx, &rec) },
		func() error { return storeWithdrawals(ctx, b) },
		func() error { return setU64(ctx, slotBatchCount, index+1) },
		func() error { return writeHead(ctx, head) },
		func() error {
			return setU64(ctx, mapSlot(syscontract.AddressKey(ctx.Caller()), slotLastPosted), uint64(rec.L1Block))
		},
		func() error {
			return ctx.Emit("BatchAccepted", index, uint64(first.Number), uint64(lastBlk.Number), [32]byte(root))
		},
	} {
		if err := set(); err != nil {
			return nil, err
		}
	}
	return []any{index}, nil
}

// EndBlock implements syscontract.EndBlocker: it initializes the state at
// L1 block 1, records the L1 block in the history, finalizes the batches
// whose challenge window has passed (at most MaxFinalizePerBlock) and pays
// the withdrawals of final batches (at most MaxPayoutsPerBlock).
func (c *Contract) EndBlock(ctx *syscontract.Context) error {
	info := ctx.Block()
	if info.Number == 0 {
		return nil
	}
	if err := c.ensureInit(ctx, info); err != nil {
		return err
	}
	if err := recordL1(ctx, block.L1Number(info.Number), info.ParentHash, info.Time, info.BaseFee); err != nil {
		return err
	}
	if err := c.finalize(ctx, info.Number); err != nil {
		return err
	}
	return c.payout(ctx)
}

// finalize marks final, in order, the batches accepted at least W L1
// blocks before block now.
func (c *Contract) finalize(ctx *syscontract.Context, now uint64) error {
	next, count := getU64(ctx, slotFinalizedNext), getU64(ctx, slotBatchCount)
	done := next
	for ; done < count && done-next < MaxFinalizePerBlock; done++ {
		if err := ctx.UseGas(FinalizeGas); err != nil {
			return err
		}
		b, err := readBatch(ctx, done)
		if err != nil {
			return err
		}
		if uint64(b.L1Block)+c.cfg.ChallengeWindow > now {
			break
		}
		if err := ctx.Emit("BatchFinalized", done, uint64(b.LastBlock())); err != nil {
			return err
		}
	}
	if done == next {
		return nil
	}
	return setU64(ctx, slotFinalizedNext, done)
}

// Views.

func (c *Contract) viewL1BlockHash(ctx *syscontract.Context, args []any) ([]any, error) {
	l1, err := c.viewL1(ctx, args)
	if err != nil {
		return nil, err
	}
	return []any{[32]byte(l1.Hash)}, nil
}

func (c *Contract) viewL1BlockInfo(ctx *syscontract.Context, args []any) ([]any, error) {
	l1, err := c.viewL1(ctx, args)
	if err != nil {
		return nil, err
	}
	return []any{[32]byte(l1.Hash), l1.BaseFee, l1.Time}, nil
}

func (c *Contract) viewL1(ctx *syscontract.Context, args []any) (L1BlockInfo, error) {
	n := block.L1Number(args[0].(uint64))
	info := ctx.Block()
	l1, ok := lookupL1(ctx, block.L1Number(info.Number), info.ParentHash, n)
	if !ok && n == 0 && info.Number == 1 {
		// Block 1 before its hook or first batch: the genesis is its parent.
		l1, ok = L1BlockInfo{Number: 0, Hash: info.ParentHash, BaseFee: c.cfg.L1GenesisRef().BaseFee, Time: c.cfg.L1GenesisTime}, true
	}
	if !ok {
		return L1BlockInfo{}, fmt.Errorf("%w: L1 block %d at L1 block %d (the history keeps the %d blocks before it)",
			ErrNotInHistory, n, info.Number, HistorySize)
	}
	return l1, nil
}

func (c *Contract) viewLatestBlock(ctx *syscontract.Context, _ []any) ([]any, error) {
	h, err := c.lastAccepted(ctx, ctx.Block())
	if err != nil {
		return nil, err
	}
	return []any{uint64(h.Number)}, nil
}

func (c *Contract) viewFinalizedBlock(ctx *syscontract.Context, _ []any) ([]any, error) {
	n, err := finalizedBlock(ctx)
	if err != nil {
		return nil, err
	}
	return []any{uint64(n)}, nil
}

func (c *Contract) viewBatchCount(ctx *syscontract.Context, _ []any) ([]any, error) {
	return []any{getU64(ctx, slotBatchCount)}, nil
}

func (c *Contract) viewFinalizedBatchCount(ctx *syscontract.Context, _ []any) ([]any, error) {
	return []any{getU64(ctx, slotFinalizedNext)}, nil
}

func (c *Contract) viewBatch(ctx *syscontract.Context, args []any) ([]any, error) {
	b, err := readBatch(ctx, args[0].(uint64))
	if err != nil {
		return nil, err
	}
	return []any{uint64(b.FirstBlock), b.BlockCount, uint64(b.L1Block), [32]byte(b.Root), b.Final, b.LeafCount, b.Poster}, nil
}

func (c *Contract) viewBatchWithdrawals(ctx *syscontract.Context, args []any) ([]any, error) {
	b, err := readBatch(ctx, args[0].(uint64))
	if err != nil {
		return nil, err
	}
	return []any{b.WithdrawalCount, [32]byte(b.WithdrawalsRoot), b.FirstWithdrawal, b.PostedWithdrawals}, nil
}

func (c *Contract) viewBatchOfBlock(ctx *syscontract.Context, args []any) ([]any, error) {
	i, err := batchOfBlock(ctx, block.L2Number(args[0].(uint64)), func() error { return ctx.UseGas(SearchStepGas) })
	if err != nil {
		return nil, err
	}
	return []any{i}, nil
}

func (c *Contract) viewLastAccepted(ctx *syscontract.Context, _ []any) ([]any, error) {
	h, err := c.lastAccepted(ctx, ctx.Block())
	if err != nil {
		return nil, err
	}
	return []any{uint64(h.Number), [32]byte(h.Hash), h.Time, uint64(h.Origin)}, nil
}

func (c *Contract) viewL2Genesis(ctx *syscontract.Context, _ []any) ([]any, error) {
	g, err := l1Genesis(ctx, ctx.Block())
	if err != nil {
		return nil, err
	}
	return []any{[32]byte(c.L2GenesisHash(g)), [32]byte(c.l2GenState)}, nil
}

func (c *Contract) viewBondOf(ctx *syscontract.Context, args []any) ([]any, error) {
	a := args[0].(common.Address)
	return []any{new(big.Int).SetBytes(ctx.GetState(mapSlot(syscontract.AddressKey(a), slotBonds)).Bytes())}, nil
}

func (c *Contract) viewFallbackFrom(ctx *syscontract.Context, _ []any) ([]any, error) {
	from, since, err := c.fallbackFrom(ctx)
	if err != nil {
		return nil, err
	}
	return []any{uint64(from), uint64(since)}, nil
}
