package verifier_test

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
	"github.com/bilayer/bilayer/rollup/verifier"
)

// noDisputesL1 is an L1 node whose rollup contract has recorded no
// dispute: eth_call answers disputeCount() with 0.
type noDisputesL1 struct{}

// Call answers eth_call.
func (noDisputesL1) Call(args json.RawMessage, _ *string) (hexutil.Bytes, error) {
	var call struct {
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
	if string(data) != string(contract.PackDisputeCount()) {
		return nil, errors.New("unexpected call")
	}
	return contract.ABI().Methods["disputeCount"].Outputs.Pack(uint64(0))
}

// The challenger's rollup_dispute and rollup_disputes read the L1 through
// the reader they are given; without one they say so.
func TestRollupDisputeOnTheVerifier(t *testing.T) {
	l1srv := rpc.NewServer()
	if err := l1srv.RegisterName("eth", noDisputesL1{}); err != nil {
		t.Fatal(err)
	}
	defer l1srv.Stop()
	reader := dispute.New(dispute.NewL1(l1.New(rpc.DialInProc(l1srv))))

	l2srv := rpc.NewServer()
	if err := l2srv.RegisterName("rollup", verifier.NewAPI(nil, nil, nil, reader)); err != nil {
		t.Fatal(err)
	}
	defer l2srv.Stop()
	l2 := rpc.DialInProc(l2srv)
	defer l2.Close()
	ctx := context.Background()

	var rep *dispute.Report
	if err := l2.CallContext(ctx, &rep, "rollup_dispute", "0xa"); err == nil || !strings.Contains(err.Error(), "explain L2 block 10: no such dispute") {
		t.Errorf("rollup_dispute(\"0xa\"): %v", err)
	}
	if err := l2.CallContext(ctx, &rep, "rollup_dispute", map[string]string{"l2Block": "0xa", "index": "0x0"}); err == nil ||
		!strings.Contains(err.Error(), "give one of l2Block, l1Tx and index") {
		t.Errorf("rollup_dispute with two selections: %v", err)
	}
	var list []*dispute.Report
	if err := l2.CallContext(ctx, &list, "rollup_disputes", hexutil.Uint64(5)); err != nil || list == nil || len(list) != 0 {
		t.Errorf("rollup_disputes(5): %v, %v (want [])", list, err)
	}

	none := verifier.NewAPI(nil, nil, nil, nil)
	if _, err := none.Dispute(ctx, nil); err == nil || !strings.Contains(err.Error(), "does not read the L1") {
		t.Errorf("Dispute without a reader: %v", err)
	}
	if _, err := none.Disputes(ctx, nil); err == nil || !strings.Contains(err.Error(), "does not read the L1") {
		t.Errorf("Disputes without a reader: %v", err)
	}
}
