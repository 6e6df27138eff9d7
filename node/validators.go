package node

import (
	"fmt"
	"slices"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/node/consensus"
	"github.com/ethereum/go-ethereum/common"
)

// valsCacheSize bounds the cached validator sets.
const valsCacheSize = 64

// validatorsAt returns the validator set of height h (h >= 1) with its
// proposer priorities. The set of height 1 is the genesis set; the set of
// h+1 is the set of h with priorities advanced once (NextHeight), adjusted
// to the members the state after block h names when block h's header says
// the set changed. Heights up to the head's next are cached; for later
// heights (gossip for the future) the last known members are assumed.
//
// The sets are persisted (persistedSets) so that a restart does not replay
// the chain from genesis: the sets of the newest height computed and the
// one before it, and the set of every height at which the set changed. A
// set not in memory is computed from the newest of those below it, reading
// only the blocks in between.
func (n *Node) validatorsAt(h consensus.Height) (*consensus.ValidatorSet, error) {
	if h < 1 {
		return nil, fmt.Errorf("validator set of height %d: heights start at 1", h)
	}
	n.valsMu.Lock()
	defer n.valsMu.Unlock()
	if vs, ok := n.valsCache[h]; ok {
		return vs, nil
	}
	if n.valsCache == nil {
		n.valsCache = make(map[consensus.Height]*consensus.ValidatorSet)
	}
	headBlock := n.chain.Head()
	head := consensus.Height(headBlock.Number())
	base, vs := consensus.Height(0), (*consensus.ValidatorSet)(nil)
	for ch, cvs := range n.valsCache {
		if ch < h && ch > base {
			base, vs = ch, cvs
		}
	}
	if vs == nil {
		var err error
		if base, vs, err = n.loadValidatorSet(h, headBlock); err != nil {
			return nil, err
		}
	}
	for base < h {
		next := vs.NextHeight()
		if base <= head {
			b := headBlock
			if base < head {
				var err error
				if b, err = n.chain.BlockByNumber(uint64(base)); err != nil {
					return nil, fmt.Errorf("validator set of height %d: %w", base+1, err)
				}
			}
			if b.Extras.NextValidatorsHash != b.Extras.ValidatorsHash {
				members, err := n.chain.ValidatorSetAfter(uint64(base))
				if err != nil {
					return nil, err
				}
				if next, err = toConsensusSet(members, next); err != nil {
					return nil, fmt.Errorf("validator set of height %d: %w", base+1, err)
				}
				n.saveChangedSet(base+1, next)
			}
		}
		vs, base = next, base+1
		if base <= head+1 {
			n.valsCache[base] = vs
		}
		if base == head+1 {
			n.saveNewestSets(base)
		}
	}
	if len(n.valsCache) > valsCacheSize {
		for ch := range n.valsCache {
			if ch+valsCacheSize/2 < head {
				delete(n.valsCache, ch)
			}
		}
	}
	return vs, nil
}

// toConsensusSet builds a consensus validator set with the given members,
// keeping the proposer priority of every member of prev (nil: none) and
// giving newcomers -1.125 × the total power, as CometBFT does, so a joiner
// does not propose at once.
func toConsensusSet(members []block.Validator, prev *consensus.ValidatorSet) (*consensus.ValidatorSet, error) {
	old := map[common.Address]int64{}
	if prev != nil {
		for _, v := range prev.Validators() {
			old[v.Address] = v.ProposerPriority
		}
	}
	var total int64
	for _, m := range members {
		total += int64(m.Power)
	}
	vals := make([]consensus.Validator, 0, len(members))
	for _, m := range members {
		p, ok := old[m.Address]
		if !ok && prev != nil {
			p = -(total + total/8)
		}
		vals = append(vals, consensus.Validator{Address: m.Address, Power: int64(m.Power), ProposerPriority: p})
	}
	return consensus.NewValidatorSet(vals)
}

// valsHash is the header commitment to a validator set.
func valsHash(vs *consensus.ValidatorSet) common.Hash {
	var out []block.Validator
	for _, v := range vs.Validators() {
		out = append(out, block.Validator{Address: v.Address, Power: uint64(v.Power)})
	}
	slices.SortFunc(out, func(a, b block.Validator) int { return a.Address.Cmp(b.Address) })
	return block.ValidatorSetHash(out)
}
