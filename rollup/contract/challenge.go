package contract

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/holiman/uint256"
)

// ChallengeGas is the fixed cost of challenge, on top of the transaction's
// intrinsic and calldata gas (the proof's bytes): the verification is
// bounded by the block caps (transactions per block, operations per L1
// block, the 4 MiB proof), so one constant covers a full block.
const ChallengeGas = 2_000_000

// Errors of challenge. A refused challenge reverts with the error's text
// and changes nothing; test with errors.Is.
var (
	// ErrInvalidChallenge means the challenge proves nothing either way:
	// the proof is malformed, names a block that cannot be challenged, does
	// not match what was posted, or cannot be executed. It is never a
	// verdict on the output. Each arrives together with one of the reasons
	// below.
	ErrInvalidChallenge = errors.New("rollup: invalid challenge")
	// ErrOutputCorrect means the proof is valid and the posted output is
	// the one re-execution computes: the challenge fails (its sender paid
	// the gas).
	ErrOutputCorrect = errors.New("rollup: output is correct: the challenge fails")
	// ErrNoDispute means a dispute index no successful challenge has.
	ErrNoDispute = errors.New("rollup: no such dispute")
)

// Reasons of an invalid challenge, each wrapped with ErrInvalidChallenge.
var (
	// ErrProofMalformed: the proof does not decode (version, RLP, a
	// transaction, the parent header or extras, the witness, a withdrawal)
	// or is larger than any posted block can be. It is
	// protocol.ErrBadFraudProof.
	ErrProofMalformed = protocol.ErrBadFraudProof
	// ErrProofBlock: the proof is about another L2 block than the one
	// challenged.
	ErrProofBlock = errors.New("the proof is for another L2 block")
	// ErrNotChallengeable: the block is in no accepted batch (the L2
	// genesis, a block not posted, or one a challenge deleted).
	ErrNotChallengeable = errors.New("the L2 block is in no accepted batch")
	// ErrBatchFinal: the block's batch is final or its challenge window
	// has passed.
	ErrBatchFinal = errors.New("the L2 block's batch is final")
	// ErrBadPath: the block's inputs and output, rebuilt from the proof,
	// are not a leaf of its batch (its Merkle path does not verify).
	ErrBadPath = errors.New("the block is not what its batch posted: its Merkle path does not verify")
	// ErrBadParent: the parent header is not the posted parent (another
	// number, or for block 1 not the L2 genesis) or cannot be extended.
	ErrBadParent = errors.New("the parent header is not the posted parent")
	// ErrBadParentPath: the parent, rebuilt from its header and the
	// proof, is not a leaf of its batch.
	ErrBadParentPath = errors.New("the parent is not what its batch posted: its Merkle path does not verify")
	// ErrBadOrigin: the block's origin is not in the L1 history kept, or
	// neither the parent's origin nor the next L1 block (no accepted batch
	// could hold such a block).
	ErrBadOrigin = errors.New("the block's L1 origin cannot be checked")
	// ErrWitnessIncomplete: re-execution needed a trie node the witness
	// lacks.
	ErrWitnessIncomplete = errors.New("the witness lacks a node")
	// ErrNotExecutable: the block cannot be re-executed for another reason
	// than the witness (an operation the L2 does not support yet).
	ErrNotExecutable = errors.New("the block cannot be re-executed")
)

// invalid returns an invalid-challenge error with reason and detail.
func invalid(reason error, format string, args ...any) error {
	return fmt.Errorf("%w: %w: %s", ErrInvalidChallenge, reason, fmt.Sprintf(format, args...))
}

// malformed returns an invalid-challenge error for a proof that does not
// decode: err from rollup/protocol (which wraps ErrProofMalformed) or
// from another decoder.
func malformed(err error) error {
	if errors.Is(err, ErrProofMalformed) {
		return fmt.Errorf("%w: %w", ErrInvalidChallenge, err)
	}
	return invalid(ErrProofMalformed, "%v", err)
}

// Output is what an output root commits to, with the root.
type Output struct {
	Root            common.Hash
	StateRoot       common.Hash
	WithdrawalsRoot common.Hash
	BlockHash       common.Hash
}

// newOutput returns the output over stateRoot, withdrawalsRoot and
// blockHash, with its root (protocol.OutputRoot).
func newOutput(stateRoot, withdrawalsRoot, blockHash common.Hash) Output {
	return Output{Root: protocol.OutputRoot(stateRoot, withdrawalsRoot, blockHash), StateRoot: stateRoot,
		WithdrawalsRoot: withdrawalsRoot, BlockHash: blockHash}
}

