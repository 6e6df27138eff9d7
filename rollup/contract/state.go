package contract

import (
	"encoding/binary"
	"fmt"
	"math/big"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
)

// Storage slots (doc.go describes the layout).
var (
	slotL1Genesis     = syscontract.Slot(0)
	slotL2Genesis     = syscontract.Slot(1)
	slotLastAccepted  = syscontract.Slot(2)
	slotLastHash      = syscontract.Slot(3)
	slotBatchCount    = syscontract.Slot(4)
	slotFinalizedNext = syscontract.Slot(5)
	slotBonds         = syscontract.Slot(6)
	slotLastPosted    = syscontract.Slot(7)
	slotBatches       = syscontract.Slot(8)
	slotHistory       = syscontract.Slot(9)
	slotDisputeCount  = syscontract.Slot(10)
	slotDisputes      = syscontract.Slot(11)
	slotPayout        = syscontract.Slot(12)
	slotWithdrawals   = syscontract.Slot(13)
)

// Words of a batch record, from its base slot.
const (
	batchWordHead        = 0 // firstBlock | blockCount << 64 | l1Block << 128 | leafCount << 192 (0 unless truncated)
	batchWordRoot        = 1 // Merkle root over (inputs hash, output root)
	batchWordWithdrawals = 2 // count | first nonce << 64 | posted count << 128 (0 unless truncated)
	batchWordWRoot       = 3 // withdrawals root of the withdrawals the batch posted, in order (only if any)
	batchWordPoster      = 4 // the account that posted the batch (the sender of submitBatch)
)

// Words of a history entry, from its base slot.
const (
	histWordHash    = 0 // the block's hash
	histWordMeta    = 1 // number | time << 64 | 1 << 128 (present)
	histWordBaseFee = 2 // the block's base fee
)

// presentBit marks a written history entry (number 0 is a valid block).
const presentBit = 128

// store reads the contract's storage: a handler's *syscontract.Context or
// a StateDB view.
type store interface {
	GetState(slot common.Hash) common.Hash
}

// writer writes the contract's storage.
type writer interface {
	store
	SetState(slot, value common.Hash) error
}

// StateReader reads an account's storage; *state.StateDB implements it.
type StateReader interface {
	GetState(addr common.Address, slot common.Hash) common.Hash
}

// stateStore reads the contract's storage from a StateReader.
type stateStore struct{ st StateReader }

// GetState reads a slot of the contract's account.
func (s stateStore) GetState(slot common.Hash) common.Hash { return s.st.GetState(Address, slot) }

// offset returns base + i as a slot.
func offset(base common.Hash, i uint64) common.Hash {
	v := new(uint256.Int).SetBytes32(base[:])
	return v.AddUint64(v, i).Bytes32()
}

func mapSlot(key, slot common.Hash) common.Hash { return syscontract.MappingSlot(key, slot) }

// batchSlot is word w of the record of batch i.
func batchSlot(i, w uint64) common.Hash {
	return offset(mapSlot(syscontract.Uint64Key(i), slotBatches), w)
}

// histSlot is word w of the ring entry that holds L1 block n.
func histSlot(n block.L1Number, w uint64) common.Hash {
	return offset(mapSlot(syscontract.Uint64Key(uint64(n)%HistorySize), slotHistory), w)
}

// packU64s packs up to four uint64 into a word, the first in the
// low-order bytes (as Solidity packs a struct's small fields).
func packU64s(vs ...uint64) common.Hash {
	var w common.Hash
	for i, v := range vs {
		binary.BigEndian.PutUint64(w[24-8*i:32-8*i], v)
	}
	return w
}

// unpackU64 returns the i-th uint64 packed in w.
func unpackU64(w common.Hash, i int) uint64 { return binary.BigEndian.Uint64(w[24-8*i : 32-8*i]) }

func getU64(r store, slot common.Hash) uint64 { return unpackU64(r.GetState(slot), 0) }

func setU64(w writer, slot common.Hash, v uint64) error { return w.SetState(slot, packU64s(v)) }

// readHead returns the last accepted L2 block as stored.
func readHead(r store) protocol.Head {
	w := r.GetState(slotLastAccepted)
	return protocol.Head{
		Number: block.L2Number(unpackU64(w, 0)), Time: unpackU64(w, 1), Origin: block.L1Number(unpackU64(w, 2)),
		Hash: r.GetState(slotLastHash),
	}
}

func writeHead(w writer, h protocol.Head) error {
	if err := w.SetState(slotLastAccepted, packU64s(uint64(h.Number), h.Time, uint64(h.Origin))); err != nil {
		return err
	}
	return w.SetState(slotLastHash, h.Hash)
}

