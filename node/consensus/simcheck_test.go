package consensus

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// checker holds the invariants of a run and the first violation found.
type checker struct {
	decided    map[Height]BlockID
	honestSigs map[voteKey][32]byte // type 0 = proposal
	failure    string
}

func newChecker() checker {
	return checker{decided: make(map[Height]BlockID), honestSigs: make(map[voteKey][32]byte)}
}

func (c *checker) failf(format string, args ...any) {
	if c.failure == "" {
		c.failure = fmt.Sprintf(format, args...)
	}
}

// isByzAddr reports whether addr is one of the run's byzantine validators.
func (s *sim) isByzAddr(addr common.Address) bool {
	for _, b := range s.params.byz {
		if s.addr(b) == addr {
			return true
		}
	}
	return false
}

// commit checks agreement (one block per height across honest nodes) and
// validity (only a built, valid block of that height commits), and that the
// certificate verifies.
func (c *checker) commit(s *sim, n *simNode, cm Commit) {
	if n.byzantine {
		return
	}
	if prev, ok := c.decided[cm.Height]; ok && prev != cm.BlockID {
		c.failf("AGREEMENT violated at h=%d: node %d commits %s, another honest node committed %s", cm.Height, n.idx, cm.BlockID, prev)
	}
	c.decided[cm.Height] = cm.BlockID
	info, known := s.blocks[cm.BlockID]
	if !known || !info.valid || info.height != cm.Height {
		c.failf("VALIDITY violated at h=%d: node %d commits %s (known=%v valid=%v height=%d)", cm.Height, n.idx, cm.BlockID, known, info.valid, info.height)
	}
	if err := s.verify.Commit(cm, s.valsetFor(cm.Height)); err != nil && !s.cfg.testBreakQuorumHalf {
		c.failf("node %d emitted a commit that does not verify: %v", n.idx, err)
	}
}

// honestSigned checks that no honest validator ever signs two different
// messages in one slot (across crashes: this record is the world's, not the node's).
func (c *checker) honestSigned(s *sim, k voteKey, digest [32]byte) {
	if prev, ok := c.honestSigs[k]; ok && prev != digest {
		c.failf("DOUBLE SIGN by honest %s at h=%d r=%d type=%d", shortAddr(k.val), k.h, k.r, k.t)
	}
	c.honestSigs[k] = digest
}

// evidence checks that reported evidence verifies and accuses the byzantine
// validator, and records it for the "every equivocation is reported" check.
func (c *checker) evidence(s *sim, n *simNode, ev Evidence) {
	if err := s.verify.Evidence(ev, s.valsetFor(ev.A.Height)); err != nil {
		c.failf("node %d reported evidence that does not verify: %v", n.idx, err)
	}
	if !s.isByzAddr(ev.A.Validator) {
		c.failf("node %d reported evidence against honest %s", n.idx, shortAddr(ev.A.Validator))
	}
	n.accused[voteKey{ev.A.Validator, ev.A.Height, ev.A.Round, ev.A.Type}] = true
}
