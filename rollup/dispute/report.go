package dispute

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/bilayer/bilayer/rollup/contract"
)

// Verdicts of a Report.
const (
	// VerdictOutputWrong: the challenge succeeded. The contract
	// re-executed the block, found another output than the posted one,
	// deleted the outputs from the block on and slashed the bond of the
	// batch's poster (the sequencer, or a fallback proposer).
	VerdictOutputWrong = "outputWrong"
	// VerdictRefused: the challenge transaction reverted and changed
	// nothing: the posted output is correct, or the challenge was invalid
	// (Reason says which).
	VerdictRefused = "refused"
)

// Names of the output fields in Report.Differs (the JSON names of Output).
const (
	FieldOutputRoot      = "outputRoot"
	FieldStateRoot       = "stateRoot"
	FieldWithdrawalsRoot = "withdrawalsRoot"
	FieldBlockHash       = "blockHash"
)

// Report explains one challenge: a dispute the rollup contract recorded
// (VerdictOutputWrong), or a challenge transaction it refused
// (VerdictRefused, which has no record: no Dispute, BatchIndex, Claim,
// Computed or Bond).
type Report struct {
	// Verdict is VerdictOutputWrong or VerdictRefused; Explanation says
	// it in a sentence.
	Verdict     string `json:"verdict"`
	Explanation string `json:"explanation"`
	// Reason is the revert reason of a refused challenge (empty if the
	// replay did not revert).
	Reason string `json:"reason,omitempty"`
	// Dispute is the index of the contract's dispute record.
	Dispute *hexutil.Uint64 `json:"dispute,omitempty"`
	// L2Block is the block challenged: for a recorded dispute the first
	// wrong L2 block, whose output and every later one were deleted.
	L2Block hexutil.Uint64 `json:"l2Block"`
	// BatchIndex is the batch that posted L2Block.
	BatchIndex *hexutil.Uint64 `json:"batchIndex,omitempty"`
	// Claim is the output the sequencer posted for L2Block; Computed the
	// one the contract's re-execution gave. Differs names the fields that
	// differ (FieldStateRoot, FieldWithdrawalsRoot, FieldBlockHash; only
	// FieldOutputRoot if none of them does).
	Claim    *Output  `json:"claim,omitempty"`
	Computed *Output  `json:"computed,omitempty"`
	Differs  []string `json:"differs,omitempty"`
	// Challenger sent the challenge.
	Challenger common.Address `json:"challenger"`
	// Bond is where the sequencer's bond went.
	Bond *Bond `json:"bond,omitempty"`
	// BatchTx is the L1 transaction that posted the claim (the batch's
	// acceptance), nil if it was not found; ChallengeTx the challenge's.
	BatchTx     *L1Tx `json:"batchTx,omitempty"`
	ChallengeTx *L1Tx `json:"challengeTx,omitempty"`
	// Notes says what could not be looked up, if anything.
	Notes []string `json:"notes,omitempty"`
}

// Output is an L2 block's output: its root and what the root commits to.
type Output struct {
	OutputRoot      common.Hash `json:"outputRoot"`
	StateRoot       common.Hash `json:"stateRoot"`
	WithdrawalsRoot common.Hash `json:"withdrawalsRoot"`
	BlockHash       common.Hash `json:"blockHash"`
}

func outputOf(o contract.Output) *Output {
	return &Output{OutputRoot: o.Root, StateRoot: o.StateRoot, WithdrawalsRoot: o.WithdrawalsRoot, BlockHash: o.BlockHash}
}

// Field returns the value of the output field name (a Field constant).
func (o *Output) Field(name string) (common.Hash, bool) {
	switch name {
	case FieldOutputRoot:
		return o.OutputRoot, true
	case FieldStateRoot:
		return o.StateRoot, true
	case FieldWithdrawalsRoot:
		return o.WithdrawalsRoot, true
	case FieldBlockHash:
		return o.BlockHash, true
	}
	return common.Hash{}, false
}

