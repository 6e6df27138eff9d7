package contract

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// ErrBadResponse means data from a JSON-RPC node (an eth_call result, a
// log) is not what the rollup contract returns or emits.
var ErrBadResponse = errors.New("malformed rollup contract data")

// Readers of the contract's storage in a state (the node, the fraud-proof
// verifier, tests). A StateDB records read failures in its Error(), which
// the caller checks.

// ReadL1Genesis returns the L1 genesis hash the contract recorded, or
// ErrNotInitialized before L1 block 1.
func ReadL1Genesis(st StateReader) (common.Hash, error) {
	h := st.GetState(Address, slotL1Genesis)
	if h == (common.Hash{}) {
		return common.Hash{}, ErrNotInitialized
	}
	return h, nil
}

// ReadL2Genesis returns the L2 genesis hash the contract recorded, or
// ErrNotInitialized before L1 block 1.
func ReadL2Genesis(st StateReader) (common.Hash, error) {
	if _, err := ReadL1Genesis(st); err != nil {
		return common.Hash{}, err
	}
	return st.GetState(Address, slotL2Genesis), nil
}

// ReadLastAccepted returns the last accepted L2 block (the safe head; the
// L2 genesis before any batch), or ErrNotInitialized before L1 block 1.
func ReadLastAccepted(st StateReader) (protocol.Head, error) {
	if _, err := ReadL1Genesis(st); err != nil {
		return protocol.Head{}, err
	}
	return readHead(stateStore{st}), nil
}

// ReadBatchCount returns the number of accepted batches.
func ReadBatchCount(st StateReader) uint64 { return getU64(stateStore{st}, slotBatchCount) }

// ReadFinalizedBatchCount returns the number of final batches (they are
// the first ones).
func ReadFinalizedBatchCount(st StateReader) uint64 {
	return getU64(stateStore{st}, slotFinalizedNext)
}

// ReadFinalizedBlock returns the last L2 block of the last final batch
// (the finalized head; 0, the L2 genesis, before any).
func ReadFinalizedBlock(st StateReader) (block.L2Number, error) {
	return finalizedBlock(stateStore{st})
}

// ReadBatch returns accepted batch i (ErrNoBatch if there is none).
func ReadBatch(st StateReader, i uint64) (BatchInfo, error) { return readBatch(stateStore{st}, i) }

// ReadBatchOfBlock returns the index of the accepted batch that posted L2
// block n (ErrNoBatch if none did).
func ReadBatchOfBlock(st StateReader, n block.L2Number) (uint64, error) {
	return batchOfBlock(stateStore{st}, n, func() error { return nil })
}

// ReadBond returns the bond of account.
func ReadBond(st StateReader, account common.Address) *big.Int {
	return new(big.Int).SetBytes(st.GetState(Address, mapSlot(syscontract.AddressKey(account), slotBonds)).Bytes())
}

// ReadL1Block returns L1 block n from the history in st, the state after
// some L1 block h: n must be below h (the hook of block n+1 records n's
// hash) and not older than HistorySize blocks.
func ReadL1Block(st StateReader, n block.L1Number) (L1BlockInfo, error) {
	l1, ok := readL1(stateStore{st}, n)
	if !ok {
		return L1BlockInfo{}, fmt.Errorf("%w: L1 block %d", ErrNotInHistory, n)
	}
	return l1, nil
}

// Calldata for JSON-RPC clients (eth_call, eth_sendRawTransaction).

func selector(method string) []byte { return append([]byte{}, parsedABI.Methods[method].ID...) }

func withWord(method string, word common.Hash) []byte { return append(selector(method), word[:]...) }

func u64Word(n uint64) common.Hash { return packU64s(n) }

// PackBond returns the calldata of bond(); the amount is the value.
func PackBond() []byte { return selector("bond") }

// PackUnbond returns the calldata of unbond().
func PackUnbond() []byte { return selector("unbond") }

// PackSubmitBatch returns the calldata of submitBatch(data).
func PackSubmitBatch(data []byte) []byte {
	out := make([]byte, 0, 4+64+(len(data)+31)/32*32)
	out = append(out, selector("submitBatch")...)
	offset, length := u64Word(32), u64Word(uint64(len(data)))
	out = append(out, offset[:]...)
	out = append(out, length[:]...)
	out = append(out, data...)
	return append(out, make([]byte, (32-len(data)%32)%32)...)
}