// verdict is what a valid proof establishes about L2 block number.
type verdict struct {
	number block.L2Number
	// batch is the record of the block's batch.
	batch BatchInfo
	// parent is the block before number as the last accepted block would
	// be after a successful challenge.
	parent protocol.Head
	// posted is the output the batch claims; computed the output
	// re-execution gives.
	posted, computed Output
}

// handleChallenge verifies a fraud proof against the posted output of an
// L2 block and, if the output is wrong, deletes the outputs from that
// block on and slashes the bond of the batch's poster (see doc.go).
func (c *Contract) handleChallenge(ctx *syscontract.Context, args []any) ([]any, error) {
	n, _ := args[0].(uint64)
	data, _ := args[1].([]byte)
	v, err := c.verifyChallenge(ctx, block.L2Number(n), data)
	if err != nil {
		return nil, err
	}
	if v.posted.Root == v.computed.Root {
		return nil, fmt.Errorf("%w: L2 block %d has output %s, as posted", ErrOutputCorrect, n, v.posted.Root)
	}
	return c.settle(ctx, v)
}

// verifyChallenge checks a fraud proof against the contract's state, in
// the order of DESIGN §7, and re-executes the block. Any failure is an
// invalid challenge (ErrInvalidChallenge); success is a verdict.
func (c *Contract) verifyChallenge(ctx *syscontract.Context, n block.L2Number, data []byte) (*verdict, error) {
	p, err := protocol.DecodeFraudProof(data)
	if err != nil {
		return nil, malformed(err)
	}
	if p.Number != uint64(n) {
		return nil, invalid(ErrProofBlock, "challenge of L2 block %d, proof of L2 block %d", n, p.Number)
	}
	v := &verdict{number: n}
	if v.batch, err = c.challengeableBatch(ctx, n); err != nil {
		return nil, err
	}
	origin, txs, err := c.checkPosted(ctx, p, v)
	if err != nil {
		return nil, err
	}
	parent, err := c.checkParent(ctx, p, v)
	if err != nil {
		return nil, err
	}
	if origin.Number != v.parent.Origin && origin.Number != v.parent.Origin+1 {
		return nil, invalid(ErrBadOrigin, "L2 block %d names origin %d after its parent's %d", n, origin.Number, v.parent.Origin)
	}
	extras := block.L2Extras{Origin: origin}
	if origin.Number != v.parent.Origin {
		if extras.Operations, err = bridge.ReadOperations(otherAccounts{ctx}, origin.Number); err != nil {
			return nil, invalid(ErrNotExecutable, "%v", err)
		}
	}
	if v.computed, err = c.reexecute(p, parent, txs, extras); err != nil {
		return nil, err
	}
	return v, nil
}

// challengeableBatch returns the batch of L2 block n if it may still be
// challenged: accepted, not final, and its window not over (a batch
// accepted in L1 block A may be challenged until block A+W, even if the
// hook has not marked it final yet).
func (c *Contract) challengeableBatch(ctx *syscontract.Context, n block.L2Number) (BatchInfo, error) {
	if n == 0 {
		return BatchInfo{}, invalid(ErrNotChallengeable, "L2 block 0 is the genesis, which no batch posts")
	}
	i, err := batchOfBlock(ctx, n, func() error { return nil })
	if err != nil {
		return BatchInfo{}, invalid(ErrNotChallengeable, "%v", err)
	}
	b, err := readBatch(ctx, i)
	if err != nil {
		return BatchInfo{}, err
	}
	now := ctx.Block().Number
	if end := uint64(b.L1Block) + c.cfg.ChallengeWindow; b.Final || now > end {
		return BatchInfo{}, invalid(ErrBatchFinal, "L2 block %d is in batch %d, accepted in L1 block %d: its challenge window ended at L1 block %d",
			n, i, b.L1Block, end)
	}
	return b, nil
}