// Differs names the fields of the output root that differ between posted
// and computed, in the order the root hashes them; FieldOutputRoot alone
// if only the roots differ, nil if they are equal.
func Differs(posted, computed *Output) []string {
	var out []string
	if posted.StateRoot != computed.StateRoot {
		out = append(out, FieldStateRoot)
	}
	if posted.WithdrawalsRoot != computed.WithdrawalsRoot {
		out = append(out, FieldWithdrawalsRoot)
	}
	if posted.BlockHash != computed.BlockHash {
		out = append(out, FieldBlockHash)
	}
	if len(out) == 0 && posted.OutputRoot != computed.OutputRoot {
		out = append(out, FieldOutputRoot)
	}
	return out
}

// Bond is where the poster's bond went in a successful challenge: all of
// it (Slashed) was taken, Reward paid to the challenger and Burned
// destroyed. Slashed is 0 when the poster had not re-bonded since an
// earlier dispute.
type Bond struct {
	// Sequencer is the account that posted the claim, whose bond was
	// slashed: the sequencer, or a fallback proposer after the sequencer
	// timeout (the dispute record's poster; for a record that does not
	// name it, the sender of BatchTx when it was found). The JSON name
	// stays "sequencer" for existing clients.
	Sequencer *common.Address `json:"sequencer,omitempty"`
	Slashed   *hexutil.Big    `json:"slashed"`
	Reward    *hexutil.Big    `json:"reward"`
	Burned    *hexutil.Big    `json:"burned"`
}

// L1Tx locates an L1 transaction.
type L1Tx struct {
	Hash    common.Hash    `json:"hash"`
	L1Block hexutil.Uint64 `json:"l1Block"`
	TxIndex hexutil.Uint64 `json:"txIndex"`
	// From is the transaction's sender, when it was read.
	From *common.Address `json:"from,omitempty"`
	// Failed is set for a transaction included with status 0.
	Failed bool `json:"failed,omitempty"`
}

// Selector picks the dispute a lookup explains: at most one of its fields
// is set; none means the newest dispute. Its JSON form is an object
// {"l2Block": "0xa"}, {"l1Tx": "0x…"} or {"index": "0x0"} (numbers hex or
// decimal), or a single string: a 32-byte hex hash is an L1 transaction,
// anything else an L2 block number ("0xa" or "10").
type Selector struct {
	// L2Block picks the newest dispute naming this L2 block.
	L2Block *hexutil.Uint64 `json:"l2Block,omitempty"`
	// L1Tx picks the challenge in this L1 transaction (a recorded dispute
	// or a refused challenge).
	L1Tx *common.Hash `json:"l1Tx,omitempty"`
	// Index picks the contract's dispute record by its index.
	Index *hexutil.Uint64 `json:"index,omitempty"`
}

// ErrBadSelector is wrapped by every error decoding or checking a
// Selector.
var ErrBadSelector = errors.New("bad dispute selector")

// ByL2Block selects the newest dispute naming L2 block n.
func ByL2Block(n uint64) Selector { v := hexutil.Uint64(n); return Selector{L2Block: &v} }

// ByL1Tx selects the challenge in L1 transaction hash.
func ByL1Tx(hash common.Hash) Selector { return Selector{L1Tx: &hash} }

// ByIndex selects dispute record i.
func ByIndex(i uint64) Selector { v := hexutil.Uint64(i); return Selector{Index: &v} }

// String describes the selection ("the newest dispute", "L2 block 10", …).
func (s Selector) String() string {
	switch {
	case s.L1Tx != nil:
		return "L1 transaction " + s.L1Tx.Hex()
	case s.L2Block != nil:
		return fmt.Sprintf("L2 block %d", uint64(*s.L2Block))
	case s.Index != nil:
		return fmt.Sprintf("dispute %d", uint64(*s.Index))
	}
	return "the newest dispute"
}

// Check returns an error if more than one field is set.
func (s Selector) Check() error {
	set := 0
	for _, ok := range []bool{s.L2Block != nil, s.L1Tx != nil, s.Index != nil} {
		if ok {
			set++
		}
	}
	if set > 1 {
		return fmt.Errorf("%w: give one of l2Block, l1Tx and index, not %d", ErrBadSelector, set)
	}
	return nil
}