// UnpackSubmitBatchInput returns the batch data of submitBatch calldata
// (the input of a transaction whose BatchAccepted log derivation reads).
func UnpackSubmitBatchInput(calldata []byte) ([]byte, error) {
	m := parsedABI.Methods["submitBatch"]
	if len(calldata) < 4 || string(calldata[:4]) != string(m.ID) {
		return nil, fmt.Errorf("%w: not a submitBatch call", ErrBadResponse)
	}
	if len(calldata) > MaxCallDataSize {
		return nil, fmt.Errorf("%w: submitBatch calldata of %d bytes, at most %d", ErrBadResponse, len(calldata), MaxCallDataSize)
	}
	args, err := m.Inputs.Unpack(calldata[4:])
	if err != nil {
		return nil, fmt.Errorf("%w: submitBatch arguments: %w", ErrBadResponse, err)
	}
	return as[[]byte]("submitBatch", args[0])
}

// PackL1BlockHash returns the calldata of l1BlockHash(n).
func PackL1BlockHash(n block.L1Number) []byte { return withWord("l1BlockHash", u64Word(uint64(n))) }

// PackL1BlockInfo returns the calldata of l1BlockInfo(n).
func PackL1BlockInfo(n block.L1Number) []byte { return withWord("l1BlockInfo", u64Word(uint64(n))) }

// PackLatestBlock returns the calldata of latestBlock().
func PackLatestBlock() []byte { return selector("latestBlock") }

// PackFinalizedBlock returns the calldata of finalizedBlock().
func PackFinalizedBlock() []byte { return selector("finalizedBlock") }

// PackBatchCount returns the calldata of batchCount().
func PackBatchCount() []byte { return selector("batchCount") }

// PackFinalizedBatchCount returns the calldata of finalizedBatchCount().
func PackFinalizedBatchCount() []byte { return selector("finalizedBatchCount") }

// PackBatch returns the calldata of batch(index).
func PackBatch(index uint64) []byte { return withWord("batch", u64Word(index)) }

// PackBatchWithdrawals returns the calldata of batchWithdrawals(index).
func PackBatchWithdrawals(index uint64) []byte { return withWord("batchWithdrawals", u64Word(index)) }

// PackBatchOfBlock returns the calldata of batchOfBlock(l2Block).
func PackBatchOfBlock(n block.L2Number) []byte { return withWord("batchOfBlock", u64Word(uint64(n))) }

// PackLastAccepted returns the calldata of lastAccepted().
func PackLastAccepted() []byte { return selector("lastAccepted") }

// PackL2Genesis returns the calldata of l2Genesis().
func PackL2Genesis() []byte { return selector("l2Genesis") }

// PackFallbackFrom returns the calldata of fallbackFrom().
func PackFallbackFrom() []byte { return selector("fallbackFrom") }

// FallbackWindow is the result of fallbackFrom(): from L1 block From on,
// any bonded account may post batches, not only the sequencer; Since is
// the L1 block the sequencer timeout counts from (the last accepted batch,
// the last successful challenge, or L1 block 1).
type FallbackWindow struct {
	From  block.L1Number
	Since block.L1Number
}

// UnpackFallbackFrom decodes the result of fallbackFrom().
func UnpackFallbackFrom(ret []byte) (FallbackWindow, error) {
	out, err := unpack("fallbackFrom", ret)
	if err != nil {
		return FallbackWindow{}, err
	}
	from, err1 := as[uint64]("fallbackFrom", out[0])
	since, err2 := as[uint64]("fallbackFrom", out[1])
	if err := errors.Join(err1, err2); err != nil {
		return FallbackWindow{}, err
	}
	if from < since {
		return FallbackWindow{}, fmt.Errorf("%w: fallbackFrom %d before %d", ErrBadResponse, from, since)
	}
	return FallbackWindow{From: block.L1Number(from), Since: block.L1Number(since)}, nil
}

// PackBondOf returns the calldata of bondOf(account).
func PackBondOf(account common.Address) []byte {
	return withWord("bondOf", common.BytesToHash(account[:]))
}

// unpack decodes the result of method and checks the output count.
func unpack(method string, ret []byte) ([]any, error) {
	m := parsedABI.Methods[method]
	out, err := m.Outputs.Unpack(ret)
	if err != nil {
		return nil, fmt.Errorf("%w: %s result: %w", ErrBadResponse, method, err)
	}
	if len(out) != len(m.Outputs) {
		return nil, fmt.Errorf("%w: %s result has %d values", ErrBadResponse, method, len(out))
	}
	return out, nil
}

// as returns v as a T or an ErrBadResponse.
func as[T any](method string, v any) (T, error) {
	t, ok := v.(T)
	if !ok {
		return t, fmt.Errorf("%w: %s result holds a %T", ErrBadResponse, method, v)
	}
	return t, nil
}

func unpackUint64(method string, ret []byte) (uint64, error) {
	out, err := unpack(method, ret)
	if err != nil {
		return 0, err
	}
	return as[uint64](method, out[0])
}

// UnpackSubmitBatch decodes the result of submitBatch: the batch's index.
func UnpackSubmitBatch(ret []byte) (uint64, error) { return unpackUint64("submitBatch", ret) }

