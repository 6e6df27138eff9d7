package contract

import (
	"math/big"
	"testing"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/ethereum/go-ethereum/common"
)

// TestChallengedWithdrawalIsNeverPaid: a withdrawal the L2 never initiated,
// posted in block 6, is stored at acceptance; the real fraud proof of
// block 6 deletes it; the honest blocks posted again carry none, and when
// everything is final nothing has been paid.
func TestChallengedWithdrawalIsNeverPaid(t *testing.T) {
	f := newL2Env(t, 8, 8, 4)
	thief := common.HexToAddress("0x7777777777777777777777777777777777777777")
	s := f.runScenario(func(s *[3]*protocol.Batch) {
		posted(s, 6).Withdrawals = []protocol.Withdrawal{{Nonce: 0, From: f.addrs[0], To: thief, Amount: big.NewInt(5e18)}}
	})
	if w := f.status(0); w.Status != WithdrawalAccepted || w.L2Block != 6 || w.To != thief {
		t.Fatalf("the posted withdrawal after acceptance: %+v", w)
	}
	bridgeBefore := f.st.GetBalance(bridge.Address).Clone()
	proof := encodeProof(t, f.mustProof(6, s.posted[1], s.posted[1]))
	if _, _, err := f.challenge(6, proof); err != nil {
		t.Fatal(err)
	}
	if accepted, _, _, err := ReadWithdrawalCounts(f.st); err != nil || accepted != 0 || f.status(0).Status != WithdrawalUnknown {
		t.Fatalf("after the challenge: %d withdrawals accepted (%v), status %s", accepted, err, f.status(0).Status)
	}
	f.bond(eth(10))
	f.endBlock()
	f.mustSubmit(f.claims(6, 9))
	var paid []bridge.WithdrawalPaid
	for end := f.block + window; f.block <= end; {
		_, logs := f.hook()
		paid = append(paid, paidLogs(t, logs)...)
	}
	if len(paid) != 0 || f.st.GetBalance(thief).Sign() != 0 || !f.st.GetBalance(bridge.Address).Eq(bridgeBefore) {
		t.Fatalf("paid %+v; the recipient holds %s", paid, f.st.GetBalance(thief))
	}
	if ReadFinalizedBatchCount(f.st) != ReadBatchCount(f.st) {
		t.Fatal("not everything is final")
	}
}