// UnmarshalJSON accepts the object form, a string (hash or block number),
// a bare number (an L2 block) or null (the newest dispute).
func (s *Selector) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	*s = Selector{}
	switch {
	case len(data) == 0 || string(data) == "null":
		return nil
	case data[0] == '"':
		var str string
		if err := json.Unmarshal(data, &str); err != nil {
			return fmt.Errorf("%w: %w", ErrBadSelector, err)
		}
		sel, err := ParseSelector(str)
		if err != nil {
			return err
		}
		*s = sel
		return nil
	case data[0] == '{':
		// Numbers may be hex strings or decimal strings.
		var raw struct {
			L2Block *json.RawMessage `json:"l2Block"`
			L1Tx    *common.Hash     `json:"l1Tx"`
			Index   *json.RawMessage `json:"index"`
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("%w: %w (want {\"l2Block\": N}, {\"l1Tx\": HASH} or {\"index\": I})", ErrBadSelector, err)
		}
		var err error
		if s.L2Block, err = quantity("l2Block", raw.L2Block); err != nil {
			return err
		}
		if s.Index, err = quantity("index", raw.Index); err != nil {
			return err
		}
		s.L1Tx = raw.L1Tx
		return s.Check()
	default:
		n, err := strconv.ParseUint(string(data), 10, 64)
		if err != nil {
			return fmt.Errorf("%w: %s is neither an object, a string nor an L2 block number", ErrBadSelector, data)
		}
		s.L2Block = (*hexutil.Uint64)(&n)
		return nil
	}
}

// quantity decodes an optional number given as a hex or decimal string or
// a bare decimal number.
func quantity(name string, raw *json.RawMessage) (*hexutil.Uint64, error) {
	if raw == nil || string(*raw) == "null" {
		return nil, nil
	}
	var str string
	if err := json.Unmarshal(*raw, &str); err != nil {
		str = string(*raw) // a bare number
	}
	n, err := parseNumber(str)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s: %w", ErrBadSelector, name, *raw, err)
	}
	return &n, nil
}

// ParseSelector reads a selector from a string: a 32-byte 0x hash is an
// L1 transaction, anything else an L2 block number in hex (0x…) or
// decimal. The empty string selects the newest dispute.
func ParseSelector(str string) (Selector, error) {
	str = strings.TrimSpace(str)
	if str == "" {
		return Selector{}, nil
	}
	if has0x(str) && len(str) == 2+2*common.HashLength {
		b, err := hexutil.Decode(str)
		if err != nil {
			return Selector{}, fmt.Errorf("%w: %q is not a transaction hash: %w", ErrBadSelector, str, err)
		}
		return ByL1Tx(common.BytesToHash(b)), nil
	}
	n, err := parseNumber(str)
	if err != nil {
		return Selector{}, fmt.Errorf("%w: %q is neither an L1 transaction hash (0x and 64 hex digits) nor an L2 block number: %w",
			ErrBadSelector, str, err)
	}
	return ByL2Block(uint64(n)), nil
}

func has0x(s string) bool { return len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') }

// parseNumber reads a uint64 in hex (0x…) or decimal.
func parseNumber(s string) (hexutil.Uint64, error) {
	var n uint64
	var err error
	if has0x(s) {
		n, err = strconv.ParseUint(s[2:], 16, 64)
	} else {
		n, err = strconv.ParseUint(s, 10, 64)
	}
	if err != nil {
		return 0, errors.Unwrap(err) // strconv's "invalid syntax" or "value out of range"
	}
	return hexutil.Uint64(n), nil
}

// total returns the sum of reward and burned (nil counts as 0).
func total(reward, burned *big.Int) *big.Int {
	t := new(big.Int)
	if reward != nil {
		t.Add(t, reward)
	}
	if burned != nil {
		t.Add(t, burned)
	}
	return t
}