// UnpackLatestBlock decodes the result of latestBlock().
func UnpackLatestBlock(ret []byte) (block.L2Number, error) {
	n, err := unpackUint64("latestBlock", ret)
	return block.L2Number(n), err
}

// UnpackFinalizedBlock decodes the result of finalizedBlock().
func UnpackFinalizedBlock(ret []byte) (block.L2Number, error) {
	n, err := unpackUint64("finalizedBlock", ret)
	return block.L2Number(n), err
}

// UnpackBatchCount decodes the result of batchCount().
func UnpackBatchCount(ret []byte) (uint64, error) { return unpackUint64("batchCount", ret) }

// UnpackFinalizedBatchCount decodes the result of finalizedBatchCount().
func UnpackFinalizedBatchCount(ret []byte) (uint64, error) {
	return unpackUint64("finalizedBatchCount", ret)
}

// UnpackBatchOfBlock decodes the result of batchOfBlock(l2Block).
func UnpackBatchOfBlock(ret []byte) (uint64, error) { return unpackUint64("batchOfBlock", ret) }

// UnpackBatch decodes the result of batch(index), the poster included;
// the withdrawal fields stay zero (batchWithdrawals has them).
func UnpackBatch(index uint64, ret []byte) (BatchInfo, error) {
	out, err := unpack("batch", ret)
	if err != nil {
		return BatchInfo{}, err
	}
	first, err1 := as[uint64]("batch", out[0])
	count, err2 := as[uint64]("batch", out[1])
	l1, err3 := as[uint64]("batch", out[2])
	root, err4 := as[[32]byte]("batch", out[3])
	final, err5 := as[bool]("batch", out[4])
	leaves, err6 := as[uint64]("batch", out[5])
	poster, err7 := as[common.Address]("batch", out[6])
	if err := errors.Join(err1, err2, err3, err4, err5, err6, err7); err != nil {
		return BatchInfo{}, err
	}
	if count == 0 || first == 0 || first+count < first || leaves < count {
		return BatchInfo{}, fmt.Errorf("%w: batch %d has blocks %d+%d of %d", ErrBadResponse, index, first, count, leaves)
	}
	return BatchInfo{Index: index, FirstBlock: block.L2Number(first), BlockCount: count, LeafCount: leaves, L1Block: block.L1Number(l1),
		Root: root, Final: final, Poster: poster}, nil
}

// BatchWithdrawals is the result of batchWithdrawals(index): the batch's
// payable withdrawals are nonces First to First+Count-1; Root is the
// withdrawals root over the Posted withdrawals the batch posted (more
// than Count if a challenge truncated it).
type BatchWithdrawals struct {
	Count  uint64
	Root   common.Hash
	First  uint64
	Posted uint64
}

// UnpackBatchWithdrawals decodes the result of batchWithdrawals(index).
func UnpackBatchWithdrawals(ret []byte) (BatchWithdrawals, error) {
	out, err := unpack("batchWithdrawals", ret)
	if err != nil {
		return BatchWithdrawals{}, err
	}
	n, err1 := as[uint64]("batchWithdrawals", out[0])
	root, err2 := as[[32]byte]("batchWithdrawals", out[1])
	first, err3 := as[uint64]("batchWithdrawals", out[2])
	posted, err4 := as[uint64]("batchWithdrawals", out[3])
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return BatchWithdrawals{}, err
	}
	if posted < n || first+posted < first {
		return BatchWithdrawals{}, fmt.Errorf("%w: batchWithdrawals count %d of %d posted from nonce %d", ErrBadResponse, n, posted, first)
	}
	return BatchWithdrawals{Count: n, Root: root, First: first, Posted: posted}, nil
}

// UnpackLastAccepted decodes the result of lastAccepted().
func UnpackLastAccepted(ret []byte) (protocol.Head, error) {
	out, err := unpack("lastAccepted", ret)
	if err != nil {
		return protocol.Head{}, err
	}
	n, err1 := as[uint64]("lastAccepted", out[0])
	h, err2 := as[[32]byte]("lastAccepted", out[1])
	t, err3 := as[uint64]("lastAccepted", out[2])
	o, err4 := as[uint64]("lastAccepted", out[3])
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return protocol.Head{}, err
	}
	return protocol.Head{Number: block.L2Number(n), Hash: h, Time: t, Origin: block.L1Number(o)}, nil
}

// UnpackL2Genesis decodes the result of l2Genesis(): the L2 genesis hash
// and state root.
func UnpackL2Genesis(ret []byte) (hash, stateRoot common.Hash, err error) {
	out, err := unpack("l2Genesis", ret)
	if err != nil {
		return common.Hash{}, common.Hash{}, err
	}
	h, err1 := as[[32]byte]("l2Genesis", out[0])
	r, err2 := as[[32]byte]("l2Genesis", out[1])
	if err := errors.Join(err1, err2); err != nil {
		return common.Hash{}, common.Hash{}, err
	}
	return h, r, nil
}

