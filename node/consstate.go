package node

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/rlp"

	"github.com/bilayer/bilayer/core/block"

	"github.com/bilayer/bilayer/node/chain"
	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/store"
)

// saveConsensusState writes the machine's persisted state with a synced
// commit: the driver calls it before signing or sending anything that
// depends on it.
func saveConsensusState(db store.Store, st consensus.PersistedState) error {
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode consensus state: %w", err)
	}
	b := db.NewBatch()
	if err := b.Put(store.ConsensusStateKey(), data); err != nil {
		return fmt.Errorf("save consensus state: %w", err)
	}
	if err := b.Commit(true); err != nil {
		return fmt.Errorf("save consensus state: %w", err)
	}
	return nil
}

// loadConsensusState returns the last persisted state, if any.
func loadConsensusState(db store.Store) (consensus.PersistedState, bool, error) {
	data, err := db.Get(store.ConsensusStateKey())
	if chain.IsNotFound(err) {
		return consensus.PersistedState{}, false, nil
	}
	if err != nil {
		return consensus.PersistedState{}, false, fmt.Errorf("load consensus state: %w", err)
	}
	var st consensus.PersistedState
	if err := json.Unmarshal(data, &st); err != nil {
		return consensus.PersistedState{}, false, fmt.Errorf("load consensus state: %w: %v", store.ErrCorrupt, err)
	}
	return st, true, nil
}

// valueBlockIDs are the blocks a persisted state names as its locked and
// valid values.
func valueBlockIDs(st consensus.PersistedState) []consensus.BlockID {
	var ids []consensus.BlockID
	for _, id := range []consensus.BlockID{st.LockedValue, st.ValidValue} {
		if id != (consensus.BlockID{}) && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// saveValueBlocks writes (synced) the blocks of st's locked and valid
// values that the driver holds, so that a restarted proposer can
// re-propose a value it locked on: without them, a height whose every
// validator locked and crashed before committing could never end. It
// writes only when the set of blocks changed since the last call (saved).
func saveValueBlocks(db store.Store, st consensus.PersistedState, blocks map[consensus.BlockID]*block.Block, saved map[consensus.BlockID]bool) error {
	ids := valueBlockIDs(st)
	fresh := false
	for _, id := range ids {
		if !saved[id] && blocks[id] != nil {
			fresh = true
		}
	}
	if !fresh {
		return nil
	}
	var encoded [][]byte
	for _, id := range ids {
		b := blocks[id]
		if b == nil {
			continue
		}
		enc, err := b.Encode()
		if err != nil {
			return fmt.Errorf("save value blocks: %w", err)
		}
		encoded = append(encoded, enc)
		saved[id] = true
	}
	data, err := rlp.EncodeToBytes(encoded)
	if err != nil {
		return fmt.Errorf("save value blocks: %w", err)
	}
	batch := db.NewBatch()
	if err := batch.Put(store.ConsensusBlocksKey(), data); err != nil {
		return fmt.Errorf("save value blocks: %w", err)
	}
	if err := batch.Commit(true); err != nil {
		return fmt.Errorf("save value blocks: %w", err)
	}
	return nil
}

// loadValueBlocks returns the saved blocks that st names as its locked or
// valid value (blocks saved at another height are ignored).
func loadValueBlocks(db store.Store, st consensus.PersistedState, maxSize int) (map[consensus.BlockID]*block.Block, error) {
	out := make(map[consensus.BlockID]*block.Block)
	data, err := db.Get(store.ConsensusBlocksKey())
	if chain.IsNotFound(err) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load value blocks: %w", err)
	}
	var encoded [][]byte
	if err := rlp.DecodeBytes(data, &encoded); err != nil {
		return nil, fmt.Errorf("load value blocks: %w: %v", store.ErrCorrupt, err)
	}
	ids := valueBlockIDs(st)
	for _, enc := range encoded {
		b, err := block.Decode(enc, maxSize)
		if err != nil {
			return nil, fmt.Errorf("load value blocks: %w: %v", store.ErrCorrupt, err)
		}
		if id := consensus.BlockID(b.Hash()); slices.Contains(ids, id) && uint64(st.Height) == b.Number() {
			out[id] = b
		}
	}
	return out, nil
}
