package node

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/node/chain"
	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/store"
)

// persistedSets is the value of store.ValidatorSetsKey: the validator sets
// of the newest height the node computed (Height, the head's next) and of
// the height before it (Prev, absent at height 1), with their proposer
// priorities.
type persistedSets struct {
	Height consensus.Height
	Prev   []consensus.Validator `json:",omitempty"`
	Cur    []consensus.Validator
}

// saveNewestSets persists the cached sets of height h and h-1 (h is the
// head's next). The write is unsynced and best effort: the sets are a
// cache of what the blocks determine, and a lost or failed write only
// means more blocks are read at the next start.
func (n *Node) saveNewestSets(h consensus.Height) {
	cur, prev := n.valsCache[h], n.valsCache[h-1]
	if cur == nil || h < 2 || prev == nil {
		return
	}
	data, err := json.Marshal(persistedSets{Height: h, Prev: prev.Validators(), Cur: cur.Validators()})
	if err == nil {
		err = n.cfg.DB.Put(store.ValidatorSetsKey(), data)
	}
	if err != nil {
		n.log.Warn("Could not save the validator sets", "height", h, "err", err)
	}
}

// saveChangedSet persists vs, the set of height h, at which the set
// changed (unsynced, best effort: see saveNewestSets).
func (n *Node) saveChangedSet(h consensus.Height, vs *consensus.ValidatorSet) {
	data, err := json.Marshal(vs.Validators())
	if err == nil {
		err = n.cfg.DB.Put(store.ValidatorSetKey(uint64(h)), data)
	}
	if err != nil {
		n.log.Warn("Could not save a changed validator set", "height", h, "err", err)
	}
}

// loadValidatorSet returns the persisted set nearest below or at h to
// start computing the set of h from, with its height: the newest sets
// (cached as they are loaded), else the set of the newest change at or
// below h, else the genesis set (height 1). head is the chain's head.
func (n *Node) loadValidatorSet(h consensus.Height, head *block.Block) (consensus.Height, *consensus.ValidatorSet, error) {
	newest, err := n.loadNewestSets(head)
	if err != nil {
		return 0, nil, err
	}
	if newest != nil {
		cur, err := consensus.NewValidatorSet(newest.Cur)
		if err != nil {
			return 0, nil, fmt.Errorf("load validator sets: %w: %v", store.ErrCorrupt, err)
		}
		prev, err := consensus.NewValidatorSet(newest.Prev)
		if err != nil {
			return 0, nil, fmt.Errorf("load validator sets: %w: %v", store.ErrCorrupt, err)
		}
		n.valsCache[newest.Height], n.valsCache[newest.Height-1] = cur, prev
		switch {
		case h >= newest.Height:
			return newest.Height, cur, nil
		case h == newest.Height-1:
			return h, prev, nil
		}
	}
	if ch, vs, ok, err := n.loadChangedSet(h); err != nil || ok {
		return ch, vs, err
	}
	g, err := toConsensusSet(n.cfg.Genesis.ValidatorSet(), nil)
	if err != nil {
		return 0, nil, fmt.Errorf("genesis validator set: %w", err)
	}
	return 1, g, nil
}

// loadNewestSets reads store.ValidatorSetsKey (nil if absent). Sets for a
// height above the head's next, or whose members differ from what the
// head commits to, are not this chain's: they are ignored (and replaced
// once recomputed).
func (n *Node) loadNewestSets(head *block.Block) (*persistedSets, error) {
	data, err := n.cfg.DB.Get(store.ValidatorSetsKey())
	if chain.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load validator sets: %w", err)
	}
	var p persistedSets
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("load validator sets: %w: %v", store.ErrCorrupt, err)
	}
	next := consensus.Height(head.Number() + 1)
	if p.Height < 2 || p.Height > next || len(p.Prev) == 0 || len(p.Cur) == 0 {
		n.log.Warn("Ignoring saved validator sets of another height", "height", p.Height, "next", next)
		return nil, nil
	}
	if p.Height == next {
		vs, err := consensus.NewValidatorSet(p.Cur)
		if err != nil {
			return nil, fmt.Errorf("load validator sets: %w: %v", store.ErrCorrupt, err)
		}
		if valsHash(vs) != head.Extras.NextValidatorsHash {
			n.log.Warn("Ignoring saved validator sets the head does not commit to", "height", p.Height)
			return nil, nil
		}
	}
	return &p, nil
}

// loadChangedSet returns the persisted set of the newest change height at
// or below h, if any.
func (n *Node) loadChangedSet(h consensus.Height) (consensus.Height, *consensus.ValidatorSet, bool, error) {
	it := n.cfg.DB.NewIterator([]byte{store.PrefixValidatorSet}, nil)
	defer it.Release()
	var found consensus.Height
	var data []byte
	for it.Next() {
		k := it.Key()
		if len(k) != 9 {
			continue
		}
		ch := consensus.Height(binary.BigEndian.Uint64(k[1:]))
		if ch > h {
			break
		}
		found, data = ch, it.Value()
	}
	if err := it.Error(); err != nil {
		return 0, nil, false, fmt.Errorf("load changed validator sets: %w", err)
	}
	if found == 0 {
		return 0, nil, false, nil
	}
	var vals []consensus.Validator
	if err := json.Unmarshal(data, &vals); err != nil {
		return 0, nil, false, fmt.Errorf("load validator set of height %d: %w: %v", found, store.ErrCorrupt, err)
	}
	vs, err := consensus.NewValidatorSet(vals)
	if err != nil {
		return 0, nil, false, fmt.Errorf("load validator set of height %d: %w: %v", found, store.ErrCorrupt, err)
	}
	return found, vs, true, nil
}