// checkPosted rebuilds the disputed block's leaf from the proof and the
// origin in the history and checks its Merkle path in its batch. It sets
// v.posted and returns the origin (with its hash and base fee from the
// history) and the decoded transactions.
func (c *Contract) checkPosted(ctx *syscontract.Context, p *protocol.FraudProof, v *verdict) (block.L1Ref, types.Transactions, error) {
	n := v.number
	if got, limit := uint64(len(p.Transactions)), c.caps.MaxTxsPerBlock; got > limit {
		return block.L1Ref{}, nil, invalid(ErrProofMalformed, "%d transactions, a posted block holds at most %d", got, limit)
	}
	if got, limit := uint64(len(p.Withdrawals)), c.caps.MaxWithdrawalsPerBlock; got > limit {
		return block.L1Ref{}, nil, invalid(ErrProofMalformed, "%d withdrawals, a posted block holds at most %d", got, limit)
	}
	txs, err := p.DecodeTransactions()
	if err != nil {
		return block.L1Ref{}, nil, malformed(err)
	}
	wroot, err := protocol.WithdrawalsRoot(p.Withdrawals)
	if err != nil {
		return block.L1Ref{}, nil, malformed(err)
	}
	info := ctx.Block()
	o := block.L1Number(p.Origin)
	l1, ok := lookupL1(ctx, block.L1Number(info.Number), info.ParentHash, o)
	if !ok {
		return block.L1Ref{}, nil, invalid(ErrBadOrigin, "origin %d of L2 block %d is not in the L1 history at L1 block %d", o, n, info.Number)
	}
	v.posted = newOutput(p.StateRoot, wroot, p.BlockHash)
	leaf := protocol.Leaf(protocol.InputsHash(n, p.Time, protocol.L1ID{Number: o, Hash: l1.Hash}, txs), v.posted.Root)
	b := &v.batch
	if !protocol.VerifyMerkleProof(b.Root, leaf, uint64(n-b.FirstBlock), b.LeafCount, p.Path) {
		return block.L1Ref{}, nil, invalid(ErrBadPath, "L2 block %d as leaf %d of the %d of batch %d (root %s)",
			n, n-b.FirstBlock, b.LeafCount, b.Index, b.Root)
	}
	return block.L1Ref{Number: o, Hash: l1.Hash, BaseFee: l1.BaseFee}, txs, nil
}

// checkParent checks the parent header against the parent's posted
// output: for block 1 it must be the L2 genesis; otherwise it must commit
// to the parent extras and be, with the parent's inputs hash and
// withdrawals root, a leaf of the parent's batch. It sets v.parent.
func (c *Contract) checkParent(ctx *syscontract.Context, p *protocol.FraudProof, v *verdict) (*types.Header, error) {
	n := v.number
	if n == 1 {
		var h types.Header
		if err := rlp.DecodeBytes(p.ParentHeader, &h); err != nil {
			return nil, invalid(ErrProofMalformed, "parent header: %v", err)
		}
		genesis := ctx.GetState(slotL2Genesis)
		if got := h.Hash(); got != genesis || h.Root != c.l2GenState {
			return nil, invalid(ErrBadParent, "the parent of L2 block 1 is the L2 genesis %s (state root %s), the header given hashes to %s (state root %s)",
				genesis, c.l2GenState, got, h.Root)
		}
		v.parent = protocol.Head{Number: 0, Hash: genesis, Time: h.Time, Origin: 0}
		return &h, nil
	}
	h, x, err := p.DecodeParent()
	if err != nil {
		return nil, malformed(err)
	}
	if h.Number == nil || !h.Number.IsUint64() || h.Number.Uint64() != uint64(n-1) {
		return nil, invalid(ErrBadParent, "the parent of L2 block %d has number %v", n, h.Number)
	}
	j, err := batchOfBlock(ctx, n-1, func() error { return nil })
	if err != nil {
		return nil, invalid(ErrBadParent, "%v", err)
	}
	pb, err := readBatch(ctx, j)
	if err != nil {
		return nil, err
	}
	hash := h.Hash()
	leaf := protocol.Leaf(p.ParentInputsHash, protocol.OutputRoot(h.Root, p.ParentWithdrawalsRoot, hash))
	if !protocol.VerifyMerkleProof(pb.Root, leaf, uint64(n-1-pb.FirstBlock), pb.LeafCount, p.ParentPath) {
		return nil, invalid(ErrBadParentPath, "parent %d (hash %s, state root %s) as leaf %d of the %d of batch %d (root %s)",
			n-1, hash, h.Root, n-1-pb.FirstBlock, pb.LeafCount, pb.Index, pb.Root)
	}
	v.parent = protocol.Head{Number: n - 1, Hash: hash, Time: h.Time, Origin: x.Origin.Number}
	return h, nil
}

