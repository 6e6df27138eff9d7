package p2p

import "fmt"

// Size limits from the chain rules (DESIGN.md §5 and the genesis).
const (
	// MaxTxSize is the largest ordinary transaction.
	MaxTxSize = 128 << 10
	// MaxSystemTxSize is the largest transaction to a system contract that
	// allows large calldata.
	MaxSystemTxSize = 4 << 20
	// DevnetMaxBlockSize is the devnet genesis block-size limit.
	DevnetMaxBlockSize = 16 << 20
	// TxTopicMaxSize bounds one transaction-batch message: room for one
	// maximal system transaction plus a batch of ordinary ones. Batchers
	// must cut batches below it.
	TxTopicMaxSize = 2 * MaxSystemTxSize
	// EnvelopeOverhead is the room reserved on top of a block for the
	// proposal envelope (signature, round, commit of the previous block).
	EnvelopeOverhead = 1 << 20
	// StatusMaxSize bounds a status message.
	StatusMaxSize = 1 << 10
)

// ConsensusTopicMaxSize returns the limit of the consensus topic for a chain
// whose blocks are at most maxBlockSize bytes: a whole proposal fits.
func ConsensusTopicMaxSize(maxBlockSize int) int { return maxBlockSize + EnvelopeOverhead }

// TxTopic returns the gossip topic for batched transactions of a chain.
func TxTopic(chainID uint64) string { return fmt.Sprintf("/bilayer/%d/tx/1", chainID) }

// ConsensusTopic returns the gossip topic for proposals and votes of a chain.
func ConsensusTopic(chainID uint64) string {
	return fmt.Sprintf("/bilayer/%d/consensus/1", chainID)
}

// UnsafeBlockTopic returns the gossip topic for an L2 sequencer's signed
// unsafe blocks.
func UnsafeBlockTopic(chainID uint64) string {
	return fmt.Sprintf("/bilayer/%d/unsafe-block/1", chainID)
}

// StatusProtocol returns the status handshake protocol of a chain.
func StatusProtocol(chainID uint64) Protocol {
	return Protocol{
		Name:        fmt.Sprintf("/bilayer/%d/status/1", chainID),
		MaxRequest:  StatusMaxSize,
		MaxResponse: StatusMaxSize,
	}
}

// BlockRangeProtocol returns the block-range sync protocol of a chain whose
// responses (blocks with their commits) are at most maxResponse bytes. The
// request encoding and the commit-by-commit verification belong to the sync
// code.
func BlockRangeProtocol(chainID uint64, maxResponse int) Protocol {
	return Protocol{
		Name:        fmt.Sprintf("/bilayer/%d/sync/blocks/1", chainID),
		MaxRequest:  256,
		MaxResponse: maxResponse,
	}
}
