package sequencer

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/bilayer/bilayer/core/block"
)

func ref(n uint64) block.L1Ref {
	return block.L1Ref{Number: block.L1Number(n), Hash: common.BigToHash(big.NewInt(int64(n) + 1000)), BaseFee: big.NewInt(7)}
}

// TestNextBlock covers the origin and time rules: the time follows the
// clock but never goes back; the origin advances one L1 block at a time,
// only to a block it knows that is not newer than the L2 block; a new
// origin with deposits, or a lag above the limit, forces a block.
func TestNextBlock(t *testing.T) {
	dep := []block.Operation{{Kind: block.OpDeposit, L1Block: 6, Amount: big.NewInt(1)}}
	tests := []struct {
		name                   string
		in                     PlanInput
		wantTime               uint64
		wantAdvance, wantForce bool
	}{
		{"no next L1 block: same origin, clock time", PlanInput{ParentTime: 100, ParentOrigin: ref(5), OriginTime: 99, L1Head: 5, Now: 103, MaxOriginLag: 2}, 103, false, false},
		{"clock behind parent: parent's time", PlanInput{ParentTime: 100, ParentOrigin: ref(5), OriginTime: 99, L1Head: 5, Now: 98, MaxOriginLag: 2}, 100, false, false},
		{"next block known, no deposits, small lag: advance, not forced", PlanInput{ParentTime: 100, ParentOrigin: ref(5), OriginTime: 99, Next: &L1Block{Ref: ref(6), Time: 101}, L1Head: 6, Now: 101, MaxOriginLag: 2}, 101, true, false},
		{"next block newer than the L2 time: wait", PlanInput{ParentTime: 100, ParentOrigin: ref(5), OriginTime: 99, Next: &L1Block{Ref: ref(6), Time: 102}, L1Head: 6, Now: 101, MaxOriginLag: 2}, 101, false, false},
		{"next block with a deposit: forced", PlanInput{ParentTime: 100, ParentOrigin: ref(5), OriginTime: 99, Next: &L1Block{Ref: ref(6), Time: 101, Operations: dep}, L1Head: 6, Now: 101, MaxOriginLag: 2}, 101, true, true},
		{"lag above the limit: forced", PlanInput{ParentTime: 100, ParentOrigin: ref(5), OriginTime: 99, Next: &L1Block{Ref: ref(6), Time: 101}, L1Head: 8, Now: 104, MaxOriginLag: 2}, 104, true, true},
		{"leaving the L1 genesis: forced (the L2's first block comes at once)", PlanInput{ParentTime: 100, ParentOrigin: ref(0), OriginTime: 100, Next: &L1Block{Ref: ref(1), Time: 101}, L1Head: 1, Now: 101, MaxOriginLag: 2}, 101, true, true},
		{"next is not the successor: ignored", PlanInput{ParentTime: 100, ParentOrigin: ref(5), OriginTime: 99, Next: &L1Block{Ref: ref(7), Time: 101}, L1Head: 8, Now: 104, MaxOriginLag: 2}, 104, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NextBlock(tt.in)
			if p.Attributes.Time != tt.wantTime || p.Advance != tt.wantAdvance || p.Forced != tt.wantForce {
				t.Fatalf("got time %d advance %v forced %v, want %d %v %v", p.Attributes.Time, p.Advance, p.Forced, tt.wantTime, tt.wantAdvance, tt.wantForce)
			}
			if p.Advance {
				if p.Attributes.Origin != tt.in.Next.Ref || p.Attributes.OriginTime != tt.in.Next.Time || len(p.Attributes.Operations) != len(tt.in.Next.Operations) {
					t.Errorf("advanced to %+v", p.Attributes)
				}
			} else if p.Attributes.Origin != tt.in.ParentOrigin || len(p.Attributes.Operations) != 0 {
				t.Errorf("kept origin %+v", p.Attributes)
			}
			if p.Attributes.Time < p.Attributes.OriginTime {
				t.Errorf("time %d before origin time %d", p.Attributes.Time, p.Attributes.OriginTime)
			}
		})
	}
}