// reexecute applies the disputed block statelessly on the witness, with
// exactly the state transition of the sequencer and derivation (the
// header rule execution.NextL2Header, ApplyBlock under SkipInvalid,
// execution.SealL2Block), and returns the output it computes.
func (c *Contract) reexecute(p *protocol.FraudProof, parent *types.Header, txs types.Transactions, extras block.L2Extras) (Output, error) {
	header, err := execution.NextL2Header(c.exec, parent, p.Time)
	if err != nil {
		return Output{}, invalid(ErrBadParent, "%v", err)
	}
	w, err := execution.DecodeWitness(p.Witness, protocol.MaxFraudProofSize)
	if err != nil {
		return Output{}, malformed(err)
	}
	sdb, err := execution.OpenWitnessState(w, parent.Root)
	if err != nil {
		return Output{}, invalid(ErrWitnessIncomplete, "%v", err)
	}
	res, err := execution.ApplyBlock(c.exec, sdb, header, txs, c.l2reg, execution.SkipInvalid, execution.Options{L2: &extras})
	switch {
	case errors.Is(err, execution.ErrStateUnavailable):
		return Output{}, invalid(ErrWitnessIncomplete, "%v", err)
	case err != nil:
		return Output{}, invalid(ErrNotExecutable, "%v", err)
	}
	b := execution.SealL2Block(header, extras, res)
	wroot, err := protocol.WithdrawalsRoot(res.Withdrawals)
	if err != nil {
		return Output{}, invalid(ErrNotExecutable, "withdrawals of the re-executed block: %v", err)
	}
	return newOutput(res.StateRoot, wroot, b.Hash()), nil
}

// otherAccounts reads other accounts' storage through a handler's
// context (bridge.ReadOperations reads the bridge's).
type otherAccounts struct{ ctx *syscontract.Context }

// GetState reads slot of addr.
func (o otherAccounts) GetState(addr common.Address, slot common.Hash) common.Hash {
	return o.ctx.GetStateOf(addr, slot)
}

// settle applies a successful challenge: batch i is truncated to its
// blocks before the disputed one (deleted if none is left) and every later
// batch is deleted; the parent becomes the last accepted block; the bond
// of batch i's poster (the sequencer, or a fallback proposer) goes half to
// the challenger and half is burned; the dispute is recorded and
// Challenged emitted. It returns the dispute's index.
func (c *Contract) settle(ctx *syscontract.Context, v *verdict) ([]any, error) {
	b := v.batch
	count := b.Index
	if v.number > b.FirstBlock {
		b.BlockCount = uint64(v.number - b.FirstBlock)
		// Only the withdrawals of the blocks that stand may ever be paid.
		b.WithdrawalCount = withdrawalsBefore(ctx, &b, v.number)
		if err := writeBatch(ctx, &b); err != nil {
			return nil, err
		}
		count++
	}
	poster := v.batch.Poster
	if poster == (common.Address{}) {
		poster = c.cfg.Sequencer // a record written before posters were recorded
	}
	bondSlot := mapSlot(syscontract.AddressKey(poster), slotBonds)
	bond := ctx.GetUint256(bondSlot)
	reward := new(uint256.Int).Rsh(bond, 1)
	burned := new(uint256.Int).Sub(bond, reward)
	d := Dispute{
		Index: getU64(ctx, slotDisputeCount), L2Block: v.number, BatchIndex: v.batch.Index, Challenger: ctx.Caller(),
		L1Block: block.L1Number(ctx.Block().Number), Posted: v.posted, Computed: v.computed,
		Reward: reward.ToBig(), Burned: burned.ToBig(), Poster: poster,
	}
	for _, step := range []func() error{
		// Records past the count are dead: writeBatch overwrites every
		// word when an index is used again.
		func() error { return setU64(ctx, slotBatchCount, count) },
		func() error { return writeHead(ctx, v.parent) },
		func() error { return ctx.SetUint256(bondSlot, new(uint256.Int)) },
		func() error { return pay(ctx, d.Challenger, reward) },
		func() error { return burn(ctx, burned) },
		func() error { return writeDispute(ctx, &d) },
		func() error { return setU64(ctx, slotDisputeCount, d.Index+1) },
		func() error {
			return ctx.Emit("Challenged", uint64(d.L2Block), d.Challenger, d.BatchIndex, d.Index,
				[32]byte(d.Posted.Root), [32]byte(d.Computed.Root), d.Reward, d.Burned, d.Poster)
		},
	} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return []any{d.Index}, nil
}

func pay(ctx *syscontract.Context, to common.Address, amount *uint256.Int) error {
	if amount.IsZero() {
		return nil
	}
	return ctx.Transfer(to, amount)
}

func burn(ctx *syscontract.Context, amount *uint256.Int) error {
	if amount.IsZero() {
		return nil
	}
	return ctx.Burn(amount)
}

// Dispute is the record of a successful challenge.
type Dispute struct {
	// Index numbers the successful challenges from 0.
	Index uint64
	// L2Block is the block proven wrong; BatchIndex the batch that posted
	// it (truncated to the blocks before it, or deleted).
	L2Block    block.L2Number
	BatchIndex uint64
	// Challenger sent the challenge and received Reward; Burned is the
	// rest of the poster's bond.
	Challenger common.Address
	// Poster posted the disputed batch (the sequencer, or a fallback
	// proposer after the sequencer timeout): its bond was slashed.
	Poster common.Address
	// L1Block is the L1 block of the challenge.
	L1Block block.L1Number
	// Posted is the output the batch claimed, Computed the one
	// re-execution gave.
	Posted, Computed Output
	Reward, Burned   *big.Int
}