// BatchInfo is what the contract keeps of an accepted batch.
type BatchInfo struct {
	// Index numbers the accepted batches from 0.
	Index uint64
	// FirstBlock and BlockCount give the L2 blocks of the batch that
	// stand: all it posted, or those before the block a successful
	// challenge proved wrong (the batch is then truncated).
	FirstBlock block.L2Number
	BlockCount uint64
	// LeafCount is the number of leaves under Root: the blocks the batch
	// posted, BlockCount or more if a challenge truncated it. Merkle
	// paths are checked against it.
	LeafCount uint64
	// L1Block is the L1 block that accepted the batch.
	L1Block block.L1Number
	// Root is the Merkle root over the blocks' (inputs hash, output root)
	// leaves (protocol.Batch.Root).
	Root common.Hash
	// WithdrawalCount is the number of withdrawals the batch's standing
	// blocks initiated: nonces FirstWithdrawal to FirstWithdrawal +
	// WithdrawalCount - 1, stored in the contract until paid (payout.go).
	// FirstWithdrawal is also the number of withdrawals before the batch.
	WithdrawalCount uint64
	FirstWithdrawal uint64
	// PostedWithdrawals is the number of withdrawals the batch posted,
	// WithdrawalCount or more if a challenge truncated it, and
	// WithdrawalsRoot protocol.WithdrawalsRoot of those, in order (zero
	// when there are none).
	PostedWithdrawals uint64
	WithdrawalsRoot   common.Hash
	// Final reports whether the batch has outlived the challenge window
	// (as of the state it was read from).
	Final bool
	// Poster is the account that posted the batch: the sequencer, or after
	// the sequencer timeout any bonded account. A successful challenge of
	// one of its blocks slashes the poster's bond.
	Poster common.Address
}

// LastBlock is the batch's last L2 block.
func (b *BatchInfo) LastBlock() block.L2Number {
	return b.FirstBlock + block.L2Number(b.BlockCount) - 1
}

// readBatch reads batch i, which must be below the batch count.
func readBatch(r store, i uint64) (BatchInfo, error) {
	if n := getU64(r, slotBatchCount); i >= n {
		return BatchInfo{}, fmt.Errorf("%w: batch %d, %d accepted", ErrNoBatch, i, n)
	}
	head := r.GetState(batchSlot(i, batchWordHead))
	b := BatchInfo{
		Index: i, FirstBlock: block.L2Number(unpackU64(head, 0)), BlockCount: unpackU64(head, 1),
		L1Block: block.L1Number(unpackU64(head, 2)), LeafCount: unpackU64(head, 3),
		Root:  r.GetState(batchSlot(i, batchWordRoot)),
		Final: i < getU64(r, slotFinalizedNext),
	}
	if b.LeafCount == 0 { // not truncated
		b.LeafCount = b.BlockCount
	}
	ws := r.GetState(batchSlot(i, batchWordWithdrawals))
	b.WithdrawalCount, b.FirstWithdrawal, b.PostedWithdrawals = unpackU64(ws, 0), unpackU64(ws, 1), unpackU64(ws, 2)
	if b.PostedWithdrawals == 0 { // not truncated
		b.PostedWithdrawals = b.WithdrawalCount
	}
	b.WithdrawalsRoot = r.GetState(batchSlot(i, batchWordWRoot))
	b.Poster = common.BytesToAddress(r.GetState(batchSlot(i, batchWordPoster)).Bytes())
	if b.BlockCount == 0 || b.FirstBlock == 0 || b.L1Block == 0 || b.LeafCount < b.BlockCount ||
		b.PostedWithdrawals < b.WithdrawalCount || b.FirstWithdrawal+b.PostedWithdrawals < b.FirstWithdrawal {
		return BatchInfo{}, fmt.Errorf("%w: batch %d is stored as %+v", ErrBadState, i, b)
	}
	return b, nil
}

// writeBatch stores the record of batch b.Index. The leaf count and the
// posted withdrawal count are stored only when they differ from the block
// and withdrawal counts (a truncated batch), so an accepted batch's record
// is three fields in its head word and two in its withdrawals word.
func writeBatch(w writer, b *BatchInfo) error {
	var leaves uint64
	if b.LeafCount != b.BlockCount {
		leaves = b.LeafCount
	}
	if err := w.SetState(batchSlot(b.Index, batchWordHead), packU64s(uint64(b.FirstBlock), b.BlockCount, uint64(b.L1Block), leaves)); err != nil {
		return err
	}
	if err := w.SetState(batchSlot(b.Index, batchWordRoot), b.Root); err != nil {
		return err
	}
	var posted uint64
	if b.PostedWithdrawals != b.WithdrawalCount {
		posted = b.PostedWithdrawals
	}
	// Written even when zero, so a record never keeps a deleted batch's
	// withdrawals (a zero into an empty slot leaves the trie as it is).
	if err := w.SetState(batchSlot(b.Index, batchWordWithdrawals), packU64s(b.WithdrawalCount, b.FirstWithdrawal, posted)); err != nil {
		return err
	}
	if err := w.SetState(batchSlot(b.Index, batchWordWRoot), b.WithdrawalsRoot); err != nil {
		return err
	}
	return w.SetState(batchSlot(b.Index, batchWordPoster), common.BytesToHash(b.Poster[:]))
}

