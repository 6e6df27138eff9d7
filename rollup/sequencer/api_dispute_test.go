package sequencer_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/dispute"
	"github.com/bilayer/bilayer/rollup/l1"
	"github.com/bilayer/bilayer/rollup/sequencer"
)

// noDisputesL1 is an L1 node whose rollup contract has recorded no
// dispute: eth_call answers disputeCount() with 0.
type noDisputesL1 struct{}

// Call answers eth_call.
func (noDisputesL1) Call(args json.RawMessage, _ *string) (hexutil.Bytes, error) {
	var call struct {
		To    string        `json:"to"`
		Input hexutil.Bytes `json:"input"`
		Data  hexutil.Bytes `json:"data"`
	}
	if err := json.Unmarshal(args, &call); err != nil {
		return nil, err
	}
	data := call.Input
	if len(data) == 0 {
		data = call.Data
	}
	if !strings.EqualFold(call.To, contract.Address.Hex()) || string(data) != string(contract.PackDisputeCount()) {
		return nil, errors.New("unexpected call")
	}
	return contract.ABI().Methods["disputeCount"].Outputs.Pack(uint64(0))
}

// rollup_dispute and rollup_disputes on the sequencer's API read the L1
// through its client: with no dispute recorded, the first says so and
// the second is empty; bad selectors are refused; without an L1 client
// both say the node does not read the L1.
func TestRollupDisputeOnTheSequencer(t *testing.T) {
	l1srv := rpc.NewServer()
	if err := l1srv.RegisterName("eth", noDisputesL1{}); err != nil {
		t.Fatal(err)
	}
	defer l1srv.Stop()
	client := l1.New(rpc.DialInProc(l1srv))

	l2srv := rpc.NewServer()
	if err := l2srv.RegisterName("rollup", sequencer.NewRollupAPI(nil, nil, client)); err != nil {
		t.Fatal(err)
	}
	defer l2srv.Stop()
	l2 := rpc.DialInProc(l2srv)
	defer l2.Close()
	ctx := context.Background()

	var rep *dispute.Report
	err := l2.CallContext(ctx, &rep, "rollup_dispute")
	if err == nil || !strings.Contains(err.Error(), "explain the newest dispute: no such dispute: the rollup contract has recorded no dispute") {
		t.Errorf("rollup_dispute(): %v", err)
	}
	err = l2.CallContext(ctx, &rep, "rollup_dispute", map[string]string{"l2Block": "0xa"})
	if err == nil || !strings.Contains(err.Error(), "none of the 0 disputes names L2 block 10") {
		t.Errorf("rollup_dispute({l2Block}): %v", err)
	}
	err = l2.CallContext(ctx, &rep, "rollup_dispute", "ten")
	if err == nil || !strings.Contains(err.Error(), "bad dispute selector") {
		t.Errorf("rollup_dispute(\"ten\"): %v", err)
	}
	var list []*dispute.Report
	if err := l2.CallContext(ctx, &list, "rollup_disputes"); err != nil || list == nil || len(list) != 0 {
		t.Errorf("rollup_disputes(): %v, %v (want [])", list, err)
	}

	noL1 := sequencer.NewRollupAPI(nil, nil, nil)
	if _, err := noL1.Dispute(ctx, nil); err == nil || !strings.Contains(err.Error(), "does not read the L1") {
		t.Errorf("Dispute without an L1: %v", err)
	}
	if _, err := noL1.Disputes(ctx, nil); err == nil || !strings.Contains(err.Error(), "does not read the L1") {
		t.Errorf("Disputes without an L1: %v", err)
	}
}
