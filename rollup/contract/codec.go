package contract

import (
	"github.com/bilayer/bilayer/rollup/batch"
	"github.com/bilayer/bilayer/rollup/protocol"
)

// decodeBatch decodes posted batch data with rollup/batch, whose data
// model is protocol's (batch.Batch is protocol.Batch).
func decodeBatch(data []byte, lim batch.Limits) (*protocol.Batch, error) {
	return batch.Decode(data, lim)
}
