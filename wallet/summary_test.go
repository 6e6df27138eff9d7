package wallet

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

func signedTransfer(t *testing.T) (*types.Transaction, Signer) {
	t.Helper()
	s, err := DevAccount(0)
	if err != nil {
		t.Fatal(err)
	}
	plan := &TransferPlan{ChainID: big.NewInt(1337), From: s.Address, To: common.HexToAddress("0xdead"),
		Value: big.NewInt(15e17), Nonce: 3, Gas: 21000, BaseFee: big.NewInt(1e9), Tip: big.NewInt(1e9)}
	plan.FeeCap = FeeCap(plan.BaseFee, plan.Tip)
	tx, err := plan.Sign(s)
	if err != nil {
		t.Fatal(err)
	}
	if from, err := types.Sender(types.LatestSignerForChainID(big.NewInt(1337)), tx); err != nil || from != s.Address {
		t.Fatalf("signed by %s, %v", from, err)
	}
	if tx.Type() != types.DynamicFeeTxType || tx.GasFeeCap().Int64() != 3e9 || tx.GasTipCap().Int64() != 1e9 {
		t.Fatalf("tx type %d fee cap %s tip %s", tx.Type(), tx.GasFeeCap(), tx.GasTipCap())
	}
	other, err := DevAccount(1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plan.Sign(other); err == nil {
		t.Fatal("signed with a key that is not the sender's")
	}
	return tx, s
}

func TestSummarizePendingAndMined(t *testing.T) {
	tx, s := signedTransfer(t)
	pending := Summarize(tx, s.Address, nil, nil)
	if pending.Status != StatusPending || pending.Receipt != nil || pending.Succeeded() {
		t.Fatalf("pending summary %+v", pending)
	}
	if text := pending.Text(); !strings.Contains(text, "status     pending") || strings.Contains(text, "fee paid") {
		t.Fatalf("pending text:\n%s", text)
	}
	r := &types.Receipt{Status: types.ReceiptStatusSuccessful, GasUsed: 21000, BlockNumber: big.NewInt(7), BlockHash: common.HexToHash("0x01")}
	mined := Summarize(tx, s.Address, r, big.NewInt(2e9))
	if !mined.Succeeded() || mined.Receipt.BlockNumber != 7 || mined.Receipt.Fee != "42000000000000" || mined.Receipt.FeeEth != "0.000042" {
		t.Fatalf("mined summary %+v %+v", mined, mined.Receipt)
	}
	text := mined.Text()
	for _, want := range []string{"value      1.5 ETH", "nonce      3", "status     success", "block      7 (", "gas used   21000 of 21000", "gas price  2 gwei", "fee paid   0.000042 ETH"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	data, err := json.Marshal(mined)
	if err != nil {
		t.Fatal(err)
	}
	var back TxSummary
	if err := json.Unmarshal(data, &back); err != nil || back.Receipt == nil || back.Value != "1500000000000000000" || back.Hash != tx.Hash() {
		t.Fatalf("json round trip %s: %v", data, err)
	}
	r.Status = types.ReceiptStatusFailed
	if failed := Summarize(tx, s.Address, r, big.NewInt(2e9)); failed.Status != StatusFailed || failed.Succeeded() {
		t.Fatalf("failed summary %+v", failed)
	}
}
