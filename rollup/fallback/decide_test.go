package fallback

import (
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/protocol"
)

func TestDecide(t *testing.T) {
	la := protocol.Head{Number: 7, Hash: common.Hash{7}, Time: 100, Origin: 3}
	ready := func() Observation {
		return Observation{L1Head: 50, Window: contract.FallbackWindow{From: 48, Since: 8}, LastAccepted: la,
			DerivedAtAccepted: la.Hash, Postable: 12, Bonded: big.NewInt(10), Required: big.NewInt(10), Balance: big.NewInt(100)}
	}
	cases := []struct {
		name   string
		mutate func(o *Observation)
		want   Action
		reason string // a Wait's reason contains it
	}{
		{"post the derived deposit-only blocks", func(*Observation) {}, Action{Kind: Post, From: 8, To: 12, Silent: 42}, ""},
		{"a transaction sent now lands in the first allowed block", func(o *Observation) { o.L1Head = 47 },
			Action{Kind: Post, From: 8, To: 12, Silent: 39}, ""},
		{"before the timeout", func(o *Observation) { o.L1Head = 46 }, Action{Kind: Wait, Silent: 38},
			"others may post from L1 block 48"},
		{"the derived chain is behind the L1", func(o *Observation) { o.DerivedAtAccepted = common.Hash{} }, Action{Kind: Wait, Silent: 42},
			"has not reached L2 block 7"},
		{"the derived chain disagrees with the L1", func(o *Observation) { o.DerivedAtAccepted = common.Hash{8} }, Action{Kind: Wait, Silent: 42},
			"a challenge must settle that first"},
		{"nothing derived after the last accepted block", func(o *Observation) { o.Postable = 7 }, Action{Kind: Wait, Silent: 42},
			"no derived deposit-only block after L2 block 7"},
		{"bond the rest first", func(o *Observation) { o.Bonded = big.NewInt(4) }, Action{Kind: Bond, Amount: big.NewInt(6), Silent: 42}, ""},
		{"no bond at all", func(o *Observation) { o.Bonded = nil }, Action{Kind: Bond, Amount: big.NewInt(10), Silent: 42}, ""},
		{"a balance too low to bond", func(o *Observation) { o.Bonded, o.Balance = big.NewInt(4), big.NewInt(5) },
			Action{Kind: Wait, Silent: 42}, "cannot bond: 6 wei more are needed"},
		{"bonded above the requirement", func(o *Observation) { o.Bonded = big.NewInt(11) }, Action{Kind: Post, From: 8, To: 12, Silent: 42}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := ready()
			tc.mutate(&o)
			got := Decide(o)
			if got.Kind != tc.want.Kind || got.From != tc.want.From || got.To != tc.want.To || got.Silent != tc.want.Silent ||
				(tc.want.Amount == nil) != (got.Amount == nil) || tc.want.Amount != nil && got.Amount.Cmp(tc.want.Amount) != 0 {
				t.Fatalf("Decide = %+v, want %+v", got, tc.want)
			}
			if got.Kind == Wait && !strings.Contains(got.Reason, tc.reason) {
				t.Fatalf("reason %q does not say %q", got.Reason, tc.reason)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{Wait: "wait", Bond: "bond", Post: "post", Kind(9): "kind(9)"} {
		if got := k.String(); got != want {
			t.Errorf("%d: %q, want %q", int(k), got, want)
		}
	}
}
