package bridge

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

// ErrBadState means the bridge's storage does not hold what the contract
// writes (an operation count over the bound, an unknown operation kind).
var ErrBadState = errors.New("bridge storage is inconsistent")

// Storage slots (see doc.go for the layout).
var (
	slotTotalDeposited = syscontract.Slot(0)
	slotOperations     = syscontract.Slot(1)
	slotTotalWithdrawn = syscontract.Slot(2)
)

// wordsPerOperation is how many storage words one operation takes.
const wordsPerOperation = 4

// StateReader reads an account's storage; *state.StateDB implements it.
type StateReader interface {
	GetState(addr common.Address, slot common.Hash) common.Hash
}

// opsSlot is the slot of operations[l1Block]: it holds the count (the
// array's length); the elements follow keccak of it.
func opsSlot(l1Block block.L1Number) common.Hash {
	return syscontract.MappingSlot(syscontract.Uint64Key(uint64(l1Block)), slotOperations)
}

// elemSlot is word w of element i of the operation array whose length is
// at lenSlot: keccak(lenSlot) + 4i + w, as Solidity lays out a dynamic
// array of four-word structs.
func elemSlot(lenSlot common.Hash, i, w uint64) common.Hash {
	base := new(uint256.Int).SetBytes(crypto.Keccak256(lenSlot[:]))
	base.AddUint64(base, i*wordsPerOperation+w)
	return base.Bytes32()
}

// encodeOperation returns the four storage words of op: kind, L1 block and
// index packed into the first (Solidity packs uint8, uint64, uint64 from
// the low-order end), then from, to and amount.
func encodeOperation(op *block.Operation) [wordsPerOperation]common.Hash {
	var head common.Hash
	head[31] = byte(op.Kind)
	binary.BigEndian.PutUint64(head[23:31], uint64(op.L1Block))
	binary.BigEndian.PutUint64(head[15:23], op.Index)
	amount, _ := uint256.FromBig(op.Amount) // the call value: 256 bits
	return [wordsPerOperation]common.Hash{head, common.BytesToHash(op.From[:]), common.BytesToHash(op.To[:]), amount.Bytes32()}
}

// decodeOperation reverses encodeOperation.
func decodeOperation(words [wordsPerOperation]common.Hash) block.Operation {
	head := words[0]
	return block.Operation{
		Kind:    block.OpKind(head[31]),
		L1Block: block.L1Number(binary.BigEndian.Uint64(head[23:31])),
		Index:   binary.BigEndian.Uint64(head[15:23]),
		From:    common.BytesToAddress(words[1][12:]),
		To:      common.BytesToAddress(words[2][12:]),
		Amount:  new(big.Int).SetBytes(words[3][:]),
	}
}

// readOperations reads the operations of l1Block through get (the bridge
// account's storage) and checks that they are what the contract writes.
func readOperations(get func(common.Hash) common.Hash, l1Block block.L1Number) ([]block.Operation, error) {
	lenSlot := opsSlot(l1Block)
	count := new(uint256.Int).SetBytes32(get(lenSlot).Bytes())
	if !count.IsUint64() || count.Uint64() > MaxOperationsPerBlock {
		return nil, fmt.Errorf("%w: L1 block %d records %s operations, at most %d", ErrBadState, l1Block, count, MaxOperationsPerBlock)
	}
	n := count.Uint64()
	ops := make([]block.Operation, 0, n)
	for i := range n {
		var words [wordsPerOperation]common.Hash
		for w := range uint64(wordsPerOperation) {
			words[w] = get(elemSlot(lenSlot, i, w))
		}
		op := decodeOperation(words)
		if err := op.Validate(); err != nil {
			return nil, fmt.Errorf("%w: operation %d/%d: %w", ErrBadState, l1Block, i, err)
		}
		if op.L1Block != l1Block || op.Index != i {
			return nil, fmt.Errorf("%w: operation %d/%d is stored as %d/%d", ErrBadState, l1Block, i, op.L1Block, op.Index)
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// ReadOperations returns the bridge operations recorded in L1 block l1Block,
// in index order, from the bridge's storage in st (the state after that
// block or any later one): what the L2 applies for that block, for the
// fraud-proof verifier and tests. A StateDB records read failures in its
// Error(), which the caller checks.
func ReadOperations(st StateReader, l1Block block.L1Number) ([]block.Operation, error) {
	ops, err := readOperations(func(slot common.Hash) common.Hash { return st.GetState(Address, slot) }, l1Block)
	if err != nil {
		return nil, fmt.Errorf("read bridge operations of L1 block %d: %w", l1Block, err)
	}
	return ops, nil
}

// OperationCount returns how many bridge operations L1 block l1Block
// recorded, from the bridge's storage in st.
func OperationCount(st StateReader, l1Block block.L1Number) uint64 {
	return new(uint256.Int).SetBytes32(st.GetState(Address, opsSlot(l1Block)).Bytes()).Uint64()
}

// TotalDeposited returns the wei deposited through the bridge since
// genesis (not counting its genesis balance), from its storage in st.
func TotalDeposited(st StateReader) *big.Int {
	return new(big.Int).SetBytes(st.GetState(Address, slotTotalDeposited).Bytes())
}