// UnpackBondOf decodes the result of bondOf(account).
func UnpackBondOf(ret []byte) (*big.Int, error) {
	out, err := unpack("bondOf", ret)
	if err != nil {
		return nil, err
	}
	return as[*big.Int]("bondOf", out[0])
}

// UnpackL1BlockHash decodes the result of l1BlockHash(n).
func UnpackL1BlockHash(ret []byte) (common.Hash, error) {
	out, err := unpack("l1BlockHash", ret)
	if err != nil {
		return common.Hash{}, err
	}
	h, err := as[[32]byte]("l1BlockHash", out[0])
	return h, err
}

// UnpackL1BlockInfo decodes the result of l1BlockInfo(n) for block n.
func UnpackL1BlockInfo(n block.L1Number, ret []byte) (L1BlockInfo, error) {
	out, err := unpack("l1BlockInfo", ret)
	if err != nil {
		return L1BlockInfo{}, err
	}
	h, err1 := as[[32]byte]("l1BlockInfo", out[0])
	fee, err2 := as[*big.Int]("l1BlockInfo", out[1])
	t, err3 := as[uint64]("l1BlockInfo", out[2])
	if err := errors.Join(err1, err2, err3); err != nil {
		return L1BlockInfo{}, err
	}
	return L1BlockInfo{Number: n, Hash: h, BaseFee: fee, Time: t}, nil
}

// BatchAccepted is a decoded BatchAccepted log.
type BatchAccepted struct {
	Index      uint64
	FirstBlock block.L2Number
	LastBlock  block.L2Number
	Root       common.Hash
	// L1Block is the L1 block of the log (the block that accepted the
	// batch).
	L1Block block.L1Number
}

// BatchFinalized is a decoded BatchFinalized log.
type BatchFinalized struct {
	Index     uint64
	LastBlock block.L2Number
	// L1Block is the L1 block of the log (the block that finalized the
	// batch).
	L1Block block.L1Number
}

// BatchAcceptedTopic is the topic of BatchAccepted logs, for filters.
func BatchAcceptedTopic() common.Hash { return parsedABI.Events["BatchAccepted"].ID }

// BatchFinalizedTopic is the topic of BatchFinalized logs, for filters.
func BatchFinalizedTopic() common.Hash { return parsedABI.Events["BatchFinalized"].ID }

// eventData checks that log is the contract's event name with one indexed
// uint64 and returns that and the decoded data.
func eventData(log *types.Log, name string) (uint64, []any, error) {
	ev := parsedABI.Events[name]
	if log == nil || log.Address != Address || len(log.Topics) != 2 || log.Topics[0] != ev.ID {
		return 0, nil, fmt.Errorf("%w: log is not a rollup %s", ErrBadResponse, name)
	}
	idx := log.Topics[1]
	if common.BytesToHash(idx[:24]) != (common.Hash{}) {
		return 0, nil, fmt.Errorf("%w: %s index topic %s is not a uint64", ErrBadResponse, name, idx)
	}
	data, err := ev.Inputs.NonIndexed().Unpack(log.Data)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %s data: %w", ErrBadResponse, name, err)
	}
	return unpackU64(idx, 0), data, nil
}

// ParseBatchAccepted decodes a BatchAccepted log of the contract.
func ParseBatchAccepted(log *types.Log) (BatchAccepted, error) {
	index, data, err := eventData(log, "BatchAccepted")
	if err != nil {
		return BatchAccepted{}, err
	}
	first, err1 := as[uint64]("BatchAccepted", data[0])
	last, err2 := as[uint64]("BatchAccepted", data[1])
	root, err3 := as[[32]byte]("BatchAccepted", data[2])
	if err := errors.Join(err1, err2, err3); err != nil {
		return BatchAccepted{}, err
	}
	if first == 0 || last < first {
		return BatchAccepted{}, fmt.Errorf("%w: BatchAccepted blocks %d to %d", ErrBadResponse, first, last)
	}
	return BatchAccepted{Index: index, FirstBlock: block.L2Number(first), LastBlock: block.L2Number(last), Root: root,
		L1Block: block.L1Number(log.BlockNumber)}, nil
}

// ParseBatchFinalized decodes a BatchFinalized log of the contract.
func ParseBatchFinalized(log *types.Log) (BatchFinalized, error) {
	index, data, err := eventData(log, "BatchFinalized")
	if err != nil {
		return BatchFinalized{}, err
	}
	last, err := as[uint64]("BatchFinalized", data[0])
	if err != nil {
		return BatchFinalized{}, err
	}
	return BatchFinalized{Index: index, LastBlock: block.L2Number(last), L1Block: block.L1Number(log.BlockNumber)}, nil
}
