package sequencer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/bilayer/bilayer/core/block"
)

// WithdrawalRef names a withdrawal for rollup_withdrawalStatus, in one of
// three ways (exactly one field is set):
//
//   - TxHash: the L2 transaction that called initiateWithdrawal (JSON: a
//     32-byte hex string, or {"txHash": "0x…"});
//   - Nonce: the withdrawal's nonce (JSON: a number, a decimal or 0x-hex
//     string shorter than a hash, or {"nonce": 3});
//   - Operation: the L1 bridge operation of a forced withdrawal (JSON:
//     {"l1Block": 120, "index": 0}, numbers or hex strings), as the
//     ForceWithdrawal log of its L1 transaction names it.
type WithdrawalRef struct {
	TxHash    *common.Hash
	Nonce     *uint64
	Operation *block.OperationID
}

// errBadRef explains what a withdrawal reference may be.
const errBadRef = `bad withdrawal ref %s: want an L2 transaction hash (0x and 64 hex digits), a withdrawal nonce ` +
	`(a number), or {"l1Block": N, "index": I} for a forced withdrawal`

// String names the reference for messages.
func (r WithdrawalRef) String() string {
	switch {
	case r.TxHash != nil:
		return "L2 transaction " + r.TxHash.Hex()
	case r.Nonce != nil:
		return fmt.Sprintf("withdrawal %d", *r.Nonce)
	case r.Operation != nil:
		return fmt.Sprintf("forced withdrawal %d/%d (L1 block %d, operation %d)", r.Operation.L1Block, r.Operation.Index,
			r.Operation.L1Block, r.Operation.Index)
	}
	return "no withdrawal"
}

// MarshalJSON writes the reference as UnmarshalJSON reads it.
func (r WithdrawalRef) MarshalJSON() ([]byte, error) {
	switch {
	case r.TxHash != nil:
		return json.Marshal(r.TxHash)
	case r.Nonce != nil:
		return json.Marshal(hexutil.Uint64(*r.Nonce))
	case r.Operation != nil:
		return json.Marshal(map[string]hexutil.Uint64{"l1Block": hexutil.Uint64(r.Operation.L1Block), "index": hexutil.Uint64(r.Operation.Index)})
	}
	return nil, fmt.Errorf("marshal withdrawal ref: no reference set")
}

// UnmarshalJSON reads a hash or nonce string, a number, or an object (see
// WithdrawalRef).
func (r *WithdrawalRef) UnmarshalJSON(data []byte) error {
	*r = WithdrawalRef{}
	data = bytes.TrimSpace(data)
	switch {
	case len(data) == 0 || string(data) == "null":
		return fmt.Errorf(errBadRef, "null")
	case data[0] == '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return fmt.Errorf(errBadRef, string(data))
		}
		return r.parseString(s)
	case data[0] == '{':
		return r.parseObject(data)
	}
	n, err := strconv.ParseUint(string(data), 10, 64)
	if err != nil {
		return fmt.Errorf(errBadRef, string(data))
	}
	r.Nonce = &n
	return nil
}

// parseString reads a transaction hash or a nonce.
func (r *WithdrawalRef) parseString(s string) error {
	if has0x(s) && len(s) == 2+2*common.HashLength {
		raw, err := hexutil.Decode(s)
		if err != nil {
			return fmt.Errorf(errBadRef, strconv.Quote(s))
		}
		h := common.BytesToHash(raw)
		r.TxHash = &h
		return nil
	}
	n, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		return fmt.Errorf(errBadRef, strconv.Quote(s))
	}
	r.Nonce = &n
	return nil
}

func has0x(s string) bool { return strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") }

// parseObject reads {"txHash"}, {"nonce"} or {"l1Block", "index"}.
func (r *WithdrawalRef) parseObject(data []byte) error {
	var obj struct {
		TxHash  *common.Hash `json:"txHash"`
		Nonce   *flexUint64  `json:"nonce"`
		L1Block *flexUint64  `json:"l1Block"`
		Index   *flexUint64  `json:"index"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&obj); err != nil {
		return fmt.Errorf(errBadRef+": %v", string(data), err)
	}
	set := 0
	if obj.TxHash != nil {
		r.TxHash, set = obj.TxHash, set+1
	}
	if obj.Nonce != nil {
		n := uint64(*obj.Nonce)
		r.Nonce, set = &n, set+1
	}
	if obj.L1Block != nil || obj.Index != nil {
		if obj.L1Block == nil || obj.Index == nil {
			return fmt.Errorf(errBadRef+": a forced withdrawal needs both l1Block and index", string(data))
		}
		r.Operation, set = &block.OperationID{L1Block: block.L1Number(*obj.L1Block), Index: uint64(*obj.Index)}, set+1
	}
	if set != 1 {
		return fmt.Errorf(errBadRef+": give exactly one of txHash, nonce, or l1Block with index", string(data))
	}
	return nil
}

// flexUint64 is a uint64 given as a JSON number or a decimal or 0x-hex
// string.
type flexUint64 uint64

// UnmarshalJSON reads a number or a string.
func (f *flexUint64) UnmarshalJSON(data []byte) error {
	s := string(bytes.TrimSpace(data))
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
	}
	n, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		return fmt.Errorf("%s is not a number", data)
	}
	*f = flexUint64(n)
	return nil
}
