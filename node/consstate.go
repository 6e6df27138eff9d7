package node

import (
	"encoding/json"
	"fmt"

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
