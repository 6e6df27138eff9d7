package block

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

// L1Number is the number of an L1 block. It is a distinct type from
// L2Number so that an L1 height is never used where an L2 height is meant.
type L1Number uint64

// L2Number is the number of an L2 block.
type L2Number uint64

// MaxL2Operations bounds the operations one L2 block applies before its
// transactions, so a decoded L2Extras has a bounded size.
const MaxL2Operations = 4096

// Errors of L2 blocks.
var (
	// ErrL2ExtrasHash means an L2 header's MixDigest does not commit to the
	// block's L2 extras.
	ErrL2ExtrasHash = errors.New("mix digest does not match the L2 extras")
	// ErrTooManyOperations means an L2 block lists more than
	// MaxL2Operations operations.
	ErrTooManyOperations = errors.New("L2 block applies too many L1 operations")
	// ErrBadOperation means an operation is malformed (unknown kind, no
	// amount).
	ErrBadOperation = errors.New("malformed L1 operation")
)

// OpKind says what an L1 operation does on L2.
type OpKind uint8

// The kinds of L1 operations an L2 block applies before its transactions.
const (
	// OpDeposit mints Amount to To (value locked in the L1 bridge).
	OpDeposit OpKind = 1
	// OpForceWithdrawal burns Amount from From's L2 account and queues a
	// withdrawal of it to From on L1 (the withdrawals issue).
	OpForceWithdrawal OpKind = 2
	// OpForceTransfer moves Amount from From to To on L2, as an L2
	// transfer the sequencer cannot censor.
	OpForceTransfer OpKind = 3
)

// String names the kind.
func (k OpKind) String() string {
	switch k {
	case OpDeposit:
		return "deposit"
	case OpForceWithdrawal:
		return "force-withdrawal"
	case OpForceTransfer:
		return "force-transfer"
	}
	return fmt.Sprintf("op(%d)", uint8(k))
}

// Operation is an L1 bridge operation applied on L2 before the
// transactions of the first L2 block whose origin reaches its L1 block.
// (L1Block, Index) identifies it: Index counts the bridge's operations in
// that L1 block from 0.
type Operation struct {
	Kind    OpKind
	L1Block L1Number
	Index   uint64
	From    common.Address
	To      common.Address
	Amount  *big.Int
}

// ID is the operation's identity, (L1 block, index).
func (o *Operation) ID() OperationID { return OperationID{L1Block: o.L1Block, Index: o.Index} }

// Validate checks the operation's form.
func (o *Operation) Validate() error {
	switch {
	case o.Kind != OpDeposit && o.Kind != OpForceWithdrawal && o.Kind != OpForceTransfer:
		return fmt.Errorf("%w: kind %d", ErrBadOperation, o.Kind)
	case o.Amount == nil || o.Amount.Sign() < 0 || o.Amount.BitLen() > 256:
		return fmt.Errorf("%w: %s %d/%d has no valid amount", ErrBadOperation, o.Kind, o.L1Block, o.Index)
	}
	return nil
}

// OperationID names an L1 operation: its L1 block and its index there.
type OperationID struct {
	L1Block L1Number
	Index   uint64
}

// L1Ref names an L1 block: number, hash and base fee (the origin of an L2
// block; its base fee prices the L2 block's L1 data fee).
type L1Ref struct {
	Number  L1Number
	Hash    common.Hash
	BaseFee *big.Int
}

// L2Extras is what an L2 header commits to through MixDigest: the L1
// origin, and the L1 operations (deposits, forced operations) of the L1
// blocks the block newly covers, applied before its transactions.
type L2Extras struct {
	Origin     L1Ref
	Operations []Operation
}

// Hash returns keccak256(rlp(e)), the MixDigest of an L2 header.
func (e *L2Extras) Hash() common.Hash {
	enc, err := rlp.EncodeToBytes(e)
	if err != nil {
		// Only hashes, integers, addresses and big integers: cannot fail
		// for values that passed Validate; a nil base fee encodes as 0.
		panic(fmt.Sprintf("block: encode L2 extras: %v", err))
	}
	return crypto.Keccak256Hash(enc)
}

// Validate checks the extras' form: a base fee, at most MaxL2Operations
// well-formed operations.
func (e *L2Extras) Validate() error {
	if e.Origin.BaseFee == nil || e.Origin.BaseFee.Sign() < 0 {
		return fmt.Errorf("%w: origin %d has no base fee", ErrBadOperation, e.Origin.Number)
	}
	if len(e.Operations) > MaxL2Operations {
		return fmt.Errorf("%w: %d > %d", ErrTooManyOperations, len(e.Operations), MaxL2Operations)
	}
	for i := range e.Operations {
		if err := e.Operations[i].Validate(); err != nil {
			return err
		}
	}
	return nil
}

// AssembleL2 completes an L2 header as Assemble does, with MixDigest =
// extras.Hash(), and returns the block (its L1 consensus extras empty).
func AssembleL2(header *types.Header, txs types.Transactions, extras L2Extras) *Block {
	b := Assemble(header, txs, Extras{})
	b.L2 = &extras
	b.Header.MixDigest = extras.Hash()
	return b
}

// IsL2 reports whether b is an L2 block.
func (b *Block) IsL2() bool { return b.L2 != nil }

// ErrBadWithdrawal means a withdrawal is malformed: no amount, a negative
// amount or one above 256 bits.
var ErrBadWithdrawal = errors.New("malformed withdrawal")

// Withdrawal is one L2 → L1 withdrawal an L2 block initiated: Amount wei
// burned on L2 from From, to be paid to To on L1. Nonce numbers the L2's
// withdrawals from 0, in the order they were initiated.
type Withdrawal struct {
	Nonce  uint64
	From   common.Address
	To     common.Address
	Amount *big.Int
}

// Validate checks the withdrawal's form: an amount of 0 to 2^256-1 wei.
func (w *Withdrawal) Validate() error {
	if w.Amount == nil || w.Amount.Sign() < 0 || w.Amount.BitLen() > 256 {
		return fmt.Errorf("%w: withdrawal nonce %d: amount %v is not 0 to 2^256-1 wei", ErrBadWithdrawal, w.Nonce, w.Amount)
	}
	return nil
}