// Words of a dispute record, from its base slot.
const (
	disputeWordHead       = 0  // l2Block | batchIndex << 64 | l1Block << 128
	disputeWordChallenger = 1  // address
	disputeWordPosted     = 2  // outputWords: output root, state root, withdrawals root, block hash
	disputeWordComputed   = 6  // the same outputWords
	disputeWordReward     = 10 // uint256
	disputeWordBurned     = 11 // uint256
	disputeWordPoster     = 12 // address
	disputeWords          = 13
	outputWords           = 4
)

// disputeSlot is word w of dispute i.
func disputeSlot(i, w uint64) common.Hash {
	return offset(mapSlot(syscontract.Uint64Key(i), slotDisputes), w)
}

func outputWordsOf(o *Output) [outputWords]common.Hash {
	return [outputWords]common.Hash{o.Root, o.StateRoot, o.WithdrawalsRoot, o.BlockHash}
}

func writeDispute(w writer, d *Dispute) error {
	words := map[uint64]common.Hash{
		disputeWordHead:       packU64s(uint64(d.L2Block), d.BatchIndex, uint64(d.L1Block)),
		disputeWordChallenger: common.BytesToHash(d.Challenger[:]),
		disputeWordReward:     common.BigToHash(d.Reward),
		disputeWordBurned:     common.BigToHash(d.Burned),
		disputeWordPoster:     common.BytesToHash(d.Poster[:]),
	}
	for k, h := range outputWordsOf(&d.Posted) {
		words[disputeWordPosted+uint64(k)] = h
	}
	for k, h := range outputWordsOf(&d.Computed) {
		words[disputeWordComputed+uint64(k)] = h
	}
	for i := range uint64(disputeWords) {
		if err := w.SetState(disputeSlot(d.Index, i), words[i]); err != nil {
			return err
		}
	}
	return nil
}

func readOutput(r store, i, w uint64) Output {
	return Output{Root: r.GetState(disputeSlot(i, w)), StateRoot: r.GetState(disputeSlot(i, w+1)),
		WithdrawalsRoot: r.GetState(disputeSlot(i, w+2)), BlockHash: r.GetState(disputeSlot(i, w+3))}
}

// readDispute reads dispute i, which must be below the dispute count.
func readDispute(r store, i uint64) (Dispute, error) {
	if n := getU64(r, slotDisputeCount); i >= n {
		return Dispute{}, fmt.Errorf("%w: dispute %d, %d recorded", ErrNoDispute, i, n)
	}
	head := r.GetState(disputeSlot(i, disputeWordHead))
	return Dispute{
		Index: i, L2Block: block.L2Number(unpackU64(head, 0)), BatchIndex: unpackU64(head, 1), L1Block: block.L1Number(unpackU64(head, 2)),
		Challenger: common.BytesToAddress(r.GetState(disputeSlot(i, disputeWordChallenger)).Bytes()),
		Posted:     readOutput(r, i, disputeWordPosted), Computed: readOutput(r, i, disputeWordComputed),
		Reward: r.GetState(disputeSlot(i, disputeWordReward)).Big(), Burned: r.GetState(disputeSlot(i, disputeWordBurned)).Big(),
		Poster: common.BytesToAddress(r.GetState(disputeSlot(i, disputeWordPoster)).Bytes()),
	}, nil
}

// Views.

func (c *Contract) viewDisputeCount(ctx *syscontract.Context, _ []any) ([]any, error) {
	return []any{getU64(ctx, slotDisputeCount)}, nil
}

func (c *Contract) viewDispute(ctx *syscontract.Context, args []any) ([]any, error) {
	i, _ := args[0].(uint64)
	d, err := readDispute(ctx, i)
	if err != nil {
		return nil, err
	}
	return []any{uint64(d.L2Block), d.BatchIndex, d.Challenger, uint64(d.L1Block),
		[32]byte(d.Posted.Root), [32]byte(d.Posted.StateRoot), [32]byte(d.Posted.WithdrawalsRoot), [32]byte(d.Posted.BlockHash),
		[32]byte(d.Computed.Root), [32]byte(d.Computed.StateRoot), [32]byte(d.Computed.WithdrawalsRoot), [32]byte(d.Computed.BlockHash),
		d.Reward, d.Burned, d.Poster}, nil
}
