package node

import (
	"cmp"
	"slices"
	"sync"

	"github.com/bilayer/bilayer/node/consensus"
	"github.com/ethereum/go-ethereum/common"
)

// Bounds of the future buffer.
const (
	// futureBudgetBlocks is the future buffer's byte budget in largest
	// consensus messages: room for a proposal of each of the two heights
	// the gossip window admits ahead, decoded, with their votes.
	futureBudgetBlocks = 4
	// txMemOverhead estimates what a decoded transaction holds beyond its
	// encoding (the object, its cached hash and sender, slice headers).
	txMemOverhead = 512
	// voteMemSize estimates a buffered vote with its decoded form.
	voteMemSize = 512
)

// futureKind tells apart the three kinds of consensus message in a key.
type futureKind uint8

const (
	kindProposal futureKind = iota
	kindPrevote
	kindPrecommit
)

// futureKey identifies what one validator may sign once per height, round
// and kind: a second, different message under one key is an equivocation.
type futureKey struct {
	height consensus.Height
	round  consensus.Round
	kind   futureKind
	signer common.Address
	// twin marks the one conflicting vote kept beside the first, so an
	// equivocation seen early is still reported.
	twin bool
}

type futureEntry struct {
	msg  consensusMsg
	size int
	seq  uint64
}

// futureBuffer holds verified consensus messages of heights after the next
// one until the chain gets there (issue 16 item 1). It keeps one message per
// (height, round, kind, signer), plus one conflicting vote, within a byte
// budget: when full, the message of the highest height and round goes
// first, so honest messages of the rounds a node will actually reach are
// the last to be dropped. Rounds beyond what the consensus machine would
// take are never held. It is safe for concurrent use.
type futureBuffer struct {
	mu      sync.Mutex
	budget  int
	bytes   int
	seq     uint64
	entries map[futureKey]*futureEntry
}

func newFutureBuffer(budget int) *futureBuffer {
	return &futureBuffer{budget: budget, entries: make(map[futureKey]*futureEntry)}
}

// keyOf returns the key of m (without the twin mark) and the block id it is
// for.
func keyOf(m consensusMsg) (futureKey, consensus.BlockID) {
	if m.vote != nil {
		k := futureKey{height: m.vote.Height, round: m.vote.Round, kind: kindPrevote, signer: m.vote.Validator}
		if m.vote.Type == consensus.Precommit {
			k.kind = kindPrecommit
		}
		return k, m.vote.BlockID
	}
	p := m.proposal.Proposal
	return futureKey{height: p.Height, round: p.Round, kind: kindProposal, signer: p.Proposer}, p.BlockID
}

// memSize estimates what holding m costs: its encoding and, for a
// proposal, the decoded block.
func memSize(m consensusMsg, encoded int) int {
	if m.vote != nil || m.proposal == nil {
		return max(encoded, voteMemSize)
	}
	size := encoded + len(m.proposal.Block)
	if m.block != nil {
		size += len(m.block.Transactions) * txMemOverhead
	}
	return size
}

// urgency orders keys by how soon a node needs them: lower height, then
// lower round, first.
func urgency(a, b futureKey) int {
	return cmp.Or(cmp.Compare(a.height, b.height), cmp.Compare(a.round, b.round))
}

// add holds m, a verified message of a height after the next one, whose
// encoding is encoded bytes long. It reports whether m was kept: a
// duplicate, a second conflict, or a message less urgent than everything a
// full buffer holds is not.
func (f *futureBuffer) add(m consensusMsg, encoded int) bool {
	key, id := keyOf(m)
	size := memSize(m, encoded)
	f.mu.Lock()
	defer f.mu.Unlock()
	if first, ok := f.entries[key]; ok {
		_, firstID := keyOf(first.msg)
		if m.vote == nil || firstID == id {
			return false
		}
		key.twin = true
		if _, ok := f.entries[key]; ok {
			return false
		}
	}
	if size > f.budget {
		return false
	}
	for f.bytes+size > f.budget {
		var worst futureKey
		found := false
		for k := range f.entries {
			if !found || urgency(k, worst) > 0 {
				worst, found = k, true
			}
		}
		if !found || urgency(worst, key) <= 0 {
			return false
		}
		f.bytes -= f.entries[worst].size
		delete(f.entries, worst)
	}
	f.seq++
	f.entries[key] = &futureEntry{msg: m, size: size, seq: f.seq}
	f.bytes += size
	return true
}

// release removes every message of a height up to next and returns those
// of height next, in the order they arrived.
func (f *futureBuffer) release(next consensus.Height) []consensusMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	var due []*futureEntry
	for k, e := range f.entries {
		if k.height > next {
			continue
		}
		if k.height == next {
			due = append(due, e)
		}
		f.bytes -= e.size
		delete(f.entries, k)
	}
	slices.SortFunc(due, func(a, b *futureEntry) int { return cmp.Compare(a.seq, b.seq) })
	out := make([]consensusMsg, len(due))
	for i, e := range due {
		out[i] = e.msg
	}
	return out
}

// size returns the bytes and messages held.
func (f *futureBuffer) size() (bytes, msgs int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bytes, len(f.entries)
}