// finalizedBlock is the last L2 block of the last final batch (0, the L2
// genesis, before any).
func finalizedBlock(r store) (block.L2Number, error) {
	f := getU64(r, slotFinalizedNext)
	if f == 0 {
		return 0, nil
	}
	b, err := readBatch(r, f-1)
	if err != nil {
		return 0, err
	}
	return b.LastBlock(), nil
}

// batchOfBlock finds the batch that posted L2 block n by binary search
// over the batches' first blocks (they increase with the index). step is
// called once per storage read of the search.
func batchOfBlock(r store, n block.L2Number, step func() error) (uint64, error) {
	count := getU64(r, slotBatchCount)
	lo, hi := uint64(0), count // find the last batch whose first block is <= n
	for lo < hi {
		if err := step(); err != nil {
			return 0, err
		}
		mid := lo + (hi-lo)/2
		if block.L2Number(unpackU64(r.GetState(batchSlot(mid, batchWordHead)), 0)) <= n {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == 0 {
		return 0, fmt.Errorf("%w: L2 block %d is in no accepted batch (%d batches)", ErrNoBatch, n, count)
	}
	b, err := readBatch(r, lo-1)
	if err != nil {
		return 0, err
	}
	if n > b.LastBlock() {
		return 0, fmt.Errorf("%w: L2 block %d is after the last accepted block %d", ErrNoBatch, n, b.LastBlock())
	}
	return lo - 1, nil
}

// L1BlockInfo is what the contract's history holds of an L1 block.
type L1BlockInfo struct {
	Number  block.L1Number
	Hash    common.Hash
	BaseFee *big.Int
	Time    uint64
}

// historyMeta returns the number and time recorded in the ring entry of
// n, and whether that entry holds n.
func historyMeta(r store, n block.L1Number) (time uint64, ok bool) {
	w := r.GetState(histSlot(n, histWordMeta))
	if w[31-presentBit/8]&(1<<(presentBit%8)) == 0 || block.L1Number(unpackU64(w, 0)) != n {
		return 0, false
	}
	return unpackU64(w, 1), true
}

// lookupL1 returns L1 block n from the history as seen by a call in L1
// block current (whose parent hash is parentHash): blocks below
// current-1 from storage, block current-1 with its hash from the block
// being executed (the hook records it only at the end of current).
// It fails for current and later blocks and for blocks the ring no longer
// (or never) held.
func lookupL1(r store, current block.L1Number, parentHash common.Hash, n block.L1Number) (L1BlockInfo, bool) {
	if n >= current {
		return L1BlockInfo{}, false
	}
	t, ok := historyMeta(r, n)
	if !ok {
		return L1BlockInfo{}, false
	}
	info := L1BlockInfo{Number: n, Time: t, BaseFee: new(big.Int).SetBytes(r.GetState(histSlot(n, histWordBaseFee)).Bytes())}
	if n+1 == current {
		info.Hash = parentHash
		return info, true
	}
	if _, ok := historyMeta(r, n+1); !ok {
		return L1BlockInfo{}, false
	}
	info.Hash = r.GetState(histSlot(n, histWordHash))
	return info, true
}

// readL1 returns L1 block n from a state: complete entries only (the
// block after n has been recorded too, which records n's hash).
func readL1(r store, n block.L1Number) (L1BlockInfo, bool) {
	if n == ^block.L1Number(0) {
		return L1BlockInfo{}, false
	}
	return lookupL1(r, n+2, common.Hash{}, n)
}

// metaWord is the meta word of L1 block n with time t.
func metaWord(n block.L1Number, t uint64) common.Hash {
	w := packU64s(uint64(n), t)
	w[31-presentBit/8] |= 1 << (presentBit % 8)
	return w
}

// recordL1 records, at the end of L1 block n, the hash of block n-1 and
// block n's time and base fee.
func recordL1(w writer, n block.L1Number, parentHash common.Hash, t uint64, baseFee *big.Int) error {
	if n > 0 {
		if err := w.SetState(histSlot(n-1, histWordHash), parentHash); err != nil {
			return err
		}
	}
	if err := w.SetState(histSlot(n, histWordMeta), metaWord(n, t)); err != nil {
		return err
	}
	fee := new(uint256.Int)
	if baseFee != nil {
		if overflow := fee.SetFromBig(baseFee); overflow {
			return fmt.Errorf("%w: base fee of L1 block %d above 256 bits", ErrBadState, n)
		}
	}
	return w.SetState(histSlot(n, histWordBaseFee), fee.Bytes32())
}
